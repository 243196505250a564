"""The rates page: every pair the ledger has rates of, with its latest rate (value, date and
source), and the gaps: the gifts no rate in force can convert yet, with the command that mends
each. Read through the same functions as `fundledger rates list` and `rates gaps`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import ExchangeRate
from fundledger.services.batches import missing_rate
from fundledger.services.context import CommandContext
from fundledger.services.conversion import Gap
from fundledger.services.dashboard import ledger_gaps
from fundledger.services.rate_fetch import gaps_fetch_start
from fundledger.services.rates import list_rates


@dataclass(frozen=True, slots=True)
class LatestRate:
    """The rate of a pair on the latest date it has one: 1 base = value quote, by source.
    A pair and its inverse are apart, as stored."""

    base: str
    quote: str
    on: date
    value: Decimal
    source: str
    days_old: int  # before today; past max_rate_age_days it is in force for no gift


@dataclass(frozen=True, slots=True)
class GapFix:
    gap: Gap
    command: str  # "fundledger rates add 2025-07-03 USD ILS RATE"


@dataclass(frozen=True, slots=True)
class RateOverview:
    latest: tuple[LatestRate, ...]  # by pair
    max_rate_age_days: int
    gaps: tuple[GapFix, ...]  # by date
    gap_gifts: int
    fetch_from: date | None  # where `rates fetch` would start to fill the gaps


def rate_overview(session: Session, context: CommandContext, *, today: date) -> RateOverview:
    """The pairs' latest rates and the gaps, as this transaction sees the ledger on `today`."""
    latest: list[LatestRate] = []
    for base, quote, on in session.execute(
        select(ExchangeRate.base, ExchangeRate.quote, func.max(ExchangeRate.rate_date))
        .group_by(ExchangeRate.base, ExchangeRate.quote)
        .order_by(ExchangeRate.base, ExchangeRate.quote)
    ):
        # The rows of that date still in force (a superseded one is not the rate), one per
        # source; list_rates decides which a later row superseded, as `rates list` shows it.
        for stored in list_rates(session, base=base, quote=quote, first=on, last=on):
            if not stored.superseded:
                rate = stored.rate
                latest.append(LatestRate(base, quote, on, rate.value, rate.source,
                                         (today - on).days))  # fmt: skip
    gaps = ledger_gaps(session, context)
    return RateOverview(
        latest=tuple(latest),
        max_rate_age_days=context.settings.max_rate_age_days,
        gaps=tuple(GapFix(gap, missing_rate(gap.pair, gap.on, gap.latest)[1]) for gap in gaps),
        gap_gifts=sum(gap.gifts for gap in gaps),
        fetch_from=gaps_fetch_start(gaps, context),
    )
