"""The data of a campaign summary, computed by SQL aggregates and handed over as plain values."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Table, and_, case, func, insert, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Donation
from fundledger.adapters.db.queries import counted_donations, effective_donor
from fundledger.adapters.db.sql_money import conversion_factor_table, convert_minor
from fundledger.domain.money import Money
from fundledger.domain.rates import (
    ConversionFactors,
    FixedRate,
    RateInForce,
    in_minor_units,
)
from fundledger.domain.rates import (
    convert_minor as convert_minor_python,
)
from fundledger.services.campaigns import CampaignInfo, campaign_info, get_campaign
from fundledger.services.context import CommandContext
from fundledger.services.conversion import gift_factors

PER_GIFT_METHOD = (
    "sum of per-gift conversions, each rounded half-up once from the original amount "
    "at the rate in force on the gift's date"
)


@dataclass(frozen=True, slots=True)
class CurrencyLine:
    currency: str
    count: int
    amount: Money
    home: Money
    reporting: Money


@dataclass(frozen=True, slots=True)
class DayLine:
    date: date
    count: int
    home: Money
    reporting: Money


@dataclass(frozen=True, slots=True)
class Headline:
    """The total restated at one fixed rate: round(total_home × rate), rounded once."""

    rate: FixedRate
    total_reporting: Money


@dataclass(frozen=True, slots=True)
class RatesUsed:
    sources: tuple[str, ...]
    first_date: date | None
    last_date: date | None
    pairs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CampaignSummary:
    campaign: CampaignInfo
    home_currency: str
    reporting_currency: str
    donation_count: int
    donor_count: int
    anonymous_count: int
    total_home: Money
    total_reporting: Money
    headline: Headline | None
    by_currency: tuple[CurrencyLine, ...]
    by_day: tuple[DayLine, ...]
    rates: RatesUsed
    method: str = PER_GIFT_METHOD


@contextmanager
def _factor_table(
    session: Session, factors: dict[tuple[date, str], ConversionFactors]
) -> Iterator[Table]:
    table = conversion_factor_table()
    connection = session.connection()
    table.create(connection)
    if factors:
        connection.execute(
            insert(table),
            [
                {
                    "day": day,
                    "currency": currency,
                    "home_numerator": str(factor.to_home.numerator),
                    "home_denominator": str(factor.to_home.denominator),
                    "reporting_numerator": str(factor.to_reporting.numerator),
                    "reporting_denominator": str(factor.to_reporting.denominator),
                }
                for (day, currency), factor in factors.items()
            ],
        )
    yield table
    table.drop(connection)


def _rates_used(factors: dict[tuple[date, str], ConversionFactors]) -> RatesUsed:
    in_force: list[RateInForce] = [rate for factor in factors.values() for rate in factor.rates]
    legs = [leg for rate in in_force for leg in rate.legs]
    return RatesUsed(
        sources=tuple(sorted({leg.source for leg in legs})),
        first_date=min((leg.rate_date for leg in legs), default=None),
        last_date=max((leg.rate_date for leg in legs), default=None),
        pairs=tuple(sorted({f"{rate.base}/{rate.quote}" for rate in in_force})),
    )


def campaign_summary(
    session: Session,
    context: CommandContext,
    slug: str,
    fixed_rate: FixedRate | None = None,
) -> CampaignSummary:
    home = context.settings.home_currency
    reporting = context.settings.reporting_currency
    campaign = get_campaign(session, slug)
    counted = counted_donations(campaign.id)
    factors = gift_factors(session, context, counted).require_complete()

    donation_count, donor_count, anonymous_count = session.execute(
        select(
            func.count(),
            func.count(
                func.distinct(
                    case((Donation.anonymous.is_(False), effective_donor(Donation.donor_id)))
                )
            ),
            func.count(case((Donation.anonymous.is_(True), Donation.id))),
        ).where(counted)
    ).one()

    with _factor_table(session, factors) as factor:
        home_minor = func.sum(
            convert_minor(Donation.amount_minor, factor.c.home_numerator, factor.c.home_denominator)
        )
        reporting_minor = func.sum(
            convert_minor(
                Donation.amount_minor,
                factor.c.reporting_numerator,
                factor.c.reporting_denominator,
            )
        )
        converted = (
            select()
            .select_from(Donation)
            .join(
                factor,
                and_(
                    factor.c.day == Donation.donation_date, factor.c.currency == Donation.currency
                ),
            )
            .where(counted)
        )
        currency_rows = session.execute(
            converted.add_columns(
                Donation.currency,
                func.count(),
                func.sum(Donation.amount_minor),
                home_minor,
                reporting_minor,
            )
            .group_by(Donation.currency)
            .order_by(Donation.currency)
        ).all()
        day_rows = session.execute(
            converted.add_columns(Donation.donation_date, func.count(), home_minor, reporting_minor)
            .group_by(Donation.donation_date)
            .order_by(Donation.donation_date)
        ).all()

    by_currency = tuple(
        CurrencyLine(
            currency=currency,
            count=int(count),
            amount=Money.from_minor(int(amount), currency),
            home=Money.from_minor(int(home_sum), home),
            reporting=Money.from_minor(int(reporting_sum), reporting),
        )
        for currency, count, amount, home_sum, reporting_sum in currency_rows
    )
    by_day = tuple(
        DayLine(
            date=day,
            count=int(count),
            home=Money.from_minor(int(home_sum), home),
            reporting=Money.from_minor(int(reporting_sum), reporting),
        )
        for day, count, home_sum, reporting_sum in day_rows
    )
    total_home = sum((line.home for line in by_currency), Money.zero(home))
    total_reporting = sum((line.reporting for line in by_currency), Money.zero(reporting))
    headline = None
    if fixed_rate is not None:
        headline_minor = convert_minor_python(
            total_home.to_minor(),
            in_minor_units(fixed_rate.factor(home, reporting), home, reporting),
        )
        headline = Headline(fixed_rate, Money.from_minor(headline_minor, reporting))
    return CampaignSummary(
        campaign=campaign_info(campaign),
        home_currency=home,
        reporting_currency=reporting,
        donation_count=int(donation_count),
        donor_count=int(donor_count),
        anonymous_count=int(anonymous_count),
        total_home=total_home,
        total_reporting=total_reporting,
        headline=headline,
        by_currency=by_currency,
        by_day=by_day,
        rates=_rates_used(factors),
    )
