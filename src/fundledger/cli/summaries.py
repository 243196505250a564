"""The stored summaries brought up to date before a command reads them (`report`, `campaign
list`): apart from cli/report.py, so that a list does not import the report writers (Babel,
the CSV and JSON forms) it never uses."""

from __future__ import annotations

from collections.abc import Callable

import click
from sqlalchemy.orm import Session

from fundledger.cli.common import Ledger
from fundledger.domain.text import counted
from fundledger.services.context import CommandContext
from fundledger.services.schema import require_current_schema
from fundledger.services.summary_store import refresh


def refresh_summaries(
    ledger: Ledger, check: Callable[[CommandContext], object] | None = None
) -> None:
    """Bring the stored summaries that reports read up to date, in a transaction of their
    own, saying so when there is work to do; `check(context)` first (see `refresh`)."""

    def context_of(session: Session) -> CommandContext:
        # A ledger whose schema is not current is left alone here: the report refuses it.
        require_current_schema(session.connection())
        return ledger.context(session)

    refresh(ledger.engine(), context_of, announce=_announce_summaries, check=check)


def _announce_summaries(donations: int) -> None:
    click.echo(f"Adding {counted(donations, 'donation')} to the stored summaries that reports "
               "read...",
               err=True)  # fmt: skip
