"""The plain rate CSV anyone can write: `date,base,quote,rate[,source]`, one rate a line."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from fundledger.adapters.rate_files.common import (
    FieldChecks,
    RateFileError,
    RateRow,
    check_width,
    csv_rows,
)
from fundledger.domain.errors import FundledgerError
from fundledger.domain.rates import Rate

COLUMNS = ("date", "base", "quote", "rate")
DEFAULT_SOURCE = "manual"


def is_plain_header(fields: list[str]) -> bool:
    names = [field.strip().lower() for field in fields]
    return names[:4] == list(COLUMNS)


def read_plain_rates(
    lines: Iterable[str], *, name: str = "rates.csv", source: str | None = None
) -> Iterator[RateRow]:
    """`source` overrides the file's source column; without either, rates are `manual`.
    A currency no longer in use is an error on its line: a file written by hand should say
    what it means (EUR, not DEM)."""
    rows = csv_rows(lines, name)
    header = [field.strip().lower() for field in next(rows, (1, []))[1]]
    if header[:4] != list(COLUMNS):
        raise RateFileError(f"{name}: line 1 must be the header date,base,quote,rate[,source]")
    has_source = len(header) > 4 and header[4] == "source"
    check = FieldChecks(name)
    for line, row in rows:
        if not any(field.strip() for field in row):
            continue
        check_width(row, header, name, line)
        if len(row) < 4:
            raise RateFileError(f"{name}: line {line} has {len(row)} fields; expected at least 4")
        day = check.rate_date(row[0], line, "date")
        base = check.currency(row[1], line, "base")
        quote = check.currency(row[2], line, "quote")
        value = check.value(row[3], line, "rate")
        row_source = row[4].strip() if has_source and len(row) > 4 else ""
        try:
            rate = Rate(day, base, quote, value, source or row_source or DEFAULT_SOURCE)
        except FundledgerError as error:
            raise RateFileError(f"{name}: line {line}: {error}") from None
        yield RateRow(line, rate)
