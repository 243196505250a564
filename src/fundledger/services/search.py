"""Finding gifts across campaigns: by donor, e-mail, dates, home-currency value, method and
reference (`fundledger donation list`, and the web's search next).

Every condition is SQL an index serves where one can: dates and values through the index of
(date, currency, amount) (migration 0017), which answers how many gifts match and which come
first without reading the gifts' rows; one campaign's dates through its (campaign, date) index;
a donor's name through the donor table (tens of thousands of rows, not the million gifts) and
then the gifts' donor index; an e-mail and a reference through their unique indexes. Only the
page of gifts shown is read in full. A value (--min/--max in the home currency) needs each
gift's rate: the gifts the other conditions leave are grouped by (date, currency) first, each
group's factor gives the lowest and highest amount that falls within the bounds (exactly, as
`lowest_amount_reaching` computes the size bands), and the gifts are compared with those in
SQL, never converted one by one."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    Date,
    String,
    Table,
    and_,
    func,
    insert,
    or_,
    select,
    true,
)
from sqlalchemy.orm import Session, aliased

from fundledger.adapters.db.models import (
    Campaign,
    Donation,
    DonationCorrection,
    Donor,
    DonorRevision,
)
from fundledger.adapters.db.queries import begins_with
from fundledger.adapters.db.scratch import temporary_table
from fundledger.adapters.db.sql_money import lowest_amount_reaching
from fundledger.domain.donors import email_key, loose_name
from fundledger.domain.errors import FundledgerError
from fundledger.domain.methods import grouping_key, method_key
from fundledger.domain.money import Money, format_money
from fundledger.services.campaigns import get_campaign
from fundledger.services.context import CommandContext
from fundledger.services.conversion import GiftGroup, group_factors
from fundledger.services.donations import DonationEntry, _entry

_BOUNDS_TABLE = "fundledger_search_bounds"
_NO_LIMIT = 2**63 - 1
_MANY_DONORS = 5_000
_ROWS_AT_ONCE = 5_000  # ids in one statement (SQLite takes at most 32,766)


@dataclass(frozen=True, slots=True)
class DonationSearch:
    """What to look for; every condition given must hold (None: any)."""

    campaign: str | None = None  # a campaign's slug
    donor: str | None = None  # a part of the donor's name, any case, diacritics or spacing
    email: str | None = None  # the donor's e-mail, any case
    date_from: date | None = None
    date_to: date | None = None
    # The gift's value in the home currency at the rate of its date (a reversal: the value of
    # the gift it reverses), inclusive.
    minimum: Money | None = None
    maximum: Money | None = None
    method: str | None = None  # a method's code, name or alias, or a stored text
    reference: str | None = None  # the whole reference; ending in * a prefix
    # Only gifts given by name: a search by donor made for a viewer, to whom a match would
    # say who gave an anonymous gift (services/browse.py).
    named_only: bool = False

    @property
    def by_value(self) -> bool:
        return self.minimum is not None or self.maximum is not None


@dataclass(frozen=True, slots=True)
class SearchResult:
    entries: list[DonationEntry]
    total: int  # how many gifts match in all
    # Gifts that met every other condition but have no rate in force on their date, so no
    # home-currency value to compare (only with --min/--max).
    unvalued: int = 0
    searched: DonationSearch = field(default_factory=DonationSearch)

    @property
    def more(self) -> int:
        """How many matching gifts the limit left out."""
        return self.total - len(self.entries)


def search_donations(
    session: Session,
    context: CommandContext,
    search: DonationSearch,
    limit: int | None = None,
    offset: int = 0,
) -> SearchResult:
    """The gifts (and reversals) that match `search`, by date then id, at most `limit` of
    them after the first `offset` (a page), and how many match in all."""
    _check(search, context)
    conditions = _conditions(session, search)
    if conditions is None:
        return SearchResult([], 0, 0, search)
    unvalued = 0
    bounds: Table | None = None
    if search.by_value or search.method is not None:
        # The (date, currency) groups the value's thresholds are needed for; with --method the
        # stored spellings of the method too (read from the gifts' rows: no index holds them).
        keys = [Donation.donation_date, Donation.currency]
        if search.method is not None:
            keys.append(Donation.method)
        groups: Sequence[Any] = session.execute(
            select(*keys, func.count(), func.max(func.abs(Donation.amount_minor)))
            .where(*conditions)
            .group_by(*keys)
        ).all()  # fmt: skip
        if search.method is not None:
            wanted = grouping_key(search.method)
            stored = {str(group[2]) for group in groups if group[2] is not None}
            methods = sorted(method for method in stored if grouping_key(method) == wanted)
            if not methods:
                return SearchResult([], 0, 0, search)
            conditions.append(Donation.method.in_(methods))
            groups = [group for group in groups if group[2] in methods]
        if search.by_value:
            bounds, unvalued = _value_bounds(session, context, search, [
                (group[0], str(group[1]), int(group[-2]), int(group[-1])) for group in groups
            ])  # fmt: skip
    try:
        matching = select(Donation.id).where(*conditions)
        if bounds is not None:
            matching = matching.join(bounds, and_(bounds.c.day == Donation.donation_date,
                                                  bounds.c.currency == Donation.currency)).where(
                func.abs(Donation.amount_minor) >= bounds.c.low,
                func.abs(Donation.amount_minor) <= bounds.c.high,
            )  # fmt: skip
        # Both from the index of dates, currencies and amounts where the search is by those:
        # how many match, then the page's ids; only the page's rows are read.
        total = int(session.scalar(select(func.count()).select_from(matching.subquery())) or 0)
        page = session.scalars(
            matching.order_by(Donation.donation_date, Donation.id)
            .limit(_NO_LIMIT if limit is None else limit)
            .offset(offset)
        ).all()  # fmt: skip
    finally:
        if bounds is not None:
            bounds.drop(session.connection())
    reversal = aliased(Donation)
    rows: list[Any] = []
    for start in range(0, len(page), _ROWS_AT_ONCE):
        rows += session.execute(
            select(Donation, Campaign.slug, Donor, reversal.id, DonationCorrection)
            .join(Campaign, Campaign.id == Donation.campaign_id)
            .outerjoin(Donor, Donor.id == Donation.donor_id)
            .outerjoin(reversal, reversal.reverses_id == Donation.id)
            .outerjoin(DonationCorrection, DonationCorrection.donation_id == Donation.id)
            .where(Donation.id.in_(page[start : start + _ROWS_AT_ONCE]))
            .order_by(Donation.donation_date, Donation.id)
        ).all()
    entries = [_entry(donation, slug, donor, reversed_by, correction)
               for donation, slug, donor, reversed_by, correction in rows]  # fmt: skip
    return SearchResult(entries, total, unvalued, search)


def _check(search: DonationSearch, context: CommandContext) -> None:
    home = context.settings.home_currency
    for name, bound in (("--min", search.minimum), ("--max", search.maximum)):
        if bound is not None and bound.currency != home:
            raise FundledgerError(f"{name} is a value in the home currency ({home}), not "
                                  f"{bound.currency}")  # fmt: skip
        if bound is not None and bound.amount < 0:
            raise FundledgerError(f"{name} cannot be negative: {format_money(bound)}")
    minimum, maximum = search.minimum, search.maximum
    if minimum is not None and maximum is not None and minimum.amount > maximum.amount:
        raise FundledgerError(
            f"--min {format_money(minimum)} is above --max {format_money(maximum)}: "
            "nothing could match; swap them"
        )
    if search.date_from and search.date_to and search.date_from > search.date_to:
        raise FundledgerError(f"--from {search.date_from} is after --to {search.date_to}: "
                              "nothing could match; swap them")  # fmt: skip
    if search.donor is not None and not loose_name(search.donor):
        raise FundledgerError(f"--donor {search.donor!r} has no letter or digit to look for")
    if search.method is not None and not method_key(search.method):
        raise FundledgerError("--method is empty: give a method (card, cash, bit, ...)")


def _conditions(session: Session, search: DonationSearch) -> list[ColumnElement[bool]] | None:
    """The SQL conditions of everything but the value; None when nothing can match."""
    conditions: list[ColumnElement[bool]] = []
    if search.campaign is not None:
        conditions.append(Donation.campaign_id == get_campaign(session, search.campaign).id)
    if search.date_from is not None:
        conditions.append(Donation.donation_date >= search.date_from)
    if search.date_to is not None:
        conditions.append(Donation.donation_date <= search.date_to)
    donors: list[ColumnElement[bool]] = []
    if search.donor is not None:
        donors.append(_donors_named(session, search.donor))
    if search.email is not None:
        donors.append(_donors_with_email(session, search.email))
    if donors:
        ids = session.scalars(select(Donor.id).where(*donors).limit(_MANY_DONORS + 1)).all()
        if not ids:
            return None
        # A list of ids probes the gifts' donor index on both databases; a name most donors
        # share ("a") goes as a subquery (SQLite takes at most 32,766 values in a statement).
        conditions.append(Donation.donor_id.in_(
            ids if len(ids) <= _MANY_DONORS else select(Donor.id).where(*donors)))  # fmt: skip
    if search.named_only:
        conditions.append(~Donation.anonymous)
    if search.reference is not None:
        reference = search.reference.strip()
        if reference.endswith("*") and len(reference) > 1:
            gifts = begins_with(session, Donation.reference, reference[:-1])
            corrections = begins_with(session, DonationCorrection.reference, reference[:-1])
        else:
            gifts = Donation.reference == reference
            corrections = DonationCorrection.reference == reference
        # A correction keeps its gift's reference in its link (donation_correction).
        conditions.append(or_(gifts, Donation.id.in_(
            select(DonationCorrection.donation_id).where(corrections))))  # fmt: skip
    return conditions or [true()]


def _donors_named(session: Session, text: str) -> ColumnElement[bool]:
    """Donors whose name, as recorded or as revised since, contains `text` (compared without
    case, spacing, punctuation or diacritics: "levi" finds "Dana LEVI", "דנה" finds "דָּנָה")."""
    wanted = loose_name(text)
    revisions = session.execute(select(DonorRevision.donor_id, DonorRevision.name))
    revised = [donor_id for donor_id, name in revisions if wanted in loose_name(name)]
    # loose_name keeps letters and digits only: no % or _ reaches the pattern.
    return or_(Donor.loose_key.contains(wanted, autoescape=True), Donor.id.in_(revised))


def _donors_with_email(session: Session, text: str) -> ColumnElement[bool]:
    key = email_key(text)
    revisions = session.execute(select(DonorRevision.donor_id, DonorRevision.email))
    revised = [donor_id for donor_id, email in revisions if email and email_key(email) == key]
    return or_(Donor.email_key == key, Donor.id.in_(revised))


def _value_bounds(
    session: Session,
    context: CommandContext,
    search: DonationSearch,
    groups: Sequence[tuple[date, str, int, int]],
) -> tuple[Table, int]:
    """A temporary table of (day, currency, low, high): the gifts of that day and currency
    whose home value lies within the search's bounds are those with low <= |amount| <= high.
    And how many gifts have no rate to be valued at (left out)."""
    merged: dict[tuple[date, str], list[int]] = {}
    for day, currency, count, largest in groups:
        found = merged.setdefault((day, currency), [0, 0])
        found[0] += int(count)
        found[1] = max(found[1], int(largest))
    home = context.settings.home_currency
    # A gift in the home currency is its own value: it needs no rate.
    foreign = [GiftGroup(day, currency, count, largest)
               for (day, currency), (count, largest) in sorted(merged.items())
               if currency != home]  # fmt: skip
    factors = group_factors(session, context, foreign)
    to_homes = {key: factor.to_home for key, factor in factors.factors.items()}
    to_homes |= {key: Fraction(1) for key in merged if key[1] == home}
    minimum = search.minimum.to_minor() if search.minimum is not None else None
    maximum = search.maximum.to_minor() if search.maximum is not None else None
    rows = []
    for (day, currency), to_home in to_homes.items():
        low = lowest_amount_reaching(minimum, to_home.numerator, to_home.denominator) \
            if minimum is not None else 0  # fmt: skip
        high = (lowest_amount_reaching(maximum + 1, to_home.numerator, to_home.denominator) - 1
                if maximum is not None else _NO_LIMIT)  # fmt: skip
        rows.append({"day": day, "currency": currency, "low": low, "high": high})
    table = temporary_table(_BOUNDS_TABLE, Column("day", Date, primary_key=True),
                            Column("currency", String(3), primary_key=True),
                            Column("low", BigInteger), Column("high", BigInteger))  # fmt: skip
    connection = session.connection()
    table.create(connection)
    if rows:
        connection.execute(insert(table), rows)
    return table, sum(gap.gifts for gap in factors.gaps)
