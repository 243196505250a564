"""Output paths never touch the ledger's own files, a device, a pipe, a socket or a folder: every
command that writes a file refuses them in one line, before any work is committed. A command
stopped by SIGTERM, SIGINT or SIGHUP rolls back and leaves no partial file; one killed outright
leaves partial files that the next command writing into that folder removes. On both databases.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from tests.e2e.conftest import with_campaign
from tests.e2e.shell import FUNDLEDGER, Shell
from tests.e2e.test_receipt_cli import SETTINGS

SLUG = "dont-look-away"
GIFTS = 200  # enough that a batch of receipts is still writing its files when it is stopped


def sqlite_file(shell: Shell) -> Path | None:
    if not shell.database_url.startswith("sqlite:///"):
        return None
    return Path(shell.database_url.removeprefix("sqlite:///"))


def partial_files(folder: Path) -> list[Path]:
    return sorted(folder.rglob(".*.partial"))


def receipt_numbers(shell: Shell) -> list[str]:
    listed = json.loads(shell.run("receipt", "list", "--format", "json").stdout)
    return [str(row["number"]) for row in listed]


def setup_receipts(shell: Shell) -> Shell:
    """A campaign, the organisation's details, and gifts of named donors."""
    with_campaign(shell)
    for key, value in SETTINGS.items():
        shell.run("settings", "set", key, value)
    return shell


def import_gifts(shell: Shell, count: int) -> None:
    path = shell.folder / "gifts.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["date", "amount", "currency", "donor", "email", "reference"])
        for number in range(count):
            writer.writerow(["2025-07-03", f"{10 + number % 90}.00", "ILS", f"Donor {number}",
                             f"donor{number}@example.org", f"REF-{number:05d}"])  # fmt: skip
    shell.run("import", "donations", SLUG, str(path))


@pytest.fixture
def in_folder(quick_shell: Shell, monkeypatch: pytest.MonkeyPatch) -> Shell:
    """The in-process shell, run from its folder (as the real command is): default output
    folders such as reports/receipts land there."""
    monkeypatch.chdir(quick_shell.folder)
    return quick_shell


Target = tuple[Path, str]  # a wrong output path, and what its refusal says


@pytest.fixture
def short_folder() -> Iterator[Path]:
    """A folder with a short path, for a Unix socket (their paths hold at most 107 bytes)."""
    with tempfile.TemporaryDirectory(prefix="fl-") as folder:
        yield Path(folder)


def bad_targets(shell: Shell, short_folder: Path) -> dict[str, Target]:
    """Every way an output path can be wrong, made in the shell's folder."""
    folder = shell.folder
    targets: dict[str, Target] = {}
    ledger = sqlite_file(shell)
    if ledger is not None:
        targets["the ledger"] = (ledger, "it is the ledger itself")
        for suffix in ("-wal", "-shm", "-journal"):
            companion = ledger.with_name(ledger.name + suffix)
            targets[f"its {suffix} file"] = (companion, "it is one of the ledger's files")
        (folder / "link.db").symlink_to(ledger)
        targets["a symbolic link to it"] = (folder / "link.db", "it is the ledger itself")
        os.link(ledger, folder / "hard.db")
        targets["a hard link to it"] = (folder / "hard.db", "it is the ledger itself")
        targets["a path inside its -wal name"] = (
            ledger.with_name(ledger.name + "-wal") / "out.pdf",
            "-wal is one of the ledger's",
        )
    # A link to /dev/null, never /dev/null itself: a command that replaced it must not break
    # the machine the tests run on.
    (folder / "device").symlink_to("/dev/null")
    targets["a device"] = (folder / "device", "it is a device, not a regular file")
    try:
        os.mknod(folder / "null", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        targets["a device node"] = (folder / "null", "it is a device, not a regular file")
    except PermissionError:
        pass  # not root: the link above stands for it
    os.mkfifo(folder / "fifo")
    targets["a pipe"] = (folder / "fifo", "it is a pipe (FIFO), not a regular file")
    listening = socket.socket(socket.AF_UNIX)
    listening.bind(str(short_folder / "socket"))
    listening.close()
    targets["a socket"] = (short_folder / "socket", "it is a socket, not a regular file")
    (folder / "folder").mkdir()
    targets["a folder"] = (folder / "folder", "it is a folder")
    return targets


def kind_of(path: Path) -> tuple[str, int, int]:
    """What a target is: where it links to, its file type, its size (or its file count)."""
    link = os.readlink(path) if path.is_symlink() else ""
    found = path.stat()
    size = len(list(path.iterdir())) if path.is_dir() else found.st_size
    return link, stat.S_IFMT(found.st_mode), size


# The commands that write files, each given its output path.
ONE_FILE: dict[str, Callable[[str, str], list[str]]] = {
    "report json": lambda path, _: ["report", "campaign", SLUG, "--format", "json", "-o", path],
    "report csv": lambda path, _: ["report", "campaign", SLUG, "--format", "csv", "-o", path],
    "report pdf": lambda path, _: ["report", "campaign", SLUG, "-o", path],
    "receipt issue": lambda path, _: ["receipt", "issue", "1", "-o", path],
    "receipt reprint": lambda path, number: ["receipt", "reprint", number, "-o", path],
    "statement": lambda path, _: ["statement", "1", "--year", "2025", "-o", path],
    "backup": lambda path, _: ["backup", path],
}
INTO_FOLDER: dict[str, Callable[[str, str], list[str]]] = {
    "receipt issue --all-unreceipted": lambda path, _: [
        "receipt", "issue", "--campaign", SLUG, "--all-unreceipted", "-o", path],
    "statement --all": lambda path, _: ["statement", "--all", "--year", "2025", "-o", path],
}  # fmt: skip


@pytest.mark.parametrize("command", [*ONE_FILE, *INTO_FOLDER])
def test_every_output_path_refuses_the_ledger_devices_and_folders_before_any_work(
    in_folder: Shell, short_folder: Path, command: str
) -> None:
    shell = setup_receipts(in_folder)
    for donor in ("Dana Levi", "Noa Cohen"):
        shell.run("donation", "add", SLUG, "--date", "2025-07-03", "--amount", "100",
                  "--donor", donor)  # fmt: skip
    shell.run("receipt", "issue", "2")
    issued = receipt_numbers(shell)
    counts = shell.row_counts()
    into_folder = command in INTO_FOLDER
    arguments = (INTO_FOLDER if into_folder else ONE_FILE)[command]
    targets = bad_targets(shell, short_folder)
    # The ledger's files change as SQLite opens and closes it; `check` below vouches for them.
    others = {name: path for name, (path, says) in targets.items() if "ledger" not in says}
    before = {name: kind_of(path) for name, path in others.items()}
    for name, (path, says) in targets.items():
        if into_folder and name == "a folder":
            continue  # the folder to write into: nothing wrong with it
        message = shell.fails(*arguments(str(path), issued[0]))
        cannot = f"Error: cannot write{' into' if into_folder else ''} {path}: "
        assert message.startswith(cannot), (name, message)
        not_a_folder = into_folder and "ledger" not in says
        assert ("it is not a folder" if not_a_folder else says) in message, (name, message)
    assert {name: kind_of(path) for name, path in others.items()} == before
    if "a symbolic link to it" in targets:
        assert (shell.folder / "link.db").resolve() == sqlite_file(shell)
        assert (shell.folder / "hard.db").samefile(sqlite_file(shell) or "")
    assert receipt_numbers(shell) == issued  # no number taken by a refused receipt
    assert shell.row_counts() == counts
    assert partial_files(shell.folder) == []
    assert shell.run("check").returncode == 0


def test_the_examples_of_the_issue_refuse_and_change_nothing(shell: Shell) -> None:
    """As reported: `-o` at the ledger exited 0 and the ledger was JSON; `receipt issue -o`
    at the ledger committed the receipt, then replaced the ledger with the PDF."""
    # Set up in this process (the commands below, under test, run as the installed command).
    setup = setup_receipts(replace(shell, in_process=True))
    setup.run("donation", "add", SLUG, "--date", "2025-07-03", "--amount", "100",
              "--donor", "Dana Levi")  # fmt: skip
    ledger = shell
    (ledger.folder / "device").symlink_to("/dev/null")
    own = sqlite_file(ledger)
    target = str(own) if own is not None else "device"
    message = ledger.fails("report", "campaign", SLUG, "--format", "json", "-o", target)
    assert message.startswith(f"Error: cannot write {target}: it is ")
    message = ledger.fails("receipt", "issue", "1", "-o", target)
    assert message.startswith(f"Error: cannot write {target}: it is ")
    assert receipt_numbers(ledger) == []
    assert ledger.run("check").returncode == 0
    assert ledger.fails("backup", "device") == (
        "Error: cannot write device: it is a device, not a regular file"
    )
    assert Path("/dev/null").is_char_device()
    assert partial_files(ledger.folder) == []


@pytest.mark.parametrize("database_kind", ["sqlite"])  # PostgreSQL keeps no file to append to
def test_standard_output_appended_to_the_ledger_is_refused(shell: Shell) -> None:
    ledger = with_campaign(shell)
    own = sqlite_file(ledger)
    assert own is not None
    before = own.read_bytes()
    with own.open("ab") as appended:
        done = subprocess.run(
            [str(FUNDLEDGER), "campaign", "list", "--format", "json"], stdout=appended,
            stderr=subprocess.PIPE, text=True, cwd=ledger.folder, check=False,
            env={**os.environ, "FUNDLEDGER_DB": ledger.database_url},
        )  # fmt: skip
    assert done.returncode == 1
    assert done.stderr == ("Error: standard output is the ledger's own file: send it elsewhere\n")
    assert own.read_bytes() == before


def test_a_backup_never_overwrites_and_leaves_nothing_when_refused(in_folder: Shell) -> None:
    shell = with_campaign(in_folder)
    (shell.folder / "old.db").write_bytes(b"last week's backup")
    assert shell.fails("backup", "old.db") == (
        "Error: old.db exists already: a backup never overwrites a file"
    )
    (shell.folder / "a-file").write_text("where a folder should be")
    assert shell.fails("backup", "a-file/copy.db").startswith("Error: cannot write a-file/copy.db")
    assert (shell.folder / "old.db").read_bytes() == b"last week's backup"
    assert "Wrote copy.db (" in shell.run("backup", "copy.db").stdout
    # A missing folder is made, as a user expects of a backup; a refused one leaves none.
    assert "Wrote backups/2025/copy.db (" in shell.run("backup", "backups/2025/copy.db").stdout
    assert partial_files(shell.folder) == []
    assert partial_files(shell.folder / "backups" / "2025") == []


def test_staging_into_a_folder_removes_the_partial_files_of_dead_commands(
    in_folder: Shell,
) -> None:
    shell = setup_receipts(in_folder)
    shell.run("donation", "add", SLUG, "--date", "2025-07-03", "--amount", "100",
              "--donor", "Dana Levi")  # fmt: skip
    folder = shell.folder / "reports" / "receipts"
    folder.mkdir(parents=True)
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = folder / f".R-2025-00007.pdf.{dead.pid}.partial"
    alive = folder / f".R-2025-00008.pdf.{os.getppid()}.partial"  # pytest's parent runs
    for path in (stale, alive):
        path.write_bytes(b"%PDF-1.4 half")
    shell.run("receipt", "issue", "1")
    assert not stale.exists()
    assert alive.exists()  # another command, still running, is writing it


# --- Interrupted commands ---------------------------------------------------------------------


def receipting_many(shell: Shell) -> Shell:
    setup_receipts(shell)
    import_gifts(shell, GIFTS)
    return shell


# The command's own handling of the signals is under test: it starts with them at their
# defaults, whatever this process passes on (a job started in the background ignores SIGINT,
# and a command keeps a signal its caller ignores).
DEFAULT_SIGNALS = (
    "import os, signal, sys\n"
    "for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):\n"
    "    signal.signal(signum, signal.SIG_DFL)\n"
    "os.execv(sys.argv[1], sys.argv[1:])"
)


def start_batch(shell: Shell, signals: str = DEFAULT_SIGNALS) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", signals, str(FUNDLEDGER), "receipt", "issue",
         "--campaign", SLUG, "--all-unreceipted"],
        cwd=shell.folder, env={**os.environ, "FUNDLEDGER_DB": shell.database_url,
                               "FUNDLEDGER_USER": "e2e"},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip


def until_receipts_written(shell: Shell, batch: subprocess.Popen[str], count: int) -> None:
    """Until the batch has issued `count` receipts (each committed, its file in place: a batch
    issues them one by one) and is mid-way through the rest."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if len(written_receipts(shell)) >= count:
            return
        if batch.poll() is not None:
            pytest.fail(f"the batch ended before it was stopped: {batch.communicate()}")
        time.sleep(0.01)
    pytest.fail("the batch wrote no receipt in two minutes")


def written_receipts(shell: Shell) -> list[str]:
    folder = shell.folder / "reports" / "receipts"
    return sorted(path.stem for path in folder.glob("*.pdf")) if folder.exists() else []


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT, signal.SIGHUP])
def test_a_stopped_batch_keeps_the_receipts_it_issued_and_leaves_no_partial_file(
    in_folder: Shell, signum: signal.Signals
) -> None:
    """Each receipt of a batch is its own transaction: those issued before the signal stand,
    with their files; the one under way is rolled back, its number and file with it."""
    shell = receipting_many(in_folder)
    batch = start_batch(shell)
    until_receipts_written(shell, batch, 3)
    batch.send_signal(signum)
    _, stderr = batch.communicate(timeout=120)
    assert batch.returncode == -signum  # ended by the signal, as its parent can tell
    assert "Traceback" not in stderr
    said = stderr.splitlines()
    assert said[-1] == (
        f"Interrupted by {signum.name}: what was done before it stands (said above); the work "
        "under way was rolled back and its file not written."
    )
    assert said[-2].startswith("Issued ")
    assert said[-2].endswith("before the interruption; run the same command again for the rest.")
    assert partial_files(shell.folder) == []
    numbers = receipt_numbers(shell)
    assert numbers == written_receipts(shell)  # each issued receipt has its file, no other
    assert [int(number.rsplit("-", 1)[1]) for number in numbers] == list(
        range(1, len(numbers) + 1))  # fmt: skip
    assert 3 <= len(numbers) < GIFTS
    assert shell.run("check").returncode == 0


def test_the_partial_files_of_a_killed_batch_go_with_the_next_run(in_folder: Shell) -> None:
    shell = receipting_many(in_folder)
    batch = start_batch(shell)
    until_receipts_written(shell, batch, 3)
    batch.kill()  # SIGKILL: no handler runs
    batch.communicate(timeout=60)
    assert batch.returncode == -signal.SIGKILL
    issued = len(receipt_numbers(shell))  # committed one by one before the kill
    assert issued >= 3
    again = start_batch(shell)
    stdout, stderr = again.communicate(timeout=300)
    assert again.returncode == 0, stderr
    assert stdout.startswith(f"Issued {GIFTS - issued} receipts, ")
    # The file the killed command was writing (if it was) is swept by the next run.
    assert partial_files(shell.folder) == []
    assert len(receipt_numbers(shell)) == GIFTS


@pytest.mark.parametrize("database_kind", ["sqlite"])  # the signals, not the database
def test_a_hangup_its_caller_ignores_does_not_stop_it(in_folder: Shell) -> None:
    """`nohup fundledger ...`: SIGHUP stays ignored, and the batch finishes."""
    shell = receipting_many(in_folder)
    batch = start_batch(shell, DEFAULT_SIGNALS.replace(
        "os.execv", "signal.signal(signal.SIGHUP, signal.SIG_IGN)\nos.execv"))  # fmt: skip
    until_receipts_written(shell, batch, 3)
    batch.send_signal(signal.SIGHUP)
    stdout, stderr = batch.communicate(timeout=300)
    assert batch.returncode == 0, stderr
    assert stdout.startswith(f"Issued {GIFTS} receipts, ")
    assert partial_files(shell.folder) == []
