"""PayPal's activity download (Activity > Download, CSV, "balance affecting" or all).

Its columns: Date, Time, TimeZone, Name, Type, Status, Currency, Gross, Fee, Net, From Email
Address, To Email Address, Transaction ID, ..., Reference Txn ID, ..., Note ... (the middle
ones vary with the account and the fields chosen; only these are read). Dates are written as
the account's locale writes them (DD/MM/YYYY for an Israeli account, M/D/YYYY for an American
one) with the time of day in the zone TimeZone names (PDT, IDT, GMT+02:00 ...); amounts with
thousands separators ("1,250.00"); every cell quoted.

A gift is a completed incoming payment (Gross above zero, of a payment type): the donor is
Name and From Email Address, the reference Transaction ID, the date the moment's date in
Israel. A "Payment Refund" row (Gross below zero) refunds the payment its Reference Txn ID
names. Every other row (fees, withdrawals, currency conversion legs, holds, pending or
denied payments) is no gift: counted by Type and Status.
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
    proven_format,
    sha256_of,
    sorted_export,
)

REQUIRED = ("Date", "Time", "TimeZone", "Name", "Type", "Status", "Currency", "Gross",
            "From Email Address", "Transaction ID", "Reference Txn ID")  # fmt: skip
# The types of an incoming payment: a gift when completed and above zero.
PAYMENT_TYPES = frozenset(kind.casefold() for kind in (
    "Donation Payment", "Website Payment", "Express Checkout Payment", "Payment Received",
    "Subscription Payment", "Recurring Payment", "Mobile Payment", "General Payment",
    "Direct Credit Card Payment", "Mass Pay Payment", "Shopping Cart Payment Received",
    "PayPal Giving Fund Payment", "Virtual Terminal Payment",
))  # fmt: skip
REFUND_TYPES = frozenset(("payment refund", "refund"))


def translate(
    path: Path, folder: Path, encoding: str, date_format: DateFormat | None
) -> Translation:
    sha256 = sha256_of(path)
    reader = Reader(path, encoding)
    rows = list(reader.rows())
    reader.require(REQUIRED, "PayPal")
    fmt, found = proven_format([(line, row["Date"]) for line, row in rows], date_format, "DMY")
    return sorted_export("paypal", sha256, path, folder, rows, partial(_sort, fmt=fmt),
                         dates=found, date_format=fmt)  # fmt: skip


def _sort(line: int, row: dict[str, str], result: Translation, writer: Writer, *,
          fmt: DateFormat) -> None:  # fmt: skip
    kind, status = row["Type"], row["Status"]
    gross = decimal_amount(row["Gross"])
    if gross is None:
        result.problems.append(RowProblem(line, "Gross", f"{row['Gross']!r} is not an amount"))
        return
    completed = status.casefold() == "completed"
    if kind.casefold() in REFUND_TYPES and gross < 0 and completed:
        if not row["Reference Txn ID"]:
            result.problems.append(RowProblem(line, "Reference Txn ID", (
                "empty: a refund must name the payment it refunds")))  # fmt: skip
            return
        result.refunds.append(Refund(line, row["Transaction ID"], row["Reference Txn ID"],
                                     -gross, row["Currency"].upper(), "PayPal"))  # fmt: skip
        return
    if kind.casefold() not in PAYMENT_TYPES or gross <= 0 or not completed:
        result.others[f"{kind or 'no type'} ({status or 'no status'})"] += 1
        return
    day = israel_date(row["Date"], row["Time"], row["TimeZone"], fmt)
    if isinstance(day, str):
        result.problems.append(RowProblem(line, "Date", day))
        return
    reference = row["Transaction ID"]
    result.gifts[reference] = FileGift(line, gross, row["Currency"].upper())
    writer.gift(line, {
        "date": day.isoformat(), "amount": row["Gross"], "currency": row["Currency"],
        "donor": row["Name"], "email": row["From Email Address"], "method": "paypal",
        "reference": reference, "note": row.get("Note", ""),
    })  # fmt: skip
