"""The ECB's reference rates history (eurofxref-hist.csv): wide, newest first, `N/A` for
missing values, a trailing comma on every line. Columns are found by header name."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Container, Iterable, Iterator
from datetime import date
from pathlib import Path

from fundledger.domain.errors import FundledgerError, InvalidRate, UnknownCurrency
from fundledger.domain.rates import Rate, parse_rate

ECB_SOURCE = "ECB"
ECB_BASE = "EUR"
MISSING = {"", "N/A"}


class RateFileError(FundledgerError):
    """A rate file that cannot be read, with where and what to do."""


def read_ecb_rates(
    lines: Iterable[str],
    *,
    name: str = "eurofxref-hist.csv",
    currencies: Container[str] | None = None,
    first: date | None = None,
    last: date | None = None,
) -> Iterator[Rate]:
    """Each published value as a Rate `1 EUR = value CUR` from the ECB, exactly as written."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if not header or header[0].strip() != "Date":
        raise RateFileError(f"{name}: line 1 is not an ECB header starting with 'Date'")
    columns = [(index, code.strip()) for index, code in enumerate(header) if index and code.strip()]
    for row in reader:
        line = reader.line_num
        if not row or not row[0].strip():
            continue
        try:
            day = date.fromisoformat(row[0].strip())
        except ValueError:
            raise RateFileError(
                f"{name}: line {line}: {row[0]!r} is not a date (YYYY-MM-DD)"
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
                yield Rate(day, ECB_BASE, code, parse_rate(text), ECB_SOURCE)
            except (InvalidRate, UnknownCurrency) as error:
                raise RateFileError(f"{name}: line {line}, column {code}: {error}") from None


def open_ecb_file(path: Path) -> io.TextIOWrapper:
    """The CSV itself, or the zip the ECB distributes it in."""
    if zipfile.is_zipfile(path):
        archive = zipfile.ZipFile(path)
        members = [member for member in archive.namelist() if member.endswith(".csv")]
        if len(members) != 1:
            raise RateFileError(f"{path}: expected one CSV file inside the zip, found {members}")
        return io.TextIOWrapper(archive.open(members[0]), encoding="utf-8-sig", newline="")
    return open(path, encoding="utf-8-sig", newline="")
