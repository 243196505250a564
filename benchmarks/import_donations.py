"""How long `fundledger import donations` takes on a large file, and its peak memory.

From a fixed seed, writes a donation CSV of FUNDLEDGER_BENCH_ROWS rows (default 1,000,000;
50,000 donors, ILS/USD/EUR, a reference per row), then imports it into a fresh SQLite ledger
(and into PostgreSQL when FUNDLEDGER_BENCH_POSTGRES_URL names a database it may empty)."""

from __future__ import annotations

import csv
import os
import random
import sys
import tempfile
from pathlib import Path

from import_ecb_history import FUNDLEDGER, reset_postgres, timed

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


def bench(label: str, url: str, path: Path) -> None:
    env = {**os.environ, "FUNDLEDGER_DB": url}
    for command in (["init"], ["campaign", "add", "bench", "--name", "Benchmark"]):
        timed([FUNDLEDGER, *command], env)
    elapsed, peak = timed([FUNDLEDGER, "import", "donations", "bench", str(path)], env)
    again, again_peak = timed([FUNDLEDGER, "import", "donations", "bench", str(path)], env)
    print(
        f"{label}: {ROWS:,} donations imported in {elapsed:.2f} s (peak memory {peak} MiB); "
        f"the same file again (all already present) in {again:.2f} s ({again_peak} MiB)"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "donations.csv"
        write_file(path)
        print(
            f"donation file: {ROWS:,} rows, {path.stat().st_size // (1 << 20)} MiB", file=sys.stderr
        )
        bench("SQLite", f"sqlite:///{folder}/ledger.db", path)
        postgres = os.environ.get("FUNDLEDGER_BENCH_POSTGRES_URL")
        if postgres:
            reset_postgres(postgres)
            bench("PostgreSQL", postgres, path)


if __name__ == "__main__":
    main()
