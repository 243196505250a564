"""How fast the web interface answers on a large ledger (issue #23): the data of `peers.py`
(FUNDLEDGER_BENCH_ROWS donations, default 1,000,000, from 50,000 donors to 20 campaigns),
imported into a fresh SQLite ledger (and PostgreSQL when FUNDLEDGER_BENCH_POSTGRES_URL names a
database the benchmark may empty) as benchmarks/search_and_list.py builds it, its stored
summaries built by a first report. A viewer is added, `fundledger serve` (waitress, its default
threads) runs on 127.0.0.1 and a free port, and clients sign in over HTTP as a browser does
(the CSRF token from /login, the session cookie kept), with http.client only:

- sequential: FUNDLEDGER_BENCH_REQUESTS (default 200) GETs each of the dashboard, the largest
  campaign's page and a donor search, after a few untimed ones; median and p95 of the server's
  time (its Server-Timing header) and of the client's wall time. Target: p95 of the server time
  under 150 ms. Every answer must be 200: a redirect (to /login) or a 404 fails the page.
- after a write: the dashboard and the campaign page again, FUNDLEDGER_BENCH_REQUESTS times
  each, every request right after a write to the ledger by another process (a setting, as the
  command line writes it): a page the server keeps between writes (services/read_cache.py) is
  made afresh each time, as the first reader after a treasurer's write finds it. Reported
  beside the target; the stored summaries hold every gift throughout (a new gift's upkeep is
  issue #26's).
- gift form: a treasurer saves FUNDLEDGER_BENCH_REQUESTS gifts through the largest campaign's
  form (POST /campaigns/<slug>/donations, as a browser sends it), each followed by the
  dashboard, which must count the new gift at once (else the run fails). Target: p95 of the
  POST's server time under 150 ms (issue #24).
- concurrent: 10 clients, each signed in, for FUNDLEDGER_BENCH_SECONDS (default 60) cycling over
  the three pages: requests done, errors (an answer other than 200, or no answer), median and
  p95 wall time. Target: no errors and p95 under 500 ms.

FUNDLEDGER_BENCH_LEDGER=path reuses a SQLite ledger built before (built there first when it is
missing; always copied, never changed); FUNDLEDGER_BENCH_CAMPAIGN and
FUNDLEDGER_BENCH_DONOR_QUERY name another campaign and search for another ledger.

Writes its section of benchmarks/RESULTS.md (FUNDLEDGER_BENCH_RESULTS to write elsewhere) and
prints it; exits 1 when a page failed (not when a page is merely slow: the table says so)."""

from __future__ import annotations

import http.client
import itertools
import math
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import cast
from urllib.parse import quote, urlencode

import peers
from import_ecb_history import FUNDLEDGER, reset_postgres
from search_and_list import build_ledger
from sqlalchemy import Engine, create_engine, text

from fundledger.adapters.db.engine import make_engine, normalize_url, transaction
from fundledger.services.context import CommandContext
from fundledger.services.settings import set_setting

HOST = "127.0.0.1"
REQUESTS = int(os.environ.get("FUNDLEDGER_BENCH_REQUESTS", "200"))
WARM_UP = 5  # untimed requests to each page first: the connection pool and the caches filled
CLIENTS = 10
SECONDS = float(os.environ.get("FUNDLEDGER_BENCH_SECONDS", "60"))
TARGET_MS = 150.0  # p95 of the server time, each page, one request at a time
CONCURRENT_TARGET_MS = 500.0  # p95 of the wall time, 10 clients at once
TIMEOUT = 60.0  # seconds: a request that takes longer is an error, not a hang
START_TIMEOUT = 120.0  # seconds for `fundledger serve` to listen (it checks the schema first)
CAMPAIGN = os.environ.get("FUNDLEDGER_BENCH_CAMPAIGN", peers.slug(0))  # the largest: 1/5 of all
DONOR_QUERY = os.environ.get("FUNDLEDGER_BENCH_DONOR_QUERY", "donor 4242")
PAGES = {
    "dashboard": "/",
    "campaign page": f"/campaigns/{CAMPAIGN}",
    "donor search": f"/donors?q={quote(DONOR_QUERY)}",
}
# The pages a server keeps between writes, measured again with a write before each request.
AFTER_A_WRITE = ("dashboard", "campaign page")
WRITER = CommandContext(command="benchmarks/web_pages.py", actor="bench")
# A viewer: what a board member sees, and the dearer path of a donor search (a viewer's search
# leaves out the donors who only gave anonymously).
USER, ROLE = "bench", "viewer"
# A treasurer saves gifts through the form (POST /campaigns/<slug>/donations).
TREASURER = "bench-treasurer"
GIFT_FORM = f"/campaigns/{CAMPAIGN}/donations"
SHOWN = {"gift form": f"POST {GIFT_FORM}", "dashboard after a gift": "/"}
PASSWORD = "bench password, long enough"  # noqa: S105 (a throw-away ledger's only user)
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
SERVER_TIMING = re.compile(r"(?:^|,)\s*app;dur=([0-9.]+)")
SECTION = "## The web interface"
LOAD_AVERAGES: dict[str, float] = {}  # the machine's, as each database's measuring began


class BenchFailure(Exception):
    """The server did not answer as a signed-in browser expects (not a slow answer)."""


@dataclass(frozen=True)
class Answer:
    status: int
    location: str
    body: str
    wall_ms: float
    server_ms: float | None  # the Server-Timing header's, None when there was none


class Client:
    """One browser: a kept-alive connection and the session cookie, as the server last set it
    (the session is refreshed on every request)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connection: http.client.HTTPConnection | None = None
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Answer:
        headers = {"Accept-Language": "en"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = urlencode(form) if form is not None else None
        if body is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        if self.connection is None:
            self.connection = http.client.HTTPConnection(HOST, self.port, timeout=TIMEOUT)
        started = time.perf_counter()
        try:
            self.connection.request(method, path, body, headers)
            response = self.connection.getresponse()
            content = response.read()
        except (OSError, http.client.HTTPException):
            self.close()  # the next request opens a new connection
            raise
        wall_ms = (time.perf_counter() - started) * 1000
        for value in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(value).items():
                self.cookies[name] = morsel.value
        timing = SERVER_TIMING.search(response.headers.get("Server-Timing", ""))
        return Answer(response.status, response.headers.get("Location", ""),
                      content.decode("utf-8", "replace"), wall_ms,
                      float(timing.group(1)) if timing else None)  # fmt: skip

    def sign_in(self, user: str = USER) -> None:
        page = self.request("GET", "/login")
        token = CSRF_FIELD.search(page.body)
        if page.status != 200 or token is None:
            raise BenchFailure(f"GET /login answered {page.status} without a CSRF token")
        answer = self.request("POST", "/login", {"username": user, "password": PASSWORD,
                                                  "csrf_token": token.group(1)})  # fmt: skip
        if answer.status != 303:
            raise BenchFailure(f"signing in as {user} answered {answer.status}, not 303")

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def p95(values: list[float]) -> float:
    """The 95th percentile by nearest rank: 95 % of the values are at most this."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def ms(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} · {p95(values):.1f} ms"


def failure(path: str, answer: Answer) -> str:
    where = f" to {answer.location}" if answer.location else ""
    return f"GET {path} answered {answer.status}{where}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextmanager
def serving(env: dict[str, str]) -> Iterator[int]:
    """`fundledger serve` on a free port of 127.0.0.1 until the block ends, however it ends."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen([FUNDLEDGER, "serve", "--host", HOST, "--port", str(port)],
                                  env=env, stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if server.poll() is not None:
                    log.seek(0)
                    raise BenchFailure(f"fundledger serve ended: {log.read().decode().strip()}")
                try:
                    socket.create_connection((HOST, port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        raise BenchFailure(f"fundledger serve did not listen on port {port} "
                                           f"within {START_TIMEOUT:.0f} s") from None  # fmt: skip
                    time.sleep(0.1)
            yield port
        finally:
            server.send_signal(signal.SIGTERM)  # serve closes its sockets and threads on it
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def sequential(
    port: int, pages: dict[str, str], before_each: Callable[[int], None] | None = None
) -> dict[str, tuple[list[float], list[float]] | str]:
    """Per page: (server times, wall times) in ms, or what went wrong; `before_each(n)` done
    before the n-th request of each page, untimed."""
    client = Client(port)
    client.sign_in()
    measured: dict[str, tuple[list[float], list[float]] | str] = {}
    try:
        for name, path in pages.items():
            server: list[float] = []
            wall: list[float] = []
            for number in range(WARM_UP + REQUESTS):
                if before_each is not None:
                    before_each(number)
                try:
                    answer = client.request("GET", path)
                except (OSError, http.client.HTTPException) as error:
                    measured[name] = f"GET {path}: no answer ({error!r})"
                    print(f"{name}: {measured[name]}", file=sys.stderr)
                    break
                if answer.status != 200 or answer.server_ms is None:
                    measured[name] = failure(path, answer) + (
                        "" if answer.server_ms is not None else " without Server-Timing"
                    )
                    print(f"{name}: {measured[name]}", file=sys.stderr)
                    break
                if number >= WARM_UP:
                    server.append(answer.server_ms)
                    wall.append(answer.wall_ms)
            else:
                measured[name] = (server, wall)
                print(f"{name}: server {ms(server)}, wall {ms(wall)}", file=sys.stderr)
    finally:
        client.close()
    return measured


def dashboard_gifts(body: str) -> int | None:
    """The campaign's count of gifts on the dashboard, as a reader sees it (None: not there)."""
    row = re.search(rf'<tr>\s*<th scope="row"><a href="/campaigns/{re.escape(CAMPAIGN)}".*?</tr>',
                    body, flags=re.S)  # fmt: skip
    cells = re.findall(r'<td class="num"[^>]*>([^<]*)</td>', row.group(0)) if row else []
    return int(cells[2].replace(",", "")) if len(cells) > 2 else None


def saved_gifts(port: int, on: str) -> dict[str, tuple[list[float], list[float]] | str]:
    """A treasurer saves REQUESTS gifts through the campaign's form, each followed by the
    dashboard, which must count it at once: (server, wall) times of both, or what failed."""
    client = Client(port)
    client.sign_in(TREASURER)
    form_page = client.request("GET", f"{GIFT_FORM}/new")
    token = CSRF_FIELD.search(form_page.body)
    if form_page.status != 200 or token is None:
        client.close()
        return {"gift form": failure(f"{GIFT_FORM}/new", form_page)}
    times: dict[str, tuple[list[float], list[float]]] = {
        "gift form": ([], []),
        "dashboard after a gift": ([], []),
    }
    counted = dashboard_gifts(client.request("GET", "/").body)
    try:
        for number in range(WARM_UP + REQUESTS):
            gift = {"csrf_token": token.group(1), "date": on, "amount": f"{100 + number}",
                    "currency": "ILS", "donor": f"Bench Form Donor {number}",
                    "method": "cash"}  # fmt: skip
            saved = client.request("POST", GIFT_FORM, gift)
            if saved.status != 303 or saved.server_ms is None:
                return {"gift form": f"POST {GIFT_FORM} answered {saved.status}"}
            board = client.request("GET", "/")
            now = dashboard_gifts(board.body)
            if (
                board.status != 200
                or board.server_ms is None
                or counted is None
                or now != (counted + 1)
            ):
                return {"gift form": f"the dashboard counted {now} gifts after a gift was saved "
                                     f"to {counted}: not current"}  # fmt: skip
            counted = now
            if number >= WARM_UP:
                for name, answer in (("gift form", saved), ("dashboard after a gift", board)):
                    times[name][0].append(cast(float, answer.server_ms))
                    times[name][1].append(answer.wall_ms)
    except (OSError, http.client.HTTPException) as error:
        return {"gift form": f"POST {GIFT_FORM}: no answer ({error!r})"}
    finally:
        client.close()
    for name, (server, wall) in times.items():
        print(f"{name}: server {ms(server)}, wall {ms(wall)}", file=sys.stderr)
    return dict(times)


def writer(url: str) -> tuple[Engine, Callable[[int], None]]:
    """An engine on the ledger and a write through it: a setting that no page shows (a
    report's language when none is asked for; the pages ask for theirs), audited as every
    write is, in a transaction of its own."""
    engine = make_engine(url)

    def write(number: int) -> None:
        with transaction(engine, write=True) as session:
            set_setting(session, WRITER, "report.locale", ("en", "he")[number % 2])

    return engine, write


@dataclass
class Load:
    wall: list[float] = field(default_factory=list)
    server: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


def concurrent(port: int) -> Load:
    """CLIENTS clients at once for SECONDS, each cycling over the pages from its own start."""
    clients = [Client(port) for _ in range(CLIENTS)]
    for client in clients:  # signed in first: the sign-in's password hash is not a page
        client.sign_in()
    paths = list(PAGES.values())
    loads = [Load() for _ in clients]
    start = threading.Barrier(CLIENTS)

    def browse(number: int) -> None:
        client, load = clients[number], loads[number]
        start.wait()
        deadline = time.perf_counter() + SECONDS
        for turn in itertools.count(number):  # ends at the deadline
            if time.perf_counter() >= deadline:
                break
            path = paths[turn % len(paths)]
            try:
                answer = client.request("GET", path)
            except (OSError, http.client.HTTPException) as error:
                load.errors[f"GET {path}: {type(error).__name__}"] += 1
                continue
            if answer.status != 200:
                load.errors[failure(path, answer)] += 1
                continue
            load.wall.append(answer.wall_ms)
            if answer.server_ms is not None:
                load.server.append(answer.server_ms)

    threads = [threading.Thread(target=browse, args=(number,)) for number in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for client in clients:
        client.close()
    total = Load()
    for load in loads:
        total.wall += load.wall
        total.server += load.server
        total.errors += load.errors
    return total


def gifts_in(url: str) -> tuple[int, str]:
    """How many gifts the ledger holds, and the latest gift's date (a rate is in force)."""
    engine = create_engine(normalize_url(url))
    with engine.connect() as connection:
        found, latest = connection.execute(
            text("SELECT count(*), max(donation_date) FROM donation")).one()  # fmt: skip
    engine.dispose()
    return int(found), str(latest)


def prepared_sqlite(folder: Path) -> dict[str, str]:
    """A SQLite ledger of the benchmark's data in `folder`: built, or copied from the cache."""
    cached = os.environ.get("FUNDLEDGER_BENCH_LEDGER")
    if not cached:
        return build_ledger(f"sqlite:///{folder}/ledger.db", folder)
    source = Path(cached)
    if not source.exists():
        print(f"building the cached ledger {source}", file=sys.stderr)
        building = source.with_name(source.name + ".building")
        building.unlink(missing_ok=True)
        build_ledger(f"sqlite:///{building}", folder)
        building.rename(source)  # only a whole ledger is ever cached
    shutil.copyfile(source, folder / "ledger.db")
    env = {**os.environ, "FUNDLEDGER_DB": f"sqlite:///{folder}/ledger.db"}
    # A ledger cached by an earlier version: its schema brought up to this one's.
    subprocess.run([FUNDLEDGER, "init"], env=env, check=True, capture_output=True)
    return env


def bench(label: str, env: dict[str, str]) -> tuple[list[str], list[str], list[str]]:
    """The rows of both tables for one database, and what failed."""
    subprocess.run([FUNDLEDGER, "user", "add", USER, "--role", ROLE, "--language", "en",
                    "--password-stdin"], input=f"{PASSWORD}\n", text=True, env=env, check=True,
                   capture_output=True)  # fmt: skip
    subprocess.run([FUNDLEDGER, "user", "add", TREASURER, "--role", "treasurer", "--language",
                    "en", "--password-stdin"], input=f"{PASSWORD}\n", text=True, env=env,
                   check=True, capture_output=True)  # fmt: skip
    gifts, latest = gifts_in(env["FUNDLEDGER_DB"])
    where = f"{label}, {gifts:,} gifts"
    pages, failures = [], []
    # Other work on the machine slows the pages alike: the section says how busy it was.
    LOAD_AVERAGES[label] = os.getloadavg()[0]
    engine, write = writer(env["FUNDLEDGER_DB"])
    with serving(env) as port:
        print(f"{where}: {REQUESTS} requests to each page", file=sys.stderr)
        measured = sequential(port, PAGES)
        print(f"{where}: {REQUESTS} requests to each page, each after a write", file=sys.stderr)
        rewritten = sequential(port, {name: PAGES[name] for name in AFTER_A_WRITE}, write)
        measured |= {f"{name}, after a write": outcome for name, outcome in rewritten.items()}
        print(f"{where}: {REQUESTS} gifts saved through the form", file=sys.stderr)
        measured |= saved_gifts(port, latest)
        for name, outcome in measured.items():
            shown = f"{name} `{SHOWN.get(name, PAGES.get(name.split(',')[0]))}`"
            if isinstance(outcome, str):
                failures.append(f"{label}: {outcome}")
                pages.append(f"| {shown} | {where} | {outcome} | | **failed** |")
                continue
            server, wall = outcome
            met = "yes" if p95(server) < TARGET_MS else "**no**"
            pages.append(f"| {shown} | {where} | {ms(server)} | {ms(wall)} | {met} |")
        print(f"{where}: {CLIENTS} clients for {SECONDS:.0f} s", file=sys.stderr)
        load = concurrent(port)
    engine.dispose()
    errors = sum(load.errors.values())
    for error, count in load.errors.most_common():
        print(f"{label}, concurrent: {count} × {error}", file=sys.stderr)
    if not load.wall:
        failures.append(f"{label}: no request of the concurrent clients succeeded")
        return pages, [f"| {where} | {CLIENTS} · {SECONDS:.0f} s | 0 | {errors:,} | | | "
                       "**failed** |"], failures  # fmt: skip
    met = "yes" if errors == 0 and p95(load.wall) < CONCURRENT_TARGET_MS else "**no**"
    shown_errors = f"{errors:,}" + (f" ({load.errors.most_common(1)[0][0]}, …)" if errors else "")
    together = (f"| {where} | {CLIENTS} · {SECONDS:.0f} s | {len(load.wall) + errors:,} | "
                f"{shown_errors} | {ms(load.wall)} | {ms(load.server)} | {met} |")  # fmt: skip
    print(together, file=sys.stderr)
    return pages, [together], failures


def main() -> None:
    pages = ["| page | database | server time, median · p95 | wall time, median · p95 | "
             f"server p95 under {TARGET_MS:.0f} ms |", "|---|---|---|---|---|"]  # fmt: skip
    together = ["| database | clients · time | requests | errors | wall time, median · p95 | "
                f"server time, median · p95 | no errors, wall p95 under "
                f"{CONCURRENT_TARGET_MS:.0f} ms |", "|---|---|---|---|---|---|---|"]  # fmt: skip
    failures: list[str] = []
    postgres = os.environ.get("FUNDLEDGER_BENCH_POSTGRES_URL")
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        targets: list[tuple[str, Callable[[], dict[str, str]]]] = [
            ("SQLite", lambda: prepared_sqlite(folder))
        ]
        if postgres:

            def emptied() -> dict[str, str]:
                reset_postgres(postgres)
                return build_ledger(postgres, folder)

            targets.append(("PostgreSQL", emptied))
        for label, prepare in targets:
            print(f"preparing a {label} ledger of {peers.ROWS:,} gifts", file=sys.stderr)
            try:
                rows = bench(label, prepare())
            except BenchFailure as error:
                failures.append(f"{label}: {error}")
                continue
            pages += rows[0]
            together += rows[1]
            failures += rows[2]
    section = "\n".join([
        SECTION, "",
        "Made by `make bench` (benchmarks/web_pages.py): the ledger of the section above, a "
        "viewer signed in over HTTP to `fundledger serve` (waitress, its default threads) on "
        "127.0.0.1, the clients in another process on the same machine. Server time: the "
        "answer's `Server-Timing` header, from the request reaching the app to its answer's "
        "headers (the page rendered); wall time: the client's, from sending the request to "
        f"reading the whole answer. {platform.system()} {platform.machine()}, "
        f"{os.cpu_count()} cores, Python {platform.python_version()}; load average (1 min) as "
        "the measuring began: "
        + ", ".join(f"{label} {load:.1f}" for label, load in LOAD_AVERAGES.items()) + ".", "",
        f"One request at a time: {REQUESTS} requests to each page, after {WARM_UP} untimed "
        f"ones; the campaign is the largest (`{CAMPAIGN}`), the search `{DONOR_QUERY}`. The "
        "server keeps the dashboard and a campaign's page until the ledger changes "
        "(services/read_cache.py); \"after a write\": each request right after a write by "
        "another process (a setting), so that the page is made afresh every time. \"gift "
        "form\": a treasurer saves a gift through the campaign's form (the answer comes once "
        "the stored summaries hold it), then loads the dashboard, which must count the gift "
        "already (else the run fails); both timed.", "",
        *pages, "",
        f"{CLIENTS} clients at once, each signed in, for {SECONDS:.0f} s, each cycling over the "
        "three pages; an error is an answer other than 200, or none.", "",
        *together, "",
        *(f"Failed: {line}" for line in failures),
    ]).rstrip() + "\n"  # fmt: skip
    print(section)
    peers.write_section(SECTION, section)
    if failures:
        raise SystemExit("\n".join(f"web_pages: {line}" for line in failures))


if __name__ == "__main__":
    main()
