"""fundledger audit"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, time
from typing import Any

import click
from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import (
    AuditEvent,
    Campaign,
    Donation,
    Donor,
    DonorMerge,
    ExchangeRate,
    Receipt,
    Setting,
)
from fundledger.cli.common import (
    ISO_DATE,
    OUTPUT_FORMATS,
    Ledger,
    emit_rows,
    emit_table,
    excel_option,
)
from fundledger.domain.dates import ISRAEL
from fundledger.domain.errors import FundledgerError
from fundledger.services.context import CHAIN_FROM, CHAIN_HEADS, CommandContext

ENTITY = re.compile(r"([a-z_]+)(?::([0-9]{1,18}))?")
# The rows audit events are about: the model behind each kind, and what a treasurer calls one.
ROW_KINDS: dict[str, tuple[type[Any], str]] = {
    "donation": (Donation, "gift"),
    "receipt": (Receipt, "receipt"),
    "exchange_rate": (ExchangeRate, "rate"),
    "donor": (Donor, "donor"),
    "donor_merge": (DonorMerge, "merge"),
    "campaign": (Campaign, "campaign"),
    "setting": (Setting, "setting"),
}
COLUMNS = ("id", "occurred_at", "actor", "action", "entity", "entity_id", "details", "reason",
           "command")  # fmt: skip


@click.command("audit")
@click.option("--since", type=ISO_DATE, help="Only events from this day on (Israel time).")
@click.option(
    "--entity",
    metavar="KIND[:ID]",
    help="Only events about one kind of row, or one row: donation:42 (with its reversal and "
    "receipts), receipt, rate.",
)
@click.option("--format", "output_format", type=OUTPUT_FORMATS, default="table", show_default=True)
@excel_option
@click.pass_obj
def audit(ledger: Ledger, since: date | None, entity: str | None, output_format: str) -> None:
    """The audit trail: who did what, when and why, oldest first.

    \b
    Example:
      fundledger audit --since 2025-07-01
      fundledger audit --entity donation:42
      fundledger audit --format csv > audit.csv
    """
    kind, row_id = _entity(entity)

    def work(session: Session, _: CommandContext) -> list[dict[str, Any]]:
        query = select(AuditEvent).order_by(AuditEvent.id)
        if since is not None:
            start = datetime.combine(since, time(), ISRAEL).astimezone(UTC)
            query = query.where(AuditEvent.occurred_at >= start)
        if kind is not None and row_id is None:
            query = query.where(AuditEvent.entity == kind)
        elif kind is not None and row_id is not None:
            _require_row(session, kind, row_id)
            query = query.where(_about(kind, row_id))
        return [_row(event) for event in session.scalars(query)]

    rows = ledger.run(work)
    emit_rows(
        output_format,
        rows,
        COLUMNS,
        lambda: emit_table(
            [[str(row["id"]), _local(row["occurred_at"]), str(row["actor"]), str(row["action"]),
              f"{row['entity'] or ''}{'#' + str(row['entity_id']) if row['entity_id'] else ''}",
              _summary(row)] for row in rows],
            ["ID", "WHEN (ISRAEL)", "WHO", "ACTION", "ROW", "DETAILS"],
            right_aligned=[0],
        ),
    )  # fmt: skip


def _about(kind: str, row_id: int | None) -> ColumnElement[bool]:
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


def _require_row(session: Session, kind: str, row_id: int) -> None:
    """An empty trail for a row that was never there would read as "nothing happened to it":
    say that there is no such row instead (a mistyped number, another ledger)."""
    shown = f"--entity {'rate' if kind == 'exchange_rate' else kind}:{row_id}"
    if kind not in ROW_KINDS:
        known = ", ".join(sorted({"rate" if each == "exchange_rate" else each
                                  for each in ROW_KINDS}))  # fmt: skip
        raise FundledgerError(f"{shown}: no kind of row {kind!r} has an audit "
                              f"trail; use one of {known}")  # fmt: skip
    model, called = ROW_KINDS[kind]
    if session.get(model, row_id) is None:
        raise FundledgerError(f"{shown}: there is no {called} #{row_id} in this "
                              f"ledger (check the number, and --db)")  # fmt: skip


def _entity(text: str | None) -> tuple[str | None, int | None]:
    if text is None:
        return None, None
    found = ENTITY.fullmatch(text.strip().lower())
    if found is None:
        raise click.BadParameter(f"{text!r}: write a kind of row, or kind:ID (donation:42)",
                                 param_hint="--entity")  # fmt: skip
    kind = {"rate": "exchange_rate"}.get(found[1], found[1])
    return kind, int(found[2]) if found[2] else None


def _row(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": event.id, "occurred_at": event.occurred_at.isoformat(), "actor": event.actor,
        "action": event.action, "entity": event.entity, "entity_id": event.entity_id,
        "details": json.loads(event.details), "reason": event.reason, "command": event.command,
    }  # fmt: skip


def _local(moment: str) -> str:
    return datetime.fromisoformat(moment).astimezone(ISRAEL).strftime("%Y-%m-%d %H:%M")


def _summary(row: dict[str, Any]) -> str:
    # Which chain rows the event covers is for `check`, not for a person reading the trail.
    hidden = (CHAIN_HEADS, CHAIN_FROM)
    details = ", ".join(f"{key} {value}" for key, value in row["details"].items()
                        if value not in (None, "") and key not in hidden)  # fmt: skip
    reason = f" (why: {row['reason']})" if row["reason"] else ""
    text = details + reason
    return text if len(text) <= 90 else text[:89] + "…"
