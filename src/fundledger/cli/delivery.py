"""fundledger receipt send | statement send: documents e-mailed to their donors (added to the
`receipt` and `statement` groups by cli/receipt.py and cli/statement.py)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TypeVar

import click
from sqlalchemy.orm import Session

from fundledger.adapters.images import Logo
from fundledger.cli.common import PARTIAL, Ledger, by_language, listed_skipped
from fundledger.cli.progress import DOCUMENTS_WORTH_A_BAR, progress
from fundledger.cli.signals import Interrupts
from fundledger.domain.dates import today_in_israel
from fundledger.domain.text import counted, printable
from fundledger.reports.i18n import LOCALES
from fundledger.services.context import CommandContext
from fundledger.services.delivery import (
    DeliveryPlan,
    DeliveryReport,
    Draft,
    NotSent,
    SendOptions,
    plan_campaign_receipts,
    plan_receipt,
    plan_statements,
    send_planned,
)
from fundledger.services.donors import donor_id_of
from fundledger.services.receipts import ReceiptDocument
from fundledger.services.statements import DonorStatement

T = TypeVar("T")
FAILED = 1
DRY_RUN = click.option("--dry-run", is_flag=True,
                       help="List what would be sent, and to whom; send nothing.")  # fmt: skip


@click.command("send")
@click.argument("number", metavar="[NUMBER]", required=False)
@click.option("--campaign", "campaign_slug", metavar="SLUG",
              help="With --all-unsent: the campaign whose receipts to send.")  # fmt: skip
@click.option("--all-unsent", is_flag=True,
              help="Every receipt of --campaign never sent, by number.")  # fmt: skip
@click.option("--again", is_flag=True,
              help="Send receipts already sent once more (marked COPY).")  # fmt: skip
@click.option("--retry-failed", is_flag=True,
              help="With --all-unsent: retry the receipts whose last attempt failed.")  # fmt: skip
@DRY_RUN
@click.pass_obj
def receipt_send(
    ledger: Ledger,
    number: str | None,
    campaign_slug: str | None,
    all_unsent: bool,
    again: bool,
    retry_failed: bool,
    dry_run: bool,
) -> None:
    """E-mail receipt NUMBER, or every receipt of a campaign not sent yet, to its donor.

    Each goes to the donor's e-mail address as it stands now (a merged donor's to the donor
    it was merged into), in the language it was issued in, with the PDF attached: the
    original the first time it reaches the donor, marked COPY when sent again (--again).
    Each attempt is recorded with the mail server's answer. The server and sender are the
    mail.* settings (`fundledger settings show`); the password comes from
    FUNDLEDGER_SMTP_PASSWORD or the file mail.smtp.password_file names.

    A receipt is never sent twice unless --again is given. In a batch, a receipt whose last
    attempt failed is listed, not retried, unless --retry-failed is given (NUMBER alone
    retries it). A donor without an e-mail address is listed with the command that adds
    one. Exit status: 0 when every receipt was sent, 3 when some failed or were listed,
    1 when none could be sent.

    \b
    Example:
      fundledger receipt send R-2025-00017
      fundledger receipt send --campaign dont-look-away --all-unsent
      fundledger receipt send --campaign dont-look-away --all-unsent --retry-failed
    """
    batch = all_unsent or campaign_slug is not None
    if batch and (number is not None or not (all_unsent and campaign_slug)):
        raise click.UsageError("give either NUMBER, or --campaign SLUG --all-unsent")
    if not batch and number is None:
        raise click.UsageError("give NUMBER, or --campaign SLUG --all-unsent")
    if retry_failed and not batch:
        raise click.UsageError("--retry-failed is for --all-unsent: NUMBER alone retries it")
    options = SendOptions(again=again, retry_failed=retry_failed)

    def plan(session: Session, context: CommandContext) -> DeliveryPlan:
        if batch:
            return plan_campaign_receipts(session, context, campaign_slug or "", options)
        return plan_receipt(session, context, number or "", options)

    again_command = (f"receipt send --campaign {campaign_slug} --all-unsent --retry-failed"
                     if batch else f"receipt send {number}")  # fmt: skip
    _send(ledger, _planned(ledger, plan), "receipt", again_command, dry_run=dry_run)


@click.command("send")
@click.argument("donor", metavar="[DONOR]", required=False)
@click.option("--year", type=click.IntRange(1900, 9999), required=True,
              help="The calendar year of the gifts.")  # fmt: skip
@click.option("--all", "all_donors", is_flag=True,
              help="The statement of every donor who gave that year.")  # fmt: skip
@click.option("--again", is_flag=True, help="Send statements already sent once more.")
@click.option("--retry-failed", is_flag=True,
              help="With --all: retry the statements whose last attempt failed.")  # fmt: skip
@DRY_RUN
@click.option(
    "--locale",
    type=click.Choice(LOCALES),
    help="Language of the statement(s) and e-mails. Default: each donor's language, else the "
    "report.locale setting, else en.",
)
@click.pass_obj
def statement_send(
    ledger: Ledger,
    donor: str | None,
    year: int,
    all_donors: bool,
    again: bool,
    retry_failed: bool,
    dry_run: bool,
    locale: str | None,
) -> None:
    """E-mail a donor's statement of a year, or every donor's, to the donor.

    DONOR is a donor number or e-mail address, as for `fundledger statement`. Each statement
    goes to the donor's e-mail address as it stands now, in the donor's language, with the
    PDF attached; each attempt is recorded with the mail server's answer (the mail.*
    settings name the server and the sender).

    A statement is never sent twice unless --again is given; with --all, one whose last
    attempt failed is listed, not retried, unless --retry-failed is given. Donors without an
    e-mail address, and those whose gifts cannot all be converted yet, are listed with what
    mends it. Exit status: 0 when every statement was sent, 3 when some failed or were
    listed, 1 when none could be sent.

    \b
    Example:
      fundledger statement send 17 --year 2025
      fundledger statement send --all --year 2025
    """
    if (donor is None) == (not all_donors):
        raise click.UsageError("give either DONOR, or --all")
    if retry_failed and not all_donors:
        raise click.UsageError("--retry-failed is for --all: DONOR alone retries theirs")
    if year > today_in_israel().year:
        raise click.BadParameter(f"{year} has not begun", param_hint="--year")
    options = SendOptions(again=again, retry_failed=retry_failed, locale=locale)

    def plan(session: Session, context: CommandContext) -> DeliveryPlan:
        donor_id = None if all_donors else donor_id_of(session, donor)
        return plan_statements(session, context, year, donor_id, options)

    planned = _planned(ledger, plan)
    if planned.skipped_gifts:
        listed_skipped(
            f"Held back {counted(len(planned.held_back), 'statement')} (donor "
            f"{', '.join(f'#{held}' for held in planned.held_back)}) for "
            f"{counted(len(planned.skipped_gifts), 'gift')} that cannot be converted yet:",
            planned.skipped_gifts,
            f"statement send --all --year {year}",
        )
    again_command = (f"statement send --all --year {year} --retry-failed" if all_donors
                     else f"statement send {donor} --year {year}")  # fmt: skip
    _send(ledger, planned, "statement", again_command, partial=bool(planned.held_back),
          dry_run=dry_run)  # fmt: skip


def _planned(
    ledger: Ledger, plan: Callable[[Session, CommandContext], DeliveryPlan]
) -> DeliveryPlan:
    # On the ledger itself, never a replica (--read-db): a replica behind by one recorded
    # delivery would send that document twice.
    with ledger.transaction(write=False) as session:
        return plan(session, ledger.context(session))


class _Guarded:
    """The CLI's side of a batch: a signal (Ctrl-C) that lands while a message is with the
    mail server waits until its attempt is recorded, so that no e-mail leaves unrecorded."""

    def __init__(self, ledger: Ledger) -> None:
        # Imported here: ReportLab, for the PDFs, only for the commands that draw them.
        from fundledger.reports.mail_message import MailDrafts

        self._ledger = ledger
        self._drafts = MailDrafts()

    def run(self, work: Callable[[Session, CommandContext], T]) -> T:
        done = self._ledger.run(work, write=True)
        Interrupts.release()
        return done

    def receipt(self, document: ReceiptDocument, logo: Logo | None, *, copy: bool) -> Draft:
        draft = self._drafts.receipt(document, logo, copy=copy)
        Interrupts.hold()  # drawn: from here the message goes to the server
        return draft

    def statement(self, statement: DonorStatement) -> Draft:
        draft = self._drafts.statement(statement)
        Interrupts.hold()
        return draft


def _send(
    ledger: Ledger,
    plan: DeliveryPlan,
    kind: str,
    again_command: str,
    *,
    partial: bool = False,
    dry_run: bool = False,
) -> None:
    if dry_run:
        _tell_plan(plan, kind, partial=partial)
        return
    guarded = _Guarded(ledger)
    label = "Sending receipts" if kind == "receipt" else "Sending statements"
    try:
        with progress(len(plan.outgoing), label, worth_from=DOCUMENTS_WORTH_A_BAR) as bar:
            report = send_planned(guarded.run, plan, guarded, bar.advance)
    finally:
        Interrupts.release()
    _tell(report, plan, kind, again_command)
    if not report.sent and (report.failed or report.stopped):
        raise SystemExit(FAILED)
    if report.failed or report.not_sent or report.stopped or partial:
        raise SystemExit(PARTIAL)


def _tell(report: DeliveryReport, plan: DeliveryPlan, kind: str, again_command: str) -> None:
    if report.sent:
        languages = by_language([attempt.locale for attempt in report.sent])
        click.echo(f"Sent {counted(len(report.sent), kind)} by e-mail through "
                   f"{plan.server.address}: {languages}.")  # fmt: skip
    elif not (report.failed or report.not_sent or report.stopped):
        click.echo(f"Nothing to send: every {kind} was sent before." if report.already_sent
                   else f"No {kind} to send.")  # fmt: skip
    if report.already_sent:
        click.echo(f"{counted(report.already_sent, kind)} sent before left alone (--again "
                   "sends them once more).")  # fmt: skip
    if report.failed:
        click.echo(f"Failed: {counted(len(report.failed), kind)}:", err=True)
        for attempt in report.failed:
            click.echo(f"  {printable(attempt.label)} to {printable(attempt.recipient)}: "
                       f"{printable(attempt.answer)}", err=True)  # fmt: skip
        click.echo(f"Mend them, then run `fundledger {again_command}` to try them again.",
                   err=True)  # fmt: skip
    if report.not_sent:
        _listed(f"Not sent: {counted(len(report.not_sent), kind)}:", report.not_sent)
    if report.stopped:
        sent = (f"{counted(len(report.sent), kind)} (the last: {report.sent[-1].label})"
                if report.sent else "none")  # fmt: skip
        click.echo(f"Stopped: {printable(report.stopped)}. Sent before it stopped: {sent}; "
                   f"{counted(report.untried, kind)} not tried: run the same command again "
                   "for them.", err=True)  # fmt: skip


def _tell_plan(plan: DeliveryPlan, kind: str, *, partial: bool) -> None:
    """What a run would send (nothing is): each document and its address, then the rest."""
    click.echo(f"Would send {counted(len(plan.outgoing), kind)} through {plan.server.address}"
               + (":" if plan.outgoing else "."))  # fmt: skip
    for item in plan.outgoing:
        copy = ", marked COPY" if item.copy else ""
        click.echo(f"  {printable(item.label)} to {printable(item.recipient)} "
                   f"(in {item.locale}{copy})")  # fmt: skip
    if plan.already_sent:
        click.echo(f"{counted(plan.already_sent, kind)} sent before left alone (--again "
                   "sends them once more).")  # fmt: skip
    if plan.not_sent:
        _listed(f"Not sent: {counted(len(plan.not_sent), kind)}:", plan.not_sent)
    if plan.not_sent or partial:
        raise SystemExit(PARTIAL)


def _listed(heading: str, documents: Sequence[NotSent]) -> None:
    click.echo(heading, err=True)
    for document in documents:
        click.echo(f"  {printable(document.line())}", err=True)
