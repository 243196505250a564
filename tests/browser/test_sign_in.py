"""In a real browser: sign in, see the landing page, sign out (no JavaScript needed)."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from fundledger.domain.access import Role
from fundledger.services.campaigns import add_campaign
from tests.browser.conftest import LiveServer
from tests.ledger_helpers import run
from tests.web.conftest import PASSWORD, add


def test_sign_in_see_the_landing_page_and_sign_out(live_server: LiveServer, page: Page) -> None:
    add(live_server.engine, "dana", Role.TREASURER)
    run(live_server.engine, lambda s, c: add_campaign(s, c, slug="dont-look-away",
                                                      name="Don't Look Away"))  # fmt: skip
    errors: list[str] = []  # a CSP violation or a missing file is reported here
    page.on("console", lambda message: errors.append(message.text) if message.type == "error"
            else None)  # fmt: skip
    page.on("response", lambda answer: errors.append(f"{answer.status} {answer.url}")
            if answer.status >= 400 else None)  # fmt: skip
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + "/login")
    page.get_by_label("User name").fill("dana")
    page.get_by_label("Password").fill("wrong password!")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_have_text("Wrong user name or password.")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("heading", name="Dashboard")).to_be_visible()
    expect(page.get_by_text("Don't Look Away")).to_be_visible()
    expect(page.get_by_text("dana (treasurer)")).to_be_visible()
    page.get_by_role("link", name="עברית").click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading", name="לוח בקרה")).to_be_visible()
    page.get_by_role("button", name="יציאה").click()
    expect(page).to_have_url(live_server.url + "/login")
    expect(page.locator("html")).to_have_attribute("lang", "he")  # the choice outlives sign-out
    page.goto(live_server.url + "/")
    expect(page).to_have_url(live_server.url + "/login")
    assert errors == []
