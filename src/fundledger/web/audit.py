"""The audit trail, newest first, filtered by kind of row (or one row), action, who and dates,
a page at a time; each event's details shown as indented JSON. For those who keep the books
only: the trail names who did what to which donor, and can tie an anonymous gift to its giver."""

from __future__ import annotations

import json
from dataclasses import dataclass

from flask import Blueprint
from flask.typing import ResponseReturnValue

from fundledger.domain.access import PermissionDenied, Role, require
from fundledger.domain.errors import FundledgerError
from fundledger.services.audit import AuditEntry, AuditFilter, audit_page
from fundledger.services.context import CHAIN_FROM, CHAIN_HEADS
from fundledger.web import db
from fundledger.web.i18n import N_
from fundledger.web.i18n import gettext as _
from fundledger.web.listing import (
    BadField,
    date_field,
    page_number,
    render,
    text_field,
    whole_field,
)

bp = Blueprint("audit", __name__, url_prefix="/audit")
# The kinds of row the trail is about, as the filter offers them (translated where shown).
KINDS = {
    "donation": N_("Gifts"), "receipt": N_("Receipts"), "exchange_rate": N_("Rates"),
    "donor": N_("Donors"), "donor_merge": N_("Donor merges"), "campaign": N_("Campaigns"),
    "setting": N_("Settings"), "import_profile": N_("Import profiles"),
}  # fmt: skip
LARGEST_ID = 10**18


@dataclass(frozen=True)
class ShownEvent:
    event: AuditEntry
    details: str  # indented JSON, as stored (the chain's bookkeeping left out)


@bp.route("")
def index() -> ResponseReturnValue:
    actor = db.current_actor()
    require(actor, Role.TREASURER, "read the audit trail")  # before reading the form
    try:
        wanted = _filter()
    except BadField as error:
        return render("audit.html", 400, events=None, found=None, kinds=KINDS, error=str(error))
    page = page_number()
    try:
        found = db.run(lambda session, _: audit_page(session, actor, wanted, page=page))
    except PermissionDenied:
        raise
    except FundledgerError as error:  # a row that was never there; dates the wrong way round
        return render("audit.html", 400, events=None, found=None, kinds=KINDS, error=str(error))
    events = [ShownEvent(event, event_details(event)) for event in found.items]
    return render("audit.html", events=events, found=found, kinds=KINDS, error=None)


def _filter() -> AuditFilter:
    entity = text_field("entity", _("Kind of row"))
    if entity is not None and entity not in KINDS:
        raise BadField(_("Kind of row: choose one from the list."))
    row = whole_field("id", _("Row number"), 1, LARGEST_ID)
    if row is not None and entity is None:
        raise BadField(_("Row number: choose the kind of row too."))
    return AuditFilter(
        entity=entity, entity_id=row,
        action=text_field("action", _("Action")), actor=text_field("actor", _("Who")),
        first=date_field("from", _("From")), last=date_field("to", _("To")),
    )  # fmt: skip


def event_details(event: AuditEntry) -> str:
    # Which chain rows the event covers is for `check`, not for a person reading the trail.
    shown = {key: value for key, value in event.details.items()
             if key not in (CHAIN_HEADS, CHAIN_FROM)}  # fmt: skip
    return json.dumps(shown, indent=2, ensure_ascii=False, sort_keys=True) if shown else ""
