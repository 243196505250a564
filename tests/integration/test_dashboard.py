"""The dashboard (services.dashboard): every campaign's figures to the agora, the ledger's
health (rates, gaps, the last check), the same from the stored summaries as from the gifts;
on both databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import Engine, update
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import SummaryCell
from fundledger.domain.money import Money
from fundledger.services.campaigns import add_campaign
from fundledger.services.context import CommandContext
from fundledger.services.dashboard import Dashboard, PairRate, dashboard
from fundledger.services.donations import reverse_donation
from fundledger.services.donors import merge_donors
from fundledger.services.integrity import CheckResult, check_ledger
from fundledger.services.summary_store import refresh
from tests.ledger_helpers import CONTEXT, gift, rates, run

TODAY = date(2025, 7, 25)


def board(engine: Engine, today: date = TODAY) -> Dashboard:
    return run(engine, lambda s, c: dashboard(s, c, today=today))


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    """Campaign a: goal NIS 1,000, ends 2025-07-31; b: no goal, no end. USD at 3.376 from
    07-03 (BOI); EUR at 3.9 on 07-18 (manual), in force until 07-25.
    a: 100 USD Dana (337.60 ILS), 50 ILS Dana anonymous, 200 ILS Sami, 30 ILS Sami reversed.
    b: 10 USD Rami (33.76 ILS), 20 EUR anonymous on 07-26 (no rate in force: a gap)."""
    engine = ledger_engine
    goal, end = Money("1000", "ILS"), date(2025, 7, 31)
    run(
        engine,
        lambda s, c: add_campaign(s, c, slug="a", name="Don't Look Away", goal=goal, end=end),
    )
    run(engine, lambda s, c: add_campaign(s, c, slug="b", name="Convoy"))
    rates(engine, "2025-07-03 USD ILS 3.376 BOI", "2025-07-18 EUR ILS 3.9")
    gift(engine, "2025-07-03 100.00 USD", slug="a", donor="Dana Levi")
    gift(engine, "2025-07-04 50.00 ILS", slug="a", donor="Dana Levi", anonymous=True)
    gift(engine, "2025-07-05 200.00 ILS", slug="a", donor="Sami Haddad")
    reversed_gift = gift(engine, "2025-07-06 30.00 ILS", slug="a", donor="Rami Haddad")
    run(engine, lambda s, c: reverse_donation(s, c, donation_id=reversed_gift.id, reason="x"))
    gift(engine, "2025-07-04 10.00 USD", slug="b", donor="Rami Haddad")
    gift(engine, "2025-07-26 20.00 EUR", slug="b", anonymous=True)
    return engine


def test_every_campaign_has_its_totals_progress_donors_and_days_left(ledger: Engine) -> None:
    found = board(ledger)
    assert (found.home_currency, found.reporting_currency) == ("ILS", "USD")
    by_slug = {line.campaign.slug: line for line in found.campaigns}
    a, b = by_slug["a"], by_slug["b"]
    # 337.60 + 50 + 200; $100 + 50/3.376 (14.81) + 200/3.376 (59.24); the reversed gift left out.
    assert (a.gifts, a.home, a.reporting) == (3, Money("587.60", "ILS"), Money("174.05", "USD"))
    assert a.progress == Decimal("0.5876")
    assert a.donors == 2  # Dana and Sami: the anonymous gift adds no one, the reversed none
    assert (a.days_left, a.ended) == (7, False)  # 25 to 31 July, both counted
    # b's EUR gift has no rate in force: no total would be true.
    assert (b.gifts, b.home, b.reporting, b.unvalued, b.progress) == (2, None, None, 1, None)
    assert (b.donors, b.days_left) == (1, None)
    ended = {line.campaign.slug: line for line in board(ledger, date(2025, 8, 1)).campaigns}
    assert (ended["a"].days_left, ended["a"].ended) == (0, True)


def test_the_health_names_the_latest_rates_and_the_gifts_waiting_for_one(ledger: Engine) -> None:
    found = board(ledger)
    assert found.rates == (PairRate("EUR", "ILS", date(2025, 7, 18), 7),
                           PairRate("USD", "ILS", date(2025, 7, 3), 22))  # fmt: skip
    assert found.max_rate_age_days == 7
    assert [(gap.on, gap.currency, gap.gifts) for gap in found.gaps] == [
        (date(2025, 7, 26), "EUR", 1)]  # fmt: skip
    assert (found.gap_gifts, found.from_summaries) == (1, False)


def test_the_stored_summaries_give_the_same_dashboard_as_the_gifts(ledger: Engine) -> None:
    # The gap closed (EUR for the home value, USD for the reporting one): the summaries can
    # hold the whole ledger.
    rates(ledger, "2025-07-26 EUR ILS 3.95", "2025-07-26 USD ILS 3.40")
    # Donors: #1 Dana, #2 Sami, #3 Rami.
    run(ledger, lambda s, c: merge_donors(s, c, merged_id=2, into_id=1, reason="same person"))
    computed = board(ledger)
    assert computed.gaps == ()
    assert not computed.from_summaries
    # Sami merged into Dana: one donor of campaign a; Rami's gift to b is his own.
    assert [line.donors for line in computed.campaigns if line.campaign.slug == "a"] == [1]
    assert refresh(ledger, lambda _session: CONTEXT)
    stored = board(ledger)
    assert stored.from_summaries
    assert replace(stored, from_summaries=False) == computed
    by_slug = {line.campaign.slug: line for line in stored.campaigns}
    # 33.76 + 20 × 3.95 (79.00); $10 + 20 × 3.95 / 3.40 (23.235...: 23.24)
    assert (by_slug["b"].home, by_slug["b"].reporting) == (
        Money("112.76", "ILS"), Money("33.24", "USD"))  # fmt: skip


def test_the_check_status_is_that_of_the_last_check_run_and_what_came_since(
    ledger: Engine,
) -> None:
    assert board(ledger).check is None
    results = run(ledger, check_ledger)
    status = board(ledger, date(2025, 7, 28)).check
    assert status is not None
    assert status.passed == all(result.passed for result in results)
    assert (status.checked_by, status.changes_since) == ("tester", 0)
    assert status.days_ago == max((date(2025, 7, 28) - status.checked_at.date()).days, 0)
    gift(ledger, "2025-07-07 5.00 ILS", slug="a", donor="Dana Levi")
    assert board(ledger).check.changes_since == 1  # type: ignore[union-attr]


def test_a_failed_check_is_shown_as_failed(ledger: Engine) -> None:
    """A ledger whose stored summaries were tampered with fails the summaries check."""
    rates(ledger, "2025-07-26 EUR ILS 3.95", "2025-07-26 USD ILS 3.40")
    assert refresh(ledger, lambda _session: CONTEXT)
    run(ledger, lambda s, c: s.execute(
        update(SummaryCell).values(home_minor=SummaryCell.home_minor + 1)))  # fmt: skip
    results = run(ledger, check_ledger)
    assert not all(result.passed for result in results)
    status = board(ledger).check
    assert status is not None
    assert not status.passed
    assert status.failed == tuple(result.name for result in results if not result.passed)
    assert status.problems >= 1


def test_a_check_by_someone_who_may_only_read_still_reports(ledger: Engine) -> None:
    """An auditor's read-only session: the note of the run cannot be written, the check runs."""

    def read_only_check(session: Session, context: CommandContext) -> list[CheckResult]:
        if session.get_bind().dialect.name == "sqlite":
            session.connection().exec_driver_sql("PRAGMA query_only = ON")
        else:
            session.connection().exec_driver_sql("SET TRANSACTION READ ONLY")
        try:
            return check_ledger(session, context)
        finally:
            if session.get_bind().dialect.name == "sqlite":
                session.connection().exec_driver_sql("PRAGMA query_only = OFF")

    results = run(ledger, read_only_check)
    assert [result.name for result in results][:2] == ["schema", "triggers"]
    assert board(ledger).check is None
