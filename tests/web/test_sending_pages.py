""" "Send" beside "download": a receipt from the receipts list and a year's statement from the
donor's page, e-mailed to a local mail server (tests/mail_server.py) as `receipt send NUMBER`
and `statement send DONOR --year Y` send them; what happened said on the next page, each
attempt shown beside its document; for those who keep the books only; on SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Delivery
from fundledger.domain.access import Role
from fundledger.services.settings import set_setting
from tests.ledger_helpers import run
from tests.mail_server import MailServer, free_port, running_mail_server
from tests.web.conftest import SignIn, csrf_token
from tests.web.pages_ledger import fill, give, text


@pytest.fixture
def server() -> Iterator[MailServer]:
    with running_mail_server() as running:
        yield running


@pytest.fixture
def ledger(ledger_engine: Engine, server: MailServer) -> Engine:
    fill(ledger_engine)
    configure(ledger_engine, server.settings())
    return ledger_engine


def configure(engine: Engine, settings: dict[str, str]) -> None:
    for key, value in settings.items():
        run(engine, lambda s, c, key=key, value=value: set_setting(s, c, key, value))


def deliveries(engine: Engine) -> int:
    """The attempts with an outcome (each has its claim too, a row before it)."""
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(Delivery)
                                  .where(Delivery.outcome != "sending")) or 0)  # fmt: skip


def send(client: FlaskClient, path: str, **fields: str) -> str:
    answer = client.post(path, data={"csrf_token": csrf_token(client, "/receipts"), **fields})
    assert answer.status_code == 303
    return text(client.get(answer.headers["Location"]).get_data(as_text=True))


def test_a_receipt_sent_from_the_list_reaches_its_donor_and_shows_as_sent(
    sign_in: SignIn, ledger: Engine, server: MailServer
) -> None:
    client = sign_in(Role.TREASURER)
    listed = client.get("/receipts").get_data(as_text=True)
    assert 'action="/receipts/R/2025/00001/send"' in listed
    page = send(client, "/receipts/R/2025/00001/send")
    assert "Sent Receipt R-2025-00001 to dana@example.org." in page
    (received,) = server.received
    assert received.recipients == ("dana@example.org",)
    (attachment,) = list(received.message().iter_attachments())
    assert attachment.get_filename() == "R-2025-00001.pdf"
    assert "sent " in text(client.get("/receipts?number=R-2025-00001").get_data(as_text=True))

    # Sent before: the same form without "again" sends nothing and says why; with it, a copy.
    refused = send(client, "/receipts/R/2025/00001/send")
    assert (
        "Receipt R-2025-00001 was not sent: receipt R-2025-00001 was sent to "
        "dana@example.org on" in refused
    )
    assert len(server.received) == 1
    page = send(client, "/receipts/R/2025/00001/send", again="1")
    assert "Sent Receipt R-2025-00001" in page
    (copy,) = list(server.received[-1].message().iter_attachments())
    assert copy.get_filename() == "R-2025-00001-copy.pdf"
    assert deliveries(ledger) == 2


def test_a_refused_recipient_is_said_and_recorded_failed(
    sign_in: SignIn, ledger: Engine, server: MailServer
) -> None:
    server.handler.refused.add("dana@example.org")
    client = sign_in(Role.TREASURER)
    page = send(client, "/receipts/R/2025/00001/send")
    assert "could not be sent to dana@example.org" in page
    assert "550" in page
    assert "failed " in text(client.get("/receipts?number=1").get_data(as_text=True))
    assert deliveries(ledger) == 1
    server.handler.refused.clear()
    assert "Sent Receipt R-2025-00001" in send(client, "/receipts/R/2025/00001/send")


def test_an_unreachable_server_is_said_and_nothing_recorded(
    sign_in: SignIn, ledger: Engine
) -> None:
    configure(ledger, {"mail.smtp.port": str(free_port())})  # nobody listens there
    client = sign_in(Role.TREASURER)
    page = send(client, "/receipts/R/2025/00001/send")
    assert "Sending Receipt R-2025-00001 stopped: the mail server 127.0.0.1:" in page
    assert "nothing was sent" in page
    assert deliveries(ledger) == 0


def test_in_hebrew_the_page_says_it_in_hebrew(
    sign_in: SignIn, ledger: Engine, server: MailServer
) -> None:
    client = sign_in(Role.TREASURER)
    client.get("/receipts?lang=he")  # the language switcher: kept for the pages after
    page = send(client, "/receipts/R/2025/00001/send")
    assert "קבלה R-2025-00001 נשלח/ה אל dana@example.org." in page
    listed = text(client.get("/receipts").get_data(as_text=True))
    assert "שליחה חוזרת" in listed  # its button now sends again


def test_a_statement_sent_from_the_donors_page(
    sign_in: SignIn, ledger: Engine, server: MailServer
) -> None:
    client = sign_in(Role.TREASURER)
    donor = client.get("/donors/1").get_data(as_text=True)
    assert 'action="/donors/1/statement/2025/send"' in donor
    answer = client.post("/donors/1/statement/2025/send",
                         data={"csrf_token": csrf_token(client, "/donors/1")})  # fmt: skip
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/donors/1")
    page = text(client.get("/donors/1").get_data(as_text=True))
    assert "Sent The statement of 2025 to dana@example.org." in page
    assert "sent to dana@example.org" in page
    (attachment,) = list(server.received[-1].message().iter_attachments())
    assert attachment.get_filename() == "statement-2025.pdf"


def test_a_donor_without_an_address_is_told_not_sent(
    sign_in: SignIn, ledger: Engine, server: MailServer
) -> None:
    give(ledger, "a", "2025-07-04", "100", "ILS", donor_name="Salim Haddad")
    donor = 4  # fill's three donors, then Salim (no e-mail address)
    client = sign_in(Role.TREASURER)
    answer = client.post(f"/donors/{donor}/statement/2025/send",
                         data={"csrf_token": csrf_token(client, "/donors")})  # fmt: skip
    assert answer.status_code == 303
    page = text(client.get(f"/donors/{donor}").get_data(as_text=True))
    assert (
        "The statement of 2025 was not sent: Salim Haddad has no e-mail address; add one "
        "on their page." in page
    )
    assert server.received == []


def test_a_viewer_may_not_send(sign_in: SignIn, ledger: Engine, server: MailServer) -> None:
    client = sign_in(Role.VIEWER)
    token = csrf_token(client, "/donors")
    assert client.post("/receipts/R/2025/00001/send", data={"csrf_token": token}).status_code == 403
    assert client.post("/donors/1/statement/2025/send",
                       data={"csrf_token": token}).status_code == 403  # fmt: skip
    assert server.received == []
    assert deliveries(ledger) == 0
