"""fundledger donation add|reverse|list"""

from __future__ import annotations

from datetime import date
from typing import Any

import click
from sqlalchemy.orm import Session

from fundledger.cli.common import (
    ISO_DATE,
    LANGUAGE,
    OUTPUT_FORMATS,
    ROW_ID,
    Ledger,
    emit_rows,
    emit_table,
    excel_option,
)
from fundledger.cli.output import staged_files
from fundledger.cli.receipt import RECEIPTS_FOLDER, render_receipts
from fundledger.domain.methods import METHODS, known_method
from fundledger.domain.money import Money, currency_in_use, format_money
from fundledger.domain.text import printable
from fundledger.reports.i18n import LOCALES
from fundledger.services.context import CommandContext
from fundledger.services.donations import (
    DonationEntry,
    list_donations,
    record_donation,
    reverse_donation,
)
from fundledger.services.receipts import ReceiptDocument, credit_receipt_of

DONATION_COLUMNS = (
    "id",
    "date",
    "amount",
    "currency",
    "donor",
    "email",
    "anonymous",
    "method",
    "reference",
    "note",
    "reversed",
    "reversed_by",
    "reverses",
)


def donation_row(entry: DonationEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "date": entry.date.isoformat(),
        "amount": format(entry.amount.quantized(), "f"),
        "currency": entry.amount.currency,
        "donor": entry.donor,
        "email": entry.email,
        "anonymous": entry.anonymous,
        "method": entry.method,
        "reference": entry.reference,
        "note": entry.note,
        "reversed": entry.reversed,
        "reversed_by": entry.reversed_by,
        "reverses": entry.reverses,
    }


def _status(entry: DonationEntry) -> str:
    if entry.reverses is not None:
        return f"reverses #{entry.reverses}"
    if entry.reversed_by is not None:
        return f"reversed by #{entry.reversed_by}"
    return ""


@click.group()
def donation() -> None:
    """Donations: record, reverse, list. Entries are never edited or deleted."""


@donation.command("add")
@click.argument("slug")
@click.option("--date", "on", type=ISO_DATE, required=True, help="Date of the gift, YYYY-MM-DD.")
@click.option("--amount", required=True, help="Amount in the gift's currency, e.g. 250 or 99.50.")
@click.option("--currency", default=None, help="ISO code of the gift's currency [default: ILS].")
@click.option("--donor", "donor_name", help="Donor's name. Without --donor or --email: anonymous.")
@click.option("--email", "donor_email", help="Donor's e-mail; matches an existing donor.")
@click.option(
    "--method",
    help="How it was given: card, bank_transfer, cash, cheque, paypal, standing_order, bit, "
    "paybox or other, or their names in Hebrew or Arabic (stored as that code); any other "
    "text is kept as given.",
)
@click.option("--reference", help="Unique reference from the bank or processor.")
@click.option("--anonymous", is_flag=True, help="Keep the donor out of every public report.")
@click.option("--note", help="Free text for the treasurer.")
@click.option("--language", type=LANGUAGE,
              help="The donor's language for receipts and statements (en, he, ar, or its name); "
              "a donor who has one keeps it (see `donor set-language`).")  # fmt: skip
@click.pass_obj
def add(
    ledger: Ledger,
    slug: str,
    on: date,
    amount: str,
    currency: str | None,
    donor_name: str | None,
    donor_email: str | None,
    method: str | None,
    reference: str | None,
    anonymous: bool,
    note: str | None,
    language: str | None,
) -> None:
    """Record a donation to campaign SLUG.

    \b
    Example:
      fundledger donation add dont-look-away --date 2025-07-03 --amount 100 \\
          --currency USD --donor "Dana Levi" --email dana@example.org --method card
      fundledger donation add dont-look-away --date 2025-07-25 --amount 250 \\
          --donor "Rami Haddad" --language ar
    """

    def work(session: Session, context: CommandContext) -> DonationEntry:
        code = currency_in_use(context.settings.home_currency if currency is None else currency)
        money = Money.parse(amount, code)
        return record_donation(
            session,
            context,
            campaign_slug=slug,
            on=on,
            amount=money,
            donor_name=donor_name,
            donor_email=donor_email,
            anonymous=anonymous,
            method=method,
            reference=reference,
            note=note,
            language=language,
        )

    entry = ledger.run(work, write=True)
    who = "anonymous" if entry.anonymous else printable(str(entry.donor))
    click.echo(
        f"Recorded donation #{entry.id}: {format_money(entry.amount)} on {entry.date} ({who})."
    )
    if method and entry.method is not None and known_method(entry.method) is None:
        click.echo(f"Method {printable(entry.method)!r} is not one fundledger knows: kept as "
                   "given (known: " + ", ".join(m.code for m in METHODS) + ").")  # fmt: skip
    change = entry.donor_language
    if change is not None and change.changed:
        click.echo(f"Donor #{change.donor_id}'s documents will be in {change.after}.")
    elif change is not None and change.after != language:
        donor_id = change.donor_id
        click.echo(f"Donor #{donor_id} keeps their language, {change.after} (change it with "
                   f"`fundledger donor set-language {donor_id} {language}`).")  # fmt: skip


@donation.command("reverse")
@click.argument("donation_id", metavar="ID", type=ROW_ID)
@click.option("--reason", required=True, help="Why: kept with the reversal and in the audit trail.")
@click.option("--locale", type=click.Choice(LOCALES),
              help="Language of the credit receipt, if the gift had a receipt. Default: the "
              "donor's language, else that of the receipt it cancels.")  # fmt: skip
@click.pass_obj
def reverse(ledger: Ledger, donation_id: int, reason: str, locale: str | None) -> None:
    """Reverse donation ID with an entry that negates it exactly (once only). A gift that
    had a receipt gets a credit receipt that cancels it.

    \b
    Example:
      fundledger donation reverse 42 --reason "card charge-back"
      fundledger donation reverse 42 --reason "refunded" --locale he
    """
    with staged_files(ledger) as files:

        def work(
            session: Session, context: CommandContext
        ) -> tuple[DonationEntry, ReceiptDocument | None]:
            entry = reverse_donation(session, context, donation_id=donation_id, reason=reason,
                                     locale=locale)  # fmt: skip
            credit = credit_receipt_of(session, entry.id)
            if credit is not None:
                render_receipts(session, files, [credit], RECEIPTS_FOLDER)
            return entry, credit

        entry, credit = ledger.run(work, write=True)
    reversal = format_money(entry.amount)
    click.echo(f"Recorded reversal #{entry.id} of donation #{entry.reverses}: {reversal}.")
    if credit is not None:
        target = RECEIPTS_FOLDER / f"{credit.number}.pdf"
        click.echo(f"Issued credit receipt {credit.number}, cancelling receipt {credit.credits}, "
                   f"in {credit.locale}; wrote {target}.")  # fmt: skip


@donation.command("list")
@click.argument("slug")
@click.option("--format", "output_format", type=OUTPUT_FORMATS, default="table", show_default=True)
@excel_option
@click.pass_obj
def list_(ledger: Ledger, slug: str, output_format: str) -> None:
    """List every entry of campaign SLUG, reversals included, by date.

    \b
    Example:
      fundledger donation list dont-look-away --format csv > donations.csv
    """
    entries = ledger.run(lambda session, _: list_donations(session, slug))
    emit_rows(
        output_format,
        [donation_row(entry) for entry in entries],
        DONATION_COLUMNS,
        lambda: emit_table(
            [
                [
                    str(entry.id),
                    entry.date.isoformat(),
                    format_money(entry.amount),
                    (entry.donor or "")
                    + (" (anonymous)" if entry.anonymous and entry.donor else "")
                    or "anonymous",
                    entry.method or "",
                    entry.reference or "",
                    _status(entry),
                ]
                for entry in entries
            ],
            ["ID", "DATE", "AMOUNT", "DONOR", "METHOD", "REFERENCE", "STATUS"],
            right_aligned=[0, 2],
        ),
    )
