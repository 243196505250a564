"""fundledger rates add|show"""

from __future__ import annotations

from datetime import date

import click

from fundledger.cli.common import ISO_DATE, Ledger
from fundledger.domain.rates import Rate, parse_rate
from fundledger.services.rates import MANUAL_SOURCE, add_rate, rate_in_force


@click.group()
def rates() -> None:
    """Dated exchange rates: 1 BASE = RATE QUOTE on a date."""


@rates.command("add")
@click.argument("on", metavar="DATE", type=ISO_DATE)
@click.argument("base")
@click.argument("quote")
@click.argument("rate", metavar="RATE")
@click.option("--source", default=MANUAL_SOURCE, show_default=True, help="Who published it.")
@click.pass_obj
def add(ledger: Ledger, on: date, base: str, quote: str, rate: str, source: str) -> None:
    """Record that on DATE, 1 BASE = RATE QUOTE (exactly as published, never inverted).

    Rows are never changed: to correct a rate, add the right value for the same date, pair
    and --source; the newest row for those supersedes the earlier one.

    \b
    Example:
      fundledger rates add 2025-07-03 USD ILS 3.376
    """
    recorded = ledger.run(
        lambda session, context: add_rate(
            session,
            context,
            Rate(on, base, quote, parse_rate(rate), source),
        ),
        write=True,
    )
    click.echo(f"{recorded.describe()}.")


@rates.command("show")
@click.argument("on", metavar="DATE", type=ISO_DATE)
@click.argument("base")
@click.argument("quote")
@click.pass_obj
def show(ledger: Ledger, on: date, base: str, quote: str) -> None:
    """Show the rate in force on DATE for BASE/QUOTE and where it comes from.

    \b
    Example:
      fundledger rates show 2025-07-05 USD ILS
      2025-07-05 USD/ILS = 3.3760 (manual 2025-07-03)
    """
    in_force = ledger.run(lambda session, context: rate_in_force(session, context, on, base, quote))
    click.echo(in_force.explain())
