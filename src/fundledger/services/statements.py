"""A donor's annual statement: every gift of a year (those given anonymously too: the
statement goes to the donor alone), each with its receipt number and its value in the home
and reporting currencies, and the totals. Gifts of donors merged into this one are theirs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Campaign, Donation, Donor, Receipt
from fundledger.adapters.db.queries import counted_donations, effective_donor, merges_in_force
from fundledger.adapters.images import Logo
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.domain.rates import convert_minor
from fundledger.services.context import CommandContext
from fundledger.services.conversion import gift_factors
from fundledger.services.receipts import (
    Organisation,
    ReceiptDocument,
    ReceiptNumber,
    organisation_details,
)
from fundledger.services.settings import current_settings, organisation_logo


@dataclass(frozen=True, slots=True)
class StatementLine:
    donation_id: int
    date: date
    campaign: str
    amount: Money
    home: Money
    reporting: Money
    receipt: ReceiptNumber | None
    anonymous: bool  # given anonymously: never in a public report, but the donor's own


@dataclass(frozen=True, slots=True)
class DonorStatement:
    year: int
    organisation: Organisation
    donor_id: int
    donor: str
    donor_email: str | None
    lines: tuple[StatementLine, ...]
    total_home: Money
    total_reporting: Money
    max_rate_age_days: int
    logo: Logo | None = None


def donor_statement(
    session: Session, context: CommandContext, donor_id: int, year: int, locale: str
) -> DonorStatement:
    donor = session.get(Donor, donor_id)
    if donor is None:
        raise FundledgerError(f"no donor #{donor_id}: `fundledger donor list` shows them all")
    merges = merges_in_force()
    into = session.scalar(
        select(merges.c.into_donor_id).where(merges.c.merged_donor_id == donor_id)
    )
    if into is not None:
        raise FundledgerError(f"donor #{donor_id} is merged into #{into}: their gifts are on the "
                              f"statement of donor #{into}")  # fmt: skip
    settings = context.settings
    gifts = _gifts_of(session, effective_donor(Donation.donor_id) == donor_id, year)
    factors = gift_factors(session, context, Donation.id.in_([gift.id for gift, *_ in gifts]))
    found = factors.require_complete()
    home, reporting = settings.home_currency, settings.reporting_currency
    lines = []
    for gift, campaign, content in gifts:
        factor = found[(gift.donation_date, gift.currency)]
        receipt = ReceiptDocument.from_json(content) if content is not None else None
        lines.append(StatementLine(
            donation_id=gift.id,
            date=gift.donation_date,
            campaign=campaign,
            amount=Money.from_minor(gift.amount_minor, gift.currency),
            # A receipted gift at the value its receipt states, even if a rate has been
            # corrected since: the donor's two documents never disagree.
            home=(receipt.home if receipt and receipt.home.currency == home else
                  Money.from_minor(convert_minor(gift.amount_minor, factor.to_home), home)),
            reporting=Money.from_minor(convert_minor(gift.amount_minor, factor.to_reporting),
                                       reporting),
            receipt=receipt.number if receipt else None,
            anonymous=gift.anonymous,
        ))  # fmt: skip
    settings_now = current_settings(session)
    return DonorStatement(
        year=year,
        organisation=organisation_details(settings_now, locale),
        donor_id=donor.id,
        donor=donor.name,
        donor_email=donor.email,
        lines=tuple(lines),
        total_home=sum((line.home for line in lines), Money.zero(home)),
        total_reporting=sum((line.reporting for line in lines), Money.zero(reporting)),
        max_rate_age_days=settings.max_rate_age_days,
        logo=organisation_logo(settings_now),
    )


def donors_of_year(session: Session, year: int) -> list[int]:
    """Every donor (merges applied) with a counted gift in `year`, by id."""
    owner = effective_donor(Donation.donor_id)
    return list(
        session.scalars(
            select(owner)
            .where(counted_donations(), Donation.donor_id.is_not(None), _in_year(year))
            .group_by(owner)
            .order_by(owner)
        )
    )


def _in_year(year: int) -> ColumnElement[bool]:
    return and_(
        Donation.donation_date >= date(year, 1, 1), Donation.donation_date <= date(year, 12, 31)
    )


def _gifts_of(
    session: Session, whose: ColumnElement[bool], year: int
) -> list[tuple[Donation, str, str | None]]:
    """(gift, campaign name, its receipt's content or None) of the counted gifts."""
    rows = session.execute(
        select(Donation, Campaign.name, Receipt.content)
        .join(Campaign, Campaign.id == Donation.campaign_id)
        .outerjoin(Receipt, Receipt.donation_id == Donation.id)
        .where(whose, counted_donations(), _in_year(year))
        .order_by(Donation.donation_date, Donation.id)
    ).all()
    return [(gift, name, content) for gift, name, content in rows]
