"""Receipts and statements e-mailed to their donors through a real SMTP server (aiosmtpd, in
tests/mail_server.py): each message parsed back (headers, the donor's language, right to left
for Hebrew and Arabic, the PDF byte for byte), each attempt recorded and audited, nothing sent
twice unless asked, and failures (a refused recipient, a wrong password, a server that is not
there or goes away) each with its one clear line."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.engine import transaction
from fundledger.adapters.db.models import AuditEvent, Delivery
from fundledger.domain.access import Actor, PermissionDenied, Role
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.reports.i18n import Reader
from fundledger.reports.mail_message import MailDrafts, receipt_words, statement_words
from fundledger.reports.pdf.receipt import write_receipt_pdf
from fundledger.reports.pdf.statement import write_statement_pdf
from fundledger.services.context import CommandContext
from fundledger.services.delivery import (
    DeliveryPlan,
    DeliveryReport,
    DeliveryStopped,
    SendOptions,
    plan_campaign_receipts,
    plan_receipt,
    plan_statements,
    send_planned,
)
from fundledger.services.delivery_history import receipt_deliveries
from fundledger.services.donations import record_donation
from fundledger.services.donors import merge_donors
from fundledger.services.integrity import check_ledger
from fundledger.services.receipts import (
    IssueOptions,
    ReceiptDocument,
    ReceiptNumber,
    find_receipt,
    issue_receipt,
)
from fundledger.services.settings import set_setting
from tests.ledger_helpers import CONTEXT, campaign, rates, run
from tests.mail_server import MailServer, free_port, running_mail_server

AUGUST = IssueOptions(locale=None, issued_on=date(2025, 8, 1))
ORGANISATION = {
    "organisation.name.en": "Peace Coalition",
    "organisation.name.he": "קואליציית שלום",
    "organisation.name.ar": "ائتلاف السلام",
    "organisation.section46.approval": "4512",
    "organisation.section46.valid_until": "2026-12-31",
    "organisation.contact": "+972-4-000-0000",
}
DONORS = (  # name, e-mail, language, amount
    ("Dana Levi", "dana@example.org", "en", "100.00 USD"),
    ("שירה כהן", "shira@example.org", "he", "250.00 ILS"),
    ("سمير حداد", "samir@example.org", "ar", "180.00 ILS"),
)


@pytest.fixture
def server() -> Iterator[MailServer]:
    with running_mail_server() as running:
        yield running


def settle(engine: Engine, values: dict[str, str | None]) -> None:
    for key, value in values.items():
        run(engine, lambda s, c, key=key, value=value: set_setting(s, c, key, value))


@pytest.fixture
def ledger(ledger_engine: Engine, server: MailServer) -> Engine:
    campaign(ledger_engine)
    rates(ledger_engine, "2025-07-03 USD ILS 3.376 BOI")
    settle(ledger_engine, {**ORGANISATION, **server.settings()})
    for name, email, language, amount in DONORS:
        give(ledger_engine, name, email, amount, language)
    return ledger_engine


def give(
    engine: Engine, name: str, email: str | None, amount: str, language: str = "en"
) -> ReceiptDocument:
    """A gift of 3 July 2025, receipted on 1 August."""
    figure, currency = amount.split()

    def work(session: Session, context: CommandContext) -> ReceiptDocument:
        gift = record_donation(session, context, campaign_slug="dont-look-away",
                               on=date(2025, 7, 3), amount=Money(figure, currency),
                               donor_name=name, donor_email=email, language=language)  # fmt: skip
        return issue_receipt(session, context, gift.id, AUGUST)

    return run(engine, work)


Planning = Callable[[Session, CommandContext], DeliveryPlan]


def assert_ledger_checks(engine: Engine) -> None:
    """`fundledger check` finds nothing wrong: every delivery row is chained and covered."""
    problems = [(check.name, check.problems) for check in run(engine, check_ledger)
                if check.problems]  # fmt: skip
    assert problems == []


def planned(engine: Engine, work: Planning) -> DeliveryPlan:
    with transaction(engine) as session:
        return work(session, CONTEXT)


def send(
    engine: Engine,
    work: Planning,
    server: MailServer | None = None,
) -> DeliveryReport:
    plan = planned(engine, work)
    if server is not None and server.client_context is not None:  # the test's own CA
        plan = replace(plan, server=replace(plan.server, tls_context=server.client_context))
    return send_planned(lambda work: run(engine, work), plan, MailDrafts())


def campaign_receipts(options: SendOptions | None = None) -> Planning:
    options = options or SendOptions()
    return lambda s, c: plan_campaign_receipts(s, c, "dont-look-away", options)


def deliveries(engine: Engine, *, claims: bool = False) -> list[Delivery]:
    """The attempts' outcomes (sent, failed), in order; with `claims`, their claims too (the
    row written before the server is spoken to)."""
    with transaction(engine) as session:
        rows = session.scalars(select(Delivery).order_by(Delivery.id))
        return [row for row in rows if claims or row.outcome != "sending"]


def audit_events(engine: Engine, prefix: str = "delivery.") -> list[AuditEvent]:
    """The outcomes' audit events (each claim has one too: `claims` of the test below)."""
    with transaction(engine) as session:
        events = session.scalars(select(AuditEvent).order_by(AuditEvent.id))
        claim = "delivery.sending"
        return [event for event in events
                if event.action.startswith(prefix) and event.action != claim]  # fmt: skip


def parts(message: EmailMessage) -> tuple[str, str, EmailMessage]:
    """The plain text, the HTML and the attachment of a message."""
    plain = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1
    attachment = attachments[0]
    assert isinstance(plain, EmailMessage)
    assert isinstance(html, EmailMessage)
    assert isinstance(attachment, EmailMessage)
    return plain.get_content(), html.get_content(), attachment


def drawn_receipt(engine: Engine, number: str, tmp_path: Path, *, copy: bool = False) -> bytes:
    with transaction(engine) as session:
        document = find_receipt(session, ReceiptNumber.parse(number))
    path = tmp_path / f"{number}-{copy}.pdf"
    write_receipt_pdf(document, path, copy=copy)
    return path.read_bytes()


def test_each_receipt_reaches_its_donor_in_their_language_with_its_pdf_byte_for_byte(
    ledger: Engine, server: MailServer, tmp_path: Path
) -> None:
    report = send(ledger, campaign_receipts())
    assert [attempt.label for attempt in report.sent] == [
        "receipt R-2025-00001", "receipt R-2025-00002", "receipt R-2025-00003"]  # fmt: skip
    assert (report.failed, report.not_sent) == ((), ())
    assert len(server.received) == 3
    assert len({each.session for each in server.received}) == 1  # one connection for all
    recorded = deliveries(ledger)
    for (_name, email, language, amount), received, row in zip(DONORS, server.received, recorded,
                                                               strict=True):  # fmt: skip
        number = f"R-2025-{recorded.index(row) + 1:05d}"
        message = received.message()
        assert received.recipients == (email,)
        assert message["From"] == "Peace Coalition <receipts@peace.example.org>"
        assert message["To"] == email
        assert message["Content-Language"] == language
        assert message["Message-ID"].endswith("@peace.example.org>")
        assert message["Date"]
        reader = Reader.for_locale(language)
        with transaction(ledger) as session:
            document = find_receipt(session, ReceiptNumber.parse(number))
        subject, _paragraphs = receipt_words(document, reader, copy=False)
        assert message["Subject"] == subject
        plain, html, attachment = parts(message)
        figure, currency = amount.split()
        assert reader.money(Money(figure, currency)) in plain
        assert reader.date(date(2025, 7, 3)) in plain
        assert number in plain
        assert ORGANISATION["organisation.contact"] in plain
        direction = "rtl" if language in ("he", "ar") else "ltr"
        assert f'<html lang="{language}" dir="{direction}">' in html
        assert attachment.get_filename() == f"{number}.pdf"
        assert attachment.get_content_type() == "application/pdf"
        pdf = attachment.get_content()
        # The PDF as `receipt issue` wrote it, the original (ReportLab invariant: no date).
        assert pdf == drawn_receipt(ledger, number, tmp_path)
        assert b"COPY" not in pdf
        assert hashlib.sha256(pdf).hexdigest() == row.attachment_sha256
        assert (row.document, row.outcome, row.recipient, row.locale) == (
            "receipt", "sent", email, language)  # fmt: skip
        assert row.answer.startswith("250 2.0.0 Ok: queued as TEST")
        assert row.attempted_by == CONTEXT.actor
    events = audit_events(ledger)
    assert [event.action for event in events] == ["delivery.sent"] * 3
    details = json.loads(events[0].details)
    assert (details["recipient"], details["document"]) == ("dana@example.org",
                                                           "receipt R-2025-00001")  # fmt: skip
    assert_ledger_checks(ledger)


def test_a_name_is_text_in_the_html_part_never_markup(ledger: Engine, server: MailServer) -> None:
    give(ledger, "Ali <b>Bold</b> & Co", "ali@example.org", "50.00 ILS")
    send(ledger, lambda s, c: plan_receipt(s, c, "R-2025-00004", SendOptions()))
    _plain, html, _attachment = parts(server.received[-1].message())
    assert "Ali &lt;b&gt;Bold&lt;/b&gt; &amp; Co" in html
    assert "<b>Bold</b>" not in html


def test_nothing_is_sent_twice_and_again_sends_a_copy(
    ledger: Engine, server: MailServer, tmp_path: Path
) -> None:
    send(ledger, campaign_receipts())
    repeated = send(ledger, campaign_receipts())
    assert (repeated.sent, repeated.already_sent) == ((), 3)
    with pytest.raises(FundledgerError, match=r"receipt R-2025-00002 was sent to "
                       r"shira@example.org on .*: add --again"):  # fmt: skip
        planned(ledger, lambda s, c: plan_receipt(s, c, "R-2025-00002", SendOptions()))
    assert len(server.received) == 3
    again = send(ledger, lambda s, c: plan_receipt(s, c, "R-2025-00002", SendOptions(again=True)))
    assert [attempt.label for attempt in again.sent] == ["receipt R-2025-00002"]
    _plain, _html, attachment = parts(server.received[-1].message())
    # It reached the donor before: the second one is marked COPY, never a second original.
    assert attachment.get_filename() == "R-2025-00002-copy.pdf"
    assert attachment.get_content() == drawn_receipt(ledger, "R-2025-00002", tmp_path, copy=True)
    everything = send(ledger, campaign_receipts(SendOptions(again=True)))
    assert (len(everything.sent), len(server.received)) == (3, 7)
    assert len(deliveries(ledger)) == 7


def test_a_refused_recipient_is_recorded_failed_the_others_sent_and_retried_only_when_asked(
    ledger: Engine, server: MailServer
) -> None:
    server.handler.refused.add("shira@example.org")
    report = send(ledger, campaign_receipts())
    assert [attempt.label for attempt in report.sent] == ["receipt R-2025-00001",
                                                          "receipt R-2025-00003"]  # fmt: skip
    (failed,) = report.failed
    assert failed.label == "receipt R-2025-00002"
    assert failed.answer == (
        "the server refused the recipient shira@example.org: 550 5.1.1 <shira@example.org>: "
        "Recipient address rejected: User unknown"
    )
    row = deliveries(ledger)[1]
    assert (row.outcome, row.answer, row.recipient) == (
        "failed",
        failed.answer,
        "shira@example.org",
    )
    assert [event.action for event in audit_events(ledger)] == [
        "delivery.sent", "delivery.failed", "delivery.sent"]  # fmt: skip
    with transaction(ledger) as session:  # what a list of receipts shows beside each
        keeper = Actor("treasurer", Role.TREASURER)
        numbers = [ReceiptNumber("R", 2025, number) for number in (1, 2, 3, 4)]
        latest = receipt_deliveries(session, keeper, numbers)
        assert {number.number: last.outcome for number, last in latest.items()} == {
            1: "sent", 2: "failed", 3: "sent"}  # fmt: skip
        assert not latest[numbers[1]].sent_before
        assert latest[numbers[0]].recipient == "dana@example.org"

    server.handler.refused.clear()
    later = send(ledger, campaign_receipts())  # not retried unless asked
    assert (later.sent, later.already_sent) == ((), 2)
    (listed,) = later.not_sent
    assert listed.label == "receipt R-2025-00002"
    assert "its last attempt failed" in listed.problem
    assert listed.fix == ("fundledger receipt send --campaign dont-look-away --all-unsent "
                          "--retry-failed")  # fmt: skip
    retried = send(ledger, campaign_receipts(SendOptions(retry_failed=True)))
    assert [attempt.label for attempt in retried.sent] == ["receipt R-2025-00002"]
    # Sent once now: an original (the failed attempt never reached the donor).
    _plain, _html, attachment = parts(server.received[-1].message())
    assert attachment.get_filename() == "R-2025-00002.pdf"
    assert_ledger_checks(ledger)


def test_a_receipt_named_alone_is_retried_after_a_failure(
    ledger: Engine, server: MailServer
) -> None:
    server.handler.refused.add("dana@example.org")
    one = lambda s, c: plan_receipt(s, c, "R-2025-00001", SendOptions())  # noqa: E731
    assert len(send(ledger, one).failed) == 1
    server.handler.refused.clear()
    assert len(send(ledger, one).sent) == 1


def test_a_wrong_password_stops_at_the_first_message_with_nothing_recorded(
    ledger_engine: Engine, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    with running_mail_server(login=("treasurer", "s3cret-pass")) as guarded:
        campaign(ledger_engine)
        settle(ledger_engine, {**ORGANISATION, **guarded.settings(user="treasurer")})
        give(ledger_engine, "Dana Levi", "dana@example.org", "250.00 ILS")
        monkeypatch.setenv("FUNDLEDGER_SMTP_PASSWORD", "Wr0ng-pa55")
        with pytest.raises(DeliveryStopped, match=r"^authentication failed for treasurer at "
                           r"127\.0\.0\.1:\d+: 535 .*; nothing was sent$"):  # fmt: skip
            send(ledger_engine, campaign_receipts())
        assert (deliveries(ledger_engine), guarded.received) == ([], [])
        # The password from a file when the variable is not set: read at each send.
        monkeypatch.delenv("FUNDLEDGER_SMTP_PASSWORD")
        secret = tmp_path / "smtp-password"
        secret.write_text("s3cret-pass\n")
        settle(ledger_engine, {"mail.smtp.password_file": str(secret)})
        assert len(send(ledger_engine, campaign_receipts()).sent) == 1
        with transaction(ledger_engine) as session:
            trail = " ".join(session.scalars(select(AuditEvent.details)))
        assert "s3cret-pass" not in trail
        assert "Wr0ng-pa55" not in trail


def test_an_unreachable_server_stops_the_batch_with_one_line_and_records_nothing(
    ledger: Engine,
) -> None:
    closed = free_port()
    settle(ledger, {"mail.smtp.port": str(closed)})
    with pytest.raises(DeliveryStopped, match=rf"^the mail server 127\.0\.0\.1:{closed} is "
                       r"unreachable: Connection refused; nothing was sent$"):  # fmt: skip
        send(ledger, campaign_receipts())
    assert deliveries(ledger) == []


def test_missing_settings_say_what_to_set(ledger: Engine) -> None:
    settle(ledger, {"mail.smtp.host": None})
    with pytest.raises(FundledgerError, match=r"^set mail\.smtp\.host first: fundledger "
                       r"settings set mail\.smtp\.host smtp\.example\.org$"):  # fmt: skip
        planned(ledger, campaign_receipts())
    settle(ledger, {"mail.smtp.host": "127.0.0.1", "mail.from": None})
    with pytest.raises(FundledgerError, match=r"^set mail\.from first"):
        planned(ledger, campaign_receipts())
    settle(ledger, {"mail.from": "Peace <r@peace.example.org>", "mail.smtp.user": "treasurer"})
    with pytest.raises(FundledgerError, match="FUNDLEDGER_SMTP_PASSWORD"):
        planned(ledger, campaign_receipts())


def test_a_dropped_connection_fails_that_message_and_the_next_connects_again(
    ledger: Engine, server: MailServer
) -> None:
    server.handler.drop_for.add("shira@example.org")
    report = send(ledger, campaign_receipts())
    assert [attempt.label for attempt in report.sent] == ["receipt R-2025-00001",
                                                          "receipt R-2025-00003"]  # fmt: skip
    (lost,) = report.failed
    assert "was lost while sending" in lost.answer
    assert "may or may not have" in lost.answer
    assert report.stopped is None
    assert len({each.session for each in server.received}) == 2


def test_a_server_gone_mid_batch_stops_it_naming_what_was_sent(
    ledger: Engine, server: MailServer
) -> None:
    server.handler.vanish_after = 1
    report = send(ledger, campaign_receipts())
    assert [attempt.label for attempt in report.sent] == ["receipt R-2025-00001"]
    assert [attempt.label for attempt in report.failed] == ["receipt R-2025-00002"]
    assert "unreachable" in (report.stopped or "")
    assert report.untried == 1
    assert [row.outcome for row in deliveries(ledger)] == ["sent", "failed"]  # none for the third


def test_a_donor_without_an_address_is_listed_and_nothing_is_recorded_for_them(
    ledger: Engine, server: MailServer
) -> None:
    give(ledger, "Yossi Mizrahi", None, "75.00 ILS")
    report = send(ledger, campaign_receipts())
    assert len(report.sent) == 3
    (listed,) = report.not_sent
    assert listed.line() == ('receipt R-2025-00004, Yossi Mizrahi: no e-mail address; fix: '
                             'fundledger donor edit 4 --email ADDRESS --reason "..."')  # fmt: skip
    assert len(deliveries(ledger)) == 3


def test_a_merged_donors_receipt_goes_to_the_donor_it_was_merged_into(
    ledger: Engine, server: MailServer
) -> None:
    give(ledger, "D. Levi", "d.levi@example.org", "40.00 ILS")
    run(ledger, lambda s, c: merge_donors(s, c, merged_id=4, into_id=1, reason="same person"))
    send(ledger, lambda s, c: plan_receipt(s, c, "R-2025-00004", SendOptions()))
    assert server.received[-1].recipients == ("dana@example.org",)
    assert deliveries(ledger)[-1].donor_id == 1


def test_each_donors_statement_is_sent_once_with_its_pdf(
    ledger: Engine, server: MailServer, tmp_path: Path
) -> None:
    every = lambda s, c: plan_statements(s, c, 2025, None, SendOptions())  # noqa: E731
    report = send(ledger, every)
    assert [attempt.label for attempt in report.sent] == [
        f"statement 2025 of donor #{donor}" for donor in (1, 2, 3)]  # fmt: skip
    rows = deliveries(ledger)
    assert [(row.document, row.year, row.receipt_id) for row in rows] == [
        ("statement", 2025, None)
    ] * 3
    with transaction(ledger) as session:
        from fundledger.services.statements import donor_statement

        shira = donor_statement(session, CONTEXT, 2, 2025, None)
    message = server.received[1].message()
    reader = Reader.for_locale("he")
    assert message["Subject"] == statement_words(shira, reader)[0]
    assert message["Content-Language"] == "he"
    plain, html, attachment = parts(message)
    assert reader.money(Money("250.00", "ILS")) in plain
    assert '<html lang="he" dir="rtl">' in html
    assert attachment.get_filename() == "statement-2025.pdf"
    path = tmp_path / "statement.pdf"
    write_statement_pdf(shira, reader, path)
    assert attachment.get_content() == path.read_bytes()
    assert hashlib.sha256(path.read_bytes()).hexdigest() == rows[1].attachment_sha256
    assert send(ledger, every).already_sent == 3
    with pytest.raises(FundledgerError, match="add --again"):
        planned(ledger, lambda s, c: plan_statements(s, c, 2025, 2, SendOptions()))
    assert len(server.received) == 3
    assert_ledger_checks(ledger)


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_secured_connection_with_a_login(
    ledger_engine: Engine, security: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with running_mail_server(security=security, login=("treasurer", "pw")) as secured:
        campaign(ledger_engine)
        settle(ledger_engine, {**ORGANISATION, **secured.settings(user="treasurer")})
        give(ledger_engine, "Dana Levi", "dana@example.org", "250.00 ILS")
        monkeypatch.setenv("FUNDLEDGER_SMTP_PASSWORD", "pw")
        assert len(send(ledger_engine, campaign_receipts(), secured).sent) == 1
        assert secured.received[0].recipients == ("dana@example.org",)
        # Without the test's CA the server's certificate is not trusted: one clear line.
        with pytest.raises(DeliveryStopped, match="no secure connection to the mail server "
                           r"127\.0\.0\.1:\d+: CERTIFICATE_VERIFY_FAILED"):  # fmt: skip
            send(ledger_engine, campaign_receipts(SendOptions(again=True)))


def test_a_message_sent_but_not_recorded_is_named_and_never_sent_again_unasked(
    ledger: Engine, server: MailServer
) -> None:
    """The process loses the outcome of a message the server took (a full disk): the batch
    stops naming it, and its claim, recorded before it went, keeps the next run from sending
    it again: listed as perhaps received, sent again only when asked."""
    plan = planned(ledger, campaign_receipts())
    calls: list[str] = []

    def outcome_lost(work: Callable[[Session, CommandContext], object]) -> object:
        calls.append("run")
        if len(calls) == 2:  # the first claim goes through; its outcome's record fails
            raise OSError(28, "No space left on device")
        return run(ledger, work)

    with pytest.raises(DeliveryStopped, match=r"^receipt R-2025-00001 was sent to "
                       r"dana@example\.org \(250 2\.0\.0 Ok: queued as TEST00001\) but could "
                       r"not be recorded: \[Errno 28\] No space left on device; sent before "
                       r"it: 0$"):  # fmt: skip
        send_planned(outcome_lost, plan, MailDrafts())
    assert len(server.received) == 1
    assert [row.outcome for row in deliveries(ledger, claims=True)] == ["sending"]

    later = send(ledger, campaign_receipts(SendOptions(retry_failed=True)))
    assert [attempt.label for attempt in later.sent] == ["receipt R-2025-00002",
                                                         "receipt R-2025-00003"]  # fmt: skip
    (unknown,) = later.not_sent
    assert unknown.label == "receipt R-2025-00001"
    assert "may have reached the donor" in unknown.problem
    assert unknown.fix == "fundledger receipt send R-2025-00001 --again"
    assert len(server.received) == 3
    with pytest.raises(FundledgerError, match="may have reached the donor; add --again"):
        planned(ledger, lambda s, c: plan_receipt(s, c, "R-2025-00001", SendOptions()))
    again = send(ledger, lambda s, c: plan_receipt(s, c, "R-2025-00001",
                                                   SendOptions(again=True)))  # fmt: skip
    (copy,) = list(server.received[-1].message().iter_attachments())
    assert (len(again.sent), copy.get_filename()) == (1, "R-2025-00001-copy.pdf")


def test_two_runs_at_once_never_both_send_a_document(ledger: Engine, server: MailServer) -> None:
    """Two plans made before either sends (two treasurers, or a button pressed twice): the
    claims take turns, and the later run finds each document sent and leaves it alone."""
    first = planned(ledger, campaign_receipts())
    second = planned(ledger, campaign_receipts())
    assert len(send_planned(lambda work: run(ledger, work), first, MailDrafts()).sent) == 3
    late = send_planned(lambda work: run(ledger, work), second, MailDrafts())
    assert late.sent == ()
    assert [left.problem for left in late.not_sent] == [
        "sent meanwhile to dana@example.org by another run",
        "sent meanwhile to shira@example.org by another run",
        "sent meanwhile to samir@example.org by another run",
    ]
    assert len(server.received) == 3
    rows = deliveries(ledger, claims=True)
    assert [row.outcome for row in rows] == ["sending", "sent"] * 3
    with transaction(ledger) as session:  # each claim audited like its outcome
        actions = [event.action for event in session.scalars(
            select(AuditEvent).where(AuditEvent.action.like("delivery.%"))
            .order_by(AuditEvent.id))]  # fmt: skip
    assert actions == ["delivery.sending", "delivery.sent"] * 3
    assert_ledger_checks(ledger)


def test_an_address_beyond_ascii_fails_alone_with_its_reason(
    ledger: Engine, server: MailServer
) -> None:
    give(ledger, "Rami Haddad", "rami@bücher.example", "60.00 ILS")
    report = send(ledger, campaign_receipts())
    assert len(report.sent) == 3
    (failed,) = report.failed
    assert failed.answer == ("the address rami@bücher.example has letters beyond ASCII, which "
                             "fundledger cannot send to yet")  # fmt: skip
    assert deliveries(ledger)[-1].outcome == "failed"


def test_a_server_that_hangs_up_after_each_message_gets_each_on_a_new_connection(
    ledger: Engine, server: MailServer
) -> None:
    server.handler.per_connection = 1  # answers 421 to the next MAIL, and closes
    report = send(ledger, campaign_receipts())
    assert (len(report.sent), report.failed) == (3, ())
    assert len({each.session for each in server.received}) == 3


def test_a_receipt_whose_pdf_would_lose_a_letter_is_not_e_mailed(
    ledger: Engine, server: MailServer
) -> None:
    """A receipt issued where no PDF was drawn (the web's issue) with a name no font of the
    document can draw: never e-mailed with U+FFFD in the name; listed with the fix."""
    give(ledger, "Noa \U0001f54a Peretz", "noa@example.org", "36.00 ILS")  # a dove: no glyph
    report = send(ledger, campaign_receipts())
    assert len(report.sent) == 3
    (left,) = report.not_sent
    assert left.label == "receipt R-2025-00004"
    assert (
        left.problem == "its PDF cannot draw U+1F54A DOVE OF PEACE: no font of the document has it"
    )
    assert "fundledger donor edit 4 --name NAME" in (left.fix or "")
    assert [each.recipients for each in server.received].count(("noa@example.org",)) == 0
    assert all(row.recipient != "noa@example.org" for row in deliveries(ledger, claims=True))


def test_the_services_refuse_a_viewer(ledger: Engine, server: MailServer) -> None:
    """The role is the services' to check, not only the pages'."""
    viewer = Actor("vic", Role.VIEWER)
    with pytest.raises(PermissionDenied):
        planned(ledger, lambda s, c: plan_receipt(s, c, "R-2025-00001", SendOptions(), viewer))
    with pytest.raises(PermissionDenied):
        planned(ledger, lambda s, c: plan_statements(s, c, 2025, 1, SendOptions(), viewer))
    plan = planned(ledger, campaign_receipts())
    with pytest.raises(PermissionDenied):
        send_planned(lambda work: run(ledger, work), plan, MailDrafts(), actor=viewer)
    with transaction(ledger) as session, pytest.raises(PermissionDenied):
        receipt_deliveries(session, viewer, [ReceiptNumber("R", 2025, 1)])
    assert server.received == []
