"""The plain rate CSV anyone can write: `date,base,quote,rate[,source]`, one rate a line."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator

from fundledger.adapters.rate_files.common import RateFileError, RateRow, check_width
from fundledger.domain.dates import iso_date
from fundledger.domain.errors import FundledgerError
from fundledger.domain.rates import Rate, rate_from_text

COLUMNS = ("date", "base", "quote", "rate")
DEFAULT_SOURCE = "manual"


def is_plain_header(fields: list[str]) -> bool:
    names = [field.strip().lower() for field in fields]
    return names[:4] == list(COLUMNS)


def read_plain_rates(
    lines: Iterable[str], *, name: str = "rates.csv", source: str | None = None
) -> Iterator[RateRow]:
    """`source` overrides the file's source column; without either, rates are `manual`."""
    reader = csv.reader(lines)
    header = [field.strip().lower() for field in next(reader, [])]
    if header[:4] != list(COLUMNS):
        raise RateFileError(f"{name}: line 1 must be the header date,base,quote,rate[,source]")
    has_source = len(header) > 4 and header[4] == "source"
    for row in reader:
        line = reader.line_num
        if not any(field.strip() for field in row):
            continue
        check_width(row, header, name, line)
        if len(row) < 4:
            raise RateFileError(f"{name}: line {line} has {len(row)} fields; expected at least 4")
        try:
            day = iso_date(row[0])
        except ValueError:
            raise RateFileError(
                f"{name}: line {line}: {row[0].strip()!r} is not a date (YYYY-MM-DD)"
            ) from None
        row_source = row[4].strip() if has_source and len(row) > 4 else ""
        try:
            rate = Rate(
                day, row[1], row[2], rate_from_text(row[3]), source or row_source or DEFAULT_SOURCE
            )
        except FundledgerError as error:
            raise RateFileError(f"{name}: line {line}: {error}") from None
        yield RateRow(line, rate)
