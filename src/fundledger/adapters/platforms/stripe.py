"""Stripe's payments export (Payments > Export, "unified_payments.csv").

Its columns: id, Description, Seller Message, Created date (UTC), Amount, Amount Refunded,
Currency (lower case: "ils", "usd"), Converted Amount, ..., Fee, ..., Status, ..., Customer
ID, Customer Description, Customer Email, Captured, Card ID, Card Last4, Card Brand, ...,
Card Name, ..., PaymentIntent ID (the fields chosen vary; only these are read). Amounts in
the currency's major unit ("1250.00"); "Created date (UTC)" as YYYY-MM-DD HH:MM[:SS] in UTC.

A charge whose Status is Paid is a gift: the reference its id, the donor Customer
Description (else Card Name) and Customer Email, the date the moment's date in Israel. A
charge refunded in full (Status Refunded, Amount Refunded equal to Amount) is recorded and
reversed at once: the charge happened, and if an earlier export brought it in as paid, the
reversal is what keeps the books right either way; a receipt issued for it meanwhile gets
its credit receipt. A partial refund is refused (`donation correct` records it). Failed,
pending and cancelled charges are no gifts: counted by Status.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

from fundledger.adapters.donation_cells import DateFormat
from fundledger.adapters.donation_csv import RowProblem
from fundledger.adapters.platforms import (
    FileGift,
    Reader,
    Refund,
    Translation,
    Writer,
    decimal_amount,
    israel_date,
    sha256_of,
    sorted_export,
)

REQUIRED = ("id", "Amount", "Amount Refunded", "Currency", "Status", "Customer Email")
CREATED = ("Created date (UTC)", "Created (UTC)")


def translate(
    path: Path, folder: Path, encoding: str, date_format: DateFormat | None
) -> Translation:
    del date_format  # Stripe writes ISO dates in UTC whatever the account
    sha256 = sha256_of(path)
    reader = Reader(path, encoding)
    rows = list(reader.rows())
    reader.require(REQUIRED, "Stripe")
    created = next((column for column in CREATED if column in reader.header), None)
    if created is None:
        reader.require(CREATED[:1], "Stripe")
    assert created is not None
    return sorted_export("stripe", sha256, path, folder, rows, partial(_sort, created=created))


def _sort(line: int, row: dict[str, str], result: Translation, writer: Writer, *,
          created: str) -> None:  # fmt: skip
    status = row["Status"]
    if status.casefold() not in ("paid", "refunded", "partially refunded"):
        result.others[f"charge ({status or 'no status'})"] += 1
        return
    amount = decimal_amount(row["Amount"])
    refunded = decimal_amount(row["Amount Refunded"] or "0")
    for column, value in (("Amount", amount), ("Amount Refunded", refunded)):
        if value is None or value < 0:
            result.problems.append(RowProblem(line, column, f"{row[column]!r} is not an amount"))
            return
    assert amount is not None
    assert refunded is not None
    moment, _, clock = row[created].partition(" ")
    day = israel_date(moment, clock, "UTC", "ISO")
    if isinstance(day, str):
        result.problems.append(RowProblem(line, created, day))
        return
    currency = row["Currency"].upper()
    reference = row["id"]
    result.gifts[reference] = FileGift(line, amount, currency)
    writer.gift(line, {
        "date": day.isoformat(), "amount": row["Amount"], "currency": currency,
        "donor": row.get("Customer Description") or row.get("Card Name", ""),
        "email": row["Customer Email"], "method": "card", "reference": reference,
        "note": row.get("Description", ""),
    })  # fmt: skip
    if refunded > 0:
        result.refunds.append(Refund(line, reference, reference, refunded,
                                     currency, "Stripe"))  # fmt: skip
