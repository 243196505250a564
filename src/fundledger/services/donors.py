"""Donors: matched by e-mail (case-insensitive) when given, else by normalized name."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Donation, Donor
from fundledger.adapters.db.queries import counted_donations
from fundledger.domain.donors import email_key, name_key, normalize_name
from fundledger.domain.errors import FundledgerError
from fundledger.services.context import CommandContext, now, record_audit
from fundledger.services.validation import bounded_text

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def find_or_add_donor(
    session: Session, context: CommandContext, *, name: str | None, email: str | None
) -> Donor:
    clean_name = bounded_text("the donor's name", normalize_name(name or ""), Donor.name) or ""
    clean_email = bounded_text("the donor's e-mail", email, Donor.email)
    if clean_email and not _EMAIL.fullmatch(clean_email):
        raise FundledgerError(f"{clean_email!r} is not an e-mail address")
    if clean_email:
        found = session.scalar(select(Donor).where(Donor.email_key == email_key(clean_email)))
        if found is not None:
            return found
    elif clean_name:
        found = session.scalars(
            select(Donor)
            .where(Donor.name_key == name_key(clean_name), Donor.email_key.is_(None))
            .order_by(Donor.id)
        ).first()
        if found is not None:
            return found
    if not clean_name and not clean_email:
        raise FundledgerError("a donor needs a name or an e-mail address")
    donor = Donor(
        name=clean_name or clean_email or "",
        email=clean_email,
        email_key=email_key(clean_email) if clean_email else None,
        name_key=name_key(clean_name or clean_email or ""),
        created_at=now(),
    )
    session.add(donor)
    session.flush()
    record_audit(
        session,
        context,
        "donor.add",
        entity="donor",
        entity_id=donor.id,
        details={"name": donor.name, "email": donor.email},
    )
    return donor


@dataclass(frozen=True, slots=True)
class DonorSummary:
    id: int
    name: str
    email: str | None
    gifts: int
    first_gift: date | None
    last_gift: date | None


def list_donors(session: Session) -> list[DonorSummary]:
    """Every donor with the number and dates of their gifts (reversals and reversed gifts
    left out), by name."""
    gifts = (
        select(
            Donation.donor_id,
            func.count().label("gifts"),
            func.min(Donation.donation_date).label("first_gift"),
            func.max(Donation.donation_date).label("last_gift"),
        )
        .where(counted_donations())
        .group_by(Donation.donor_id)
        .subquery()
    )
    rows = session.execute(
        select(Donor.id, Donor.name, Donor.email, gifts.c.gifts, gifts.c.first_gift,
               gifts.c.last_gift)
        .outerjoin(gifts, gifts.c.donor_id == Donor.id)
        .order_by(Donor.name_key, Donor.id)
    ).all()  # fmt: skip
    return [
        DonorSummary(row.id, row.name, row.email, int(row.gifts or 0), row.first_gift,
                     row.last_gift)
        for row in rows
    ]  # fmt: skip
