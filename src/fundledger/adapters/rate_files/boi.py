"""The Bank of Israel's representative rates as SDMX CSV.

Columns are found by name (SERIES_CODE, BASE_CURRENCY, COUNTER_CURRENCY, UNIT_MULT,
TIME_PERIOD, OBS_VALUE, ...). Only exchange-rate series (codes starting `RER_`) are kept. A
value is quoted per 10^UNIT_MULT units of the base (JPY per 100), so one unit of the base is
worth OBS_VALUE / 10^UNIT_MULT of the counter currency. Trailing zeros are dropped in the file
(3.739 means 3.7390), which changes nothing for an exact decimal."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from decimal import Decimal

from fundledger.adapters.rate_files.common import RateFileError, RateRow, check_width
from fundledger.domain.dates import iso_date
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import EXACT, decimal_from_text
from fundledger.domain.rates import Rate

BOI_SOURCE = "BOI"
SERIES_PREFIX = "RER_"
REQUIRED_COLUMNS = (
    "SERIES_CODE",
    "BASE_CURRENCY",
    "COUNTER_CURRENCY",
    "UNIT_MULT",
    "TIME_PERIOD",
    "OBS_VALUE",
)
MISSING = {"", "NaN", "NA", "N/A"}
MAX_UNIT_MULT = 6  # quotes per up to a million units


def is_boi_header(fields: list[str]) -> bool:
    names = {field.strip().upper() for field in fields}
    return {"SERIES_CODE", "OBS_VALUE", "TIME_PERIOD"} <= names


def read_boi_rates(
    lines: Iterable[str], *, name: str = "boi.csv", source: str = BOI_SOURCE
) -> Iterator[RateRow]:
    reader = csv.reader(lines)
    header = [field.strip().upper() for field in next(reader, [])]
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise RateFileError(
            f"{name}: line 1 lacks the Bank of Israel column(s) {', '.join(missing)}"
        )
    index = {column: header.index(column) for column in REQUIRED_COLUMNS}
    for row in reader:
        line = reader.line_num
        if not any(field.strip() for field in row):
            continue
        check_width(row, header, name, line)
        if len(row) < len(header):
            raise RateFileError(
                f"{name}: line {line} has {len(row)} fields but the header has {len(header)}"
            )
        field = {column: row[position].strip() for column, position in index.items()}
        if not field["SERIES_CODE"].upper().startswith(SERIES_PREFIX):
            continue
        if field["OBS_VALUE"] in MISSING:
            continue
        try:
            day = iso_date(field["TIME_PERIOD"])
        except ValueError:
            raise RateFileError(
                f"{name}: line {line}: TIME_PERIOD {field['TIME_PERIOD']!r} is not a date "
                "(YYYY-MM-DD)"
            ) from None
        unit_mult = _unit_mult(field["UNIT_MULT"], name, line)
        try:
            quoted = decimal_from_text(field["OBS_VALUE"])
            per_unit = EXACT.divide(quoted, Decimal(10) ** unit_mult)
            rate = Rate(day, field["BASE_CURRENCY"], field["COUNTER_CURRENCY"], per_unit, source)
        except FundledgerError as error:
            raise RateFileError(f"{name}: line {line} ({field['SERIES_CODE']}): {error}") from None
        yield RateRow(line, rate)


def _unit_mult(text: str, name: str, line: int) -> int:
    """The power of ten the value is quoted per (0: per unit; 2: per 100, as for JPY)."""
    try:
        unit_mult = int(text or "0")
    except ValueError:
        raise RateFileError(
            f"{name}: line {line}: UNIT_MULT {text!r} is not a whole number"
        ) from None
    if not 0 <= unit_mult <= MAX_UNIT_MULT:
        raise RateFileError(
            f"{name}: line {line}: UNIT_MULT {unit_mult} is outside 0-{MAX_UNIT_MULT}"
        )
    return unit_mult
