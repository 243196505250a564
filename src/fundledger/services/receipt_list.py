"""The receipts issued, as `receipt list` and the web's receipt page read them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Donation, Receipt
from fundledger.adapters.images import Logo
from fundledger.domain.access import Actor, Role, require
from fundledger.domain.errors import FundledgerError
from fundledger.services.browse import PER_PAGE, Page, check_page
from fundledger.services.campaigns import get_campaign
from fundledger.services.receipts import (
    ReceiptDocument,
    ReceiptNumber,
    find_receipt,
    logos_of,
)


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


@dataclass(frozen=True, slots=True)
class ReceiptFilter:
    """Which receipts a list shows; every condition given must hold (None: any)."""

    year: int | None = None
    campaign: str | None = None  # a campaign's slug: receipts of its gifts (and reversals)
    number: str | None = None  # a whole number as printed (R-2025-00017), or its last part


def receipt_page(
    session: Session,
    actor: Actor,
    wanted: ReceiptFilter,
    *,
    page: int = 1,
    per_page: int = PER_PAGE,
) -> Page[ReceiptDocument]:
    """The receipts issued that match `wanted`, newest first (by series, year and number),
    a page at a time, for the web's receipt list. Only for those who keep the books: a receipt
    names its donor, also for an anonymous gift, and may carry an e-mail and ID number."""
    require(actor, Role.TREASURER, "read the receipts issued")
    check_page(page, per_page)
    conditions = _matching(session, wanted)
    total = int(session.scalar(select(func.count()).select_from(Receipt).where(*conditions)) or 0)
    contents = session.scalars(
        select(Receipt.content).where(*conditions)
        .order_by(Receipt.year.desc(), Receipt.series, Receipt.number.desc())
        .limit(per_page).offset((page - 1) * per_page)
    )  # fmt: skip
    documents = tuple(ReceiptDocument.from_json(content) for content in contents)
    return Page(documents, page, per_page, total)


def _matching(session: Session, wanted: ReceiptFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.year is not None:
        conditions.append(Receipt.year == wanted.year)
    if wanted.campaign is not None:
        campaign_id = get_campaign(session, wanted.campaign).id
        conditions.append(Receipt.donation_id.in_(
            select(Donation.id).where(Donation.campaign_id == campaign_id)))  # fmt: skip
    if wanted.number is not None:
        conditions.append(_numbered(wanted.number.strip()))
    return conditions


def _numbered(text: str) -> ColumnElement[bool]:
    if text.isdigit():  # the running number alone, as a treasurer reads it out: "17"
        return Receipt.number == int(text)
    number = ReceiptNumber.parse(text)
    return and_(Receipt.series == number.series, Receipt.year == number.year,
                Receipt.number == number.number)  # fmt: skip


def receipt_copy(
    session: Session, actor: Actor, number: ReceiptNumber
) -> tuple[ReceiptDocument, Logo | None]:
    """A receipt as issued and the logo it was issued with, to print again as a copy (as
    `receipt reprint` does; reading it writes nothing). Only for those who keep the books,
    as `receipt_page`."""
    require(actor, Role.TREASURER, "print a receipt")
    document = find_receipt(session, number)
    logo = logos_of(session, [document]).get(document.logo) if document.logo else None
    return document, logo


def receipt_copies(
    session: Session,
    actor: Actor,
    wanted: ReceiptFilter | Sequence[ReceiptNumber],
    *,
    most: int,
) -> tuple[list[ReceiptDocument], dict[str, Logo]]:
    """The receipts a filter matches (or those numbered), by series, year and number, with
    the logos they were issued with: to print again as copies, many at once (the web's zip).
    At most `most` (drawing each takes time): more is refused, saying how to narrow it."""
    require(actor, Role.TREASURER, "print receipts")
    if isinstance(wanted, ReceiptFilter):
        conditions = _matching(session, wanted)
        found = session.scalar(select(func.count()).select_from(Receipt).where(*conditions)) or 0
        if found > most:
            raise FundledgerError(f"{found} receipts match, and one download holds at most "
                                  f"{most}: choose a year, a campaign or a number")  # fmt: skip
        contents = session.scalars(select(Receipt.content).where(*conditions).order_by(
            Receipt.series, Receipt.year, Receipt.number))  # fmt: skip
        documents = [ReceiptDocument.from_json(content) for content in contents]
    else:
        if len(wanted) > most:
            raise FundledgerError(f"{len(wanted)} receipts asked for, and one download holds at "
                                  f"most {most}")  # fmt: skip
        documents = [find_receipt(session, number) for number in sorted(
            set(wanted), key=lambda n: (n.series, n.year, n.number))]  # fmt: skip
    return documents, logos_of(session, documents)
