"""The ECB's euro reference rates: the history (eurofxref-hist.csv, newest first) and the
one-day file (eurofxref.csv, dated like "30 October 2026"). Both are wide: a `Date` column and
one column per currency in units per 1 EUR, `N/A` where missing, a trailing comma on every
line. Column order changes between versions, so columns are found by their header."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Container, Iterable, Iterator
from datetime import date

from fundledger.adapters.rate_files.common import (
    FieldChecks,
    RateFileError,
    RateRow,
    check_width,
    csv_rows,
    shown,
)
from fundledger.domain.dates import iso_date
from fundledger.domain.errors import InvalidRate, UnknownCurrency
from fundledger.domain.money import known_currencies
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
    skipped: Counter[str] | None = None,
) -> Iterator[RateRow]:
    """Each published value as `1 EUR = value CUR`, exactly as written.

    The history keeps columns for currencies since replaced (CYP, SIT, TRL, HRK, ...): no gift
    is paid in them today, so their values are skipped, counted per currency in `skipped`."""
    rows = csv_rows(lines, name)
    header = next(rows, (1, []))[1]
    if not header or not is_ecb_header(header):
        raise RateFileError(
            f"{name}: line 1 is not an ECB header ('Date' followed by currency codes)"
        )
    check = FieldChecks(name)
    columns, retired = _columns(header, check, currencies)
    needed = max(index for index, text in enumerate(header) if text.strip()) + 1
    for line, row in rows:
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
            raise check.error(
                line, "Date", f"{shown(row[0])} is not a date (expected 2025-07-04 or 4 July 2025)"
            ) from None
        check.check_date(day, line, "Date")
        if (first and day < first) or (last and day > last):
            continue
        for index, code in columns:
            text = row[index].strip()
            if text in MISSING:
                continue
            try:
                yield RateRow(line, Rate(day, ECB_BASE, code, rate_from_text(text), source))
            except (InvalidRate, UnknownCurrency) as error:
                raise check.error(line, code, error) from None
        if skipped is not None:
            for index, code in retired:
                if row[index].strip() not in MISSING:
                    skipped[code] += 1


Columns = list[tuple[int, str]]  # (position, currency code)


def _columns(
    header: list[str], check: FieldChecks, currencies: Container[str] | None
) -> tuple[Columns, Columns]:
    """The header's currencies in use (those wanted, if `currencies` says), and those no
    longer in use."""
    columns: Columns = []
    retired: Columns = []
    for index, text in enumerate(header):
        code = text.strip()
        if not index or not code or (currencies is not None and code not in currencies):
            continue
        if any(code == seen for _, seen in [*columns, *retired]):
            raise check.error(1, code, "the currency has two columns")
        in_use = _in_use(code, check)
        if in_use:
            columns.append((index, in_use))
        else:
            retired.append((index, code))
    return columns, retired


def _in_use(code: str, check: FieldChecks) -> str | None:
    """A column's currency if it is in use today; None for an ISO code no longer in use (its
    column is skipped); text that is no ISO code at all is an error."""
    try:
        return check.currency(code, 1, code)
    except RateFileError:
        if code in known_currencies():
            return None
        raise
