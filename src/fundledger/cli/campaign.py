"""fundledger campaign add|list"""

from __future__ import annotations

from datetime import date

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
from fundledger.domain.money import Money, format_money
from fundledger.services.campaigns import CampaignInfo, add_campaign, list_campaigns
from fundledger.services.context import CommandContext


@click.group()
def campaign() -> None:
    """Fundraising campaigns."""


@campaign.command("add")
@click.argument("slug")
@click.option("--name", required=True, help="The campaign's name as donors know it.")
@click.option("--goal", metavar="AMOUNT", help="Target amount in the home currency (ILS).")
@click.option("--start", type=ISO_DATE, help="First day, YYYY-MM-DD.")
@click.option("--end", type=ISO_DATE, help="Last day, YYYY-MM-DD.")
@click.option("--partner", help="Partner organisation, if any.")
@click.pass_obj
def add(
    ledger: Ledger,
    slug: str,
    name: str,
    goal: str | None,
    start: date | None,
    end: date | None,
    partner: str | None,
) -> None:
    """Create a campaign identified by SLUG (lowercase words joined by hyphens).

    \b
    Example:
      fundledger campaign add dont-look-away --name "Don't Look Away" \\
          --goal 800000 --start 2025-06-20 --end 2025-07-20 --partner "Arava Institute"
    """

    def work(session: Session, context: CommandContext) -> CampaignInfo:
        goal_money = None if goal is None else Money.parse(goal, context.settings.home_currency)
        return add_campaign(
            session,
            context,
            slug=slug,
            name=name,
            goal=goal_money,
            start=start,
            end=end,
            partner=partner,
        )

    created = ledger.run(work, write=True)
    click.echo(f"Created campaign {created.slug} ({created.name}).")


CAMPAIGN_COLUMNS = ("slug", "name", "start", "end", "goal", "goal_currency", "partner", "entries")


def _campaign_row(info: CampaignInfo) -> dict[str, str | int | None]:
    return {
        "slug": info.slug,
        "name": info.name,
        "start": info.start.isoformat() if info.start else None,
        "end": info.end.isoformat() if info.end else None,
        "goal": format(info.goal.quantized(), "f") if info.goal else None,
        "goal_currency": info.goal.currency if info.goal else None,
        "partner": info.partner,
        "entries": info.entry_count,
    }


@campaign.command("list")
@click.option("--format", "output_format", type=OUTPUT_FORMATS, default="table", show_default=True)
@excel_option
@click.pass_obj
def list_(ledger: Ledger, output_format: str) -> None:
    """List the campaigns, newest first.

    \b
    Example:
      fundledger campaign list --format json
    """
    rows = [_campaign_row(info) for info in ledger.run(lambda session, _: list_campaigns(session))]
    emit_rows(
        output_format,
        rows,
        CAMPAIGN_COLUMNS,
        lambda: emit_table(
            [
                [
                    str(row["slug"]),
                    str(row["name"]),
                    str(row["start"] or ""),
                    str(row["end"] or ""),
                    format_money(Money.parse(str(row["goal"]), str(row["goal_currency"])))
                    if row["goal"]
                    else "",
                    str(row["entries"]),
                ]
                for row in rows
            ],
            ["SLUG", "NAME", "START", "END", "GOAL", "ENTRIES"],
            right_aligned=[4, 5],
        ),
    )
