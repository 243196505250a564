"""Each campaign's gifts and totals in a line (`fundledger campaign list`, the by-campaign table
of the summary of all campaigns): read from the stored summaries when they hold the ledger this
transaction sees, as reports do, else summed from the gifts by the same SQL."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Donation, SummaryCell
from fundledger.adapters.db.queries import counted_donations_in
from fundledger.domain.money import Money
from fundledger.domain.period import Period
from fundledger.services.campaigns import CampaignInfo, list_campaigns
from fundledger.services.context import CommandContext
from fundledger.services.conversion import gift_factors
from fundledger.services.summary_parts import ALL, Converted, factor_table, size_bounds
from fundledger.services.summary_read import holds_ledger


@dataclass(frozen=True, slots=True)
class CampaignTotal:
    """A campaign's counted gifts (neither reversed nor reversals) and their totals; None
    where some gift has no rate in force yet (`unvalued` of them), so no total is true."""

    campaign: CampaignInfo
    gifts: int
    home: Money | None
    reporting: Money | None
    first_gift: date | None
    last_gift: date | None
    progress: Decimal | None  # raised / goal, when the goal is in a currency totalled
    unvalued: int = 0


def goal_progress(goal: Money | None, total_home: Money, total_reporting: Money
                  ) -> Decimal | None:  # fmt: skip
    """Raised as a fraction of the goal (0.8125), when the goal is in a currency we total."""
    if goal is None or not goal.amount:
        return None
    for total in (total_home, total_reporting):
        if total.currency == goal.currency:
            return (total.amount / goal.amount).quantize(Decimal("0.0001"), ROUND_HALF_UP)
    return None


def in_period(day: ColumnElement[date] | Any, period: Period | None) -> ColumnElement[bool]:
    """The condition that a date column lies within `period` (None: any date)."""
    if period is None:
        return true()
    return and_(day >= period.start, day <= period.end)


def campaign_totals(
    session: Session, context: CommandContext, period: Period | None = None
) -> list[CampaignTotal]:
    """Every campaign (newest first, as `list_campaigns`) with its totals; of the gifts
    dated within `period` if one is given (then without goal progress: the goal is the whole
    campaign's)."""
    home = context.settings.home_currency
    reporting = context.settings.reporting_currency
    if holds_ledger(session, context):
        sums, unvalued = _stored(session, period), dict[int, int]()
        every = _stored(session, None) if period is not None else sums
        campaigns = _with_entries(session, list_campaigns(session, entry_counts=False), every)
    else:
        campaigns = list_campaigns(session)
        sums, unvalued = _from_gifts(session, context, period)
    found = []
    for info in campaigns:
        gifts, home_minor, reporting_minor, first, last = sums.get(info.id, (0, 0, 0, None, None))
        missing = unvalued.get(info.id, 0)
        total_home = Money.from_minor(home_minor, home) if not missing else None
        total_reporting = Money.from_minor(reporting_minor, reporting) if not missing else None
        progress = None
        if total_home is not None and total_reporting is not None and period is None:
            progress = goal_progress(info.goal, total_home, total_reporting)
        found.append(CampaignTotal(info, gifts + missing, total_home, total_reporting, first,
                                   last, progress, missing))  # fmt: skip
    return found


def _with_entries(
    session: Session,
    campaigns: list[CampaignInfo],
    sums: dict[int, tuple[int, int, int, date | None, date | None]],
) -> list[CampaignInfo]:
    """The campaigns with their entries counted from the stored summaries, which hold every
    counted gift: a campaign's entries are those, and each reversal with the gift it
    reverses (a few rows, where counting every entry reads an index entry per gift)."""
    # Counted here, not grouped in SQL: grouping by campaign would read the gifts through the
    # campaign index (3 s on a million); the reversals alone come from their own index.
    reversals = Counter(session.scalars(
        select(Donation.campaign_id).where(Donation.reverses_id.is_not(None))))  # fmt: skip
    return [replace(info, entry_count=sums.get(info.id, (0,))[0] + 2 * reversals.get(info.id, 0))
            for info in campaigns]  # fmt: skip


def _stored(
    session: Session, period: Period | None
) -> dict[int, tuple[int, int, int, date | None, date | None]]:
    cell = SummaryCell
    rows = session.execute(
        select(cell.campaign_id, func.sum(cell.gifts), func.sum(cell.home_minor),
               func.sum(cell.reporting_minor), func.min(cell.day), func.max(cell.day))
        .where(cell.campaign_id != ALL, in_period(cell.day, period))
        .group_by(cell.campaign_id)
    ).all()  # fmt: skip
    return {int(campaign): (int(gifts), int(home), int(reporting), first, last)
            for campaign, gifts, home, reporting, first, last in rows}  # fmt: skip


def _from_gifts(
    session: Session, context: CommandContext, period: Period | None
) -> tuple[dict[int, tuple[int, int, int, date | None, date | None]], dict[int, int]]:
    """The sums computed from the gifts (the stored summaries lag, or may not be written
    here), and how many gifts of each campaign have no rate in force."""
    counted = and_(counted_donations_in(session, scan=True),
                   in_period(Donation.donation_date, period))  # fmt: skip
    found = gift_factors(session, context, counted)
    bounds = size_bounds(context.settings.home_currency)
    with factor_table(session, found.factors, bounds) as factor:
        converted = Converted(factor, counted, bounds)
        valued = {int(campaign): (int(gifts), int(home), int(reporting)) for
                  campaign, gifts, home, reporting in session.execute(
            converted.gifts.add_columns(
                Donation.campaign_id, func.count(), func.sum(converted.home),
                func.sum(converted.reporting),
            ).group_by(Donation.campaign_id))}  # fmt: skip
    every = session.execute(
        select(Donation.campaign_id, func.count(), func.min(Donation.donation_date),
               func.max(Donation.donation_date))
        .where(counted)
        .group_by(Donation.campaign_id)
    ).all()  # fmt: skip
    sums: dict[int, tuple[int, int, int, date | None, date | None]] = {}
    unvalued: dict[int, int] = {}
    for campaign, count, first, last in every:
        gifts, home, reporting = valued.get(int(campaign), (0, 0, 0))
        sums[int(campaign)] = (gifts, home, reporting, first, last)
        if int(count) > gifts:
            unvalued[int(campaign)] = int(count) - gifts
    return sums, unvalued
