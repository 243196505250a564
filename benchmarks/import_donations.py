"""How long `fundledger import donations` takes on a large file, and its peak memory.

From a fixed seed, writes a donation CSV of FUNDLEDGER_BENCH_ROWS rows (default 1,000,000;
50,000 donors, ILS/USD/EUR, a reference per row), then imports it into a fresh SQLite ledger
(and into PostgreSQL when FUNDLEDGER_BENCH_POSTGRES_URL names a database it may empty)."""

from __future__ import annotations

import csv
import os
import random
import statistics
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from import_ecb_history import FUNDLEDGER, RUNS, reset_postgres, timed

ROWS = int(os.environ.get("FUNDLEDGER_BENCH_ROWS", "1000000"))
DONORS = 50_000
SEED = 20250703


def write_file(path: Path) -> None:
    randomizer = random.Random(SEED)
    first = ["Noa", "Yael", "Ahmad", "Rania", "Sarah", "David", "נועה", "أحمد"]
    last = ["Cohen", "Levi", "Haddad", "Khoury", "Miller", "כהן", "حداد"]
    donors = [
        (f"{randomizer.choice(first)} {randomizer.choice(last)} {number}",
         f"donor{number}@example.org" if number % 3 else "")
        for number in range(DONORS)
    ]  # fmt: skip
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["date", "amount", "currency", "donor", "email", "method", "reference"])
        for number in range(ROWS):
            name, email = donors[randomizer.randrange(DONORS)]
            anonymous = randomizer.random() < 0.06
            writer.writerow([
                f"2025-{randomizer.randint(1, 12):02d}-{randomizer.randint(1, 28):02d}",
                f"{randomizer.randint(1, 5000)}.{randomizer.randint(0, 99):02d}",
                randomizer.choice(["ILS", "ILS", "ILS", "USD", "EUR"]),
                "" if anonymous else name,
                "" if anonymous else email,
                randomizer.choice(["card", "bank", "cash", "paypal"]),
                f"BENCH-{number:08d}",
            ])  # fmt: skip


def bench(label: str, fresh_ledger: Callable[[int], str], path: Path) -> None:
    """Median of RUNS imports into a fresh ledger, then the same file again (all present)."""
    results = []
    for run in range(RUNS):
        env = {**os.environ, "FUNDLEDGER_DB": fresh_ledger(run)}
        for command in (["init"], ["campaign", "add", "bench", "--name", "Benchmark"]):
            timed([FUNDLEDGER, *command], env)
        results.append(timed([FUNDLEDGER, "import", "donations", "bench", str(path)], env))
    again, again_peak = timed([FUNDLEDGER, "import", "donations", "bench", str(path)], env)
    times = sorted(elapsed for elapsed, _ in results)
    print(
        f"{label}: {ROWS:,} donations imported in {statistics.median(times):.2f} s (median of "
        f"{RUNS}; {times[0]:.2f}-{times[-1]:.2f}), peak memory {max(p for _, p in results)} MiB "
        f"(all processes); the same file again (all already present) in {again:.2f} s "
        f"({again_peak} MiB)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "donations.csv"
        write_file(path)
        print(
            f"donation file: {ROWS:,} rows, {path.stat().st_size // (1 << 20)} MiB", file=sys.stderr
        )
        bench("SQLite", lambda run: f"sqlite:///{folder}/ledger-{run}.db", path)
        postgres = os.environ.get("FUNDLEDGER_BENCH_POSTGRES_URL")
        if postgres:

            def emptied(_run: int) -> str:
                reset_postgres(postgres)
                return postgres

            bench("PostgreSQL", emptied, path)


if __name__ == "__main__":
    main()
