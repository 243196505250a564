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
    excel_csv,
    excel_option,
)
from fundledger.cli.output import staged_files
from fundledger.cli.receipt import RECEIPTS_FOLDER, render_receipts
from fundledger.domain.errors import FundledgerError
from fundledger.domain.methods import METHODS, known_method
from fundledger.domain.money import Money, currency_in_use, format_money
from fundledger.domain.text import counted, printable
from fundledger.reports.i18n import LOCALES
from fundledger.services.context import CommandContext
from fundledger.services.donations import (
    CampaignTotals,
    Correction,
    DonationEntry,
    correct_donation,
    record_donation,
    reverse_donation,
)
from fundledger.services.receipts import ReceiptDocument, credit_receipt_of
from fundledger.services.search import DonationSearch, SearchResult, search_donations

TABLE_LIMIT = 100  # gifts a table shows unless --limit says otherwise

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

    entry = ledger.run(work, write=True, summaries=True)
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

        entry, credit = ledger.run(work, write=True, summaries=True)
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

        done = ledger.run(work, write=True, summaries=True)
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
@click.argument("slug", required=False)
@click.option("--donor", "donor_text", metavar="TEXT",
              help="A part of the donor's name, in any case, with or without diacritics "
              "(niqqud, harakat, accents): 'levi' finds 'Dana Levi'.")  # fmt: skip
@click.option("--email", metavar="E", help="The donor's e-mail, in any case.")
@click.option("--from", "date_from", type=ISO_DATE, help="Gifts dated on or after, YYYY-MM-DD.")
@click.option("--to", "date_to", type=ISO_DATE, help="Gifts dated on or before, YYYY-MM-DD.")
@click.option("--min", "minimum", metavar="AMOUNT",
              help="Gifts worth at least AMOUNT in the home currency (ILS), each valued at "
              "the rate of its date (a reversal: the gift it reverses).")  # fmt: skip
@click.option(
    "--max",
    "maximum",
    metavar="AMOUNT",
    help="Gifts worth at most AMOUNT in the home currency (ILS), valued as --min.",
)
@click.option("--method", metavar="M",
              help="A payment method as `donation add` takes it: card, bank_transfer, cash, "
              "cheque, ... or its name in Hebrew or Arabic (older spellings match "
              "too).")  # fmt: skip
@click.option("--reference", metavar="R",
              help="The whole reference; end it with * for every reference that begins so "
              "(TX1002*).")  # fmt: skip
@click.option("--limit", type=click.IntRange(min=1), metavar="N",
              help=f"Show at most N gifts [default: {TABLE_LIMIT} in the table, all in json "
              "and csv].")  # fmt: skip
@click.option("--format", "output_format", type=OUTPUT_FORMATS, default="table", show_default=True)
@excel_option
@click.pass_obj
def list_(
    ledger: Ledger,
    slug: str | None,
    donor_text: str | None,
    email: str | None,
    date_from: date | None,
    date_to: date | None,
    minimum: str | None,
    maximum: str | None,
    method: str | None,
    reference: str | None,
    limit: int | None,
    output_format: str,
) -> None:
    """List the entries of campaign SLUG, or of every campaign, reversals included, by date;
    the options narrow the list (every one given must hold).

    \b
    Example:
      fundledger donation list dont-look-away --format csv > donations.csv
      fundledger donation list --donor levi
      fundledger donation list --from 2025-07-01 --to 2025-07-31 --min 1000 --method card
      fundledger donation list --reference 'TX1002*' --format json
    """
    output_format, _ = excel_csv(output_format)
    shown = limit if limit is not None else TABLE_LIMIT if output_format == "table" else None

    def work(session: Session, context: CommandContext) -> SearchResult:
        home = context.settings.home_currency
        search = DonationSearch(
            campaign=slug, donor=donor_text, email=email, date_from=date_from, date_to=date_to,
            minimum=_home_amount("--min", minimum, home),
            maximum=_home_amount("--max", maximum, home),
            method=method, reference=reference,
        )  # fmt: skip
        return search_donations(session, context, search, shown)

    found = ledger.run(work)
    entries = found.entries
    across = slug is None  # then each line names its campaign
    columns = (*DONATION_COLUMNS, "campaign") if across else DONATION_COLUMNS
    emit_rows(
        output_format,
        [donation_row(entry) | ({"campaign": entry.campaign} if across else {})
         for entry in entries],
        columns,
        lambda: emit_table(
            [
                [
                    str(entry.id),
                    entry.date.isoformat(),
                    *([entry.campaign] if across else []),
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
            ["ID", "DATE", *(["CAMPAIGN"] if across else []), "AMOUNT", "DONOR", "METHOD",
             "REFERENCE", "STATUS"],
            right_aligned=[0, 3] if across else [0, 2],
        ),
    )  # fmt: skip
    # Said on stderr: json and csv on stdout stay data alone.
    if found.more:
        click.echo(f"{counted(found.more, 'more gift')} "
                   f"{'matches' if found.more == 1 else 'match'}: narrow the search or use "
                   f"--limit {found.total}.", err=True)  # fmt: skip
    if found.unvalued:
        one = found.unvalued == 1
        click.echo(f"{counted(found.unvalued, 'gift')} had no rate in force on "
                   f"{'its date' if one else 'their dates'}, so no value to compare with "
                   "--min/--max: left out (see `fundledger rates gaps`).", err=True)  # fmt: skip
    if not entries and output_format == "table":
        click.echo("No gift matches." if found.searched != DonationSearch(campaign=slug)
                   else "No entries yet.", err=True)  # fmt: skip


def _home_amount(option: str, text: str | None, home: str) -> Money | None:
    if text is None:
        return None
    try:
        return Money.parse(text, home)
    except FundledgerError as error:
        raise FundledgerError(f"{option} {text!r}: {error}") from error
