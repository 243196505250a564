"""The campaign pages: the list, a campaign's summary (as its PDF has it, with the chart, the
latest gifts and, for a treasurer, a form to record a gift), and the contract routes of
shared/design.md §5 (summary.json, summary.csv, report.pdf), each one `campaign_report` call
handed to the renderers the CLI uses, so a download is the file `report campaign` writes."""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, abort, render_template, request
from flask.typing import ResponseReturnValue
from markupsafe import Markup
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from fundledger.domain.access import Actor, Role
from fundledger.domain.dates import today_in_israel
from fundledger.domain.errors import FundledgerError
from fundledger.domain.period import Period
from fundledger.reports.i18n import LOCALES, Reader
from fundledger.reports.summary_csv import write_summary_csv
from fundledger.reports.summary_json import summary_json
from fundledger.services.browse import GiftLine, Page, campaign_gifts
from fundledger.services.campaign_report import CampaignReport, campaign_report
from fundledger.services.campaigns import NoSuchCampaign
from fundledger.services.context import CommandContext
from fundledger.services.dashboard import Dashboard, dashboard
from fundledger.web import db, gift_entry
from fundledger.web.gift_entry import form_values, method_choices
from fundledger.web.i18n import gettext as _
from fundledger.web.i18n import language

bp = Blueprint("campaigns", __name__, url_prefix="/campaigns")


class BadQuery(FundledgerError):
    """A query parameter of a page that cannot be read (the page says which, with 400)."""


@dataclass(frozen=True, slots=True)
class ReportQuery:
    """What a campaign page or download was asked for: `fixed_rate`, `from` and `to`, as
    `report campaign --fixed-rate --from --to`."""

    fixed_rate: str | None
    period: Period | None

    def arguments(self) -> dict[str, str]:
        """The same request as query arguments, for the download links."""
        given = {"fixed_rate": self.fixed_rate or ""}
        if self.period is not None:
            given |= {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()}
        return {name: value for name, value in given.items() if value}


def _query() -> ReportQuery:
    fixed_rate = request.args.get("fixed_rate", "").strip() or None
    start, end = (_day(request.args.get(name, ""), name) for name in ("from", "to"))
    if (start is None) != (end is None):
        raise BadQuery(_("A period needs both ends: give both “from” and “to” dates."))
    if start is not None and end is not None and start > end:
        raise BadQuery(_("The period starts ({start}) after it ends ({end}): swap them.",
                         start=start.isoformat(), end=end.isoformat()))  # fmt: skip
    return ReportQuery(fixed_rate, Period(start, end) if start and end else None)


def _day(text: str, field: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadQuery(_("“{field}” is not a date: write it as YYYY-MM-DD (2025-07-31).",
                         field=field)) from None  # fmt: skip


def _report(slug: str, query: ReportQuery, locale: str | None = None) -> CampaignReport:
    """The campaign's report; 404 for an unknown slug. A report reads every setting itself,
    once, in its own read transaction (as `report campaign` does); it is kept until the
    ledger changes (services/read_cache.py)."""
    try:
        return db.run(lambda session, context: db.kept(
            session, ("campaign report", slug, locale, query),
            lambda: campaign_report(session, context, slug, locale=locale,
                                    period=query.period, fixed_rate=query.fixed_rate)))  # fmt: skip
    except NoSuchCampaign:
        abort(404)


def _plain_error(message: str, status: int = 400) -> Response:
    """A download that cannot be made: one line saying why, as a script reads it."""
    return Response(message + "\n", status=status, mimetype="text/plain")


@bp.context_processor
def _report_words() -> dict[str, Any]:
    """The PDF's own wording of what it shows, for the page to say the same in each language.
    ReportLab loads with them: only the campaign pages use it."""
    from fundledger.reports.pdf.campaign import (
        WEEKS_IN_TABLE,
        chart_title,
        fixed_rate_text,
        rates_paragraphs,
        size_label,
    )
    from fundledger.reports.pdf.page import method_name

    return {"chart_title": chart_title, "fixed_rate_text": fixed_rate_text,
            "rates_note": rates_paragraphs, "size_label": size_label,
            "method_name": method_name, "weeks_in_table": WEEKS_IN_TABLE}  # fmt: skip


@bp.route("")
def index() -> ResponseReturnValue:
    """The campaigns with their figures: the dashboard's list, on a page of its own."""
    today = today_in_israel()
    board: Dashboard = db.run(lambda s, c: db.kept(
        s, ("dashboard", today), lambda: dashboard(s, c, today=today)))  # fmt: skip
    return render_template("campaigns/index.html", board=board,
                           reader=Reader.for_locale(language()))  # fmt: skip


@bp.route("/<slug>")
def page(slug: str) -> ResponseReturnValue:
    return _campaign_page(slug, MultiDict(), None, 200)


def _campaign_page(
    slug: str, form: MultiDict[str, str], form_error: str | None, status: int
) -> ResponseReturnValue:
    """The campaign's page; `form` and `form_error`: the gift form sent back with what was
    wrong in it."""
    here = language()
    query_error = None
    try:
        query = _query()
    except FundledgerError as error:  # an unreadable period: the page without it
        query_error, query, status = str(error), ReportQuery(None, None), 400
    number = max(request.args.get("page", 1, type=int), 1)
    actor = db.current_actor()

    def parts(asked: ReportQuery) -> tuple[CampaignReport, Page[GiftLine], str | None]:
        try:
            return db.run(lambda s, c: _page_parts(s, c, slug, asked, here, actor, number))
        except NoSuchCampaign:
            abort(404)

    try:
        found, gifts, chart = parts(query)
    except FundledgerError as error:  # an unreadable fixed rate: the page without it
        query_error, query, status = str(error), ReportQuery(None, None), 400
        found, gifts, chart = parts(query)
    summary = found.summary
    return render_template(
        "campaigns/page.html",
        report=found,
        summary=summary,
        campaign=summary.campaign.in_language(here),
        reader=Reader.for_locale(here),
        # Escaped by its XML writer, free of script, style attributes and links (chart_svg).
        chart=Markup(chart) if chart is not None else None,  # noqa: S704
        gifts=gifts,
        query=query,
        downloads=query.arguments(),
        query_error=query_error,
        may_record=actor.may(Role.TREASURER),
        # The gift form, with its defaults (web/gift_entry.py).
        gift=form_values(form, summary.home_currency) if actor.may(Role.TREASURER) else None,
        gift_error=form_error,
        methods=method_choices(),
    ), status


def _page_parts(
    session: Session,
    context: CommandContext,
    slug: str,
    query: ReportQuery,
    here: str,
    actor: Actor,
    number: int,
) -> tuple[CampaignReport, Page[GiftLine], str | None]:
    """What the campaign's page shows of the ledger, read in one transaction: its report, a
    page of its latest gifts (as `actor`'s role sees them) and its chart, each kept until the
    ledger changes."""
    state = db.state(session)
    cache = db.cache()
    found = cache.answer_at(
        state,
        ("campaign report", slug, here, query),
        lambda: campaign_report(
            session, context, slug, locale=here, period=query.period, fixed_rate=query.fixed_rate
        ),
    )
    gifts = cache.answer_at(
        state,
        ("campaign gifts", slug, actor.role, number),
        lambda: campaign_gifts(session, context, actor, slug, page=number),
    )

    def chart() -> str | None:
        from fundledger.reports.chart_svg import campaign_chart_svg  # ReportLab: only here

        return campaign_chart_svg(found.summary, here) if found.summary.by_day else None

    return found, gifts, cache.answer_at(state, ("campaign chart", slug, here, query), chart)


@bp.route("/<slug>/chart.svg")
def chart(slug: str) -> ResponseReturnValue:
    """The page's chart on its own, in the page's language."""
    try:
        found = _report(slug, _query())
    except FundledgerError as error:
        return _plain_error(str(error))
    from fundledger.reports.chart_svg import campaign_chart_svg

    return Response(campaign_chart_svg(found.summary, language()), mimetype="image/svg+xml")


@bp.route("/<slug>/summary.json")
def summary_as_json(slug: str) -> ResponseReturnValue:
    """Exactly what `fundledger report campaign SLUG --format json [--fixed-rate]` prints."""
    try:
        found = _report(slug, _query())
    except FundledgerError as error:
        return _plain_error(str(error))
    return Response(summary_json(found.summary), mimetype="application/json")


@bp.route("/<slug>/summary.csv")
def summary_as_csv(slug: str) -> ResponseReturnValue:
    """What `fundledger report campaign SLUG --format csv` prints, as a file to save."""
    try:
        found = _report(slug, _query())
    except FundledgerError as error:
        return _plain_error(str(error))
    text = io.StringIO()
    write_summary_csv(text, found.summary)
    return _attachment(text.getvalue().encode("utf-8"), "text/csv",
                       _file_name(slug, found, "csv"))  # fmt: skip


@bp.route("/<slug>/report.pdf")
def report_pdf(slug: str) -> ResponseReturnValue:
    """The PDF `fundledger report campaign SLUG --locale L` writes."""
    locale = request.args.get("locale") or None
    if locale is not None and locale not in LOCALES:
        abort(400)
    try:
        found = _report(slug, _query(), locale)
    except FundledgerError as error:
        return _plain_error(str(error))
    # Imported here, as the CLI does: ReportLab costs every other page its loading time.
    from fundledger.reports.pdf.campaign import ReportOptions, write_campaign_pdf

    options = ReportOptions(max_rate_age_days=found.max_rate_age_days,
                            organisation=found.organisation, logo=found.logo)  # fmt: skip
    # ReportLab writes to a path; a private temporary directory, removed at once.
    with tempfile.TemporaryDirectory(prefix="fundledger-web-") as folder:
        target = Path(folder) / "report.pdf"
        write_campaign_pdf(found.summary, Reader.for_locale(found.locale), target, options)
        data = target.read_bytes()
    return _attachment(data, "application/pdf", _file_name(slug, found, "pdf"))


def _file_name(slug: str, found: CampaignReport, extension: str) -> str:
    """As the CLI names it: reports/<slug>[-<from>-<to>]-<locale>.pdf; the CSV likewise,
    without a language."""
    name = slug
    period = found.summary.period
    if period is not None:
        name += f"-{period.start.isoformat()}-{period.end.isoformat()}"
    if extension == "pdf":
        name += f"-{found.locale}"
    return f"{name}.{extension}"


def _attachment(data: bytes, mimetype: str, name: str) -> Response:
    response = Response(data, mimetype=mimetype)
    # A slug is letters, digits and hyphens: the name needs no quoting beyond this.
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.route("/<slug>/donations", methods=["POST"])
def record(slug: str) -> ResponseReturnValue:
    """`donation add SLUG` from the gift form (web/gift_entry.py has it, with its preview and
    "save and add another"): the treasurer role is required by the service (a viewer's forged
    POST gets 403, nothing written)."""
    return gift_entry.record(slug)
