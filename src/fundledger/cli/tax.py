"""fundledger tax pending|record|import: the Tax Authority's "Israel Donations" workflow."""

from __future__ import annotations

from pathlib import Path

import click

from fundledger.cli.common import Ledger, emit_csv, emit_json, emit_table, excel_csv, excel_option
from fundledger.domain.money import format_money
from fundledger.domain.text import counted
from fundledger.services.tax import (
    PENDING_COLUMNS,
    PendingRow,
    TaxImportRefused,
    import_numbers,
    pending,
    pending_record,
    record,
)


@click.group()
def tax() -> None:
    """Gifts and cancellations to report to the Tax Authority, and the numbers it returns."""


@tax.command("pending")
@click.option("--format", "output_format", type=click.Choice(["table", "csv", "json"]),
              default="table", show_default=True)  # fmt: skip
@excel_option
@click.pass_obj
def pending_command(ledger: Ledger, output_format: str) -> None:
    """Every gift and cancellation that still needs reporting to "Israel Donations", with
    what the report needs: date, amount and its value in NIS, the donor's name and ID
    number, the receipt number, the organisation's numbers. A row that cannot be reported
    yet says why (no ID number, no rate in force) and the command that mends it.

    fundledger prepares the list; upload it or type it into the Authority's system, then
    record the numbers it returns with `tax record` or `tax import`.

    \b
    Example:
      fundledger tax pending
      fundledger tax pending --format csv > to-report.csv
    """
    report = ledger.run(pending)
    output_format, excel = excel_csv(output_format)
    records = [pending_record(report, row) for row in report.rows]
    if output_format == "json":
        emit_json({"organisation": {"registration": report.registration,
                                    "approval": report.approval},
                   "applies": report.applies, "why_not": report.why_not,
                   "report_from": report.report_from.isoformat(), "pending": records})  # fmt: skip
        return
    if output_format == "csv":
        flat = [{**each, "problems": "; ".join(row.problems)}
                for each, row in zip(records, report.rows, strict=True)]  # fmt: skip
        emit_csv(flat, PENDING_COLUMNS, excel=excel)
        return
    if not report.applies:
        click.echo(f"Nothing to report: {report.why_not}.")
        return
    registration = report.registration or "(not set)"
    click.echo(f"Organisation: registration {registration}, Section 46 approval "
               f"{report.approval}; gifts from {report.report_from} are reported.")  # fmt: skip
    if report.rows:
        emit_table(
            [[row.kind, f"#{row.donation_id}", f"#{row.cancels}" if row.cancels else "",
              row.date.isoformat(), format_money(row.amount),
              format_money(row.home) if row.home is not None else "no rate yet",
              f"#{row.donor_id} {row.donor}", row.donor_tax_id or "MISSING",
              _receipts(row)]
             for row in report.rows],
            ["KIND", "GIFT", "CANCELS", "DATE", "AMOUNT", report.home_currency, "DONOR",
             "ID NUMBER", "RECEIPT"],
            right_aligned=(4, 5),
        )  # fmt: skip
        for row in report.rows:
            for problem in row.problems:
                click.echo(f"#{row.donation_id}: {problem}", err=True)
    blocked = sum(1 for row in report.rows if row.problems)
    mend = f"; {blocked} with a problem to mend first" if blocked else ""
    click.echo(f"{counted(report.gifts, 'gift')} and "
               f"{counted(report.cancellations, 'cancellation')} to report{mend}.")  # fmt: skip


def _receipts(row: PendingRow) -> str:
    """A gift's receipt; a cancellation's credit receipt and the receipt it cancels."""
    if row.cancelled_receipt is None:
        return row.receipt or ""
    return f"{row.receipt or '-'} (cancels {row.cancelled_receipt})"


@tax.command("record")
@click.argument("gift", metavar="GIFT")
@click.argument("number")
@click.option("--replace", is_flag=True,
              help="Replace the number in force (a typo, say); needs --reason.")  # fmt: skip
@click.option("--reason", metavar="TEXT", help="Why the number in force is replaced.")
@click.pass_obj
def record_command(
    ledger: Ledger, gift: str, number: str, replace: bool, reason: str | None
) -> None:
    """Record NUMBER, which the Tax Authority returned, for GIFT: its id, its reference, or
    its receipt number (a credit receipt's number names the cancellation). The same number
    again records nothing; another number needs --replace and --reason.

    \b
    Example:
      fundledger tax record 42 9912345678
      fundledger tax record R-2026-00017 9912345678
      fundledger tax record 42 9912345679 --replace --reason "typed wrong"
    """
    if reason is not None and not replace:
        raise click.UsageError("--reason goes with --replace")
    done = ledger.run(
        lambda session, context: record(session, context, gift, number, replace=replace,
                                        reason=reason),
        write=True,
    )  # fmt: skip
    click.echo(f"{done.line()}.")


@tax.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_obj
def import_command(ledger: Ledger, file: Path) -> None:
    """Record the numbers of FILE, a CSV with a header row: `gift` (id), `reference` or
    `receipt` (number), and `number`. All rows or none: every problem is listed with its
    line. Importing the same file again records nothing.

    \b
    Example:
      fundledger tax import israel-donations-2026-01.csv
    """
    try:
        done = ledger.run(lambda session, context: import_numbers(session, context, file),
                          write=True)  # fmt: skip
    except TaxImportRefused as refused:
        for problem in refused.problems:
            click.echo(problem, err=True)
        raise
    if done.recorded:
        kept = f"; {done.unchanged} in force already" if done.unchanged else ""
        click.echo(f"{done.file}: recorded {counted(done.recorded, 'report number')}{kept}.")
    else:
        rows = counted(done.rows, "row")
        click.echo(f"{done.file}: nothing recorded: every number of its {rows} was in force "
                   "already.")  # fmt: skip
