"""The Tax Authority's "Israel Donations" workflow (issue #27): which gifts and cancellations
still need reporting, with what a report needs (`pending`), and the numbers the Authority
returns, typed one at a time (`record`) or read from its file (`import_numbers`).

fundledger prepares and records; it never calls the Authority's systems. Reporting applies
only with a Section 46 approval (organisation.section46.approval). A gift needs reporting
when it has a donor, is dated on or after tax.report_from, is neither a reversal nor
reversed (reversed before it was reported, it drops out) and has no number in force; a
cancellation, when a reversal reverses a gift that has a number and has none itself."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from fundledger.adapters.db.models import Donation, Receipt, TaxReport
from fundledger.adapters.db.queries import current_donors, effective_donor, gifts_under_reference
from fundledger.adapters.tax_csv import read_numbers
from fundledger.domain.access import Actor, Role, require
from fundledger.domain.donors import israeli_id
from fundledger.domain.errors import FundledgerError, RateNotInForce
from fundledger.domain.money import Money
from fundledger.domain.text import counted
from fundledger.services.batches import missing_rate
from fundledger.services.context import CommandContext, record_audit
from fundledger.services.receipts import ReceiptDocument, ReceiptNumber, home_values
from fundledger.services.settings import current_settings, report_from
from fundledger.services.tax_numbers import Recorded, numbers_in_force, record_number

IMPORT_ACTION = "tax.import"
# The largest id the donation.id column holds (BIGINT; SQLite's INTEGER is as wide): a
# larger one names no gift, and sent to the database it overflows (a traceback, not an error).
LARGEST_ID = 2**63 - 1
NO_APPROVAL = (
    "the organisation has no Section 46 approval (setting organisation.section46.approval), "
    "so its gifts earn donors no credit and none is reported to the Tax Authority"
)


@dataclass(frozen=True, slots=True)
class PendingRow:
    """A gift or a cancellation to report, with every field the report needs."""

    kind: str  # gift | cancellation
    donation_id: int
    cancels: int | None  # a cancellation: the gift it cancels
    date: date
    amount: Money  # as given (a cancellation's is negative, as its reversal's)
    home: Money | None  # in the home currency as its receipt states it; None: no rate yet
    donor_id: int
    donor: str
    donor_tax_id: str | None
    receipt: str | None  # the gift's receipt; a cancellation's credit receipt
    cancelled_receipt: str | None  # a cancellation: the receipt it cancels
    cancelled_report: str | None  # a cancellation: the number of the gift it cancels
    reference: str | None
    problems: tuple[str, ...]  # what the treasurer mends first, each with its fix


@dataclass(frozen=True, slots=True)
class Pending:
    applies: bool
    why_not: str | None  # when reporting does not apply
    registration: str | None
    approval: str | None
    report_from: date
    home_currency: str
    rows: tuple[PendingRow, ...]

    @property
    def gifts(self) -> int:
        return sum(row.kind == "gift" for row in self.rows)

    @property
    def cancellations(self) -> int:
        return sum(row.kind == "cancellation" for row in self.rows)


def _reported(
    donation_id: InstrumentedAttribute[int] | InstrumentedAttribute[int | None],
) -> ColumnElement[bool]:
    return exists().where(TaxReport.donation_id == donation_id)


def _pending_where(since: date) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The gifts and the cancellations that need reporting (the module's doc)."""
    reversal = aliased(Donation)
    gifts = and_(
        Donation.donor_id.is_not(None),
        Donation.donation_date >= since,
        Donation.reverses_id.is_(None),
        ~_reported(Donation.id),
        ~exists().where(reversal.reverses_id == Donation.id),
    )
    cancellations = and_(
        Donation.reverses_id.is_not(None),
        ~_reported(Donation.id),
        _reported(Donation.reverses_id),
    )
    return gifts, cancellations


@dataclass(frozen=True, slots=True)
class PendingCounts:
    gifts: int
    cancellations: int


def pending_counts(session: Session, actor: Actor | None = None) -> PendingCounts | None:
    """How many gifts and cancellations need reporting (counted in SQL), or None when
    reporting does not apply. `actor`: a web user, who needs the treasurer role."""
    if actor is not None:
        require(actor, Role.TREASURER, "see what is reported to the Tax Authority")
    settings = current_settings(session)
    if not settings.get("organisation.section46.approval"):
        return None
    gifts, cancellations = _pending_where(report_from(settings))
    count = select(func.count()).select_from(Donation)
    return PendingCounts(int(session.scalar(count.where(gifts)) or 0),
                         int(session.scalar(count.where(cancellations)) or 0))  # fmt: skip


def pending(session: Session, context: CommandContext, actor: Actor | None = None) -> Pending:
    """Every gift and cancellation that needs reporting, in date order. `actor`: a web
    user, who needs the treasurer role (the rows hold ID numbers)."""
    if actor is not None:
        require(actor, Role.TREASURER, "see what is reported to the Tax Authority")
    settings = current_settings(session)
    approval = settings.get("organisation.section46.approval")
    since = report_from(settings)
    home = context.settings.home_currency
    registration = settings.get("organisation.registration")
    if approval is None:
        return Pending(False, NO_APPROVAL, registration, None, since, home, ())
    gifts, cancellations = _pending_where(since)
    owner = effective_donor(Donation.donor_id)
    listed = list(session.execute(
        select(Donation, owner).where(or_(gifts, cancellations))
        .order_by(Donation.donation_date, Donation.id)
    ))  # fmt: skip
    cancelled_ids = {gift.reverses_id for gift, _ in listed if gift.reverses_id is not None}
    originals = {gift.id: gift for gift in session.scalars(
        select(Donation).where(Donation.id.in_(cancelled_ids)))}  # fmt: skip
    ids = {gift.id for gift, _ in listed} | cancelled_ids
    receipts = {row.donation_id: row for row in session.scalars(
        select(Receipt).where(Receipt.donation_id.in_(ids)))}  # fmt: skip
    numbers = numbers_in_force(session, cancelled_ids)
    # Valued as receipts value them: the receipt's own figure, else the rate in force.
    valued = {gift.id: gift for gift, _ in listed if gift.reverses_id is None}
    valued |= originals
    unreceipted = [gift for key, gift in valued.items() if key not in receipts]
    unvalued: dict[int, RateNotInForce] = {}
    values = {key: value for key, (value, _) in home_values(
        session, context, unreceipted, unvalued).items()}  # fmt: skip
    for key, row in receipts.items():
        document = ReceiptDocument.from_json(row.content)
        if document.kind == "donation" and document.home.currency == home:
            values[key] = document.home
    current = current_donors()
    owners = {int(owner_id) for _, owner_id in listed if owner_id is not None}
    donors = {donor.id: donor for donor in session.execute(
        select(current).where(current.c.id.in_(owners)))}  # fmt: skip
    rows = []
    for gift, owner_id in listed:
        donor = donors[int(owner_id)] if owner_id is not None else None
        source = gift.reverses_id if gift.reverses_id is not None else gift.id
        value = values.get(source)
        problems = []
        if donor is None or not donor.tax_id or israeli_id(donor.tax_id) is None:
            what = "no Israeli ID number" if donor is None or not donor.tax_id else (
                f"Israeli ID number {donor.tax_id} is not valid")  # fmt: skip
            problems.append(f"the donor has {what}; fix: fundledger donor set-id "
                            f"{owner_id} NUMBER")  # fmt: skip
        if source in unvalued:
            missing = unvalued[source]
            problem, fix = missing_rate(missing.pair, missing.on, missing.latest)
            problems.append(f"{problem}; fix: {fix}")
        cancelled = receipts.get(gift.reverses_id) if gift.reverses_id is not None else None
        rows.append(PendingRow(
            kind="cancellation" if gift.reverses_id is not None else "gift",
            donation_id=gift.id,
            cancels=gift.reverses_id,
            date=gift.donation_date,
            amount=Money.from_minor(gift.amount_minor, gift.currency),
            home=-value if value is not None and gift.reverses_id is not None else value,
            donor_id=int(owner_id) if owner_id is not None else 0,
            donor=donor.name if donor is not None else "",
            donor_tax_id=donor.tax_id if donor is not None else None,
            receipt=_number(receipts.get(gift.id)),
            cancelled_receipt=_number(cancelled),
            cancelled_report=numbers.get(gift.reverses_id) if gift.reverses_id else None,
            reference=(originals[gift.reverses_id] if gift.reverses_id else gift).reference,
            problems=tuple(problems),
        ))  # fmt: skip
    return Pending(True, None, registration, approval, since, home, tuple(rows))


def _number(receipt: Receipt | None) -> str | None:
    if receipt is None:
        return None
    return str(ReceiptNumber(receipt.series, receipt.year, receipt.number))


def find_reportable(session: Session, named: str, column: str | None = None) -> Donation:
    """The donation `named` names: its id ("42" or "#42"), its reference (a corrected
    gift's reference names the correction in force), or its receipt number (a credit
    receipt's names the cancellation). `column` (gift|reference|receipt): only that way."""
    text = named.strip()
    plain = text.removeprefix("#")
    if column in (None, "gift") and plain.isascii() and plain.isdigit():
        if int(plain) > LARGEST_ID:
            raise FundledgerError(f"no donation #{plain}")
        found = session.get(Donation, int(plain), with_for_update=True)
        if found is None:
            raise FundledgerError(f"no donation #{plain}")
        return found
    if column == "gift":
        raise FundledgerError(f"{text!r} is not a gift number (write its id, e.g. 42)")
    if column in (None, "receipt"):
        try:
            number = ReceiptNumber.parse(text)
        except FundledgerError:
            if column == "receipt":
                raise
        else:
            receipt = session.scalar(select(Receipt.donation_id).where(
                Receipt.series == number.series, Receipt.year == number.year,
                Receipt.number == number.number))  # fmt: skip
            if receipt is not None:
                return _locked(session, receipt)
            if column == "receipt":
                raise FundledgerError(f"no receipt {number}")
    under = gifts_under_reference(session, text)
    reversed_ids = set(session.scalars(select(Donation.reverses_id).where(
        Donation.reverses_id.in_([gift.id for gift in under]))))  # fmt: skip
    standing = [gift for gift in under if gift.id not in reversed_ids]
    if not standing:
        if under:
            raise FundledgerError(f"every gift under reference {text!r} was reversed: name the "
                                  "cancellation by its id or credit receipt")  # fmt: skip
        raise FundledgerError(f"no gift has the id, reference or receipt number {text!r}")
    return _locked(session, standing[-1].id)


def _locked(session: Session, donation_id: int) -> Donation:
    found = session.get(Donation, donation_id, with_for_update=True)
    if found is None:  # gifts are never deleted
        raise RuntimeError(f"donation #{donation_id} is gone")
    return found


def record(
    session: Session,
    context: CommandContext,
    named: str,
    number: str,
    *,
    replace: bool = False,
    reason: str | None = None,
    actor: Actor | None = None,
) -> Recorded:
    """`tax record GIFT NUMBER`: the number the Authority returned for the gift (or the
    cancellation) `named` names (see `find_reportable`), audited."""
    if actor is not None:
        require(actor, Role.TREASURER, "record a Tax Authority number")
    donation = find_reportable(session, named)
    return record_number(session, context, donation, number, replace=replace, reason=reason)


class TaxImportRefused(FundledgerError):
    """The file has problems; nothing was recorded. `problems` lists every one."""

    def __init__(self, name: str, problems: list[str]) -> None:
        super().__init__(f"{name}: {counted(len(problems), 'problem')}; nothing recorded")
        self.problems = problems


@dataclass(frozen=True, slots=True)
class ImportedNumbers:
    file: str
    sha256: str
    rows: int
    recorded: int
    unchanged: int  # in force already (the same file imported again records nothing)


def import_numbers(
    session: Session, context: CommandContext, path: Path, actor: Actor | None = None
) -> ImportedNumbers:
    """`tax import FILE`: every row's number recorded, or none (all rows' problems listed,
    each with file, line, what is wrong and what to do); one audit event for the file."""
    if actor is not None:
        require(actor, Role.TREASURER, "record Tax Authority numbers")
    source = read_numbers(path)
    problems = list(source.problems)
    recorded = unchanged = 0
    for row in source.rows:
        try:
            named = {find_reportable(session, value, column).id for column, value in row.names}
            if len(named) > 1:
                ids = ", ".join(f"#{each}" for each in sorted(named))
                raise FundledgerError(f"its columns name different gifts ({ids}); keep one")
            # Recorded as it goes: a later row that repeats a number, or gives a gift
            # another, is then refused as the ledger would refuse it.
            done = record_number(session, context, _locked(session, named.pop()), row.number,
                                 audit=False)  # fmt: skip
        except FundledgerError as error:
            problems.append((row.line, f"{source.name}, line {row.line}: {error}"))
            continue
        recorded += done.changed
        unchanged += not done.changed
    if problems:  # raised, the caller's transaction rolls back what the rows recorded
        raise TaxImportRefused(source.name, [text for _, text in sorted(problems)])
    result = ImportedNumbers(source.name, source.sha256, len(source.rows), recorded, unchanged)
    if recorded:
        record_audit(session, context, IMPORT_ACTION, details={
            "file": source.name, "sha256": source.sha256, "rows": result.rows,
            "recorded": recorded, "unchanged": unchanged})  # fmt: skip
    return result


# The fields of a pending row as `tax pending --format json|csv` and the web's CSV give them.
PENDING_COLUMNS = (
    "kind", "donation", "cancels", "date", "amount", "currency", "home_amount", "home_currency",
    "donor_id", "donor", "donor_tax_id", "receipt", "cancelled_receipt", "cancelled_report",
    "reference", "registration", "approval", "problems",
)  # fmt: skip


def pending_record(report: Pending, row: PendingRow) -> dict[str, object]:
    """One row as plain values: amounts as decimal strings, dates ISO, problems a list."""
    return {
        "kind": row.kind,
        "donation": row.donation_id,
        "cancels": row.cancels,
        "date": row.date.isoformat(),
        "amount": format(row.amount.quantized(), "f"),
        "currency": row.amount.currency,
        "home_amount": format(row.home.quantized(), "f") if row.home is not None else None,
        "home_currency": report.home_currency,
        "donor_id": row.donor_id,
        "donor": row.donor,
        "donor_tax_id": row.donor_tax_id,
        "receipt": row.receipt,
        "cancelled_receipt": row.cancelled_receipt,
        "cancelled_report": row.cancelled_report,
        "reference": row.reference,
        "registration": report.registration,
        "approval": report.approval,
        "problems": list(row.problems),
    }
