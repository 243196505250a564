"""Standard output that cannot be written (a full disk: /dev/full; a closed pipe) and text from
the ledger that would drive a terminal, with the real `fundledger` command on both databases.

A command that changed the ledger (or put its file in place) has done its work: it exits 0 even
when it cannot print, and says so on stderr if it can, so a script does not run it twice. A
read-only command exits 1 with one line ("Error: cannot write the output: ..."), or silently
when a reader closed the pipe early (`| head`). Never a traceback, never an "Exception
ignored" at exit. Ledger text (names, notes, references, settings, sources) reaches a terminal
with its control characters escaped."""

from __future__ import annotations

import csv
import json
import os
import pty
import subprocess
import sys
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import pytest

from fundledger.adapters.db.engine import make_engine
from fundledger.domain.money import Money
from fundledger.domain.rates import Rate
from fundledger.services.campaigns import add_campaign
from fundledger.services.donations import record_donation
from fundledger.services.rate_import import add_rate
from fundledger.services.settings import set_setting
from tests.e2e.shell import FUNDLEDGER, Shell
from tests.e2e.test_receipt_cli import SETTINGS
from tests.ledger_helpers import run

SLUG = "dont-look-away"
FULL = "Error: cannot write the output: No space left on device"


def fundledger(
    shell: Shell, *args: str, stdout: IO[Any] | int, stderr: IO[Any] | int = subprocess.PIPE
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(FUNDLEDGER), *args], stdout=stdout, stderr=stderr, text=True, check=False,
        cwd=shell.folder, env={**os.environ, "FUNDLEDGER_DB": shell.database_url,
                               "FUNDLEDGER_USER": "e2e"},
    )  # fmt: skip


def to_full_disk(shell: Shell, *args: str) -> subprocess.CompletedProcess[str]:
    with open("/dev/full", "w") as full:
        return fundledger(shell, *args, stdout=full)


def to_closed_pipe(shell: Shell, *args: str) -> subprocess.CompletedProcess[str]:
    """Standard output a pipe whose reader has gone: every write fails with EPIPE."""
    reader, writer = os.pipe()
    os.close(reader)
    try:
        return fundledger(shell, *args, stdout=writer)
    finally:
        os.close(writer)


def gifts_file(folder: Path, name: str, count: int, start: int = 0) -> Path:
    path = folder / name
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["date", "amount", "currency", "donor", "reference"])
        for number in range(start, start + count):
            writer.writerow(["2025-07-03", f"{10 + number % 90}.00", "ILS", f"Donor {number}",
                             f"REF-{number:06d}"])  # fmt: skip
    return path


@pytest.fixture
def busy(quick_ledger: Shell) -> Shell:
    """A ledger with something in every table a command lists: gifts of named donors, the
    organisation's details and a receipt."""
    for key, value in SETTINGS.items():
        quick_ledger.run("settings", "set", key, value)
    for donor in ("Dana Levi", "Noa Cohen", "Sami Haddad"):
        quick_ledger.run("donation", "add", SLUG, "--date", "2025-07-03", "--amount", "100",
                         "--donor", donor)  # fmt: skip
    quick_ledger.run("receipt", "issue", "1", "-o", str(quick_ledger.folder / "r1.pdf"))
    gifts_file(quick_ledger.folder, "dry.csv", 2, start=900)
    return quick_ledger


READ_ONLY = [
    ["check"], ["check", "--json"], ["audit"], ["audit", "--format", "json"],
    ["donation", "list", SLUG], ["donation", "list", SLUG, "--format", "json"],
    ["donation", "list", SLUG, "--format", "csv"], ["donor", "list"],
    ["campaign", "list"], ["campaign", "list", "--format", "csv"],
    ["rates", "list"], ["rates", "show", "2025-07-03", "USD", "ILS"], ["rates", "gaps"],
    ["receipt", "list"], ["receipt", "list", "--format", "json"], ["settings", "show"],
    ["report", "campaign", SLUG, "--format", "json"],
    ["report", "campaign", SLUG, "--format", "csv"],
    ["import", "donations", SLUG, "dry.csv", "--dry-run"], ["init"],
    ["--help"], ["--version"], ["donation", "list", "--help"],
]  # fmt: skip


def test_a_read_only_command_that_cannot_print_fails_in_one_line(busy: Shell) -> None:
    counts = busy.row_counts()
    wrong = {}
    for args in READ_ONLY:
        done = to_full_disk(busy, *args)
        if (done.returncode, done.stderr) != (1, FULL + "\n"):
            wrong[" ".join(args)] = (done.returncode, done.stderr[-300:])
    assert wrong == {}
    assert busy.row_counts() == counts


def test_a_read_only_command_stops_quietly_when_its_reader_has_gone(busy: Shell) -> None:
    wrong = {}
    for args in READ_ONLY[::3]:  # the same guard as above: a sample of the commands
        done = to_closed_pipe(busy, *args)
        if (done.returncode, done.stderr) != (1, ""):
            wrong[" ".join(args)] = (done.returncode, done.stderr[-300:])
    assert wrong == {}


def test_head_reading_one_byte_of_a_long_list(quick_ledger: Shell) -> None:
    """`fundledger donation list SLUG | head -c1`: the list is longer than a pipe holds."""
    quick_ledger.run("import", "donations", SLUG,
                     str(gifts_file(quick_ledger.folder, "many.csv", 3000)))  # fmt: skip
    for output_format in ("table", "json", "csv"):
        listing = subprocess.Popen(
            # --limit: the table shows 100 gifts unless told otherwise, and fits in a pipe.
            [str(FUNDLEDGER), "donation", "list", SLUG, "--format", output_format, "--limit",
             "5000"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=quick_ledger.folder,
            env={**os.environ, "FUNDLEDGER_DB": quick_ledger.database_url},
        )  # fmt: skip
        assert listing.stdout is not None
        assert listing.stderr is not None
        assert len(listing.stdout.read(1)) == 1
        listing.stdout.close()
        stderr = listing.stderr.read().decode()
        assert listing.wait(timeout=60) == 1
        assert stderr == "", output_format  # no traceback, no "Exception ignored"


def test_a_committed_change_succeeds_even_when_it_cannot_print(busy: Shell) -> None:
    """Each command changes the ledger (or writes its file) exactly once and exits 0: a script
    that retried a failed exit would have recorded the gift twice."""
    folder = busy.folder
    gifts_file(folder, "two.csv", 2, start=500)
    changes: list[tuple[list[str], dict[str, int], Path | None]] = [
        (["donation", "add", SLUG, "--date", "2025-07-03", "--amount", "5", "--donor", "Ali"],
         {"donation": 1, "donor": 1}, None),
        (["import", "donations", SLUG, "two.csv"], {"donation": 2, "donor": 2}, None),
        (["campaign", "add", "summer", "--name", "Summer"], {"campaign": 1}, None),
        (["rates", "add", "2025-07-04", "USD", "ILS", "3.351"], {"exchange_rate": 1}, None),
        (["settings", "set", "organisation.contact", "+972-4-111-1111"], {"setting": 1}, None),
        (["donation", "reverse", "3", "--reason", "bounced"], {"donation": 1}, None),
        (["donor", "merge", "2", "1", "--reason", "same person"], {"donor_merge": 1}, None),
        (["receipt", "issue", "2", "-o", "r2.pdf"], {"receipt": 1}, folder / "r2.pdf"),
        (["receipt", "reprint", "R-2025-00001", "-o", "copy.pdf"], {}, folder / "copy.pdf"),
        (["statement", "1", "--year", "2025", "-o", "s.pdf"], {}, folder / "s.pdf"),
        (["backup", "copy.db"], {}, folder / "copy.db"),
        (["settings", "unset", "organisation.contact"], {"setting": 1}, None),
        (["rates", "import", "rates.csv"], {"exchange_rate": 1}, None),
    ]  # fmt: skip
    (folder / "rates.csv").write_text("date,base,quote,rate\n2025-07-07,USD,ILS,3.36\n")
    if busy.database_url.startswith("sqlite"):  # a PostgreSQL one needs a database of its own
        restored = folder / "restored.db"
        changes.append((["--db", f"sqlite:///{restored}", "restore", "copy.db"], {}, restored))
    first = json.loads(busy.run("receipt", "list", "--format", "json").stdout)[0]["number"]
    for args, grew, written in changes:
        args = [first if arg == "R-2025-00001" else arg for arg in args]  # noqa: PLW2901
        before = busy.row_counts()
        for stdout in ("full", "closed pipe"):
            if stdout == "closed pipe" and (grew or written is None):
                continue  # a change is made once: the closed pipe is tried on files only
            done = (to_full_disk if stdout == "full" else to_closed_pipe)(busy, *args)
            assert done.returncode == 0, (args, done.stderr)
            reason = "No space left on device" if stdout == "full" else "Broken pipe"
            assert done.stderr.splitlines()[-1] == (
                "Warning: the command's work is done (do not run it again), but standard "
                f"output could not be written: {reason}."), args  # fmt: skip
            assert "Traceback" not in done.stderr
            if written is not None:
                assert written.is_file(), args
                if args[0] == "backup":
                    break  # a second backup to the same name is refused, as it should be
                written.unlink()
        after = busy.row_counts()
        changed = {table: after[table] - before[table] for table in after
                   if after[table] != before[table] and table != "audit_event"}  # fmt: skip
        assert changed == grew, args
    assert busy.run("check").returncode == 0


def test_a_closed_pipe_after_a_gift_is_recorded_is_still_success(quick_ledger: Shell) -> None:
    before = quick_ledger.row_counts()["donation"]
    done = to_closed_pipe(quick_ledger, "donation", "add", SLUG, "--date", "2025-07-03",
                          "--amount", "18")  # fmt: skip
    assert done.returncode == 0
    assert done.stderr.endswith("standard output could not be written: Broken pipe.\n")
    assert quick_ledger.row_counts()["donation"] == before + 1


def test_a_stream_closed_from_the_start(quick_ledger: Shell) -> None:
    """`fundledger ... >&-` or `2>&-`: Python starts without that stream at all."""

    def closed(*args: str, descriptor: int = 1) -> subprocess.CompletedProcess[str]:
        closing = f"import os, sys\nos.close({descriptor})\nos.execv(sys.argv[1], sys.argv[1:])"
        return subprocess.run(
            [sys.executable, "-c", closing, str(FUNDLEDGER), *args], capture_output=True,
            text=True, check=False, cwd=quick_ledger.folder,
            env={**os.environ, "FUNDLEDGER_DB": quick_ledger.database_url},
        )  # fmt: skip

    listed = closed("campaign", "list")
    assert (listed.returncode, listed.stderr) == (
        1, "Error: cannot write the output: standard output is closed\n")  # fmt: skip
    added = closed("campaign", "add", "summer", "--name", "Summer")
    assert added.returncode == 0
    assert added.stderr.endswith("could not be written: standard output is closed.\n")
    assert "summer" in quick_ledger.run("campaign", "list").stdout
    usage = closed("campaign", "lis", descriptor=2)  # its usage error has nowhere to go
    assert (usage.returncode, usage.stdout) == (2, "")


def test_standard_error_that_cannot_be_written_changes_nothing(quick_ledger: Shell) -> None:
    with open("/dev/full", "w") as full:
        listed = fundledger(quick_ledger, "campaign", "list", "--format", "json",
                            stdout=subprocess.PIPE, stderr=full)  # fmt: skip
        assert listed.returncode == 0
        assert json.loads(listed.stdout)[0]["slug"] == SLUG
        wrong = fundledger(quick_ledger, "donation", "reverse", "99", "--reason", "x",
                           stdout=subprocess.PIPE, stderr=full)  # fmt: skip
        assert (wrong.returncode, wrong.stdout) == (1, "")
        both = fundledger(quick_ledger, "campaign", "list", stdout=full, stderr=full)
        assert both.returncode == 1


# --- Terminal safety ------------------------------------------------------------------------

RED = "\x1b[31m"  # ESC [ 31 m: the terminal turns red
SHOWN = "\\x1b[31m"  # what a person sees instead


@pytest.fixture
def controls_let_in(monkeypatch: pytest.MonkeyPatch) -> None:
    """Ledger text with control characters, as an older fundledger (or another program writing
    the database) could have stored: the checks that refuse them today are switched off while
    the test writes it."""
    for name, module in list(sys.modules.items()):
        if name.startswith("fundledger") and hasattr(module, "control_problem"):
            monkeypatch.setattr(module, "control_problem", lambda *_args, **_kwargs: None)


@pytest.fixture
def hostile(quick_ledger: Shell, controls_let_in: None) -> Shell:
    """The ledger, written in this process; the returned shell runs the real command on it."""
    for key, value in SETTINGS.items():
        quick_ledger.run("settings", "set", key, value)
    engine = make_engine(quick_ledger.database_url)
    try:
        run(engine, lambda s, c: add_campaign(s, c, slug="red", name=f"{RED}Red campaign"))
        run(engine, lambda s, c: record_donation(
            s, c, campaign_slug="red", on=date(2025, 7, 3), amount=Money.parse("50", "ILS"),
            donor_name=f"{RED}Red Donor", donor_email="red@example.org",
            method=f"{RED}card", reference=f"{RED}REF-1\x07", note="a note \x9b2J"))  # fmt: skip
        run(engine, lambda s, c: set_setting(s, c, "organisation.contact", f"{RED}+972"))
        rate = Rate(date(2025, 7, 2), "USD", "ILS", Decimal("3.38"), f"{RED}BOI")
        run(engine, lambda s, c: add_rate(s, c, rate))
    finally:
        engine.dispose()
    return Shell(quick_ledger.database_url, quick_ledger.folder)


def no_terminal_controls(text: str) -> bool:
    return not any(code in text for code in ("\x1b", "\x07", "\x9b"))


def test_ledger_text_in_tables_and_messages_shows_its_controls_escaped(hostile: Shell) -> None:
    shown = {}
    for args in (["donation", "list", "red"], ["donor", "list"], ["campaign", "list"],
                 ["audit"], ["settings", "show"], ["rates", "list"],
                 ["receipt", "issue", "1", "-o", "red.pdf"], ["receipt", "list"]):  # fmt: skip
        done = hostile.run(*args)
        assert no_terminal_controls(done.stdout + done.stderr), (args, done)
        shown[" ".join(args[:2])] = SHOWN in done.stdout
    assert shown == {"donation list": True, "donor list": True, "campaign list": True,
                     "audit": True, "settings show": True, "rates list": True,
                     "receipt issue": False, "receipt list": True}  # fmt: skip


def test_json_carries_control_characters_escaped_and_intact(hostile: Shell) -> None:
    text = hostile.run("donation", "list", "red", "--format", "json").stdout
    assert no_terminal_controls(text)
    assert "\\u009b" in text
    (row,) = json.loads(text)
    assert (row["donor"], row["note"]) == (f"{RED}Red Donor", "a note \x9b2J")


def test_an_error_quoting_text_is_one_line_with_its_controls_escaped(hostile: Shell) -> None:
    (hostile.folder / f"{RED}x\n.db").write_text("last week's backup")
    message = hostile.fails("backup", f"{RED}x\n.db")
    assert message == "Error: \\x1b[31mx\\n.db exists already: a backup never overwrites a file"


def test_a_terminal_never_receives_escape_sequences(hostile: Shell) -> None:
    """Whatever a command prints on a terminal: here `rates show`, whose explanation names the
    rate's source."""
    main, terminal = pty.openpty()
    try:
        shown = subprocess.run(
            [str(FUNDLEDGER), "rates", "show", "2025-07-02", "USD", "ILS"], stdout=terminal,
            stderr=subprocess.PIPE, cwd=hostile.folder, check=False,
            env={**os.environ, "FUNDLEDGER_DB": hostile.database_url},
        )  # fmt: skip
        os.close(terminal)
        received = b""
        while chunk := _read(main):
            received += chunk
    finally:
        os.close(main)
    assert shown.returncode == 0, shown.stderr
    text = received.decode()
    assert "3.3800" in text
    assert no_terminal_controls(text), text
    assert f"{SHOWN}BOI" in text


def _read(descriptor: int) -> bytes:
    try:
        return os.read(descriptor, 65536)
    except OSError:  # EIO: the terminal's other end is closed
        return b""
