"""A full disk while a command writes its file (a PDF, CSV or JSON with -o, a backup): one line
on stderr and exit 1, never a traceback; no partial file and no target left behind; nothing
recorded (a receipt that could not be written is not issued). On both databases.

The disk is a real one where this machine lets the tests mount a small tmpfs (as root); the
in-process tests at the end inject the same failures wherever the tests run."""

from __future__ import annotations

import builtins
import errno
import io
import json
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.shell import Shell
from tests.e2e.test_receipt_cli import SETTINGS

SLUG = "dont-look-away"


@pytest.fixture
def receipting(quick_ledger: Shell, monkeypatch: pytest.MonkeyPatch) -> Shell:
    """Named donors' gifts, one receipted; run from its folder (relative paths as typed)."""
    monkeypatch.chdir(quick_ledger.folder)
    for key, value in SETTINGS.items():
        quick_ledger.run("settings", "set", key, value)
    for donor in ("Dana Levi", "Noa Cohen", "Sami Haddad"):
        quick_ledger.run("donation", "add", SLUG, "--date", "2025-07-03", "--amount", "100",
                         "--donor", donor)  # fmt: skip
    quick_ledger.run("receipt", "issue", "3", "-o", "issued.pdf")
    return quick_ledger


def receipt_numbers(shell: Shell) -> list[str]:
    listed = json.loads(shell.run("receipt", "list", "--format", "json").stdout)
    return [str(row["number"]) for row in listed]


@pytest.fixture
def full(tmp_path: Path) -> Iterator[Path]:
    """A folder on a file system with no space left."""
    folder = tmp_path / "full"
    folder.mkdir()
    mount = shutil.which("mount")
    mounted = mount is not None and subprocess.run(
        [mount, "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
        capture_output=True, check=False,
    ).returncode == 0  # fmt: skip
    if not mounted:
        pytest.skip("cannot mount a small tmpfs here (it needs root): the in-process tests "
                    "below inject the same failures")  # fmt: skip
    try:
        with (folder / "filler").open("wb", buffering=0) as filler, suppress(OSError):
            while True:  # until ENOSPC
                filler.write(b"\0" * 4096)
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=True)


def writes(receipt: str) -> dict[str, tuple[list[str], str]]:
    """Each command writing into full/, and how its one line begins."""
    return {
        "report json": (["report", "campaign", SLUG, "--format", "json", "-o", "full/r.json"],
                        "Error: cannot write full/r.json: No space left on device"),
        "report csv": (["report", "campaign", SLUG, "--format", "csv", "-o", "full/r.csv"],
                       "Error: cannot write full/r.csv: No space left on device"),
        "report pdf": (["report", "campaign", SLUG, "-o", "full/r.pdf"],
                       "Error: cannot write full/r.pdf: No space left on device"),
        "receipt issue": (["receipt", "issue", "1", "-o", "full/receipt.pdf"],
                          "Error: cannot write full/receipt.pdf: No space left on device"),
        "receipt batch": (["receipt", "issue", "--campaign", SLUG, "--all-unreceipted", "-o",
                           "full/receipts"], "Error: cannot write full/receipts/"),
        "receipt reprint": (["receipt", "reprint", receipt, "-o", "full/copy.pdf"],
                            "Error: cannot write full/copy.pdf: No space left on device"),
        "statement": (["statement", "1", "--year", "2025", "-o", "full/s.pdf"],
                      "Error: cannot write full/s.pdf: No space left on device"),
        "statements": (["statement", "--all", "--year", "2025", "-o", "full/statements"],
                       "Error: cannot write full/statements/"),
    }  # fmt: skip


def test_a_full_disk_while_writing_a_file_is_one_line_and_leaves_nothing(
    receipting: Shell, full: Path
) -> None:
    real = Shell(receipting.database_url, receipting.folder)  # the installed command
    issued = receipt_numbers(real)
    counts = real.row_counts()
    for name, (args, begins) in writes(issued[0]).items():
        message = real.fails(*args)
        assert message.startswith(begins), (name, message)
        assert sorted(path.name for path in full.rglob("*")) == ["filler"], name
    assert receipt_numbers(real) == issued
    assert real.row_counts() == counts


def test_a_full_disk_while_backing_up_is_one_line_and_leaves_nothing(
    receipting: Shell, full: Path
) -> None:
    real = Shell(receipting.database_url, receipting.folder)
    message = real.fails("backup", "full/copy.db")
    if receipting.database_url.startswith("sqlite"):
        assert message == "Error: cannot write full/copy.db: database or disk is full"
    else:
        assert message.startswith("Error: pg_dump failed: ")
        assert "No space left on device" in message
    assert sorted(path.name for path in full.iterdir()) == ["filler"]
    (full / "filler").unlink()  # room again: the same backup now succeeds
    if receipting.database_url.startswith("sqlite"):
        real.fails("backup", "full/copy.db")  # the ledger is larger than this whole disk
    else:
        assert real.run("backup", "full/copy.dump").stdout.startswith("Wrote full/copy.dump (")


# --- The same failures injected, where no tmpfs can be mounted -------------------------------


def no_space(*_args: Any) -> None:
    raise OSError(errno.ENOSPC, "No space left on device")


class FullFile:
    """A file on a full disk: opening works, writing fails."""

    def __init__(self, opened: Any) -> None:
        self._opened = opened

    def write(self, *_args: Any) -> None:
        no_space()

    def __enter__(self) -> FullFile:
        return self

    def __exit__(self, *_: object) -> None:
        self._opened.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._opened, name)


@pytest.fixture
def full_partials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every staged file (`.NAME.PID.partial`) opened for writing is on a full disk."""
    opening = builtins.open

    def open_(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        opened = opening(file, mode, *args, **kwargs)
        if str(file).endswith(".partial") and any(flag in mode for flag in "wa"):
            return FullFile(opened)
        return opened

    monkeypatch.setattr(builtins, "open", open_)
    monkeypatch.setattr(io, "open", open_)  # what pathlib calls


def test_an_injected_full_disk_while_writing_a_file(receipting: Shell, full_partials: None) -> None:
    issued = receipt_numbers(receipting)
    (receipting.folder / "full").mkdir()
    for name, (args, begins) in writes(issued[0]).items():
        message = receipting.fails(*args)
        assert message.startswith(begins), (name, message)
        assert list((receipting.folder / "full").rglob("*")) == [], name
    assert receipt_numbers(receipting) == issued


@pytest.mark.parametrize("database_kind", ["sqlite"])  # pg_dump reports its own failures
def test_an_injected_full_disk_while_backing_up(
    receipting: Shell, monkeypatch: pytest.MonkeyPatch
) -> None:
    connect = sqlite3.connect

    def onto_a_full_disk(path: Any, *args: Any, **kwargs: Any) -> sqlite3.Connection:
        connection = connect(path, *args, **kwargs)
        if str(path).endswith(".partial"):  # the copy: SQLite finds no room for a second page
            connection.execute("PRAGMA max_page_count = 1")
        return connection

    monkeypatch.setattr(sqlite3, "connect", onto_a_full_disk)
    message = receipting.fails("backup", "copy.db")
    assert message == "Error: cannot write copy.db: database or disk is full"
    assert [path.name for path in receipting.folder.iterdir() if "copy" in path.name] == []
