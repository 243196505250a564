"""A larger organisation's ledger (issue #26 target 5): FUNDLEDGER_BENCH_LARGE_ROWS donations
(default 10,000,000) of 2025, 50,000 donors, in one campaign, on PostgreSQL
(FUNDLEDGER_BENCH_POSTGRES_URL names a database the benchmark may empty; required). The file is
the one benchmarks/import_donations.py writes, longer; the rates: USD/ILS and EUR/ILS of every
day of 2025. Each step is the installed command, timed whole, with the peak memory of its
process tree:

- the import of the file into a fresh ledger;
- the first report (it builds the stored summaries), then the report again (warm, median of
  FUNDLEDGER_BENCH_RUNS, default 3);
- a donor search (`donation list --donor`), median of the runs;
- a gift recorded (`donation add`), then the report after it.

Not part of `make bench` (it takes several minutes and a few GiB of disk): `make bench-large`.
Writes its section of RESULTS.md."""

from __future__ import annotations

import os
import platform
import statistics
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path

import import_donations
import peers
from import_ecb_history import FUNDLEDGER, RUNS, reset_postgres, timed

ROWS = int(os.environ.get("FUNDLEDGER_BENCH_LARGE_ROWS", "10000000"))
HEADING = "## A larger organisation: PostgreSQL at 10 million gifts"
CAMPAIGN = "bench"
DONOR_QUERY = "4242"  # a part of a name: donors 4242, 14242, ... (names end in their number)


def write_rates(path: Path) -> None:
    with path.open("w") as out:
        out.write("date,base,quote,rate,source\n")
        day = date(2024, 12, 25)
        while day <= date(2025, 12, 31):
            wobble = (day.toordinal() % 37) / 10_000
            out.write(f"{day},USD,ILS,{3.5 + wobble:.4f},BOI\n")
            out.write(f"{day},EUR,ILS,{3.9 + wobble:.4f},BOI\n")
            day += timedelta(days=1)


def row(step: str, times: list[tuple[float, int]]) -> str:
    seconds = sorted(elapsed for elapsed, _ in times)
    spread = f" ({seconds[0]:.2f}–{seconds[-1]:.2f})" if len(seconds) > 1 else ""
    return (f"| {step} | {statistics.median(seconds):.2f} s{spread} | "
            f"{max(peak for _, peak in times):,} MiB |")  # fmt: skip


def main() -> None:
    postgres = os.environ.get("FUNDLEDGER_BENCH_POSTGRES_URL")
    if not postgres:
        sys.exit("large.py: set FUNDLEDGER_BENCH_POSTGRES_URL to a database it may empty")
    env = {**os.environ, "FUNDLEDGER_DB": postgres}
    lines = []
    load = os.getloadavg()[0]  # other work on the machine slows every step alike
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        donations, rates = folder / "donations.csv", folder / "rates.csv"
        import_donations.ROWS = ROWS
        import_donations.write_file(donations)
        write_rates(rates)
        size = donations.stat().st_size / (1 << 30)
        print(f"{ROWS:,} rows, {size:.1f} GiB", file=sys.stderr)
        reset_postgres(postgres)
        for command in (["init"], ["campaign", "add", CAMPAIGN, "--name", "Benchmark"],
                        ["rates", "import", str(rates), "--format", "csv"]):  # fmt: skip
            timed([FUNDLEDGER, *command], env)
        report = [FUNDLEDGER, "report", "campaign", CAMPAIGN, "--format", "json"]
        search = [FUNDLEDGER, "donation", "list", "--donor", DONOR_QUERY]
        steps = [
            (f"import of the file ({size:.1f} GiB)",
             [timed([FUNDLEDGER, "import", "donations", CAMPAIGN, str(donations)], env)]),
            ("the first report (builds the stored summaries)", [timed(report, env)]),
            ("the report again (warm)", [timed(report, env) for _ in range(RUNS)]),
            (f"donor search (`donation list --donor '{DONOR_QUERY}'`)",
             [timed(search, env) for _ in range(RUNS)]),
        ]  # fmt: skip
        after: list[tuple[float, int]] = []
        writes: list[tuple[float, int]] = []
        for number in range(RUNS):
            writes.append(timed([FUNDLEDGER, "donation", "add", CAMPAIGN, "--date", "2025-12-31",
                                 "--amount", f"{100 + number}", "--currency", "ILS",
                                 "--donor", "Large Bench Donor"], env))  # fmt: skip
            after.append(timed(report, env))
        steps += [("a gift recorded (`donation add`)", writes),
                  ("the report after it (its upkeep included)", after)]  # fmt: skip
        for step, times in steps:
            lines.append(row(step, times))
            print(lines[-1], file=sys.stderr)
    section = "\n".join([
        HEADING, "",
        f"Made by `make bench-large` (benchmarks/large.py; not part of `make bench`): "
        f"{ROWS:,} donations of 2025 from {import_donations.DONORS:,} donors in one campaign, "
        "imported into a fresh PostgreSQL ledger; each step the installed command, timed whole "
        f"(start-up included), median of {RUNS} where there are several (min–max), with the "
        f"peak memory of its process tree. {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; load average (1 min) as "
        f"the measuring began: {load:.1f}.", "",
        "| step | time | peak memory |", "|---|---:|---:|",
        *lines,
    ]) + "\n"  # fmt: skip
    print(section)
    peers.write_section(HEADING, section)


if __name__ == "__main__":
    main()
