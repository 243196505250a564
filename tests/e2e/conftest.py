"""Fixtures of the end-to-end tests: empty ledgers and ledgers with a campaign."""

from __future__ import annotations

from dataclasses import replace
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
    """The ledger made and a campaign with a rate added by the same commands, run in this
    process (a command's own process costs a second of start-up on 2 busy cores, three per
    test): what a test then runs goes through `shell` as it is, the installed command."""
    setup = replace(shell, in_process=True)
    if not initialised:
        setup.run("init")
    setup.run(
        "campaign", "add", "dont-look-away", "--name", "Don't Look Away", "--goal", "800000",
        "--start", "2025-06-20", "--end", "2025-07-20", "--partner", "Arava Institute",
    )  # fmt: skip
    setup.run("rates", "add", "2025-07-03", "USD", "ILS", "3.376")
    return shell


@pytest.fixture
def ledger(shell: Shell) -> Shell:
    return with_campaign(shell)


@pytest.fixture
def quick_ledger(quick_shell: Shell) -> Shell:
    return with_campaign(quick_shell)
