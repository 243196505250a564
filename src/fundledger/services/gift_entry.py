"""Entering gifts as a treasurer at a desk does: a look at one gift before it is saved (its
value at the rate that will convert it, the donor it will go to and any likely duplicate),
and a batch of gifts (a stack of cheques, a cash box) whose stated count and total must agree
with its rows before all of them are recorded, in one transaction.

Nothing here writes but `record_batch`, and that only through `record_donation`, the service
`donation add` calls: a gift entered here is the gift the CLI would record."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Donation, Donor
from fundledger.domain.access import Actor, Role, require
from fundledger.domain.dates import past_date_problem
from fundledger.domain.donors import email_key, loose_name, name_key, normalize_name
from fundledger.domain.errors import (
    AmountNotPositive,
    DateNotPossible,
    FundledgerError,
    RateNotInForce,
)
from fundledger.domain.money import Money, currency_in_use, format_money
from fundledger.domain.rates import RateInForce
from fundledger.services.batches import missing_rate
from fundledger.services.browse import find_donors
from fundledger.services.campaigns import CampaignInfo, campaign_info, campaign_names, get_campaign
from fundledger.services.context import CommandContext
from fundledger.services.conversion import Conversion, convert_amount
from fundledger.services.donations import DonationEntry, record_donation
from fundledger.services.donors import donor_with_email

# The most rows one batch takes: a stack of cheques or a cash box, not an import (which has
# its own route, with a file).
MOST_BATCH_ROWS = 200
# Likely duplicates named at most: enough to recognise one, not a donor list.
MOST_LIKELY = 5


def entry_campaign(session: Session, slug: str) -> CampaignInfo:
    """The campaign gifts are entered for, with its names in each language (NoSuchCampaign
    if there is none)."""
    campaign = get_campaign(session, slug)
    return campaign_info(campaign, names=campaign_names(session, [campaign.id]).get(campaign.id))


@dataclass(frozen=True, slots=True)
class KnownDonor:
    id: int
    name: str
    email: str | None


@dataclass(frozen=True, slots=True)
class DonorOutlook:
    """Who a gift's donor fields lead to, as `record_donation` will decide it.
    `existing`: the donor it goes to (None: a new donor, or none at all when `anonymous_only`).
    `by_name`: found by the name alone (perhaps another person of that name).
    `likely`: other donors this one may be (same name, another e-mail; or the e-mail's owner
    under another name)."""

    existing: KnownDonor | None
    new: bool
    by_name: bool
    likely: tuple[KnownDonor, ...]
    # Donors whose name holds the name typed (a part of it, any case or spacing), when a new
    # donor would be made: what the form's suggestions show, for a browser without scripts.
    similar: tuple[KnownDonor, ...] = ()

    @property
    def no_donor(self) -> bool:
        return self.existing is None and not self.new


@dataclass(frozen=True, slots=True)
class GiftPreview:
    amount: Money
    on: date
    conversion: Conversion | None  # None: no rate in force yet
    missing: tuple[str, str] | None  # (what is missing, the command that adds it)
    donor: DonorOutlook
    reference_taken: int | None  # the gift that already has this reference
    gap: RateNotInForce | None = None  # why there is no conversion, for a page to say it

    @property
    def rates(self) -> tuple[RateInForce, ...]:
        return self.conversion.rates if self.conversion is not None else ()


def check_gift(on: date, amount: Money) -> None:
    """What `record_donation` refuses of a gift's date and amount, refused before anything is
    looked up (same words)."""
    if amount.amount <= 0:
        raise AmountNotPositive(f"a donation must be a positive amount, not "
                                f"{format_money(amount)}")  # fmt: skip
    currency_in_use(amount.currency)
    if problem := past_date_problem(on, "gift"):
        raise DateNotPossible(f"the gift's date (--date): {problem}", day=on)


def preview_gift(
    session: Session,
    context: CommandContext,
    actor: Actor,
    *,
    campaign_slug: str,
    on: date,
    amount: Money,
    donor_name: str | None,
    donor_email: str | None,
    reference: str | None = None,
) -> GiftPreview:
    """The gift as it would be recorded, read and never written: its value in the home and
    reporting currencies by `convert_amount` (the conversion the reports make), or what rate is
    missing and how to add it; its donor; a reference already taken."""
    require(actor, Role.TREASURER, "record a gift")
    get_campaign(session, campaign_slug)
    check_gift(on, amount)
    conversion: Conversion | None = None
    missing: tuple[str, str] | None = None
    gap: RateNotInForce | None = None
    try:
        conversion = convert_amount(session, context, amount, on)
    except RateNotInForce as error:
        missing, gap = missing_rate(error.pair, error.on, error.latest), error
    taken = (
        session.scalar(select(Donation.id).where(Donation.reference == reference.strip()))
        if reference and reference.strip()
        else None
    )
    outlook = donor_outlook(session, donor_name, donor_email)
    if outlook.new and donor_name and loose_name(donor_name):
        named = {known.id for known in outlook.likely}
        found = find_donors(session, actor, donor_name, per_page=MOST_LIKELY)
        outlook = replace(outlook, similar=tuple(
            KnownDonor(hit.id, hit.name, hit.email) for hit in found.items
            if hit.id not in named and hit.merged_into is None))  # fmt: skip
    return GiftPreview(amount, on, conversion, missing, outlook, taken, gap)


def donor_outlook(session: Session, name: str | None, email: str | None) -> DonorOutlook:
    """Whom `record_donation` gives a gift of this name and e-mail (match_or_add_donor's
    rules: the e-mail's donor, else without an e-mail the oldest donor of the name known by
    name alone, else a new donor), and the donors it may be mistaken for."""
    clean_name = normalize_name(name or "")
    clean_email = (email or "").strip()
    if not clean_name and not clean_email:
        return DonorOutlook(None, False, False, ())
    key = name_key(clean_name) if clean_name else None
    if clean_email:
        owner = donor_with_email(session, clean_email)
        if owner is not None:
            # The e-mail decides; a name typed that is not theirs may be someone else.
            likely = () if key is None or owner.name_key == key else (_known(owner),)
            return DonorOutlook(_known(owner), False, False, likely)
        same_name = (
            _named(session, key, but_email=email_key(clean_email)) if key is not None else ()
        )
        return DonorOutlook(None, True, False, same_name)
    assert key is not None  # a name, no e-mail
    by_name = session.scalars(
        select(Donor).where(Donor.name_key == key, Donor.email_key.is_(None)).order_by(Donor.id)
    ).first()
    if by_name is not None:
        return DonorOutlook(_known(by_name), False, True, _named(session, key, but_id=by_name.id))
    return DonorOutlook(None, True, False, _named(session, key))


def _named(
    session: Session, key: str, *, but_email: str | None = None, but_id: int | None = None
) -> tuple[KnownDonor, ...]:
    """Donors of this name (as first recorded), other than those given."""
    query = select(Donor).where(Donor.name_key == key)
    if but_email is not None:
        query = query.where((Donor.email_key != but_email) | Donor.email_key.is_(None))
    if but_id is not None:
        query = query.where(Donor.id != but_id)
    return tuple(_known(found) for found in session.scalars(
        query.order_by(Donor.id).limit(MOST_LIKELY)))  # fmt: skip


def _known(donor: Donor) -> KnownDonor:
    return KnownDonor(donor.id, donor.name, donor.email)


@dataclass(frozen=True, slots=True)
class BatchRow:
    """One gift of a batch, as `donation add` takes it (the currency: the home one if None)."""

    on: date
    amount: str
    currency: str | None = None
    donor: str | None = None
    email: str | None = None
    method: str | None = None
    reference: str | None = None
    note: str | None = None
    anonymous: bool = False


class BatchRowRefused(FundledgerError):
    """A row of a batch that cannot be recorded; `row` counts from 1, as the form shows it."""

    def __init__(self, row: int, problem: str) -> None:
        super().__init__(f"row {row}: {problem}")
        self.row = row
        self.problem = problem


class BatchMismatch(FundledgerError):
    """The rows do not come to the count and total stated for the batch."""

    def __init__(self, stated_count: int, stated_total: Money, count: int, total: Money) -> None:
        super().__init__(
            f"the batch was stated as {stated_count} gifts of {format_money(stated_total)} "
            f"but its rows are {count} gifts of {format_money(total)}: check the rows or the "
            "stated figures; nothing was recorded"
        )
        self.stated_count = stated_count
        self.stated_total = stated_total
        self.count = count
        self.total = total


@dataclass(frozen=True, slots=True)
class BatchTotals:
    count: int
    total: Money  # in the home currency, each gift at the rate of its date


def batch_totals(
    session: Session, context: CommandContext, rows: Sequence[BatchRow]
) -> BatchTotals:
    """The rows' count and their value in the home currency (each gift converted and rounded
    as the reports convert it); a row that cannot be read or converted is refused by number."""
    home = context.settings.home_currency
    total = Money.from_minor(0, home)
    for number, row in enumerate(rows, start=1):
        amount = _row_amount(number, row, home)
        try:
            check_gift(row.on, amount)
            # A gift in the home currency is its own value: it needs no rate (nor the
            # reporting currency's, which convert_amount would ask for too).
            value = (
                amount
                if amount.currency == home
                else convert_amount(session, context, amount, row.on).home
            )
        except RateNotInForce as error:
            problem, fix = missing_rate(error.pair, error.on, error.latest)
            raise BatchRowRefused(number, f"{problem}; add it first: {fix}") from error
        except FundledgerError as error:
            raise BatchRowRefused(number, str(error)) from error
        total = Money.from_minor(total.to_minor() + value.to_minor(), home)
    return BatchTotals(len(rows), total)


def _row_amount(number: int, row: BatchRow, home: str) -> Money:
    try:
        return Money.parse(row.amount.strip(), (row.currency or home).strip().upper())
    except FundledgerError as error:
        raise BatchRowRefused(number, str(error)) from error
    except ValueError as error:
        raise BatchRowRefused(number, f"{row.amount!r} is not an amount") from error


def record_batch(
    session: Session,
    context: CommandContext,
    actor: Actor | None,
    *,
    campaign_slug: str,
    rows: Sequence[BatchRow],
    stated_count: int,
    stated_total: Money,
) -> tuple[DonationEntry, ...]:
    """Record every row of a batch in the caller's one transaction, or none: refused (by
    raising, so that the caller rolls back) unless the rows come to exactly the stated count
    and home-currency total, or when any row is refused (`BatchRowRefused` names it)."""
    if actor is not None:
        require(actor, Role.TREASURER, "record a batch of gifts")
    get_campaign(session, campaign_slug)
    if not rows:
        raise FundledgerError("a batch needs at least one gift")
    if len(rows) > MOST_BATCH_ROWS:
        raise FundledgerError(f"a batch takes at most {MOST_BATCH_ROWS} gifts: split it, or "
                              "import the gifts from a file")  # fmt: skip
    found = batch_totals(session, context, rows)
    if found.count != stated_count or found.total != stated_total:
        raise BatchMismatch(stated_count, stated_total, found.count, found.total)
    home = context.settings.home_currency
    recorded = []
    for number, row in enumerate(rows, start=1):
        try:
            recorded.append(record_donation(
                session, context, campaign_slug=campaign_slug, on=row.on,
                amount=_row_amount(number, row, home), donor_name=row.donor,
                donor_email=row.email, anonymous=row.anonymous, method=row.method,
                reference=row.reference, note=row.note, actor=actor,
            ))  # fmt: skip
        except FundledgerError as error:
            raise BatchRowRefused(number, str(error)) from error
    return tuple(recorded)
