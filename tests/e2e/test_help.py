"""Every command explains itself and shows an example."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from fundledger.cli import SUBCOMMANDS, cli


def subcommands(group: click.Group) -> list[tuple[str, click.Command]]:
    """A group's subcommands, loading those `fundledger` loads only when named."""
    context = click.Context(group)
    loaded = ((name, group.get_command(context, name)) for name in group.list_commands(context))
    return [(name, command) for name, command in loaded if command is not None]


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in subcommands(group):
        path = (*prefix, name)
        if isinstance(command, click.Group):
            found.extend(all_commands(command, path))
        else:
            found.append(path)
    return found


COMMANDS = all_commands(cli)


def test_the_contract_commands_exist() -> None:
    assert {" ".join(path) for path in COMMANDS} >= {
        "init",
        "campaign add",
        "campaign list",
        "donation add",
        "donation reverse",
        "donation list",
        "rates add",
        "rates show",
        "report campaign",
    }


@pytest.mark.parametrize("path", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(path: tuple[str, ...]) -> None:
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"fundledger {' '.join(path)}" in result.output.split("Example:")[1]


def test_the_listed_lines_are_the_commands_own() -> None:
    """`fundledger --help` lists the commands without importing them (SUBCOMMANDS holds each
    one's line): each line is what the command's own help says."""
    for name, command in subcommands(cli):
        assert SUBCOMMANDS[name][2] == command.get_short_help_str(limit=1000), name
    assert [name for name, _ in subcommands(cli)] == sorted(SUBCOMMANDS)


@pytest.mark.parametrize("arguments", [["--version"], ["--help"], []], ids=" ".join)
def test_version_and_help_load_no_database_code(arguments: list[str]) -> None:
    """What made `fundledger --version` take 0.7 s: every command's module, SQLAlchemy and the
    services imported before anything ran. In a fresh interpreter, the installed entry point."""
    probe = (
        "import sys\n"
        f"sys.argv = ['fundledger', *{arguments!r}]\n"
        "from fundledger.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "loaded = sorted(name for name in sys.modules if name.split('.')[0] in "
        "('sqlalchemy', 'httpx', 'reportlab', 'flask', 'babel') or name.startswith("
        "'fundledger.services'))\n"
        "print('LOADED', loaded, file=sys.stderr)\n"
    )
    ran = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=False)  # fmt: skip
    assert "LOADED []" in ran.stderr, ran.stderr[-2000:]
    assert "fundledger" in ran.stdout + ran.stderr.split("LOADED")[0]
