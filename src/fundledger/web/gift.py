"""A gift's page: the gift as recorded and its history from the audit trail; for a treasurer,
reversing it (`donation reverse`) and correcting it (`donation correct`), each in two steps:
the form posts to a preview (the same service call in a transaction rolled back, which shows
what the campaign's totals become) and the preview's confirm button posts the same fields
again with `confirm`, which records it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import TypeVar

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from fundledger.domain.access import Role, require
from fundledger.domain.errors import FundledgerError
from fundledger.domain.methods import METHODS
from fundledger.reports.i18n import LOCALES
from fundledger.services.context import CommandContext
from fundledger.services.donations import (
    Correction,
    Reversal,
    correct_donation,
    reverse_with_totals,
)
from fundledger.services.histories import GiftDetails, NoSuchGift, gift_details, require_gift
from fundledger.web import db

# The trail's details as the audit page shows them (the chain's bookkeeping left out).
from fundledger.web.audit import ShownEvent, event_details
from fundledger.web.confirm import carried, confirmed, preview_or_record
from fundledger.web.i18n import gettext as _
from fundledger.web.listing import render

bp = Blueprint("gift", __name__, url_prefix="/gifts")
T = TypeVar("T")
# The correction form's fields, named as `donation correct`'s options; empty: kept as it is.
CORRECT_FIELDS = ("date", "amount", "currency", "donor", "email", "method", "note")
# The form's choice for --anonymous/--named: "" keeps the gift's.
ANONYMITY = {"": None, "anonymous": True, "named": False}


class BadForm(FundledgerError):
    """A field of a correcting form that cannot be read; the message says which and how."""


@bp.route("/<int:gift_id>")
def page(gift_id: int) -> ResponseReturnValue:
    return _gift_page(gift_id, MultiDict(), None, None, 200)


def _gift_page(
    gift_id: int,
    form: MultiDict[str, str],
    problem: str | None,
    failed: str | None,
    status: int,
) -> ResponseReturnValue:
    """The gift's page; `form`, `problem` and `failed` ("reverse" or "correct"): a form sent
    back with what was wrong in it, beside that form."""
    actor = db.current_actor()
    try:
        shown = db.run(lambda session, context: _details(session, context, gift_id))
    except NoSuchGift:
        abort(404)
    events = [ShownEvent(event, event_details(event)) for event in shown.history]
    return render("gift.html", status, gift=shown, events=events, form=form, problem=problem,
                  failed=failed,
                  may_change=actor.may(Role.TREASURER) and _changeable(shown),
                  methods=METHODS)  # fmt: skip


def _details(session: Session, context: CommandContext, gift_id: int) -> GiftDetails:
    return gift_details(session, context, db.current_actor(), gift_id)


def _changeable(shown: GiftDetails) -> bool:
    """A gift that still counts may be reversed or corrected; a reversal, or a gift reversed
    already, may not (the services say why to one who tries)."""
    return shown.counted


@bp.route("/<int:gift_id>/reverse", methods=["POST"])
def reverse(gift_id: int) -> ResponseReturnValue:
    """`donation reverse ID --reason [--locale]`: a preview, then with `confirm` the record."""
    form = request.form
    actor = db.current_actor()
    require(actor, Role.TREASURER, "reverse a gift")  # before the form: a viewer gets 403
    reason, locale, confirming = form.get("reason", ""), _locale(form), confirmed()

    def work(session: Session, context: CommandContext) -> Reversal:
        require_gift(session, gift_id)  # 404, not a mistake in the form
        # The totals before and after are the preview's: the confirmed write skips them.
        return reverse_with_totals(session, context, donation_id=gift_id, reason=reason,
                                   locale=locale, actor=actor,
                                   totals=not confirming)  # fmt: skip

    outcome = _write(gift_id, "reverse", work, confirming)
    if not isinstance(outcome, Reversal):
        return outcome
    if not confirming:
        return render("gift_confirm.html", action="reverse", gift_id=gift_id, outcome=outcome,
                      changes=[], fields=carried(form))  # fmt: skip
    flash(_("Gift #{gift} reversed by #{reversal}.", gift=gift_id, reversal=outcome.reversal.id))
    if outcome.credit is not None:
        flash(_("Credit receipt {number} issued, cancelling receipt {cancelled}.",
                number=outcome.credit.number, cancelled=outcome.credit.credits))  # fmt: skip
    return redirect(url_for("gift.page", gift_id=gift_id), 303)


@bp.route("/<int:gift_id>/correct", methods=["POST"])
def correct(gift_id: int) -> ResponseReturnValue:
    """`donation correct ID --reason [--date ...]`: a preview, then with `confirm` the record;
    what is left empty is kept as the gift has it."""
    form = request.form
    actor = db.current_actor()
    require(actor, Role.TREASURER, "correct a gift")  # before the form: a viewer gets 403
    try:
        on = _date(form.get("date", ""))
        anonymous = ANONYMITY[form.get("anonymous", "")]
    except (BadForm, KeyError) as error:
        message = str(error) if isinstance(error, BadForm) else _("Choose from the list.")
        return _gift_page(gift_id, MultiDict(form), message, "correct", 422)

    confirming = confirmed()

    def given(name: str) -> str | None:
        return form.get(name, "").strip() or None

    def work(session: Session, context: CommandContext) -> Correction:
        require_gift(session, gift_id)  # 404, not a mistake in the form
        return correct_donation(
            session, context, donation_id=gift_id, reason=form.get("reason", ""), on=on,
            amount=given("amount"), currency=(given("currency") or "").upper() or None,
            donor_name=given("donor"), donor_email=given("email"), method=given("method"),
            note=given("note"), anonymous=anonymous, locale=_locale(form), actor=actor,
            totals=not confirming,  # the preview's, as for a reversal
        )  # fmt: skip

    outcome = _write(gift_id, "correct", work, confirming)
    if not isinstance(outcome, Correction):
        return outcome
    if not confirming:
        return render("gift_confirm.html", action="correct", gift_id=gift_id, outcome=outcome,
                      changes=_shown_changes(outcome), fields=carried(form))  # fmt: skip
    flash(_("Gift #{gift} corrected: reversed by #{reversal}, recorded again as #{new}.",
            gift=gift_id, reversal=outcome.reversal.id, new=outcome.corrected.id))  # fmt: skip
    if outcome.credit is not None:
        flash(_("Credit receipt {number} issued, cancelling receipt {cancelled}; issue the "
                "corrected gift's receipt from the receipts page.",
                number=outcome.credit.number, cancelled=outcome.credit.credits))  # fmt: skip
    return redirect(url_for("gift.page", gift_id=outcome.corrected.id), 303)


def _write(
    gift_id: int,
    action: str,
    work: Callable[[Session, CommandContext], T],
    confirming: bool,
) -> T | ResponseReturnValue:
    """`work` previewed or recorded (web/confirm.py); a mistake in the form is the gift's
    page with the form and the message beside the `action`'s form."""
    return preview_or_record(
        work, confirmed=confirming, missing=NoSuchGift,
        sent_back=lambda form, message: _gift_page(gift_id, form, message, action, 422),
    )  # fmt: skip


def _date(text: str) -> date | None:
    if not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise BadForm(_("The gift's date is not a date: write it as YYYY-MM-DD (2025-07-31)."
                        )) from None  # fmt: skip


def _locale(form: MultiDict[str, str]) -> str | None:
    """The credit receipt's language; anything but a report language is the default (the
    donor's, else the receipt's)."""
    chosen = form.get("locale", "")
    return chosen if chosen in LOCALES else None


def _shown_changes(outcome: Correction) -> list[tuple[str, str, str]]:
    """What the correction changes, each field named in the page's language (the service
    gives them as `donation correct` prints them)."""
    labels = {"date": _("Date"), "amount": _("Amount"), "donor": _("Donor"),
              "anonymous": _("Anonymous"), "method": _("Method"), "note": _("Note")}  # fmt: skip
    yes_no = {"true": _("yes"), "false": _("no")}
    shown = []
    for field, (before, after) in outcome.changes.items():
        if field == "anonymous":  # "true"/"false" as the CLI prints them
            shown.append((labels[field], yes_no[before], yes_no[after]))
        else:
            shown.append((labels.get(field, field), before, after))
    return shown
