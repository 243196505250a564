"""fundledger campaign add|name|list"""

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
from fundledger.domain.settings import REPORT_LOCALES
from fundledger.domain.text import printable
from fundledger.services.campaigns import (
    CampaignInfo,
    add_campaign,
    list_campaigns,
    set_campaign_name,
)
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
@click.option("--name-en", metavar="TEXT", help="Its name in English documents, if not --name.")
@click.option("--name-he", metavar="TEXT", help="Its name in Hebrew documents.")
@click.option("--name-ar", metavar="TEXT", help="Its name in Arabic documents.")
@click.pass_obj
def add(
    ledger: Ledger,
    slug: str,
    name: str,
    goal: str | None,
    start: date | None,
    end: date | None,
    partner: str | None,
    name_en: str | None,
    name_he: str | None,
    name_ar: str | None,
) -> None:
    """Create a campaign identified by SLUG (lowercase words joined by hyphens). Documents
    in a language it has a name in (--name-he, --name-ar, --name-en) print that name; the
    others print --name. `fundledger campaign name` sets or changes one later.

    \b
    Example:
      fundledger campaign add dont-look-away --name "Don't Look Away" \\
          --name-he "אל תסיטו את המבט" --name-ar "لا تشيحوا بنظركم" \\
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
            names={"en": name_en, "he": name_he, "ar": name_ar},
        )

    created = ledger.run(work, write=True)
    click.echo(f"Created campaign {created.slug} ({created.name}).")


@campaign.command("name")
@click.argument("slug")
@click.argument("language", metavar="LANG")
@click.argument("text", required=False)
@click.option("--clear", is_flag=True, help="Remove its name in LANG: documents use --name.")
@click.pass_obj
def name_(ledger: Ledger, slug: str, language: str, text: str | None, clear: bool) -> None:
    """Set or change campaign SLUG's name in LANG (en, he or ar) to TEXT: documents in LANG
    print it from now on (the summary's title and footer, statements). The earlier name
    stays in the ledger's history.

    \b
    Example:
      fundledger campaign name dont-look-away he "אל תסיטו את המבט"
      fundledger campaign name dont-look-away ar --clear
    """
    if clear == (text is not None):
        raise click.UsageError("give the name (TEXT) or --clear, not both and not neither")
    change = ledger.run(
        lambda session, context: set_campaign_name(session, context, slug, language, text),
        write=True,
    )
    now = change.campaign.names.get(change.language)
    if not change.changed:
        state = f"is already {printable(now)!r}" if now else "has no name of its own already"
        click.echo(f"Campaign {change.campaign.slug} {state} in {change.language}: nothing "
                   "changed.")  # fmt: skip
    elif now is None:
        click.echo(f"Campaign {change.campaign.slug} has no name of its own in "
                   f"{change.language} now: documents in it print "
                   f"{printable(change.campaign.name)!r}.")  # fmt: skip
    else:
        click.echo(f"Campaign {change.campaign.slug} is {printable(now)!r} in "
                   f"{change.language} now.")  # fmt: skip


# The names in report languages come last: columns are only ever added at the end.
CAMPAIGN_COLUMNS = (
    "slug", "name", "start", "end", "goal", "goal_currency", "partner", "entries",
    *(f"name_{language}" for language in REPORT_LOCALES),
)  # fmt: skip


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
        **{f"name_{language}": info.names.get(language) for language in REPORT_LOCALES},
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
    # The table shows a language's names only when some campaign has one.
    named = [language for language in REPORT_LOCALES
             if any(row[f"name_{language}"] for row in rows)]  # fmt: skip
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
                    *(str(row[f"name_{language}"] or "") for language in named),
                ]
                for row in rows
            ],
            [
                "SLUG",
                "NAME",
                "START",
                "END",
                "GOAL",
                "ENTRIES",
                *(f"NAME ({language.upper()})" for language in named),
            ],
            right_aligned=[4, 5],
        ),
    )
