"""fundledger donation add|reverse|correct|list"""

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
    CampaignTotals,
    Correction,
    DonationEntry,
    correct_donation,
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
    "corrects",
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
        "corrects": entry.corrects,
    }


def _status(entry: DonationEntry) -> str:
    if entry.reverses is not None:
        return f"reverses #{entry.reverses}"
    corrects = f"corrects #{entry.corrects}" if entry.corrects is not None else ""
    if entry.reversed_by is not None:
        return ", ".join(filter(None, [corrects, f"reversed by #{entry.reversed_by}"]))
    return corrects


@click.group()
def donation() -> None:
    """Donations: record, reverse, correct, list. Entries are never edited or deleted."""


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
    if entry.matched_by_name:
        click.echo(_matched_by_name(entry))
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


def _matched_by_name(entry: DonationEntry) -> str:
    return (f"Matched by name to donor #{entry.donor_id} {printable(str(entry.donor))}; give "
            "--email to tell apart two donors of one name.")  # fmt: skip


@donation.command("correct")
@click.argument("donation_id", metavar="ID", type=ROW_ID)
@click.option("--reason", required=True, help="Why: kept with the correction and in the audit "
              "trail.")  # fmt: skip
@click.option("--date", "on", type=ISO_DATE, help="The gift's right date, YYYY-MM-DD.")
@click.option("--amount", help="The right amount, e.g. 250 or 99.50.")
@click.option("--currency", help="The right currency (ISO code).")
@click.option("--donor", "donor_name", help="The right donor's name (matched as `donation add` "
              "matches it).")  # fmt: skip
@click.option("--email", "donor_email", help="The right donor's e-mail.")
@click.option("--method", help="The right method (as `donation add --method`).")
@click.option("--note", help="The right note.")
@click.option("--anonymous/--named", default=None,
              help="Keep the donor out of public reports, or name them again.")  # fmt: skip
@click.option("--locale", type=click.Choice(LOCALES),
              help="Language of the credit receipt, if the gift had a receipt.")  # fmt: skip
@click.pass_obj
def correct(
    ledger: Ledger,
    donation_id: int,
    reason: str,
    on: date | None,
    amount: str | None,
    currency: str | None,
    donor_name: str | None,
    donor_email: str | None,
    method: str | None,
    note: str | None,
    anonymous: bool | None,
    locale: str | None,
) -> None:
    """Correct donation ID: reverse it (with a credit receipt if it had a receipt) and record
    it again as it should have been, with the same reference, in one step. What is not given
    is kept from the gift. The corrected gift names the gift it corrects; a platform's file
    imported again finds the gift as corrected and adds nothing.

    \b
    Example:
      fundledger donation correct 42 --amount 180 --reason "typed 1800 for 180"
      fundledger donation correct 42 --date 2025-07-04 --email dana@example.org \\
          --reason "the card statement's date; Dana's e-mail"
    """
    with staged_files(ledger) as files:

        def work(session: Session, context: CommandContext) -> Correction:
            done = correct_donation(
                session, context, donation_id=donation_id, reason=reason, on=on, amount=amount,
                currency=currency, donor_name=donor_name, donor_email=donor_email,
                method=method, note=note, anonymous=anonymous, locale=locale,
            )  # fmt: skip
            if done.credit is not None:
                render_receipts(session, files, [done.credit], RECEIPTS_FOLDER)
            return done

        done = ledger.run(work, write=True)
    new = done.corrected
    reference = f" under reference {printable(new.reference)}" if new.reference else ""
    click.echo(f"Corrected donation #{done.original.id}: reversed by #{done.reversal.id}, "
               f"recorded again as #{new.id}{reference}.")  # fmt: skip
    for field, (before, after) in done.changes.items():
        click.echo(f"  {field}: {printable(before) or '-'} -> {printable(after) or '-'}")
    if done.matched_by_name:
        click.echo(_matched_by_name(new))
    if done.credit is not None:
        target = RECEIPTS_FOLDER / f"{done.credit.number}.pdf"
        click.echo(f"Issued credit receipt {done.credit.number}, cancelling receipt "
                   f"{done.credit.credits}; wrote {target}. Issue the corrected gift's receipt "
                   f"with `fundledger receipt issue {new.id}`.")  # fmt: skip
    if done.before is not None and done.after is not None:
        click.echo(f"Campaign {new.campaign}: {_totals(done.before)} before, "
                   f"{_totals(done.after)} after.")  # fmt: skip
    else:
        click.echo(f"Campaign {new.campaign}'s totals not shown: {done.totals_problem}")


def _totals(totals: CampaignTotals) -> str:
    return f"{format_money(totals.home)} / {format_money(totals.reporting)}"


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
