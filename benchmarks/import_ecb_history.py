"""How long `fundledger rates import` takes on the ECB's full reference-rate history, and how
much memory it needs at its peak: a fresh SQLite ledger per run (and PostgreSQL when
FUNDLEDGER_BENCH_POSTGRES_URL names a server database to use, emptied first).

Run with `make bench`. Prints one line per target: median, min–max and peak memory."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from importlib.resources import files
from pathlib import Path

from sqlalchemy import create_engine, text

from fundledger.adapters.db.engine import normalize_url

RUNS = int(os.environ.get("FUNDLEDGER_BENCH_RUNS", "3"))
FUNDLEDGER = str(Path(sys.executable).with_name("fundledger"))
ECB_ZIP = Path(str(files("currency_converter") / "eurofxref-hist.zip"))


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall time in seconds and peak resident memory in MiB of one command, its child
    processes included (sampled every 50 ms, and never less than its own peak)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as errors:
        process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        peak_tree = 0
        finished = threading.Event()

        def sample() -> None:
            nonlocal peak_tree
            while not finished.wait(0.05):
                peak_tree = max(peak_tree, tree_rss_kib(process.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(process.pid, 0)
        elapsed = time.perf_counter() - started
        finished.set()
        sampler.join()
        if status != 0:
            errors.seek(0)
            raise SystemExit(f"{' '.join(command)} failed: {errors.read().decode()}")
    return elapsed, max(usage.ru_maxrss, peak_tree) // 1024


def tree_rss_kib(pid: int) -> int:
    """Resident memory of a process and all its descendants now, in KiB (Linux /proc)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += next(
                (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")),
                0,
            )
            for task in Path(f"/proc/{current}/task").iterdir():
                pending.extend(int(child) for child in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue  # it ended meanwhile
    return total


def reset_postgres(url: str) -> None:
    engine = create_engine(normalize_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def bench(label: str, fresh_ledger: Callable[[int], str]) -> None:
    times, peaks = [], []
    for run in range(RUNS):
        url = fresh_ledger(run)
        env = {**os.environ, "FUNDLEDGER_DB": url}
        subprocess.run([FUNDLEDGER, "init"], env=env, check=True, capture_output=True)
        elapsed, peak = timed([FUNDLEDGER, "rates", "import", str(ECB_ZIP)], env)
        times.append(elapsed)
        peaks.append(peak)
    print(
        f"{label}: ECB history ({ECB_ZIP.stat().st_size // 1024} KiB zip) imported in "
        f"median {statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}, "
        f"{len(times)} runs), peak memory {max(peaks)} MiB"
    )


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        bench("SQLite", lambda run: f"sqlite:///{folder}/run{run}.db")
    postgres = os.environ.get("FUNDLEDGER_BENCH_POSTGRES_URL")
    if postgres:

        def emptied(_run: int) -> str:
            reset_postgres(postgres)
            return postgres

        bench("PostgreSQL", emptied)


if __name__ == "__main__":
    main()
