"""The dashboard: every campaign's figures in a line, and the ledger's health, in one call."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from fundledger.domain.dates import today_in_israel
from fundledger.reports.i18n import Reader
from fundledger.services.dashboard import Dashboard, dashboard
from fundledger.web import db
from fundledger.web.i18n import language

bp = Blueprint("home", __name__)


@bp.route("/")
def index() -> ResponseReturnValue:
    # Days left are counted in the organisation's calendar (as gifts' dates are).
    today = today_in_israel()
    board: Dashboard = db.run(lambda s, c: db.kept(
        s, ("dashboard", today), lambda: dashboard(s, c, today=today)))  # fmt: skip
    return render_template("home.html", board=board, reader=Reader.for_locale(language()))
