"""`fundledger backup` and `restore`: a consistent copy while another treasurer imports (all
of the import or none of it), restored into an empty database where `check` passes and the
reports are the same, on both databases."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest

from fundledger.adapters.db.engine import make_engine
from fundledger.services.backup import backup as backup_ledger
from tests.e2e.conftest import with_campaign
from tests.e2e.shell import FUNDLEDGER, Shell

IMPORTED = 100_000


@pytest.fixture
def other_empty_url(database_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A second empty database of the same kind, to restore into."""
    if database_kind == "postgresql":
        return str(request.getfixturevalue("postgres_server").empty_database())
    return f"sqlite:///{tmp_path / 'restored.db'}"


def gifts_file(folder: Path) -> Path:
    path = folder / "gifts.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["date", "amount", "currency", "donor", "reference"])
        for number in range(IMPORTED):
            writer.writerow(["2025-07-03", f"{10 + number % 90}.00", "ILS",
                             f"Donor {number % 997}", f"BULK-{number:06d}"])  # fmt: skip
    return path


def _until_writing(url: str) -> None:
    """Until the import's rows are being written, not yet committed: on SQLite its write-ahead
    log grows; PostgreSQL imports slowly enough that its first second is mid-import."""
    if not url.startswith("sqlite"):
        time.sleep(1.0)
        return
    log = Path(url.removeprefix("sqlite:///") + "-wal")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if log.exists() and log.stat().st_size > 2 << 20:
            return
        time.sleep(0.01)


def counted(shell: Shell) -> int:
    summary = json.loads(shell.run("report", "campaign", "dont-look-away", "--format",
                                   "json").stdout)  # fmt: skip
    return int(summary["donation_count"])


def test_a_backup_taken_during_an_import_holds_all_of_it_or_none(
    shell: Shell, other_empty_url: str
) -> None:
    ledger = with_campaign(shell)
    replace(ledger, in_process=True).run(
        "donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "100",
        "--currency", "USD", "--donor", "Dana Levi")  # fmt: skip
    path = gifts_file(ledger.folder)
    importing = subprocess.Popen(
        [str(FUNDLEDGER), "import", "donations", "dont-look-away", str(path)],
        cwd=ledger.folder, env={**os.environ, "FUNDLEDGER_DB": ledger.database_url},
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    _until_writing(ledger.database_url)
    backup = "copy.db" if ledger.database_url.startswith("sqlite") else "copy.dump"
    engine = make_engine(ledger.database_url)  # in this process: no start-up to wait for
    backup_ledger(engine, ledger.folder / backup)
    engine.dispose()
    assert importing.wait(timeout=120) == 0, importing.stderr
    restored = Shell(other_empty_url, ledger.folder)
    restored.run("restore", backup)
    assert restored.run("check").returncode == 0
    assert counted(restored) in (1, 1 + IMPORTED)  # all of the import, or none of it
    assert counted(ledger) == 1 + IMPORTED
    assert ledger.run("check").returncode == 0  # the import's rows extend the chain, in order


def test_a_restored_copy_reports_the_same_and_nothing_is_overwritten(
    shell: Shell, other_empty_url: str
) -> None:
    ledger = with_campaign(shell)
    replace(ledger, in_process=True).run(
        "donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "250",
        "--donor", "שירה כהן")  # fmt: skip
    backup = "copy.db" if ledger.database_url.startswith("sqlite") else "copy.dump"
    ledger.run("backup", backup)
    assert ledger.fails("backup", backup) == (f"Error: {backup} exists already: a backup never "
                                              "overwrites a file")  # fmt: skip
    restored = Shell(other_empty_url, ledger.folder)
    restored.run("restore", backup)
    report = ("report", "campaign", "dont-look-away", "--format", "json")
    assert restored.run(*report).stdout == ledger.run(*report).stdout
    message = restored.fails("restore", backup)
    assert message.startswith("Error: the target database is not empty (")
    (ledger.folder / "notes.txt").write_text("not a backup")
    assert Shell(other_empty_url, ledger.folder).fails("restore", "notes.txt") == (
        "Error: notes.txt is not a fundledger backup (neither a SQLite file nor a PostgreSQL "
        "dump)")  # fmt: skip
