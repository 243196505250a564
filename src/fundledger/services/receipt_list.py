"""The receipts issued, as `receipt list` and the web's receipt page read them."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Receipt
from fundledger.domain.access import Actor
from fundledger.services.receipts import ReceiptDocument


def issued_receipts(
    session: Session, *, year: int | None = None, actor: Actor | None = None
) -> list[ReceiptDocument]:
    """Every receipt issued (of `year`, if given), by series, year and number, as issued.

    `actor`: who reads them (None: the terminal, which sees everything); a reader whose role
    does not see contact details gets each receipt without the donor's e-mail and ID number."""
    query = select(Receipt.content).order_by(Receipt.series, Receipt.year, Receipt.number)
    if year is not None:
        query = query.where(Receipt.year == year)
    documents = [ReceiptDocument.from_json(content) for content in session.scalars(query)]
    if actor is None or actor.sees_contact_details:
        return documents
    return [replace(document, donor_email=None, donor_tax_id=None) for document in documents]
