"""Progress bars of long work (issue #22 item 13): drawn on a terminal's stderr with counts and
the time left, never on stdout, and nothing at all when stderr is no terminal."""

from __future__ import annotations

import os
import pty
import re
import subprocess
from pathlib import Path

from tests.e2e.shell import FUNDLEDGER, Shell

ECB_HISTORY = 6_000  # lines: above the size a bar is drawn for (cli/progress.py)


def ecb_history(path: Path, days: int = ECB_HISTORY) -> Path:
    """An ECB history file of `days` weekdays (newest first, as the ECB publishes it)."""
    lines = ["Date,USD,ILS,"]
    for day in range(days):
        year, rest = divmod(day, 336)
        month, dom = divmod(rest, 28)
        lines.append(
            f"{2025 - year}-{12 - month:02d}-{28 - dom:02d},1.1{day % 90:02d},3.9{day % 70:02d},"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_on_terminal(shell: Shell, *args: str) -> tuple[int, str, str]:
    """Run the installed command with stderr on a pseudo-terminal and stdout on a pipe; what
    each carried."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [str(FUNDLEDGER), *args],
        stdout=subprocess.PIPE,
        stderr=terminal,
        stdin=subprocess.DEVNULL,
        cwd=shell.folder,
        env={**os.environ, "FUNDLEDGER_DB": shell.database_url, "COLUMNS": "120"},
    )
    os.close(terminal)
    drawn = b""
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal's other end closed: the process is done with it
            break
        if not chunk:
            break
        drawn += chunk
    os.close(controller)
    stdout = process.stdout.read() if process.stdout else b""
    status = process.wait()
    return status, stdout.decode(), drawn.decode(errors="replace")


def test_a_long_rate_import_draws_bars_with_counts_on_a_terminal(quick_shell: Shell) -> None:
    quick_shell.run("init")
    history = ecb_history(quick_shell.folder / "eurofxref-hist.csv")
    status, stdout, terminal = run_on_terminal(quick_shell, "rates", "import", str(history))
    assert status == 0, terminal
    assert "Reading eurofxref-hist.csv" in terminal
    assert f"{ECB_HISTORY + 1}/{ECB_HISTORY + 1}" in terminal  # counts, drawn to the end
    # The check-and-write phase has its own bar: no more silence after reading.
    assert "Recording rates" in terminal
    assert re.search(r"Recording rates\s+\[[#-]+\]\s+12000/12000", terminal)
    assert "Recording" not in stdout
    assert "[#" not in stdout
    assert stdout.startswith("eurofxref-hist.csv (ecb): ")


def test_no_terminal_no_bar(quick_shell: Shell) -> None:
    quick_shell.run("init")
    history = ecb_history(quick_shell.folder / "eurofxref-hist.csv")
    completed = subprocess.run([str(FUNDLEDGER), "rates", "import", str(history)],
                               capture_output=True, text=True, cwd=quick_shell.folder,
                               env={**os.environ, "FUNDLEDGER_DB": quick_shell.database_url},
                               check=True)  # fmt: skip
    assert completed.stderr == ""  # not even the label
    assert completed.stdout.count("\n") == 1
    assert "Reading" not in completed.stdout
    assert "[#" not in completed.stdout


def test_a_long_donation_import_counts_its_lines(quick_ledger: Shell) -> None:
    gifts = quick_ledger.folder / "gifts.csv"
    rows = [f"2025-07-03,{10 + n % 50},ILS,Donor {n},PAY-{n:05d}" for n in range(5_200)]
    gifts.write_text("date,amount,currency,donor,reference\n" + "\n".join(rows) + "\n",
                     encoding="utf-8")  # fmt: skip
    status, stdout, terminal = run_on_terminal(
        quick_ledger, "import", "donations", "dont-look-away", str(gifts)
    )
    assert status == 0, terminal
    assert "Importing gifts.csv" in terminal
    assert "5201/5201" in terminal
    assert "Importing" not in stdout
    assert "[#" not in stdout
