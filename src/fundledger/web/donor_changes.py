"""Changing a donor from their page, for a treasurer: their details (`donor edit`, the ID
number with them), merging them into another donor (`donor merge`) and undoing a merge
(`donor unmerge`). A merge and its undoing go through a confirmation that shows both donors
and their gift counts: the form posts to a preview (the service call in a transaction rolled
back), whose confirm button posts the same fields again with `confirm`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from flask import Blueprint, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from fundledger.domain.access import PermissionDenied, Role, require
from fundledger.domain.errors import FundledgerError
from fundledger.services.browse import NoSuchDonor
from fundledger.services.context import CommandContext
from fundledger.services.donors import (
    EDITABLE,
    DonorDetails,
    DonorEdit,
    donor_details,
    edit_donor_as,
    merge_donors,
    undo_merge,
)
from fundledger.web import db
from fundledger.web.confirm import carried, confirmed, preview_or_record
from fundledger.web.donors import donor_with_forms
from fundledger.web.i18n import gettext as _
from fundledger.web.listing import render

bp = Blueprint("donor_changes", __name__, url_prefix="/donors")
T = TypeVar("T")
LARGEST_ID = 10**18


@dataclass(frozen=True)
class Pair:
    """A merge's two donors as they stand before it (or before its undoing)."""

    merged: DonorDetails
    into: DonorDetails


@dataclass(frozen=True)
class Merging:
    """What a merge (or its undoing) recorded, its number, and its two donors before it."""

    merge_id: int
    pair: Pair


@bp.route("/<int:donor_id>/edit", methods=["POST"])
def edit(donor_id: int) -> ResponseReturnValue:
    """`donor edit DONOR --name ... --reason ...`: every field of the form is sent as it
    stands (the page fills them with the donor's details); "" clears one, and only what
    differs is recorded."""
    form = request.form
    actor = db.current_actor()
    require(actor, Role.TREASURER, "edit a donor")  # before the form: a viewer gets 403
    given = {field: form.get(field, "") for field in EDITABLE if field in form}

    def work(session: Session, context: CommandContext) -> DonorEdit:
        _require_donor(session, donor_id)
        return edit_donor_as(actor, session, context, donor_id=donor_id,
                             reason=form.get("reason", ""), **given)  # fmt: skip

    done = _write(donor_id, "edit", work, confirmed=True)
    if not isinstance(done, DonorEdit):
        return done  # the page with the form sent back
    names = {"name": _("name"), "email": _("e-mail"), "address": _("address"),
             "phone": _("phone"), "language": _("language"), "tax_id": _("ID number")}  # fmt: skip
    flash(_("Donor #{donor}: changed {fields}.", donor=donor_id,
            fields=", ".join(names[field] for field in done.changes)))  # fmt: skip
    return redirect(url_for("donors.donor", donor_id=donor_id), 303)


@bp.route("/<int:donor_id>/merge", methods=["POST"])
def merge(donor_id: int) -> ResponseReturnValue:
    """`donor merge DONOR INTO --reason ...`: this donor's gifts count as donor INTO's."""
    form = request.form
    actor = db.current_actor()
    require(actor, Role.TREASURER, "merge donors")  # before the form: a viewer gets 403
    text = form.get("into", "").strip().lstrip("#")
    if not text.isdigit() or not 1 <= int(text) <= LARGEST_ID:
        return donor_with_forms(donor_id, MultiDict(form), _(
            "Give the number of the donor to merge into, as their page shows it (#12: 12)."),
            "merge", 422)  # fmt: skip
    into_id = int(text)

    def work(session: Session, context: CommandContext) -> Merging:
        _require_donor(session, donor_id)
        pair = Pair(donor_details(session, donor_id, actor=actor),
                    _other(session, into_id))  # fmt: skip
        made = merge_donors(session, context, merged_id=donor_id, into_id=into_id,
                            reason=form.get("reason", ""), actor=actor)  # fmt: skip
        return Merging(made.id, pair)

    confirming = confirmed()
    outcome = _write(donor_id, "merge", work, confirmed=confirming)
    if not isinstance(outcome, Merging):
        return outcome  # the page with the form sent back
    if not confirming:
        return render("donor_confirm.html", action="merge", pair=outcome.pair,
                      donor_id=donor_id, fields=carried(form))  # fmt: skip
    flash(_("Donor #{merged} merged into #{into} (merge #{merge}): their gifts count as one "
            "donor's.", merged=donor_id, into=into_id, merge=outcome.merge_id))  # fmt: skip
    return redirect(url_for("donors.donor", donor_id=into_id), 303)


@bp.route("/<int:donor_id>/unmerge", methods=["POST"])
def unmerge(donor_id: int) -> ResponseReturnValue:
    """`donor unmerge MERGE --reason ...` for the merge this donor is in now."""
    form = request.form
    actor = db.current_actor()
    require(actor, Role.TREASURER, "undo a donor merge")  # before the form: a viewer gets 403

    def work(session: Session, context: CommandContext) -> Merging:
        _require_donor(session, donor_id)
        merged = donor_details(session, donor_id, actor=actor)
        if merged.merge_id is None or merged.merged_into is None:
            raise FundledgerError(_("Donor #{donor} is not merged into another donor: nothing "
                                    "to undo.", donor=donor_id))  # fmt: skip
        pair = Pair(merged, donor_details(session, merged.merged_into, actor=actor))
        undo_merge(session, context, merge_id=merged.merge_id, reason=form.get("reason", ""),
                   actor=actor)  # fmt: skip
        return Merging(merged.merge_id, pair)

    confirming = confirmed()
    outcome = _write(donor_id, "unmerge", work, confirmed=confirming)
    if not isinstance(outcome, Merging):
        return outcome  # the page with the form sent back
    pair = outcome.pair
    if not confirming:
        return render("donor_confirm.html", action="unmerge", pair=pair, donor_id=donor_id,
                      fields=carried(form))  # fmt: skip
    flash(_("Merge #{merge} undone: donors #{merged} and #{into} count apart again.",
            merge=pair.merged.merge_id, merged=donor_id, into=pair.into.id))  # fmt: skip
    return redirect(url_for("donors.donor", donor_id=donor_id), 303)


def _write(
    donor_id: int,
    action: str,
    work: Callable[[Session, CommandContext], T],
    *,
    confirmed: bool,
) -> T | ResponseReturnValue:
    """`work` recorded, or previewed unless `confirmed` (web/confirm.py); a mistake in the
    form is the donor's page with the form and the message beside the `action`'s form."""
    return preview_or_record(
        work, confirmed=confirmed, missing=NoSuchDonor,
        sent_back=lambda form, message: donor_with_forms(donor_id, form, message, action, 422),
    )  # fmt: skip


def _require_donor(session: Session, donor_id: int) -> None:
    """404 for a donor who is not in the ledger (the service would say so as a mistake)."""
    try:
        donor_details(session, donor_id, actor=db.current_actor())
    except PermissionDenied:
        raise
    except FundledgerError:
        raise NoSuchDonor(f"no donor #{donor_id}") from None


def _other(session: Session, donor_id: int) -> DonorDetails:
    """The other donor of a merge: one that is not there is a mistake in the form."""
    try:
        return donor_details(session, donor_id, actor=db.current_actor())
    except PermissionDenied:
        raise
    except FundledgerError:
        raise FundledgerError(_("There is no donor #{donor}: check the number on their page.",
                                donor=donor_id)) from None  # fmt: skip
