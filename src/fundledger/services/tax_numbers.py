"""The Tax Authority's "Israel Donations" numbers in force (tax_report: the latest row of a
donation is its number), recording one, and what a Section 46 receipt requires of them.

Apart from services/tax.py because receipts need it: every receipt carries its gift's number,
and `receipt issue --tax-report N` records N as `tax record` would; services/tax.py in turn
values gifts as receipts do, so the two cannot import each other."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date
from functools import cache

from sqlalchemy import ColumnElement, Select, bindparam, func, select
from sqlalchemy.orm import Session, aliased

from fundledger.adapters.db.chain import hold_chains
from fundledger.adapters.db.models import Donation, TaxReport
from fundledger.domain.donors import israeli_id
from fundledger.domain.errors import FundledgerError
from fundledger.domain.tax import report_number
from fundledger.services.batches import GiftRefused
from fundledger.services.context import CommandContext, now, record_audit
from fundledger.services.settings import report_from

RECORD_ACTION = "tax.record"


@cache
def _in_force() -> ColumnElement[bool]:
    """Whether a tax_report row is its donation's number in force: the latest row of that
    donation (an index lookup on donation_id, id). The one way to say it, for the numbers
    of given gifts and for the gifts of a given number. Built once: SQL constructs are
    immutable, and a `tax import` asks both for each of its rows."""
    later = aliased(TaxReport)
    latest = select(func.max(later.id)).where(later.donation_id == TaxReport.donation_id)
    return TaxReport.id == latest.scalar_subquery()


def numbers_in_force(session: Session, donation_ids: Collection[int]) -> dict[int, str]:
    """The number in force of each of `donation_ids` that has one."""
    if not donation_ids:
        return {}
    rows = session.execute(select(TaxReport.donation_id, TaxReport.number).where(
        TaxReport.donation_id.in_(set(donation_ids)), _in_force()))  # fmt: skip
    return {int(donation): number for donation, number in rows}


@cache
def _in_force_elsewhere() -> Select[int]:
    """The donation other than :donation for which :number is in force: the rows of that
    number (ix_tax_report_number), then whether each is in force. Never the whole table:
    each row of an import asks it."""
    return (
        select(TaxReport.donation_id)
        .where(TaxReport.number == bindparam("number"),
               TaxReport.donation_id != bindparam("donation"), _in_force())
        .limit(1)
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Recorded:
    """A number recorded (or found already in force: `changed` False)."""

    donation_id: int
    kind: str  # gift | cancellation (the donation is a reversal)
    number: str
    previous: str | None  # the number it replaced
    changed: bool

    def line(self) -> str:
        what = _what(self.kind, self.donation_id)
        if not self.changed:
            return f"{what} already has report number {self.number}: nothing recorded"
        if self.previous is not None:
            return f"{what}: report number {self.number} recorded, replacing {self.previous}"
        return f"{what}: report number {self.number} recorded"


def _what(kind: str, donation_id: int) -> str:
    return f"cancellation #{donation_id}" if kind == "cancellation" else f"gift #{donation_id}"


def record_number(
    session: Session,
    context: CommandContext,
    donation: Donation,
    text: str,
    *,
    replace: bool = False,
    reason: str | None = None,
    audit: bool = True,
) -> Recorded:
    """Record `text` as the number of `donation` (a gift, or a reversal: the cancellation of
    the gift it reverses). The same number again records nothing; a different one, when one
    is in force, only with `replace` and a `reason`; a number in force for another donation
    is refused (a typo, most likely). `audit` False: the caller audits (an import, once)."""
    number = report_number(text)
    # Held before the checks (PostgreSQL), as the row's insert would hold them anyway: two
    # treasurers typing the same number for two gifts at once cannot both find it free.
    hold_chains(session.connection())
    kind = check_reportable(session, donation)
    current = numbers_in_force(session, [donation.id]).get(donation.id)
    if current == number:
        return Recorded(donation.id, kind, number, None, changed=False)
    why = " ".join((reason or "").split()) or None
    if current is not None and not replace:
        raise FundledgerError(
            f"{_what(kind, donation.id)} has report number {current} already; if {number} "
            f"replaces it: `fundledger tax record {donation.id} {number} --replace --reason TEXT`"
        )
    if current is not None and why is None:
        raise FundledgerError(
            f"replacing report number {current} needs a reason (--reason TEXT): the "
            "Authority's records and ours must be reconciled"
        )
    other = session.scalar(_in_force_elsewhere(), {"number": number, "donation": donation.id})
    if other is not None:
        raise FundledgerError(
            f"report number {number} is in force for donation #{other} already: check it "
            "against the Authority's answer (a typo?)"
        )
    row = TaxReport(donation_id=donation.id, number=number, reason=why if current else None,
                    recorded_at=now(), recorded_by=context.actor)  # fmt: skip
    session.add(row)
    session.flush()
    if audit:
        record_audit(session, context, RECORD_ACTION, entity="donation", entity_id=donation.id,
                     details={"number": number, "previous": current, "kind": kind},
                     reason=why if current else None)  # fmt: skip
    return Recorded(donation.id, kind, number, current, changed=True)


def check_reportable(session: Session, donation: Donation) -> str:
    """Whether `donation` can have a number: a gift with a donor (the report names them), or a
    reversal of a gift that has one (a cancellation is reported only of a gift reported).
    Returns its kind: gift or cancellation."""
    if donation.reverses_id is not None:
        if not numbers_in_force(session, [donation.reverses_id]):
            raise FundledgerError(
                f"donation #{donation.id} reverses gift #{donation.reverses_id}, which was "
                "never reported: its cancellation is not reported either"
            )
        return "cancellation"
    if donation.donor_id is None:
        raise FundledgerError(f"gift #{donation.id} has no donor recorded: a report to the Tax "
                              "Authority names the donor and their ID number")  # fmt: skip
    return "gift"


class ReportRequired(GiftRefused):
    """A Section 46 receipt that tax.require_report_number holds back."""


def requires_report(settings: dict[str, str]) -> bool:
    """Whether a donation receipt needs its report number and the donor's ID number."""
    return (
        settings.get("tax.require_report_number") == "on"
        and settings.get("organisation.section46.approval") is not None
    )


def refuse_unreported(
    settings: dict[str, str],
    donation_id: int,
    gift_date: date,
    donor_id: int,
    tax_id: str | None,
    number: str | None,
) -> None:
    """Refuse (ReportRequired) the receipt of a gift that tax.require_report_number holds
    back: its donor without a valid Israeli ID number, or no report number in force. A gift
    dated before tax.report_from is never reported (`tax pending` leaves it out and the
    Authority gives it no number): its receipt needs neither."""
    if not requires_report(settings) or gift_date < report_from(settings):
        return
    if tax_id is None or israeli_id(tax_id) is None:
        problem = "no Israeli ID number" if tax_id is None else f"ID number {tax_id} is not valid"
        raise ReportRequired(
            f"gift #{donation_id}: its donor (#{donor_id}) has {problem}, which a Section 46 "
            "receipt requires (setting tax.require_report_number is on)",
            f"fundledger donor set-id {donor_id} NUMBER",
        )
    if number is None:
        raise ReportRequired(
            f"gift #{donation_id} has no Tax Authority report number yet, which a Section 46 "
            "receipt requires (setting tax.require_report_number is on)",
            f"fundledger tax record {donation_id} NUMBER (or fundledger tax import FILE)",
        )
