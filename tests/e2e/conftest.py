"""Fixtures of the end-to-end tests: empty ledgers and ledgers with a campaign."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.shell import Shell


@pytest.fixture
def shell(empty_database_url: str, tmp_path: Path) -> Shell:
    return Shell(empty_database_url, tmp_path)


@pytest.fixture
def quick_shell(empty_database_url: str, tmp_path: Path) -> Shell:
    return Shell(empty_database_url, tmp_path, in_process=True)


def with_campaign(shell: Shell, *, initialised: bool = False) -> Shell:
    if not initialised:
        shell.run("init")
    shell.run(
        "campaign", "add", "dont-look-away", "--name", "Don't Look Away", "--goal", "800000",
        "--start", "2025-06-20", "--end", "2025-07-20", "--partner", "Arava Institute",
    )  # fmt: skip
    shell.run("rates", "add", "2025-07-03", "USD", "ILS", "3.376")
    return shell


@pytest.fixture
def ledger(shell: Shell) -> Shell:
    return with_campaign(shell)


@pytest.fixture
def quick_ledger(quick_shell: Shell) -> Shell:
    return with_campaign(quick_shell)
