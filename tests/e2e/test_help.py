"""Every command explains itself and shows an example."""

from __future__ import annotations

import click
import pytest
from click.testing import CliRunner

from fundledger.cli import cli


def all_commands(group: click.Group, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found: list[tuple[str, ...]] = []
    for name, command in sorted(group.commands.items()):
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
