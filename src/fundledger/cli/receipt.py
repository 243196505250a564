"""fundledger receipt issue|reprint|list"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy.orm import Session

from fundledger.adapters.images import Logo
from fundledger.cli.common import (
    ISO_DATE,
    OUTPUT_FORMATS,
    PARTIAL,
    ROW_ID,
    Ledger,
    by_language,
    emit_rows,
    emit_table,
    excel_option,
    listed_skipped,
)
from fundledger.cli.delivery import receipt_send
from fundledger.cli.output import (
    StagedFiles,
    check_folder,
    check_output,
    staged_files,
    warn_undrawable,
)
from fundledger.cli.progress import DOCUMENTS_WORTH_A_BAR, progress, progress_over
from fundledger.cli.signals import Interrupted, Interrupts
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import format_money
from fundledger.domain.text import counted
from fundledger.reports.i18n import LOCALES
from fundledger.services.batches import GiftRefused
from fundledger.services.context import CommandContext
from fundledger.services.delivery_history import LastDelivery, receipt_deliveries
from fundledger.services.receipt_list import issued_receipts
from fundledger.services.receipts import (
    BatchStopped,
    IssueOptions,
    ReceiptDocument,
    ReceiptNumber,
    find_receipt,
    issue_each,
    issue_receipt,
    logos_of,
    plan_unreceipted,
)

T = TypeVar("T")
RECEIPTS_FOLDER = Path("reports") / "receipts"


@click.group()
def receipt() -> None:
    """Donation receipts: numbered without gaps, one per gift."""


receipt.add_command(receipt_send)


@receipt.command("issue")
@click.argument("donation_id", metavar="[DONATION_ID]", type=ROW_ID, required=False)
@click.option("--campaign", "campaign_slug", metavar="SLUG",
              help="With --all-unreceipted: the campaign whose gifts to receipt.")  # fmt: skip
@click.option("--all-unreceipted", is_flag=True,
              help="Every gift of --campaign that has no receipt yet, in date order.")  # fmt: skip
@click.option(
    "--locale",
    type=click.Choice(LOCALES),
    help="Language of the receipt(s). Default: each donor's language (`donor set-language`), "
    "else the report.locale setting, else en.",
)
@click.option("--tax-report", metavar="NUMBER",
              help="One receipt: the Tax Authority's report number of the donation, recorded "
              "as `fundledger tax record` records it. Without it, a receipt carries the number "
              "in force, if any.")  # fmt: skip
@click.option("--date", "issued_on", type=ISO_DATE,
              help="The receipt's date (not after today). Default: today in Israel.")  # fmt: skip
@click.option(
    "-o",
    "--output",
    type=click.Path(path_type=Path),
    help=f"The PDF (one receipt) or the folder (--all-unreceipted). Default: {RECEIPTS_FOLDER}/"
    "<number>.pdf",
)
@click.pass_obj
def issue(
    ledger: Ledger,
    donation_id: int | None,
    campaign_slug: str | None,
    all_unreceipted: bool,
    locale: str | None,
    tax_report: str | None,
    issued_on: date | None,
    output: Path | None,
) -> None:
    """Issue the receipt of gift DONATION_ID, or of every gift of a campaign without one.

    Each receipt takes the next number of its series (the receipt.prefix setting and the
    year), in the same transaction that records it: if anything fails, no number is used.
    Each is written in its donor's language unless --locale gives one for all.

    With --all-unreceipted each receipt is issued in a transaction of its own: a gift that
    cannot have one yet (no exchange rate in force on its date, say) is skipped and listed
    with what is wrong and the command that mends it, and the others are issued, numbered
    without gaps. Exit status: 0 when every gift got its receipt, 3 when some were skipped
    (mend them and run the same command again), 1 when none could be issued at all.

    \b
    Example:
      fundledger receipt issue 42 --locale he
      fundledger receipt issue --campaign dont-look-away --all-unreceipted
    """
    batch = all_unreceipted or campaign_slug is not None
    if batch and (donation_id is not None or not (all_unreceipted and campaign_slug)):
        raise click.UsageError("give either DONATION_ID, or --campaign SLUG --all-unreceipted")
    if not batch and donation_id is None:
        raise click.UsageError("give DONATION_ID, or --campaign SLUG --all-unreceipted")
    options = IssueOptions(locale, issued_on, tax_report)
    if batch:
        folder = output if output is not None else RECEIPTS_FOLDER
        check_folder(folder, ledger)  # before any number is taken; each file again as staged
        _issue_batch(ledger, campaign_slug or "", options, folder)
        return
    target = output
    if target is not None:
        check_output(target, ledger)

    def work(session: Session, context: CommandContext) -> ReceiptDocument:
        document = issue_receipt(session, context, donation_id or 0, options)
        written.append(target or RECEIPTS_FOLDER / f"{document.number}.pdf")
        _render(files, [document], written, copy=False, logos=logos_of(session, [document]))
        return document

    written: list[Path] = []
    document: ReceiptDocument | None = None
    try:
        with staged_files(ledger) as files:
            document = ledger.run(work, write=True)
    except FundledgerError as error:
        if document is not None:  # committed, but the file could not be put in place
            raise FundledgerError(f"{error}; receipt {document.number} was issued: print it "
                                  "with `fundledger receipt reprint NUMBER`") from None  # fmt: skip
        raise
    amount = format_money(document.amount)
    click.echo(f"Issued receipt {document.number} for donation #{donation_id}: {amount}; "
               f"wrote {written[0]} (in {document.locale}).")  # fmt: skip


def _issue_batch(ledger: Ledger, campaign_slug: str, options: IssueOptions, folder: Path) -> None:
    """Every receipt that can be issued, each with its PDF in a transaction of its own; then
    the gifts skipped, one line each, and exit status 3 if there are any."""
    plan = ledger.run(lambda session, context: plan_unreceipted(session, context, campaign_slug,
                                                                options))  # fmt: skip
    if plan.without_donor:
        has, gets = ("has", "gets") if plan.without_donor == 1 else ("have", "get")
        click.echo(f"{counted(plan.without_donor, 'gift')} {has} no donor recorded and {gets} "
                   "no receipt.", err=True)  # fmt: skip
    each = _EachReceipt(ledger, folder)
    try:
        with progress(len(plan.gifts), "Issuing receipts", worth_from=DOCUMENTS_WORTH_A_BAR) as bar:
            result = issue_each(each.run, plan, options, each.deliver, bar.advance)
    except BatchStopped as stopped:
        issued = ", ".join(str(document.number) for document in stopped.issued)
        raise FundledgerError(f"{stopped}; receipts {issued} were issued: print them with "
                              "`fundledger receipt reprint NUMBER`") from None  # fmt: skip
    except Interrupted:
        if each.issued:  # committed one by one: those stand, with their files
            click.echo(f"Issued {_issued(each.issued)} into {folder}/ before the interruption; "
                       "run the same command again for the rest.", err=True)  # fmt: skip
        raise
    documents = result.issued
    if documents:
        click.echo(f"Issued {_issued(documents)}, into {folder}/: "
                   f"{by_language([document.locale for document in documents])}.")  # fmt: skip
    elif not result.skipped:
        click.echo("Every gift already has its receipt: none issued.")
    if result.skipped:
        listed_skipped(f"Skipped {counted(len(result.skipped), 'gift')}, with no receipt yet:",
                       result.skipped,
                       f"receipt issue --campaign {campaign_slug} --all-unreceipted")  # fmt: skip
        raise SystemExit(PARTIAL)


def _issued(documents: Sequence[ReceiptDocument]) -> str:
    """ "3 receipts, R-2025-00001 to R-2025-00003" (or one number)."""
    numbers = f"{documents[0].number}" + (
        f" to {documents[-1].number}" if len(documents) > 1 else "")  # fmt: skip
    return f"{counted(len(documents), 'receipt')}, {numbers}"


class _EachReceipt:
    """Each receipt of a batch in a transaction of its own, its PDF staged in it and put in
    place once it is committed (a PDF that cannot be drawn rolls back its receipt alone)."""

    def __init__(self, ledger: Ledger, folder: Path) -> None:
        self._ledger = ledger
        self._folder = folder
        self._files: StagedFiles | None = None
        self._delivered: list[ReceiptDocument] = []
        self.issued: list[ReceiptDocument] = []  # committed, their files in place

    def run(self, work: Callable[[Session, CommandContext], T]) -> T:
        self._delivered = []
        with staged_files(self._ledger) as self._files:
            done = self._ledger.run(work, write=True)
        self.issued.extend(self._delivered)
        Interrupts.release()  # committed and in place: the next receipt may be stopped
        return done

    def deliver(self, session: Session, document: ReceiptDocument) -> None:
        if self._files is None:  # only called inside `run`
            raise RuntimeError("a receipt delivered outside its transaction")
        _render(self._files, [document], [self._folder / f"{document.number}.pdf"],
                copy=False, logos=logos_of(session, [document]))  # fmt: skip
        self._delivered.append(document)


@receipt.command("reprint")
@click.argument("number", metavar="NUMBER")
@click.option("--locale", type=click.Choice(LOCALES),
              help="The copy's language. Default: the one it was issued in.")  # fmt: skip
@click.option("-o", "--output", type=click.Path(path_type=Path),
              help=f"Default: {RECEIPTS_FOLDER}/<number>-copy.pdf (-copy-<locale>.pdf in "
              "another language)")  # fmt: skip
@click.pass_obj
def reprint(ledger: Ledger, number: str, locale: str | None, output: Path | None) -> None:
    """Print receipt NUMBER again, as issued, marked COPY. With --locale, the same content
    (number, dates, names, amounts, rate) in another language: only the words change.

    \b
    Example:
      fundledger receipt reprint R-2025-00017
      fundledger receipt reprint R-2025-00017 --locale ar
    """
    wanted = ReceiptNumber.parse(number)
    if output is not None:
        check_output(output, ledger)

    def work(session: Session, _: CommandContext) -> tuple[ReceiptDocument, dict[str, Logo]]:
        document = find_receipt(session, wanted)
        return document, logos_of(session, [document])

    document, logos = ledger.run(work)
    issued_in = document.locale
    # Drawn from the frozen content; the language is the drawing's, not the receipt's.
    document = replace(document, locale=locale or issued_in)
    other = document.locale != issued_in
    suffix = f"-copy-{document.locale}" if other else "-copy"
    target = output or RECEIPTS_FOLDER / f"{document.number}{suffix}.pdf"
    with staged_files(ledger) as files:
        _render(files, [document], [target], copy=True, logos=logos)
    language = f" in {document.locale}, issued in {issued_in}" if other else ""
    click.echo(f"Wrote {target} (a copy of receipt {document.number}{language}).")


@receipt.command("list")
@click.option("--year", type=click.IntRange(1900, 9999), help="Only receipts of this year.")
@click.option("--format", "output_format", type=OUTPUT_FORMATS, default="table", show_default=True)
@excel_option
@click.pass_obj
def list_(ledger: Ledger, year: int | None, output_format: str) -> None:
    """Every receipt issued, by series and number.

    \b
    Example:
      fundledger receipt list --year 2025 --format csv > receipts-2025.csv
    """

    def work(
        session: Session, _: CommandContext
    ) -> tuple[list[ReceiptDocument], dict[ReceiptNumber, LastDelivery]]:
        documents = issued_receipts(session, year=year)
        numbers = [document.number for document in documents]
        return documents, receipt_deliveries(session, None, numbers)

    documents, mailed = ledger.run(work)
    rows = [
        {"number": str(document.number), "kind": document.kind,
         "issued_on": document.issued_on.isoformat(), "donation": document.donation_id,
         "donor": document.donor, "amount": format(document.amount.quantized(), "f"),
         "currency": document.amount.currency, "home": format(document.home.quantized(), "f"),
         "home_currency": document.home.currency,
         "cancels": str(document.credits) if document.credits else None,
         # Its latest e-mail (`receipt send`): sent, failed or sending (cut off), and to whom.
         **_emailed(mailed.get(document.number))}
        for document in documents
    ]  # fmt: skip
    emit_rows(
        output_format,
        rows,
        list(rows[0]) if rows else ["number"],
        lambda: emit_table(
            [[str(row["number"]), str(row["issued_on"]), str(row["donor"]),
              format_money(document.amount), format_money(document.home),
              str(row["cancels"] or ""), _EMAILED.get(str(row["emailed"]), "")]
             for row, document in zip(rows, documents, strict=True)],
            ["NUMBER", "DATE", "DONOR", "AMOUNT", "VALUE", "CANCELS", "E-MAILED"],
            right_aligned=(3, 4),
        ),
    )  # fmt: skip


_EMAILED = {"sent": "sent", "failed": "failed", "sending": "cut off"}


def _emailed(last: LastDelivery | None) -> dict[str, str | None]:
    if last is None:
        return {"emailed": None, "emailed_to": None, "emailed_at": None}
    return {"emailed": last.outcome, "emailed_to": last.recipient,
            "emailed_at": last.attempted_at.isoformat(timespec="seconds")}  # fmt: skip


def render_receipts(
    session: Session, files: StagedFiles, documents: list[ReceiptDocument], folder: Path
) -> None:
    """Credit receipts and other receipts issued by other commands, into `folder`."""
    _render(files, documents, [folder / f"{document.number}.pdf" for document in documents],
            copy=False, logos=logos_of(session, documents))  # fmt: skip


def _render(
    files: StagedFiles,
    documents: list[ReceiptDocument],
    targets: list[Path],
    *,
    copy: bool,
    logos: dict[str, Logo],
) -> None:
    # Imported here: loading ReportLab would cost every other command 0.08 s.
    from fundledger.reports.pdf.receipt import (
        refuses_undrawable,
        undrawable_refusal,
        write_receipt_pdf,
    )

    undrawable: set[str] = set()
    refused: list[tuple[ReceiptDocument, set[str]]] = []
    pairs = list(zip(documents, targets, strict=True))
    with progress_over(pairs, "Writing receipts", worth_from=DOCUMENTS_WORTH_A_BAR) as shown:
        for document, target in shown:
            logo = logos[document.logo] if document.logo else None
            missing = write_receipt_pdf(document, files.stage(target), copy=copy, logo=logo)
            undrawable |= missing
            if missing and refuses_undrawable(document, copy=copy):
                refused.append((document, missing))
    if refused:
        # The transaction rolls back, so no receipt number is used.
        raise GiftRefused(undrawable_refusal(refused))  # a batch skips that gift
    warn_undrawable(undrawable, "receipt")
