"""fundledger rates add|import|fetch|show|list|gaps"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any, Literal, cast

import click
from sqlalchemy.orm import Session

from fundledger.adapters.http_client import Downloader
from fundledger.adapters.rate_files import FORMATS, RateFormat, count_lines, read_rate_file
from fundledger.adapters.rate_sources import PUBLISHERS
from fundledger.cli.common import (
    ISO_DATE,
    OUTPUT_FORMATS,
    PARTIAL,
    Ledger,
    emit_rows,
    emit_table,
    excel_option,
)
from fundledger.cli.progress import LINES_WORTH_A_BAR, progress, shown_on_terminal
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import currency_in_use
from fundledger.domain.rates import Rate, format_rate, rate_from_text
from fundledger.domain.text import printable
from fundledger.services.context import CommandContext
from fundledger.services.conversion import Gap, rate_gaps
from fundledger.services.rate_fetch import SeriesRequest, fetch_command, fetch_rates
from fundledger.services.rate_import import (
    MANUAL_SOURCE,
    RateImport,
    add_rate,
    describe_rate,
    import_rates,
)
from fundledger.services.rates import StoredRate, list_rates, rate_in_force


@click.group()
def rates() -> None:
    """Dated exchange rates: 1 BASE = RATE QUOTE on a date."""


CONFIRM_HELP = (
    "Record a rate five times (or a fifth of) the nearest one of its pair: a real jump, "
    "not a slip such as 33.76 for 3.376."
)


@rates.command("add")
@click.argument("on", metavar="DATE", type=ISO_DATE)
@click.argument("base")
@click.argument("quote")
@click.argument("rate", metavar="RATE")
@click.option("--source", default=MANUAL_SOURCE, show_default=True, help="Who published it.")
@click.option(
    "--supersede",
    is_flag=True,
    help="Record RATE as a correction of a different stored value (of BASE/QUOTE or of "
    "QUOTE/BASE).",
)
@click.option("--confirm", is_flag=True, help=CONFIRM_HELP)
@click.pass_obj
def add(
    ledger: Ledger,
    on: date,
    base: str,
    quote: str,
    rate: str,
    source: str,
    supersede: bool,
    confirm: bool,
) -> None:
    """Record that on DATE, 1 BASE = RATE QUOTE (exactly as published, never inverted).

    DATE is a day that has happened (in Israel); BASE and QUOTE are currencies in use (NIS
    and ₪ are ILS). Rows are never changed: to correct a rate, add the right value for the
    same date, pair and --source with --supersede; the newest row for those is the one in
    force.

    \b
    Example:
      fundledger rates add 2025-07-03 USD ILS 3.376
    """
    typed = Rate(on, currency_in_use(base), currency_in_use(quote), rate_from_text(rate), source)
    result = ledger.run(
        lambda session, context: add_rate(
            session, context, typed, supersede=supersede, confirm=confirm
        ),
        write=True,
        summaries=True,
    )
    if result.corrections:
        previous = result.corrections[0].describe_previous()
        click.echo(f"Recorded {describe_rate(typed)}, superseding {previous}.")
    elif result.new:
        click.echo(f"Recorded {describe_rate(typed)}.")
    else:
        click.echo(f"Already recorded: {describe_rate(typed)}; nothing added.")


@rates.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--format",
    "file_format",
    type=click.Choice(["auto", *FORMATS]),
    default="auto",
    show_default=True,
    help="boi: Bank of Israel SDMX CSV; ecb: eurofxref(-hist).csv or its zip, or the ECB "
    "data API's csvdata; csv: date,base,quote,rate[,source].",
)
@click.option("--source", help="Name the source of every rate (default: BOI, ECB, or the file's).")
@click.option(
    "--supersede",
    is_flag=True,
    help="Record rates that differ from stored ones as corrections instead of refusing.",
)
@click.option("--confirm", is_flag=True, help=CONFIRM_HELP)
@click.pass_obj
def import_(
    ledger: Ledger,
    file: Path,
    file_format: str,
    source: str | None,
    supersede: bool,
    confirm: bool,
) -> None:
    """Import the rates of FILE in one transaction. Importing a file again adds nothing.

    An ECB history's columns of currencies no longer in use (CYP, TRL, ...) are skipped and
    counted; any other row that cannot be read stops the import, naming its line.

    \b
    Example:
      fundledger rates import eurofxref-hist.zip
      fundledger rates import boi-representative-rates.csv --format boi
    """
    ledger.engine()  # a wrong --db fails now, not after reading a long file
    # The file is read and checked before the transaction starts, so a SQLite ledger's write
    # lock is held only while rows are written.
    with read_rate_file(file, cast(RateFormat | Literal["auto"], file_format), source) as (
        detected,
        rows,
    ):
        lines = count_lines(file)
        with progress(lines, f"Reading {file.name}", worth_from=LINES_WORTH_A_BAR) as bar:
            parsed = []
            for row in rows:
                parsed.append(row)
                bar.advance_to(row.line)
    origin = f"{file.name} ({detected})"

    def work(session: Session, context: CommandContext) -> RateImport:
        # Checking and writing a long history takes as long as reading it: a bar of its own.
        with progress(len(parsed), "Recording rates", worth_from=LINES_WORTH_A_BAR) as bar:
            return import_rates(
                session,
                context,
                parsed,
                origin=origin,
                supersede=supersede,
                confirm=confirm,
                skipped=rows.skipped,
                progress=bar.advance,
            )

    result = ledger.run(work, write=True)
    click.echo(printable(f"{result.describe()}."))


@rates.command("fetch")
@click.option(
    "--source",
    type=click.Choice(sorted(PUBLISHERS)),
    help="boi: the Bank of Israel's representative rates; ecb: the ECB's euro reference "
    "rates. Default: boi for a pair with ILS, else ecb.",
)
@click.option(
    "--pair",
    "pairs",
    multiple=True,
    callback=lambda ctx, param, values: [_pair(ctx, param, value) for value in values],
    help="A pair to fetch, BASE/QUOTE (e.g. USD/ILS); repeat for more. Default: the pairs "
    "the gifts need (each gift currency and the reporting currency to the home currency).",
)
@click.option(
    "--from",
    "first",
    type=ISO_DATE,
    help="First day. Default: the day after the latest rate stored from that source (none: "
    "rates.max_age_days before the first gift that needs the pair).",
)
@click.option("--to", "last", type=ISO_DATE, help="Last day. Default: today.")
@click.option(
    "--supersede",
    is_flag=True,
    help="Record published values that differ from stored ones as corrections instead of refusing.",
)
@click.option("--confirm", is_flag=True, help=CONFIRM_HELP)
@click.option(
    "--timeout",
    type=click.FloatRange(min=0.1, max=600),
    default=30,
    show_default=True,
    help="Seconds to wait for a connection, and for each part of an answer.",
)
@click.pass_obj
def fetch(
    ledger: Ledger,
    source: str | None,
    pairs: list[tuple[str, str]],
    first: date | None,
    last: date | None,
    supersede: bool,
    confirm: bool,
    timeout: float,
) -> None:
    """Download published rates and record them, as `rates import` records a file.

    Asks the Bank of Israel (its SDMX service) or the ECB (its data API) over HTTPS, with
    the proxies of HTTPS_PROXY/NO_PROXY; a failed request is tried three times in all.
    Everything is downloaded before anything is written: a failure records nothing. Run it
    again: it asks only for the days after the latest rate stored, and a period asked again
    adds nothing. The addresses are the settings rates.boi.url and rates.ecb.url. Exits 3
    when a pair the gifts need could not be had (not published, or nothing for over a
    week), after recording the others.

    \b
    Example:
      fundledger rates fetch
      fundledger rates fetch --pair USD/ILS --pair EUR/ILS --from 2024-01-01
      fundledger rates fetch --source ecb --pair EUR/USD --to 2026-06-30
    """
    ledger.engine()  # a wrong --db fails now, not after the downloads

    def announce(request: SeriesRequest) -> None:
        if shown_on_terminal():
            period = f"{request.first.isoformat()} to {request.last.isoformat()}"
            click.echo(f"Asking {request.publisher.name} for {request.pair}, {period}…", err=True)

    # All the downloads together may take ten of the slowest answers allowed: a server that
    # sends a little at a time is stopped, a slow line asked for years of rates is not.
    with Downloader(timeout=timeout, budget=max(600.0, 10 * timeout)) as downloader:
        outcome = fetch_rates(ledger.run, downloader, source=source, pairs=pairs, first=first,
                              last=last, supersede=supersede, confirm=confirm,
                              announce=announce)  # fmt: skip
    for line in outcome.lines():
        click.echo(printable(f"{line}."))
    if outcome.incomplete:  # what came is recorded; a pair the gifts need still lacks rates
        raise SystemExit(PARTIAL)


@rates.command("show")
@click.argument("on", metavar="DATE", type=ISO_DATE)
@click.argument("base")
@click.argument("quote")
@click.pass_obj
def show(ledger: Ledger, on: date, base: str, quote: str) -> None:
    """Show the rate in force on DATE for BASE/QUOTE, where it comes from and how it was derived.

    BASE and QUOTE are currencies in use (NIS and ₪ are ILS).

    \b
    Example:
      fundledger rates show 2025-07-05 USD ILS
      2025-07-05 USD/ILS = 3.3505 (ECB 2025-07-04, cross via EUR: EUR/ILS 3.9425 / EUR/USD 1.1767)
    """
    in_force = ledger.run(lambda session, context: rate_in_force(session, context, on, base, quote))
    click.echo(printable(in_force.explain()))


def _pair(
    _ctx: click.Context, _param: click.Parameter, value: str | None
) -> tuple[str, str] | None:
    """--pair USD/ILS as (base, quote); a malformed pair is a usage error."""
    if not value:
        return None
    base, slash, quote = value.partition("/")
    try:
        if not slash:
            raise FundledgerError("write it BASE/QUOTE, e.g. USD/ILS")
        return currency_in_use(base), currency_in_use(quote)
    except FundledgerError as error:
        raise click.BadParameter(f"{value!r}: {error}") from None


RATE_COLUMNS = (
    "date",
    "base",
    "quote",
    "rate",
    "source",
    "superseded",
    "recorded_at",
    "recorded_by",
)


def _rate_row(stored: StoredRate) -> dict[str, Any]:
    return {
        "date": stored.rate.rate_date.isoformat(),
        "base": stored.rate.base,
        "quote": stored.rate.quote,
        "rate": format(stored.rate.value, "f"),
        "source": stored.rate.source,
        "superseded": stored.superseded,
        "recorded_at": stored.recorded_at.isoformat(timespec="seconds"),
        "recorded_by": stored.recorded_by,
    }


@rates.command("list")
@click.option("--pair", callback=_pair, help="Only this pair, written BASE/QUOTE (e.g. USD/ILS).")
@click.option("--from", "first", type=ISO_DATE, help="From this date on.")
@click.option("--to", "last", type=ISO_DATE, help="Up to this date.")
@click.option("--format", "output_format", type=OUTPUT_FORMATS, default="table", show_default=True)
@excel_option
@click.pass_obj
def list_(
    ledger: Ledger,
    pair: tuple[str, str] | None,
    first: date | None,
    last: date | None,
    output_format: str,
) -> None:
    """List stored rates as published, corrections included, oldest first.

    \b
    Example:
      fundledger rates list --pair EUR/ILS --from 2025-07-01 --to 2025-07-31
    """
    base, quote = pair if pair else (None, None)
    stored = ledger.run(
        lambda session, _: list_rates(session, base=base, quote=quote, first=first, last=last)
    )
    rows = [_rate_row(item) for item in stored]
    emit_rows(
        output_format,
        rows,
        RATE_COLUMNS,
        lambda: emit_table(
            [
                [
                    row["date"],
                    f"{row['base']}/{row['quote']}",
                    format_rate(item.rate.value),
                    row["source"],
                    "superseded" if row["superseded"] else "",
                ]
                for row, item in zip(rows, stored, strict=True)
            ],
            ["DATE", "PAIR", "RATE", "SOURCE", "STATUS"],
            right_aligned=[2],
        ),
    )


@rates.command("gaps")
@click.option("--campaign", "slug", help="Only the gifts of this campaign.")
@click.option("--format", "output_format", type=OUTPUT_FORMATS, default="table", show_default=True)
@excel_option
@click.pass_obj
def gaps(ledger: Ledger, slug: str | None, output_format: str) -> None:
    """List the dates whose gifts no rate in force can convert yet, and the pair each needs,
    with the `rates fetch` that fills them where the Bank of Israel or the ECB publishes them.

    \b
    Example:
      fundledger rates gaps --campaign dont-look-away
    """

    def work(session: Session, context: CommandContext) -> tuple[tuple[Gap, ...], str | None]:
        found = rate_gaps(session, context, slug)
        return found, fetch_command(found, context)

    found, fetch_hint = ledger.run(work)
    rows = [
        {
            "date": gap.on.isoformat(),
            "currency": gap.currency,
            "gifts": gap.gifts,
            "needs": gap.pair,
            "latest_rate": gap.latest.isoformat() if gap.latest else None,
        }
        for gap in found
    ]

    def table() -> None:
        if not found:
            click.echo("No gaps: every gift has a rate in force.")
            return
        emit_table(
            [
                [
                    gap.on.isoformat(),
                    gap.currency,
                    str(gap.gifts),
                    gap.pair,
                    gap.latest.isoformat() if gap.latest else "none",
                ]
                for gap in found
            ],
            ["DATE", "GIFTS IN", "COUNT", "NEEDS", "LATEST RATE"],
            right_aligned=[2],
        )
        if fetch_hint:
            click.echo(f"Fetch the missing rates from the Bank of Israel or the ECB: {fetch_hint}")

    emit_rows(output_format, rows, ("date", "currency", "gifts", "needs", "latest_rate"), table)
