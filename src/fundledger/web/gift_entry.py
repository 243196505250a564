"""Entering gifts: the gift form (its page, its preview and "save and add another"), the donor
suggestions it asks for as the treasurer types, and batch entry of a stack of cheques or a
cash box. Each write is one service call in one transaction (record_donation, record_batch)
with the signed-in user as actor, whose role the service checks; a preview only reads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, abort, flash, jsonify, redirect, request, session, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from fundledger.domain.access import PermissionDenied, Role, require
from fundledger.domain.dates import today_in_israel
from fundledger.domain.errors import FundledgerError
from fundledger.domain.methods import METHODS
from fundledger.domain.money import Money, currency_in_use
from fundledger.reports.i18n import Reader
from fundledger.services.browse import GiftLine, find_donors, gift_lines
from fundledger.services.campaigns import CampaignInfo, NoSuchCampaign
from fundledger.services.context import CommandContext
from fundledger.services.donations import record_donation
from fundledger.services.gift_entry import (
    MOST_BATCH_ROWS,
    BatchMismatch,
    BatchRow,
    BatchRowRefused,
    BatchTotals,
    GiftPreview,
    batch_totals,
    entry_campaign,
    preview_gift,
    record_batch,
)
from fundledger.web import db
from fundledger.web.i18n import gettext as _
from fundledger.web.i18n import language
from fundledger.web.listing import render
from fundledger.web.messages import rate_gap, service_message

bp = Blueprint("entry", __name__)
# The fields of the gift form, named as `donation add`'s options.
GIFT_FIELDS = ("date", "amount", "currency", "donor", "email", "method", "reference", "note")
# The method this user last recorded a gift with, for the next gift's form (in their session).
LAST_METHOD = "last_method"
# Batch rows shown at first, and added by "More rows": a page of cheques.
BATCH_ROWS = 10
# Suggestions shown under the donor field: a few to pick from while typing.
SUGGESTIONS = 8
SHORTEST_SUGGEST = 2


class BadEntry(FundledgerError):
    """A field of the gift form or a batch that cannot be read (said in the user's language)."""


def _campaign(slug: str) -> tuple[CampaignInfo, str, str]:
    """The campaign (404 if none), the home and reporting currencies."""
    try:
        return db.run(lambda s, c: (entry_campaign(s, slug), c.settings.home_currency,
                                    c.settings.reporting_currency))  # fmt: skip
    except NoSuchCampaign:
        abort(404)


def _treasurer() -> None:
    """The entry pages are the treasurer's: a viewer asking for one gets 403, as a forged POST
    does from the services."""
    require(db.current_actor(), Role.TREASURER, "enter gifts")


def form_values(form: MultiDict[str, str], home: str, day: str | None = None) -> dict[str, str]:
    """The gift form's fields: as sent, else the defaults (today in Israel, the home currency,
    the method this user last recorded a gift with)."""
    values = {name: form.get(name, "") for name in GIFT_FIELDS}
    values["date"] = values["date"] or day or today_in_israel().isoformat()
    values["currency"] = values["currency"] or home
    values["method"] = values["method"] if "method" in form else session.get(LAST_METHOD, "")
    values["anonymous"] = "1" if form.get("anonymous") else ""
    return values


def method_choices() -> list[tuple[str, str]]:
    """(code, name in the page's language) of each known method, for the field's list (a name
    in any language is stored as its code, as `donation add --method` takes it)."""
    here = language()
    return [(method.code, method.name(here)) for method in METHODS]


@bp.route("/campaigns/<slug>/donations/new")
def new_gift(slug: str) -> ResponseReturnValue:
    """The gift form on a page of its own; ?date= keeps the date of the gift saved before."""
    _treasurer()
    return _gift_page(slug, MultiDict(), day=request.args.get("date") or None)


def _gift_page(
    slug: str,
    form: MultiDict[str, str],
    *,
    error: str | None = None,
    preview: GiftPreview | None = None,
    status: int = 200,
    day: str | None = None,
) -> ResponseReturnValue:
    campaign, home, reporting = _campaign(slug)
    return render(
        "campaigns/gift.html",
        status,
        campaign=campaign.in_language(language()),
        values=form_values(form, home, day),
        methods=method_choices(),
        error=error,
        preview=preview,
        # Said in the page's language: an English sentence among Hebrew words reads scrambled.
        gap=rate_gap(preview.gap) if preview is not None and preview.gap is not None else None,
        home=home,
        reporting=reporting,
        reader=Reader.for_locale(language()),
    )


def record(slug: str) -> ResponseReturnValue:
    """POST /campaigns/<slug>/donations (campaigns.record): `donation add SLUG` from the form.
    "preview" shows the gift as it would be recorded and writes nothing; "again" saves and
    brings the form back for the next gift, with the same date."""
    form = request.form
    actor = db.current_actor()
    require(actor, Role.TREASURER, "record a gift")  # before the form: a viewer gets 403
    try:
        on = gift_date(form.get("date", ""))
        amount = gift_amount(form.get("amount", ""), form.get("currency", ""))
        if "preview" in form:
            found = db.run(lambda s, c: preview_gift(
                s, c, actor, campaign_slug=slug, on=on, amount=amount(c),
                donor_name=given(form, "donor"), donor_email=given(form, "email"),
                reference=given(form, "reference")))  # fmt: skip
            return _gift_page(slug, MultiDict(form), preview=found)

        def work(session: Session, context: CommandContext) -> GiftLine:
            entry = record_donation(
                session, context, campaign_slug=slug, on=on, amount=amount(context),
                donor_name=given(form, "donor"), donor_email=given(form, "email"),
                anonymous=form.get("anonymous") is not None, method=given(form, "method"),
                reference=given(form, "reference"), note=given(form, "note"), actor=actor,
            )  # fmt: skip
            # The gift as the lists show it: its value in the home currency at its date's rate.
            return gift_lines(session, context, actor, [entry.id])[0]

        # The stored summaries take the gift in its own transaction: the dashboard after it
        # counts it without reading every gift.
        line = db.run(work, write=True, summaries=True)
    except NoSuchCampaign:
        abort(404)
    except PermissionDenied:
        raise  # 403 (errors.py): not a mistake in the form
    except FundledgerError as error:
        return _gift_page(slug, MultiDict(form), error=service_message(error), status=422)
    session[LAST_METHOD] = form.get("method", "").strip()
    flash(recorded(line))
    if "again" in form:
        return redirect(url_for("entry.new_gift", slug=slug, date=on.isoformat(),
                                _anchor="gift-amount"), 303)  # fmt: skip
    # To the top of the campaign's page, where the notice is.
    return redirect(url_for("campaigns.page", slug=slug, _anchor="main"), 303)


def given(form: MultiDict[str, str], name: str) -> str | None:
    return form.get(name, "").strip() or None


def gift_date(text: str) -> date:
    if not text.strip():
        raise BadEntry(_("Give the gift's date."))
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadEntry(_("The gift's date is not a date: write it as YYYY-MM-DD (2025-07-31)."
                         )) from None  # fmt: skip


def gift_amount(amount: str, currency: str) -> Callable[[CommandContext], Money]:
    """The amount, checked now; its currency (the home currency unless given) when the
    ledger's settings are at hand."""
    if not amount.strip():
        raise BadEntry(_("Give the gift's amount, e.g. 250 or 99.50."))

    def money(context: CommandContext) -> Money:
        code = currency_in_use(currency.strip().upper() or context.settings.home_currency)
        return Money.parse(amount.strip(), code)

    return money


def recorded(line: GiftLine) -> str:
    reader = Reader.for_locale(language())
    if line.home is None:
        return _("Recorded gift #{id}: {amount} on {date}. It has no rate yet: its value "
                 "counts once a rate of its date is stored.", id=line.id,
                 amount=reader.money(line.amount), date=reader.date(line.date))  # fmt: skip
    if line.home.currency == line.amount.currency:
        return _("Recorded gift #{id}: {amount} on {date}.", id=line.id,
                 amount=reader.money(line.amount), date=reader.date(line.date))  # fmt: skip
    return _("Recorded gift #{id}: {amount} on {date}, worth {home} at that date's rate.",
             id=line.id, amount=reader.money(line.amount), date=reader.date(line.date),
             home=reader.money(line.home))  # fmt: skip


@bp.route("/donors/suggest")
def suggest() -> ResponseReturnValue:
    """Donors whose name (or e-mail, for those who may see it) matches ?q=, as JSON for the
    gift form's script: {"donors": [{"id", "name", "email", "gifts"}]}; a viewer's have no
    e-mail (find_donors), and a viewer's search by e-mail is 403."""
    actor = db.current_actor()
    wanted = request.args.get("q", "").strip()[:200]
    if len(wanted) < SHORTEST_SUGGEST:
        return jsonify(donors=[])
    try:
        found = db.run(lambda s, _c: find_donors(s, actor, wanted, per_page=SUGGESTIONS))
    except PermissionDenied:
        raise
    except FundledgerError:  # no letter or digit to look for: nothing to suggest
        return jsonify(donors=[])
    return jsonify(donors=[{"id": hit.id, "name": hit.name, "email": hit.email,
                            "gifts": hit.gifts} for hit in found.items
                           if hit.merged_into is None])  # fmt: skip


# -- Batch entry ---------------------------------------------------------------------------

ROW_FIELDS = ("date", "amount", "currency", "donor", "email", "method", "reference", "note")


@dataclass(frozen=True, slots=True)
class BatchForm:
    """A batch as sent: the stated count and total, the batch's date and method (each row's
    unless it gives its own) and the rows' fields as typed, for the page to show again."""

    count: str
    total: str
    date: str
    method: str
    rows: list[dict[str, str]]


def _batch_form(form: MultiDict[str, str], extra: int = 0) -> BatchForm:
    shown = form.get("rows", type=int) or BATCH_ROWS
    shown = max(BATCH_ROWS, min(shown + extra, MOST_BATCH_ROWS))
    rows = [{name: form.get(f"{name}-{number}", "") for name in (*ROW_FIELDS, "anonymous")}
            for number in range(1, shown + 1)]  # fmt: skip
    method = form["method"] if "method" in form else session.get(LAST_METHOD, "")
    return BatchForm(form.get("count", ""), form.get("total", ""),
                     form.get("date", "") or today_in_israel().isoformat(), method,
                     rows)  # fmt: skip


def _filled(row: dict[str, str]) -> bool:
    return any(row[name].strip() for name in ROW_FIELDS if name not in ("date", "currency"))


def _batch_rows(batch: BatchForm) -> list[BatchRow]:
    """The rows that have anything typed in them, read (a row's number is its place on the
    page, as the messages name it); empty rows are left out."""
    rows = []
    for number, row in enumerate(batch.rows, start=1):
        if not _filled(row):
            continue
        if not row["amount"].strip():
            raise BatchRowRefused(number, _("give the gift's amount"))
        try:
            on = date.fromisoformat((row["date"] or batch.date).strip())
        except ValueError:
            raise BadEntry(_("Row {row}: the date is not a date: write it as YYYY-MM-DD "
                             "(2025-07-31).", row=number)) from None  # fmt: skip
        rows.append(BatchRow(
            on=on, amount=row["amount"], currency=row["currency"].strip() or None,
            donor=row["donor"].strip() or None, email=row["email"].strip() or None,
            method=row["method"].strip() or batch.method.strip() or None,
            reference=row["reference"].strip() or None, note=row["note"].strip() or None,
            anonymous=bool(row["anonymous"]),
        ))  # fmt: skip
    if not rows:
        raise BadEntry(_("The batch has no gifts: type at least one row's amount."))
    return rows


def _stated(batch: BatchForm, home: str) -> tuple[int, Money]:
    count = batch.count.strip()
    if not count.isdigit() or int(count) < 1:
        raise BadEntry(_("State how many gifts the batch holds (a whole number, e.g. 12)."))
    try:
        total = Money.parse(batch.total.strip(), home)
    except (FundledgerError, ValueError):
        raise BadEntry(_("State the batch's total in {currency} (e.g. 1800 or 1,800.50).",
                         currency=home)) from None  # fmt: skip
    return int(count), total


@bp.get("/campaigns/<slug>/batch")
def batch(slug: str) -> ResponseReturnValue:
    """The batch page: its stated count and total, and empty rows."""
    _treasurer()
    campaign, home, _reporting = _campaign(slug)
    return _batch_page(campaign, _batch_form(MultiDict()), home)


@bp.post("/campaigns/<slug>/batch")
def batch_sent(slug: str) -> ResponseReturnValue:
    """A batch of gifts: "more" shows more rows, "check" compares the rows with the stated
    count and total, "save" records them all in one transaction (record_batch), only when
    they agree. Nothing is written but by "save"."""
    actor = db.current_actor()
    campaign, home, _reporting = _campaign(slug)
    require(actor, Role.TREASURER, "enter gifts")  # "more" and "check" too: the treasurer's
    form = request.form
    if "more" in form:
        return _batch_page(campaign, _batch_form(form, BATCH_ROWS), home)
    shown = _batch_form(form)
    try:
        rows = _batch_rows(shown)
        stated = _stated(shown, home)
        if "save" not in form:
            totals = db.run(lambda s, c: batch_totals(s, c, rows))
            return _batch_page(campaign, shown, home, totals=totals, stated=stated)
        saved = db.run(lambda s, c: record_batch(
            s, c, actor, campaign_slug=slug, rows=rows, stated_count=stated[0],
            stated_total=stated[1]), write=True, summaries=True)  # fmt: skip
    except PermissionDenied:
        raise
    except BatchMismatch as error:
        return _batch_page(campaign, shown, home, status=422, stated=(
            error.stated_count, error.stated_total),
            totals=BatchTotals(error.count, error.total))  # fmt: skip
    except BatchRowRefused as error:
        # The row's number and its problem apart: the page isolates the problem's words.
        cause = error.__cause__
        problem = service_message(cause) if isinstance(cause, FundledgerError) else error.problem
        return _batch_page(campaign, shown, home, error=problem, status=422,
                           bad_row=error.row)  # fmt: skip
    except FundledgerError as error:
        return _batch_page(campaign, shown, home, error=service_message(error), status=422)
    if shown.method.strip():
        session[LAST_METHOD] = shown.method.strip()
    reader = Reader.for_locale(language())
    flash(_("The batch is recorded. Gifts recorded: {count}, {total} in all, numbered #{first} "
            "to #{last}.", count=reader.number(len(saved)), total=reader.money(stated[1]),
            first=saved[0].id, last=saved[-1].id))  # fmt: skip
    return redirect(url_for("campaigns.page", slug=slug, _anchor="main"), 303)


def _batch_page(
    campaign: CampaignInfo,
    shown: BatchForm,
    home: str,
    *,
    status: int = 200,
    error: str | None = None,
    totals: BatchTotals | None = None,
    stated: tuple[int, Money] | None = None,
    bad_row: int | None = None,
) -> ResponseReturnValue:
    reader = Reader.for_locale(language())
    difference: dict[str, Any] | None = None
    if totals is not None and stated is not None:
        gifts = totals.count - stated[0]
        money = Money.from_minor(totals.total.to_minor() - stated[1].to_minor(), home)
        difference = {"agree": gifts == 0 and money.to_minor() == 0, "gifts": gifts,
                      "money": money, "rows": totals, "stated": stated}  # fmt: skip
    return render("campaigns/batch.html", status, campaign=campaign.in_language(language()),
                  batch=shown, home=home, error=error, difference=difference, bad_row=bad_row,
                  methods=method_choices(), reader=reader, most_rows=MOST_BATCH_ROWS)  # fmt: skip
