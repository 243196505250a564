"""Receipts and statements sent to donors by e-mail, each attempt recorded (a `delivery` row
and an audit event) with the mail server's answer.

Two steps, so that no database transaction waits on a mail server: a plan, read in one
transaction (what to send, to whom, through which server), then `send_planned`, which draws
each PDF, sends it outside any transaction, and records the attempt in a transaction of its
own right after the server answers (a crash mid-batch loses nothing already sent).

What is sent once is not sent again unless asked (`again`); an attempt that failed is retried
only when asked (`retry_failed`, or by naming the one document). A receipt goes as its
original the first time it reaches the donor, marked COPY once it has (shared/design.md §1:
reprints say COPY): the donor must never hold two originals of one receipt."""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from fundledger.adapters.db.chain import hold_chains
from fundledger.adapters.db.models import Delivery, Donation, Receipt
from fundledger.adapters.db.queries import current_donors, effective_donor
from fundledger.adapters.images import Logo
from fundledger.adapters.mail import (
    AuthenticationFailed,
    ConnectionLost,
    MailClient,
    MessageRefused,
    ServerUnreachable,
    SmtpServer,
    build_message,
)
from fundledger.domain.access import Actor, Role, require
from fundledger.domain.errors import FundledgerError
from fundledger.services.batches import SkippedGift
from fundledger.services.campaigns import get_campaign
from fundledger.services.context import CommandContext, now, record_audit
from fundledger.services.delivery_history import (
    FAILED,
    SENDING,
    SENT,
    History,
    may_have_reached,
    receipt_history,
    statement_history,
)
from fundledger.services.mail_settings import mail_sender, mail_server
from fundledger.services.receipts import (
    ReceiptDocument,
    ReceiptNumber,
    Transactions,
    logos_of,
)
from fundledger.services.settings import current_settings
from fundledger.services.statements import DonorStatement, donor_statement, statements_of_year

# An attempt is claimed (SENDING) in a transaction of its own before the server is spoken to,
# then its outcome (SENT or FAILED) is recorded: two runs at once never both send a document,
# and an attempt cut off between the server's answer and its record stays known as one whose
# outcome is unknown (it may have reached the donor), never taken for unsent.


@dataclass(frozen=True, slots=True)
class SendOptions:
    again: bool = False  # send what was sent before once more
    retry_failed: bool = False  # a batch: retry what failed last time
    locale: str | None = None  # statements: the language for all (None: each donor's)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One document to send: a receipt (`receipt`, `receipt_id`) or a statement."""

    label: str  # "receipt R-2026-00001", "statement 2025 of donor #17"
    donor_id: int  # the donor it is for (the one a merged donor was merged into)
    donor: str
    recipient: str
    locale: str
    receipt: ReceiptDocument | None = None
    receipt_id: int | None = None
    logo: Logo | None = None  # the logo the receipt was issued with
    copy: bool = False  # a receipt that reached its donor before: marked COPY
    statement: DonorStatement | None = None
    again: bool = False  # asked to send once more: a claim goes ahead over one sent before

    @property
    def document(self) -> str:
        return "receipt" if self.receipt is not None else "statement"


@dataclass(frozen=True, slots=True)
class NotSent:
    """A document left out, with why and what mends it."""

    label: str
    donor: str | None
    problem: str
    fix: str | None

    def line(self) -> str:
        donor = f", {self.donor}" if self.donor else ""
        fix = f"; fix: {self.fix}" if self.fix else ""
        return f"{self.label}{donor}: {self.problem}{fix}"


@dataclass(frozen=True, slots=True)
class DeliveryPlan:
    server: SmtpServer
    sender: str
    outgoing: tuple[Outgoing, ...]
    not_sent: tuple[NotSent, ...]  # no e-mail address; a failure not retried
    already_sent: int  # sent before and not asked again
    held_back: tuple[int, ...] = ()  # statements: donors whose gifts lack a rate
    skipped_gifts: tuple[SkippedGift, ...] = ()  # ... those gifts, each with the fix


@dataclass(frozen=True, slots=True)
class Attempt:
    label: str
    donor_id: int
    recipient: str
    locale: str
    outcome: str  # sent | failed
    answer: str  # the server's answer, or what went wrong
    attachment_sha256: str
    delivery_id: int


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    sent: tuple[Attempt, ...]
    failed: tuple[Attempt, ...]
    not_sent: tuple[NotSent, ...]
    already_sent: int
    # Why the batch stopped before its end (the server gone), and how many it never tried.
    stopped: str | None = None
    untried: int = 0


@dataclass(frozen=True, slots=True)
class Draft:
    """A document as its e-mail carries it: the words, and the PDF drawn in memory."""

    subject: str
    plain: str
    html: str
    filename: str
    pdf: bytes
    undrawable: frozenset[str] = frozenset()  # characters no font of the PDF could draw


class Drafting(Protocol):
    """Words and PDFs, from the presentation layer (reports/mail_message.py)."""

    def receipt(self, document: ReceiptDocument, logo: Logo | None, *, copy: bool) -> Draft: ...

    def statement(self, statement: DonorStatement) -> Draft: ...


class DeliveryStopped(FundledgerError):
    """The batch stopped: nothing could be sent (the server unreachable, the login refused:
    nothing recorded), or a message sent could not be recorded (the line names it)."""


def plan_receipt(
    session: Session,
    context: CommandContext,
    number: str,
    options: SendOptions,
    actor: Actor | None = None,
) -> DeliveryPlan:
    """One receipt by number. One that failed before is retried; one sent before needs
    `again` (refused otherwise, with when and to whom it went)."""
    _allowed(actor)
    wanted = ReceiptNumber.parse(number)
    receipt_id = session.scalar(select(Receipt.id).where(
        Receipt.series == wanted.series, Receipt.year == wanted.year,
        Receipt.number == wanted.number))  # fmt: skip
    if receipt_id is None:
        raise FundledgerError(f"no receipt {wanted}")
    history = receipt_history(session, [receipt_id])
    verdict = _verdict(history, receipt_id, options, named=True)
    if verdict == "sent":
        sent = history.last_sent[receipt_id]
        raise FundledgerError(f"receipt {wanted} was sent to {sent.recipient} on "
                              f"{sent.attempted_at:%Y-%m-%d}: add --again to send it once "
                              "more")  # fmt: skip
    if verdict == "unknown":
        raise FundledgerError(f"receipt {wanted}: {_cut_off(history.last[receipt_id])}; add "
                              "--again to send it once more")  # fmt: skip
    return _receipts_plan(session, [receipt_id], history, options, "", named=True)


def plan_campaign_receipts(
    session: Session,
    context: CommandContext,
    campaign_slug: str,
    options: SendOptions,
    actor: Actor | None = None,
) -> DeliveryPlan:
    """Every receipt of a campaign's gifts (credit receipts too) never sent, by number: with
    `again` those sent too; with `retry_failed` those whose last attempt failed (listed,
    not sent, without it)."""
    _allowed(actor)
    campaign = get_campaign(session, campaign_slug)
    ids = list(session.scalars(
        select(Receipt.id).join(Donation, Donation.id == Receipt.donation_id)
        .where(Donation.campaign_id == campaign.id)
        .order_by(Receipt.series, Receipt.year, Receipt.number)))  # fmt: skip
    retry = f"receipt send --campaign {campaign.slug} --all-unsent"
    return _receipts_plan(session, ids, receipt_history(session, ids), options, retry)


def plan_statements(
    session: Session,
    context: CommandContext,
    year: int,
    donor_id: int | None,
    options: SendOptions,
    actor: Actor | None = None,
) -> DeliveryPlan:
    """The statement of `year` of one donor (None: of every donor who gave that year; those
    whose gifts cannot all be converted yet are held back, as `statement --all` does)."""
    _allowed(actor)
    settings = current_settings(session)
    server, sender = mail_server(settings), mail_sender(settings)
    if donor_id is not None:
        statements: Sequence[DonorStatement] = [
            donor_statement(session, context, donor_id, year, options.locale)]  # fmt: skip
        held: tuple[int, ...] = ()
        skipped: tuple[SkippedGift, ...] = ()
    else:
        batch = statements_of_year(session, context, year, options.locale)
        statements, held, skipped = batch.statements, batch.held_back, batch.skipped
    history = statement_history(session, year, [each.donor_id for each in statements])
    outgoing: list[Outgoing] = []
    not_sent: list[NotSent] = []
    already = 0
    for each in statements:
        label = f"statement {year} of donor #{each.donor_id}"
        verdict = _verdict(history, each.donor_id, options, named=donor_id is not None)
        if verdict == "sent":
            if donor_id is not None:
                last = history.last_sent[each.donor_id]
                raise FundledgerError(f"the {label} was sent to {last.recipient} on "
                                      f"{last.attempted_at:%Y-%m-%d}: add --again to send it "
                                      "once more")  # fmt: skip
            already += 1
            continue
        if verdict == "unknown" and donor_id is not None:
            raise FundledgerError(f"the {label}: {_cut_off(history.last[each.donor_id])}; add "
                                  "--again to send it once more")  # fmt: skip
        if verdict in ("failed", "unknown"):
            not_sent.append(_not_retried(
                verdict, label, each.donor, history.last[each.donor_id],
                f"statement send --all --year {year}",
                f"statement send {each.donor_id} --year {year}"))  # fmt: skip
            continue
        if not each.donor_email:
            not_sent.append(_without_address(label, each.donor, each.donor_id))
            continue
        outgoing.append(Outgoing(label, each.donor_id, each.donor, each.donor_email,
                                 each.locale, statement=each, again=options.again))  # fmt: skip
    return DeliveryPlan(server, sender, tuple(outgoing), tuple(not_sent), already, held, skipped)


def send_planned(
    run: Transactions,
    plan: DeliveryPlan,
    drafting: Drafting,
    progress: Callable[[int], None] | None = None,
    actor: Actor | None = None,
) -> DeliveryReport:
    """Sends each document of `plan` over one connection. Each attempt is claimed in a
    transaction of its own (`run`) before the server is spoken to, and its outcome recorded in
    another once the server has answered.

    The connection is made before each claim: a server that cannot be reached or refuses the
    login at the first message stops everything with DeliveryStopped, nothing claimed; later,
    it stops the batch there, the rest untried. A document sent or being sent by
    another run since the plan was made is left alone (listed); so is one whose PDF would
    lose characters no font can draw. A refused message is recorded as failed and the others
    go on. When the connection breaks while a message is on its way, that message is
    recorded as failed (the server may or may not have it) and the next one connects again;
    if that fails, or a second message in a row loses its connection, the batch stops there
    and the report says why and how many were never tried."""
    _allowed(actor)
    sent: list[Attempt] = []
    failed: list[Attempt] = []
    left: list[NotSent] = []
    stopped: str | None = None
    untried = 0
    lost_in_a_row = 0
    with MailClient(plan.server) as client:
        for index, item in enumerate(plan.outgoing):
            try:  # connected before the claim: a server gone leaves nothing claimed
                client.connect()
            except (ServerUnreachable, AuthenticationFailed) as error:
                if not (sent or failed):
                    raise DeliveryStopped(f"{error}; nothing was sent") from None
                stopped, untried = str(error), len(plan.outgoing) - index
                break
            draft = _draft(drafting, item)
            digest = hashlib.sha256(draft.pdf).hexdigest()
            taken = None if draft.undrawable else run(_claimer(item, digest))
            if draft.undrawable or taken is not None:
                left.append(taken or _undrawable(item, draft.undrawable))
                if progress is not None:
                    progress(1)
                continue
            message = build_message(
                sender=plan.sender, recipient=item.recipient, subject=draft.subject,
                plain=draft.plain, html=draft.html, language=item.locale,
                attachment=draft.pdf, filename=draft.filename,
            )  # fmt: skip
            outcome, answer, trouble = _exchange(client, message)
            lost_in_a_row = lost_in_a_row + 1 if trouble == "lost" else 0
            end_here = trouble == "gone" or lost_in_a_row >= 2
            if lost_in_a_row >= 2:
                answer = f"{answer} (twice in a row)"
            attempt = _outcome_recorded(run, item, outcome, answer, digest, len(sent))
            (sent if outcome == SENT else failed).append(attempt)
            if progress is not None:
                progress(1)
            if end_here:
                stopped, untried = answer, len(plan.outgoing) - index - 1
                break
    return DeliveryReport(tuple(sent), tuple(failed), (*plan.not_sent, *left),
                          plan.already_sent, stopped, untried)  # fmt: skip


def _exchange(client: MailClient, message: EmailMessage) -> tuple[str, str, str]:
    """(outcome, the server's answer or what went wrong, trouble): trouble is "gone" when
    connecting again failed (a connection found closed as the message began: nothing of it
    went), "lost" when the connection broke while it was on its way, else ""."""
    try:
        return SENT, client.send(message), ""
    except (ServerUnreachable, AuthenticationFailed) as error:
        return FAILED, str(error), "gone"
    except ConnectionLost as error:
        return FAILED, str(error), "lost"
    except MessageRefused as error:
        return FAILED, str(error), ""


def _outcome_recorded(
    run: Transactions, item: Outgoing, outcome: str, answer: str, digest: str, sent_before: int
) -> Attempt:
    try:
        return run(_recorder(item, outcome, answer, digest))
    except Exception as error:
        if outcome != SENT:
            raise
        # The donor has it; its claim keeps it from going again unasked.
        first = (str(error).strip().splitlines() or [type(error).__name__])[0]
        raise DeliveryStopped(
            f"{item.label} was sent to {item.recipient} ({answer}) but could not be "
            f"recorded: {first}; sent before it: {sent_before}"
        ) from error


def _undrawable(item: Outgoing, characters: frozenset[str]) -> NotSent:
    """A document whose PDF would show U+FFFD in place of a name's letters: never e-mailed
    so (a receipt issued on the web was not drawn when issued)."""
    listed = ", ".join(f"U+{ord(character):04X} {unicodedata.name(character, 'UNNAMED')}"
                       for character in sorted(characters))  # fmt: skip
    mend = f'fundledger donor edit {item.donor_id} --name NAME --reason "..."'
    return NotSent(item.label, item.donor, f"its PDF cannot draw {listed}: no font of the "
                   "document has it", f"correct the text that holds it (the donor's name: "
                   f"{mend})")  # fmt: skip


def _claimer(item: Outgoing, digest: str) -> Callable[[Session, CommandContext], NotSent | None]:
    """The claim of an attempt, or why the document is left alone: sent, or being sent, by
    another run since the plan was made (unless asked to send it again)."""

    def claim(session: Session, context: CommandContext) -> NotSent | None:
        # Held before reading: two claims of one document take turns (PostgreSQL; a SQLite
        # writer holds the whole file already), the later one seeing the earlier.
        hold_chains(session.connection())
        if item.receipt_id is not None:
            history = receipt_history(session, [item.receipt_id])
            key = item.receipt_id
        else:
            year = item.statement.year if item.statement is not None else 0
            history = statement_history(session, year, [item.donor_id])
            key = item.donor_id
        last = history.last.get(key)
        if not item.again and last is not None:
            if key in history.last_sent:
                return NotSent(item.label, item.donor, f"sent meanwhile to {last.recipient} "
                               "by another run", None)  # fmt: skip
            if last.outcome == SENDING:
                return NotSent(item.label, item.donor, "being sent by another run (or cut "
                               "off before its outcome was recorded)", None)  # fmt: skip
        _add_attempt(session, context, item, SENDING, "", digest)
        return None

    return claim


def _draft(drafting: Drafting, item: Outgoing) -> Draft:
    if item.receipt is not None:
        return drafting.receipt(item.receipt, item.logo, copy=item.copy)
    if item.statement is None:  # an Outgoing holds one or the other
        raise RuntimeError(f"{item.label}: nothing to send")
    return drafting.statement(item.statement)


def _recorder(
    item: Outgoing, outcome: str, answer: str, digest: str
) -> Callable[[Session, CommandContext], Attempt]:
    def record(session: Session, context: CommandContext) -> Attempt:
        row = _add_attempt(session, context, item, outcome, answer, digest)
        return Attempt(
            item.label, item.donor_id, item.recipient, item.locale, outcome, answer, digest, row.id
        )

    return record


def _add_attempt(session: Session, context: CommandContext, item: Outgoing, outcome: str,
                 answer: str, digest: str) -> Delivery:  # fmt: skip
    """A delivery row (a claim, or an outcome) and its audit event."""
    row = Delivery(
        document=item.document,
        receipt_id=item.receipt_id,
        donor_id=item.donor_id,
        year=item.statement.year if item.statement is not None else None,
        locale=item.locale,
        recipient=item.recipient,
        outcome=outcome,
        answer=answer,
        attachment_sha256=digest,
        attempted_at=now(),
        attempted_by=context.actor,
    )
    session.add(row)
    session.flush()
    record_audit(session, context, f"delivery.{outcome}", entity="delivery", entity_id=row.id,
                 details={"document": item.label, "donor": item.donor_id,
                          "recipient": item.recipient, "answer": answer,
                          "attachment_sha256": digest})  # fmt: skip
    return row


def _allowed(actor: Actor | None) -> None:
    if actor is not None:
        require(actor, Role.TREASURER, "send receipts and statements")


def _verdict(history: History, key: int, options: SendOptions, *, named: bool) -> str:
    """send | sent (before, and not asked again) | unknown (its last attempt was cut off
    before its outcome was recorded: it may have reached the donor; not sent again unless
    asked) | failed (last time, and not retried unless asked, or named alone)."""
    if options.again:
        return "send"
    if key in history.last_sent:
        return "sent"
    last = history.last.get(key)
    if last is not None and last.outcome == SENDING:
        return "unknown"
    if last is not None and not (options.retry_failed or named):
        return "failed"
    return "send"


def _cut_off(last: Delivery) -> str:
    return (f"the attempt of {last.attempted_at:%Y-%m-%d %H:%M} UTC to {last.recipient} was cut "
            "off before its outcome was recorded, so it may have reached the donor")  # fmt: skip


def _not_retried(verdict: str, label: str, donor: str | None, last: Delivery,
                 batch_command: str, one_command: str) -> NotSent:  # fmt: skip
    """A document a batch leaves alone: its last attempt failed (retried with the batch's
    --retry-failed), or its outcome is unknown (sent again alone, asked: --again)."""
    if verdict == "unknown":
        return NotSent(label, donor, _cut_off(last), f"fundledger {one_command} --again")
    return NotSent(label, donor, f"its last attempt failed ({last.attempted_at:%Y-%m-%d}, "
                   f"{last.answer})", f"fundledger {batch_command} --retry-failed")  # fmt: skip


def _without_address(label: str, donor: str | None, donor_id: int) -> NotSent:
    return NotSent(label, donor, "no e-mail address",
                   f'fundledger donor edit {donor_id} --email ADDRESS --reason "..."')  # fmt: skip


def _receipts_plan(
    session: Session,
    ids: Sequence[int],
    history: History,
    options: SendOptions,
    batch_command: str,
    *,
    named: bool = False,
) -> DeliveryPlan:
    settings = current_settings(session)
    server, sender = mail_server(settings), mail_sender(settings)
    current = current_donors()
    owner = effective_donor(Donation.donor_id).label("owner")
    rows = session.execute(
        select(Receipt.id, Receipt.content, owner, current.c.name, current.c.email)
        .join(Donation, Donation.id == Receipt.donation_id)
        .outerjoin(current, current.c.id == owner)
        .where(Receipt.id.in_(ids))
        .order_by(Receipt.series, Receipt.year, Receipt.number)
    ).all()
    documents = {row.id: ReceiptDocument.from_json(row.content) for row in rows}
    logos = logos_of(session, list(documents.values()))
    outgoing: list[Outgoing] = []
    not_sent: list[NotSent] = []
    already = 0
    for row in rows:
        document = documents[row.id]
        label = f"receipt {document.number}"
        verdict = _verdict(history, row.id, options, named=named)
        if verdict == "sent":
            already += 1
            continue
        if verdict in ("failed", "unknown"):
            alone = f"receipt send {document.number}"
            not_sent.append(_not_retried(verdict, label, row.name, history.last[row.id],
                                         batch_command, alone))  # fmt: skip
            continue
        if row.owner is None:  # receipts are issued to named donors only
            raise RuntimeError(f"{label} has no donor")
        if not row.email:
            not_sent.append(_without_address(label, row.name, row.owner))
            continue
        outgoing.append(Outgoing(
            label, int(row.owner), row.name, row.email, document.locale, receipt=document,
            receipt_id=row.id, logo=logos[document.logo] if document.logo else None,
            # Once it may have reached the donor, it goes as a copy: never two originals.
            copy=may_have_reached(history, row.id),
            again=options.again,
        ))  # fmt: skip
    return DeliveryPlan(server, sender, tuple(outgoing), tuple(not_sent), already)
