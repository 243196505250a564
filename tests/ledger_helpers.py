"""Small helpers for writing a ledger inline in a test."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from fundledger.adapters.db.engine import transaction
from fundledger.domain.money import Money
from fundledger.domain.rates import Rate
from fundledger.services.campaigns import add_campaign
from fundledger.services.context import CommandContext
from fundledger.services.donations import DonationEntry, record_donation
from fundledger.services.rate_import import add_rate
from fundledger.services.reports import CampaignSummary, campaign_summary
from fundledger.services.summary_store import refresh

T = TypeVar("T")
CONTEXT = CommandContext(command="pytest", actor="tester")


def run(engine: Engine, work: Callable[[Session, CommandContext], T]) -> T:
    with transaction(engine, write=True) as session:
        return work(session, CONTEXT)


def campaign(engine: Engine, slug: str = "dont-look-away") -> None:
    run(engine, lambda s, c: add_campaign(s, c, slug=slug, name="Don't Look Away"))


def rates(engine: Engine, *lines: str) -> None:
    """`2025-07-03 USD ILS 3.376 [source]` per line."""
    for line in lines:
        day, base, quote, value, *source = line.split()
        rate = Rate(date.fromisoformat(day), base, quote, Decimal(value), *(source or ["manual"]))
        run(engine, lambda s, c, rate=rate: add_rate(s, c, rate))


def gift(
    engine: Engine,
    line: str,
    *,
    slug: str = "dont-look-away",
    donor: str | None = None,
    anonymous: bool = False,
    reference: str | None = None,
) -> DonationEntry:
    """`2025-07-03 100.00 USD` records a gift."""
    day, amount, currency = line.split()
    return run(
        engine,
        lambda s, c: record_donation(
            s,
            c,
            campaign_slug=slug,
            on=date.fromisoformat(day),
            amount=Money.parse(amount, currency),
            donor_name=donor,
            anonymous=anonymous,
            reference=reference,
        ),
    )


def summary(engine: Engine, slug: str | None = "dont-look-away") -> CampaignSummary:
    """The summary as a report gets it: the stored summaries brought up to date first, and
    read if they could be; then it must equal the summary computed from the gifts."""
    refreshed = refresh(engine, lambda _session: CONTEXT)
    found = run(engine, lambda s, c: campaign_summary(s, c, slug))
    if refreshed:
        assert found == run(engine, lambda s, c: campaign_summary(s, c, slug, stored=False))
    return found
