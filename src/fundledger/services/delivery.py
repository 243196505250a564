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
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

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
from fundledger.services.mail_settings import mail_sender, mail_server
from fundledger.services.receipts import (
    ReceiptDocument,
    ReceiptNumber,
    Transactions,
    logos_of,
)
from fundledger.services.settings import current_settings
from fundledger.services.statements import DonorStatement, donor_statement, statements_of_year

SENT, FAILED = "sent", "failed"


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
    history = _receipt_history(session, [receipt_id])
    sent = history.last_sent.get(receipt_id)
    if sent is not None and not options.again:
        raise FundledgerError(f"receipt {wanted} was sent to {sent.recipient} on "
                              f"{sent.attempted_at:%Y-%m-%d}: add --again to send it once "
                              "more")  # fmt: skip
    return _receipts_plan(session, [receipt_id], history, SendOptions(again=True), "")


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
    retry = f"receipt send --campaign {campaign.slug} --all-unsent --retry-failed"
    return _receipts_plan(session, ids, _receipt_history(session, ids), options, retry)


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
    history = _statement_history(session, year, [each.donor_id for each in statements])
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
        if verdict == "failed":
            not_sent.append(_failed_before(label, each.donor, history.last[each.donor_id],
                                           f"statement send --all --year {year} "
                                           "--retry-failed"))  # fmt: skip
            continue
        if not each.donor_email:
            not_sent.append(_without_address(label, each.donor, each.donor_id))
            continue
        outgoing.append(Outgoing(label, each.donor_id, each.donor, each.donor_email,
                                 each.locale, statement=each))  # fmt: skip
    return DeliveryPlan(server, sender, tuple(outgoing), tuple(not_sent), already, held, skipped)


def send_planned(
    run: Transactions,
    plan: DeliveryPlan,
    drafting: Drafting,
    progress: Callable[[int], None] | None = None,
    actor: Actor | None = None,
) -> DeliveryReport:
    """Sends each document of `plan` over one connection, recording each attempt in a
    transaction of its own (`run`) once the server has answered.

    A refused message is recorded as failed and the others go on. When the server cannot be
    reached or refuses the login at the first message, nothing is recorded and
    DeliveryStopped says why. When the connection breaks while a message is on its way,
    that message is recorded as failed (the server may or may not have it) and the next one
    connects again; if that fails, or a second message in a row loses its connection, the
    batch stops there and the report says why and how many were never tried."""
    _allowed(actor)
    sent: list[Attempt] = []
    failed: list[Attempt] = []
    stopped: str | None = None
    untried = 0
    lost_in_a_row = 0
    with MailClient(plan.server) as client:
        for index, item in enumerate(plan.outgoing):
            draft = _draft(drafting, item)
            message = build_message(
                sender=plan.sender, recipient=item.recipient, subject=draft.subject,
                plain=draft.plain, html=draft.html, language=item.locale,
                attachment=draft.pdf, filename=draft.filename,
            )  # fmt: skip
            digest = hashlib.sha256(draft.pdf).hexdigest()
            try:
                answer, outcome = client.send(message), SENT
                lost_in_a_row = 0
            except (ServerUnreachable, AuthenticationFailed) as error:
                if not (sent or failed):
                    raise DeliveryStopped(f"{error}; nothing was sent") from None
                stopped, untried = str(error), len(plan.outgoing) - index
                break
            except ConnectionLost as error:
                answer, outcome = str(error), FAILED
                lost_in_a_row += 1
            except MessageRefused as error:
                answer, outcome = str(error), FAILED
                lost_in_a_row = 0
            try:
                attempt = run(_recorder(item, outcome, answer, digest))
            except Exception as error:
                if outcome != SENT:
                    raise
                # The donor has it: say so, or a run again would send it a second time.
                first = (str(error).strip().splitlines() or [type(error).__name__])[0]
                raise DeliveryStopped(
                    f"{item.label} was sent to {item.recipient} ({answer}) but could not be "
                    f"recorded: {first}; sent before it: {len(sent)}"
                ) from error
            (sent if outcome == SENT else failed).append(attempt)
            if progress is not None:
                progress(1)
            if lost_in_a_row >= 2:
                stopped = f"{answer} (twice in a row)"
                untried = len(plan.outgoing) - index - 1
                break
    return DeliveryReport(tuple(sent), tuple(failed), plan.not_sent, plan.already_sent,
                          stopped, untried)  # fmt: skip


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
        record_audit(session, context, f"delivery.{outcome}", entity="delivery",
                     entity_id=row.id,
                     details={"document": item.label, "donor": item.donor_id,
                              "recipient": item.recipient, "answer": answer,
                              "attachment_sha256": digest})  # fmt: skip
        return Attempt(
            item.label, item.donor_id, item.recipient, item.locale, outcome, answer, digest, row.id
        )

    return record


def _allowed(actor: Actor | None) -> None:
    if actor is not None:
        require(actor, Role.TREASURER, "send receipts and statements")


@dataclass(frozen=True, slots=True)
class _History:
    """Per document key (a receipt id, or a donor for a year's statements): the latest
    attempt, and the latest successful one."""

    last: dict[int, Delivery]
    last_sent: dict[int, Delivery]


def _history(rows: Iterable[Delivery], key: Callable[[Delivery], int | None]) -> _History:
    last: dict[int, Delivery] = {}
    last_sent: dict[int, Delivery] = {}
    for row in rows:  # oldest first: the latest stays
        document = key(row)
        if document is None:
            continue
        last[document] = row
        if row.outcome == SENT:
            last_sent[document] = row
    return _History(last, last_sent)


def _receipt_history(session: Session, ids: Sequence[int]) -> _History:
    rows = session.scalars(select(Delivery).where(Delivery.receipt_id.in_(ids))
                           .order_by(Delivery.id))  # fmt: skip
    return _history(rows, lambda row: row.receipt_id)


def _statement_history(session: Session, year: int, donors: Sequence[int]) -> _History:
    rows = session.scalars(select(Delivery).where(Delivery.year == year,
                                                  Delivery.donor_id.in_(donors))
                           .order_by(Delivery.id))  # fmt: skip
    return _history(rows, lambda row: row.donor_id)


def _verdict(history: _History, key: int, options: SendOptions, *, named: bool) -> str:
    """send | sent (before, and not asked again) | failed (last time, and not retried)."""
    if options.again:
        return "send"
    if key in history.last_sent:
        return "sent"
    if key in history.last and not (options.retry_failed or named):
        return "failed"
    return "send"


def _failed_before(label: str, donor: str | None, last: Delivery, again: str) -> NotSent:
    return NotSent(label, donor, f"its last attempt failed ({last.attempted_at:%Y-%m-%d}, "
                   f"{last.answer})", f"fundledger {again}")  # fmt: skip


def _without_address(label: str, donor: str | None, donor_id: int) -> NotSent:
    return NotSent(label, donor, "no e-mail address",
                   f'fundledger donor edit {donor_id} --email ADDRESS --reason "..."')  # fmt: skip


def _receipts_plan(
    session: Session, ids: Sequence[int], history: _History, options: SendOptions, retry: str
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
        verdict = _verdict(history, row.id, options, named=False)
        if verdict == "sent":
            already += 1
            continue
        if verdict == "failed":
            not_sent.append(_failed_before(label, row.name, history.last[row.id], retry))
            continue
        if row.owner is None:  # receipts are issued to named donors only
            raise RuntimeError(f"{label} has no donor")
        if not row.email:
            not_sent.append(_without_address(label, row.name, row.owner))
            continue
        outgoing.append(Outgoing(
            label, int(row.owner), row.name, row.email, document.locale, receipt=document,
            receipt_id=row.id, logo=logos[document.logo] if document.logo else None,
            copy=row.id in history.last_sent,
        ))  # fmt: skip
    return DeliveryPlan(server, sender, tuple(outgoing), tuple(not_sent), already)


@dataclass(frozen=True, slots=True)
class LastDelivery:
    """The latest attempt to send a document, as a list shows it beside the document."""

    outcome: str  # sent | failed
    recipient: str
    attempted_at: datetime
    answer: str
    sent_before: bool  # some attempt, this one or an earlier, reached the server


def receipt_deliveries(
    session: Session, actor: Actor, numbers: Sequence[ReceiptNumber]
) -> dict[ReceiptNumber, LastDelivery]:
    """The latest delivery of each receipt of `numbers` that has one (the web's list of
    receipts: a page of them). For those who keep the books, as the list itself."""
    require(actor, Role.TREASURER, "read the receipts issued")
    if not numbers:
        return {}
    rows = session.execute(
        select(Receipt.id, Receipt.series, Receipt.year, Receipt.number).where(
            Receipt.year.in_({each.year for each in numbers}),
            Receipt.number.in_({each.number for each in numbers}))
    ).all()  # fmt: skip
    wanted = set(numbers)
    ids = {row.id: ReceiptNumber(row.series, row.year, row.number) for row in rows
           if ReceiptNumber(row.series, row.year, row.number) in wanted}  # fmt: skip
    history = _receipt_history(session, list(ids))
    return {ids[key]: _last(history, key) for key in history.last}


def statement_deliveries(session: Session, actor: Actor, donor_id: int) -> dict[int, LastDelivery]:
    """The latest delivery of each year's statement of a donor (the web's donor page)."""
    require(actor, Role.TREASURER, "read a donor's statements")
    rows = session.scalars(select(Delivery).where(Delivery.donor_id == donor_id,
                                                  Delivery.year.is_not(None))
                           .order_by(Delivery.id))  # fmt: skip
    history = _history(rows, lambda row: row.year)
    return {year: _last(history, year) for year in history.last}


def _last(history: _History, key: int) -> LastDelivery:
    last = history.last[key]
    return LastDelivery(last.outcome, last.recipient, last.attempted_at, last.answer,
                        key in history.last_sent)  # fmt: skip
