"""What the web's correcting pages show of one gift or one donor: a gift as recorded, with its
links to the gifts that reverse, correct or are corrected by it, and its history from the
audit trail; a donor's merges, undone or not. What a role may see is decided here, as in
services/browse.py: a viewer never learns who gave an anonymous gift, and reads no history
(the trail names who did what to which donor)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, aliased

from fundledger.adapters.db.models import Donation, DonationCorrection, DonorMerge
from fundledger.domain.access import Actor
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.domain.rates import convert_minor
from fundledger.services.audit import AuditEntry, audit_trail
from fundledger.services.browse import GiftLine, gift_lines
from fundledger.services.context import CommandContext
from fundledger.services.conversion import GiftGroup, group_factors


class NoSuchGift(FundledgerError):
    """A gift number that is not in the ledger (the web answers 404)."""


@dataclass(frozen=True, slots=True)
class GiftDetails:
    """One gift as recorded and as `actor` may see it (`line`: as the lists show it), with
    its value in the reporting currency, what links it to other gifts, and its history."""

    line: GiftLine
    reporting: Money | None  # at the rate of its date; None: no rate yet
    note: str | None  # a reversal's is its reason
    recorded_at: datetime
    recorded_by: str | None  # None for a viewer
    corrects: int | None  # the gift this one is the correction of
    corrected_by: int | None  # the gift that corrects this one
    correction_reason: str | None  # why this gift corrects `corrects`
    history: tuple[AuditEntry, ...]  # oldest first; empty for a viewer

    @property
    def counted(self) -> bool:
        """Counted in the totals: neither reversed nor a reversal."""
        return self.line.reverses is None and self.line.reversed_by is None


def require_gift(session: Session, gift_id: int) -> None:
    """Refuses a gift number that is not in the ledger, as NoSuchGift."""
    if session.get(Donation, gift_id) is None:
        raise NoSuchGift(f"no gift #{gift_id}")


def gift_details(
    session: Session, context: CommandContext, actor: Actor, gift_id: int
) -> GiftDetails:
    found = gift_lines(session, context, actor, [gift_id])
    if not found:
        raise NoSuchGift(f"no gift #{gift_id}")
    line = found[0]
    gift = session.get_one(Donation, gift_id)
    keeper = actor.sees_contact_details
    hidden = gift.anonymous and not keeper
    settings = context.settings
    group = GiftGroup(gift.donation_date, gift.currency, 1, abs(gift.amount_minor))
    factors = group_factors(session, context, [group]).factors
    factor = factors.get((gift.donation_date, gift.currency))
    reporting = (
        Money.from_minor(convert_minor(gift.amount_minor, factor.to_reporting),
                         settings.reporting_currency)
        if factor is not None else None
    )  # fmt: skip
    corrected = aliased(DonationCorrection)
    own, later = session.execute(
        select(DonationCorrection, corrected.donation_id)
        .select_from(Donation)
        .outerjoin(DonationCorrection, DonationCorrection.donation_id == Donation.id)
        .outerjoin(corrected, corrected.corrects_id == Donation.id)
        .where(Donation.id == gift_id)
    ).one()  # fmt: skip
    corrects: int | None = own.corrects_id if own is not None else None
    corrected_by: int | None = later
    linked = [other for other in (corrects, corrected_by) if other is not None]
    if not keeper and (gift.anonymous or any(session.get_one(Donation, other).anonymous
                                             for other in linked)):  # fmt: skip
        # A correction may make a named gift anonymous (or the other way round): shown to a
        # viewer, the link between the two would name the giver of the anonymous one.
        corrects = corrected_by = None
    history = (
        tuple(audit_trail(session, since=None, kind="donation", row_id=gift_id, actor=actor))
        if keeper
        else ()
    )
    return GiftDetails(
        line=line,
        reporting=reporting,
        # A note may name the giver of an anonymous gift.
        note=None if hidden else gift.note,
        recorded_at=gift.recorded_at,
        recorded_by=gift.recorded_by if keeper else None,
        corrects=corrects,
        corrected_by=corrected_by,
        correction_reason=own.reason if own is not None and not hidden else None,
        history=history,
    )


@dataclass(frozen=True, slots=True)
class MergeLine:
    """A merge of donor `merged` into `into`, and its undoing if it was undone."""

    id: int
    merged: int
    into: int
    reason: str
    recorded_at: datetime
    recorded_by: str
    undone_by: int | None
    undo_reason: str | None
    undone_at: datetime | None
    undone_by_whom: str | None


def donor_merges(session: Session, actor: Actor, donor_id: int) -> tuple[MergeLine, ...]:
    """The merges donor `donor_id` took part in (either side), oldest first; none for a viewer
    (who merged whom, and why, is the books' own business)."""
    if not actor.sees_contact_details:
        return ()
    undo = aliased(DonorMerge)
    rows = session.execute(
        select(DonorMerge, undo)
        .outerjoin(undo, undo.undoes_id == DonorMerge.id)
        .where(DonorMerge.into_donor_id.is_not(None),
               or_(DonorMerge.merged_donor_id == donor_id, DonorMerge.into_donor_id == donor_id))
        .order_by(DonorMerge.id)
    ).all()  # fmt: skip
    return tuple(
        MergeLine(
            id=merge.id,
            merged=merge.merged_donor_id,
            into=int(merge.into_donor_id or 0),
            reason=merge.reason,
            recorded_at=merge.recorded_at,
            recorded_by=merge.recorded_by,
            undone_by=undone.id if undone else None,
            undo_reason=undone.reason if undone else None,
            undone_at=undone.recorded_at if undone else None,
            undone_by_whom=undone.recorded_by if undone else None,
        )
        for merge, undone in rows
    )
