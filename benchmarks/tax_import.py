"""How long `fundledger tax import FILE` takes to record 10,000 numbers the Tax Authority
returned, one per gift (each row checked against the numbers already in force), and its peak
memory.

Each run builds a fresh ledger of 10,000 named gifts in NIS (no rates needed) and an
organisation with a Section 46 approval, then imports a `gift,number` file naming every
gift. On PostgreSQL too when FUNDLEDGER_BENCH_POSTGRES_URL names a database the benchmark
may empty."""

from __future__ import annotations

import os
import statistics
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

from import_ecb_history import FUNDLEDGER, RUNS, reset_postgres, timed

NUMBERS = int(os.environ.get("FUNDLEDGER_BENCH_TAX_NUMBERS", "10000"))


def write_files(folder: Path) -> tuple[Path, Path]:
    gifts, numbers = folder / "gifts.csv", folder / "numbers.csv"
    with gifts.open("w", encoding="utf-8") as out:
        out.write("date,amount,currency,donor,reference\n")
        for index in range(1, NUMBERS + 1):
            day = 1 + index % 28
            out.write(f"2026-02-{day:02d},{100 + index % 400}.00,ILS,Donor {index},TX-{index}\n")
    with numbers.open("w", encoding="utf-8") as out:
        out.write("gift,number\n")
        for index in range(1, NUMBERS + 1):  # a fresh ledger numbers its gifts from 1
            out.write(f"{index},{70000000 + index}\n")
    return gifts, numbers


def run_once(url: str, gifts: Path, numbers: Path) -> tuple[float, int]:
    env = {**os.environ, "FUNDLEDGER_DB": url}
    for command in (
        ["init"],
        ["campaign", "add", "bench", "--name", "Benchmark"],
        ["import", "donations", "bench", str(gifts)],
        ["settings", "set", "organisation.section46.approval", "4512"],
    ):
        subprocess.run([FUNDLEDGER, *command], env=env, check=True, capture_output=True)
    return timed([FUNDLEDGER, "tax", "import", str(numbers)], env)


def bench(label: str, fresh_ledger: Callable[[int], str], gifts: Path, numbers: Path) -> str:
    results = [run_once(fresh_ledger(run), gifts, numbers) for run in range(RUNS)]
    times = sorted(elapsed for elapsed, _ in results)
    return (
        f"{label}: {NUMBERS:,} Tax Authority numbers imported in "
        f"{statistics.median(times):.2f} s (median of {RUNS}; {times[0]:.2f}-{times[-1]:.2f}), "
        f"peak memory {max(peak for _, peak in results)} MiB"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        gifts, numbers = write_files(folder)
        lines = [bench("SQLite", lambda run: f"sqlite:///{folder}/ledger-{run}.db", gifts, numbers)]
        postgres = os.environ.get("FUNDLEDGER_BENCH_POSTGRES_URL")
        if postgres:

            def emptied(_run: int) -> str:
                reset_postgres(postgres)
                return postgres

            lines.append(bench("PostgreSQL", emptied, gifts, numbers))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
