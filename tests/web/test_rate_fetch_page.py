"""The rates page's "fetch" button: `rates fetch` for a treasurer at the browser, against
local stand-ins of the Bank of Israel and the ECB, on both databases. The gaps say where to
start; what arrives is recorded and the gaps close; a failure writes nothing and says why;
a viewer gets 403 and nothing is asked of the publishers."""

from __future__ import annotations

from html import unescape

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from werkzeug import Response

from fundledger.adapters.db.models import AuditEvent, ExchangeRate
from fundledger.domain.access import Role
from fundledger.services.settings import set_setting
from tests.ledger_helpers import run
from tests.rate_publishers import Publishers, boi_from_ecb, ecb_history, without_proxies
from tests.web.conftest import SignIn, csrf_token
from tests.web.pages_ledger import fill
from tests.web.pages_ledger import text as tagless
from tests.web.sample import cli


@pytest.fixture
def served(
    httpserver: HTTPServer, ledger_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Publishers:
    without_proxies(monkeypatch)
    fill(ledger_engine)  # a BOI USD/ILS of 2025-07-03; the EUR gift of 2025-07-20 has no rate
    ecb = ecb_history(("USD", "ILS"))
    publishers = Publishers(httpserver, boi_from_ecb(ecb), ecb)
    publishers.install()
    run(ledger_engine, lambda s, c: set_setting(s, c, "rates.boi.url", publishers.boi_url))
    return publishers


def text(html: str) -> str:
    return unescape(tagless(html))


def counts(engine: Engine) -> tuple[int, int]:
    with Session(engine) as session:
        return (
            int(session.scalar(select(func.count()).select_from(ExchangeRate)) or 0),
            int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0),
        )


def test_a_treasurer_fetches_what_the_gaps_lack_and_the_gaps_close(
    sign_in: SignIn, served: Publishers, ledger_engine: Engine, ledger_url: str
) -> None:
    client = sign_in(Role.TREASURER)
    page = client.get("/rates").get_data(as_text=True)
    assert 'action="/rates/fetch"' in page
    assert 'name="from" type="date" value="2025-07-13"' in page  # a week before the gap
    token = csrf_token(client, "/rates")

    done = client.post("/rates/fetch", data={"from": "2025-07-13", "csrf_token": token})

    assert done.status_code == 303
    shown = text(client.get(done.headers["Location"]).get_data(as_text=True))
    assert "No gaps: every gift has a rate in force on its date." in shown
    assert "EUR/ILS from the Bank of Israel:" in shown
    assert "the latest of October 30, 2026." in shown
    assert "Recorded: " in shown
    eur = served.boi["EUR"]
    assert f"EUR/ILS = {eur[max(eur)]} (BOI {max(eur).isoformat()}" in cli(
        ledger_url, "rates", "show", max(eur).isoformat(), "EUR", "ILS"
    )
    assert [path.split("?")[0].rsplit("/", 1)[1] for path in served.requests] == [
        "RER_EUR_ILS", "RER_USD_ILS"]  # fmt: skip


def test_a_failed_fetch_writes_nothing_and_says_why(
    sign_in: SignIn, served: Publishers, ledger_engine: Engine
) -> None:
    served.override = lambda request: Response("busy", status=503)
    client = sign_in(Role.TREASURER)
    token = csrf_token(client, "/rates")
    before = counts(ledger_engine)

    failed = client.post("/rates/fetch", data={"from": "2025-07-13", "csrf_token": token,
                                               "source": "boi"})  # fmt: skip

    assert failed.status_code == 422
    shown = text(failed.get_data(as_text=True))
    assert "Nothing was recorded." in shown
    assert "the server answered 503 SERVICE UNAVAILABLE, 2 attempts" in shown
    assert counts(ledger_engine) == before
    assert len(served.requests) == 2  # tried twice, not the CLI's three times


def test_a_viewer_gets_403_and_no_publisher_is_asked(
    sign_in: SignIn, served: Publishers, ledger_engine: Engine
) -> None:
    viewer = sign_in(Role.VIEWER)
    token = csrf_token(viewer, "/")
    assert 'action="/rates/fetch"' not in viewer.get("/rates").get_data(as_text=True)
    before = counts(ledger_engine)
    assert viewer.post("/rates/fetch", data={"csrf_token": token}).status_code == 403
    assert counts(ledger_engine) == before
    assert served.requests == []
