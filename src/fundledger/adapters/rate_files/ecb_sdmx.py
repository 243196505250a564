"""The ECB's reference rates as its data API serves them: SDMX "csvdata", one observation a
line (KEY, FREQ, CURRENCY, CURRENCY_DENOM, EXR_TYPE, EXR_SUFFIX, TIME_PERIOD, OBS_VALUE, and
with `detail=full` some twenty attribute columns more, found by name).

`EXR.D.USD.EUR.SP00.A, ..., 2025-07-04, 1.1767` says that on 2025-07-04, 1 EUR (the
denominator) = 1.1767 USD, the rate the eurofxref files publish. Only the daily euro reference
rates (FREQ D, EXR_TYPE SP00, EXR_SUFFIX A) are kept: the same dataflow also holds monthly
averages and other rate types, which are no day's rate."""

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

ECB_SOURCE = "ECB"
REQUIRED_COLUMNS = ("CURRENCY", "CURRENCY_DENOM", "TIME_PERIOD", "OBS_VALUE")
# A series is a daily euro reference rate when these columns (if the file has them) say so.
REFERENCE_RATE = {"FREQ": "D", "EXR_TYPE": "SP00", "EXR_SUFFIX": "A"}
MISSING = {"", "NaN", "NA", "N/A"}


def is_ecb_sdmx_header(fields: list[str]) -> bool:
    names = {field.strip().upper() for field in fields}
    return {"KEY", *REQUIRED_COLUMNS} <= names


def read_ecb_sdmx_rates(
    lines: Iterable[str], *, name: str = "ecb.csv", source: str = ECB_SOURCE
) -> Iterator[RateRow]:
    """Each published daily reference rate as `1 CURRENCY_DENOM = OBS_VALUE CURRENCY`
    (divided by 10^UNIT_MULT where that column is given: 0 for every ECB rate)."""
    header, rows = sdmx_table(lines, name, REQUIRED_COLUMNS, "ECB SDMX")
    index = {column: header.index(column) for column in REQUIRED_COLUMNS}
    filters = {column: header.index(column) for column in REFERENCE_RATE if column in header}
    unit_mult_at = header.index("UNIT_MULT") if "UNIT_MULT" in header else None
    check = FieldChecks(name)
    for line, row in rows:
        if any(row[at].strip().upper() != REFERENCE_RATE[column] for column, at in filters.items()):
            continue
        field = {column: row[position].strip() for column, position in index.items()}
        if field["OBS_VALUE"] in MISSING:
            continue
        day = check.rate_date(field["TIME_PERIOD"], line, "TIME_PERIOD")
        base = check.currency(field["CURRENCY_DENOM"], line, "CURRENCY_DENOM")
        quote = check.currency(field["CURRENCY"], line, "CURRENCY")
        unit_mult = 0 if unit_mult_at is None else check.unit_mult(row[unit_mult_at].strip(), line)
        quoted = check.value(field["OBS_VALUE"], line, "OBS_VALUE")
        try:
            per_unit = EXACT.divide(quoted, Decimal(10) ** unit_mult) if unit_mult else quoted
            rate = Rate(day, base, quote, per_unit, source)
        except FundledgerError as error:
            key = row[header.index("KEY")] if "KEY" in header else f"{quote}/{base}"
            raise RateFileError(f"{name}: line {line} ({shown(key)}): {error}") from None
        yield RateRow(line, rate)
