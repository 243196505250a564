"""fundledger donor list|show|edit|merge|unmerge|set-id|set-language"""

from __future__ import annotations

from typing import Any

import click

from fundledger.cli.common import (
    LANGUAGE,
    OUTPUT_FORMATS,
    ROW_ID,
    Ledger,
    emit_json,
    emit_rows,
    emit_table,
    excel_option,
)
from fundledger.cli.user import terminal_actor
from fundledger.domain.dates import ISRAEL
from fundledger.domain.money import format_money
from fundledger.domain.text import printable
from fundledger.services.donors import (
    DonorDetails,
    DonorSummary,
    donor_details,
    edit_donor,
    list_donors,
    merge_donors,
    set_language,
    set_tax_id,
    undo_merge,
)

DONOR_COLUMNS = ("id", "name", "email", "gifts", "first_gift", "last_gift", "merged_into",
                 "language", "merge")  # fmt: skip


def _donor_row(donor: DonorSummary) -> dict[str, Any]:
    return {
        "id": donor.id,
        "name": donor.name,
        "email": donor.email,
        "gifts": donor.gifts,
        "first_gift": donor.first_gift.isoformat() if donor.first_gift else None,
        "last_gift": donor.last_gift.isoformat() if donor.last_gift else None,
        "merged_into": donor.merged_into,
        "language": donor.language,
        "merge": donor.merge_id,  # the number `donor unmerge` takes
    }


@click.group()
def donor() -> None:
    """Donors, as matched by e-mail or name."""


@donor.command("list")
@click.option("--format", "output_format", type=OUTPUT_FORMATS, default="table", show_default=True)
@excel_option
@click.pass_obj
def list_(ledger: Ledger, output_format: str) -> None:
    """List donors by name with their number of gifts, first and last gift dates and the
    language their documents are written in (empty: the report.locale setting's).

    \b
    Example:
      fundledger donor list --format csv > donors.csv
    """
    rows = [_donor_row(item) for item in ledger.run(lambda session, _: list_donors(session))]
    emit_rows(
        output_format,
        rows,
        DONOR_COLUMNS,
        lambda: emit_table(
            [
                [
                    str(row["id"]),
                    row["name"],
                    row["email"] or "",
                    str(row["gifts"]),
                    row["first_gift"] or "",
                    row["last_gift"] or "",
                    f"merged into #{row['merged_into']} (merge {row['merge']})"
                    if row["merged_into"]
                    else "",
                    row["language"] or "",
                ]
                for row in rows
            ],
            ["ID", "NAME", "E-MAIL", "GIFTS", "FIRST", "LAST", "STATUS", "LANG"],
            right_aligned=[0, 3],
        ),
    )


@donor.command("merge")
@click.argument("merged_id", metavar="A", type=ROW_ID)
@click.argument("into_id", metavar="B", type=ROW_ID)
@click.option("--reason", required=True, help="Why A and B are the same person.")
@click.pass_obj
def merge(ledger: Ledger, merged_id: int, into_id: int, reason: str) -> None:
    """Count donor A's gifts as donor B's (the same person). Undo with `donor unmerge`.

    \b
    Example:
      fundledger donor merge 17 4 --reason "same person, new e-mail address"
    """
    recorded = ledger.run(
        lambda session, context: merge_donors(
            session, context, merged_id=merged_id, into_id=into_id, reason=reason
        ),
        write=True,
    )
    click.echo(f"Recorded merge #{recorded.id}: donor #{merged_id} now counts as #{into_id}.")


@donor.command("unmerge")
@click.argument("merge_id", metavar="MERGE", type=ROW_ID)
@click.option("--reason", required=True, help="Why the merge was wrong.")
@click.pass_obj
def unmerge(ledger: Ledger, merge_id: int, reason: str) -> None:
    """Undo donor merge MERGE: the two donors count apart again. MERGE is the number
    `donor merge` printed, and `donor list` shows beside the merged donor ("merged into #4
    (merge 3)"; the "merge" column in json/csv).

    \b
    Example:
      fundledger donor unmerge 3 --reason "two different people after all"
    """
    recorded = ledger.run(
        lambda session, context: undo_merge(session, context, merge_id=merge_id, reason=reason),
        write=True,
    )
    click.echo(f"Recorded #{recorded.id}, undoing donor merge #{merge_id}.")


@donor.command("set-id")
@click.argument("donor_id", metavar="DONOR", type=ROW_ID)
@click.argument("tax_id", metavar="ID_NUMBER", required=False)
@click.option("--clear", is_flag=True, help="Forget the number recorded for DONOR.")
@click.option("--reason", help="Why, for the audit trail (e.g. where the number came from).")
@click.pass_obj
def set_id(
    ledger: Ledger, donor_id: int, tax_id: str | None, clear: bool, reason: str | None
) -> None:
    """Record the Israeli identity number DONOR's receipts will state (for the Section 46
    tax credit), as a new revision of DONOR's details: the earlier number stays in the
    ledger's history. Receipts already issued are not changed.

    \b
    Example:
      fundledger donor set-id 17 123456782
      fundledger donor set-id 17 --clear --reason "given by mistake"
    """
    if clear == (tax_id is not None):
        raise click.UsageError("give ID_NUMBER, or --clear")
    recorded = ledger.run(
        lambda session, context: set_tax_id(
            session, context, donor_id=donor_id, tax_id=tax_id, reason=reason
        ),
        write=True,
    )
    if recorded is None:
        click.echo(f"Donor #{donor_id}: identity number cleared.")
    else:
        click.echo(f"Donor #{donor_id}: identity number {recorded}.")


@donor.command("set-language")
@click.argument("donor_id", metavar="DONOR", type=ROW_ID)
@click.argument("language", metavar="LANG", type=LANGUAGE, required=False)
@click.option("--clear", is_flag=True, help="Forget DONOR's language: their documents "
              "follow the report.locale setting.")  # fmt: skip
@click.option("--reason", help="Why, for the audit trail (e.g. how the donor asked).")
@click.pass_obj
def set_language_(
    ledger: Ledger, donor_id: int, language: str | None, clear: bool, reason: str | None
) -> None:
    """Write DONOR's receipts, credit receipts and statements in LANG (en, he or ar; or
    English, Hebrew, Arabic, written in any of the three), unless a command's --locale says
    otherwise. Recorded as a new revision of DONOR's details; documents already issued keep
    their language (`receipt reprint NUMBER --locale LANG` prints a copy in another).

    \b
    Example:
      fundledger donor set-language 17 he --reason "asked at the Sakhnin march"
      fundledger donor set-language 17 العربية
      fundledger donor set-language 17 --clear
    """
    if clear == (language is not None):
        raise click.UsageError("give LANG, or --clear")
    change = ledger.run(
        lambda session, context: set_language(
            session, context, donor_id=donor_id, language=language, reason=reason
        ),
        write=True,
    )
    if not change.changed:
        now = f"is already {change.after}" if change.after else "has none already"
        click.echo(f"Donor #{donor_id}'s language {now}: nothing recorded.")
    elif change.after is None:
        click.echo(f"Donor #{donor_id}: language cleared (was {change.before}); their "
                   "documents follow the report.locale setting.")  # fmt: skip
    else:
        was = f" (was {change.before})" if change.before else ""
        click.echo(f"Donor #{donor_id}: documents in {change.after}{was}.")


@donor.command("show")
@click.argument("donor_id", metavar="DONOR", type=ROW_ID)
@click.option("--format", "output_format", type=click.Choice(["text", "json"]), default="text",
              show_default=True)  # fmt: skip
@click.pass_obj
def show(ledger: Ledger, donor_id: int, output_format: str) -> None:
    """Show DONOR as they stand: name, e-mail, identity number, address, phone, language,
    merges, gifts and their totals, receipts, and the history of their details with the
    reason of each change.

    \b
    Example:
      fundledger donor show 12
      fundledger donor show 12 --format json > donor-12.json
    """
    details = ledger.run(lambda session, context: donor_details(
        session, donor_id, actor=terminal_actor(context)))  # fmt: skip
    if output_format == "json":
        emit_json(_details_json(details))
        return
    for line in _details_text(details):
        click.echo(printable(line))


def _details_json(details: DonorDetails) -> dict[str, Any]:
    return {
        "id": details.id, "name": details.name, "email": details.email,
        "tax_id": details.tax_id, "address": details.address, "phone": details.phone,
        "language": details.language, "created_at": details.created_at.isoformat(),
        "merged_into": details.merged_into, "merge": details.merge_id,
        "merged_from": [{"donor": donor, "merge": merge} for donor, merge in details.merged_from],
        "gifts": details.gifts,
        "totals": [{"amount": format(money.quantized(), "f"), "currency": money.currency}
                   for money in details.totals],
        "receipts": [{"number": receipt.number, "kind": receipt.kind,
                      "donation": receipt.donation_id, "issued_on": receipt.issued_on.isoformat(),
                      "locale": receipt.locale} for receipt in details.receipts],
        "history": [{"revision": line.revision_id, "recorded_at": line.recorded_at.isoformat(),
                     "recorded_by": line.recorded_by, "reason": line.reason,
                     "changes": {field: {"before": before, "after": after}
                                 for field, (before, after) in line.changes.items()}}
                    for line in details.history],
    }  # fmt: skip


def _details_text(details: DonorDetails) -> list[str]:
    lines = [f"Donor #{details.id}: {details.name}"]
    for label, value in (("E-mail", details.email), ("Identity number", details.tax_id),
                         ("Address", details.address), ("Phone", details.phone),
                         ("Language", details.language)):  # fmt: skip
        lines.append(f"  {label}: {value or '-'}")
    if details.merged_into is not None:
        lines.append(f"  Merged into #{details.merged_into} (merge #{details.merge_id}): their "
                     "gifts count as that donor's.")  # fmt: skip
    for merged, merge in details.merged_from:
        lines.append(f"  Donor #{merged} is merged into this one (merge #{merge}).")
    totals = ", ".join(format_money(money) for money in details.totals) or "none"
    lines.append(f"  Gifts: {details.gifts} ({totals})")
    if details.receipts:
        lines.append("Receipts:")
        lines.extend(
            f"  {each.number}  {each.kind:8}  donation #{each.donation_id}  {each.issued_on}  "
            f"{each.locale}" for each in details.receipts
        )  # fmt: skip
    lines.append("History:")
    for line in details.history:
        when = line.recorded_at.astimezone(ISRAEL).strftime("%Y-%m-%d %H:%M")
        what = "; ".join(f"{field} {before or '-'} -> {after or '-'}"
                         for field, (before, after) in line.changes.items())  # fmt: skip
        if line.revision_id is None:
            lines.append(f"  {when}  recorded: {what}")
        else:
            why = f" ({line.reason})" if line.reason else ""
            lines.append(f"  {when}  revision #{line.revision_id} by {line.recorded_by}: "
                         f"{what or 'no change'}{why}")  # fmt: skip
    return lines


@donor.command("edit")
@click.argument("donor_id", metavar="DONOR", type=ROW_ID)
@click.option("--name", help="The donor's name as their documents print it from now on.")
@click.option("--email", help='Their e-mail ("" clears it); one another donor has is refused.')
@click.option("--address", help='Their postal address ("" clears it).')
@click.option("--phone", help='Their phone number ("" clears it).')
@click.option("--language", help='Their documents\' language: en, he, ar ("" clears it).')
@click.option("--tax-id", "tax_id", help='Their Israeli identity number ("" clears it).')
@click.option("--reason", required=True, help="Why: kept with the revision and in the audit "
              "trail.")  # fmt: skip
@click.pass_obj
def edit(
    ledger: Ledger,
    donor_id: int,
    name: str | None,
    email: str | None,
    address: str | None,
    phone: str | None,
    language: str | None,
    tax_id: str | None,
    reason: str,
) -> None:
    """Change DONOR's details, as a new revision of them: the earlier ones stay in the
    ledger's history (`donor show`). Receipts and statements issued earlier keep what they
    printed; the next ones print the new details.

    \b
    Example:
      fundledger donor edit 12 --name "Dana Levi-Cohen" --reason "married; asked by phone"
      fundledger donor edit 12 --email dana@example.net --phone "" --reason "new e-mail"
    """
    given = {"name": name, "email": email, "address": address, "phone": phone,
             "language": language, "tax_id": tax_id}  # fmt: skip
    if all(value is None for value in given.values()):
        raise click.UsageError("give what to change: --name, --email, --address, --phone, "
                               "--language or --tax-id")  # fmt: skip
    done = ledger.run(
        lambda session, context: edit_donor(
            session, context, donor_id=donor_id, reason=reason, **given
        ),
        write=True,
    )
    click.echo(f"Donor #{donor_id}: revision #{done.revision_id} recorded.")
    for field, (before, after) in done.changes.items():
        click.echo(printable(f"  {field}: {before or '-'} -> {after or '-'}"))
