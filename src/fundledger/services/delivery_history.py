"""What was sent, from the delivery rows: each document's latest attempt and latest success,
for the sending (services/delivery.py: what goes, what is left alone) and for the lists that
show them beside each document (the web's receipts list and donor page).

An attempt is two rows, its claim (outcome sending) and then its outcome (sent or failed); a
document whose latest row is a claim had its attempt cut off before the outcome was recorded,
and may have reached the donor."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Delivery, Receipt
from fundledger.domain.access import Actor, Role, require
from fundledger.services.receipts import ReceiptNumber

SENT, FAILED, SENDING = "sent", "failed", "sending"


@dataclass(frozen=True, slots=True)
class History:
    """Per document key (a receipt id, or a donor for a year's statements): the latest
    attempt, and the latest successful one."""

    last: dict[int, Delivery]
    last_sent: dict[int, Delivery]


def history_of(rows: Iterable[Delivery], key: Callable[[Delivery], int | None]) -> History:
    last: dict[int, Delivery] = {}
    last_sent: dict[int, Delivery] = {}
    for row in rows:  # oldest first: the latest stays
        document = key(row)
        if document is None:
            continue
        last[document] = row
        if row.outcome == SENT:
            last_sent[document] = row
    return History(last, last_sent)


def receipt_history(session: Session, ids: Sequence[int]) -> History:
    rows = session.scalars(select(Delivery).where(Delivery.receipt_id.in_(ids))
                           .order_by(Delivery.id))  # fmt: skip
    return history_of(rows, lambda row: row.receipt_id)


def statement_history(session: Session, year: int, donors: Sequence[int]) -> History:
    rows = session.scalars(select(Delivery).where(Delivery.year == year,
                                                  Delivery.donor_id.in_(donors))
                           .order_by(Delivery.id))  # fmt: skip
    return history_of(rows, lambda row: row.donor_id)


def may_have_reached(history: History, key: int) -> bool:
    """Sent once, or its last attempt cut off before its outcome was recorded."""
    last = history.last.get(key)
    return key in history.last_sent or (last is not None and last.outcome == SENDING)


@dataclass(frozen=True, slots=True)
class LastDelivery:
    """The latest attempt to send a document, as a list shows it beside the document."""

    outcome: str  # sent | failed
    recipient: str
    attempted_at: datetime
    answer: str
    sent_before: bool  # some attempt, this one or an earlier, reached the server


def receipt_deliveries(
    session: Session, actor: Actor | None, numbers: Sequence[ReceiptNumber]
) -> dict[ReceiptNumber, LastDelivery]:
    """The latest delivery of each receipt of `numbers` that has one (the web's list of
    receipts, a page of them; `receipt list`). For those who keep the books, as the lists
    themselves (`actor` None: the terminal, whose user holds the ledger)."""
    if actor is not None:
        require(actor, Role.TREASURER, "read the receipts issued")
    if not numbers:
        return {}
    rows = session.execute(
        select(Receipt.id, Receipt.series, Receipt.year, Receipt.number).where(
            # Each column narrowed, the series first: the unique index (series, year, number)
            # is searched, not scanned (a tuple IN is not SQLite's before 3.15's).
            Receipt.series.in_({each.series for each in numbers}),
            Receipt.year.in_({each.year for each in numbers}),
            Receipt.number.in_({each.number for each in numbers}))
    ).all()  # fmt: skip
    wanted = set(numbers)
    ids = {row.id: ReceiptNumber(row.series, row.year, row.number) for row in rows
           if ReceiptNumber(row.series, row.year, row.number) in wanted}  # fmt: skip
    history = receipt_history(session, list(ids))
    return {ids[key]: last_delivery(history, key) for key in history.last}


def statement_deliveries(session: Session, actor: Actor, donor_id: int) -> dict[int, LastDelivery]:
    """The latest delivery of each year's statement of a donor (the web's donor page)."""
    require(actor, Role.TREASURER, "read a donor's statements")
    rows = session.scalars(select(Delivery).where(Delivery.donor_id == donor_id,
                                                  Delivery.year.is_not(None))
                           .order_by(Delivery.id))  # fmt: skip
    history = history_of(rows, lambda row: row.year)
    return {year: last_delivery(history, year) for year in history.last}


def last_delivery(history: History, key: int) -> LastDelivery:
    last = history.last[key]
    return LastDelivery(last.outcome, last.recipient, last.attempted_at, last.answer,
                        key in history.last_sent)  # fmt: skip
