"""The ECB's euro reference rates: the history (eurofxref-hist.csv, newest first) and the
one-day file (eurofxref.csv, dated like "30 October 2026"). Both are wide: a `Date` column and
one column per currency in units per 1 EUR, `N/A` where missing, a trailing comma on every
line. Column order changes between versions, so columns are found by their header."""

from __future__ import annotations

import csv
import re
from collections.abc import Container, Iterable, Iterator
from datetime import date

from fundledger.adapters.rate_files.common import RateFileError, RateRow, check_width
from fundledger.domain.dates import iso_date
from fundledger.domain.errors import InvalidRate, UnknownCurrency
from fundledger.domain.rates import Rate, rate_from_text

ECB_SOURCE = "ECB"
ECB_BASE = "EUR"
MISSING = {"", "N/A"}
MONTHS = {
    name: number
    for number, name in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"],
        start=1,
    )
}  # fmt: skip


_CURRENCY_CODE = re.compile(r"[A-Z]{3}")


def is_ecb_header(fields: list[str]) -> bool:
    """`Date` then currency codes (and the trailing comma's empty field)."""
    codes = [field.strip() for field in fields[1:] if field.strip()]
    return (
        bool(fields)
        and fields[0].strip() == "Date"
        and bool(codes)
        and all(_CURRENCY_CODE.fullmatch(code) for code in codes)
    )


def parse_ecb_date(text: str) -> date:
    """2025-07-04 (history) or 4 July 2025 (daily file); month names in English whatever the
    process locale."""
    text = text.strip()
    try:
        return iso_date(text)
    except ValueError:
        pass
    parts = text.split()
    if len(parts) == 3 and parts[0].isdigit() and parts[2].isdigit():
        month = MONTHS.get(parts[1].lower())
        if month:
            return date(int(parts[2]), month, int(parts[0]))
    raise ValueError(text)


def read_ecb_rates(
    lines: Iterable[str],
    *,
    name: str = "eurofxref-hist.csv",
    source: str = ECB_SOURCE,
    currencies: Container[str] | None = None,
    first: date | None = None,
    last: date | None = None,
) -> Iterator[RateRow]:
    """Each published value as `1 EUR = value CUR`, exactly as written."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if not header or not is_ecb_header(header):
        raise RateFileError(
            f"{name}: line 1 is not an ECB header ('Date' followed by currency codes)"
        )
    columns = [(index, code.strip()) for index, code in enumerate(header) if index and code.strip()]
    needed = columns[-1][0] + 1
    for row in reader:
        line = reader.line_num
        if not any(field.strip() for field in row):
            continue
        check_width(row, header, name, line)
        if len(row) < needed:
            raise RateFileError(
                f"{name}: line {line} has {len(row)} fields but the header names {needed}; "
                "is the line cut short?"
            )
        try:
            day = parse_ecb_date(row[0])
        except ValueError:
            raise RateFileError(
                f"{name}: line {line}: {row[0].strip()!r} is not a date "
                "(expected 2025-07-04 or 4 July 2025)"
            ) from None
        if (first and day < first) or (last and day > last):
            continue
        for index, code in columns:
            if currencies is not None and code not in currencies:
                continue
            text = row[index].strip() if index < len(row) else ""
            if text in MISSING:
                continue
            try:
                yield RateRow(line, Rate(day, ECB_BASE, code, rate_from_text(text), source))
            except (InvalidRate, UnknownCurrency) as error:
                raise RateFileError(f"{name}: line {line}, column {code}: {error}") from None
