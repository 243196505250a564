"""Who is acting, through which command, under which settings; and the audit trail they leave."""

from __future__ import annotations

import getpass
import json
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from fundledger.adapters.db.chain import extended_heads, extended_starts
from fundledger.adapters.db.models import AuditEvent
from fundledger.domain.settings import LedgerSettings
from fundledger.services.validation import bounded_text

# The key of an audit event's details naming the last row of each chain its change extended.
CHAIN_HEADS = "chain_heads"
# ... and the row each chain's last row was before the change's first (GENESIS: none): the
# change wrote the rows after it up to its head, and only those.
CHAIN_FROM = "chain_from"


def current_actor() -> str:
    """The person at the keyboard: FUNDLEDGER_USER if set, else the login name."""
    explicit = bounded_text("FUNDLEDGER_USER", os.environ.get("FUNDLEDGER_USER"), AuditEvent.actor)
    if explicit:
        return explicit
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


@dataclass(frozen=True, slots=True)
class CommandContext:
    command: str
    actor: str = field(default_factory=current_actor)
    settings: LedgerSettings = field(default_factory=LedgerSettings)


def now() -> datetime:
    return datetime.now(UTC)


def record_audit(
    session: Session,
    context: CommandContext,
    action: str,
    *,
    entity: str | None = None,
    entity_id: int | None = None,
    details: dict[str, Any] | None = None,
    reason: str | None = None,
) -> None:
    """Write an audit event in the caller's transaction: it lands exactly when the change does.

    Its details name the last row of each chain the transaction extended (`CHAIN_HEADS`): the
    rows at the end of a chain can be cut off without breaking it, but not without leaving an
    audit event that names a row no longer there (`fundledger check` looks). So call it after
    the change's chained writes. They also name where the transaction started extending each
    chain (`CHAIN_FROM`): `check` names every row no audit event's range (after its start, up
    to its head) covers, as written without one."""
    session.flush()  # the changes so far are in their chains
    connection = session.connection()
    heads = {table: head for table, head in extended_heads(connection).items()
             if table != AuditEvent.__tablename__}  # fmt: skip
    if heads:
        starts = extended_starts(connection)
        details = {**(details or {}), CHAIN_HEADS: heads,
                   CHAIN_FROM: {table: starts[table] for table in heads}}  # fmt: skip
    session.add(
        AuditEvent(
            occurred_at=now(),
            actor=context.actor,
            command=context.command[:200],
            action=action,
            entity=entity,
            entity_id=entity_id,
            details=json.dumps(details or {}, ensure_ascii=False, sort_keys=True, default=str),
            reason=reason,
        )
    )
