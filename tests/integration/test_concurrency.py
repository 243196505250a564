"""Several treasurers at once: every gift lands, and a gift is reversed only once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Engine, func, select

from fundledger.adapters.db.engine import make_engine, transaction
from fundledger.adapters.db.models import AuditEvent, Donation, ExchangeRate
from fundledger.adapters.rate_files import RateRow
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.domain.rates import Rate
from fundledger.services.donations import record_donation, reverse_donation
from fundledger.services.rate_import import RateImport, import_rates
from tests.ledger_helpers import CONTEXT, campaign, gift

TREASURERS = 4
GIFTS_EACH = 15


def at_once(work: Callable[[int], None], count: int) -> list[BaseException]:
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        barrier.wait()
        try:
            work(index)
        except BaseException as error:  # collected and asserted on by the test
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return errors


def test_treasurers_writing_at_once_all_land(ledger_engine: Engine, ledger_url: str) -> None:
    campaign(ledger_engine)

    def treasurer(index: int) -> None:
        engine = make_engine(ledger_url)  # each treasurer is a process of their own
        try:
            for number in range(GIFTS_EACH):
                with transaction(engine, write=True) as session:
                    record_donation(
                        session,
                        CONTEXT,
                        campaign_slug="dont-look-away",
                        on=date(2025, 7, 3),
                        amount=Money.from_minor(100 + number, "ILS"),
                        donor_name=f"Donor {index}",
                        reference=f"T{index}-{number}",
                    )
        finally:
            engine.dispose()

    assert at_once(treasurer, TREASURERS) == []
    with ledger_engine.connect() as connection:
        gifts = connection.scalar(select(func.count()).select_from(Donation))
        audited = connection.scalar(select(func.count()).where(AuditEvent.action == "donation.add"))
    assert gifts == audited == TREASURERS * GIFTS_EACH


def test_a_gift_reversed_by_two_treasurers_at_once_is_reversed_once(
    ledger_engine: Engine, ledger_url: str
) -> None:
    campaign(ledger_engine)
    original = gift(ledger_engine, "2025-07-03 150.00 ILS")

    def treasurer(_index: int) -> None:
        engine = make_engine(ledger_url)
        try:
            with transaction(engine, write=True) as session:
                reverse_donation(session, CONTEXT, donation_id=original.id, reason="duplicate")
        finally:
            engine.dispose()

    errors = at_once(treasurer, 2)
    assert len(errors) == 1
    assert isinstance(errors[0], FundledgerError)
    assert "already reversed" in str(errors[0])
    with ledger_engine.connect() as connection:
        reversals = connection.scalar(
            select(func.count()).where(Donation.reverses_id == original.id)
        )
    assert reversals == 1


def test_a_report_reads_one_snapshot(ledger_engine: Engine) -> None:
    """A gift committed while a report is being computed is not half in it."""
    campaign(ledger_engine)
    gift(ledger_engine, "2025-07-03 100.00 ILS")
    with transaction(ledger_engine) as session:
        first = session.scalar(select(func.count()).select_from(Donation))
        gift(ledger_engine, "2025-07-03 999.00 ILS")  # another treasurer, committed meanwhile
        second = session.scalar(select(func.count()).select_from(Donation))
    assert first == second == 1


def test_two_treasurers_importing_the_same_rates_at_once_store_them_once(
    ledger_engine: Engine, ledger_url: str
) -> None:
    rows = [
        RateRow(line, Rate(date(2025, 1, 1) + timedelta(days=line), "USD", "ILS",
                           Decimal("3.5"), "BOI"))
        for line in range(2, 502)
    ]  # fmt: skip
    results: list[RateImport] = []

    def treasurer(_index: int) -> None:
        engine = make_engine(ledger_url)
        try:
            with transaction(engine, write=True) as session:
                results.append(import_rates(session, CONTEXT, rows, origin="boi.csv"))
        finally:
            engine.dispose()

    assert at_once(treasurer, 2) == []
    assert sorted((result.new, result.present) for result in results) == [(0, 500), (500, 0)]
    with ledger_engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(ExchangeRate)) == 500
