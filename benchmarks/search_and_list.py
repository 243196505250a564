"""How long finding gifts (`fundledger donation list` with conditions) and `fundledger campaign
list` take on a large ledger: the data of `peers.py` (FUNDLEDGER_BENCH_ROWS donations, default
1,000,000, from 50,000 donors to 20 campaigns, ILS and USD, 2023-2025, the USD/ILS rate of every
business day), imported into a fresh SQLite ledger (and PostgreSQL when
FUNDLEDGER_BENCH_POSTGRES_URL names a database the benchmark may empty), its stored summaries
built by a first report, then each measured FUNDLEDGER_BENCH_RUNS times:

- inside the command: the service call alone (`search_donations`, `campaign_totals`) in a
  process that has already started and imported fundledger;
- the whole command, from process start to its output (Python's start-up and imports included).

Writes its section of benchmarks/RESULTS.md (after peers.py, which writes the rest) and prints
it. Target: under 0.2 s inside the command for each."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import peers
from import_ecb_history import FUNDLEDGER, RUNS, reset_postgres, timed

TARGET = 0.2  # seconds inside the command
SEARCHES: dict[str, list[str]] = {
    "donor-name search (`--donor 'donor 4242'`)": ["--donor", "donor 4242"],
    "dates and value (`--from 2025-03-01 --to 2025-03-31 --min 4000`)": [
        "--from", "2025-03-01", "--to", "2025-03-31", "--min", "4000"],
}  # fmt: skip
CAMPAIGN_LIST = "`campaign list` (20 campaigns, from the stored summaries)"

# The service call alone, inside a process that has started already: what the command spends
# beyond Python's start-up and imports (paid by every command).
IN_PROCESS = """
import os, sys, time
from fundledger.adapters.db.engine import make_engine, transaction
from fundledger.domain.money import Money
from fundledger.services.campaign_totals import campaign_totals
from fundledger.services.context import CommandContext
from fundledger.services.search import DonationSearch, search_donations
from datetime import date
engine = make_engine(os.environ["FUNDLEDGER_DB"])
what = sys.argv[1]
context = CommandContext(command="bench")
with transaction(engine) as session:  # a first, untimed read: the connection is set up
    campaign_totals(session, context)
started = time.perf_counter()
with transaction(engine) as session:
    if what == "list":
        found = len(campaign_totals(session, context))
    else:
        search = (DonationSearch(donor="donor 4242") if what == "donor" else DonationSearch(
            date_from=date(2025, 3, 1), date_to=date(2025, 3, 31),
            minimum=Money.parse("4000", "ILS")))
        found = search_donations(session, context, search, 100).total
print(time.perf_counter() - started, found)
"""


def build_ledger(url: str, folder: Path) -> dict[str, str]:
    env = {**os.environ, "FUNDLEDGER_DB": url}
    donations, rates = folder / "donations.csv", folder / "rates.csv"
    if not donations.exists():
        data = peers.generate()
        with rates.open("w") as out:
            out.write("date,base,quote,rate,source\n")
            out.writelines(f"{day},USD,ILS,{rate},BOI\n" for day, rate in data.rates.items())
        with donations.open("w") as out:
            out.write("date,amount,currency,donor,email,reference,campaign\n")
            out.writelines(
                f"{gift.day},{peers.amount(gift)},{gift.currency},Donor {gift.donor},"
                f"{f'donor{gift.donor}@example.org' if gift.donor % 3 else ''},G{number:08d},"
                f"{peers.slug(gift.campaign)}\n"
                for number, gift in enumerate(data.gifts)
            )
    commands = [
        ["init"],
        *(["campaign", "add", peers.slug(number), "--name", f"Campaign {number + 1}",
           "--goal", "5000000"] for number in range(peers.CAMPAIGNS)),
        ["rates", "import", str(rates), "--format", "csv"],
        ["import", "donations", str(donations)],
        ["report", "campaign", "--all", "--format", "json"],  # builds the stored summaries
    ]  # fmt: skip
    for command in commands:
        subprocess.run([FUNDLEDGER, *command], env=env, check=True, capture_output=True)
    return env


def inside(what: str, env: dict[str, str]) -> tuple[list[float], int]:
    times, found = [], 0
    for _ in range(RUNS):
        out = subprocess.run([sys.executable, "-c", IN_PROCESS, what], env=env, check=True,
                             capture_output=True, text=True).stdout.split()  # fmt: skip
        times.append(float(out[0]))
        found = int(out[1])
    return sorted(times), found


def whole(command: list[str], env: dict[str, str]) -> list[float]:
    timed([FUNDLEDGER, *command], env)  # once to warm the caches
    return sorted(timed([FUNDLEDGER, *command], env)[0] for _ in range(RUNS))


def figure(times: list[float]) -> str:
    return f"{statistics.median(times):.3f} s ({times[0]:.3f}–{times[-1]:.3f})"


def bench(label: str, env: dict[str, str]) -> list[str]:
    lines = []
    cases = [(name, "donor" if "donor" in name else "dates", ["donation", "list", *options])
             for name, options in SEARCHES.items()]  # fmt: skip
    cases.append((CAMPAIGN_LIST, "list", ["campaign", "list"]))
    for name, what, command in cases:
        times, found = inside(what, env)
        unit = "campaigns" if what == "list" else "gifts found"
        met = "yes" if statistics.median(times) < TARGET else "**no**"
        lines.append(f"| {name} | {label} | {found:,} {unit} | {figure(times)} | "
                     f"{figure(whole(command, env))} | {met} |")  # fmt: skip
    return lines


SECTION = "## Finding gifts and listing campaigns"


def main() -> None:
    rows = [
        f"| query | database | result | inside the command | whole command | under "
        f"{TARGET} s inside |",
        "|---|---|---|---|---|---|",
    ]
    postgres = os.environ.get("FUNDLEDGER_BENCH_POSTGRES_URL")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        targets: list[tuple[str, Callable[[], str]]] = [
            ("SQLite", lambda: f"sqlite:///{folder}/ledger.db")
        ]
        if postgres:

            def emptied() -> str:
                reset_postgres(postgres)
                return postgres

            targets.append(("PostgreSQL", emptied))
        for label, fresh in targets:
            print(f"building a {label} ledger of {peers.ROWS:,} gifts", file=sys.stderr)
            rows += bench(label, build_ledger(fresh(), folder))
    section = "\n".join([
        SECTION, "",
        f"Made by `make bench` (benchmarks/search_and_list.py): the data of the comparison "
        f"above ({peers.ROWS:,} donations, 50,000 donors, 20 campaigns), its stored summaries "
        f"built. Median of {RUNS} runs (min–max). Inside the command: the service call alone "
        "(`search_donations` with a limit of 100, as the table shows; `campaign_totals`), in "
        "a process already started; the whole command: from process start to its output, "
        "Python's start-up and imports (about 0.5 s) included.", "",
        *rows, "",
    ])  # fmt: skip
    print(section)
    peers.write_section(SECTION, section)


if __name__ == "__main__":
    main()
