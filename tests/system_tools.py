"""Programs from outside Python that some tests run, and what happens when one is missing.

`make test` installs them as root (.ci/install-tools). Elsewhere a missing one skips exactly
the tests that need it, each skip naming the program and its package, and the run's header
lists what is missing. CI sets FUNDLEDGER_REQUIRE_TOOLS=1: there a missing one fails the test.
"""

from __future__ import annotations

import os
import shutil

import pytest

# program: the Debian package that brings it (the same list as .ci/install-tools).
TOOLS = {
    "pdftotext": "poppler-utils",  # the text of a PDF in reading order / as laid out
    "sqlite3": "sqlite3",  # a SQLite ledger changed behind fundledger's back
    "psql": "postgresql-client",  # the same on PostgreSQL
    "chromium": "chromium",  # the browser tests (tests/browser) drive Debian's Chromium
}
REQUIRE_TOOLS = os.environ.get("FUNDLEDGER_REQUIRE_TOOLS", "") == "1"


def missing_tools() -> list[str]:
    return [tool for tool in TOOLS if shutil.which(tool) is None]


def require_tool(tool: str) -> str:
    """The path of `tool`; when it is missing, skip the test (fail it under CI's
    FUNDLEDGER_REQUIRE_TOOLS=1), naming the program and the package to install."""
    found = shutil.which(tool)
    if found:
        return found
    message = (
        f"{tool} not found: this test needs it; install {TOOLS[tool]} (`make test` does, as root)"
    )
    if REQUIRE_TOOLS:
        pytest.fail(f"{message} [FUNDLEDGER_REQUIRE_TOOLS=1]", pytrace=False)
    pytest.skip(message)
