"""How long the installed `fundledger` command takes to start: `--version`, `--help`, and
three commands of the warm path on a small ledger (whole command, its work included), each
the median of RUNS runs, with the share that is Python importing modules (`-X importtime`,
summed over the top-level imports) for the command's imports alone.

FUNDLEDGER_BENCH_BEFORE names the `src` folder of another checkout to measure beside this
one (the same environment, that code first on the path): the before of a change.

Run with `make bench`. Writes its section of RESULTS.md."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from import_ecb_history import FUNDLEDGER
from peers import write_section

RUNS = int(os.environ.get("FUNDLEDGER_BENCH_RUNS", "9"))
HEADING = "## Start-up: the command before its work"
COMMANDS: list[list[str]] = [
    ["--version"],
    ["--help"],
    ["rates", "list", "--pair", "USD/ILS"],
    ["campaign", "list"],
    ["report", "campaign", "dont-look-away", "--format", "json"],
]


def median_seconds(arguments: list[str], env: dict[str, str]) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        subprocess.run([FUNDLEDGER, *arguments], env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def import_seconds(arguments: list[str], env: dict[str, str]) -> float:
    """Seconds Python spent importing for the command (its top-level imports' cumulative
    times as `-X importtime` reports them; the measuring itself slows them somewhat)."""
    ran = subprocess.run(
        [sys.executable, "-X", "importtime", "-c",
         "import sys; from fundledger.cli import main; sys.argv[1:] = "
         f"{arguments!r}; main()"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    total = 0
    for line in ran.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line.split("|")
        if name.startswith(" ") and not name.startswith("  "):  # top level: one space
            total += int(cumulative)
    return total / 1e6


def measure(label: str, env: dict[str, str]) -> list[str]:
    rows = []
    for arguments in COMMANDS:
        whole = median_seconds(arguments, env)
        imports = import_seconds(arguments, env)
        rows.append(f"| {label} | `fundledger {' '.join(arguments)}` | {whole:.2f} s | "
                    f"{imports:.2f} s |")  # fmt: skip
        print(rows[-1])
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        env = {**os.environ, "FUNDLEDGER_DB": f"sqlite:///{folder}/ledger.db"}
        for arguments in (
            ["init"],
            ["campaign", "add", "dont-look-away", "--name", "Don't Look Away"],
            ["rates", "add", "2025-07-03", "USD", "ILS", "3.376"],
            ["donation", "add", "dont-look-away", "--date", "2025-07-03", "--amount", "100",
             "--currency", "USD", "--donor", "Dana Levi"],
        ):  # fmt: skip
            subprocess.run([FUNDLEDGER, *arguments], env=env, check=True, capture_output=True)
        rows = []
        before = os.environ.get("FUNDLEDGER_BENCH_BEFORE")
        if before:
            rows += measure("before", {**env, "PYTHONPATH": str(Path(before).resolve())})
        rows += measure("now", env)
    write_section(HEADING, "\n".join([
        HEADING,
        "",
        f"The installed command on a ledger of one gift, whole command (its work included), "
        f"median of {RUNS} runs; imports: what `python -X importtime` counts for the "
        "command's imports (inflated by the counting). `benchmarks/startup.py`; "
        "FUNDLEDGER_BENCH_BEFORE=<checkout>/src adds another checkout's figures.",
        "",
        "| code | command | whole command | imports |",
        "|---|---|---:|---:|",
        *rows,
        "",
    ]))  # fmt: skip


if __name__ == "__main__":
    main()
