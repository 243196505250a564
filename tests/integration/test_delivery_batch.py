"""A batch of 1,000 receipts e-mailed through a mail server that answers each message slowly
and refuses some recipients: every one is tried once, over one connection, and recorded."""

from __future__ import annotations

import time
from datetime import date

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.engine import transaction
from fundledger.adapters.db.models import AuditEvent, Delivery
from fundledger.adapters.images import Logo
from fundledger.domain.money import Money
from fundledger.reports.i18n import Reader
from fundledger.reports.mail_message import MailDrafts, receipt_words
from fundledger.services.context import CommandContext
from fundledger.services.delivery import (
    Draft,
    SendOptions,
    plan_campaign_receipts,
    send_planned,
)
from fundledger.services.donations import record_donation
from fundledger.services.integrity import check_ledger
from fundledger.services.receipts import IssueOptions, ReceiptDocument, issue_unreceipted
from fundledger.services.settings import set_setting
from tests.ledger_helpers import CONTEXT, campaign, run
from tests.mail_server import running_mail_server

RECEIPTS = 1_000
REFUSED_EVERY = 50  # one recipient in 50 refused: 20 of them
SLOW_ANSWER_SECONDS = 0.003


class WordsWithASmallPdf(MailDrafts):
    """The e-mail's words as sent, with a small PDF in place of the receipt's own: drawing
    1,000 receipts (about 10 ms each) is the PDF tests' subject, not this one's."""

    def receipt(self, document: ReceiptDocument, logo: Logo | None, *, copy: bool) -> Draft:
        reader = Reader.for_locale(document.locale)
        subject, paragraphs = receipt_words(document, reader, copy=copy)
        pdf = b"%PDF-1.4\n% " + str(document.number).encode()
        return Draft(subject, "\n\n".join(paragraphs), f"<p>{subject}</p>",
                     f"{document.number}.pdf", pdf)  # fmt: skip


@pytest.fixture
def database_kind() -> str:
    # The batch's mechanics (one connection, a transaction per attempt) are the same on both
    # databases, which the other delivery tests run on; this one is about size and time.
    return "sqlite"


def test_a_thousand_receipts_complete_with_a_slow_server_and_some_refusals(
    ledger_engine: Engine,
) -> None:
    campaign(ledger_engine)
    with running_mail_server() as server:
        settings = {"organisation.name.en": "Peace Coalition", **server.settings()}
        for key, value in settings.items():
            run(ledger_engine, lambda s, c, key=key, value=value: set_setting(s, c, key, value))

        def gifts(session: Session, context: CommandContext) -> None:
            for number in range(1, RECEIPTS + 1):
                record_donation(session, context, campaign_slug="dont-look-away",
                                on=date(2025, 7, 3), amount=Money(f"{number}.00", "ILS"),
                                donor_name=f"Donor {number}",
                                donor_email=f"donor{number}@example.org")  # fmt: skip
            issue_unreceipted(session, context, "dont-look-away",
                              IssueOptions(locale=None, issued_on=date(2025, 8, 1)))  # fmt: skip

        run(ledger_engine, gifts)
        refused = {f"donor{n}@example.org" for n in range(REFUSED_EVERY, RECEIPTS + 1,
                                                           REFUSED_EVERY)}  # fmt: skip
        server.handler.refused.update(refused)
        server.handler.delay = SLOW_ANSWER_SECONDS
        with transaction(ledger_engine) as session:
            plan = plan_campaign_receipts(session, CONTEXT, "dont-look-away", SendOptions())
        steps: list[int] = []
        started = time.perf_counter()
        report = send_planned(lambda work: run(ledger_engine, work), plan,
                              WordsWithASmallPdf(), steps.append)  # fmt: skip
        took = time.perf_counter() - started
        print(f"\n{RECEIPTS} receipts e-mailed in {took:.1f} s")  # the brief asks for the time

        assert (len(report.sent), len(report.failed)) == (RECEIPTS - len(refused), len(refused))
        assert {attempt.recipient for attempt in report.failed} == refused
        assert report.stopped is None
        assert sum(steps) == RECEIPTS
        assert len(server.received) == RECEIPTS - len(refused)
        assert len({each.session for each in server.received}) == 1
    with transaction(ledger_engine) as session:
        outcomes = dict(session.execute(
            select(Delivery.outcome, func.count()).group_by(Delivery.outcome)).all())  # fmt: skip
        events = session.scalar(select(func.count()).where(AuditEvent.action.like("delivery.%")))
    # Each attempt claimed, then its outcome recorded, each audited.
    assert outcomes == {"sending": RECEIPTS, "sent": RECEIPTS - len(refused),
                        "failed": len(refused)}  # fmt: skip
    assert events == 2 * RECEIPTS
    assert [check.name for check in run(ledger_engine, check_ledger) if check.problems] == []
