"""fundledger report campaign"""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

import click
from sqlalchemy.orm import Session

from fundledger.cli.common import ISO_DATE, Ledger, excel_csv, excel_option
from fundledger.cli.output import check_output, warn_undrawable, writing
from fundledger.cli.summaries import refresh_summaries
from fundledger.domain.period import Period
from fundledger.domain.text import counted
from fundledger.reports.i18n import LOCALES, Reader
from fundledger.reports.json_text import json_text
from fundledger.reports.period_export import export_to_dict, write_export_csv
from fundledger.reports.summary_csv import write_summary_csv
from fundledger.reports.summary_json import summary_json
from fundledger.services.campaign_report import CampaignReport, campaign_report, parse_fixed_rate
from fundledger.services.context import CommandContext
from fundledger.services.period_export import export_period


@click.group()
def report() -> None:
    """Reports computed from the ledger."""


@report.command("campaign")
@click.argument("slug", required=False)
@click.option("--all", "all_campaigns", is_flag=True, help="All campaigns together, not one.")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["pdf", "json", "csv"]),
    default="pdf",
    show_default=True,
    help="pdf: the summary for donors and partners; json or csv: the same figures as data.",
)
@excel_option
@click.option(
    "--locale",
    type=click.Choice(LOCALES),
    help="Language of the PDF (Hebrew and Arabic are laid out right to left). Default: the "
    "report.locale setting, else en.",
)
@click.option("--from", "date_from", type=ISO_DATE,
              help="With --to: only the gifts dated within the period count (a month, a fiscal "
              "year), and the report says so.")  # fmt: skip
@click.option("--to", "date_to", type=ISO_DATE, help="The period's last day, YYYY-MM-DD.")
@click.option(
    "--fixed-rate",
    metavar='"1 ILS = 0.2911 USD"',
    help="Also state the total at this single rate (either direction).",
)
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),  # checked by check_output, as every output path is
    help="Write to this file. Default: reports/<slug>-<locale>.pdf for a PDF, standard output "
    "for json and csv.",
)
@click.pass_obj
def campaign(
    ledger: Ledger,
    slug: str | None,
    all_campaigns: bool,
    output_format: str,
    locale: str | None,
    date_from: date | None,
    date_to: date | None,
    fixed_rate: str | None,
    output: Path | None,
) -> None:
    """Summary of campaign SLUG (or of --all campaigns together) in ILS and USD, each gift
    converted at the rate of its date.

    \b
    Example:
      fundledger report campaign dont-look-away --locale he --fixed-rate "1 ILS = 0.2911 USD"
      fundledger report campaign dont-look-away --format json -o totals.json
      fundledger report campaign --all --format json
      fundledger report campaign dont-look-away --excel -o summary.csv
      fundledger report campaign --all --from 2025-07-01 --to 2025-07-31 --format json
    """
    if (slug is None) == (not all_campaigns):
        raise click.UsageError("name one campaign (SLUG), or give --all for all of them")
    period = period_of(date_from, date_to)
    output_format, excel = excel_csv(output_format)
    if output is not None:
        check_output(output, ledger)  # before the stored summaries are brought up to date

    # The fixed rate is checked against the ledger's currencies before the stored summaries
    # are brought up to date (which can take a while after an import); the report checks it
    # again, under the settings of its own transaction.
    refresh_summaries(ledger, check=lambda context: parse_fixed_rate(fixed_rate, context.settings))
    found = _report(ledger, lambda session, context: campaign_report(
        session, context, slug, locale=locale, period=period, fixed_rate=fixed_rate))  # fmt: skip
    summary = found.summary
    if output_format == "pdf":
        # Imported here: loading ReportLab would cost every other command 0.08 s.
        from fundledger.reports.pdf.campaign import ReportOptions, write_campaign_pdf

        name = slug or "all-campaigns"
        if period is not None:
            name += f"-{period.start.isoformat()}-{period.end.isoformat()}"
        target = output or Path("reports") / f"{name}-{found.locale}.pdf"
        options = ReportOptions(
            max_rate_age_days=found.max_rate_age_days,
            organisation=found.organisation,
            logo=found.logo,
        )
        with writing(target, ledger) as temporary:
            undrawable = write_campaign_pdf(summary, Reader.for_locale(found.locale),
                                            temporary, options)  # fmt: skip
        warn_undrawable(undrawable, "report")
        click.echo(f"Wrote {target}.", err=True)
        return
    if output_format == "json":
        text = summary_json(summary)
    else:
        buffer = io.StringIO()
        write_summary_csv(buffer, summary, excel=excel)
        text = buffer.getvalue()
    _put(text, output, ledger)


@report.command("gifts")
@click.option("--from", "date_from", type=ISO_DATE, required=True,
              help="The period's first day, YYYY-MM-DD.")  # fmt: skip
@click.option("--to", "date_to", type=ISO_DATE, required=True,
              help="The period's last day, YYYY-MM-DD.")  # fmt: skip
@click.option("--campaign", "slug", metavar="SLUG", help="One campaign's gifts only.")
@click.option("--format", "output_format", type=click.Choice(["csv", "json"]), default="csv",
              show_default=True,
              help="csv: a row per gift; json: the rows and the period's totals.")  # fmt: skip
@excel_option
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help="Write to this file. Default: standard output.")  # fmt: skip
@click.pass_obj
def gifts(
    ledger: Ledger,
    date_from: date,
    date_to: date,
    slug: str | None,
    output_format: str,
    output: Path | None,
) -> None:
    """The accountant's export of a period: every gift dated within it, reversed ones and
    their reversals included, with its campaign, donor, reference, method, amount and
    currency, its values in the home and reporting currency, the rates that gave them
    (value, date, source), its receipt number and what reverses what. Its values add up to
    `report campaign --from --to`'s totals to the agora (each reversal cancels its gift).

    \b
    Example:
      fundledger report gifts --from 2025-07-01 --to 2025-07-31 -o july.csv
      fundledger report gifts --from 2025-01-01 --to 2025-12-31 --excel -o 2025.csv
      fundledger report gifts --from 2025-07-01 --to 2025-07-31 --campaign dont-look-away \\
          --format json
    """
    period = whole_period(date_from, date_to)
    output_format, excel = excel_csv(output_format)
    if output is not None:
        check_output(output, ledger)
    export = ledger.run(lambda session, context: export_period(session, context, period, slug))
    if output_format == "json":
        text = json_text(export_to_dict(export)) + "\n"
    else:
        buffer = io.StringIO()
        write_export_csv(buffer, export, excel=excel)
        text = buffer.getvalue()
    _put(text, output, ledger, f": {counted(len(export.gifts), 'entry', 'entries')}")


@report.command("period")
@click.option("--from", "date_from", type=ISO_DATE, required=True,
              help="The period's first day, YYYY-MM-DD.")  # fmt: skip
@click.option("--to", "date_to", type=ISO_DATE, required=True,
              help="The period's last day, YYYY-MM-DD.")  # fmt: skip
@click.option("--locale", type=click.Choice(LOCALES),
              help="Language of the PDF (Hebrew and Arabic right to left). Default: the "
              "report.locale setting, else en.")  # fmt: skip
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help="Write to this file. Default: reports/period-<from>-<to>-<locale>.pdf.",
)
@click.pass_obj
def period_(
    ledger: Ledger, date_from: date, date_to: date, locale: str | None, output: Path | None
) -> None:
    """A one-page PDF summary of a period (a month, a fiscal year): its gifts and totals in
    ILS and USD, by campaign, by payment method and by currency of the gift; the figures of
    `report campaign --all --from --to`, and of `report gifts` for the accountant.

    \b
    Example:
      fundledger report period --from 2025-07-01 --to 2025-07-31 --locale he
    """
    period = whole_period(date_from, date_to)
    if output is not None:
        check_output(output, ledger)

    refresh_summaries(ledger)
    found = _report(ledger, lambda session, context: campaign_report(
        session, context, None, locale=locale, period=period))  # fmt: skip
    # Imported here: loading ReportLab would cost every other command 0.08 s.
    from fundledger.reports.pdf.campaign import ReportOptions, write_period_pdf

    target = output or Path("reports") / (
        f"period-{period.start.isoformat()}-{period.end.isoformat()}-{found.locale}.pdf"
    )  # fmt: skip
    options = ReportOptions(
        max_rate_age_days=0,  # no note on rates' age on this page
        organisation=found.organisation,
        logo=found.logo,
    )
    with writing(target, ledger) as temporary:
        undrawable = write_period_pdf(found.summary, Reader.for_locale(found.locale), temporary,
                                      options)  # fmt: skip
    warn_undrawable(undrawable, "report")
    click.echo(f"Wrote {target}.", err=True)


def _put(text: str, output: Path | None, ledger: Ledger, wrote: str = "") -> None:
    """JSON or CSV on standard output, or into `output` (then said on standard error, with
    `wrote` after its name)."""
    if output is None:
        click.echo(text, nl=False)
        return
    with writing(output, ledger) as temporary:
        temporary.write_text(text, encoding="utf-8", newline="")  # CRLF as written
    click.echo(f"Wrote {output}{wrote}.", err=True)


def period_of(date_from: date | None, date_to: date | None) -> Period | None:
    """The period --from and --to give (both or neither)."""
    if date_from is None and date_to is None:
        return None
    if date_from is None or date_to is None:
        raise click.UsageError("a period needs both ends: give --from and --to (e.g. --from "
                               "2025-07-01 --to 2025-07-31)")  # fmt: skip
    return whole_period(date_from, date_to)


def whole_period(date_from: date, date_to: date) -> Period:
    """The period from --from to --to, both given."""
    if date_from > date_to:
        raise click.UsageError(f"--from {date_from} is after --to {date_to}: swap them")
    return Period(date_from, date_to)


def _report(
    ledger: Ledger, work: Callable[[Session, CommandContext], CampaignReport]
) -> CampaignReport:
    """A report's one read transaction. Not `ledger.run`: that reads the rule settings
    first, and the report reads every setting itself, once."""
    return ledger.read(lambda session: work(session, ledger.context()))
