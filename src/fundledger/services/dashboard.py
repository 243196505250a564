"""The dashboard: every campaign's figures in a line, and the ledger's health (the latest rate
of each pair, gifts still waiting for a rate, the last `fundledger check` run), in one call.

Cheap on a large ledger: the totals come from `campaign_totals` (the stored summaries when
they hold the ledger), donors from the stored donors, rates from the pairs' index. A full
check of a million gifts takes minutes, so the health names the outcome of the last check
run (check_run) and how much was written since, never runs one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import permutations

from sqlalchemy import and_, distinct, func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import (
    AuditEvent,
    CheckRun,
    Donation,
    ExchangeRate,
    SummaryDonor,
    SummaryFactor,
)
from fundledger.adapters.db.queries import counted_donations, effective_donor, merges_in_force
from fundledger.domain.money import Money
from fundledger.services.campaign_totals import campaign_totals
from fundledger.services.campaigns import CampaignInfo
from fundledger.services.context import CommandContext
from fundledger.services.conversion import Gap, rate_gaps
from fundledger.services.summary_parts import ALL
from fundledger.services.summary_read import holds_ledger

# Pairs with a rate this close to the newest are listed whatever their currencies.
_RECENT = timedelta(days=31)


@dataclass(frozen=True, slots=True)
class CampaignLine:
    """A campaign as the dashboard lists it. `home`/`reporting` are None while some of its
    gifts (`unvalued`) have no rate in force: no total would be true."""

    campaign: CampaignInfo
    gifts: int
    donors: int  # distinct donors of its named gifts, merges applied (as a report counts)
    home: Money | None
    reporting: Money | None
    progress: Decimal | None  # raised / goal (0.8125), when the goal is in a totalled currency
    days_left: int | None  # to its end date, counting today as left (0: it ended yesterday)
    unvalued: int = 0

    @property
    def ended(self) -> bool:
        return self.days_left == 0


@dataclass(frozen=True, slots=True)
class PairRate:
    """The latest stored rate of a pair (1 base = rate quote on `on`), from `source`."""

    base: str
    quote: str
    on: date
    days_old: int  # before today; past the max_rate_age_days setting no gift can use it


@dataclass(frozen=True, slots=True)
class CheckStatus:
    """The outcome of the last `fundledger check`, and how many changes (audit events) were
    written since it, which it does not cover."""

    checked_at: datetime
    checked_by: str
    passed: bool
    failed: tuple[str, ...]  # names of the checks that failed
    problems: int
    days_ago: int
    changes_since: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    today: date
    home_currency: str
    reporting_currency: str
    campaigns: tuple[CampaignLine, ...]
    rates: tuple[PairRate, ...]
    max_rate_age_days: int
    gaps: tuple[Gap, ...]  # dates and currencies whose gifts have no rate in force yet
    gap_gifts: int  # the gifts of those
    check: CheckStatus | None  # None: never checked (or not since the ledger had check_run)
    from_summaries: bool  # totals read from the stored summaries (fast), else from the gifts


def ledger_gaps(
    session: Session, context: CommandContext, *, stored: bool | None = None
) -> tuple[Gap, ...]:
    """Every (date, currency) whose counted gifts have no rate in force. The stored summaries
    hold only gifts every one of which had a rate (their refresh refuses a gap): when they
    hold the ledger (`stored`, asked when not known) there is none to look for."""
    if stored is None:
        stored = holds_ledger(session, context)
    return () if stored else rate_gaps(session, context)


def dashboard(session: Session, context: CommandContext, *, today: date) -> Dashboard:
    """The dashboard's figures as this transaction sees the ledger on `today`."""
    stored = holds_ledger(session, context)
    totals = campaign_totals(session, context)
    donors = _donor_counts(session, stored)
    gaps = ledger_gaps(session, context, stored=stored)
    lines = tuple(
        CampaignLine(
            campaign=total.campaign, gifts=total.gifts, donors=donors.get(total.campaign.id, 0),
            home=total.home, reporting=total.reporting, progress=total.progress,
            days_left=_days_left(total.campaign.end, today), unvalued=total.unvalued,
        )
        for total in totals
    )  # fmt: skip
    return Dashboard(
        today=today,
        home_currency=context.settings.home_currency,
        reporting_currency=context.settings.reporting_currency,
        campaigns=lines,
        rates=_latest_rates(session, context, today, stored),
        max_rate_age_days=context.settings.max_rate_age_days,
        gaps=gaps,
        gap_gifts=sum(gap.gifts for gap in gaps),
        check=last_check(session, today),
        from_summaries=stored,
    )


def _days_left(end: date | None, today: date) -> int | None:
    if end is None:
        return None
    return max((end - today).days + 1, 0)


def _donor_counts(session: Session, stored: bool) -> dict[int, int]:
    """Each campaign's distinct donors of named gifts, a merged donor counted as the donor
    it was merged into: from the stored donors (a row per donor and campaign) when they hold
    the ledger, else from the gifts."""
    if stored:
        # Rows counted from the table's key alone, then corrected for the few merged donors:
        # a COUNT(DISTINCT) over a join with the merges took 40 ms on 50,000 donors.
        of_campaigns = SummaryDonor.campaign_id != ALL
        counts = {int(campaign): int(rows) for campaign, rows in session.execute(
            select(SummaryDonor.campaign_id, func.count()).where(of_campaigns)
            .group_by(SummaryDonor.campaign_id))}  # fmt: skip
        merges = merges_in_force()
        into = {int(merged): int(owner) for merged, owner in session.execute(
            select(merges.c.merged_donor_id, merges.c.into_donor_id))}  # fmt: skip
        if not into:
            return counts
        present: dict[int, set[int]] = {}
        for campaign, donor in session.execute(
            select(SummaryDonor.campaign_id, SummaryDonor.donor_id)
            .where(of_campaigns, SummaryDonor.donor_id.in_({*into, *into.values()}))
        ):  # fmt: skip
            present.setdefault(int(campaign), set()).add(int(donor))
        for campaign, donors in present.items():
            merged = {donor for donor in donors if donor in into}
            owners = {into[donor] for donor in merged}
            # Each merged donor's row stands for the donor it was merged into: one row for
            # each such donor who has none of their own.
            counts[campaign] += len(owners - (donors - merged)) - len(merged)
        return counts
    query = (
        select(Donation.campaign_id, func.count(distinct(effective_donor(Donation.donor_id))))
        .where(counted_donations(), Donation.donor_id.is_not(None), ~Donation.anonymous)
        .group_by(Donation.campaign_id)
    )
    return {int(campaign): int(count) for campaign, count in session.execute(query)}


def _latest_rates(
    session: Session, context: CommandContext, today: date, stored: bool
) -> tuple[PairRate, ...]:
    """The latest date of each pair, as stored (a pair and its inverse apart): of every pair
    between two currencies the ledger uses (home, reporting, its gifts'), however old, and
    of every other pair with a rate in the month before the newest rate (the third
    currency of a cross rate: the ECB's EUR). Not every pair ever stored: grouping the
    ECB's history by pair reads every row (0.1 s), and its thirty-odd other currencies
    serve no gift."""
    newest = session.scalar(select(func.max(ExchangeRate.rate_date)))
    if newest is None:
        return ()
    latest = {(base, quote): on for base, quote, on in session.execute(
        select(ExchangeRate.base, ExchangeRate.quote, func.max(ExchangeRate.rate_date))
        .where(ExchangeRate.rate_date >= newest - _RECENT)
        .group_by(ExchangeRate.base, ExchangeRate.quote))}  # fmt: skip
    for base, quote in permutations(sorted(_currencies_used(session, context, stored)), 2):
        if (base, quote) not in latest:
            pair = and_(ExchangeRate.base == base, ExchangeRate.quote == quote)
            on = session.scalar(select(func.max(ExchangeRate.rate_date)).where(pair))
            if on is not None:
                latest[(base, quote)] = on
    return tuple(PairRate(base, quote, on, (today - on).days)
                 for (base, quote), on in sorted(latest.items()))  # fmt: skip


def _currencies_used(session: Session, context: CommandContext, stored: bool) -> set[str]:
    """The home and reporting currencies and those of the gifts (from the stored summaries'
    few thousand factors when they hold the ledger)."""
    column = SummaryFactor.currency if stored else Donation.currency
    gifts = set(session.scalars(select(column).distinct()))
    return gifts | {context.settings.home_currency, context.settings.reporting_currency}


def last_check(session: Session, today: date) -> CheckStatus | None:
    """The last `fundledger check` run noted in the ledger, or None if none was."""
    run = session.scalars(select(CheckRun).order_by(CheckRun.id.desc()).limit(1)).first()
    if run is None:
        return None
    since = select(func.count()).select_from(AuditEvent)
    if run.last_event_id is not None:
        since = since.where(AuditEvent.id > run.last_event_id)
    return CheckStatus(
        checked_at=run.checked_at,
        checked_by=run.checked_by,
        passed=run.passed,
        failed=tuple(run.failed.split()),
        problems=run.problems,
        days_ago=max((today - run.checked_at.date()).days, 0),
        changes_since=int(session.scalar(since) or 0),
    )
