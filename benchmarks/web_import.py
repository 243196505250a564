"""The import wizard against the command line (issue #24): the same file of
FUNDLEDGER_BENCH_IMPORT_ROWS donations (default 100,000; made as benchmarks/import_donations.py
makes its file) imported into a fresh SQLite ledger (and PostgreSQL when
FUNDLEDGER_BENCH_POSTGRES_URL names a database the benchmark may empty) two ways:

- the CLI: `fundledger import donations bench FILE`, timed whole (the process's start too);
- the wizard: a treasurer signed in over HTTP to `fundledger serve` on a fresh ledger of the
  same kind, timed from sending the upload to reading the result page: upload -> the map page
  -> the mapping posted (the dry run starts) -> its progress polled (progress.json, every
  POLL_SECONDS, as the page's script does) -> the check page -> confirm (the import starts)
  -> polled -> the result page. The dry run is a whole pass over the file the CLI does not
  make (`--dry-run` is another command), so the wizard reads the file twice;
- the wizard again, on another fresh ledger, while another signed-in user asks for the
  dashboard every OTHER_EVERY_SECONDS: how long their pages take meanwhile, and what they
  cost the import (the jobs run in a thread of the server process: one interpreter).

The CLI's `--dry-run` is timed too (the same pass as the wizard's check). Prints each step and
the ratios (target: the wizard's import within 1.5x of the CLI's); writes its section
of benchmarks/RESULTS.md (FUNDLEDGER_BENCH_RESULTS to write elsewhere); exits 1 when the
wizard failed (not when it is merely slow)."""

from __future__ import annotations

import http.client
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import import_donations
import peers
from import_ecb_history import FUNDLEDGER, reset_postgres, timed
from web_pages import CSRF_FIELD, HOST, PASSWORD, BenchFailure, Client, ms, serving

ROWS = int(os.environ.get("FUNDLEDGER_BENCH_IMPORT_ROWS", "100000"))
TARGET_RATIO = 1.5
POLL_SECONDS = 0.4  # as static/import-progress.js polls
# Another user at work meanwhile: a page every quarter of a second (a few people reading, not
# a load test: benchmarks/web_pages.py is that), whose answers are timed.
OTHER_EVERY_SECONDS = 0.25
JOB_TIMEOUT = 600.0
USER, ROLE = "treasurer", "treasurer"
SECTION = "## The import wizard"
TOKEN = re.compile(r"/imports/([A-Za-z0-9_-]+)")


def upload(client: Client, path: Path, token: str) -> http.client.HTTPResponse:
    """POST /imports with the file as a browser sends it (multipart/form-data)."""
    boundary = uuid.uuid4().hex
    fields = {"csrf_token": token, "campaign": "bench", "encoding": "utf-8",
              "date_format": "", "profile": ""}  # fmt: skip
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
             .encode() for name, value in fields.items()]  # fmt: skip
    parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                 f'filename="{path.name}"\r\nContent-Type: text/csv\r\n\r\n'.encode()
                 + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode())  # fmt: skip
    connection = http.client.HTTPConnection(HOST, client.port, timeout=JOB_TIMEOUT)
    cookies = "; ".join(f"{k}={v}" for k, v in client.cookies.items())
    connection.request("POST", "/imports", b"".join(parts), {
        "Content-Type": f"multipart/form-data; boundary={boundary}", "Cookie": cookies,
        "Accept-Language": "en"})  # fmt: skip
    response = connection.getresponse()
    response.read()
    connection.close()
    return response


def wait_for_job(client: Client, token: str) -> None:
    deadline = time.monotonic() + JOB_TIMEOUT
    while time.monotonic() < deadline:
        answer = client.request("GET", f"/imports/{token}/progress.json")
        if answer.status != 200:
            raise BenchFailure(f"progress.json answered {answer.status}")
        if json.loads(answer.body)["state"] not in ("queued", "running"):
            return
        time.sleep(POLL_SECONDS)
    raise BenchFailure(f"the import job did not end within {JOB_TIMEOUT:.0f} s")


def through_the_wizard(
    env: dict[str, str], path: Path, *, another_user: bool
) -> tuple[dict[str, float], list[float]]:
    """Seconds of each step from the upload to the result page, on the ledger `env` names,
    and, with `another_user`, the wall times (ms) of their dashboard while the import ran."""
    subprocess.run([FUNDLEDGER, "user", "add", USER, "--role", ROLE, "--language", "en",
                    "--password-stdin"], input=f"{PASSWORD}\n", text=True, env=env, check=True,
                   capture_output=True)  # fmt: skip
    with serving(env) as port:
        client = Client(port)
        client.sign_in(USER)
        form = client.request("GET", "/imports/new")
        found = CSRF_FIELD.search(form.body)
        if form.status != 200 or found is None:
            raise BenchFailure(f"GET /imports/new answered {form.status}")
        started = time.perf_counter()
        sent = upload(client, path, found.group(1))
        location = sent.headers.get("Location", "")
        if sent.status != 303 or not TOKEN.search(location):
            raise BenchFailure(f"the upload answered {sent.status}, not 303 to the map page")
        token = TOKEN.search(location).group(1)  # type: ignore[union-attr]
        phases = {"upload": time.perf_counter() - started}
        mapping = client.request("GET", f"/imports/{token}/map")
        columns = re.findall(r'name="(column-\d+)">.*?<option value="([a-z_]+)" selected>',
                             mapping.body, re.S)  # fmt: skip
        csrf = CSRF_FIELD.search(mapping.body)
        if mapping.status != 200 or csrf is None or len(columns) != 7:
            raise BenchFailure(
                f"the map page answered {mapping.status} with {len(columns)} columns"
            )
        checked = client.request("POST", f"/imports/{token}/map",
                                 {**dict(columns), "csrf_token": csrf.group(1)})  # fmt: skip
        if checked.status != 303:
            raise BenchFailure(f"posting the mapping answered {checked.status}")
        wait_for_job(client, token)
        phases["map and check"] = time.perf_counter() - started - sum(phases.values())
        check = client.request("GET", f"/imports/{token}")
        csrf = CSRF_FIELD.search(check.body)
        if f"Import {ROWS:,} gifts" not in check.body or csrf is None:
            raise BenchFailure("the check page offers no import of every row")
        confirmed = client.request("POST", f"/imports/{token}/confirm",
                                   {"csrf_token": csrf.group(1)})  # fmt: skip
        if confirmed.status != 303:
            raise BenchFailure(f"confirming answered {confirmed.status}")
        with meanwhile(port, another_user) as others:
            wait_for_job(client, token)
        result = client.request("GET", f"/imports/{token}")
        elapsed = time.perf_counter() - started
        phases["confirm and import"] = elapsed - sum(phases.values())
        print(", ".join(f"{name} {seconds:.2f} s" for name, seconds in phases.items()),
              file=sys.stderr)  # fmt: skip
        client.close()
    if "Gifts added" not in result.body or f"{ROWS:,}</dd>" not in result.body:
        raise BenchFailure("the result page does not show every row imported")
    if another_user and not others:
        raise BenchFailure("no other page answered while the import ran")
    return phases, others


@contextmanager
def meanwhile(port: int, another_user: bool) -> Iterator[list[float]]:
    """Another user's dashboard, asked for every OTHER_EVERY_SECONDS while the block runs
    (the import's job): the wall times of its answers, in ms (none without `another_user`)."""
    if not another_user:
        yield []
        return
    other = Client(port)
    other.sign_in(USER)
    times: list[float] = []
    failures: list[str] = []  # a thread's exception would be lost: kept, raised after it
    done = threading.Event()

    def browse() -> None:
        while not done.wait(OTHER_EVERY_SECONDS):
            try:
                answer = other.request("GET", "/")
            except (OSError, http.client.HTTPException) as error:
                failures.append(f"the dashboard did not answer during the import: {error!r}")
                return
            if answer.status != 200:
                failures.append(f"the dashboard answered {answer.status} during the import")
                return
            times.append(answer.wall_ms)

    thread = threading.Thread(target=browse, daemon=True)
    thread.start()
    try:
        yield times
    finally:
        done.set()
        thread.join()
        other.close()
    if failures:
        raise BenchFailure(failures[0])


def fresh(url: str) -> dict[str, str]:
    env = {**os.environ, "FUNDLEDGER_DB": url}
    for command in (["init"], ["campaign", "add", "bench", "--name", "Benchmark"]):
        timed([FUNDLEDGER, *command], env)
    return env


def main() -> None:
    import_donations.ROWS = ROWS  # its file, this many rows
    rows: list[str] = []
    failures: list[str] = []
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "donations.csv"
        import_donations.write_file(path)
        size = path.stat().st_size / (1 << 20)
        targets: list[tuple[str, Callable[[str], str]]] = [
            ("SQLite", lambda which: f"sqlite:///{folder}/{which}.db")]  # fmt: skip
        postgres = os.environ.get("FUNDLEDGER_BENCH_POSTGRES_URL")
        if postgres:

            def emptied(_which: str) -> str:
                reset_postgres(postgres)
                return postgres

            targets.append(("PostgreSQL", emptied))
        for label, ledger in targets:
            env = fresh(ledger("cli"))
            command = [FUNDLEDGER, "import", "donations", "bench", str(path)]
            dry, _peak = timed([*command, "--dry-run"], env)
            cli, _peak = timed(command, env)
            print(f"{label}: the CLI checked {ROWS:,} rows in {dry:.2f} s (--dry-run) and "
                  f"imported them in {cli:.2f} s", file=sys.stderr)  # fmt: skip
            try:
                phases, _none = through_the_wizard(fresh(ledger("web")), path,
                                                   another_user=False)  # fmt: skip
                shared_phases, others = through_the_wizard(fresh(ledger("web-shared")), path,
                                                           another_user=True)  # fmt: skip
            except BenchFailure as error:
                failures.append(f"{label}: {error}")
                continue
            wizard, shared = sum(phases.values()), sum(shared_phases.values())
            checked = phases["upload"] + phases["map and check"]
            imported = phases["confirm and import"]
            print(f"{label}: the wizard in {wizard:.2f} s ({wizard / cli:.2f}x the import, "
                  f"{wizard / (dry + cli):.2f}x the dry run and the import); {shared:.2f} s "
                  "with another user", file=sys.stderr)  # fmt: skip
            rows.append(
                f"| {label} | {dry:.2f} s | {cli:.2f} s | {checked:.2f} s "
                f"({checked / dry:.2f}x) | {imported:.2f} s ({imported / cli:.2f}x) | "
                f"{wizard:.2f} s | {wizard / cli:.2f}x | {wizard / (dry + cli):.2f}x | "
                f"{'yes' if imported / cli <= TARGET_RATIO else '**no**'} | {shared:.2f} s "
                f"({shared / cli:.2f}x) | {len(others):,} · {ms(others)} |"
            )
    section = "\n".join([
        SECTION, "",
        f"Made by `make bench` (benchmarks/web_import.py): a file of {ROWS:,} donations "
        f"({size:.1f} MiB) imported into a fresh ledger by `fundledger import donations` "
        "(timed whole, the process's start too) and through the import wizard of `fundledger "
        "serve` (a treasurer over HTTP on 127.0.0.1, timed from sending the upload to reading "
        f"the result page, the job's progress polled every {POLL_SECONDS} s): upload, map, "
        "the dry run (a whole pass over the file, as `import donations --dry-run` makes it: "
        "timed too, on the CLI's ledger before its import), confirm, the import. \"The import "
        "within 1.5x\": the wizard's import step against the CLI's import; the wizard as a whole "
        "makes two passes over the file, the CLI's import one. "
        "Then the wizard again on another fresh ledger while another signed-in user "
        f"asks for the dashboard every {OTHER_EVERY_SECONDS} s: the check and the import "
        "run in a thread of the same server process, which shares its interpreter (and the "
        "machine's 2 cores) with those pages. "
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}; load average (1 min) as the measuring began: "
        f"{load:.1f}.", "",
        "| database | CLI `--dry-run` | CLI import | wizard: upload, map, check (/ dry run) | "
        "wizard: confirm, import (/ CLI import) | wizard, whole | whole / CLI import | whole / "
        "(dry run + import) | the import within 1.5x | wizard, another user meanwhile | their "
        "dashboard during the import: answers · wall median · p95 |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
        *rows, "",
        *(f"Failed: {line}" for line in failures),
    ]).rstrip() + "\n"  # fmt: skip
    print(section)
    peers.write_section(SECTION, section)
    if failures:
        raise SystemExit("\n".join(f"web_import: {line}" for line in failures))


if __name__ == "__main__":
    main()
