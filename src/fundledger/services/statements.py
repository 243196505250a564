"""A donor's annual statement: every gift of a year (those given anonymously too: the
statement goes to the donor alone), each with its receipt number and its value in the home
and reporting currencies, and the totals. Gifts of donors merged into this one are theirs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Campaign, Donation, Donor, Receipt
from fundledger.adapters.db.queries import (
    counted_donations,
    current_donors,
    effective_donor,
    merges_in_force,
)
from fundledger.adapters.images import Logo
from fundledger.domain.access import Actor, Role, require
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.domain.rates import ConversionFactors, convert_minor
from fundledger.services.batches import SkippedGift, missing_rate
from fundledger.services.browse import NoSuchDonor
from fundledger.services.campaigns import campaign_names
from fundledger.services.context import CommandContext
from fundledger.services.conversion import gift_factors
from fundledger.services.receipts import (
    Organisation,
    ReceiptDocument,
    ReceiptNumber,
    organisation_details,
)
from fundledger.services.settings import (
    current_settings,
    organisation_logo,
    report_locale,
    section46_minimum,
)


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
    # The campaign's names in report languages, where it has its own (campaign_name).
    campaign_names: Mapping[str, str] = field(default_factory=dict)

    def campaign_in(self, language: str) -> str:
        """The campaign as a reader of `language` knows it: its name there, else its own."""
        return self.campaign_names.get(language) or self.campaign


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
    locale: str = "en"  # the language it is written in (the organisation is named in it)
    # The Section 46 minimum of the year, in NIS, when the organisation has an approval, a
    # minimum is known (the tax.section46.minimum.YEAR setting, or the law's) and the books
    # are kept in NIS (the total it is held against is in the home currency).
    section46_minimum: Money | None = None

    @property
    def reaches_minimum(self) -> bool | None:
        """Whether the year's total reaches the Section 46 minimum (None: none applies)."""
        if self.section46_minimum is None:
            return None
        return self.total_home >= self.section46_minimum


def donor_statement(
    session: Session, context: CommandContext, donor_id: int, year: int, locale: str | None
) -> DonorStatement:
    """The statement of one donor (not one merged into another: their gifts are on the
    statement of the donor they were merged into)."""
    if session.get(Donor, donor_id) is None:
        raise FundledgerError(f"no donor #{donor_id}: `fundledger donor list` shows them all")
    merges = merges_in_force()
    into = session.scalar(
        select(merges.c.into_donor_id).where(merges.c.merged_donor_id == donor_id)
    )
    if into is not None:
        raise FundledgerError(f"donor #{donor_id} is merged into #{into}: their gifts are on the "
                              f"statement of donor #{into}")  # fmt: skip
    return donor_statements(session, context, year, locale, [donor_id])[0]


@dataclass(frozen=True, slots=True)
class BatchOfStatements:
    statements: tuple[DonorStatement, ...]  # by donor number
    held_back: tuple[int, ...]  # the donors whose statement waits for a rate
    skipped: tuple[SkippedGift, ...]  # their gifts that lack one, each with the fix


def statements_of_year(
    session: Session, context: CommandContext, year: int, locale: str | None
) -> BatchOfStatements:
    """A statement for every donor who gave in `year` whose gifts can all be converted; for
    the others, the gifts that cannot yet (no rate in force on their date), each with the
    command that mends it. A statement is never printed with a gift left out."""
    owner = effective_donor(Donation.donor_id)
    chosen = and_(Donation.donor_id.is_not(None), counted_donations(), _in_year(year))
    gaps = {(gap.on, gap.currency): gap for gap in gift_factors(session, context, chosen).gaps}
    skipped: list[SkippedGift] = []
    held: set[int] = set()
    if gaps:
        current = current_donors()
        lacking = or_(*(and_(Donation.donation_date == on, Donation.currency == currency)
                        for on, currency in gaps))  # fmt: skip
        for owner_id, gift_id, on, currency, name in session.execute(
            select(owner, Donation.id, Donation.donation_date, Donation.currency, current.c.name)
            .join(current, current.c.id == owner)
            .where(chosen, lacking)
            .order_by(Donation.donation_date, Donation.id)
        ):
            gap = gaps[(on, currency)]
            skipped.append(SkippedGift(gift_id, on, name, *missing_rate(gap.pair, gap.on,
                                                                        gap.latest)))  # fmt: skip
            held.add(owner_id)
    givers = {int(donor) for donor in session.scalars(select(owner).where(chosen).distinct())
              if donor is not None}  # fmt: skip
    donors = sorted(givers - held)
    return BatchOfStatements(
        tuple(donor_statements(session, context, year, locale, donors)),
        tuple(sorted(held)),
        tuple(skipped),
    )


def donor_statements(
    session: Session,
    context: CommandContext,
    year: int,
    locale: str | None,
    donor_ids: list[int] | None = None,
) -> list[DonorStatement]:
    """The statements of `donor_ids` (or of every donor who gave in `year`), in that order:
    their gifts in one read, converted with one set of rates. Each is in `locale` if given,
    else in its donor's language, else in the report.locale setting's (else English)."""
    owner = effective_donor(Donation.donor_id)
    whose = owner.in_(donor_ids) if donor_ids is not None else Donation.donor_id.is_not(None)
    chosen = and_(whose, counted_donations(), _in_year(year))
    found = gift_factors(session, context, chosen).require_complete()
    gifts: dict[int, list[StatementLine]] = defaultdict(list)
    names = campaign_names(session)
    for owner_id, gift, campaign, content in session.execute(
        select(owner, Donation, Campaign.name, Receipt.content)
        .join(Campaign, Campaign.id == Donation.campaign_id)
        .outerjoin(Receipt, Receipt.donation_id == Donation.id)
        .where(chosen)
        .order_by(Donation.donation_date, Donation.id)
    ):
        if owner_id is not None:  # `chosen` has a donor for every gift
            named = (campaign, names.get(gift.campaign_id, {}))
            gifts[owner_id].append(_line(context, gift, named, content, found))
    wanted = donor_ids if donor_ids is not None else sorted(gifts)
    current = current_donors()  # the donor's details as they stand, not as first recorded
    donors = {donor.id: donor for donor in session.execute(select(current).where(
        current.c.id.in_(wanted)))}  # fmt: skip
    settings_now = current_settings(session)
    languages = {donor_id: report_locale(settings_now, locale, donors[donor_id].language)
                 for donor_id in wanted}  # fmt: skip
    # Only in the languages the statements are written in (a Hebrew statement needs the Hebrew
    # name, or the English one in its place, never the English one as such); asked for even
    # without donors, in the default language: a missing name is said whoever the donors are.
    organisations = {language: organisation_details(settings_now, language) for language in
                     set(languages.values()) or {report_locale(settings_now, locale)}}  # fmt: skip
    logo = organisation_logo(settings_now)
    home, reporting = context.settings.home_currency, context.settings.reporting_currency
    minimum = (section46_minimum(settings_now, year, home)
               if settings_now.get("organisation.section46.approval") else None)  # fmt: skip
    return [
        DonorStatement(
            year=year,
            organisation=organisations[languages[donor_id]],
            donor_id=donor_id,
            donor=donors[donor_id].name,
            donor_email=donors[donor_id].email,
            lines=tuple(gifts[donor_id]),
            total_home=sum((line.home for line in gifts[donor_id]), Money.zero(home)),
            total_reporting=sum(
                (line.reporting for line in gifts[donor_id]), Money.zero(reporting)
            ),
            max_rate_age_days=context.settings.max_rate_age_days,
            logo=logo,
            locale=languages[donor_id],
            section46_minimum=minimum,
        )
        for donor_id in wanted
    ]


def _line(
    context: CommandContext,
    gift: Donation,
    campaign: tuple[str, Mapping[str, str]],  # its own name, and its names by language
    content: str | None,
    factors: dict[tuple[date, str], ConversionFactors],
) -> StatementLine:
    home, reporting = context.settings.home_currency, context.settings.reporting_currency
    factor = factors[(gift.donation_date, gift.currency)]
    receipt = ReceiptDocument.from_json(content) if content is not None else None
    return StatementLine(
        donation_id=gift.id,
        date=gift.donation_date,
        campaign=campaign[0],
        amount=Money.from_minor(gift.amount_minor, gift.currency),
        # A receipted gift at the value its receipt states, even if a rate has been corrected
        # since: the donor's two documents never disagree.
        home=(receipt.home if receipt and receipt.home.currency == home else
              Money.from_minor(convert_minor(gift.amount_minor, factor.to_home), home)),
        reporting=Money.from_minor(convert_minor(gift.amount_minor, factor.to_reporting),
                                   reporting),
        receipt=receipt.number if receipt else None,
        anonymous=gift.anonymous,
        campaign_names=campaign[1],
    )  # fmt: skip


def _in_year(year: int) -> ColumnElement[bool]:
    return and_(
        Donation.donation_date >= date(year, 1, 1), Donation.donation_date <= date(year, 12, 31)
    )


def statement_for(
    session: Session,
    context: CommandContext,
    actor: Actor,
    donor_id: int,
    year: int,
    locale: str | None,
) -> DonorStatement:
    """`donor_statement` for a reader of the web: only those who keep the books, since a
    statement lists the donor's anonymous gifts too and their e-mail address."""
    require(actor, Role.TREASURER, "print a donor's statement")
    if session.get(Donor, donor_id) is None:
        raise NoSuchDonor(f"no donor #{donor_id}: find donors by name with the donor search")
    return donor_statement(session, context, donor_id, year, locale)
