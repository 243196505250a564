"""fundledger report campaign"""

from __future__ import annotations

import json
from pathlib import Path

import click
from sqlalchemy.orm import Session

from fundledger.cli.common import Ledger
from fundledger.domain.errors import FundledgerError
from fundledger.domain.rates import FixedRate
from fundledger.reports.summary_json import summary_to_dict
from fundledger.services.context import CommandContext
from fundledger.services.reports import CampaignSummary, campaign_summary


@click.group()
def report() -> None:
    """Reports computed from the ledger."""


@report.command("campaign")
@click.argument("slug")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["json"]),
    default="json",
    show_default=True,
    help="Output format (PDF and CSV come with the report layouts).",
)
@click.option(
    "--fixed-rate",
    metavar='"1 ILS = 0.2911 USD"',
    help="Also state the total at this single rate (either direction).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, writable=True, path_type=Path),
    help="Write to this file instead of standard output.",
)
@click.pass_obj
def campaign(
    ledger: Ledger, slug: str, output_format: str, fixed_rate: str | None, output: Path | None
) -> None:
    """Totals of campaign SLUG in ILS and USD, converted gift by gift at the rate of its date.

    \b
    Example:
      fundledger report campaign dont-look-away --fixed-rate "1 ILS = 0.2911 USD"
    """

    def work(session: Session, context: CommandContext) -> CampaignSummary:
        settings = context.settings
        headline_rate = (
            FixedRate.parse(fixed_rate, settings.home_currency, settings.reporting_currency)
            if fixed_rate
            else None
        )
        return campaign_summary(session, context, slug, headline_rate)

    summary = ledger.run(work)
    text = json.dumps(summary_to_dict(summary), ensure_ascii=False, indent=2) + "\n"
    if output is None:
        click.echo(text, nl=False)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise FundledgerError(f"cannot write {output}: {error.strerror or error}") from None
    click.echo(f"Wrote {output}.", err=True)
