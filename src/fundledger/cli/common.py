"""What every command shares: the ledger it works on (cli/ledger.py), parameters, output."""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import click

from fundledger.cli.ledger import PARTIAL, Ledger, describe_database_error
from fundledger.domain.dates import iso_date
from fundledger.domain.donors import language_problem, preferred_language
from fundledger.domain.text import printable
from fundledger.reports.csv_output import write_csv
from fundledger.reports.json_text import json_text
from fundledger.services.batches import SkippedGift

__all__ = ["PARTIAL", "Ledger", "describe_database_error"]


class IsoDate(click.ParamType[date]):
    """A calendar date written YYYY-MM-DD, within years a ledger can mean."""

    name = "DATE"
    earliest = date(1900, 1, 1)
    latest = date(2199, 12, 31)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> date:
        if isinstance(value, date):
            return value
        try:
            parsed = iso_date(str(value))
        except ValueError:
            self.fail(
                f"{value!r} is not a date: write it as YYYY-MM-DD, e.g. 2025-07-03", param, ctx
            )
        if not self.earliest <= parsed <= self.latest:
            self.fail(f"{value} is outside {self.earliest.year}–{self.latest.year}", param, ctx)
        return parsed


class DonorLanguage(click.ParamType[str]):
    """A donor's preferred language: en, he or ar, or its name (English, עברית, العربية ...)."""

    name = "LANG"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        code = preferred_language(str(value))
        if code is None:
            self.fail(language_problem(str(value)), param, ctx)
        return code


ISO_DATE = IsoDate()
LANGUAGE = DonorLanguage()
OUTPUT_FORMATS = click.Choice(["table", "json", "csv"])
ROW_ID = click.IntRange(min=1, max=2**63 - 1)


def emit_json(data: Any) -> None:
    click.echo(json_text(data))


def emit_csv(
    rows: Sequence[dict[str, Any]], columns: Sequence[str], *, excel: bool = False
) -> None:
    buffer = io.StringIO()
    write_csv(buffer, rows, columns, excel=excel)
    click.echo(buffer.getvalue(), nl=False)


_EXCEL = "fundledger.excel"


def _remember_excel(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    ctx.meta[_EXCEL] = value
    return value


# `--excel` for every command that writes CSV: kept in the context (not a parameter of each
# command) so that a command gains it with one decorator line.
excel_option = click.option(
    "--excel",
    is_flag=True,
    expose_value=False,
    callback=_remember_excel,
    help="CSV for a spreadsheet: a UTF-8 byte-order mark (Hebrew and Arabic open right in "
    "Excel), CRLF line ends, yes/no for true/false. Implies --format csv. Without it, CSV "
    "stays as scripts read it.",
)


def excel_csv(output_format: str) -> tuple[str, bool]:
    """The format to write and whether CSV is for a spreadsheet: `--excel` alone means
    CSV; with another --format given, it is a usage error."""
    ctx = click.get_current_context()
    if not ctx.meta.get(_EXCEL, False):
        return output_format, False
    given = ctx.get_parameter_source("output_format") != click.core.ParameterSource.DEFAULT
    if output_format != "csv" and given:
        raise click.UsageError(
            f"--excel writes CSV for a spreadsheet, not {output_format}: leave out "
            f"--format {output_format}, or --excel"
        )
    return "csv", True


def emit_rows(
    output_format: str,
    rows: Sequence[dict[str, Any]],
    columns: Sequence[str],
    table: Callable[[], None],
) -> None:
    """JSON and CSV carry every column for scripts (CSV for a spreadsheet with --excel);
    `table` prints what a person reads."""
    output_format, excel = excel_csv(output_format)
    if output_format == "json":
        emit_json(list(rows))
    elif output_format == "csv":
        emit_csv(rows, columns, excel=excel)
    else:
        table()


def listed_skipped(heading: str, skipped: Sequence[SkippedGift], again: str) -> None:
    """The gifts a batch skipped, on standard error under `heading`: one line each with what
    is wrong and the command that mends it, then how to finish the batch."""
    click.echo(heading, err=True)
    for gift in skipped:
        click.echo(f"  {printable(gift.line())}", err=True)
    click.echo(f"Mend them, then run `fundledger {again}` again for the rest.", err=True)


def by_language(locales: Sequence[str]) -> str:
    """How many documents are in each language, most first: "7 in he, 5 in ar"."""
    counts = Counter(locales)
    ordered = sorted(counts, key=lambda locale: (-counts[locale], locale))
    return ", ".join(f"{counts[locale]} in {locale}" for locale in ordered)


def emit_table(
    rows: Sequence[Sequence[str]], headers: Sequence[str], right_aligned: Sequence[int] = ()
) -> None:
    """A table for people: ledger text in its cells shows its control characters escaped
    (an ESC in a donor's name must not recolour the treasurer's terminal) and on one line."""
    rows = [[printable(cell) for cell in row] for row in rows]
    widths = [len(header) for header in headers]
    for row in rows:
        widths = [max(width, len(cell)) for width, cell in zip(widths, row, strict=True)]

    def line(cells: Sequence[str]) -> str:
        return "  ".join(
            cell.rjust(width) if index in right_aligned else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    click.echo(line(headers))
    click.echo("  ".join("-" * width for width in widths))
    for row in rows:
        click.echo(line(row))
