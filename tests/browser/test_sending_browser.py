"""A treasurer e-mails a receipt from the receipts list and a statement from the donor's page,
in Chromium, against a local mail server (tests/mail_server.py): each button sends one
document, the next page says so, and the list then offers to send it again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from playwright.sync_api import Page, expect

from fundledger.domain.access import Role
from fundledger.services.receipts import IssueOptions, issue_receipt
from fundledger.services.settings import set_setting
from tests.browser.conftest import LiveServer
from tests.browser.test_pages import sign_in, watch_errors
from tests.ledger_helpers import campaign, rates, run
from tests.mail_server import MailServer, running_mail_server
from tests.web.conftest import add
from tests.web.pages_ledger import give


@pytest.fixture
def server() -> Iterator[MailServer]:
    with running_mail_server() as running:
        yield running


@pytest.fixture
def ledger(live_server: LiveServer, server: MailServer) -> LiveServer:
    engine = live_server.engine
    rates(engine, "2025-06-01 USD ILS 3.7000")
    campaign(engine)
    give(engine, "dont-look-away", "2025-06-02", "1500", "ILS", donor_name="Noa Cohen",
         donor_email="noa@example.org")  # fmt: skip
    settings = {"organisation.name.en": "Peace Coalition", **server.settings()}
    for key, value in settings.items():
        run(engine, lambda s, c, key=key, value=value: set_setting(s, c, key, value))
    run(engine, lambda s, c: issue_receipt(s, c, 1, IssueOptions("en", date(2025, 6, 30))))
    add(engine, "dana", Role.TREASURER)
    return live_server


def test_a_treasurer_sends_a_receipt_and_a_statement_by_e_mail(
    ledger: LiveServer, server: MailServer, page: Page
) -> None:
    errors = watch_errors(page)
    sign_in(page, ledger, "dana")
    page.goto(ledger.url + "/receipts")
    row = page.get_by_role("row").filter(has_text="R-2025-00001")
    row.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("status").filter(
        has_text="Sent Receipt R-2025-00001 to noa@example.org.")).to_be_visible()  # fmt: skip
    assert [each.recipients for each in server.received] == [("noa@example.org",)]
    row = page.get_by_role("row").filter(has_text="R-2025-00001")
    expect(row.get_by_role("button", name="Send again")).to_be_visible()

    page.goto(ledger.url + "/donors/1")
    page.get_by_role("button", name="Send by e-mail").click()
    expect(page.get_by_role("status").filter(
        has_text="Sent The statement of 2025 to noa@example.org.")).to_be_visible()  # fmt: skip
    assert len(server.received) == 2
    (attachment,) = list(server.received[-1].message().iter_attachments())
    assert attachment.get_filename() == "statement-2025.pdf"
    assert errors == []
