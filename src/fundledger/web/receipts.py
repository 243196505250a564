"""The receipts issued: a list (by year, campaign or number) and each one as a PDF. A receipt
is drawn again from the content frozen when it was issued, marked COPY, as `fundledger
receipt reprint` prints it (the ledger stores no PDF); reading it writes nothing. Both are for
those who keep the books: a receipt names its donor, also for an anonymous gift."""

from __future__ import annotations

from dataclasses import replace

from flask import Blueprint, abort
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from fundledger.adapters.images import Logo
from fundledger.domain.access import PermissionDenied, Role, require
from fundledger.domain.errors import FundledgerError
from fundledger.services.campaigns import CampaignInfo, list_campaigns
from fundledger.services.receipt_list import ReceiptFilter, receipt_copy, receipt_page
from fundledger.services.receipts import ReceiptDocument, ReceiptNumber
from fundledger.web import db
from fundledger.web.i18n import gettext as _
from fundledger.web.i18n import language
from fundledger.web.listing import (
    BadField,
    locale_field,
    page_number,
    pdf_file,
    refused,
    render,
    text_field,
    whole_field,
)

bp = Blueprint("receipts", __name__, url_prefix="/receipts")


@bp.route("")
def index() -> ResponseReturnValue:
    actor = db.current_actor()
    require(actor, Role.TREASURER, "read the receipts issued")  # before reading the form
    campaigns = db.run(lambda session, _: _campaigns(session))
    try:
        wanted = ReceiptFilter(
            year=whole_field("year", _("Year"), 1900, 9999),
            campaign=text_field("campaign", _("Campaign")),
            number=text_field("number", _("Number")),
        )
    except BadField as error:
        return render("receipts.html", 400, found=None, campaigns=campaigns, error=str(error))
    page = page_number()
    try:
        found = db.run(lambda session, _: receipt_page(session, actor, wanted, page=page))
    except PermissionDenied:
        raise
    except FundledgerError as error:  # an unknown campaign, a number not as printed
        return render("receipts.html", 400, found=None, campaigns=campaigns, error=str(error))
    return render("receipts.html", found=found, campaigns=campaigns, error=None)


def _campaigns(session: Session) -> list[CampaignInfo]:
    return [each.in_language(language()) for each in list_campaigns(session, entry_counts=False)]


@bp.route("/<series>/<int:year>/<number>.pdf")
def download(series: str, year: int, number: str) -> ResponseReturnValue:
    """A copy of the receipt, in the language it was issued in or ?locale=."""
    actor, locale = db.current_actor(), locale_field()
    if not number.isdigit():
        abort(404)
    wanted = ReceiptNumber(series.upper(), year, int(number))
    try:
        document, logo = db.run(lambda session, _: receipt_copy(session, actor, wanted))
    except PermissionDenied:
        raise
    except FundledgerError:  # no such receipt
        abort(404)
    return _copy(document, logo, locale)


def _copy(document: ReceiptDocument, logo: Logo | None, locale: str | None) -> ResponseReturnValue:
    # Imported here: ReportLab costs every other page's first request 0.08 s.
    from fundledger.reports.pdf.receipt import write_receipt_pdf

    issued_in = document.locale
    # Drawn from the frozen content; the language is the drawing's, not the receipt's.
    drawn = replace(document, locale=locale or issued_in)
    suffix = "-copy" if drawn.locale == issued_in else f"-copy-{drawn.locale}"
    try:
        return pdf_file(lambda path: write_receipt_pdf(drawn, path, copy=True, logo=logo),
                        f"{document.number}{suffix}.pdf")  # fmt: skip
    except FundledgerError as error:
        return refused(str(error))
