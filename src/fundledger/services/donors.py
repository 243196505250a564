"""Donors: matched by e-mail (case-insensitive) when given, else by normalized name."""

from __future__ import annotations

import re

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Donor
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
