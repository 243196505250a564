"""fundledger campaign add|name|list"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

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
from fundledger.cli.summaries import refresh_summaries
from fundledger.domain.money import Money, format_money
from fundledger.domain.settings import REPORT_LOCALES
from fundledger.domain.text import counted, printable
from fundledger.services.campaign_totals import CampaignTotal, campaign_totals
from fundledger.services.campaigns import (
    CampaignInfo,
    add_campaign,
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


# The names in report languages come after the contract's columns, the totals after them:
# columns are only ever added at the end.
CAMPAIGN_COLUMNS = (
    "slug", "name", "start", "end", "goal", "goal_currency", "partner", "entries",
    *(f"name_{language}" for language in REPORT_LOCALES),
    "gifts", "total_home", "home_currency", "total_reporting", "reporting_currency",
    "progress", "first_gift", "last_gift", "unvalued",
)  # fmt: skip


def _amount(money: Money | None) -> str | None:
    return format(money.quantized(), "f") if money is not None else None


def _campaign_row(line: CampaignTotal, home: str, reporting: str) -> dict[str, str | int | None]:
    info = line.campaign
    return {
        "slug": info.slug,
        "name": info.name,
        "start": info.start.isoformat() if info.start else None,
        "end": info.end.isoformat() if info.end else None,
        "goal": _amount(info.goal),
        "goal_currency": info.goal.currency if info.goal else None,
        "partner": info.partner,
        "entries": info.entry_count,
        **{f"name_{language}": info.names.get(language) for language in REPORT_LOCALES},
        "gifts": line.gifts,
        "total_home": _amount(line.home),
        "home_currency": home,
        "total_reporting": _amount(line.reporting),
        "reporting_currency": reporting,
        "progress": str(line.progress) if line.progress is not None else None,
        "first_gift": line.first_gift.isoformat() if line.first_gift else None,
        "last_gift": line.last_gift.isoformat() if line.last_gift else None,
        "unvalued": line.unvalued,
    }


def _percent(progress: Decimal | None) -> str:
    return f"{progress * 100:.1f}%" if progress is not None else ""


@campaign.command("list")
@click.option("--format", "output_format", type=OUTPUT_FORMATS, default="table", show_default=True)
@excel_option
@click.pass_obj
def list_(ledger: Ledger, output_format: str) -> None:
    """List the campaigns, newest first: each one's gifts (reversed ones and reversals left
    out), its total in the home and the reporting currency, each gift at the rate of its date,
    its goal and how much of it is raised, its dates and those of its first and last gift.

    \b
    Example:
      fundledger campaign list
      fundledger campaign list --format json
    """
    refresh_summaries(ledger)  # first, in a transaction of its own, as a report does

    def work(session: Session, context: CommandContext) -> tuple[list[CampaignTotal], str, str]:
        settings = context.settings
        return (campaign_totals(session, context), settings.home_currency,
                settings.reporting_currency)  # fmt: skip

    lines, home, reporting = ledger.run(work)
    rows = [_campaign_row(line, home, reporting) for line in lines]
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
                    line.campaign.slug,
                    line.campaign.name,
                    str(row["start"] or ""),
                    str(row["end"] or ""),
                    format_money(line.campaign.goal) if line.campaign.goal else "",
                    f"{line.gifts:,}",
                    format_money(line.home) if line.home is not None else "no rate",
                    format_money(line.reporting) if line.reporting is not None else "no rate",
                    _percent(line.progress),
                    str(row["first_gift"] or ""),
                    str(row["last_gift"] or ""),
                    *(str(row[f"name_{language}"] or "") for language in named),
                ]
                for line, row in zip(lines, rows, strict=True)
            ],
            [
                "SLUG",
                "NAME",
                "START",
                "END",
                "GOAL",
                "GIFTS",
                f"TOTAL ({home})",
                f"TOTAL ({reporting})",
                "RAISED",
                "FIRST GIFT",
                "LAST GIFT",
                *(f"NAME ({language.upper()})" for language in named),
            ],
            right_aligned=[4, 5, 6, 7, 8],
        ),
    )
    unvalued = sum(line.unvalued for line in lines)
    if unvalued:
        click.echo(f"{counted(unvalued, 'gift')} without a rate in force: their campaigns show "
                   "no total (see `fundledger rates gaps`).", err=True)  # fmt: skip
