"""What a write costs the report after it, in one long-running process (a server, issue #26
target 1): the ledger of `search_and_list.py` (FUNDLEDGER_BENCH_ROWS donations, default
1,000,000; SQLite, and PostgreSQL when FUNDLEDGER_BENCH_POSTGRES_URL names a database the
benchmark may empty), the largest campaign's summary (`campaign_summary`, from the stored
summaries, as `report campaign` and the campaign page make it):

- warm: the report again and again, nothing written in between;
- after a gift: a gift recorded, the stored summaries brought up to date in its transaction (as
  `donation add` and the web's forms do: the write, timed, its upkeep included), then the
  report, timed with the check that the summaries are current (as `report campaign` makes it);
  "within 1.2x of warm" is the target;
- after a reversal, after a corrected rate (of a week before the latest): the same.

Code from before the upkeep moved into the write (FUNDLEDGER_BENCH_BEFORE, an older checkout)
does the upkeep in the report's own transaction, timed with the report.

Each median of FUNDLEDGER_BENCH_RUNS (default 21) in the same process, after an untimed one.
FUNDLEDGER_BENCH_BEFORE names the `src` folder of another checkout, measured beside this one
(its code first on the path) on a copy of the same ledger: the before of a change.
FUNDLEDGER_BENCH_LEDGER reuses a SQLite ledger built before (as web_pages.py).

Run with `make bench`. Writes its section of RESULTS.md."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import peers
from import_ecb_history import reset_postgres
from search_and_list import build_ledger

RUNS = int(os.environ.get("FUNDLEDGER_BENCH_RUNS", "21"))
HEADING = "## Upkeep per write: the report after a write, in one process"
CAMPAIGN = peers.slug(0)  # the largest: a fifth of the gifts
TARGET = 1.2  # the report after a write against a warm one


def upkeep_in_the_write() -> Callable[..., object] | None:
    """The write's own upkeep of the stored summaries, where the code measured has it."""
    try:
        from fundledger.services.summary_store import bring_up_to_date_within
    except ImportError:
        return None
    return bring_up_to_date_within


def measure(url: str) -> dict[str, list[float]]:
    """In this process (its code: whatever `fundledger` the path gives first), on `url`."""
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from fundledger.adapters.db.engine import make_engine, transaction
    from fundledger.adapters.db.models import Donation, ExchangeRate
    from fundledger.domain.money import Money
    from fundledger.domain.rates import Rate
    from fundledger.services.context import CommandContext
    from fundledger.services.donations import record_donation, reverse_donation
    from fundledger.services.rate_import import add_rate
    from fundledger.services.reports import campaign_summary
    from fundledger.services.settings import RULE_KEYS, current_settings, ledger_settings
    from fundledger.services.summary_store import refresh

    keep_up = upkeep_in_the_write()
    engine = make_engine(url)

    def context_of(session: Session) -> CommandContext:
        rules = ledger_settings(current_settings(session, RULE_KEYS))
        return CommandContext(command="bench", actor="bench", settings=rules)

    def report() -> float:
        started = time.perf_counter()
        refresh(engine, context_of)
        with transaction(engine) as session:
            campaign_summary(session, context_of(session), CAMPAIGN)
        return time.perf_counter() - started

    def write(work: Callable[[Session, CommandContext], object]) -> float:
        started = time.perf_counter()
        with transaction(engine, write=True) as session:
            work(session, context := context_of(session))
            if keep_up is not None:
                keep_up(session, context)
        return time.perf_counter() - started

    with transaction(engine) as session:
        latest_day = session.scalar(select(func.max(Donation.donation_date)))
        latest_rate = session.execute(
            select(ExchangeRate.rate_date, ExchangeRate.rate)
            .order_by(ExchangeRate.rate_date.desc(), ExchangeRate.id.desc()).limit(1)
        ).one()  # fmt: skip
    assert isinstance(latest_day, date)
    times: dict[str, list[float]] = {"warm": []}
    report()  # untimed: the summaries current, the caches of the process filled
    for _ in range(RUNS):
        times["warm"].append(report())

    def after(step: str, works: list[Callable[[Session, CommandContext], object]]) -> None:
        """Each write, then the report: both timed, but for the first (untimed: its SQL
        compiled for the first time in this process)."""
        times[f"{step}: write"], times[f"{step}: report after"] = [], []
        for number, work in enumerate(works):
            spent = write(work)
            made = report()
            if number:
                times[f"{step}: write"].append(spent)
                times[f"{step}: report after"].append(made)

    recorded: list[int] = []
    after("gift", [lambda s, c, n=number: recorded.append(record_donation(
        s, c, campaign_slug=CAMPAIGN, on=latest_day, amount=Money(f"{100 + n}", "ILS"),
        donor_name=f"Upkeep Donor {n}").id) for number in range(RUNS + 1)])  # fmt: skip
    after("reversal", [lambda s, c, gift=gift: reverse_donation(
        s, c, donation_id=gift, reason="bench") for gift in recorded])  # fmt: skip
    day, value = latest_rate
    corrected = [Rate(day - timedelta(days=7), "USD", "ILS",
                      Decimal(value) + Decimal(number + 1) / 10_000, "BOI")
                 for number in range(RUNS + 1)]  # fmt: skip
    after("rate", [lambda s, c, rate=rate: add_rate(s, c, rate, supersede=True)
                   for rate in corrected])  # fmt: skip
    engine.dispose()
    return times


def measured(url: str, source: str | None) -> dict[str, list[float]]:
    """`measure` in a process of its own, with `source` (a checkout's src) first on the path."""
    env = dict(os.environ)
    if source:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [source, env.get("PYTHONPATH")]))
    ran = subprocess.run([sys.executable, __file__, "measure", url], env=env, check=True,
                         capture_output=True, text=True)  # fmt: skip
    return json.loads(ran.stdout)  # type: ignore[no-any-return]


def ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"{statistics.median(ordered) * 1000:.1f} · {p95 * 1000:.1f}"


def rows(label: str, code: str, times: dict[str, list[float]]) -> list[str]:
    warm = statistics.median(times["warm"])
    lines = [f"| {label} | {code} | warm | {ms(times['warm'])} | | 1.00x | | |"]
    for step in ("gift", "reversal", "rate"):
        after = statistics.median(times[f"{step}: report after"])
        ratio = after / warm
        # What one process waits from the write's start to the report's end, against a warm
        # report: the upkeep is paid by one or the other.
        pairs = zip(times[f"{step}: write"], times[f"{step}: report after"], strict=True)
        both = statistics.median(write + report for write, report in pairs) / warm
        met = "yes" if ratio <= TARGET else "**no**"
        lines.append(f"| {label} | {code} | after a {'corrected rate' if step == 'rate' else step} "
                     f"| {ms(times[f'{step}: report after'])} | {ms(times[f'{step}: write'])} "
                     f"| {ratio:.2f}x | {met} | {both:.2f}x |")  # fmt: skip
    return lines


def main() -> None:
    before = os.environ.get("FUNDLEDGER_BENCH_BEFORE")
    postgres = os.environ.get("FUNDLEDGER_BENCH_POSTGRES_URL")
    table = ["| database | code | report | the report, median · p95 ms | "
             "the write, median · p95 ms | report / warm | within 1.2x | write and report / "
             "warm |", "|---|---|---|---:|---:|---:|---|---:|"]  # fmt: skip
    codes = [("before", before), ("now", None)] if before else [("now", None)]
    load = os.getloadavg()[0]  # other work on the machine slows warm and after alike
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        cached = os.environ.get("FUNDLEDGER_BENCH_LEDGER")
        source = Path(cached) if cached else folder / "built.db"
        if not source.exists():
            build_ledger(f"sqlite:///{source}", folder)
        for code, path in codes:
            copy = folder / "ledger.db"
            shutil.copyfile(source, copy)
            print(f"SQLite, {code}", file=sys.stderr)
            table += rows("SQLite", code, measured(f"sqlite:///{copy}", path))
        if postgres:
            reset_postgres(postgres)
            build_ledger(postgres, folder)
            for code, path in codes:
                print(f"PostgreSQL, {code}", file=sys.stderr)
                table += rows("PostgreSQL", code, measured(postgres, path))
    section = "\n".join([
        HEADING, "",
        f"Made by `make bench` (benchmarks/upkeep.py): the ledger of the sections above "
        f"({peers.ROWS:,} gifts), the largest campaign's summary (`{CAMPAIGN}`) made in one "
        "process, as a server makes it: warm (nothing written in between), and right after a "
        "gift, a reversal or a corrected rate (of a week before the latest). The upkeep of the "
        "stored summaries is in the write's transaction and timed with the write (as "
        "`donation add`, `rates add` and the web's forms do it); in \"before\" code that lacks "
        "it, in the report's (as `report campaign` does it when they are behind). Median · p95 of "
        f"{RUNS} each, in the same process; \"before\": another checkout's code on a copy of "
        "the same ledger (PostgreSQL: the same database, after the other's writes). Target: "
        f"the report after a write within {TARGET}x of a warm one. Load average (1 min) as "
        f"the measuring began: {load:.1f}.", "",
        *table,
    ]) + "\n"  # fmt: skip
    print(section)
    peers.write_section(HEADING, section)


if __name__ == "__main__":
    if sys.argv[1:2] == ["measure"]:
        print(json.dumps(measure(sys.argv[2])))
    else:
        main()
