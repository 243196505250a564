"""The browser tests: Playwright (pytest-playwright) driving Debian's Chromium, against the web
interface served by waitress in a thread on a free port of 127.0.0.1, on a ledger of its own
(SQLite and PostgreSQL). Playwright downloads no browser here: it is given /usr/bin/chromium;
without it these tests skip (and fail under FUNDLEDGER_REQUIRE_TOOLS=1, as in CI). Each xdist
worker starts its own browser (pytest-playwright's session fixtures are per process)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page
from sqlalchemy import Engine
from waitress.server import create_server

from fundledger.web import create_app
from tests.system_tools import require_tool
from tests.web.conftest import SECRET, quick_password_hashes

__all__ = ["quick_password_hashes"]  # an autouse fixture: for the browser tests too


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's Chromium, without the sandbox (the tests run as root in CI's container)."""
    return {**browser_type_launch_args, "executable_path": require_tool("chromium"),
            "args": [*browser_type_launch_args.get("args", []), "--no-sandbox"]}  # fmt: skip


@dataclass(frozen=True)
class LiveServer:
    url: str
    engine: Engine
    uploads: Path  # the import wizard's private folder


@pytest.fixture
def live_server(ledger_url: str, ledger_engine: Engine, tmp_path: Path) -> Iterator[LiveServer]:
    require_tool("chromium")  # before starting anything a skipped test would not use
    uploads = tmp_path / "uploads"
    app = create_app(ledger_url, secret_key=SECRET, config={"FUNDLEDGER_IMPORT_DIR": str(uploads)})
    server = create_server(app, host="127.0.0.1", port=0, threads=2)
    port = server.effective_port  # type: ignore[union-attr]  # a single TCP server
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", ledger_engine, uploads)
    finally:
        server.close()
        thread.join(timeout=10)
        app.extensions["fundledger"].engine.dispose()


@pytest.fixture
def page(page: Page) -> Page:
    """pytest-playwright's page, where a step that cannot happen fails in 10 s, not 30: the
    pages answer in milliseconds, and the suite's time limit is shared with everything else.
    (Not an autouse fixture: the browser would then outlive the server, whose waitress thread
    waits for the browser's open connections at teardown.)"""
    page.set_default_timeout(10_000)
    return page
