"""`make demo`: screenshots of the web interface on the sample ledger, each page in English,
Hebrew and Arabic, for the README (reports/examples/web/PAGE-LANGUAGE.png): the read pages, and
the write pages with a form filled in and its preview shown. A preview writes nothing (its
transaction is rolled back), so the sample ledger stays as `fundledger.demo` built it.

The pages are served by waitress in a thread on a free port of 127.0.0.1 and shot by Playwright
driving Debian's Chromium (/usr/bin/chromium; Playwright downloads no browser here). Without
Chromium or Playwright the screenshots are skipped with a line saying what is missing, and the
demo still succeeds: they are pictures for a reader, not a test.
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fundledger.adapters.db.engine import make_engine, transaction
from fundledger.demo import DEMO_PASSWORD, DEMO_USERS, FEATURED_DONOR_EMAIL, SLUG
from fundledger.reports.i18n import LOCALES
from fundledger.services.donations import list_donations
from fundledger.services.donors import donor_with_email, list_donors

if TYPE_CHECKING:
    from playwright.sync_api import Page

DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 360, "height": 780}
# A long page (a campaign's breakdowns) is shot down to this height: enough to show what it
# holds, without a picture taller than a reader scrolls.
TALLEST = 2400
BROWSER_LOCALES = {"en": "en-GB", "he": "he-IL", "ar": "ar"}
USER = "admin"  # sees every page, the audit log included


@dataclass(frozen=True)
class Shot:
    name: str  # the file's name before -LANGUAGE.png
    path: str
    phone: bool = False  # also at 360 px wide (NAME-phone-LANGUAGE.png)
    # What a person does on the page before it is shot: fills a form and sends it (to a
    # preview: nothing is recorded). The page it leads to is the one shot.
    act: Callable[[Page], None] | None = None
    # The shot starts just above this element (a form low on a long page), not at the top.
    focus: str | None = None


@dataclass(frozen=True)
class Sample:
    """What the write pages are shown with: a gift of the sample ledger that still counts,
    the featured donor and another to merge them into (for the merge's confirmation)."""

    gift_id: int | None
    donor_id: int | None
    other_donor_id: int | None


def shots(donor_id: int | None) -> list[Shot]:
    pages = [
        Shot("dashboard", "/", phone=True),
        Shot("campaigns", "/campaigns"),
        Shot("campaign", f"/campaigns/{SLUG}", phone=True),
        Shot("donors", "/donors?q=Cohen"),
        Shot("gifts", f"/gifts?campaign={SLUG}"),
        Shot("rates", "/rates"),
        Shot("receipts", "/receipts"),
        Shot("audit", "/audit"),
    ]
    if donor_id is not None:
        pages.insert(4, Shot("donor", f"/donors/{donor_id}"))
    return pages


def write_shots(sample: Sample, upload: Path) -> list[Shot]:
    """The write pages (the treasurer's and the admin's), each with a form filled in and, where
    it has one, its preview or confirmation: what is recorded is seen before it is."""
    pages = [
        Shot("gift-form", f"/campaigns/{SLUG}/donations/new", phone=True, act=_gift_preview),
        Shot("batch", f"/campaigns/{SLUG}/batch", act=_batch_checked),
        Shot("receipt-batch", "/receipts/batch"),
        Shot("settings", "/settings"),
        # The import wizard: its form, a file's columns to map, the check (a dry run).
        Shot("import-upload", f"/imports/new?campaign={SLUG}"),
        Shot("import-map", f"/imports/new?campaign={SLUG}", act=_uploaded(upload)),
        Shot("import-check", f"/imports/new?campaign={SLUG}", act=_checked(upload)),
    ]
    if sample.gift_id is not None:
        gift = f"/gifts/{sample.gift_id}"
        pages[2:2] = [
            Shot("gift", gift),
            Shot("gift-reverse", gift, act=_reverse_preview),
            Shot("gift-correct", gift, act=_correct_preview),
        ]
    if sample.donor_id is not None:
        donor = f"/donors/{sample.donor_id}"
        pages.append(Shot("donor-edit", donor, focus="#edit-heading"))
        if sample.other_donor_id is not None:
            pages.append(Shot("donor-merge", donor, act=_merge_preview(sample.other_donor_id)))
    return pages


# A spreadsheet a treasurer keeps, its columns named as they like: the wizard's example.
IMPORT_SAMPLE = (
    "Date,Sum,Currency,Name,E-mail,Reference,Volunteer\n"
    "2025-06-22,360.00,ILS,רונית אברהם,ronit@example.org,SHEET-101,Tamar\n"
    "2025-06-23,100.00,USD,Karim Mansour,karim@example.org,SHEET-102,Tamar\n"
    "2025-06-24,250.00,ILS,سلمى عودة,,SHEET-103,Adi\n"
)


def _uploaded(upload: Path) -> Callable[[Page], None]:
    def choose(page: Page) -> None:
        page.set_input_files("#f-file", upload)
        page.click("main form button[type=submit]")

    return choose


def _checked(upload: Path) -> Callable[[Page], None]:
    def check(page: Page) -> None:
        _uploaded(upload)(page)
        page.wait_for_url("**/map")
        page.get_by_label("Sum", exact=True).select_option("amount")
        page.get_by_label("Name", exact=True).select_option("donor")
        page.click("main form button[type=submit]")
        page.wait_for_selector("#counts, #problems")  # the progress page gives way to it

    return check


def _gift_preview(page: Page) -> None:
    page.fill("#gift-date", "2025-06-24")  # within the campaign and its rates (not today)
    page.fill("#gift-amount", "180")
    page.fill("#gift-currency", "USD")
    page.fill("#gift-donor", "Maya Haddad")
    page.fill("#gift-email", "maya.haddad@example.org")
    page.fill("#gift-reference", "PAYPAL-7731")
    page.click("button[name=preview]")


def _batch_checked(page: Page) -> None:
    page.fill("#batch-count", "3")
    page.fill("#batch-total", "950")
    page.fill("#batch-date", "2025-06-26")
    page.fill("#batch-method", "cheque")
    for row, (amount, donor) in enumerate(
        (("250", "Yael Mizrahi"), ("500", "جمعية الأمل"), ("200", "Omar Saleh")), start=1
    ):
        page.fill(f"#amount-{row}", amount)
        page.fill(f"#donor-{row}", donor)
    page.click("button[name=check]")


def _reverse_preview(page: Page) -> None:
    page.fill("#reverse-reason", "card charge-back")
    page.click("section[aria-labelledby=reverse-heading] button[type=submit]")


def _correct_preview(page: Page) -> None:
    page.fill("#correct-amount", "45")
    page.fill("#correct-reason", "the bank credited 45.00")
    page.click("section[aria-labelledby=correct-heading] button[type=submit]")


def _merge_preview(into: int) -> Callable[[Page], None]:
    def merge(page: Page) -> None:
        page.fill("#merge-into", str(into))
        page.fill("#merge-reason", "the same person: one gave by e-mail, one by name")
        page.click("section[aria-labelledby=merge-heading] button[type=submit]")

    return merge


def sample_of(database_url: str) -> Sample:
    """The sample ledger's gift, donor and other donor the write pages are shown with."""
    engine = make_engine(database_url)
    with transaction(engine) as session:
        donor = donor_with_email(session, FEATURED_DONOR_EMAIL)
        # A named gift in dollars that still counts: its page shows the rate used.
        gift = next((entry.id for entry in list_donations(session, SLUG)
                     if entry.donor and not entry.anonymous and entry.amount.currency == "USD"
                     and entry.reverses is None and entry.reversed_by is None), None)  # fmt: skip
        other = next((listed.id for listed in list_donors(session)
                      if donor is None or listed.id != donor.id), None)  # fmt: skip
    engine.dispose()
    return Sample(gift, donor.id if donor is not None else None, other)


def missing() -> str | None:
    """What the screenshots need and this machine lacks, said as the line to print."""
    if shutil.which("chromium") is None:
        return "chromium not found (as root: apt-get install chromium, or .ci/install-tools)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "playwright not installed (pip install -e '.[demo]')"
    return None


@contextmanager
def serving(database_url: str) -> Iterator[str]:
    """The web interface on the ledger, at the URL yielded, until the block ends."""
    from waitress.server import create_server

    from fundledger.web import create_app

    # A key of this run only: the sample ledger's own key file is left to `make serve`.
    app = create_app(database_url, secret_key=secrets.token_urlsafe(48))
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
        thread.join(timeout=10)
        app.extensions["fundledger"].engine.dispose()


def in_language(path: str, language: str) -> str:
    return f"{path}{'&' if '?' in path else '?'}lang={language}"


def sign_in(page: Page, url: str) -> None:
    page.goto(url + "/login")
    page.fill("input[name=username]", USER)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(url + "/")


def shoot(page: Page, url: str, target: Path, shot: Shot | None = None) -> str | None:
    """A screenshot of the page at `url` (after `shot.act`, the page it leads to) into
    `target`; None, or why there is none."""
    answer = page.goto(url)
    if answer is not None and answer.status == 200 and shot is not None and shot.act:
        with page.expect_navigation() as sent:
            shot.act(page)
        answer = sent.value
    if answer is None or answer.status != 200:
        return f"{answer.status if answer else 'no answer'} for {url}"
    top = 0
    if shot is not None and shot.focus:
        top = max(0, int(page.evaluate(
            "(selector) => document.querySelector(selector).getBoundingClientRect().top "
            "+ window.scrollY - 16", shot.focus)))  # fmt: skip
    bottom = int(page.evaluate("document.documentElement.scrollHeight"))
    height = min(TALLEST, bottom - top)
    width = int(page.viewport_size["width"]) if page.viewport_size else DESKTOP["width"]
    page.screenshot(path=target, full_page=True,
                    clip={"x": 0, "y": top, "width": width, "height": height})  # fmt: skip
    small(target)
    return None


def small(png: Path) -> None:
    """The screenshot in 256 colours, undithered: a page of text and flat fills looks the same
    and takes a third of the bytes in the repository."""
    from PIL import Image

    with Image.open(png) as image:
        quantized = image.convert("RGB").quantize(
            colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
        )
    quantized.save(png, optimize=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=Path("reports/examples/demo.db"))
    parser.add_argument("--out", type=Path, default=Path("reports/examples/web"))
    arguments = parser.parse_args()
    lacking = missing()
    if lacking:
        print(f"Web screenshots skipped: {lacking}")
        browser_hint()
        return 0
    from playwright.sync_api import sync_playwright

    database_url = f"sqlite:///{arguments.db}"
    sample = sample_of(database_url)
    arguments.out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="fundledger-demo-"))
    upload = scratch / "volunteers-sheet.csv"  # the name the wizard's pages show
    upload.write_text(IMPORT_SAMPLE, encoding="utf-8")
    made, problems = 0, []
    with serving(database_url) as url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=shutil.which("chromium"),
                                             args=["--no-sandbox"])  # fmt: skip
        try:
            # A page per language whose browser speaks it too (Accept-Language, as its reader's
            # would). Headless Chromium still draws a date field's placeholder as mm/dd/yyyy.
            for language in LOCALES:
                for width, phone in ((DESKTOP, False), (PHONE, True)):
                    page = browser.new_page(viewport=width, locale=BROWSER_LOCALES[language])  # type: ignore[arg-type]
                    if not phone:
                        target = arguments.out / f"login-{language}.png"
                        shoot(page, url + in_language("/login", language), target)
                        made += 1
                    sign_in(page, url)
                    for shot in shots(sample.donor_id) + write_shots(sample, upload):
                        if phone and not shot.phone:
                            continue
                        suffix = "-phone" if phone else ""
                        target = arguments.out / f"{shot.name}{suffix}-{language}.png"
                        problem = shoot(page, url + in_language(shot.path, language), target,
                                        shot)  # fmt: skip
                        if problem:
                            problems.append(f"{shot.name} ({language}): {problem}")
                        else:
                            made += 1
                    page.close()
        finally:
            browser.close()
            shutil.rmtree(scratch, ignore_errors=True)
    print(f"Web screenshots: {made} in {arguments.out}/")
    for problem in problems:
        print(f"  not shot: {problem}", file=sys.stderr)
    browser_hint()
    return 0


def browser_hint() -> None:
    users = " or ".join(DEMO_USERS)
    print(f"In the browser: make serve, open http://127.0.0.1:8000/ and sign in as {users} with "
          f"the password {DEMO_PASSWORD} (this sample ledger only)")  # fmt: skip


if __name__ == "__main__":
    sys.exit(main())
