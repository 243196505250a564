"""The rates page: each pair's latest rate with its date and source, and the gaps with their
fix; for every role, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from fundledger.domain.access import Role
from tests.ledger_helpers import rates
from tests.web.conftest import SignIn
from tests.web.pages_ledger import fill, text


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    fill(ledger_engine)
    return ledger_engine


@pytest.mark.parametrize("role", [Role.VIEWER, Role.TREASURER, Role.ADMIN])
def test_the_latest_rate_of_each_pair_and_the_gaps(
    sign_in: SignIn, ledger: Engine, role: Role
) -> None:
    rates(ledger, "2025-07-10 USD ILS 3.4 BOI", "2025-07-01 EUR USD 1.17 ECB")
    page = sign_in(role).get("/rates")
    assert page.status_code == 200
    words = text(page.get_data(as_text=True))
    # Each pair once, at its latest date (USD/ILS of July 3 is not the latest).
    assert "EUR/USD 1 EUR = 1.1700 USD July 1, 2025 too old for today's gifts ECB" in words
    assert "USD/ILS 1 USD = 3.4000 ILS July 10, 2025 too old for today's gifts BOI" in words
    assert "3.3760" not in words
    # The EUR gift of July 20: the July 1 EUR/USD rate is too old by then.
    assert "1 gift has no rate in force on its date" in words
    assert "July 20, 2025 EUR 1" in words
    assert "fundledger rates add 2025-07-20 " in words


def test_a_superseded_rate_is_not_the_latest(sign_in: SignIn, ledger: Engine) -> None:
    from datetime import date
    from decimal import Decimal

    from fundledger.domain.rates import Rate
    from fundledger.services.rate_import import add_rate
    from tests.ledger_helpers import run

    corrected = Rate(date(2025, 7, 3), "USD", "ILS", Decimal("3.38"), "BOI")
    run(ledger, lambda s, c: add_rate(s, c, corrected, supersede=True))
    words = text(sign_in(Role.VIEWER).get("/rates").get_data(as_text=True))
    assert "1 USD = 3.3800 ILS July 3, 2025 too old for today's gifts BOI" in words
    assert "3.3760" not in words


def test_no_gaps_and_no_rates_are_said(sign_in: SignIn, ledger_engine: Engine) -> None:
    words = text(sign_in(Role.VIEWER).get("/rates").get_data(as_text=True))
    assert "No gaps: every gift has a rate in force on its date." in words
    assert "No rates recorded yet." in words


def test_the_page_in_hebrew(sign_in: SignIn, ledger: Engine) -> None:
    html = sign_in(Role.VIEWER).get("/rates?lang=he").get_data(as_text=True)
    assert '<html lang="he" dir="rtl">' in html
    assert "3 ביולי 2025" in text(html)
    # The EUR gift of July 20 needs a USD/ILS rate (EUR is converted through USD; none yet).
    assert "No USD/ILS rate in force on that date" not in html  # in Hebrew
    assert '<code dir="ltr">fundledger rates add 2025-07-20 USD ILS RATE</code>' in html
