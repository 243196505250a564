"""fundledger beside the plain-text accounting tools a treasurer might use instead: ledger-cli,
hledger and Beancount, on the same data, for the same figure (every gift valued in USD at the
rate of its own date), with their time and peak memory beside ours.

From a fixed seed: FUNDLEDGER_BENCH_ROWS donations (default 1,000,000) from 50,000 donors to
20 campaigns of very different sizes, in ILS and USD, on any day from January 2023 to December
2025, and the USD/ILS rate of every business day of those years (some with 3 decimals, as the
Bank of Israel publishes, some with 4). Written as our donation CSV (with a campaign column)
and rate CSV, as a ledger-cli/hledger journal with one price directive per rate day, and as a
Beancount file. Each tool's total must agree: they value each gift exactly and round the total
once; fundledger rounds each gift, as a receipt does. Both of our figures are reported, and the
exact one (computed here with fractions, from the same data) must equal theirs to the cent.

Writes benchmarks/RESULTS.md (FUNDLEDGER_BENCH_RESULTS to write elsewhere) and prints it."""

from __future__ import annotations

import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

from import_ecb_history import FUNDLEDGER, RUNS, timed

ROWS = int(os.environ.get("FUNDLEDGER_BENCH_ROWS", "1000000"))
SEED = 20231207
DONORS = 50_000
CAMPAIGNS = 20
FIRST_DAY, LAST_DAY = date(2023, 1, 2), date(2025, 12, 31)
RESULTS = Path(os.environ.get("FUNDLEDGER_BENCH_RESULTS", Path(__file__).with_name("RESULTS.md")))
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Gift:
    day: date
    minor: int
    currency: str
    donor: int
    campaign: int


@dataclass
class Data:
    rates: dict[date, Decimal]  # 1 USD = rate ILS, on business days
    gifts: list[Gift]

    def rate_on(self, day: date) -> Decimal:
        while day not in self.rates:
            day -= timedelta(days=1)
        return self.rates[day]


def generate() -> Data:
    randomizer = random.Random(SEED)
    rates: dict[date, Decimal] = {}
    level = 3.65
    day = FIRST_DAY
    while day <= LAST_DAY:
        if day.weekday() < 5:
            level = min(4.0, max(3.3, level + randomizer.gauss(0, 0.012)))
            places = Decimal("0.001") if day.toordinal() % 3 == 0 else Decimal("0.0001")
            rates[day] = Decimal(repr(level)).quantize(places, rounding=ROUND_HALF_UP)
        day += timedelta(days=1)
    days = (LAST_DAY - FIRST_DAY).days
    weights = [1 / (rank + 1) for rank in range(CAMPAIGNS)]  # the largest is a fifth of all
    campaigns = randomizer.choices(range(CAMPAIGNS), weights, k=ROWS)
    gifts = [
        Gift(
            FIRST_DAY + timedelta(days=randomizer.randrange(days + 1)),
            randomizer.randint(100, 500_000),
            "USD" if randomizer.random() < 0.25 else "ILS",
            randomizer.randrange(DONORS),
            campaigns[number],
        )
        for number in range(ROWS)
    ]
    return Data(rates, gifts)


def slug(campaign: int) -> str:
    return f"campaign-{campaign + 1:02d}"


def amount(gift: Gift) -> str:
    return f"{gift.minor // 100}.{gift.minor % 100:02d}"


def write_files(data: Data, folder: Path) -> dict[str, Path]:
    paths = {name: folder / name for name in (
        "donations.csv", "rates.csv", "journal.ledger", "journal.beancount")}  # fmt: skip
    with paths["rates.csv"].open("w") as out:
        out.write("date,base,quote,rate,source\n")
        out.writelines(f"{day},USD,ILS,{rate},BOI\n" for day, rate in data.rates.items())
    with paths["donations.csv"].open("w") as out:
        out.write("date,amount,currency,donor,email,reference,campaign\n")
        out.writelines(
            f"{gift.day},{amount(gift)},{gift.currency},Donor {gift.donor},"
            f"{f'donor{gift.donor}@example.org' if gift.donor % 3 else ''},G{number:08d},"
            f"{slug(gift.campaign)}\n"
            for number, gift in enumerate(data.gifts)
        )
    by_day = sorted(data.gifts, key=lambda gift: gift.day)
    with paths["journal.ledger"].open("w") as out:  # read by ledger-cli and by hledger
        out.writelines(f"P {day} USD {rate} ILS\n" for day, rate in data.rates.items())
        out.writelines(
            f"\n{gift.day} gift\n    assets:bank:{slug(gift.campaign)}  {amount(gift)} "
            f"{gift.currency}\n    income:donations:{slug(gift.campaign)}\n"
            for gift in by_day
        )
    with paths["journal.beancount"].open("w") as out:
        out.write('option "operating_currency" "USD"\n')
        out.write(f"{FIRST_DAY - timedelta(days=1)} open Assets:Bank\n")
        out.write(f"{FIRST_DAY - timedelta(days=1)} open Income:Donations\n")
        out.writelines(f"{day} price USD {rate} ILS\n" for day, rate in data.rates.items())
        out.writelines(
            f'\n{gift.day} * "gift"\n  Assets:Bank  {amount(gift)} {gift.currency}\n'
            "  Income:Donations\n"
            for gift in by_day
        )
    return paths


def exact_usd(data: Data) -> tuple[Decimal, Decimal]:
    """The USD total two ways: every gift valued exactly and the sum rounded once (what the
    plain-text tools print), and every gift rounded to the cent first (what fundledger's
    report and receipts show), half up as shared/design.md rules."""
    exact = Fraction(0)
    per_gift = 0
    for gift in data.gifts:
        value = Fraction(gift.minor) if gift.currency == "USD" else (
            Fraction(gift.minor) / Fraction(data.rate_on(gift.day)))  # fmt: skip
        exact += value
        per_gift += int(value + Fraction(1, 2))  # half up: every value is positive
    rounded = int(exact + Fraction(1, 2))
    return Decimal(rounded) / 100, Decimal(per_gift) / 100


@dataclass
class Measure:
    label: str
    times: list[float]
    peak_mib: int
    total: Decimal | None = None

    @property
    def median(self) -> float:
        return statistics.median(self.times)

    def cell(self) -> str:
        spread = f" ({min(self.times):.2f}–{max(self.times):.2f})" if len(self.times) > 1 else ""
        return f"{self.median:.2f} s{spread} · {self.peak_mib:,} MiB"


def run_tool(command: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """Wall time, peak resident memory (MiB) and standard output of one run of a tool."""
    with tempfile.NamedTemporaryFile(suffix=".time") as stats:
        result = subprocess.run(["/usr/bin/time", "-f", "%e %M", "-o", stats.name, *command],
                                capture_output=True, text=True, env=env, check=False)  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr[-2000:]}")
        elapsed, peak_kib = Path(stats.name).read_text().split()[-2:]
    return float(elapsed), int(peak_kib) // 1024, result.stdout


def last_number(text: str, currency: str = "USD") -> Decimal:
    """The last amount in USD a tool printed ("232,880.00 USD" or "USD 232880.00")."""
    found = re.findall(rf"(-?[0-9][0-9,]*\.[0-9]+)\s*{currency}", text)
    if not found:
        raise RuntimeError(f"no {currency} total in: {text[-500:]}")
    return Decimal(found[-1].replace(",", ""))


PEERS = {
    "ledger-cli": lambda paths: ["ledger", "-f", str(paths["journal.ledger"]), "bal",
                                 "assets:bank", "-X", "USD", "-H", "--depth", "1"],
    "hledger": lambda paths: ["hledger", "-f", str(paths["journal.ledger"]), "bal",
                              "assets:bank", "--value=then,USD", "--depth", "1", "-c",
                              "1,000.00 USD"],
    "Beancount": lambda paths: [str(Path(sys.executable).with_name("bean-query")),
                                str(paths["journal.beancount"]),
                                "SELECT sum(convert(position, 'USD', date)) AS total "
                                "WHERE account = 'Assets:Bank'"],
}  # fmt: skip


def measure_peer(name: str, paths: dict[str, Path]) -> Measure:
    env = {**os.environ, "BEANCOUNT_DISABLE_LOAD_CACHE": "1"}
    times, peaks, total = [], [], None
    for _ in range(RUNS):
        elapsed, peak, output = run_tool(PEERS[name](paths), env)
        times.append(elapsed)
        peaks.append(peak)
        total = last_number(output)
    return Measure(name, times, max(peaks), total)


def measure_ours(paths: dict[str, Path], folder: Path) -> tuple[Measure, Measure, Decimal]:
    """Cold: a fresh ledger, the rates and donations imported, the all-campaigns summary
    made. Warm: the summary again, on the loaded ledger."""
    cold, warm, peaks, warm_peaks = [], [], [], []
    total = Decimal(0)
    for run in range(RUNS):
        ledger = folder / f"ledger-{run}.db"
        env = {**os.environ, "FUNDLEDGER_DB": f"sqlite:///{ledger}"}
        steps = [["init"], *(["campaign", "add", slug(number), "--name", f"Campaign {number + 1}"]
                             for number in range(CAMPAIGNS))]  # fmt: skip
        for step in steps:
            subprocess.run([FUNDLEDGER, *step], env=env, check=True, capture_output=True)
        elapsed = 0.0
        peak = 0
        for step in (["rates", "import", str(paths["rates.csv"]), "--format", "csv"],
                     ["import", "donations", str(paths["donations.csv"])],
                     ["report", "campaign", "--all", "--format", "json"]):  # fmt: skip
            seconds, mib = timed([FUNDLEDGER, *step], env)
            elapsed += seconds
            peak = max(peak, mib)
        cold.append(elapsed)
        peaks.append(peak)
        seconds, mib = timed([FUNDLEDGER, "report", "campaign", "--all", "--format", "json"], env)
        warm.append(seconds)
        warm_peaks.append(mib)
        report = subprocess.run([FUNDLEDGER, "report", "campaign", "--all", "--format", "json"],
                                env=env, check=True, capture_output=True, text=True)  # fmt: skip
        total = Decimal(json.loads(report.stdout)["total_usd"])
    return (Measure("fundledger, cold", cold, max(peaks), total),
            Measure("fundledger, warm", warm, max(warm_peaks), total), total)  # fmt: skip


def main() -> None:
    missing = [tool for tool in ("ledger", "hledger") if shutil.which(tool) is None]
    if missing:
        sys.exit(f"peers.py needs {' and '.join(missing)} (Debian packages; `make bench` "
                 "installs them)")  # fmt: skip
    data = generate()
    exact, per_gift = exact_usd(data)
    with tempfile.TemporaryDirectory(prefix="fundledger-peers-") as name:
        folder = Path(name)
        paths = write_files(data, folder)
        peers = [measure_peer(peer, paths) for peer in PEERS]
        cold, warm, ours = measure_ours(paths, folder)
    write_results(peers, cold, warm, exact, per_gift, ours)


def tool_versions() -> str:
    def first_line(command: list[str]) -> str:
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        return (result.stdout or result.stderr).strip().splitlines()[0]

    beancount = first_line([sys.executable, "-c", "import beancount; print(beancount.__version__)"])
    return ", ".join((first_line(["ledger", "--version"]).split(",")[0],
                      first_line(["hledger", "--version"]).split(",")[0],
                      f"Beancount {beancount}"))  # fmt: skip


def write_results(peers: list[Measure], cold: Measure, warm: Measure, exact: Decimal,
                  per_gift: Decimal, ours: Decimal) -> None:  # fmt: skip
    lines = [
        "# fundledger beside ledger-cli, hledger and Beancount",
        "",
        f"Made by `make bench` (benchmarks/peers.py) on {datetime.now(UTC).date()}: "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; "
        f"{tool_versions()}. "
        f"{ROWS:,} donations, {DONORS:,} donors, {CAMPAIGNS} campaigns, 2023-2025, "
        "USD/ILS rates of every business day; each figure the median of "
        f"{RUNS} runs (min–max), with the peak memory of the run.",
        "",
        "| tool | time (min–max) · peak memory | USD total | vs fundledger cold | "
        "vs fundledger warm |",
        "|---|---|---|---|---|",
    ]
    for peer in peers:
        lines.append(
            f"| {peer.label} | {peer.cell()} | {peer.total:,} | "
            f"{peer.median / cold.median:.1f}× | {peer.median / warm.median:.0f}× |"
        )
    lines.append(
        f"| {cold.label} (import rates and donations, report) | {cold.cell()} | {ours:,} | | |"
    )
    lines.append(f"| {warm.label} (report on the loaded ledger) | {warm.cell()} | {ours:,} | | |")
    agree = all(peer.total == exact for peer in peers)
    lines += [
        "",
        f"Every gift valued exactly, the total rounded once: **{exact:,} USD** "
        f"({'every tool agrees to the cent' if agree else 'THE TOOLS DISAGREE'}). "
        f"Every gift rounded to the cent first, as fundledger reports and receipts do: "
        f"**{per_gift:,} USD** (fundledger printed {ours:,}: "
        f"{'the same' if ours == per_gift else 'DIFFERENT'}).",
        "",
    ]
    RESULTS.write_text("\n".join(lines))
    print("\n".join(lines))
    if not agree or ours != per_gift:
        sys.exit("the totals disagree: see above")


if __name__ == "__main__":
    main()
