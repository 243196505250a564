"""fundledger init"""

from __future__ import annotations

import click

from fundledger.cli.common import Ledger
from fundledger.services.schema import initialize_ledger


@click.command()
@click.pass_obj
def init(ledger: Ledger) -> None:
    """Create the ledger, or upgrade its schema to this version. Safe to run again.

    \b
    Example:
      fundledger init
      fundledger --db postgresql://treasurer@db.example.org/ledger init
    """
    change = initialize_ledger(ledger.engine(must_exist=False), ledger.context())
    if change.changed:
        ledger.record_change()
        was = f" (was {change.before})" if change.before else ""
        click.echo(f"Ledger at {ledger.display_url} is at schema {change.after}{was}.")
    else:
        click.echo(f"Ledger at {ledger.display_url} is up to date (schema {change.after}).")
