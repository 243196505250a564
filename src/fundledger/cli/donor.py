"""fundledger donor list"""

from __future__ import annotations

from typing import Any

import click

from fundledger.cli.common import (
    LANGUAGE,
    OUTPUT_FORMATS,
    ROW_ID,
    Ledger,
    emit_rows,
    emit_table,
    excel_option,
)
from fundledger.services.donors import (
    DonorSummary,
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
