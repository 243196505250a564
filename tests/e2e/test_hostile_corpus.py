"""The hostile corpus (tests/data/hostile, issue #20): each file run through the command its
manifest names, on a fresh ledger of each database kind.

A refused file gets its exit status, one message line naming the file, the line and the field,
never a traceback, nothing on stdout and not one row written. An accepted file adds what its
manifest says (nothing at all, for an export imported before and re-saved since).
"""

from __future__ import annotations

import re
import shutil
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from fundledger.adapters.db.engine import make_engine
from fundledger.adapters.db.models import Donation
from tests.e2e.conftest import with_campaign
from tests.e2e.shell import Shell

HOSTILE = Path(__file__).resolve().parents[1] / "data" / "hostile"
MANIFEST_NAME = "MANIFEST.toml"
MANIFEST: dict[str, dict[str, Any]] = tomllib.loads(
    (HOSTILE / MANIFEST_NAME).read_text(encoding="utf-8")
)
KEYS = {"why", "run", "options", "exit", "first", "stderr", "contains", "problems", "stdout",
        "donations", "rates", "dates"}  # fmt: skip
COMMANDS = {"import donations dont-look-away", "rates import"}
# A refused rate file is named "NAME (format)" when the import itself refuses it (a
# contradiction), "NAME" when its reader does; the corpus states the name alone.
RATE_ORIGIN = re.compile(r"^(Error: [^ ]+) \((?:boi|ecb|csv)\)")


def run_file(shell: Shell, folder: Path, name: str, *, expect: int) -> tuple[str, str]:
    """Runs the manifest's command on a copy of the file in `folder` (so that messages name the
    file alone); its stdout and stderr."""
    case = MANIFEST[name]
    path = folder / name
    shutil.copyfile(HOSTILE / name, path)
    outcome = shell.run(*case["run"].split(), str(path), *case.get("options", []), expect=expect)
    return outcome.stdout, outcome.stderr


def donation_dates_after(url: str, last_id: int) -> list[date]:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = connection.scalars(
            select(Donation.donation_date).where(Donation.id > last_id).order_by(Donation.id)
        ).all()
    engine.dispose()
    return sorted(found)


def last_donation_id(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as connection:
        found = connection.scalars(select(Donation.id).order_by(Donation.id.desc()).limit(1)).all()
    engine.dispose()
    return found[0] if found else 0


def message_line(stderr: str, status: int) -> str:
    """The line that says what is wrong: the first; for a usage error (exit 2), click's
    "Error:" line after its usage lines."""
    lines = stderr.splitlines()
    assert lines, "nothing on stderr"
    if status == 2:
        lines = [line for line in lines if line.startswith("Error:")]
        assert len(lines) == 1, stderr
    return RATE_ORIGIN.sub(r"\1", lines[0])


def check_refusal(name: str, case: dict[str, Any], stdout: str, stderr: str) -> None:
    assert stdout == ""
    line = message_line(stderr, case["exit"])
    assert line.startswith(case["stderr"]), stderr
    assert case.get("contains", "") in line, stderr
    lines = stderr.splitlines()
    if case["exit"] == 2:
        return
    if case["stderr"].startswith("Error:"):  # the file as a whole: one line
        assert len(lines) == 1, stderr
        return
    problems = case.get("problems", 1)  # bad rows: one line each, then the count
    assert len(lines) == problems + 1, stderr
    assert all(line.startswith(f"{name}:") for line in lines[:-1]), stderr
    said = f"{problems} problem" if problems == 1 else f"{problems} problems"
    assert lines[-1] == f"Error: {name}: {said}; nothing imported", stderr


@pytest.fixture
def quick_ledger(ledger_url: str, tmp_path: Path) -> Shell:
    """A ledger with the campaign and rate of tests/e2e/conftest.py's, from the migrated
    template (a hundred and more files: `init` for each would double the time)."""
    return with_campaign(Shell(ledger_url, tmp_path, in_process=True), initialised=True)


@pytest.mark.parametrize("name", sorted(MANIFEST))
def test_hostile_file(quick_ledger: Shell, tmp_path: Path, name: str) -> None:
    case = MANIFEST[name]
    folder = tmp_path / "files"
    folder.mkdir()
    if "first" in case:
        run_file(quick_ledger, folder, case["first"], expect=0)
    before = quick_ledger.row_counts()
    last_id = last_donation_id(quick_ledger.database_url)

    stdout, stderr = run_file(quick_ledger, folder, name, expect=case["exit"])

    after = quick_ledger.row_counts()
    assert "Traceback" not in stderr
    if case["exit"] != 0:
        check_refusal(name, case, stdout, stderr)
        assert after == before, "a refused file changed the ledger"
        return
    assert stderr == ""
    assert case["stdout"] in stdout
    if "--dry-run" in case.get("options", []):
        assert after == before, "a dry run changed the ledger"
    assert after["donation"] - before["donation"] == case.get("donations", 0)
    assert after["exchange_rate"] - before["exchange_rate"] == case.get("rates", 0)
    if "dates" in case:
        dates = donation_dates_after(quick_ledger.database_url, last_id)
        assert dates == [date.fromisoformat(day) for day in case["dates"]]


def test_the_manifest_describes_every_file_of_the_corpus() -> None:
    files = {path.name for path in HOSTILE.iterdir()} - {MANIFEST_NAME}
    assert len(files) >= 60
    assert set(MANIFEST) == files
    for name, case in MANIFEST.items():
        assert set(case) <= KEYS, name
        assert case["run"] in COMMANDS, name
        assert case["exit"] in (0, 1, 2), name
        assert ("stderr" in case) == (case["exit"] != 0), name
        assert ("stdout" in case) == (case["exit"] == 0), name
        if "first" in case:
            assert MANIFEST[case["first"]]["exit"] == 0, name
