"""The dashboard: every campaign's figures in a line, and the ledger's health, in one call;
for those who keep the books, what is still to be reported to the Tax Authority, and its list
as CSV (`fundledger tax pending --format csv`)."""

from __future__ import annotations

import io

from flask import Blueprint, Response, render_template
from flask.typing import ResponseReturnValue

from fundledger.domain.access import Role
from fundledger.domain.dates import today_in_israel
from fundledger.reports.csv_output import write_csv
from fundledger.reports.i18n import Reader
from fundledger.services.dashboard import Dashboard, dashboard
from fundledger.services.tax import PENDING_COLUMNS, pending, pending_counts, pending_record
from fundledger.web import db
from fundledger.web.i18n import language

bp = Blueprint("home", __name__)


@bp.route("/")
def index() -> ResponseReturnValue:
    # Days left are counted in the organisation's calendar (as gifts' dates are).
    today = today_in_israel()
    board: Dashboard = db.run(lambda s, c: db.kept(
        s, ("dashboard", today), lambda: dashboard(s, c, today=today)))  # fmt: skip
    actor = db.current_actor()
    # For a treasurer or an admin only: the role is checked here, outside what is kept (the
    # counts are the same for every reader, and asked again only when the ledger changes:
    # they count every gift since tax.report_from, seconds on a million).
    tax = (db.run(lambda s, c: db.kept(s, ("tax pending counts",), lambda: pending_counts(s)))
           if actor.may(Role.TREASURER) else None)  # fmt: skip
    return render_template("home.html", board=board, tax=tax,
                           reader=Reader.for_locale(language()))  # fmt: skip


@bp.route("/tax/pending.csv")
def tax_pending_csv() -> ResponseReturnValue:
    """`fundledger tax pending --format csv --excel`, for a treasurer (checked in the service)."""
    actor = db.current_actor()
    report = db.run(lambda s, c: pending(s, c, actor))
    text = io.StringIO()
    rows = [{**pending_record(report, row), "problems": "; ".join(row.problems)}
            for row in report.rows]  # fmt: skip
    write_csv(text, rows, PENDING_COLUMNS, excel=True)
    response = Response(text.getvalue().encode("utf-8"), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="tax-pending.csv"'
    return response
