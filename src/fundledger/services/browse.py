"""What the read-side pages list, a page at a time: a campaign's latest gifts, donors found by
name or e-mail, a donor's page, and the gifts search across campaigns.

Each takes the acting user (`Actor`), since what they may see depends on their role:
- contact details (e-mail, phone, address, ID number) only for those who keep the books
  (`Actor.sees_contact_details`);
- for a viewer an anonymous gift has no donor, no reference and no receipt number (any of
  them could name the giver), and a donor is someone they can look up only through a gift
  given by name: a donor whose every gift is anonymous is not found by a viewer's search,
  and their page is refused as if there were no such donor (telling "exists, but hidden"
  would itself say that someone gave anonymously under that name). On a donor's page a
  viewer sees only the gifts given by name, and the receipts and statement years of those.

Only the page's rows are read in full; counts are SQL aggregates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, and_, exists, extract, func, or_, select, true
from sqlalchemy.orm import Session, aliased

from fundledger.adapters.db.models import (
    Campaign,
    Donation,
    DonationCorrection,
    Donor,
    DonorRevision,
    Receipt,
    SummaryCell,
)
from fundledger.adapters.db.planning import without_jit
from fundledger.adapters.db.queries import counted_donations, current_donors, merges_in_force
from fundledger.domain.access import Actor, Role, require
from fundledger.domain.donors import email_key, loose_name
from fundledger.domain.errors import FundledgerError
from fundledger.domain.methods import method_code
from fundledger.domain.money import Money
from fundledger.domain.rates import convert_minor
from fundledger.services.campaigns import get_campaign
from fundledger.services.context import CommandContext
from fundledger.services.conversion import GiftGroup, group_factors
from fundledger.services.search import DonationSearch, search_donations
from fundledger.services.summary_read import holds_ledger

PER_PAGE = 50
MOST_PER_PAGE = 500

T = TypeVar("T")


class NoSuchDonor(FundledgerError):
    """No donor of that number, or none the acting user may see (the web answers 404)."""


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list: its items, its number (from 1), and how many items match in all."""

    items: tuple[T, ...]
    number: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number * self.per_page < self.total


@dataclass(frozen=True, slots=True)
class GiftLine:
    """A gift (or a reversal: negative amount, `reverses` set) as a list shows it. `donor`
    and `donor_id` are None for a gift without a donor, and for a viewer also for an
    anonymous one, whose reference and receipt they do not see either."""

    id: int
    campaign: str  # its slug
    date: date
    amount: Money
    home: Money | None  # in the home currency at the rate of its date; None: no rate yet
    donor_id: int | None
    donor: str | None
    anonymous: bool
    method: str | None  # a method's code (card, bank, ...) or the text as recorded
    reference: str | None
    receipt: str | None  # its receipt's number (SERIES-YEAR-NUMBER), if it has one
    reverses: int | None
    reversed_by: int | None

    @property
    def reversed(self) -> bool:
        return self.reversed_by is not None


@dataclass(frozen=True, slots=True)
class DonorHit:
    """A donor found by a search; `email` None for a viewer."""

    id: int
    name: str
    email: str | None
    gifts: int  # their gifts counted (neither reversed nor reversals), for a viewer named ones
    last_gift: date | None
    merged_into: int | None


@dataclass(frozen=True, slots=True)
class DonorReceiptLine:
    number: str
    kind: str  # donation or credit
    donation_id: int
    issued_on: date
    locale: str


@dataclass(frozen=True, slots=True)
class DonorPage:
    """A donor's page. The contact details are None for whoever may not see them
    (`contact_shown` False): then None says nothing about whether the donor has one."""

    id: int
    name: str
    language: str | None  # of their documents (en, he, ar), if they chose
    contact_shown: bool
    email: str | None
    phone: str | None
    address: str | None
    tax_id: str | None
    merged_into: int | None  # the donor whose gifts theirs count with
    merged_from: tuple[int, ...]  # donors merged into this one (their gifts are listed here)
    totals: tuple[Money, ...]  # of their counted gifts, by currency (original amounts)
    gifts: Page[GiftLine]  # newest first
    receipts: tuple[DonorReceiptLine, ...]
    statement_years: tuple[int, ...]  # years with counted gifts: `fundledger statement --year`


def campaign_gifts(
    session: Session,
    context: CommandContext,
    actor: Actor,
    slug: str,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page[GiftLine]:
    """A campaign's gifts and reversals, newest first (by date, then as recorded)."""
    _start_page(session, page, per_page)
    campaign_id = get_campaign(session, slug).id
    of_campaign = Donation.campaign_id == campaign_id
    total = _entry_count(session, context, campaign_id)
    ids = session.scalars(
        select(Donation.id)
        .where(of_campaign)
        .order_by(Donation.donation_date.desc(), Donation.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    return Page(gift_lines(session, context, actor, ids), page, per_page, total)


def _entry_count(session: Session, context: CommandContext, campaign_id: int) -> int:
    """How many gifts and reversals a campaign has. From the stored summaries when they
    hold the ledger: its counted gifts, and each reversal with the gift it reverses (a few
    rows); counting the campaign's index entries takes 70 ms on a million."""
    if not holds_ledger(session, context):
        return int(session.scalar(
            select(func.count()).where(Donation.campaign_id == campaign_id)) or 0)  # fmt: skip
    counted = session.scalar(
        select(func.sum(SummaryCell.gifts)).where(SummaryCell.campaign_id == campaign_id)
    )
    # `+ 0`: read through the index of reversals, not every entry of the campaign's index.
    reversals = session.scalar(select(func.count()).where(
        Donation.reverses_id.is_not(None), Donation.campaign_id + 0 == campaign_id))  # fmt: skip
    return int(counted or 0) + 2 * int(reversals or 0)


def search_gifts(
    session: Session,
    context: CommandContext,
    actor: Actor,
    search: DonationSearch,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> tuple[Page[GiftLine], int]:
    """The gifts across campaigns that match `search` (as `fundledger donation list`), by
    date; and how many had no rate to compare a value with (left out). A viewer may not
    search by e-mail (the answer would tell whether an address belongs to a donor), and a
    viewer's search by donor finds only gifts given by name."""
    _start_page(session, page, per_page)
    if search.email is not None and not actor.sees_contact_details:
        require(actor, Role.TREASURER, "search gifts by e-mail")
    if search.donor is not None and not actor.sees_contact_details:
        # The anonymous gifts of a donor found by name would name their giver, unnamed or not.
        search = replace(search, named_only=True)
    found = search_donations(session, context, search, per_page, offset=(page - 1) * per_page)
    lines = gift_lines(session, context, actor, [entry.id for entry in found.entries])
    return Page(lines, page, per_page, found.total), found.unvalued


def gift_lines(
    session: Session, context: CommandContext, actor: Actor, ids: Sequence[int]
) -> tuple[GiftLine, ...]:
    """The gifts `ids` (a page: a few hundred at most), in that order, with their home value
    at the rate of their date and their receipt's number."""
    if not ids:
        return ()
    reversal = aliased(Donation)
    rows = session.execute(
        select(Donation, Campaign.slug, reversal.id, DonationCorrection.reference,
               Receipt.series, Receipt.year, Receipt.number)
        .join(Campaign, Campaign.id == Donation.campaign_id)
        .outerjoin(reversal, reversal.reverses_id == Donation.id)
        .outerjoin(DonationCorrection, DonationCorrection.donation_id == Donation.id)
        .outerjoin(Receipt, Receipt.donation_id == Donation.id)
        .where(Donation.id.in_(ids))
    ).all()  # fmt: skip
    groups: dict[tuple[date, str], int] = {}
    for row in rows:
        key = (row[0].donation_date, row[0].currency)
        groups[key] = max(groups.get(key, 0), abs(row[0].amount_minor))
    home = context.settings.home_currency
    factors = group_factors(session, context, [
        GiftGroup(day, currency, 1, largest) for (day, currency), largest in sorted(groups.items())
    ]).factors  # fmt: skip
    # The donors' names as they stand, asked for the page's donors alone: joined to the gifts
    # instead, SQLite works out every donor's current details first (70 ms on 50,000).
    current = current_donors()
    donor_ids = {row[0].donor_id for row in rows if row[0].donor_id is not None}
    names = {int(donor): name for donor, name in session.execute(
        select(current.c.id, current.c.name).where(current.c.id.in_(donor_ids)))}  # fmt: skip
    by_id: dict[int, GiftLine] = {}
    for gift, slug, reversed_by, kept_reference, series, year, number in rows:
        donor_name = names.get(gift.donor_id) if gift.donor_id is not None else None
        hidden = gift.anonymous and not actor.sees_contact_details
        factor = factors.get((gift.donation_date, gift.currency))
        by_id[gift.id] = GiftLine(
            id=gift.id, campaign=slug, date=gift.donation_date,
            amount=Money.from_minor(gift.amount_minor, gift.currency),
            home=(Money.from_minor(convert_minor(gift.amount_minor, factor.to_home), home)
                  if factor is not None else None),
            donor_id=None if hidden else gift.donor_id,
            donor=None if hidden else donor_name,
            anonymous=gift.anonymous,
            method=method_code(gift.method),
            # A correction keeps the reference of the gift it corrects, in its link.
            reference=None if hidden else (gift.reference or kept_reference),
            receipt=(None if hidden or series is None
                     else f"{series}-{int(year):04d}-{int(number):05d}"),
            reverses=gift.reverses_id, reversed_by=reversed_by,
        )  # fmt: skip
    return tuple(by_id[gift_id] for gift_id in ids if gift_id in by_id)


def find_donors(
    session: Session,
    actor: Actor,
    text: str,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page[DonorHit]:
    """Donors whose name (as it stands or as first recorded) contains `text`, compared
    without case, spacing, punctuation or diacritics; or, when `text` is an e-mail address
    (has an @), the donor of that address, any case. By name, then number."""
    _start_page(session, page, per_page)
    text = text.strip()
    if "@" in text:
        if not actor.sees_contact_details:
            require(actor, Role.TREASURER, "search donors by e-mail")
        key = email_key(text)
        revised = select(DonorRevision.donor_id).where(func.lower(DonorRevision.email) == key)
        matching: ColumnElement[bool] = or_(Donor.email_key == key, Donor.id.in_(revised))
    else:
        wanted = loose_name(text)
        if not wanted:
            raise FundledgerError(f"{text!r} has no letter or digit to look for: type a part "
                                  "of a donor's name, or their e-mail address")  # fmt: skip
        # A revised name has no stored key; revisions are few (edits), read and compared here.
        revised_ids = [
            donor_id
            for donor_id, name in session.execute(
                select(DonorRevision.donor_id, DonorRevision.name)
            )
            if wanted in loose_name(name)
        ]
        matching = or_(Donor.loose_key.contains(wanted, autoescape=True),
                       Donor.id.in_(revised_ids))  # fmt: skip
    if not actor.sees_contact_details:
        matching = and_(matching, _gave_by_name(Donor.id))
    total = int(session.scalar(select(func.count()).select_from(Donor).where(matching)) or 0)
    current = current_donors()
    merges = merges_in_force()
    found = session.execute(
        select(Donor.id, current.c.name, current.c.email, merges.c.into_donor_id)
        .join(current, current.c.id == Donor.id)
        .outerjoin(merges, merges.c.merged_donor_id == Donor.id)
        .where(matching)
        .order_by(Donor.name_key, Donor.id)
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()  # fmt: skip
    counts = _gift_counts(session, actor, [int(row.id) for row in found])
    return Page(tuple(
        DonorHit(int(row.id), row.name, row.email if actor.sees_contact_details else None,
                 *counts.get(int(row.id), (0, None)), row.into_donor_id)
        for row in found
    ), page, per_page, total)  # fmt: skip


def donor_page(
    session: Session,
    context: CommandContext,
    actor: Actor,
    donor_id: int,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> DonorPage:
    """A donor's details as the actor may see them, their gifts (and those of donors merged
    into them), newest first, a page at a time, their receipts and statement years."""
    _start_page(session, page, per_page)
    current = current_donors()
    donor = session.execute(select(current).where(current.c.id == donor_id)).first()
    if donor is None or (not actor.sees_contact_details
                         and not session.scalar(select(_gave_by_name(donor_id)))):  # fmt: skip
        raise NoSuchDonor(f"no donor #{donor_id}: find donors by name with the donor search")
    merges = merges_in_force()
    into = session.scalar(
        select(merges.c.into_donor_id).where(merges.c.merged_donor_id == donor_id)
    )
    merged_from = tuple(int(merged) for merged in session.scalars(
        select(merges.c.merged_donor_id).where(merges.c.into_donor_id == donor_id)
        .order_by(merges.c.merged_donor_id)))  # fmt: skip
    whose = Donation.donor_id.in_([donor_id, *merged_from])
    shown = whose if actor.sees_contact_details else and_(whose, ~Donation.anonymous)
    counted = and_(shown, counted_donations())
    totals = tuple(Money.from_minor(int(minor), currency) for currency, minor in session.execute(
        select(Donation.currency, func.sum(Donation.amount_minor)).where(counted)
        .group_by(Donation.currency).order_by(Donation.currency)))  # fmt: skip
    total = int(session.scalar(select(func.count()).where(shown)) or 0)
    ids = session.scalars(
        select(Donation.id).where(shown)
        .order_by(Donation.donation_date.desc(), Donation.id.desc())
        .limit(per_page).offset((page - 1) * per_page)
    ).all()  # fmt: skip
    receipts = tuple(
        DonorReceiptLine(f"{series}-{year:04d}-{number:05d}", kind, gift, issued_on, locale)
        for series, year, number, kind, gift, issued_on, locale in session.execute(
            select(Receipt.series, Receipt.year, Receipt.number, Receipt.kind,
                   Receipt.donation_id, Receipt.issued_on, Receipt.locale)
            .join(Donation, Donation.id == Receipt.donation_id)
            .where(shown)
            .order_by(Receipt.issued_on, Receipt.id))
    )  # fmt: skip
    year = extract("year", Donation.donation_date)
    years = tuple(sorted({int(found) for found in session.scalars(
        select(year).where(counted).group_by(year))}))  # fmt: skip
    sees = actor.sees_contact_details
    return DonorPage(
        id=donor_id, name=donor.name, language=donor.language, contact_shown=sees,
        email=donor.email if sees else None, phone=donor.phone if sees else None,
        address=donor.address if sees else None, tax_id=donor.tax_id if sees else None,
        merged_into=into, merged_from=merged_from, totals=totals,
        gifts=Page(gift_lines(session, context, actor, ids), page, per_page, total),
        receipts=receipts, statement_years=years,
    )  # fmt: skip


def _gave_by_name(donor_id: Any) -> ColumnElement[bool]:
    """Whether the donor (or a donor merged into them) gave some gift by name: what lets a
    viewer know of them at all. Two EXISTS, each through the gifts' donor index: one with an
    OR between the donor and their merged donors read every gift on PostgreSQL (36 s for a
    search matching 7,000 donors of a million gifts)."""
    merges = merges_in_force()
    own = exists().where(Donation.donor_id == donor_id, ~Donation.anonymous)
    merged = exists().where(merges.c.into_donor_id == donor_id,
                            Donation.donor_id == merges.c.merged_donor_id,
                            ~Donation.anonymous)  # fmt: skip
    return or_(own, merged)


def _gift_counts(
    session: Session, actor: Actor, donor_ids: list[int]
) -> dict[int, tuple[int, date | None]]:
    """The page's donors' counted gifts (their own; for a viewer the named ones) and the
    date of the last, through the gifts' donor index."""
    if not donor_ids:
        return {}
    named = true() if actor.sees_contact_details else ~Donation.anonymous
    return {int(donor): (int(count), last) for donor, count, last in session.execute(
        select(Donation.donor_id, func.count(), func.max(Donation.donation_date))
        .where(Donation.donor_id.in_(donor_ids), counted_donations(), named)
        .group_by(Donation.donor_id)) if donor is not None}  # fmt: skip


def _start_page(session: Session, page: int, per_page: int) -> None:
    """Refuse a page that cannot be; plan the page's queries without JIT (adapters/db)."""
    without_jit(session)
    check_page(page, per_page)


def check_page(page: int, per_page: int) -> None:
    """Refuse a page that cannot be (every paged list: gifts, donors, receipts, audit)."""
    if page < 1:
        raise FundledgerError(f"page {page} does not exist: pages are numbered from 1")
    if not 1 <= per_page <= MOST_PER_PAGE:
        raise FundledgerError(f"{per_page} per page: show between 1 and {MOST_PER_PAGE}")
