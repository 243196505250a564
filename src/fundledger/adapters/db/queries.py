"""SQL conditions and expressions shared by the services."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Subquery, and_, exists, func, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from fundledger.adapters.db.models import Donation, DonorMerge


def counted_donations(campaign_id: int | None = None, *, scan: bool = False) -> ColumnElement[bool]:
    """Gifts that count: neither reversed nor a reversal (of one campaign, or of all).

    `scan`: read the whole table rather than the campaign's index. For a report over most of
    a SQLite ledger, reading a million rows in index (date) order jumps between pages and
    takes 1.2 s; reading the table straight through takes 0.07 s. (`campaign_id + 0` is an
    expression, which no index serves.)"""
    reversal = aliased(Donation)
    campaign = Donation.campaign_id + 0 if scan else Donation.campaign_id
    return and_(
        campaign == campaign_id if campaign_id is not None else true(),
        Donation.reverses_id.is_(None),
        ~exists().where(reversal.reverses_id == Donation.id),
    )


def counted_donations_in(
    session: Session, campaign_id: int | None = None, *, scan: bool = False
) -> ColumnElement[bool]:
    """`counted_donations`, without its test for a reversal on every gift (a million index
    probes per pass) when the campaign (or the ledger) has no reversal at all: asked of the
    index of reversals alone."""
    campaign = Donation.campaign_id + 0 == campaign_id if campaign_id is not None else true()
    if session.scalar(
        select(Donation.id).where(Donation.reverses_id.is_not(None), campaign).limit(1)
    ) is not None:  # fmt: skip
        return counted_donations(campaign_id, scan=scan)
    return Donation.campaign_id == campaign_id if campaign_id is not None else true()


def merges_in_force() -> Subquery:
    """(merged_donor_id, into_donor_id) of every donor merge not undone."""
    undo = aliased(DonorMerge)
    return (
        select(DonorMerge.id, DonorMerge.merged_donor_id, DonorMerge.into_donor_id)
        .where(
            DonorMerge.into_donor_id.is_not(None),
            ~exists().where(undo.undoes_id == DonorMerge.id),
        )
        .subquery("merge_in_force")
    )


def effective_donor(
    donor_id: ColumnElement[int | None] | InstrumentedAttribute[int | None],
) -> ColumnElement[int | None]:
    """The donor a gift counts for: the one its donor was merged into, if any."""
    merges = merges_in_force()
    return func.coalesce(
        select(merges.c.into_donor_id)
        .where(merges.c.merged_donor_id == donor_id)
        .scalar_subquery(),
        donor_id,
    )
