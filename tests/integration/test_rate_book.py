"""Loading rates for a conversion: only the rates that can serve the currencies at hand, and
the same rate in force as from the whole book."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine

from fundledger.services.rates import load_rate_book
from tests.ledger_helpers import rates, run


def test_a_book_of_some_currencies_keeps_every_rate_that_can_serve_them(
    ledger_engine: Engine,
) -> None:
    rates(
        ledger_engine,
        "2025-07-03 EUR ILS 3.9876 ECB",
        "2025-07-03 EUR USD 1.1780 ECB",
        "2025-07-03 EUR GBP 0.8610 ECB",  # GBP is linked to EUR alone: serves no pair
        "2025-07-03 CHF ILS 4.2410 SNB",  # CHF is linked to ILS and USD: a possible cross
        "2025-07-03 CHF USD 1.2540 SNB",
        "2025-07-03 JPY CHF 0.0055 SNB",  # neither side is wanted
    )

    def book(currencies: set[str] | None) -> list[tuple[str, str]]:
        found = run(ledger_engine, lambda s, c: load_rate_book(
            s, c, date(2025, 7, 3), date(2025, 7, 5), currencies))  # fmt: skip
        return sorted(found.pairs())

    assert book({"ILS", "USD"}) == [("CHF", "ILS"), ("CHF", "USD"), ("EUR", "ILS"),
                                    ("EUR", "USD")]  # fmt: skip
    assert book({"ILS", "USD", "EUR"}) == [("CHF", "ILS"), ("CHF", "USD"), ("EUR", "ILS"),
                                           ("EUR", "USD")]  # fmt: skip
    assert len(book(None)) == 6
    assert book({"THB", "ILS"}) == []  # THB has no rate at all: nothing serves the pair
    saturday = date(2025, 7, 5)
    whole = run(ledger_engine, lambda s, c: load_rate_book(s, c, saturday, saturday))
    some = run(ledger_engine, lambda s, c: load_rate_book(s, c, saturday, saturday, {"USD", "ILS"}))
    assert some.in_force("USD", "ILS", saturday) == whole.in_force("USD", "ILS", saturday)
