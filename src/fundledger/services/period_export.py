"""The accountant's export of a period (`fundledger report gifts`): every gift dated within it,
reversed ones and their reversals included, each with its value in the home and reporting
currency, the rates that gave them (value, date, source), its receipt and what reverses what.

Each value is the gift's per-gift conversion rounded once (`convert_minor`), the rule every
report and receipt follows, so the values add up to the period report's totals to the agora:
a reversal is dated as its gift and converted at the same rates, so the pair nets to zero,
as the report leaves both out."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import and_, select
from sqlalchemy.orm import Session, aliased

from fundledger.adapters.db.models import Campaign, Donation, DonationCorrection, Receipt
from fundledger.adapters.db.queries import current_donors
from fundledger.domain.methods import method_code
from fundledger.domain.money import Money
from fundledger.domain.period import Period
from fundledger.domain.rates import ConversionFactors, convert_minor
from fundledger.services.campaigns import get_campaign
from fundledger.services.context import CommandContext
from fundledger.services.conversion import gift_factors
from fundledger.services.receipts import ReceiptNumber


@dataclass(frozen=True, slots=True)
class ExportedGift:
    id: int
    date: datetime.date
    campaign: str
    donor: str | None  # as the donor's details stand now; None: no donor recorded
    anonymous: bool
    reference: str | None
    method: str | None  # its code, for a known method
    amount: Money  # as given (a reversal: negative)
    home: Money
    reporting: Money
    rates: str  # each rate in force, explained: value, source, date, how derived
    rate_dates: tuple[datetime.date, ...]
    rate_sources: tuple[str, ...]
    receipt: str | None  # the receipt's number (a reversal: its credit receipt's)
    reverses: int | None
    reversed_by: int | None
    corrects: int | None  # the gift this one corrects (`donation correct`), under its reference
    note: str | None


@dataclass(frozen=True, slots=True)
class PeriodExport:
    period: Period
    campaign: str | None  # a slug; None: every campaign
    home_currency: str
    reporting_currency: str
    gifts: tuple[ExportedGift, ...]

    @property
    def total_home(self) -> Money:
        return sum((gift.home for gift in self.gifts), Money.zero(self.home_currency))

    @property
    def total_reporting(self) -> Money:
        return sum((gift.reporting for gift in self.gifts), Money.zero(self.reporting_currency))

    @property
    def counted(self) -> int:
        """The gifts a report counts: neither reversed nor a reversal."""
        return sum(1 for gift in self.gifts if gift.reverses is None and gift.reversed_by is None)


class Correction(NamedTuple):
    reference: str | None
    corrects: int


def export_period(
    session: Session, context: CommandContext, period: Period, campaign: str | None = None
) -> PeriodExport:
    """Every gift and reversal dated within `period` (of one campaign, or of all), by date
    then id. Refuses, naming the first, when a gift has no rate in force: its values would be
    missing from the accountant's totals."""
    settings = context.settings
    home, reporting = settings.home_currency, settings.reporting_currency
    conditions = [Donation.donation_date >= period.start, Donation.donation_date <= period.end]
    if campaign is not None:
        conditions.append(Donation.campaign_id == get_campaign(session, campaign).id)
    factors = gift_factors(session, context, and_(*conditions)).require_complete()
    donor = current_donors()
    reversal = aliased(Donation)
    rows = session.execute(
        select(Donation, Campaign.slug, donor.c.name, reversal.id, Receipt.series, Receipt.year,
               Receipt.number, DonationCorrection.reference, DonationCorrection.corrects_id)
        .join(Campaign, Campaign.id == Donation.campaign_id)
        .outerjoin(DonationCorrection, DonationCorrection.donation_id == Donation.id)
        .outerjoin(donor, donor.c.id == Donation.donor_id)
        .outerjoin(reversal, reversal.reverses_id == Donation.id)
        .outerjoin(Receipt, Receipt.donation_id == Donation.id)
        .where(*conditions)
        .order_by(Donation.donation_date, Donation.id)
    ).all()  # fmt: skip
    gifts = tuple(
        _exported(gift, slug, name, reversed_by,
                  str(ReceiptNumber(series, year, number)) if series is not None else None,
                  factors[gift.donation_date, gift.currency], home, reporting,
                  Correction(reference, corrects) if corrects is not None else None)
        for gift, slug, name, reversed_by, series, year, number, reference, corrects in rows
    )  # fmt: skip
    return PeriodExport(period, campaign, home, reporting, gifts)


def _exported(
    gift: Donation,
    slug: str,
    donor: str | None,
    reversed_by: int | None,
    receipt: str | None,
    factor: ConversionFactors,
    home: str,
    reporting: str,
    correction: Correction | None,
) -> ExportedGift:
    legs = [leg for rate in factor.rates for leg in rate.legs]
    return ExportedGift(
        id=gift.id,
        date=gift.donation_date,
        campaign=slug,
        donor=donor,
        anonymous=gift.anonymous,
        # A correction keeps the reference of the gift it corrects, in its link.
        reference=gift.reference if correction is None else correction.reference,
        method=method_code(gift.method),
        amount=Money.from_minor(gift.amount_minor, gift.currency),
        home=Money.from_minor(convert_minor(gift.amount_minor, factor.to_home), home),
        reporting=Money.from_minor(
            convert_minor(gift.amount_minor, factor.to_reporting), reporting
        ),
        rates="; ".join(rate.explain() for rate in factor.rates),
        rate_dates=tuple(sorted({leg.rate_date for leg in legs})),
        rate_sources=tuple(sorted({leg.source for leg in legs})),
        receipt=receipt,
        reverses=gift.reverses_id,
        reversed_by=reversed_by,
        corrects=None if correction is None else correction.corrects,
        note=gift.note,
    )
