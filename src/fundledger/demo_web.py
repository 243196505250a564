"""`make demo`: screenshots of the web interface on the sample ledger, each page in English,
Hebrew and Arabic, for the README (reports/examples/web/PAGE-LANGUAGE.png).

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
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fundledger.adapters.db.engine import make_engine, transaction
from fundledger.demo import DEMO_PASSWORD, DEMO_USERS, FEATURED_DONOR_EMAIL, SLUG
from fundledger.reports.i18n import LOCALES
from fundledger.services.donors import donor_with_email

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


def shoot(page: Page, url: str, target: Path) -> str | None:
    """A screenshot of the page at `url` into `target`; None, or why there is none."""
    answer = page.goto(url)
    if answer is None or answer.status != 200:
        return f"{answer.status if answer else 'no answer'} for {url}"
    height = min(TALLEST, int(page.evaluate("document.documentElement.scrollHeight")))
    width = int(page.viewport_size["width"]) if page.viewport_size else DESKTOP["width"]
    page.screenshot(path=target, full_page=True,
                    clip={"x": 0, "y": 0, "width": width, "height": height})  # fmt: skip
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
    engine = make_engine(database_url)
    with transaction(engine) as session:
        donor = donor_with_email(session, FEATURED_DONOR_EMAIL)
        donor_id = donor.id if donor is not None else None
    engine.dispose()
    arguments.out.mkdir(parents=True, exist_ok=True)
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
                    for shot in shots(donor_id):
                        if phone and not shot.phone:
                            continue
                        suffix = "-phone" if phone else ""
                        target = arguments.out / f"{shot.name}{suffix}-{language}.png"
                        problem = shoot(page, url + in_language(shot.path, language), target)
                        if problem:
                            problems.append(f"{shot.name} ({language}): {problem}")
                        else:
                            made += 1
                    page.close()
        finally:
            browser.close()
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
