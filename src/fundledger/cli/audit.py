"""fundledger audit"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time
from typing import Any

import click
from sqlalchemy.orm import Session

from fundledger.cli.common import (
    ISO_DATE,
    OUTPUT_FORMATS,
    Ledger,
    emit_rows,
    emit_table,
    excel_option,
)
from fundledger.domain.dates import ISRAEL
from fundledger.services.audit import AuditEntry, audit_trail
from fundledger.services.context import CHAIN_FROM, CHAIN_HEADS, CommandContext

ENTITY = re.compile(r"([a-z_]+)(?::([0-9]{1,18}))?")
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
    start = None if since is None else datetime.combine(since, time(), ISRAEL).astimezone(UTC)

    def work(session: Session, _: CommandContext) -> list[dict[str, Any]]:
        trail = audit_trail(session, since=start, kind=kind, row_id=row_id)
        return [_row(event) for event in trail]

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


def _entity(text: str | None) -> tuple[str | None, int | None]:
    if text is None:
        return None, None
    found = ENTITY.fullmatch(text.strip().lower())
    if found is None:
        raise click.BadParameter(f"{text!r}: write a kind of row, or kind:ID (donation:42)",
                                 param_hint="--entity")  # fmt: skip
    kind = {"rate": "exchange_rate"}.get(found[1], found[1])
    return kind, int(found[2]) if found[2] else None


def _row(event: AuditEntry) -> dict[str, Any]:
    return {
        "id": event.id, "occurred_at": event.occurred_at.isoformat(), "actor": event.actor,
        "action": event.action, "entity": event.entity, "entity_id": event.entity_id,
        "details": dict(event.details), "reason": event.reason, "command": event.command,
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
