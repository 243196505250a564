"""The receipts issued: a list (by year, campaign or number) and each one as a PDF. A receipt
is drawn again from the content frozen when it was issued, marked COPY, as `fundledger
receipt reprint` prints it (the ledger stores no PDF); reading it writes nothing. Both are for
those who keep the books: a receipt names its donor, also for an anonymous gift.

Issuing, as `fundledger receipt issue`: one gift's receipt, or every unreceipted gift of a
campaign (a period of it, if given) with the same services, the treasurer role checked in
them. A batch issues each receipt in a transaction of its own (~32 ms a gift), so one request
issues at most BATCH_MOST and says how many remain: never a request held for minutes. Many
receipts download as one zip of copies (at most ZIP_MOST)."""

from __future__ import annotations

import io
import tempfile
import zipfile
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, request, send_file, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from fundledger.adapters.images import Logo
from fundledger.domain.access import PermissionDenied, Role, require
from fundledger.domain.errors import FundledgerError
from fundledger.domain.period import Period
from fundledger.reports.i18n import LOCALES, Reader
from fundledger.services.browse import Page
from fundledger.services.campaigns import CampaignInfo, list_campaigns
from fundledger.services.context import CommandContext
from fundledger.services.delivery import SendOptions, plan_receipt
from fundledger.services.delivery_history import receipt_deliveries
from fundledger.services.receipt_list import (
    ReceiptFilter,
    receipt_copies,
    receipt_copy,
    receipt_page,
)
from fundledger.services.receipts import (
    BatchOfReceipts,
    BatchStopped,
    IssueOptions,
    ReceiptBatchPlan,
    ReceiptDocument,
    ReceiptNumber,
    issue_each,
    issue_receipt,
    plan_unreceipted,
)
from fundledger.web import db
from fundledger.web.auth import safe_next
from fundledger.web.i18n import gettext as _
from fundledger.web.i18n import language
from fundledger.web.listing import (
    BadField,
    Formats,
    locale_field,
    page_number,
    pdf_file,
    refused,
    render,
    text_field,
    whole_field,
)
from fundledger.web.messages import service_message
from fundledger.web.sending import send_one

T = TypeVar("T")
bp = Blueprint("receipts", __name__, url_prefix="/receipts")
# ~32 ms a receipt: a batch request of at most about three seconds; the page says how many
# remain, and the same form issues the next ones.
BATCH_MOST = 100
# Drawing a copy takes about as long: one download of at most a few seconds.
ZIP_MOST = 200


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

    def work(session: Session, _: CommandContext) -> tuple[Page[ReceiptDocument], Any]:
        found = receipt_page(session, actor, wanted, page=page)
        numbers = [document.number for document in found.items]
        return found, receipt_deliveries(session, actor, numbers)

    try:
        found, mailed = db.run(work)
    except PermissionDenied:
        raise
    except FundledgerError as error:  # an unknown campaign, a number not as printed
        return render("receipts.html", 400, found=None, campaigns=campaigns, error=str(error))
    return render("receipts.html", found=found, campaigns=campaigns, error=None, mailed=mailed)


@bp.route("/<series>/<int:year>/<number>/send", methods=["POST"])
def send(series: str, year: int, number: str) -> ResponseReturnValue:
    """`receipt send NUMBER [--again]`: the button beside a receipt in the list. A receipt
    sent before goes again only when the form says so (its button reads "send again")."""
    actor = db.current_actor()
    require(actor, Role.TREASURER, "send a receipt")
    if not number.isdigit():
        abort(404)
    wanted = str(ReceiptNumber(series.upper(), year, int(number)))
    options = SendOptions(again=request.form.get("again") == "1")
    send_one(lambda session, context: plan_receipt(session, context, wanted, options, actor),
             _("Receipt {number}", number=wanted), actor)  # fmt: skip
    back = request.form.get("next")
    return redirect(safe_next(back) if back else url_for("receipts.index", number=wanted), 303)


@bp.route("/issue", methods=["POST"])
def issue() -> ResponseReturnValue:
    """`receipt issue DONATION_ID [--locale]`: from the issue form of the receipts page, or
    the button beside a gift without a receipt."""
    actor, form = db.current_actor(), request.form
    # Asked before the form is read too (the service asks again): a viewer's mistyped request
    # gets 403, never the receipts page with the mistake.
    require(actor, Role.TREASURER, "issue a receipt")
    text = form.get("donation", "").strip().lstrip("#")
    locale = form.get("locale") or None
    problem = None
    if not text.isdigit() or int(text) > 2**31:
        problem = _("Give the gift's number (as the lists show it, e.g. 42).")
    elif locale is not None and locale not in LOCALES:
        problem = _("Choose the receipt's language from the list.")
    if problem is None:
        try:
            document = db.run(lambda session, context: issue_receipt(
                session, context, int(text), IssueOptions(locale), actor), write=True)  # fmt: skip
        except PermissionDenied:
            raise
        except FundledgerError as error:  # no such gift, reversed, receipted, no rate, ...
            problem = service_message(error)
    if problem is not None:
        campaigns = db.run(lambda session, _: _campaigns(session))
        return render("receipts.html", 422, found=None, campaigns=campaigns, error=None,
                      issue_error=problem, issue_form=form)  # fmt: skip
    flash(
        _(
            "Issued receipt {number} for gift #{gift}: {amount}, in {language}.",
            number=document.number,
            gift=document.donation_id,
            amount=Reader.for_locale(language()).money(document.amount),
            language=Formats(Reader.for_locale(language())).language_name(document.locale),
        )
    )
    # Back to the list whose button it was (a donor's gifts), where the receipt now shows;
    # from the receipts page's form, to the new receipt in the list.
    back = form.get("next")
    if back:
        return redirect(safe_next(back), 303)
    return redirect(url_for("receipts.index", number=str(document.number)), 303)


@bp.route("/batch", methods=["GET", "POST"])
def batch() -> ResponseReturnValue:
    """`receipt issue --campaign SLUG --all-unreceipted`, BATCH_MOST gifts a request."""
    actor = db.current_actor()
    require(actor, Role.TREASURER, "issue receipts")  # the form too: it is for treasurers
    campaigns = db.run(lambda session, _: _campaigns(session))
    if request.method == "GET":
        return render("receipt_batch.html", campaigns=campaigns, form={}, error=None, done=None,
                      most=BATCH_MOST)  # fmt: skip
    form = request.form
    try:
        slug, period, locale = _batch_form(form)
        plan = db.run(lambda session, context: plan_unreceipted(
            session, context, slug, IssueOptions(locale), actor, period))  # fmt: skip
    except PermissionDenied:
        raise
    except FundledgerError as error:  # no campaign, no organisation name, ...
        return render("receipt_batch.html", 422, campaigns=campaigns, form=form,
                      error=str(error), done=None, most=BATCH_MOST)  # fmt: skip
    now = ReceiptBatchPlan(plan.gifts[:BATCH_MOST], plan.without_donor)
    remaining = len(plan.gifts) - len(now.gifts)

    try:
        done: BatchOfReceipts = issue_each(db.write, now, IssueOptions(locale),
                                           actor=actor)  # fmt: skip
        stopped = None
    except BatchStopped as error:
        done, stopped = BatchOfReceipts(error.issued, (), plan.without_donor), str(error)
    return render("receipt_batch.html", campaigns=campaigns, form=form, error=stopped,
                  done=done, remaining=remaining, most=BATCH_MOST)  # fmt: skip


def _batch_form(form: MultiDict[str, str]) -> tuple[str, Period | None, str | None]:
    slug = form.get("campaign", "").strip()
    if not slug:
        raise FundledgerError(_("Choose the campaign whose gifts to receipt."))
    ends = []
    for name, label in (("from", _("From")), ("to", _("To"))):
        text = form.get(name, "").strip()
        try:
            ends.append(date.fromisoformat(text) if text else None)
        except ValueError:
            raise FundledgerError(
                _(
                    "{field}: {value} is not a date; write it as 2025-07-03 (year, month, day).",
                    field=label,
                    value=text,
                )
            ) from None
    start, end = ends
    if (start is None) != (end is None):
        raise FundledgerError(_("A period needs both ends: give both “from” and “to” dates."))
    if start is not None and end is not None and start > end:
        raise FundledgerError(_("The period starts ({start}) after it ends ({end}): swap them.",
                                start=start.isoformat(), end=end.isoformat()))  # fmt: skip
    locale = form.get("locale") or None
    if locale is not None and locale not in LOCALES:
        raise FundledgerError(_("Choose the receipt's language from the list."))
    period = Period(start, end) if start is not None and end is not None else None
    return slug, period, locale


@bp.route("/receipts.zip")
def download_many() -> ResponseReturnValue:
    """Copies of many receipts in one zip: those numbered (?receipt=R-2025-00001&...: a batch
    just issued) or those the list's filter matches (year, campaign, number)."""
    actor, locale = db.current_actor(), locale_field()
    require(actor, Role.TREASURER, "print receipts")
    try:
        numbers = [ReceiptNumber.parse(text) for text in request.args.getlist("receipt")]
        wanted: ReceiptFilter | list[ReceiptNumber] = numbers or ReceiptFilter(
            year=whole_field("year", _("Year"), 1900, 9999),
            campaign=text_field("campaign", _("Campaign")),
            number=text_field("number", _("Number")),
        )
        documents, logos = db.run(lambda session, _: receipt_copies(
            session, actor, wanted, most=ZIP_MOST))  # fmt: skip
    except PermissionDenied:
        raise
    except (BadField, FundledgerError) as error:
        return refused(str(error))
    if not documents:
        return refused(_("No receipt matches: nothing to download."), 404)
    from fundledger.reports.pdf.receipt import write_receipt_pdf  # ReportLab: only here

    archive = io.BytesIO()
    with tempfile.TemporaryDirectory(prefix="fundledger-web-") as folder, \
            zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as packed:  # fmt: skip
        for document in documents:
            drawn = replace(document, locale=locale or document.locale)
            suffix = "-copy" if drawn.locale == document.locale else f"-copy-{drawn.locale}"
            name = f"{document.number}{suffix}.pdf"
            logo = logos.get(document.logo) if document.logo else None
            try:
                write_receipt_pdf(drawn, Path(folder) / name, copy=True, logo=logo)
            except FundledgerError as error:  # a name the font cannot draw
                return refused(f"{document.number}: {error}")
            packed.write(Path(folder) / name, name)
    archive.seek(0)
    return send_file(archive, mimetype="application/zip", as_attachment=True,
                     download_name="receipts.zip")  # fmt: skip


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
