"""Reports, lists and pages read from a real PostgreSQL streaming replica (`--read-db`,
`serve --read-db`): a primary and its replica started for this module (.ci/start-postgres,
.ci/start-postgres-replica), what was just written always seen, and the ledger itself read when
the replica lags or does not answer."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from fundledger.adapters.db.engine import make_engine
from fundledger.adapters.db.replica import read_from
from fundledger.cli.ledger import Ledger
from fundledger.web import create_app
from tests.conftest import POSTGRES_URL

REPO = Path(__file__).resolve().parents[2]
FUNDLEDGER = str(Path(sys.executable).with_name("fundledger"))
LEDGER = "ledger"
PASSWORD = "replica test password"  # noqa: S105 (a throw-away ledger's only user)


@dataclass
class StreamingPair:
    primary: str  # URLs of the ledger database on each
    replica: str
    primary_port: str
    replica_data: Path
    replica_port: str

    def start_replica(self) -> None:
        subprocess.run([REPO / ".ci/start-postgres-replica", self.primary_port,
                        self.replica_data, self.replica_port], check=True,
                       capture_output=True)  # fmt: skip

    def run_sql(self, url: str, sql: str) -> object:
        engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://"),
                               isolation_level="AUTOCOMMIT")  # fmt: skip
        try:
            with engine.connect() as connection:
                return connection.execute(text(sql)).scalar()
        finally:
            engine.dispose()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _pg_ctl(data: Path, *arguments: str) -> None:
    bin_dir = sorted(Path("/usr/lib/postgresql").glob("*/bin"))[-1]
    command = [str(bin_dir / "pg_ctl"), "-D", str(data), *arguments]
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=False, capture_output=True)


@pytest.fixture(scope="module")
def pair() -> Iterator[StreamingPair]:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set FUNDLEDGER_TEST_POSTGRES_URL or run make test")
    folder = Path(tempfile.mkdtemp(prefix="fundledger-replica-"))
    folder.chmod(0o755)  # the server's user goes through it to its data
    primary_data, replica_data = folder / "primary", folder / "replica"
    try:
        primary = subprocess.run(
            [REPO / ".ci/start-postgres", primary_data, str(_free_port())],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        admin = create_engine(primary.replace("postgresql://", "postgresql+psycopg://"),
                              isolation_level="AUTOCOMMIT")  # fmt: skip
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{LEDGER}"'))
        admin.dispose()
        started = StreamingPair(f"{primary.rsplit('/', 1)[0]}/{LEDGER}", "",
                                primary.rsplit(":", 1)[1].split("/")[0], replica_data,
                                str(_free_port()))  # fmt: skip
        started.start_replica()
        started.replica = f"postgresql://postgres@127.0.0.1:{started.replica_port}/{LEDGER}"
        yield started
    finally:
        for data in (replica_data, primary_data):
            _pg_ctl(data, "stop", "-m", "immediate")
        shutil.rmtree(folder, ignore_errors=True)


def _fundledger(pair: StreamingPair, *arguments: str, read: bool = True
                ) -> subprocess.CompletedProcess[str]:  # fmt: skip
    env = {**os.environ, "FUNDLEDGER_DB": pair.primary}
    env.pop("FUNDLEDGER_READ_DB", None)
    if read:
        env["FUNDLEDGER_READ_DB"] = pair.replica
    return subprocess.run([FUNDLEDGER, *arguments], env=env, capture_output=True, text=True,
                          check=False, timeout=120)  # fmt: skip


def _gift(pair: StreamingPair, amount: str) -> None:
    added = _fundledger(pair, "donation", "add", "north", "--date", "2025-07-03", "--amount",
                        amount, "--currency", "USD", "--donor", "Dana Levi")  # fmt: skip
    assert added.returncode == 0, added.stderr


def _total(pair: StreamingPair, *, read: bool = True) -> tuple[str, str]:
    made = _fundledger(pair, "report", "campaign", "north", "--format", "json", read=read)
    assert made.returncode == 0, made.stderr
    return json.loads(made.stdout)["total_ils"], made.stderr


def _wait_for_replay(pair: StreamingPair, most_seconds: float = 30) -> None:
    """Until the replica has replayed everything the primary has written."""
    written = pair.run_sql(pair.primary, "SELECT pg_current_wal_lsn()::text")
    ends = time.monotonic() + most_seconds
    while time.monotonic() < ends:
        if pair.run_sql(pair.replica, f"SELECT pg_last_wal_replay_lsn() >= '{written}'::pg_lsn"):
            return
        time.sleep(0.05)
    raise AssertionError(f"the replica did not replay up to {written} within {most_seconds} s")


def _gift_count(pair: StreamingPair) -> int:
    return int(str(pair.run_sql(pair.primary, "SELECT count(*) FROM donation")))


@pytest.fixture(scope="module")
def ledger(pair: StreamingPair) -> StreamingPair:
    for arguments in (["init"], ["campaign", "add", "north", "--name", "North"],
                      ["rates", "add", "2025-07-03", "USD", "ILS", "3.376"]):  # fmt: skip
        done = _fundledger(pair, *arguments, read=False)
        assert done.returncode == 0, done.stderr
    return pair


def test_a_report_from_the_replica_sees_the_gift_just_recorded(ledger: StreamingPair) -> None:
    """Each command reads the replica once it has replayed what the primary had committed
    when the command began: the gift of the command before is always there."""
    already = _gift_count(ledger)
    for number, amount in enumerate(("100", "250.50", "7"), start=already + 1):
        _gift(ledger, amount)
        from_replica, said = _total(ledger)
        assert said == ""  # the replica was used, nothing to say
        assert from_replica == _total(ledger, read=False)[0]
        donations = _fundledger(ledger, "report", "gifts", "--from", "2025-07-01",
                                "--to", "2025-07-31", "--campaign", "north",
                                "--format", "json")  # fmt: skip
        assert donations.returncode == 0, donations.stderr
        assert len(json.loads(donations.stdout)["gifts"]) == number
    engine = Ledger(url=ledger.primary, read_url=ledger.replica)
    try:
        assert engine._replica is None
        assert engine.engine_to_read() is not engine.engine()  # the replica, not the primary
    finally:
        engine.dispose()


def test_a_lagging_replica_leaves_the_read_to_the_ledger(ledger: StreamingPair) -> None:
    """Replay paused on the replica: a gift recorded since is not there, so the read goes to
    the primary (and says why); resumed, the replica is read again."""
    ledger.run_sql(ledger.replica, "SELECT pg_wal_replay_pause()")
    try:
        before, _ = _total(ledger, read=False)
        _gift(ledger, "1000")
        primary, replica = make_engine(ledger.primary), make_engine(ledger.replica)
        try:
            started = time.monotonic()
            route = read_from(primary, replica, timeout=0.3)
            assert route.engine is primary
            assert route.fallback == "the replica is more than 0.3 s behind the primary"
            assert time.monotonic() - started < 5
        finally:
            primary.dispose()
            replica.dispose()
        total, said = _total(ledger)
        assert total != before  # the new gift counted: read from the primary
        assert "Reading from the ledger itself: the replica is more than 2 s behind" in said
    finally:
        ledger.run_sql(ledger.replica, "SELECT pg_wal_replay_resume()")
    # Caught up first: on a loaded machine the replay resumed can take longer than the 2 s a
    # command waits, and then the command rightly reads the primary.
    _wait_for_replay(ledger)
    total_again, said = _total(ledger)
    assert said == ""
    assert total_again == total


def test_the_web_reads_pages_from_the_replica_and_sees_its_own_writes(
    ledger: StreamingPair,
) -> None:
    added = subprocess.run([FUNDLEDGER, "user", "add", "dana", "--role", "treasurer",
                            "--password-stdin"], input=f"{PASSWORD}\n", text=True,
                           env={**os.environ, "FUNDLEDGER_DB": ledger.primary},
                           capture_output=True, check=False)  # fmt: skip
    assert added.returncode == 0, added.stderr
    app = create_app(ledger.primary, read_database_url=ledger.replica,
                     config={"WTF_CSRF_ENABLED": False, "TESTING": True})  # fmt: skip
    try:
        client = app.test_client()
        signed_in = client.post("/login", data={"username": "dana", "password": PASSWORD})
        assert signed_in.status_code == 303
        for amount in ("31.25", "62.50"):
            saved = client.post("/campaigns/north/donations", data={
                "date": "2025-07-03", "amount": amount, "currency": "USD",
                "donor": "Web Donor", "method": "cash"})  # fmt: skip
            assert saved.status_code == 303
            page = client.get("/campaigns/north")
            assert page.status_code == 200
            assert amount in page.get_data(as_text=True)
        # Every read went to the replica.
        assert app.extensions["fundledger"].replica.fallback is None
        ledger.run_sql(ledger.replica, "SELECT pg_wal_replay_pause()")
        try:
            saved = client.post("/campaigns/north/donations", data={
                "date": "2025-07-03", "amount": "12.75", "currency": "USD",
                "donor": "Web Donor", "method": "cash"})  # fmt: skip
            assert saved.status_code == 303
            page = client.get("/campaigns/north")
            assert "12.75" in page.get_data(as_text=True)  # from the ledger itself
            # Behind by more than 2 s at the first read, then still behind (not waited for).
            assert app.extensions["fundledger"].replica.fallback in (
                "the replica is more than 2 s behind the primary",
                "the replica is still behind the primary",
            )
        finally:
            ledger.run_sql(ledger.replica, "SELECT pg_wal_replay_resume()")
    finally:
        app.extensions["fundledger"].dispose()


def test_a_replica_that_does_not_answer_leaves_the_read_to_the_ledger(
    ledger: StreamingPair,
) -> None:
    before, _ = _total(ledger, read=False)
    _pg_ctl(ledger.replica_data, "stop", "-m", "fast")
    try:
        total, said = _total(ledger)
        assert total == before
        assert "Reading from the ledger itself: the replica does not answer" in said
    finally:
        ledger.start_replica()


def test_read_db_is_refused_for_a_sqlite_ledger(tmp_path: Path, ledger: StreamingPair) -> None:
    env = {**os.environ, "FUNDLEDGER_DB": f"sqlite:///{tmp_path / 'ledger.db'}"}
    assert subprocess.run([FUNDLEDGER, "init"], env=env, check=False).returncode == 0
    refused = subprocess.run([FUNDLEDGER, "--read-db", ledger.replica, "campaign", "list"],
                             env=env, capture_output=True, text=True, check=False)  # fmt: skip
    assert refused.returncode == 1
    assert (
        "--read-db reads from a PostgreSQL streaming replica: the ledger (--db) is sqlite"
        in refused.stderr
    )


def test_a_read_the_replica_refuses_is_made_on_the_ledger(ledger: StreamingPair) -> None:
    """A period's report and a search by value need a temporary table, which a hot standby
    refuses: made again on the primary, said once, with the same answer."""
    for arguments in (
        ["report", "campaign", "north", "--from", "2025-07-01", "--to", "2025-07-31",
         "--format", "json"],
        ["donation", "list", "--min", "5", "--format", "json"],
    ):  # fmt: skip
        routed = _fundledger(ledger, *arguments)
        direct = _fundledger(ledger, *arguments, read=False)
        assert routed.returncode == 0, routed.stderr
        assert routed.stdout == direct.stdout
        assert routed.stderr.count("Reading from the ledger itself: the replica would not run "
                                   "it (cannot execute") == 1, routed.stderr  # fmt: skip


def test_a_read_database_that_is_no_replica_is_refused(ledger: StreamingPair) -> None:
    """The primary itself, or any server not in recovery, given as --read-db: refused, so
    that an old restored copy never answers for the ledger."""
    refused = _fundledger(ledger, "--read-db", ledger.primary, "campaign", "list")
    assert refused.returncode == 1
    assert (
        "is not in recovery: --read-db takes a streaming replica of the ledger's own "
        "server" in refused.stderr
    )
