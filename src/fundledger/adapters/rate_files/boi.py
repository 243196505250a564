"""The Bank of Israel's representative rates as SDMX CSV.

Columns are found by name (SERIES_CODE, BASE_CURRENCY, COUNTER_CURRENCY, UNIT_MULT,
TIME_PERIOD, OBS_VALUE, ...). Only exchange-rate series (codes starting `RER_`) are kept. A
value is quoted per 10^UNIT_MULT units of the base (JPY per 100), so one unit of the base is
worth OBS_VALUE / 10^UNIT_MULT of the counter currency. Trailing zeros are dropped in the file
(3.739 means 3.7390), which changes nothing for an exact decimal."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from decimal import Decimal

from fundledger.adapters.rate_files.common import (
    FieldChecks,
    RateFileError,
    RateRow,
    sdmx_table,
    shown,
)
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import EXACT
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


def is_boi_header(fields: list[str]) -> bool:
    names = {field.strip().upper() for field in fields}
    return {"SERIES_CODE", "OBS_VALUE", "TIME_PERIOD"} <= names


def read_boi_rates(
    lines: Iterable[str], *, name: str = "boi.csv", source: str = BOI_SOURCE
) -> Iterator[RateRow]:
    """A row of a currency no longer in use is an error on its line: the Bank of Israel
    publishes only currencies in use, so such a row means a file that is not what it seems."""
    header, rows = sdmx_table(lines, name, REQUIRED_COLUMNS, "Bank of Israel")
    index = {column: header.index(column) for column in REQUIRED_COLUMNS}
    check = FieldChecks(name)
    for line, row in rows:
        field = {column: row[position].strip() for column, position in index.items()}
        if not field["SERIES_CODE"].upper().startswith(SERIES_PREFIX):
            continue
        if field["OBS_VALUE"] in MISSING:
            continue
        day = check.rate_date(field["TIME_PERIOD"], line, "TIME_PERIOD")
        base = check.currency(field["BASE_CURRENCY"], line, "BASE_CURRENCY")
        quote = check.currency(field["COUNTER_CURRENCY"], line, "COUNTER_CURRENCY")
        unit_mult = check.unit_mult(field["UNIT_MULT"], line)
        quoted = check.value(field["OBS_VALUE"], line, "OBS_VALUE")
        try:
            per_unit = EXACT.divide(quoted, Decimal(10) ** unit_mult)
            rate = Rate(day, base, quote, per_unit, source)
        except FundledgerError as error:
            raise RateFileError(
                f"{name}: line {line} ({shown(field['SERIES_CODE'])}): {error}"
            ) from None
        yield RateRow(line, rate)
