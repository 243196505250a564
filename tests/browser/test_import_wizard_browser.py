"""The import wizard in a real browser (Debian's Chromium), on SQLite and PostgreSQL, in
Arabic: a file chosen through the page's own file input, its columns mapped, the dry run's
page (reached through the progress page, which refreshes itself while the job runs in the
server's worker thread), the import confirmed and its result shown, with the ledger holding
exactly the file's gifts."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

from fundledger.adapters.db.models import Donation
from fundledger.domain.access import Role
from tests.browser.conftest import LiveServer
from tests.browser.test_pages import SLUG, sign_in, watch_errors
from tests.ledger_helpers import campaign, rates
from tests.web.conftest import add

FILE = (
    "Date,Sum,Currency,Name,Reference\n"
    "2025-06-02,120.00,ILS,عبد الله,b-1\n"
    "2025-06-03,40.00,USD,Noa Levi,b-2\n"
)


def test_upload_map_check_and_import_in_arabic(
    live_server: LiveServer, page: Page, tmp_path: Path
) -> None:
    engine = live_server.engine
    rates(engine, "2025-06-01 USD ILS 3.7000")
    campaign(engine)
    add(engine, "dana", Role.TREASURER)
    errors = watch_errors(page)
    sign_in(page, live_server, "dana")
    file = tmp_path / "تبرعات حزيران.csv"  # kept by its name, as the treasurer knows it
    file.write_text(FILE, encoding="utf-8")
    page.goto(f"{live_server.url}/imports/new?campaign={SLUG}&lang=ar")
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    page.get_by_label("الملف (CSV)").set_input_files(file)
    page.get_by_role("button", name="ارفع وتابع").click()
    # The map step: "Sum" is no field's name, so it is chosen here; "Name" is read as donor.
    expect(page.get_by_role("heading", level=1)).to_contain_text("تبرعات حزيران.csv")
    page.get_by_label("Sum", exact=True).select_option("amount")
    page.get_by_label("Name", exact=True).select_option("donor")
    page.get_by_role("button", name="افحص الملف").click()
    # The dry run: the first rows as read, and the button that imports them.
    rows = page.locator("#first-rows tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("عبد الله")
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Donation)) == 0
    page.get_by_role("button", name=re.compile("^استيراد تبرعين")).click()  # (2), isolated
    expect(page.locator("#counts")).to_be_visible()
    expect(page.get_by_role("link", name=f"تبرعات {SLUG}")).to_be_visible()
    with engine.connect() as connection:
        assert connection.scalar(select(func.count()).select_from(Donation)) == 2
    assert errors == []
