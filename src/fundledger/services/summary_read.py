"""Reading the stored summaries (summary_store keeps them): whether they hold exactly what a
transaction sees, and a campaign summary's data from them, grouped in SQL from a campaign's
cells, donor rows, factors and the gift values of its median."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, and_, exists, func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import (
    SummaryDonor,
    SummaryGift,
    SummaryState,
)
from fundledger.adapters.db.queries import merges_in_force
from fundledger.domain.money import divide_round_half_up
from fundledger.services.context import CommandContext
from fundledger.services.summary_parts import (
    ALL,
    CELLS,
    FACTORS,
    LIST_SEPARATOR,
    NO_METHOD,
    STATE_ID,
    DonorTally,
    ExactSums,
    Gathered,
    Marginals,
    RatesUsed,
    Sums,
    derivation,
    latest_ids,
    stored_factor,
    tally,
)


def holds_ledger(session: Session, context: CommandContext) -> bool:
    """Whether the stored summaries hold exactly what this transaction sees."""
    state = session.get(SummaryState, STATE_ID)
    return (state is not None and state.derived_under == derivation(context)
            and (state.donation_id, state.rate_id) == latest_ids(session))  # fmt: skip


def stored_gathered(session: Session, context: CommandContext, campaign_id: int | None,
                    bounds: list[int]) -> Gathered | None:  # fmt: skip
    """The summary's data from the stored summaries, or None when they do not hold exactly
    what this transaction sees."""
    if not holds_ledger(session, context):
        return None
    campaign = campaign_id if campaign_id is not None else ALL
    sums = _marginals(session.connection(), campaign)
    return Gathered(_rates(session, campaign), sums, _donors(session, campaign),
                    _median(session, campaign_id, sums, bounds),
                    _exact(session.connection(), campaign))  # fmt: skip


def _marginals(connection: Connection, campaign: int) -> Marginals:
    """The campaign's sums by day, currency, method and band, grouped in SQL from its cells
    (Core rows: a few hundred, where the cells are thousands)."""
    cell = CELLS.c
    of_campaign = cell.campaign_id == campaign
    totals = (func.sum(cell.gifts), func.sum(cell.home_minor), func.sum(cell.reporting_minor))
    by_day = {day: Sums(int(gifts), int(home), int(reporting)) for day, gifts, home, reporting
              in connection.execute(select(cell.day, *totals).where(of_campaign)
                                    .group_by(cell.day))}  # fmt: skip
    # Currency, method and band at once (a few dozen rows), added up apart below: one pass
    # over the cells where a pass for each took 27 ms of the largest campaign's 30,000.
    lines: tuple[dict[Any, list[int]], ...] = ({}, {}, {})  # by currency, method, band
    amounts: dict[str, int] = {}
    anonymous = 0
    for currency, method, band, *values, amount, unnamed in connection.execute(
        select(cell.currency, cell.method, cell.band, *totals, func.sum(cell.amount_minor),
               func.sum(cell.anonymous))
        .where(of_campaign)
        .group_by(cell.currency, cell.method, cell.band)
    ):  # fmt: skip
        for sums, key in zip(lines, (currency, method, int(band)), strict=True):
            line = sums.setdefault(key, [0, 0, 0])
            for index, value in enumerate(values):
                line[index] += int(value)
        amounts[currency] = amounts.get(currency, 0) + int(amount)
        anonymous += int(unnamed)
    by_currency, by_method, by_band = ({key: Sums(*sums[key]) for key in sorted(sums)}
                                       for sums in lines)  # fmt: skip
    return Marginals(by_day=by_day, by_currency=by_currency,
                     amounts={currency: amounts[currency] for currency in sorted(amounts)},
                     by_method={None if key == NO_METHOD else key: line
                                for key, line in by_method.items()},
                     by_band=by_band, anonymous=anonymous)  # fmt: skip


def _exact(connection: Connection, campaign: int) -> ExactSums:
    """The exact totals: the campaign's amounts per date and currency (from its cells), each
    at the factors kept for that date and currency."""
    cell, factor = CELLS.c, FACTORS.c
    fractions = (factor.home_numerator, factor.home_denominator, factor.reporting_numerator,
                 factor.reporting_denominator)  # fmt: skip
    # Grouped, then joined: each date's row joined once, not each of its cells (1M gifts,
    # the largest campaign's 30,000 cells: 13 ms, now 5).
    per_date = (
        select(cell.day, cell.currency, func.sum(cell.amount_minor).label("amount"))
        .where(cell.campaign_id == campaign)
        .group_by(cell.day, cell.currency)
        .subquery("per_date")
    )  # fmt: skip
    rows = connection.execute(
        select(per_date.c.amount, *fractions)
        .join_from(per_date, FACTORS, and_(factor.day == per_date.c.day,
                                            factor.currency == per_date.c.currency))
    )  # fmt: skip
    return ExactSums.of((int(amount), stored_factor(*fractions)) for amount, *fractions in rows)


def _rates(session: Session, campaign: int) -> RatesUsed:
    """The rates behind the counted gifts, as noted with the factors of their dates."""
    factor = FACTORS.c
    used = exists().where(CELLS.c.campaign_id == campaign, CELLS.c.day == factor.day,
                          CELLS.c.currency == factor.currency)  # fmt: skip
    connection = session.connection()
    first, last = connection.execute(
        select(func.min(factor.first_rate_date), func.max(factor.last_rate_date)).where(used)
    ).one()
    named = connection.execute(
        select(factor.rate_sources, factor.rate_pairs).where(used).distinct()
    ).all()
    return RatesUsed(
        sources=tuple(sorted({source for sources, _ in named
                              for source in sources.split(LIST_SEPARATOR) if source})),
        first_date=first,
        last_date=last,
        pairs=tuple(sorted({pair for _, pairs in named
                            for pair in pairs.split(LIST_SEPARATOR) if pair})),
    )  # fmt: skip


def _donors(session: Session, campaign: int) -> DonorTally:
    merges = merges_in_force()
    if session.scalar(select(exists(select(merges.c.id)))):
        donor: Any = func.coalesce(merges.c.into_donor_id, SummaryDonor.donor_id)
        per_donor = (
            select(donor.label("donor"), func.sum(SummaryDonor.gifts).label("gifts"),
                   func.sum(SummaryDonor.home_minor).label("home"),
                   func.sum(SummaryDonor.reporting_minor).label("reporting"))
            .outerjoin(merges, merges.c.merged_donor_id == SummaryDonor.donor_id)
            .where(SummaryDonor.campaign_id == campaign)
            .group_by(donor)
        )  # fmt: skip
        return tally(session, per_donor.subquery())
    # No merge: each donor's row holds their sums already, nothing to join or group, and their
    # count is the rows' (50k donors: 10 ms where the one query with its window took 33).
    of_campaign = SummaryDonor.campaign_id == campaign
    rows = select(
        SummaryDonor.donor_id.label("donor"), SummaryDonor.gifts.label("gifts"),
        SummaryDonor.home_minor.label("home"), SummaryDonor.reporting_minor.label("reporting"),
    ).where(of_campaign)  # fmt: skip
    count = session.scalar(select(func.count()).select_from(SummaryDonor).where(of_campaign))
    return tally(session, rows.subquery(), int(count or 0))


def _median(session: Session, campaign_id: int | None, sums: Marginals, bounds: list[int]
            ) -> int | None:  # fmt: skip
    """The middle gift(s) by home value: the size bands say which band holds them and where;
    an index seek to the band's lowest value and a walk along the band find them."""
    count = sums.gifts
    if not count:
        return None
    lows = [0, *bounds]
    middle: list[int] = []
    for band, offsets in sorted(sums.middle_offsets().items()):
        query = select(SummaryGift.home_minor).where(SummaryGift.home_minor >= lows[band])
        if campaign_id is not None:
            query = query.where(SummaryGift.campaign_id == campaign_id)
        middle.extend(
            int(value)
            for value in session.scalars(
                query.order_by(SummaryGift.home_minor).offset(offsets[0]).limit(len(offsets))
            )
        )
    return divide_round_half_up(sum(middle), len(middle))
