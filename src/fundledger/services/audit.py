"""The audit trail as `fundledger audit` reads it: every event, or those of one kind of row,
or those about one row."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import (
    AuditEvent,
    Campaign,
    Donation,
    Donor,
    DonorMerge,
    ExchangeRate,
    ImportProfile,
    Receipt,
    Setting,
)
from fundledger.domain.access import Actor, Role, require
from fundledger.domain.dates import ISRAEL
from fundledger.domain.errors import FundledgerError
from fundledger.services.browse import PER_PAGE, Page, check_page

# The rows audit events are about: the model behind each kind, and what a treasurer calls one.
ROW_KINDS: dict[str, tuple[type[Any], str]] = {
    "donation": (Donation, "gift"),
    "receipt": (Receipt, "receipt"),
    "exchange_rate": (ExchangeRate, "rate"),
    "donor": (Donor, "donor"),
    "donor_merge": (DonorMerge, "merge"),
    "campaign": (Campaign, "campaign"),
    "setting": (Setting, "setting"),
    "import_profile": (ImportProfile, "import profile"),
}


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One event of the trail, as plain values (its details decoded from their JSON)."""

    id: int
    occurred_at: datetime
    actor: str
    action: str
    entity: str | None
    entity_id: int | None
    details: Mapping[str, Any]
    reason: str | None
    command: str


# The details of donor events that are contact details or ID numbers (services/donors.py),
# and what a reader whose role does not see them reads instead. (A donor.tax_id event's
# before/after are masked when recorded: they are for every reader.)
CONTACT_DETAILS = frozenset({"email", "address", "phone", "tax_id"})
HIDDEN = "(hidden)"


def audit_trail(
    session: Session,
    *,
    since: datetime | None,
    kind: str | None,
    row_id: int | None,
    actor: Actor | None = None,
) -> list[AuditEntry]:
    """The events from `since` on, oldest first: all of them, those about rows of `kind`, or
    those about row `row_id` of `kind`. An unknown kind, or a row that was never there, is
    refused: an empty trail would read as "nothing happened to it".

    `actor`: who reads it (None: the terminal, which sees everything); a reader whose role
    does not see contact details reads HIDDEN for a donor event's e-mail, address, phone and
    ID number."""
    query = select(AuditEvent).order_by(AuditEvent.id)
    if since is not None:
        query = query.where(AuditEvent.occurred_at >= since)
    if kind is not None:
        _require_row(session, kind, row_id)
        query = query.where(AuditEvent.entity == kind if row_id is None else _about(kind, row_id))
    hide = actor is not None and not actor.sees_contact_details
    return [_entry(event, hide=hide) for event in session.scalars(query)]


def _entry(event: AuditEvent, *, hide: bool) -> AuditEntry:
    details: dict[str, Any] = json.loads(event.details)
    if hide and event.entity == "donor":
        details = {key: HIDDEN if key in CONTACT_DETAILS and value is not None else value
                   for key, value in details.items()}  # fmt: skip
    return AuditEntry(
        id=event.id, occurred_at=event.occurred_at, actor=event.actor, action=event.action,
        entity=event.entity, entity_id=event.entity_id, details=details,
        reason=event.reason, command=event.command,
    )  # fmt: skip


def _about(kind: str, row_id: int) -> ColumnElement[bool]:
    """Events about one row; for a gift also its reversal, its receipts and the gift that
    corrects it, which name it in their details (JSON with sorted keys: `"reverses": 42,`,
    `"corrects": 42,` or `"donation": 42}`)."""
    own = (AuditEvent.entity == kind) & (AuditEvent.entity_id == row_id)
    if kind != "donation":
        return own
    naming = [
        AuditEvent.details.like(f'%"{key}": {row_id}{end}%')
        for key in ("reverses", "donation", "corrects")
        for end in (",", "}")
    ]
    return or_(own, *naming)


def _require_row(session: Session, kind: str, row_id: int | None) -> None:
    """A kind that has no audit trail, or a row that was never there (a mistyped number,
    another ledger), named as `--entity` names it."""
    shown = f"--entity {_called(kind)}" + (f":{row_id}" if row_id is not None else "")
    if kind not in ROW_KINDS:
        known = ", ".join(sorted(_called(each) for each in ROW_KINDS))
        raise FundledgerError(f"{shown}: no kind of row {kind!r} has an audit "
                              f"trail; use one of {known}")  # fmt: skip
    model, called = ROW_KINDS[kind]
    if row_id is not None and session.get(model, row_id) is None:
        raise FundledgerError(f"{shown}: there is no {called} #{row_id} in this "
                              f"ledger (check the number, and --db)")  # fmt: skip


def _called(kind: str) -> str:
    """The kind as `--entity` takes it: exchange_rate is "rate"."""
    return "rate" if kind == "exchange_rate" else kind


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which events a page of the trail shows; every condition given must hold (None: any).
    `entity` is a kind of row as stored (exchange_rate, not rate); with `entity_id`, the
    events about that row as `audit_trail` finds them."""

    entity: str | None = None
    entity_id: int | None = None
    action: str | None = None  # a part of the action (any case): "donation." or "merge"
    actor: str | None = None  # a part of who acted (any case): "dana" finds web:dana
    first: date | None = None  # days in Israel time, inclusive
    last: date | None = None


def audit_page(
    session: Session,
    actor: Actor,
    wanted: AuditFilter,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page[AuditEntry]:
    """The events that match `wanted`, newest first, a page at a time (the web's audit page).
    Only for those who keep the books: the trail names who did what to which donor, and its
    details can tie an anonymous gift to its giver."""
    require(actor, Role.TREASURER, "read the audit trail")
    check_page(page, per_page)
    if wanted.first is not None and wanted.last is not None and wanted.first > wanted.last:
        raise FundledgerError(f"from {wanted.first} is after to {wanted.last}: nothing could "
                              "match; swap them")  # fmt: skip
    conditions: list[ColumnElement[bool]] = []
    if wanted.entity is not None:
        _require_row(session, wanted.entity, wanted.entity_id)
        conditions.append(AuditEvent.entity == wanted.entity if wanted.entity_id is None
                          else _about(wanted.entity, wanted.entity_id))  # fmt: skip
    for column, part in ((AuditEvent.action, wanted.action), (AuditEvent.actor, wanted.actor)):
        if part:
            conditions.append(func.lower(column).contains(part.lower(), autoescape=True))
    if wanted.first is not None:
        conditions.append(AuditEvent.occurred_at >= _israel_midnight(wanted.first))
    if wanted.last is not None:
        conditions.append(AuditEvent.occurred_at < _israel_midnight(wanted.last + timedelta(1)))
    total = int(session.scalar(select(func.count()).select_from(AuditEvent)
                               .where(*conditions)) or 0)  # fmt: skip
    events = session.scalars(
        select(AuditEvent).where(*conditions).order_by(AuditEvent.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    )  # fmt: skip
    # Only those who see contact details get here: nothing hidden.
    return Page(tuple(_entry(event, hide=False) for event in events), page, per_page, total)


def _israel_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), ISRAEL).astimezone(UTC)
