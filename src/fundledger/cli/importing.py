"""fundledger import donations"""

from __future__ import annotations

from pathlib import Path
from typing import cast

import click
from sqlalchemy.orm import Session

from fundledger.adapters.donation_cells import DateFormat
from fundledger.adapters.donation_csv import parse_mapping
from fundledger.cli.common import Ledger, by_language
from fundledger.cli.import_profile import profile_group
from fundledger.cli.progress import LINES_WORTH_A_BAR, progress
from fundledger.domain.dates import ISRAEL
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import format_money
from fundledger.domain.text import counted, printable
from fundledger.services.context import CommandContext
from fundledger.services.donation_import import (
    READ_IN_CHILD_FROM_BYTES,
    DonationImportRefused,
    ImportSummary,
)
from fundledger.services.import_profiles import ImportOutcome, ImportRequest, run_import

KEPT_SHOWN = 10  # donors named in the line that says who kept their language


@click.group("import")
def import_group() -> None:
    """Bring records in from files."""


import_group.add_command(profile_group)


def _mapping(
    _ctx: click.Context, _param: click.Parameter, value: tuple[str, ...]
) -> dict[str, str]:
    try:
        return parse_mapping(value)
    except FundledgerError as error:
        raise click.BadParameter(str(error)) from None


def _count_lines(path: Path) -> int:
    with path.open("rb") as binary:
        return sum(block.count(b"\n") for block in iter(lambda: binary.read(1 << 20), b""))


@import_group.command("donations")
@click.argument("arguments", nargs=-1, required=True, metavar="[SLUG] FILE")
@click.option("--dry-run", is_flag=True, help="Check everything and report; write nothing.")
@click.option(
    "--date-format",
    type=click.Choice(["ISO", "DMY", "MDY"], case_sensitive=False),
    default=None,
    help="How dates are written: 2025-07-03 (ISO, the default), 03/07/2025 (DMY, Israeli "
    "exports) or 07/03/2025 (MDY).",
)
@click.option(
    "--encoding", default="utf-8", show_default=True, help="e.g. cp1255 for Hebrew Excel."
)
@click.option(
    "--map",
    "mappings",
    multiple=True,
    callback=_mapping,
    metavar="COLUMN=FIELD",
    help="Read the file's COLUMN as FIELD (date, amount, currency, donor, email, method, "
    "reference, note, anonymous, campaign; the donor's language, tax_id, address, phone). "
    "Repeat as needed.",
)
@click.option(
    "--currency",
    metavar="CODE",
    help="The currency of every gift the file gives none for (it has no currency column, or "
    "the cell is empty). Needed when the file has columns that are not read.",
)
@click.option(
    "--anonymous",
    is_flag=True,
    help="Every gift of the file is anonymous (it names no donors). Needed when the file "
    "has no donor column but columns that are not read.",
)
@click.option(
    "--ignore",
    "ignored",
    multiple=True,
    metavar="COLUMN",
    help="A column left unread on purpose: not listed, and it needs no --currency or "
    "--anonymous. Repeat as needed.",
)
@click.option(
    "--profile",
    metavar="NAME",
    help="Read the file as a saved or built-in profile says (`fundledger import profile "
    "list`: paypal, stripe, israelgives ...); options given here add to it or replace its own.",
)
@click.option(
    "--again",
    is_flag=True,
    help="Read a file whose very bytes were imported before (otherwise it adds nothing); "
    "its rows are still matched against the ledger, one by one.",
)
@click.pass_obj
def donations(
    ledger: Ledger,
    arguments: tuple[str, ...],
    dry_run: bool,
    date_format: str | None,
    encoding: str,
    mappings: dict[str, str],
    currency: str | None,
    anonymous: bool,
    ignored: tuple[str, ...],
    profile: str | None,
    again: bool,
) -> None:
    """Import the donations of FILE into campaign SLUG: all of them, or none.

    Columns: date,amount,currency,donor,email,method,reference,note[,anonymous][,campaign].
    A row whose campaign column names a campaign (by its slug) goes there; without SLUG,
    every row must name one. Every bad line is reported; importing the same file again adds
    nothing, and neither does the same export re-saved (rows without a reference are known
    by their date, amount, currency, donor's name and e-mail, method, note, anonymity and
    campaign). Columns that are not read
    are listed; when there are any, the file must give its currency and donors, or say them
    with --currency and --anonymous.

    A language column gives each donor's language (en, he, ar, or its name: Hebrew, עברית,
    العربية ...), for their receipts and statements; tax_id (an Israeli ID number, checked by
    its check digit; "ID number", "ת.ז." or "رقم الهوية" read as such), address and phone
    columns give their other details. A donor without a detail takes it, one who has another
    keeps theirs, listed (`donor edit` changes it). They are no part of a gift: added to a
    file imported before, they add no gift.

    \b
    Example:
      fundledger import donations dont-look-away card-export.csv --date-format DMY \\
          --map "Transaction ID=reference" --map "Name=donor"
      fundledger import donations all-campaigns.csv --map "Appeal=campaign"
      fundledger import donations dont-look-away cash-box.csv --currency ILS --anonymous
      fundledger import donations dont-look-away form.csv --map "Preferred language=language"
      fundledger import donations dont-look-away crm.csv --map "Teudat zehut=tax_id"
      fundledger import donations dont-look-away Download.CSV --profile paypal
    """
    if len(arguments) > 2:
        raise click.UsageError(f"too many arguments ({len(arguments)}): give [SLUG] FILE")
    slug, file = (None, Path(arguments[0])) if len(arguments) == 1 else (
        arguments[0], Path(arguments[1]))  # fmt: skip
    if not file.is_file():
        problem = "is a folder" if file.is_dir() else "does not exist"
        raise click.BadParameter(f"{str(file)!r} {problem}.", param_hint="'FILE'")
    lines = _count_lines(file)

    request = ImportRequest(
        encoding=encoding,
        date_format=cast(DateFormat, date_format.upper()) if date_format else None,
        mapping=mappings,
        currency=currency,
        anonymous=anonymous,
        again=again,
        ignore=ignored,
        profile=profile,
    )

    def work(session: Session, context: CommandContext) -> ImportOutcome:
        with progress(lines, f"Importing {file.name}", worth_from=LINES_WORTH_A_BAR) as bar:
            return run_import(session, context, slug, file, request, progress=bar.advance_to,
                              check=dry_run)  # fmt: skip

    # A large file is a bulk load: its gifts' foreign keys are checked once, at the end
    # (services/donation_import.py). Not a platform's export: its refunds reverse gifts
    # through the ordinary writers, which rely on the keys.
    bulk = profile is None and file.stat().st_size >= READ_IN_CHILD_FROM_BYTES
    try:
        outcome = ledger.run(work, write=True, commit=not dry_run, bulk=bulk)
    except DonationImportRefused as refused:
        for problem in refused.problems:
            click.echo(problem, err=True)
        raise
    if outcome.dates is not None:
        click.echo(f"{outcome.summary.name}: {outcome.dates.describe()}.")
    _print_summary(outcome.summary, slug, dry_run)
    _print_platform(outcome, dry_run)


def _print_platform(outcome: ImportOutcome, dry_run: bool) -> None:
    """What a platform's export held besides gifts: refunds, and rows that are no gifts."""
    for each in outcome.reversed:
        if each.reversal_id is None:
            click.echo(f"  Refund {printable(each.refund)} (line {each.line}): donation "
                       f"#{each.donation_id} was reversed or corrected before.")  # fmt: skip
        else:
            verb = "would reverse" if dry_run else "reversed"
            click.echo(f"  Refund {printable(each.refund)} (line {each.line}) of "
                       f"{format_money(each.amount)}: {verb} donation #{each.donation_id}"
                       + ("." if dry_run else f" by #{each.reversal_id}."))  # fmt: skip
    if outcome.others:
        listed = "; ".join(f"{printable(kind)}: {count:,}"
                           for kind, count in sorted(outcome.others.items()))  # fmt: skip
        total = sum(outcome.others.values())
        click.echo(f"  {counted(total, 'row')} of the export {'is' if total == 1 else 'are'} "
                   f"no gift (not imported): {listed}.")  # fmt: skip


def _print_summary(summary: ImportSummary, slug: str | None, dry_run: bool) -> None:
    if summary.ignored_columns:
        listed = ", ".join(repr(column) for column in summary.ignored_columns)
        click.echo(f'Columns not read: {listed} (read one with --map "COLUMN=FIELD").')
    if (earlier := summary.earlier) is not None:
        into = f" into {printable(earlier.campaign)}" if earlier.campaign else ""
        when = earlier.occurred_at.astimezone(ISRAEL).strftime("%Y-%m-%d %H:%M")
        click.echo(
            f"{summary.name} was imported on {when} by {printable(earlier.actor)} as import "
            f"#{earlier.event_id} ({counted(earlier.imported, 'gift')}{into}): these very bytes, "
            "so nothing was added. To read it again anyway, add --again."
        )
        return
    verb = "Would import" if dry_run else "Imported"
    places = sorted(summary.by_campaign)
    where = counted(len(places), "campaign") if len(places) > 1 else (places or [slug or ""])[0]
    into = f" into {where}" if where else ""
    click.echo(
        f"{verb} {summary.name}{into}: {summary.imported:,} new, "
        f"{summary.present:,} already present, {counted(summary.new_donors, 'new donor')}"
        + (" (dry run: nothing written)." if dry_run else ".")
    )
    if known := summary.present_by_content:
        has, was, their = ("has", "was", "its") if known == 1 else ("have", "were", "their")
        click.echo(
            f"  {known:,} of the rows already present {has} no reference and {was} known by "
            f"{their} content (date, amount, currency, donor, method, note): if some are other "
            "gifts alike (two cash boxes of one evening), give them a reference or a note and "
            "import again."
        )
    if corrected := summary.corrected:
        click.echo(f"  {corrected:,} already corrected: present as first recorded and "
                   "corrected since (`donation correct`); the corrections stand.")  # fmt: skip
    if summary.matched_by_name:
        rows = sum(summary.matched_by_name.values())
        shown = ", ".join(
            printable(f"#{donor} {summary.matched_names.get(donor, '')} ({count})")
            for donor, count in summary.matched_by_name.most_common(10)
        )
        more = ", ..." if len(summary.matched_by_name) > 10 else ""
        click.echo(f"  {counted(rows, 'row')} matched by name alone to donors already in the "
                   f"ledger: {shown}{more}; give an e-mail column to tell apart two donors of "
                   "one name.")  # fmt: skip
    if len(places) > 1:
        for place in places:
            click.echo(f"  {place}: {counted(summary.by_campaign[place], 'new gift')}")
    for money, count in summary.totals():
        click.echo(f"  {format_money(money)} in {counted(count, 'gift')}")
    if summary.unknown_methods:
        kept = sorted(summary.unknown_methods.items(), key=lambda item: (-item[1], item[0]))
        listed = ", ".join(f"{printable(method)} ({counted(count, 'gift')})"
                           for method, count in kept)  # fmt: skip
        click.echo(f"  Methods kept as given (not known payment methods): {listed}.")
    _print_languages(summary, dry_run)
    _print_details(summary, dry_run)
    if summary.possible_duplicates:
        click.echo("Possible duplicate donors (not merged; check them):")
        for group in summary.possible_duplicates[:50]:
            click.echo("  " + printable(" | ".join(group)))
        if len(summary.possible_duplicates) > 50:
            click.echo(f"  ... and {counted(len(summary.possible_duplicates) - 50, 'more group')}")


def _print_languages(summary: ImportSummary, dry_run: bool) -> None:
    """The donors' languages the file gave: who took one, and, once, who kept their own."""
    taken = summary.languages_set
    if taken:
        count = sum(taken.values())
        verb = "would take" if dry_run else "took"
        click.echo(f"  {counted(count, 'donor')} {verb} their language from the file: "
                   f"{by_language(list(taken.elements()))}.")  # fmt: skip
    kept = summary.languages_kept
    if kept:
        shown = "; ".join(
            printable(f"#{each.donor_id} {each.name} ({each.theirs}, not "
                      f"{' or '.join(each.offered)})") for each in kept[:KEPT_SHOWN]
        )  # fmt: skip
        more = f"; and {len(kept) - KEPT_SHOWN} more" if len(kept) > KEPT_SHOWN else ""
        click.echo(f"{counted(len(kept), 'donor')} kept their language: {shown}{more} (change "
                   "one with `fundledger donor set-language DONOR LANG`).")  # fmt: skip


# How `_print_details` names each detail, and the option of `donor edit` that changes it.
DETAILS_SHOWN = {
    "tax_id": ("ID number", "--tax-id NUMBER"),
    "address": ("address", "--address TEXT"),
    "phone": ("phone", "--phone TEXT"),
}


def _print_details(summary: ImportSummary, dry_run: bool) -> None:
    """The donors' details the file gave besides languages: how many took each, and, per
    detail, who kept their own (an ID number shown by its last four digits, as the audit
    trail shows it)."""
    if summary.details_set:
        verb = "would take" if dry_run else "took"
        taken = [(label, summary.details_set[name]) for name, (label, _) in DETAILS_SHOWN.items()
                 if summary.details_set[name]]  # fmt: skip
        (first, count), *rest = taken
        listed = ", ".join([f"{counted(count, 'donor')} {verb} their {first}",
                            *(f"{count:,} their {label}" for label, count in rest)])  # fmt: skip
        click.echo(f"  From the file, {listed}.")
    for name, (label, option) in DETAILS_SHOWN.items():
        kept = [each for each in summary.details_kept if each.field == name]
        if not kept:
            continue
        shown = "; ".join(
            printable(f"#{each.donor_id} {each.name} ({_shown(name, each.theirs)}, not "
                      f"{' or '.join(_shown(name, value) for value in each.offered)})")
            for each in kept[:KEPT_SHOWN]
        )  # fmt: skip
        more = f"; and {len(kept) - KEPT_SHOWN} more" if len(kept) > KEPT_SHOWN else ""
        click.echo(f"{counted(len(kept), 'donor')} kept their {label}: {shown}{more} (change "
                   f"one with `fundledger donor edit DONOR {option} --reason TEXT`).")  # fmt: skip


def _shown(name: str, value: str) -> str:
    """A detail as the summary shows it: an ID number by its last four digits."""
    return f"*****{value[-4:]}" if name == "tax_id" else " ".join(value.split())
