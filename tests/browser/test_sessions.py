"""Issue #24's sessions in a real browser (Debian's Chromium), on SQLite and PostgreSQL.

A treasurer's: three gifts entered with "save and add another" (one in dollars, one anonymous,
one from a new donor) move the campaign's total by exactly their sum; Stripe's export through
the import wizard, refused for a bad line, fixed, imported, then uploaded again to no effect; a
gift corrected and another reversed through their confirmations; the campaign's receipts issued
in bulk and downloaded as a zip; then in Arabic, a receipt issued for عبد الله that prints his
name whole.
Every figure is compared with the CLI's JSON. A viewer's: no write control on any page, and
every write route of the application answers 403 to a forged request that carries the
viewer's valid session and CSRF token, with nothing written. And a gift entered with the
keyboard alone."""

from __future__ import annotations

import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from playwright.sync_api import Page, expect
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import (
    AuditEvent,
    Donation,
    Donor,
    ExchangeRate,
    ImportProfile,
    Receipt,
    Setting,
)
from fundledger.cli import cli
from fundledger.domain.access import Role
from fundledger.domain.dates import today_in_israel
from fundledger.services.campaigns import add_campaign
from fundledger.services.settings import set_setting
from fundledger.web import create_app
from tests.browser.conftest import LiveServer
from tests.browser.test_pages import figure, shown, sign_in, watch_errors
from tests.ledger_helpers import campaign, gift, rates, run
from tests.pdf_helpers import text_of
from tests.web.conftest import PASSWORD, SECRET, add

SLUG = "dont-look-away"
SAMPLES = Path(__file__).parents[2] / "samples"  # the exports the README tour imports
OTHER = "winter-appeal"
USD_ILS = Decimal("3.7000")
ABDALLAH = "عبد الله"


def cli_json(url: str, *arguments: str) -> Any:
    result = CliRunner().invoke(cli, ["--db", url, *arguments, "--format", "json"],
                                prog_name="fundledger")  # fmt: skip
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def report(url: str, slug: str = SLUG) -> dict[str, Any]:
    return cli_json(url, "report", "campaign", slug)  # type: ignore[no-any-return]


def _whole(text: str) -> str:
    # pdftotext marks the direction of what it read with embeddings: its markup, not ours.
    return " ".join(re.sub("[\u202a-\u202e]", "", text).split())


@pytest.fixture
def ledger(live_server: LiveServer) -> LiveServer:
    """Two campaigns, USD/ILS at 3.7 from 2025-06-01, the organisation's details for
    receipts; gifts #1 (Noa Cohen, 1,500 ILS) and #2 (Amir Tal, 40 USD) in the first, #3 from
    عبد الله in the second; a treasurer `dana` and a viewer `vic`."""
    engine = live_server.engine
    rates(engine, "2025-06-01 USD ILS 3.7000")
    for day in ("07-01", "07-08", "07-15", "07-22"):  # the Stripe export's gifts are of July
        rates(engine, f"2025-{day} USD ILS 3.3820", f"2025-{day} EUR ILS 3.8880")
    campaign(engine)
    run(engine, lambda s, c: add_campaign(s, c, slug=OTHER, name="Winter Appeal"))
    for key, value in (("organisation.name.en", "Peace Coalition"),
                       ("organisation.name.ar", "ائتلاف السلام"),
                       ("organisation.section46.approval", "4512"),
                       ("organisation.section46.valid_until", "2030-12-31"),
                       ("organisation.registration", "580123456")):  # fmt: skip
        run(engine, lambda s, c, key=key, value=value: set_setting(s, c, key, value))
    gift(engine, "2025-06-02 1500.00 ILS", donor="Noa Cohen")
    gift(engine, "2025-06-03 40.00 USD", donor="Amir Tal")
    gift(engine, "2025-06-04 180.00 ILS", donor=ABDALLAH, slug=OTHER)
    add(engine, "dana", Role.TREASURER)
    add(engine, "vic", Role.VIEWER)
    return live_server


def enter(page: Page, amount: str, *, currency: str = "", donor: str = "", email: str = "",
          anonymous: bool = False) -> None:  # fmt: skip
    """One gift into the open form, saved with "save and add another"."""
    page.get_by_label("Amount", exact=True).fill(amount)
    page.get_by_label("Currency", exact=True).fill(currency)
    page.get_by_label("Donor", exact=True).fill(donor)
    page.get_by_label("E-mail", exact=True).fill(email)
    if anonymous:
        page.get_by_label("Anonymous", exact=False).check()
    page.get_by_role("button", name="Save and add another").click()
    expect(page.get_by_role("status")).to_contain_text("Recorded gift #")
    expect(page.get_by_label("Date", exact=True)).to_have_value("2025-06-05")


def upload(page: Page, server: LiveServer, file: Path) -> None:
    """A platform export through the wizard's first step, to its dry run's page."""
    page.goto(f"{server.url}/imports/new?campaign={SLUG}")
    page.get_by_label("File (CSV)").set_input_files(file)
    page.get_by_label("Profile").select_option("stripe")
    page.get_by_role("button", name="Upload and continue").click()
    expect(page.locator("#counts, #problems, #earlier").first).to_be_visible()


def test_a_treasurers_session_from_entry_to_receipts_in_arabic(
    ledger: LiveServer, ledger_url: str, page: Page, tmp_path: Path
) -> None:
    errors = watch_errors(page)
    before = report(ledger_url)
    sign_in(page, ledger, "dana")
    page.locator("main").get_by_role("link", name="Don't Look Away").first.click()
    page.get_by_role("link", name="The gift form on a page of its own").click()

    # Three gifts at a sitting; the date is kept from one to the next.
    page.get_by_label("Date", exact=True).fill("2025-06-05")
    enter(page, "100", currency="USD", donor="Noa Cohen")
    enter(page, "250", donor="Hidden Friend", anonymous=True)
    # A new donor: the preview says one will be created, and values the gift first.
    page.get_by_label("Amount", exact=True).fill("180.50")
    page.get_by_label("Donor", exact=True).fill("Yosef Haddad")
    page.get_by_label("E-mail", exact=True).fill("yosef@example.org")
    page.get_by_role("button", name="Preview").click()
    preview = shown(page.locator("#preview").inner_text())
    assert "new donor" in preview.lower(), preview
    assert figure("180.50", "en") in preview
    assert figure(str((Decimal("180.50") / USD_ILS).quantize(Decimal("0.01"))), "en") in preview
    page.get_by_role("button", name="Save and add another").click()
    expect(page.get_by_role("status")).to_contain_text("Recorded gift #")

    entered = Decimal("100") * USD_ILS + Decimal("250") + Decimal("180.50")
    after = report(ledger_url)
    assert Decimal(after["total_ils"]) - Decimal(before["total_ils"]) == entered
    assert after["donation_count"] == before["donation_count"] + 3
    # The dashboard and the campaign's page show the CLI's figures at once.
    page.goto(ledger.url + "/")
    assert figure(after["total_ils"], "en") in shown(page.locator("main").inner_text())
    assert page.request.get(f"{ledger.url}/campaigns/{SLUG}/summary.json").json() == after
    listed = cli_json(ledger_url, "donation", "list", SLUG)
    new = {row["donor"] or "": row for row in listed[-3:]}
    assert new["Hidden Friend"]["anonymous"] is True
    assert (new["Noa Cohen"]["amount"], new["Noa Cohen"]["currency"]) == ("100.00", "USD")
    assert new["Yosef Haddad"]["email"] == "yosef@example.org"

    # Stripe's export through the wizard: a bad line refused with its line, fixed, imported;
    # the same file again adds nothing.
    export = (SAMPLES / "stripe-payments.csv").read_text(encoding="utf-8")
    broken = tmp_path / "unified_payments.csv"
    broken.write_text(export.replace(",1200.00,0.00,ils,", ",12OO.00,0.00,ils,"), "utf-8")
    upload(page, ledger, broken)
    expect(page.locator("#problems")).to_have_text(
        "unified_payments.csv:4: Amount: '12OO.00' is not an amount"
    )
    assert report(ledger_url) == after
    fixed = tmp_path / "unified_payments-fixed.csv"
    fixed.write_text(export, "utf-8")
    upload(page, ledger, fixed)
    expect(page.locator("#counts")).to_contain_text("New gifts")
    page.get_by_role("button", name=re.compile(r"^Import \d+ gifts?$")).click()
    expect(page.locator("#counts")).to_contain_text("Gifts added")
    imported = report(ledger_url)
    added = int(shown(page.locator("#counts dd").first.inner_text()))
    assert added > 0
    refunded = int(shown(page.locator('#counts dt:has-text("Refunds") + dd').inner_text()))
    # A refunded charge is recorded and reversed at once: it leaves the campaign's count.
    assert imported["donation_count"] - after["donation_count"] == added - refunded
    assert page.request.get(f"{ledger.url}/campaigns/{SLUG}/summary.json").json() == imported
    page.get_by_role("link", name=re.compile(f"{SLUG}")).first.click()
    expect(page.locator("main")).to_contain_text("Sarah Miller")
    upload(page, ledger, fixed)
    expect(page.locator("#earlier")).to_contain_text("imported before")
    assert report(ledger_url) == imported
    after = imported

    # Correct gift #2 (40 → 45 USD), reverse gift #1; each shown before it is recorded.
    page.goto(f"{ledger.url}/gifts/2")
    page.locator("#correct-amount").fill("45.00")
    page.locator("#correct-reason").fill("the bank's statement says 45")
    page.locator("#correct-amount").locator("xpath=ancestor::form").get_by_role(
        "button", name="Show what changes").click()  # fmt: skip
    expect(page.get_by_role("button", name="Confirm the correction")).to_be_visible()
    assert report(ledger_url) == after  # nothing recorded yet
    page.get_by_role("button", name="Confirm the correction").click()
    page.goto(f"{ledger.url}/gifts/1")
    page.locator("#reverse-reason").fill("refunded to the donor")
    page.locator("#reverse-reason").locator("xpath=ancestor::form").get_by_role(
        "button", name="Show what changes").click()  # fmt: skip
    page.get_by_role("button", name="Confirm the reversal").click()
    corrected = report(ledger_url)
    change = Decimal("5") * USD_ILS - Decimal("1500.00")
    assert Decimal(corrected["total_ils"]) - Decimal(after["total_ils"]) == change
    page.goto(f"{ledger.url}/campaigns/{SLUG}")
    assert figure(corrected["total_ils"], "en") in shown(page.locator("main").inner_text())
    listed = {row["id"]: row for row in cli_json(ledger_url, "donation", "list", SLUG)}
    assert listed[1]["reversed"] is True
    assert any(row["corrects"] == 2 and row["amount"] == "45.00" for row in listed.values())

    # The campaign's unreceipted gifts receipted in bulk, then downloaded as one zip.
    page.goto(f"{ledger.url}/receipts/batch")
    page.get_by_label("Campaign").select_option(SLUG)
    page.get_by_role("button", name="Issue the receipts").click()
    receipts = cli_json(ledger_url, "receipt", "list")
    numbers = sorted(row["number"] for row in receipts)
    assert len(numbers) >= 3
    with page.expect_download() as download:
        page.get_by_role("link", name="Download them as a zip").click()
    archive = tmp_path / "receipts.zip"
    download.value.save_as(archive)
    with zipfile.ZipFile(io.BytesIO(archive.read_bytes())) as bundle:
        names = sorted(bundle.namelist())
        assert len(names) == len(numbers)
        assert all(bundle.read(name).startswith(b"%PDF") for name in names)
    assert all(any(number in name for name in names) for number in numbers)

    # In Arabic: عبد الله's gift gets its receipt, in Arabic, his name printed whole.
    page.get_by_role("link", name="العربية", exact=True).click()
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.goto(f"{ledger.url}/receipts")
    page.locator('input[name="donation"]').fill("3")
    page.locator("#i-locale").select_option("ar")
    page.locator('form[action$="/receipts/issue"] button[type="submit"]').click()
    expect(page.locator("p.notice[role=status]")).to_contain_text("للتبرع رقم 3")
    (issued,) = [row for row in cli_json(ledger_url, "receipt", "list") if row["donation"] == 3]
    assert (issued["donor"], issued["home"]) == (ABDALLAH, "180.00")
    with page.expect_download() as download:
        series, year, number = issued["number"].split("-")
        page.locator(f'a[href*="/{series}/{year}/{number}.pdf"]').first.click()
    pdf = tmp_path / "abdallah.pdf"
    download.value.save_as(pdf)
    words = _whole(text_of(pdf))
    assert ABDALLAH in words
    assert "ائتلاف السلام" in words  # the organisation as an Arabic receipt names it
    assert "\ufffd" not in words
    assert errors == []


def written(engine: Engine) -> tuple[int, ...]:
    """Every table a write adds to: a refused request must leave each count as it was."""
    with Session(engine) as session:
        return tuple(int(session.scalar(select(func.count()).select_from(model)) or 0)
                     for model in (AuditEvent, Donation, Donor, ExchangeRate, ImportProfile,
                                   Receipt, Setting))  # fmt: skip


# Routes any signed-in user may post to (their own session), and routes that are not writes.
NOT_WRITES = {"/login", "/logout"}


def write_routes(url: str) -> list[str]:
    """Every POST route the application serves, its parameters filled in with the ledger's."""
    app = create_app(url, secret_key=SECRET)
    try:
        values = {"slug": SLUG, "gift_id": "2", "donor_id": "1", "series": "R", "year": "2025",
                  "number": "00001", "token": "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5"}  # fmt: skip
        routes = []
        for rule in app.url_map.iter_rules():
            if "POST" not in (rule.methods or ()) or rule.rule in NOT_WRITES:
                continue
            path = rule.rule
            for name in rule.arguments:
                path = re.sub(rf"<(?:[a-z]+:)?{name}>", values[name], path)
            routes.append(path)
        return sorted(routes)
    finally:
        app.extensions["fundledger"].engine.dispose()


def test_a_viewer_sees_no_write_control_and_every_forged_write_is_refused(
    ledger: LiveServer, ledger_url: str, page: Page
) -> None:
    sign_in(page, ledger, "vic")
    for path in ("/", f"/campaigns/{SLUG}", "/campaigns", "/gifts", "/gifts/2", "/donors",
                 "/donors/1", "/rates"):  # fmt: skip
        page.goto(ledger.url + path)
        assert page.locator("main form[method=post]").count() == 0, path
        assert page.locator('main input[type="file"]').count() == 0, path
    token = page.locator('form.signout input[name="csrf_token"]').get_attribute("value") or ""
    routes = write_routes(ledger_url)
    # The writes of the issue, at the least: each found in the application, none forgotten.
    for expected in (f"/campaigns/{SLUG}/donations", "/gifts/2/reverse", "/gifts/2/correct",
                     "/donors/1/edit", "/donors/1/merge", "/receipts/issue", "/receipts/batch",
                     "/rates", "/rates/import", "/settings", "/imports"):  # fmt: skip
        assert expected in routes, (expected, routes)
    before = written(ledger.engine)
    plausible = {"csrf_token": token, "date": "2025-06-05", "amount": "100", "currency": "ILS",
                 "donor": "Forged", "reason": "forged", "confirm": "1", "campaign": SLUG,
                 "donation": "1", "into": "2", "key": "organisation.name.en", "value": "X",
                 "rate": "3.9", "base": "USD", "quote": "ILS", "rows": "1", "count": "1",
                 "total": "100", "profile_name": "forged", "profile_reason": "forged",
                 "column-0": "date", "column-1": "amount"}  # fmt: skip
    for path in routes:
        answer = page.request.post(ledger.url + path, form=plausible,
                                   headers={"Referer": ledger.url + "/"})  # fmt: skip
        assert answer.status == 403, (path, answer.status)
        upload = page.request.post(
            ledger.url + path, headers={"Referer": ledger.url + "/"},
            multipart={"csrf_token": token, "file": {"name": "rates.csv", "mimeType": "text/csv",
                       "buffer": b"date,base,quote,rate\n2025-06-05,USD,ILS,3.9\n"}},
        )  # fmt: skip
        assert upload.status == 403, (path, upload.status)
    assert written(ledger.engine) == before
    # Nor was any upload kept: the wizard asks for the role before it reads the file.
    assert not ledger.uploads.exists() or not any(ledger.uploads.iterdir())


def test_a_gift_entered_with_the_keyboard_alone(
    ledger: LiveServer, ledger_url: str, page: Page
) -> None:
    today = today_in_israel().isoformat()
    rates(ledger.engine, f"{today} USD ILS 3.6500")
    before = report(ledger_url)
    page.goto(ledger.url + "/login")
    page.keyboard.press("Tab")  # the skip link first, then the form
    for _ in range(10):
        if page.evaluate("document.activeElement.name") == "username":
            break
        page.keyboard.press("Tab")
    page.keyboard.type("dana")
    page.keyboard.press("Tab")
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(ledger.url + "/")
    page.goto(f"{ledger.url}/campaigns/{SLUG}/donations/new")
    # The date defaults to today (a rate is in force), the amount has the focus; each field
    # is the next one along the Tab key.
    expect(page.get_by_label("Date", exact=True)).to_have_value(today)
    expect(page.get_by_label("Amount", exact=True)).to_be_focused()
    page.keyboard.type("321.50")
    page.keyboard.press("Tab")
    page.keyboard.type("ILS")
    page.keyboard.press("Tab")
    page.keyboard.type("Keren Or")
    page.keyboard.press("Tab")
    page.keyboard.type("keren@example.org")
    page.keyboard.press("Tab")
    page.keyboard.type("cash")
    page.keyboard.press("Tab")
    expect(page.get_by_label("Reference", exact=True)).to_be_focused()
    page.keyboard.press("Enter")  # the first button: save and add another
    expect(page.get_by_role("status")).to_contain_text("Recorded gift #")
    expect(page.get_by_label("Amount", exact=True)).to_be_focused()
    after = report(ledger_url)
    assert Decimal(after["total_ils"]) - Decimal(before["total_ils"]) == Decimal("321.50")
    newest = cli_json(ledger_url, "donation", "list", SLUG)[-1]
    assert (newest["date"], newest["donor"], newest["email"], newest["method"]) == (
        today,
        "Keren Or",
        "keren@example.org",
        "cash",
    )
