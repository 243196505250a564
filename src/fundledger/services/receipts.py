"""Donation receipts: numbered per series and year without gaps, one per gift, their content
fixed when issued (so a reprint is the same document), and a credit receipt when a receipted
gift is reversed.

The number is taken in the transaction that records the receipt (shared/design.md §1): the
counter row of the series and year is locked (SELECT ... FOR UPDATE on PostgreSQL; a SQLite
writer holds the whole file) until the transaction ends, so treasurers issuing at once take
turns, then steps up by one; a transaction that fails gives its number back with everything
else."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from functools import cache
from typing import Any, Protocol, TypeVar

from sqlalchemy import ColumnElement, Subquery, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from fundledger.adapters.db.chain import hold_chains
from fundledger.adapters.db.models import Donation, Receipt, ReceiptCounter
from fundledger.adapters.db.queries import current_donors, gift_reference, merges_in_force
from fundledger.adapters.db.upsert import upsert_into
from fundledger.adapters.images import Logo
from fundledger.domain.access import Actor, Role, require
from fundledger.domain.dates import today_in_israel
from fundledger.domain.errors import FundledgerError, RateNotInForce
from fundledger.domain.money import Money
from fundledger.domain.period import Period
from fundledger.domain.rates import RateInForce, convert_minor, in_minor_units
from fundledger.services.batches import GiftRefused, SkippedGift, skipped_for
from fundledger.services.campaigns import get_campaign
from fundledger.services.context import CommandContext, now, record_audit
from fundledger.services.rates import load_rate_book
from fundledger.services.settings import (
    current_settings,
    logo_by_digest,
    organisation_logo,
    organisation_name,
    report_locale,
)
from fundledger.services.tax_numbers import (
    ReportRequired,
    numbers_in_force,
    record_number,
    refuse_unreported,
)

T = TypeVar("T")
DEFAULT_PREFIX = "R"
_NUMBER = re.compile(r"\s*([A-Za-z0-9]{1,8})-([0-9]{4})-([0-9]{1,9})\s*")


@dataclass(frozen=True, slots=True, order=True)
class ReceiptNumber:
    series: str
    year: int
    number: int

    def __str__(self) -> str:
        return f"{self.series}-{self.year:04d}-{self.number:05d}"

    @classmethod
    def parse(cls, text: str) -> ReceiptNumber:
        found = _NUMBER.fullmatch(text)
        if found is None:
            raise FundledgerError(f"{text!r} is not a receipt number: write it as printed, "
                                  "e.g. R-2025-00001")  # fmt: skip
        return cls(found[1].upper(), int(found[2]), int(found[3]))


@dataclass(frozen=True, slots=True)
class ReceiptRate:
    """The rate that gave a gift's home-currency value: 1 `base` = `value` `quote`."""

    base: str
    quote: str
    value: str
    date: date
    source: str
    method: str  # direct | inverse | cross
    via: str | None


@dataclass(frozen=True, slots=True)
class Organisation:
    name: str
    address: str | None
    contact: str | None
    registration: str | None
    approval: str | None  # Section 46
    approval_valid_until: date | None


@dataclass(frozen=True, slots=True)
class ReceiptDocument:
    """Everything a receipt shows, as issued. A credit receipt shows the negated amounts of
    the receipt it cancels (`credits`)."""

    number: ReceiptNumber
    kind: str  # donation | credit
    issued_on: date
    locale: str
    organisation: Organisation
    donor: str
    donor_email: str | None
    donor_tax_id: str | None
    donation_id: int
    gift_date: date
    amount: Money
    home: Money
    rate: ReceiptRate | None
    method: str | None
    reference: str | None
    credits: ReceiptNumber | None = None
    credits_issued_on: date | None = None
    tax_report: str | None = None  # the Tax Authority's number for the reported donation
    logo: str | None = None  # SHA-256 of the organisation's logo as issued (`logo_by_digest`)
    credits_tax_report: str | None = None  # a credit receipt: the cancelled gift's report no.

    @property
    def section46(self) -> bool:
        return self.organisation.approval is not None

    def to_json(self) -> str:
        """Canonical JSON: amounts as decimal strings, dates ISO, keys sorted."""
        return json.dumps(_plain(self), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> ReceiptDocument:
        data = json.loads(text)
        organisation = data["organisation"]
        rate = data["rate"]
        return cls(
            number=ReceiptNumber.parse(data["number"]),
            kind=data["kind"],
            issued_on=date.fromisoformat(data["issued_on"]),
            locale=data["locale"],
            organisation=Organisation(
                name=organisation["name"],
                address=organisation["address"],
                contact=organisation["contact"],
                registration=organisation["registration"],
                approval=organisation["approval"],
                approval_valid_until=_date_or_none(organisation["approval_valid_until"]),
            ),
            donor=data["donor"],
            donor_email=data["donor_email"],
            # Keys added later are absent from receipts issued before them.
            donor_tax_id=data.get("donor_tax_id"),
            donation_id=data["donation_id"],
            gift_date=date.fromisoformat(data["gift_date"]),
            amount=Money(data["amount"]["amount"], data["amount"]["currency"]),
            home=Money(data["home"]["amount"], data["home"]["currency"]),
            rate=(
                ReceiptRate(**{**rate, "date": date.fromisoformat(rate["date"])}) if rate else None
            ),
            method=data["method"],
            reference=data["reference"],
            credits=ReceiptNumber.parse(data["credits"]) if data["credits"] else None,
            credits_issued_on=_date_or_none(data["credits_issued_on"]),
            tax_report=data.get("tax_report"),
            logo=data.get("logo"),
            credits_tax_report=data.get("credits_tax_report"),
        )


def _plain(value: Any) -> Any:
    if isinstance(value, ReceiptNumber):
        return str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Money):
        return {"amount": format(value.quantized(), "f"), "currency": value.currency}
    if hasattr(value, "__dataclass_fields__"):
        return {name: _plain(getattr(value, name)) for name in value.__dataclass_fields__}
    return value


def _date_or_none(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


@dataclass(frozen=True, slots=True)
class IssueOptions:
    # The language asked for (--locale); None: each donor's own, else the report.locale
    # setting, else English (settings.report_locale).
    locale: str | None
    issued_on: date | None = None  # default: today in Israel
    tax_report: str | None = None  # one receipt only: its donation's Tax Authority report no.


def issue_receipt(
    session: Session,
    context: CommandContext,
    donation_id: int,
    options: IssueOptions,
    actor: Actor | None = None,
) -> ReceiptDocument:
    """The receipt of one gift, numbered and recorded. `actor`: the signed-in user a web
    request acts for, who needs the treasurer role (None: the terminal)."""
    if actor is not None:
        require(actor, Role.TREASURER, "issue a receipt")
    # Locked, as `reverse_donation` locks it: a gift is never reversed while its receipt is
    # being issued (on PostgreSQL each would miss the other's uncommitted row). The checks
    # come after the lock, so they see whatever was committed while waiting for it.
    donation = session.get(Donation, donation_id, with_for_update=True)
    if donation is None:
        raise FundledgerError(f"no donation #{donation_id}")
    _require_receiptable(session, donation)
    if options.tax_report is not None:  # recorded as `tax record` records it, then carried
        record_number(session, context, donation, options.tax_report)
    try:
        return _issue_all(session, context, [donation], options)[0]
    except ReportRequired as refused:  # alone, the refusal says its fix (a batch lists it)
        raise FundledgerError(f"{refused}; fix: {refused.fix}") from None


def issue_unreceipted(
    session: Session,
    context: CommandContext,
    campaign_slug: str,
    options: IssueOptions,
    progress: Callable[[int], None] | None = None,
) -> tuple[list[ReceiptDocument], int]:
    """Receipts for every gift of a campaign that has none, in date order, all in the
    caller's one transaction (all or nothing: `issue_each` issues what it can);
    and how many gifts were left without one because no donor is recorded for them."""
    _refuse_tax_report(options)
    campaign = get_campaign(session, campaign_slug)
    locked = session.scalars(
        select(Donation.id)
        .where(Donation.campaign_id == campaign.id, *_unreceipted())
        .with_for_update()  # as in issue_receipt
    ).all()
    # Asked again once the gifts are locked: one reversed or receipted meanwhile drops out.
    gifts = list(
        session.scalars(
            select(Donation)
            .where(Donation.id.in_(locked), *_unreceipted())
            .order_by(Donation.donation_date, Donation.id)
        )
    )
    named = [gift for gift in gifts if gift.donor_id is not None]
    return _issue_all(session, context, named, options, progress), len(gifts) - len(named)


class Transactions(Protocol):
    """Runs `work` in a write transaction of its own, committed when `work` returns, rolled
    back when it raises; the caller adds what belongs with it (the CLI: the PDF written)."""

    def __call__(self, work: Callable[[Session, CommandContext], T], /) -> T: ...


@dataclass(frozen=True, slots=True)
class BatchOfReceipts:
    issued: tuple[ReceiptDocument, ...]  # in the order issued: numbers ascending
    skipped: tuple[SkippedGift, ...]  # each with what is wrong and what mends it
    without_donor: int  # gifts with no donor recorded: never receipted, not a fault


class BatchStopped(FundledgerError):
    """A batch stopped after a receipt was committed (its file could not be put in place,
    say): the receipts issued so far stand."""

    def __init__(self, message: str, issued: Sequence[ReceiptDocument]) -> None:
        super().__init__(message)
        self.issued = tuple(issued)


class GiftAfterReceiptDate(GiftRefused):
    def __init__(self, donation: Donation, issued_on: date) -> None:
        super().__init__(f"donation #{donation.id} is dated {donation.donation_date}, after "
                         f"the receipt date {issued_on}",
                         f"fundledger receipt issue {donation.id} (on or after "
                         f"{donation.donation_date})")  # fmt: skip


@dataclass(frozen=True, slots=True)
class Unreceipted:
    """A gift a batch will receipt: what a skipped gift's line names."""

    donation_id: int
    date: date
    donor: str | None


@dataclass(frozen=True, slots=True)
class ReceiptBatchPlan:
    gifts: tuple[Unreceipted, ...]  # in date order
    without_donor: int  # gifts with no donor recorded: never receipted, not a fault


def plan_unreceipted(
    session: Session,
    context: CommandContext,
    campaign_slug: str,
    options: IssueOptions,
    actor: Actor | None = None,
    period: Period | None = None,
) -> ReceiptBatchPlan:
    """The gifts of a campaign without a receipt, for `issue_each`. What would stop every
    receipt (the organisation's name unset, a lapsed Section 46 approval, a receipt date
    before the series' latest, a report number meant for one gift) is refused here, before
    the first one. `actor`: as in `issue_receipt` (a web request's user, a treasurer);
    `period`: only the gifts dated in it (the web's batch form)."""
    if actor is not None:
        require(actor, Role.TREASURER, "issue receipts")
    _refuse_tax_report(options)
    campaign = get_campaign(session, campaign_slug)
    settings = current_settings(session)
    issued_on = _issue_date(options.issued_on)
    _organisation(settings, report_locale(settings, options.locale), issued_on)
    _refuse_earlier_than_series(session, settings.get("receipt.prefix", DEFAULT_PREFIX), issued_on)
    current = current_donors()
    dated = () if period is None else (Donation.donation_date.between(period.start, period.end),)
    rows = session.execute(
        select(Donation.id, Donation.donation_date, Donation.donor_id, current.c.name)
        .outerjoin(current, current.c.id == Donation.donor_id)
        .where(Donation.campaign_id == campaign.id, *_unreceipted(), *dated)
        .order_by(Donation.donation_date, Donation.id)
    ).all()
    named = tuple(Unreceipted(gift, on, name) for gift, on, donor, name in rows if donor)
    return ReceiptBatchPlan(named, len(rows) - len(named))


def issue_each(
    run: Transactions,
    plan: ReceiptBatchPlan,
    options: IssueOptions,
    deliver: Callable[[Session, ReceiptDocument], None] | None = None,
    progress: Callable[[int], None] | None = None,
    actor: Actor | None = None,
) -> BatchOfReceipts:
    """A receipt for each gift of `plan`, in its order, each in its own transaction (`run`):
    a gift that cannot be receipted (no rate in force on its date, a name the font cannot
    draw) is skipped with the reason and the fix, and its transaction gives its number back,
    so the numbers issued stay without gaps. `deliver` runs inside each receipt's transaction
    (to write its PDF); a GiftRefused from it skips that gift. Any other error stops the
    batch (BatchStopped once receipts were issued, naming them). A gift receipted or
    reversed since the plan (by another treasurer) is passed over. `actor`: as in
    `issue_receipt`, checked before the first receipt."""
    if actor is not None:
        require(actor, Role.TREASURER, "issue receipts")
    _refuse_tax_report(options)
    issued: list[ReceiptDocument] = []
    skipped: list[SkippedGift] = []
    for gift in plan.gifts:
        done: list[ReceiptDocument] = []  # the receipt, once its transaction's work is done
        try:
            run(_one_of_batch(gift.donation_id, options, deliver, done))
        except (RateNotInForce, GiftRefused) as error:
            if done:  # committed: what failed came after (its file put in place)
                raise BatchStopped(str(error), [*issued, *done]) from error
            skipped.append(skipped_for(error, gift.donation_id, gift.date, gift.donor))
        except FundledgerError as error:  # not the gift's fault (a full disk): stop here
            if issued or done:
                raise BatchStopped(str(error), [*issued, *done]) from error
            raise
        else:
            issued.extend(done)
        if progress is not None:
            progress(1)
    return BatchOfReceipts(tuple(issued), tuple(skipped), plan.without_donor)


def _one_of_batch(
    donation_id: int,
    options: IssueOptions,
    deliver: Callable[[Session, ReceiptDocument], None] | None,
    done: list[ReceiptDocument],
) -> Callable[[Session, CommandContext], None]:
    def work(session: Session, context: CommandContext) -> None:
        document = _issue_if_still_unreceipted(session, context, donation_id, options)
        if document is not None:
            if deliver is not None:
                deliver(session, document)
            done.append(document)

    return work


def _issue_if_still_unreceipted(
    session: Session, context: CommandContext, donation_id: int, options: IssueOptions
) -> ReceiptDocument | None:
    """The receipt of one gift of a batch, or None when the gift was receipted or reversed
    since the batch listed it (by another treasurer): it then needs none."""
    donation = session.get(Donation, donation_id, with_for_update=True)  # as in issue_receipt
    if donation is None:  # gifts are never deleted
        raise RuntimeError(f"donation #{donation_id} is gone")
    still = session.scalar(select(Donation.id).where(Donation.id == donation_id, *_unreceipted()))
    if still is None:
        return None
    return _issue_all(session, context, [donation], options)[0]


@cache  # built once: a batch asks for it once a receipt (SQL constructs are immutable)
def _unreceipted() -> tuple[ColumnElement[bool], ...]:
    """The gifts that can have a receipt and have none: neither reversals nor reversed."""
    reversal = aliased(Donation)
    return (
        Donation.reverses_id.is_(None),
        ~select(reversal.id).where(reversal.reverses_id == Donation.id).exists(),
        ~select(Receipt.id).where(Receipt.donation_id == Donation.id).exists(),
    )


def _refuse_tax_report(options: IssueOptions) -> None:
    if options.tax_report is not None:
        raise FundledgerError("a Tax Authority report number belongs to one receipt: give it "
                              "when issuing a single donation's receipt")  # fmt: skip


def _require_receiptable(session: Session, donation: Donation) -> None:
    if donation.reverses_id is not None:
        raise FundledgerError(
            f"donation #{donation.id} is the reversal of #{donation.reverses_id}: it gets a "
            "credit receipt when the gift it reverses had a receipt, never a receipt of its own"
        )
    reversal = session.scalar(select(Donation.id).where(Donation.reverses_id == donation.id))
    if reversal is not None:
        raise FundledgerError(f"donation #{donation.id} was reversed by #{reversal}: a "
                              "reversed gift gets no receipt")  # fmt: skip
    earlier = session.scalar(select(Receipt).where(Receipt.donation_id == donation.id))
    if earlier is not None:
        number = ReceiptNumber(earlier.series, earlier.year, earlier.number)
        raise FundledgerError(f"donation #{donation.id} already has receipt {number}: print it "
                              f"again with `fundledger receipt reprint {number}`")  # fmt: skip
    if donation.donor_id is None:
        raise FundledgerError(
            f"donation #{donation.id} has no donor recorded, and a receipt names its donor: "
            "reverse it and record it again with the donor's name"
        )


def _issue_all(
    session: Session,
    context: CommandContext,
    donations: Sequence[Donation],
    options: IssueOptions,
    progress: Callable[[int], None] | None = None,
) -> list[ReceiptDocument]:
    settings = current_settings(session)
    issued_on = _issue_date(options.issued_on)
    # The organisation as each language names it; the one of the language a donor without
    # their own gets, made now so that a missing name or a lapsed approval stops the command
    # before any work, whoever the donors are.
    fallback = report_locale(settings, options.locale)
    organisations = {fallback: _organisation(settings, fallback, issued_on)}
    series = settings.get("receipt.prefix", DEFAULT_PREFIX)
    logo = organisation_logo(settings)
    values = home_values(session, context, donations)
    numbers = numbers_in_force(session, [gift.id for gift in donations])
    # A merged donor's gifts are receipted to the donor it was merged into (the same person).
    merges, current = _donor_views()  # current: the details as they stand today
    into = dict(session.execute(
        select(merges.c.merged_donor_id, merges.c.into_donor_id)
        .where(merges.c.merged_donor_id.in_({gift.donor_id for gift in donations}))
    ).all())  # fmt: skip
    wanted = {into.get(gift.donor_id, gift.donor_id) for gift in donations}
    donors = {donor.id: donor for donor in session.execute(
        select(current).where(current.c.id.in_(wanted)))}  # fmt: skip
    issued = []
    for donation in donations:
        if donation.donor_id is None:  # the callers leave them out
            raise RuntimeError(f"donation #{donation.id} has no donor")
        donor = donors[into.get(donation.donor_id, donation.donor_id)]
        home, rate = values[donation.id]
        locale = report_locale(settings, options.locale, donor.language)
        refuse_unreported(settings, donation.id, donation.donation_date, donor.id, donor.tax_id,
                          numbers.get(donation.id))  # fmt: skip
        if locale not in organisations:
            organisations[locale] = _organisation(settings, locale, issued_on)
        document = ReceiptDocument(
            number=ReceiptNumber(series, issued_on.year, 0),  # numbered by _record
            kind="donation",
            issued_on=issued_on,
            locale=locale,
            organisation=organisations[locale],
            donor=donor.name,
            donor_email=donor.email,
            donor_tax_id=donor.tax_id,
            donation_id=donation.id,
            gift_date=donation.donation_date,
            amount=Money.from_minor(donation.amount_minor, donation.currency),
            home=home,
            rate=rate,
            method=donation.method,
            reference=gift_reference(session, donation.id),  # a correction's too
            tax_report=numbers.get(donation.id),  # --tax-report was recorded before
            logo=logo.digest if logo else None,
        )
        if donation.donation_date > issued_on:
            raise GiftAfterReceiptDate(donation, issued_on)
        issued.append(_record(session, context, document, credits_id=None))
        if progress is not None:
            progress(1)
    return issued


# Built once: a batch issues each receipt in a transaction of its own, and building these
# costs more than reading them (SQL constructs are immutable, so they can be shared).
@cache
def _donor_views() -> tuple[Subquery, Subquery]:
    """The donor merges in force, and each donor's details as they stand."""
    return merges_in_force(), current_donors()


def issue_credit_receipt(
    session: Session, context: CommandContext, reversal: Donation, locale: str | None = None
) -> ReceiptDocument | None:
    """When a receipted gift is reversed: a credit receipt that cancels its receipt exactly
    (the same amounts negated, at the same rate), or None when the gift had no receipt.

    Its language: `locale` if given, else the donor's, else that of the receipt it cancels
    (the language the donor read it in), never the report.locale setting, which may have
    changed since."""
    original = session.scalar(select(Receipt).where(Receipt.donation_id == reversal.reverses_id))
    if original is None:
        return None
    cancelled = ReceiptDocument.from_json(original.content)
    issued_on = _issue_date(None)
    settings = current_settings(session)
    language = locale or _donor_language(session, reversal.donor_id) or cancelled.locale
    try:
        current = _organisation(settings, language, None)
    except FundledgerError:  # a correction never waits on a display setting
        current = cancelled.organisation
    logo = organisation_logo(settings)
    document = replace(
        cancelled,
        number=ReceiptNumber(cancelled.number.series, issued_on.year, 0),
        kind="credit",
        issued_on=issued_on,
        locale=language,
        # Today's name and address; the approval the cancelled receipt was issued under.
        organisation=replace(current, approval=cancelled.organisation.approval,
                             approval_valid_until=cancelled.organisation.approval_valid_until),
        donation_id=reversal.id,
        amount=-cancelled.amount,
        home=-cancelled.home,
        credits=cancelled.number,
        credits_issued_on=cancelled.issued_on,
        tax_report=None,  # the cancellation's own, once reported (`tax pending` lists it)
        credits_tax_report=(numbers_in_force(session, [cancelled.donation_id]).get(
            cancelled.donation_id) or cancelled.tax_report),
        logo=logo.digest if logo else None,
    )  # fmt: skip
    return _record(session, context, document, credits_id=original.id)


def _donor_language(session: Session, donor_id: int | None) -> str | None:
    """The language a gift's donor chose, if any: that of the donor it is merged into, whose
    name its receipts bear."""
    if donor_id is None:
        return None
    merges = merges_in_force()
    into = session.scalar(select(merges.c.into_donor_id).where(
        merges.c.merged_donor_id == donor_id))  # fmt: skip
    current = current_donors()
    language: str | None = session.scalar(
        select(current.c.language).where(current.c.id == (into or donor_id))
    )
    return language


def _record(
    session: Session, context: CommandContext, document: ReceiptDocument, credits_id: int | None
) -> ReceiptDocument:
    """Take the next number of the document's series and year, and record the receipt."""
    series, year = document.number.series, document.number.year
    _hold_series(session, series, year)
    # Checked while the series is held (a receipt dated later cannot slip in meanwhile) and
    # before a number is taken (a refusal uses none, even if the caller went on to commit).
    _refuse_earlier_than_series(session, series, document.issued_on)
    number = _take_number(session, series, year)
    document = replace(document, number=number)
    receipt = Receipt(
        series=number.series,
        year=number.year,
        number=number.number,
        kind=document.kind,
        donation_id=document.donation_id,
        credits_id=credits_id,
        issued_on=document.issued_on,
        locale=document.locale,
        content=document.to_json(),
        issued_at=now(),
        issued_by=context.actor,
    )
    session.add(receipt)
    try:
        session.flush()
    except IntegrityError as error:
        raise FundledgerError(
            f"the database refused receipt {number} for donation #{document.donation_id} "
            f"({str(error.orig).strip().splitlines()[0]}); nothing was issued"
        ) from error
    record_audit(
        session,
        context,
        f"receipt.{document.kind}",
        entity="receipt",
        entity_id=receipt.id,
        details={"number": str(number), "donation": document.donation_id,
                 "amount": str(document.amount), "home": str(document.home)},
    )  # fmt: skip
    return document


def _refuse_earlier_than_series(session: Session, series: str, issued_on: date) -> None:
    year = issued_on.year
    latest = session.scalar(
        select(func.max(Receipt.issued_on)).where(Receipt.series == series, Receipt.year == year)
    )
    if latest is not None and latest > issued_on:
        raise FundledgerError(
            f"receipts of series {series}-{year:04d} are already dated up to {latest}: a "
            f"receipt dated {issued_on} would break the order of numbers and dates"
        )


def _hold_series(session: Session, series: str, year: int) -> None:
    """The counter row of the series, created at zero if new, locked until the transaction
    ends (PostgreSQL; a SQLite writer holds the whole database already). The hash chains are
    held first: the order every transaction takes them in (adapters/db/chain.py)."""
    hold_chains(session.connection())
    session.execute(
        upsert_into(session, ReceiptCounter)
        .values(series=series, year=year, last_number=0)
        .on_conflict_do_nothing(index_elements=["series", "year"])
    )
    session.execute(
        select(ReceiptCounter.last_number)
        .where(ReceiptCounter.series == series, ReceiptCounter.year == year)
        .with_for_update()
    )


def _take_number(session: Session, series: str, year: int) -> ReceiptNumber:
    """The next number of a held series."""
    this_series = (ReceiptCounter.series == series, ReceiptCounter.year == year)
    session.execute(
        update(ReceiptCounter)
        .where(*this_series)
        .values(last_number=ReceiptCounter.last_number + 1),
        execution_options={"synchronize_session": False},
    )
    # Read back in the same transaction, which holds the row (no UPDATE ... RETURNING: SQLite
    # before 3.35 lacks it).
    taken = session.scalar(select(ReceiptCounter.last_number).where(*this_series))
    return ReceiptNumber(series, year, int(taken or 0))


def _issue_date(requested: date | None) -> date:
    today = today_in_israel()
    if requested is None:
        return today
    if requested > today:
        raise FundledgerError(f"a receipt cannot be dated after today ({today}): "
                              f"{requested} was asked for")  # fmt: skip
    return requested


def _organisation(settings: dict[str, str], locale: str, issued_on: date | None) -> Organisation:
    """The organisation as a receipt in `locale` names it. With `issued_on`, a Section 46
    approval must still be valid then."""
    found = organisation_details(settings, locale)
    until = found.approval_valid_until
    if found.approval and until and issued_on and issued_on > until:
        raise FundledgerError(
            f"the Section 46 approval {found.approval} was valid until {until}: record its "
            "renewal (`fundledger settings set organisation.section46.valid_until DATE`), or "
            "unset organisation.section46.approval to issue receipts without it"
        )
    return found


def organisation_details(settings: dict[str, str], locale: str) -> Organisation:
    """The organisation as a document in `locale` names it, from its settings."""
    name = organisation_name(settings, locale)
    if name is None:
        other = (
            ""
            if locale == "en"
            else " (organisation.name.en stands in for a language without its own)"
        )
        raise FundledgerError(
            f"a receipt or statement in {locale} names the organisation: set its name first with "
            f"`fundledger settings set organisation.name.{locale} NAME`{other}"
        )
    approval = settings.get("organisation.section46.approval")
    return Organisation(
        name=name,
        address=settings.get(f"organisation.address.{locale}")
        or settings.get("organisation.address.en"),
        contact=settings.get("organisation.contact"),
        registration=settings.get("organisation.registration"),
        approval=approval,
        approval_valid_until=(
            _date_or_none(settings.get("organisation.section46.valid_until")) if approval else None
        ),
    )


def home_values(
    session: Session,
    context: CommandContext,
    donations: Sequence[Donation],
    unvalued: dict[int, RateNotInForce] | None = None,
) -> dict[int, tuple[Money, ReceiptRate | None]]:
    """Each gift's value in the home currency, rounded once, and the rate that gave it. A
    gift in the home currency needs no rate at all (not even the reporting currency's).
    With `unvalued`, a gift without a rate in force is put there instead of stopping all."""
    home = context.settings.home_currency
    foreign = [gift for gift in donations if gift.currency != home]
    values: dict[int, tuple[Money, ReceiptRate | None]] = {
        gift.id: (Money.from_minor(gift.amount_minor, home), None)
        for gift in donations
        if gift.currency == home
    }
    if not foreign:
        return values
    days = [gift.donation_date for gift in foreign]
    book = load_rate_book(session, context, min(days), max(days),
                          {home, *(gift.currency for gift in foreign)})  # fmt: skip
    found: dict[tuple[date, str], RateInForce] = {}
    for gift in foreign:
        key = (gift.donation_date, gift.currency)
        if key not in found:
            try:
                found[key] = book.in_force(gift.currency, home, gift.donation_date)
            except RateNotInForce as missing:
                if unvalued is None:
                    raise
                unvalued[gift.id] = missing
                continue
        rate = found[key]
        factor = in_minor_units(rate.factor, gift.currency, home)
        values[gift.id] = (Money.from_minor(convert_minor(gift.amount_minor, factor), home),
                           _receipt_rate(rate))  # fmt: skip
    return values


def _receipt_rate(rate: RateInForce) -> ReceiptRate:
    if rate.rate_date is None or rate.source is None:  # the identity: never between two currencies
        raise RuntimeError(f"no published rate behind {rate.base}/{rate.quote}")
    return ReceiptRate(
        base=rate.base,
        quote=rate.quote,
        value=rate.display_value(),
        date=rate.rate_date,
        source=rate.source,
        method=rate.method,
        via=rate.via,
    )


def find_receipt(session: Session, number: ReceiptNumber) -> ReceiptDocument:
    content = session.scalar(
        select(Receipt.content).where(
            Receipt.series == number.series,
            Receipt.year == number.year,
            Receipt.number == number.number,
        )
    )
    if content is None:
        raise FundledgerError(f"no receipt {number}")
    return ReceiptDocument.from_json(content)


def logos_of(session: Session, documents: Sequence[ReceiptDocument]) -> dict[str, Logo]:
    """The logos the receipts were issued with, by digest."""
    found = {}
    for digest in {document.logo for document in documents if document.logo}:
        logo = logo_by_digest(session, digest)
        if logo is None:  # the setting's history is append-only: it cannot be gone
            raise FundledgerError(f"the logo {digest[:12]} of a receipt is not in the ledger")
        found[digest] = logo
    return found


def credit_receipt_of(session: Session, reversal_id: int) -> ReceiptDocument | None:
    """The credit receipt issued for a reversal, if the gift it reverses had a receipt."""
    content = session.scalar(select(Receipt.content).where(Receipt.donation_id == reversal_id))
    return ReceiptDocument.from_json(content) if content is not None else None
