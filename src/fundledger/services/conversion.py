"""Converting gifts: the one place where the ledger asks for rates to turn gifts into home and
reporting currency. Reports (and later receipts) use it; `rates gaps` lists what it lacks.
Which rate applies is decided in `fundledger.domain.rates`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Donation
from fundledger.adapters.db.queries import counted_donations
from fundledger.domain.errors import FundledgerError, RateNotInForce
from fundledger.domain.money import MAX_AMOUNT_MINOR, Money
from fundledger.domain.rates import (
    ConversionFactors,
    RateInForce,
    conversion_factors,
    convert_minor,
)
from fundledger.services.campaigns import get_campaign
from fundledger.services.context import CommandContext
from fundledger.services.rates import load_rate_book

GiftKey = tuple[date, str]  # donation date, currency


@dataclass(frozen=True, slots=True)
class Gap:
    """Gifts of one currency on one date that no rate in force can convert yet."""

    on: date
    currency: str
    gifts: int
    pair: str
    latest: date | None
    reason: str


@dataclass(frozen=True, slots=True)
class GiftFactors:
    factors: dict[GiftKey, ConversionFactors]
    gaps: tuple[Gap, ...]

    def require_complete(self) -> dict[GiftKey, ConversionFactors]:
        """The factors, or one error naming the first gap and how many more there are."""
        if not self.gaps:
            return self.factors
        first = self.gaps[0]
        more = (
            f" (and {len(self.gaps) - 1} more: see `fundledger rates gaps`)"
            if len(self.gaps) > 1
            else ""
        )
        raise RateNotInForce(f"{first.reason}{more}", pair=first.pair, on=first.on,
                             latest=first.latest)  # fmt: skip


@dataclass(frozen=True, slots=True)
class GiftGroup:
    """The gifts of one currency on one date: how many, and the largest (minor units)."""

    on: date
    currency: str
    gifts: int
    largest_minor: int


def gift_factors(
    session: Session, context: CommandContext, counted: ColumnElement[bool]
) -> GiftFactors:
    """Exact conversion factors for each (date, currency) of the counted gifts, and the gaps."""
    groups = session.execute(
        select(
            Donation.donation_date,
            Donation.currency,
            func.count(),
            func.max(func.abs(Donation.amount_minor)),
        )
        .where(counted)
        .group_by(Donation.donation_date, Donation.currency)
        .order_by(Donation.donation_date, Donation.currency)
    ).all()
    return group_factors(
        session, context, [GiftGroup(day, currency, int(count), int(largest))
                           for day, currency, count, largest in groups]
    )  # fmt: skip


def group_factors(
    session: Session, context: CommandContext, groups: Sequence[GiftGroup]
) -> GiftFactors:
    """Exact conversion factors for each group (in date order), and the gaps. Refuses a rate
    that would convert a group's largest gift past any amount the ledger holds."""
    if not groups:
        return GiftFactors({}, ())
    settings = context.settings
    needed = {group.currency for group in groups} | {settings.home_currency,
                                                     settings.reporting_currency}  # fmt: skip
    book = load_rate_book(session, context, groups[0].on, groups[-1].on, needed)
    factors: dict[GiftKey, ConversionFactors] = {}
    gaps: list[Gap] = []
    for group in groups:
        try:
            found = conversion_factors(
                book, group.currency, group.on, settings.home_currency, settings.reporting_currency
            )
        except RateNotInForce as error:
            gaps.append(
                Gap(group.on, group.currency, group.gifts, error.pair, error.latest, str(error))
            )
            continue
        _refuse_overflow(found, group.largest_minor)
        factors[(group.on, group.currency)] = found
    return GiftFactors(factors, tuple(gaps))


def _refuse_overflow(found: ConversionFactors, largest_minor: int) -> None:
    """The database sums converted gifts in 64-bit integers: refuse a rate that would blow a
    gift past any amount the ledger holds, rather than fail obscurely inside SQL."""
    for factor in (found.to_home, found.to_reporting):
        if abs(convert_minor(largest_minor, factor)) > MAX_AMOUNT_MINOR:
            raise FundledgerError(
                f"a {found.currency} gift of {found.on.isoformat()} converts to more than the "
                "ledger can hold; check the rates in force: "
                f"{'; '.join(rate.explain() for rate in found.rates)}"
            )


@dataclass(frozen=True, slots=True)
class Conversion:
    original: Money
    home: Money
    reporting: Money
    rates: tuple[RateInForce, ...]


def convert_amount(
    session: Session, context: CommandContext, amount: Money, on: date
) -> Conversion:
    """One amount on one date in home and reporting currency, each rounded once."""
    settings = context.settings
    needed = {amount.currency, settings.home_currency, settings.reporting_currency}
    book = load_rate_book(session, context, on, on, needed)
    found = conversion_factors(
        book, amount.currency, on, settings.home_currency, settings.reporting_currency
    )
    minor = amount.to_minor()
    return Conversion(
        original=amount,
        home=Money.from_minor(convert_minor(minor, found.to_home), settings.home_currency),
        reporting=Money.from_minor(
            convert_minor(minor, found.to_reporting), settings.reporting_currency
        ),
        rates=found.rates,
    )


def rate_gaps(
    session: Session, context: CommandContext, slug: str | None = None
) -> tuple[Gap, ...]:
    """What the counted gifts (of campaign `slug`, or of every campaign) lack to be converted:
    each (date, currency) with no rate in force, as `rates gaps` lists them."""
    campaign_id = get_campaign(session, slug).id if slug else None
    return gift_factors(session, context, counted_donations(campaign_id)).gaps
