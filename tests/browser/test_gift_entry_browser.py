"""The gift form in a real browser (Debian's Chromium), on SQLite and PostgreSQL: its script
(static/gift-entry.js, allowed by the CSP as a file of our own) suggests donors as the treasurer
types and, when one is picked, fills in their e-mail; then the gift is saved from the keyboard
with "save and add another", and the form comes back with the date kept and the amount
focused."""

from __future__ import annotations

from datetime import date

from playwright.sync_api import Page, expect
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Donation
from fundledger.domain.access import Role
from fundledger.domain.money import Money
from fundledger.services.donations import record_donation
from tests.browser.conftest import LiveServer
from tests.browser.test_pages import SLUG, sign_in, watch_errors
from tests.ledger_helpers import campaign, gift, rates, run
from tests.web.conftest import add


def test_suggestions_fill_the_email_and_the_keyboard_saves(
    live_server: LiveServer, page: Page
) -> None:
    engine: Engine = live_server.engine
    rates(engine, "2025-06-01 USD ILS 3.7000")
    campaign(engine)
    gift(engine, "2025-06-02 10.00 ILS", donor="Noa Levi")  # by name alone: no e-mail
    # A donor known by e-mail: the one the suggestion must lead the gift to.
    noa = run(engine, lambda s, c: record_donation(
        s, c, campaign_slug=SLUG, on=date(2025, 6, 2), amount=Money.parse("20", "ILS"),
        donor_name="Noa Cohen", donor_email="noa@example.org")).donor_id  # fmt: skip
    add(engine, "dana", Role.TREASURER)
    errors = watch_errors(page)
    sign_in(page, live_server, "dana")
    page.goto(f"{live_server.url}/campaigns/{SLUG}/donations/new")
    page.get_by_label("Date", exact=True).fill("2025-06-05")
    page.get_by_label("Amount", exact=True).fill("77")
    page.get_by_label("Donor", exact=True).press_sequentially("noa", delay=30)
    suggestions = page.locator("#donor-suggestions option")
    expect(suggestions).to_have_count(2)
    expect(suggestions.first).to_have_attribute("value", "Noa Cohen")
    expect(suggestions.first).to_have_attribute("label", "Noa Cohen <noa@example.org> #2")
    donor, email = page.get_by_label("Donor", exact=True), page.get_by_label("E-mail", exact=True)
    # Typed out in full, the name may be another person's of the same name: no e-mail comes.
    donor.fill("")
    donor.press_sequentially("Noa Cohen", delay=30)
    expect(email).to_have_value("")
    # Picked from the list (the browser replaces the text and says so, as Chromium does for a
    # datalist choice): their e-mail comes with it, so the gift goes to them.
    donor.evaluate(
        "field => { field.value = 'Noa Cohen'; field.dispatchEvent(new InputEvent("
        "'input', {inputType: 'insertReplacementText', bubbles: true})); }"
    )
    expect(email).to_have_value("noa@example.org")
    page.get_by_label("Amount", exact=True).press("Enter")  # the first button: save and add another
    expect(page).to_have_url(
        f"{live_server.url}/campaigns/{SLUG}/donations/new?date=2025-06-05#gift-amount"
    )
    expect(page.get_by_role("status")).to_contain_text("Recorded gift #")
    expect(page.get_by_label("Date", exact=True)).to_have_value("2025-06-05")
    expect(page.get_by_label("Amount", exact=True)).to_be_focused()
    with Session(engine) as session:
        saved = session.scalars(select(Donation).order_by(Donation.id.desc())).first()
    assert saved is not None
    assert (saved.amount_minor, saved.donor_id) == (7700, noa)
    assert errors == []
