"""The web interface as issue #23 asks it to be tested, in a real browser (Debian's Chromium),
on SQLite and PostgreSQL: a treasurer signs in, sees the dashboard, opens a campaign in Hebrew
whose figures are the CLI's JSON, downloads its PDF and signs out; a viewer finds no write form
and is refused the write itself; a forged POST writes nothing; the sign-in works from the
keyboard; the dashboard and a campaign page fit a 360 px phone screen."""

from __future__ import annotations

import json
import threading
import unicodedata
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from babel.numbers import format_decimal
from click.testing import CliRunner
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import AuditEvent, Donation
from fundledger.cli import cli
from fundledger.domain.access import Role
from tests.browser.conftest import LiveServer
from tests.ledger_helpers import campaign, gift, rates
from tests.pdf_helpers import text_of
from tests.web.conftest import PASSWORD, add

SLUG = "dont-look-away"
NAME = "Don't Look Away"
SCRIPT_NAME = "<script>alert(1)</script>"
PHONE_WIDTH = 360


@pytest.fixture
def ledger(live_server: LiveServer) -> LiveServer:
    """A campaign with gifts in shekels and dollars (one from a donor named like a script, one
    anonymous), its rates, a treasurer `dana` and a viewer `vic`."""
    engine = live_server.engine
    rates(engine, "2025-06-01 USD ILS 3.7000")
    campaign(engine)
    gift(engine, "2025-06-02 1500.00 ILS", donor="Noa Cohen")
    gift(engine, "2025-06-03 250.00 USD", donor=SCRIPT_NAME)
    gift(engine, "2025-06-04 1000.00 ILS", anonymous=True)
    add(engine, "dana", Role.TREASURER)
    add(engine, "vic", Role.VIEWER)
    return live_server


def watch_errors(page: Page) -> list[str]:
    """Console errors (a CSP violation, a script error) and failed requests, as they come; a
    dialog (an escaped name that ran as script) is one too."""
    errors: list[str] = []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error"
            else None)  # fmt: skip
    page.on("response", lambda answer: errors.append(f"{answer.status} {answer.url}")
            if answer.status >= 400 else None)  # fmt: skip
    page.on("dialog", lambda dialog: (errors.append(f"dialog {dialog.message}"),
                                      dialog.dismiss()))  # fmt: skip
    return errors


def sign_in(page: Page, server: LiveServer, name: str) -> None:
    page.goto(server.url + "/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(server.url + "/")


def shown(text: str) -> str:
    """Text as a reader sees it: without the invisible direction marks and isolates that keep
    figures whole in right-to-left text, every kind of space a plain one."""
    kept = (character for character in text if unicodedata.category(character) != "Cf")
    return " ".join("".join(kept).split())


def figure(amount: str, language: str) -> str:
    """An amount of the JSON ("2425.00") written with the digits and separators of `language`,
    as every page and PDF writes money (reports/i18n.py's Reader.money, without the sign)."""
    return format_decimal(Decimal(amount), format="#,##0.00", locale=language)


def cli_json(url: str) -> str:
    result = CliRunner().invoke(cli, ["--db", url, "report", "campaign", SLUG, "--format",
                                      "json"], prog_name="fundledger")  # fmt: skip
    assert result.exit_code == 0, result.output
    return result.output


def written(engine: Engine) -> tuple[int, int]:
    """(gifts, audit events): what a refused write must leave as it was."""
    with Session(engine) as session:
        gifts = session.scalar(select(func.count()).select_from(Donation))
        events = session.scalar(select(func.count()).select_from(AuditEvent))
        return int(gifts or 0), int(events or 0)


def test_a_treasurer_reads_a_campaign_in_hebrew_downloads_its_pdf_and_signs_out(
    ledger: LiveServer, ledger_url: str, page: Page, tmp_path: Path
) -> None:
    errors = watch_errors(page)
    sign_in(page, ledger, "dana")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    page.locator("main").get_by_role("link", name=NAME).first.click()
    expect(page).to_have_url(f"{ledger.url}/campaigns/{SLUG}")
    page.get_by_role("link", name="עברית", exact=True).click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.locator("html")).to_have_attribute("lang", "he")
    expect(page.get_by_text(SCRIPT_NAME).first).to_be_visible()  # printed, never run

    # The figures are the CLI's, written as Hebrew writes numbers; summary.json is its text.
    report = ledger.url + f"/campaigns/{SLUG}/summary.json"
    expected = cli_json(ledger_url)
    assert page.request.get(report).text() == expected
    text = shown(page.locator("main").inner_text())
    summary = json.loads(expected)
    for amount in (summary["total_ils"], summary["total_usd"],
                   summary["by_currency"]["USD"]["ils"]):  # fmt: skip
        assert figure(amount, "he") in text, (amount, text)
    # A treasurer is offered the gift form (a viewer is not: the test below).
    expect(page.locator(f'form[action*="/campaigns/{SLUG}/donations"]')).to_have_count(1)

    link = page.locator(f'a[href*="/campaigns/{SLUG}/report.pdf"][href*="locale=he"]')
    with page.expect_download() as download_info:
        link.first.click()
    pdf = tmp_path / "report.pdf"
    download_info.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    assert NAME in text_of(pdf)

    page.get_by_role("button", name="יציאה").click()
    expect(page).to_have_url(ledger.url + "/login")
    page.goto(f"{ledger.url}/campaigns/{SLUG}")
    expect(page).to_have_url(f"{ledger.url}/login?next=/campaigns/{SLUG}")
    assert errors == []


def test_a_viewer_finds_no_gift_form_and_is_refused_the_write(
    ledger: LiveServer, page: Page
) -> None:
    sign_in(page, ledger, "vic")
    page.goto(f"{ledger.url}/campaigns/{SLUG}")
    expect(page.get_by_role("heading", name=NAME).first).to_be_visible()
    expect(page.locator(f'form[action*="/campaigns/{SLUG}/donations"]')).to_have_count(0)
    # The write itself, with the viewer's own valid token (from the sign-out form): refused by
    # the service, not only by a hidden form.
    token = page.locator('form.signout input[name="csrf_token"]').get_attribute("value")
    before = written(ledger.engine)
    answer = page.request.post(
        f"{ledger.url}/campaigns/{SLUG}/donations",
        form={
            "date": "2025-06-05",
            "amount": "100.00",
            "currency": "ILS",
            "csrf_token": token or "",
        },
        headers={"Referer": f"{ledger.url}/campaigns/{SLUG}"},
    )
    assert answer.status == 403
    assert written(ledger.engine) == before


@pytest.fixture
def other_origin(ledger: LiveServer) -> Iterator[str]:
    """A page on another origin (another port of this machine) with a form that posts a gift to
    the ledger, as a page elsewhere that a signed-in treasurer visits could."""
    form = (
        f'<!doctype html><form method="post" action="{ledger.url}/campaigns/{SLUG}/donations">'
        '<input name="date" value="2025-06-05"><input name="amount" value="999.00">'
        '<input name="currency" value="ILS"><button type="submit">Win a prize</button></form>'
    ).encode()

    class Forger(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(form)))
            self.end_headers()
            self.wfile.write(form)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Forger)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def test_a_forged_post_from_another_origin_writes_nothing(
    ledger: LiveServer, other_origin: str, page: Page
) -> None:
    sign_in(page, ledger, "dana")  # the treasurer's session cookie is in the browser
    before = written(ledger.engine)
    page.goto(other_origin)
    with page.expect_response(f"{ledger.url}/campaigns/{SLUG}/donations") as answer:
        page.get_by_role("button", name="Win a prize").click()
    assert answer.value.status == 400  # no CSRF token
    assert written(ledger.engine) == before


def test_signing_in_from_the_keyboard(ledger: LiveServer, page: Page) -> None:
    page.goto(ledger.url + "/login")
    for _ in range(12):  # past the skip link and the language links
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == "username":
            break
    assert page.evaluate("document.activeElement.name") == "username"
    page.keyboard.type("dana")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.name") == "password"
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(ledger.url + "/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()


@pytest.mark.parametrize("language", ["en", "he"])
def test_the_dashboard_and_a_campaign_fit_a_phone_screen(
    ledger: LiveServer, page: Page, language: str
) -> None:
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 740})
    sign_in(page, ledger, "vic")
    for path in (f"/?lang={language}", f"/campaigns/{SLUG}?lang={language}"):
        answer = page.goto(ledger.url + path)
        assert answer is not None
        assert answer.status == 200, path
        expect(page.locator("html")).to_have_attribute("lang", language)
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH, f"{path}: the page scrolls sideways ({width} px wide)"
