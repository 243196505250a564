"""Rates that contradict or dwarf the ledger's own are refused before they are written, on
SQLite and PostgreSQL (issue #20, "Trust at the edges"): an inverse that disagrees, a date
that has not happened, a currency no longer in use, a rate five times its neighbour."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from fundledger.adapters.db.models import AuditEvent, ExchangeRate
from fundledger.adapters.rate_files import read_rate_file
from fundledger.domain.dates import today_in_israel
from fundledger.domain.errors import FundledgerError
from fundledger.domain.rates import Rate
from fundledger.services.rate_import import RateImport, add_rate, import_rates
from fundledger.services.rates import list_rates, load_rate_book, rate_in_force
from tests.ledger_helpers import rates, run

THURSDAY = date(2025, 7, 3)
HEADER = "date,base,quote,rate\n"


def add(engine: Engine, line: str, **flags: bool) -> RateImport:
    """`2025-07-03 USD ILS 3.376 [source]`, added as `rates add` does."""
    day, base, quote, value, *source = line.split()
    rate = Rate(date.fromisoformat(day), base, quote, Decimal(value), *(source or ["manual"]))
    return run(engine, lambda s, c: add_rate(s, c, rate, **flags))


def import_text(engine: Engine, tmp_path: Path, text: str, **flags: bool) -> RateImport:
    path = tmp_path / "rates.csv"
    path.write_text(text, encoding="utf-8")

    def work(session, context):  # type: ignore[no-untyped-def]
        with read_rate_file(path) as (_, rows):
            return import_rates(session, context, rows, origin="rates.csv", **flags)

    return run(engine, work)


def stored(engine: Engine) -> list[tuple[str, str, str, bool]]:
    return [
        (str(row.rate.rate_date), row.rate.pair, str(row.rate.value), row.superseded)
        for row in run(engine, lambda s, c: list_rates(s))
    ]


def refused(action: Any) -> str:
    with pytest.raises(FundledgerError) as error:
        action()
    return str(error.value)


# 7. An inverse that contradicts a stored rate of the same day and source.


def test_an_inverse_that_contradicts_a_stored_rate_is_refused_naming_both_values(
    ledger_engine: Engine,
) -> None:
    rates(ledger_engine, "2025-07-03 USD ILS 3.376")
    message = refused(lambda: add(ledger_engine, "2025-07-03 ILS USD 0.5"))
    assert message == (
        "rates add: 2025-07-03 1 ILS = 0.5000 USD (manual) contradicts the stored USD/ILS "
        "3.3760 of the same date and source (1 ILS = 0.2962 USD); nothing imported. If the new "
        "value is a correction, run again with --supersede"
    )
    assert stored(ledger_engine) == [("2025-07-03", "USD/ILS", "3.376", False)]


def test_an_inverse_in_a_file_is_checked_against_stored_rows_and_its_own_lines(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    rates(ledger_engine, "2025-07-03 USD ILS 3.376")
    message = refused(lambda: import_text(ledger_engine, tmp_path,
                                          f"{HEADER}2025-07-02,ILS,USD,0.296\n"
                                          "2025-07-03,ILS,USD,0.2985\n"))  # fmt: skip
    assert message.startswith(
        "rates.csv: line 3: 2025-07-03 1 ILS = 0.2985 USD (manual) contradicts the stored "
        "USD/ILS 3.3760"
    )
    message = refused(lambda: import_text(ledger_engine, tmp_path,
                                          f"{HEADER}2025-07-04,USD,ILS,3.351\n"
                                          "2025-07-04,ILS,USD,0.5\n"))  # fmt: skip
    assert message == (
        "rates.csv: line 3 gives 2025-07-04 1 ILS = 0.5000 USD (manual) but line 2 gives its "
        "inverse pair USD/ILS 3.3510 for the same date and source, and the two do not agree; "
        "nothing imported"
    )
    assert len(stored(ledger_engine)) == 1


def test_an_inverse_that_agrees_is_recorded_and_changes_no_conversion(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    rates(ledger_engine, "2025-07-03 USD ILS 3.376")
    add(ledger_engine, "2025-07-03 ILS USD 0.2962")  # 1 / 0.2962 = 3.3761, rounds to 3.376
    text = ("date,base,quote,rate,source\n2025-07-03,ILS,USD,0.2962085308,BOI\n"
            "2025-07-03,USD,ILS,3.376,BOI\n2025-07-04,USD,ILS,3.351,manual\n"
            "2025-07-04,ILS,USD,0.29842,manual\n")  # fmt: skip
    done = import_text(ledger_engine, tmp_path, text)
    assert (done.new, done.present, done.corrections) == (4, 0, ())
    in_force = run(ledger_engine, lambda s, c: rate_in_force(s, c, THURSDAY, "USD", "ILS"))
    assert (in_force.method, in_force.factor) == ("direct", Fraction("3.376"))
    assert not any(superseded for *_, superseded in stored(ledger_engine))


def test_a_contradicting_inverse_supersedes_with_supersede_and_both_directions_agree(
    ledger_engine: Engine,
) -> None:
    rates(ledger_engine, "2025-07-03 USD ILS 3.376")
    done = add(ledger_engine, "2025-07-03 ILS USD 0.2985", supersede=True)
    (correction,) = done.corrections
    assert correction.describe_previous() == "USD/ILS 3.3760"
    for base, quote, factor in (("USD", "ILS", 1 / Fraction("0.2985")),
                                ("ILS", "USD", Fraction("0.2985"))):  # fmt: skip
        found = run(
            ledger_engine, lambda s, c, b=base, q=quote: rate_in_force(s, c, THURSDAY, b, q)
        )
        assert found.factor == factor
    book = run(ledger_engine, lambda s, c: load_rate_book(s, c, THURSDAY, THURSDAY))
    assert book.in_force("USD", "ILS", THURSDAY).factor == 1 / Fraction("0.2985")
    assert stored(ledger_engine) == [
        ("2025-07-03", "ILS/USD", "0.2985", False),
        ("2025-07-03", "USD/ILS", "3.376", True),
    ]
    with ledger_engine.connect() as connection:
        audited = connection.scalar(
            select(AuditEvent.details).where(AuditEvent.action == "rate.supersede")
        )
    details = json.loads(audited or "{}")
    assert (details["previous"], details["previous_pair"]) == ("3.376", "USD/ILS")
    # Re-adding the old value now contradicts the correction: it needs --supersede again.
    assert "contradicts the stored ILS/USD 0.2985" in refused(
        lambda: add(ledger_engine, "2025-07-03 USD ILS 3.376")
    )


# 8 and 9. Dates that have not happened, currencies no longer in use: whatever brings them.


def test_a_rate_dated_after_today_in_israel_is_refused(ledger_engine: Engine) -> None:
    tomorrow = today_in_israel() + timedelta(days=1)
    message = refused(lambda: add(ledger_engine, f"{tomorrow} USD ILS 3.376"))
    assert message.startswith(f"rates add: {tomorrow} is after today")
    message = refused(lambda: add(ledger_engine, "1899-12-31 USD ILS 3.376"))
    assert message == "rates add: 1899-12-31 is before 1900: check the year"
    add(ledger_engine, f"{today_in_israel()} USD ILS 3.376")
    assert len(stored(ledger_engine)) == 1


@pytest.mark.parametrize(
    ("pair", "message"),
    [
        ("DEM ILS", "rates add: 'DEM' is a currency no longer in use: use EUR"),
        ("USD ILR", "rates add: 'ILR' is a currency no longer in use: use ILS"),
        ("XAU USD", "rates add: 'XAU' is gold, not a currency gifts are paid in"),
    ],
)
def test_a_currency_no_longer_in_use_is_refused_by_the_service(
    ledger_engine: Engine, pair: str, message: str
) -> None:
    assert refused(lambda: add(ledger_engine, f"2025-07-03 {pair} 2")).startswith(message)
    assert stored(ledger_engine) == []


def test_a_source_too_long_names_its_line(ledger_engine: Engine, tmp_path: Path) -> None:
    message = refused(lambda: import_text(
        ledger_engine, tmp_path, "date,base,quote,rate,source\n2025-07-03,USD,ILS,3.376,BOI\n"
                                 f"2025-07-04,USD,ILS,3.351,{'B' * 40}\n"))  # fmt: skip
    assert message.startswith("rates.csv: line 3: the rate's source is longer than 32 characters")


# 11. A rate five times (or a fifth of) its neighbour.


def test_a_misplaced_point_needs_confirm_naming_both_values_and_dates(
    ledger_engine: Engine,
) -> None:
    rates(ledger_engine, "2025-07-03 USD ILS 3.376", "2025-07-07 USD ILS 3.36")
    message = refused(lambda: add(ledger_engine, "2025-07-04 USD ILS 33.51"))
    assert message == (
        "rates add: 2025-07-04 1 USD = 33.5100 ILS (manual) differs by a factor of 9.9 from "
        "2025-07-03 1 USD = 3.3760 ILS (manual), the nearest stored rate of that pair; nothing "
        "imported. If it is right, run again with --confirm"
    )
    message = refused(lambda: add(ledger_engine, "2025-07-06 USD ILS 0.336"))
    assert "from 2025-07-07 1 USD = 3.3600 ILS (manual), the nearest" in message  # by date
    done = add(ledger_engine, "2025-07-04 USD ILS 33.51", confirm=True)
    assert done.new == 1
    with ledger_engine.connect() as connection:
        details = json.loads(connection.scalar(select(AuditEvent.details).order_by(
            AuditEvent.id.desc()).limit(1)) or "{}")  # fmt: skip
    assert details["confirmed"] is True


def test_a_stored_inverse_is_compared_through_its_inverse(ledger_engine: Engine) -> None:
    rates(ledger_engine, "2025-07-03 ILS USD 0.2962 BOI")
    message = refused(lambda: add(ledger_engine, "2025-07-04 USD ILS 33.51"))
    assert "differs by a factor of 9.9 from 2025-07-03 1 ILS = 0.2962 USD (BOI)" in message
    add(ledger_engine, "2025-07-04 USD ILS 3.351")  # 3.351 × 0.2962 ≈ 0.99: plausible


def test_a_correction_is_compared_with_its_neighbours_not_the_value_it_replaces(
    ledger_engine: Engine,
) -> None:
    rates(ledger_engine, "2025-07-02 USD ILS 3.39")
    add(ledger_engine, "2025-07-03 USD ILS 33.76", confirm=True)  # the slip, confirmed
    done = add(ledger_engine, "2025-07-03 USD ILS 3.376", supersede=True)
    assert len(done.corrections) == 1
    message = refused(lambda: add(ledger_engine, "2025-07-03 USD ILS 0.3376", supersede=True))
    assert "from 2025-07-02 1 USD = 3.3900 ILS (manual)" in message


def test_rates_a_year_apart_are_not_compared(ledger_engine: Engine) -> None:
    rates(ledger_engine, "2023-06-01 USD ILS 3.6")
    add(ledger_engine, "2024-06-02 USD ILS 18.5")  # 367 days later: nothing near to compare
    assert "factor of 5.1" in refused(lambda: add(ledger_engine, "2024-06-03 USD ILS 3.6"))


def test_neighbouring_rows_of_a_file_are_compared_and_the_file_with_stored_rows(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    rates(ledger_engine, "2025-06-30 EUR ILS 3.95")
    text = (f"{HEADER}2025-07-03,USD,ILS,3.376\n2025-07-04,USD,ILS,33.51\n"
            "2025-07-07,USD,ILS,3.36\n2025-07-01,EUR,ILS,39.5\n")  # fmt: skip
    message = refused(lambda: import_text(ledger_engine, tmp_path, text))
    assert message == (
        "rates.csv: line 3: 2025-07-04 1 USD = 33.5100 ILS (manual) differs by a factor of 9.9 "
        "from line 2: 2025-07-03 1 USD = 3.3760 ILS (manual), its neighbour of that pair in the "
        "file (and 1 more); nothing imported. If it is right, run again with --confirm"
    )
    assert stored(ledger_engine) == [("2025-06-30", "EUR/ILS", "3.95", False)]
    done = import_text(ledger_engine, tmp_path, text, confirm=True)
    assert done.new == 4


def test_the_odd_row_is_named_whatever_order_the_file_is_in(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    newest_first = (f"{HEADER}2025-07-04,EUR,ILS,3.97\n2025-07-03,EUR,ILS,3.96\n"
                    "2025-07-02,EUR,ILS,39.6\n2025-07-01,EUR,ILS,3.95\n")  # fmt: skip
    message = refused(lambda: import_text(ledger_engine, tmp_path, newest_first))
    assert message.startswith(
        "rates.csv: line 4: 2025-07-02 1 EUR = 39.6000 ILS (manual) differs by a factor of 10.0 "
        "from line 5: 2025-07-01 1 EUR = 3.9500 ILS (manual), its neighbour of that pair in the "
        "file; nothing imported"
    )
    first_odd = (
        f"{HEADER}2025-07-01,EUR,ILS,39.5\n2025-07-02,EUR,ILS,3.96\n2025-07-03,EUR,ILS,3.97\n"
    )
    message = refused(lambda: import_text(ledger_engine, tmp_path, first_odd))
    assert message.startswith("rates.csv: line 2: 2025-07-01 1 EUR = 39.5000 ILS (manual)")


def test_a_file_already_imported_is_not_checked_again(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    text = f"{HEADER}2025-07-03,USD,ILS,3.376\n2025-07-04,USD,ILS,33.51\n"
    import_text(ledger_engine, tmp_path, text, confirm=True)
    again = import_text(ledger_engine, tmp_path, text)
    assert (again.new, again.present) == (0, 2)


@contextmanager
def counted_reads(engine: Engine) -> Iterator[list[str]]:
    """The SELECT statements that read exchange_rate while the block runs."""
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "exchange_rate" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


VALUES = {"USD": "3.6", "EUR": "3.9", "GBP": "4.6", "CHF": "4.2", "JPY": "0.024"}


def test_the_checks_read_stored_rates_in_a_fixed_number_of_queries(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    rates(ledger_engine, "2024-12-31 USD ILS 3.65", "2024-12-31 EUR ILS 3.8")
    reads = []
    for currencies in (["USD"], ["USD", "EUR", "GBP", "CHF", "JPY"]):
        lines = "".join(
            f"{date(2025, 1, 1) + timedelta(days=day)},{code},ILS,{VALUES[code]}\n"
            for day in range(200)
            for code in currencies
        )
        with counted_reads(ledger_engine) as statements:
            import_text(ledger_engine, tmp_path, HEADER + lines)
        reads.append(len(statements))
    assert reads[0] == reads[1] <= 3
    with ledger_engine.connect() as connection:
        assert (
            connection.scalar(select(func.count()).select_from(ExchangeRate)) == 2 + 200 * 5
        )  # the USD rows once
