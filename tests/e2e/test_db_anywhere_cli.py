"""`--db` after any subcommand (issue #22 item 3), and shell completion answering."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from fundledger.cli import cli
from fundledger.cli.common import Ledger
from tests.e2e.shell import FUNDLEDGER, Shell
from tests.e2e.test_help import subcommands


def every_command(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """Every subcommand's path, groups as well as their leaves."""
    found: list[tuple[str, ...]] = []
    for name, command in subcommands(group):
        found.append((*prefix, name))
        if isinstance(command, click.Group):
            found.extend(every_command(command, (*prefix, name)))
    return found


COMMANDS = every_command(cli)


def test_the_walk_reaches_nested_commands() -> None:
    names = {" ".join(path) for path in COMMANDS}
    assert {"donor merge", "rates show", "import donations", "report campaign"} <= names


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_accepts_db_after_it(path: tuple[str, ...], tmp_path: Path) -> None:
    # Whatever the command goes on to say (a missing argument, no ledger there), the --db given
    # after it is the ledger it works on, over the group's --db and over FUNDLEDGER_DB.
    given = f"sqlite:///{tmp_path / 'given-after.db'}"
    ledger = Ledger(url="sqlite:///never-used.db")
    here = Path.cwd()
    os.chdir(tmp_path)
    try:
        result = CliRunner().invoke(
            cli,
            ["--db", f"sqlite:///{tmp_path / 'given-first.db'}", *path, "--db", given],
            obj=ledger,
            env={"FUNDLEDGER_DB": f"sqlite:///{tmp_path / 'from-environment.db'}"},
            input="",
        )
    finally:
        os.chdir(here)
    assert "No such option" not in result.output, result.output
    assert ledger.url == given
    assert not (tmp_path / "given-first.db").exists()


def test_db_after_the_subcommand_wins(quick_ledger: Shell, tmp_path: Path) -> None:
    real = quick_ledger.database_url
    missing = f"sqlite:///{tmp_path / 'missing.db'}"
    quick_ledger.run("donation", "add", "dont-look-away", "--date", "2025-07-03",
                     "--amount", "100", "--currency", "ILS")  # fmt: skip
    # FUNDLEDGER_DB (the shell's) is the real ledger; --db given later points elsewhere.
    assert "no ledger at" in quick_ledger.fails("report", "campaign", "dont-look-away",
                                                "--db", missing)  # fmt: skip
    # The group's --db is missing, the later one real: the later one wins.
    shown = quick_ledger.run("--db", missing, "report", "campaign", "dont-look-away",
                             "--format", "json", "--db", real)  # fmt: skip
    assert '"slug": "dont-look-away"' in shown.stdout
    # Nested groups too.
    assert "USD/ILS = 3.376" in quick_ledger.run("--db", missing, "rates", "show", "2025-07-03",
                                                 "USD", "ILS", "--db", real).stdout  # fmt: skip
    assert "dont-look-away" in quick_ledger.run("campaign", "list", "--db", real).stdout


def test_fundledger_db_alone_still_works(quick_ledger: Shell) -> None:
    assert "dont-look-away" in quick_ledger.run("campaign", "list").stdout


def complete(variable: str, words: str = "", cword: int = 0) -> str:
    """What the installed command answers a shell's completion request with."""
    environment = {**os.environ, "_FUNDLEDGER_COMPLETE": variable}
    if words:
        environment |= {"COMP_WORDS": words, "COMP_CWORD": str(cword)}
    completed = subprocess.run([str(FUNDLEDGER)], capture_output=True, text=True,
                               env=environment, check=True)  # fmt: skip
    return completed.stdout


def test_completion_lists_subcommands() -> None:
    assert complete("bash_complete", "fundledger re", 1).split() == [
        "plain,receipt", "plain,report", "plain,restore",
    ]  # fmt: skip
    nested = complete("zsh_complete", "fundledger donor ", 2).splitlines()
    assert {"list", "merge", "unmerge"} <= set(nested)
    assert "plain,--db" in complete("bash_complete", "fundledger report campaign --d", 3)


@pytest.mark.parametrize(
    ("shell", "marker"),
    [("bash", "_fundledger_completion()"), ("zsh", "#compdef fundledger"),
     ("fish", "complete --no-files --command fundledger")],
)  # fmt: skip
def test_completion_scripts_for_each_shell(shell: str, marker: str) -> None:
    assert marker in complete(f"{shell}_source")
