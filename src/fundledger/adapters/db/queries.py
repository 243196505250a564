"""SQL conditions shared by the services."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, exists, true
from sqlalchemy.orm import aliased

from fundledger.adapters.db.models import Donation


def counted_donations(campaign_id: int | None = None) -> ColumnElement[bool]:
    """Gifts that count: neither reversed nor a reversal (of one campaign, or of all)."""
    reversal = aliased(Donation)
    return and_(
        Donation.campaign_id == campaign_id if campaign_id is not None else true(),
        Donation.reverses_id.is_(None),
        ~exists().where(reversal.reverses_id == Donation.id),
    )
