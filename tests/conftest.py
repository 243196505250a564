"""Real databases for the tests: a SQLite file per test and, when configured, PostgreSQL.
Programs from outside Python that some tests need: see tests/system_tools.py.

PostgreSQL comes from FUNDLEDGER_TEST_POSTGRES_URL (`make test` starts a server when it can).
When that URL is set but the server does not answer, the run fails: no silent skips. Each test
gets a database of its own, copied from a migrated template, so tests never see each other.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from fundledger.adapters.db.engine import make_engine, normalize_url
from fundledger.adapters.db.migrate import upgrade_to_head
from tests.system_tools import REQUIRE_TOOLS, TOOLS, missing_tools

POSTGRES_URL = os.environ.get("FUNDLEDGER_TEST_POSTGRES_URL", "").strip()
REQUIRE_POSTGRES = os.environ.get("FUNDLEDGER_REQUIRE_POSTGRES", "") == "1"
# A server started for this run alone (.ci/run) is thrown away after it: its databases are
# left to go with it (dropping each of ~900 took 40 s at the end of a run). `make test` keeps
# its server between runs, so it drops them.
THROWAWAY_POSTGRES = os.environ.get("FUNDLEDGER_TEST_POSTGRES_THROWAWAY", "") == "1"
DATABASE_KINDS = ("sqlite", "postgresql")
# One template per pytest-xdist worker, so parallel workers never share one.
TEMPLATE_DATABASE = f"fundledger_test_template_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}"


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRE_POSTGRES and not POSTGRES_URL:
        raise pytest.UsageError(
            "FUNDLEDGER_REQUIRE_POSTGRES=1 but FUNDLEDGER_TEST_POSTGRES_URL is not set"
        )


def pytest_report_header(config: pytest.Config) -> list[str]:
    if POSTGRES_URL:
        shown = make_url(POSTGRES_URL).render_as_string(hide_password=True)
        lines = [f"fundledger: PostgreSQL tests against {shown}"]
    else:
        lines = ["fundledger: FUNDLEDGER_TEST_POSTGRES_URL not set: PostgreSQL tests are skipped"]
    for tool in missing_tools():
        lines.append(f"fundledger: {tool} not found (package {TOOLS[tool]}): the tests that run "
                     "it are skipped" + (", and fail under FUNDLEDGER_REQUIRE_TOOLS=1"
                                         if REQUIRE_TOOLS else ""))  # fmt: skip
    return lines


class PostgresServer:
    """Creates one database per test on the server, from a template migrated once."""

    def __init__(self, url: str) -> None:
        self.url = make_url(normalize_url(url))
        self.admin: Engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        self.created: list[str] = []
        self._template_ready = False

    def check(self) -> None:
        try:
            with self.admin.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:
            shown = self.url.render_as_string(hide_password=True)
            pytest.fail(
                f"FUNDLEDGER_TEST_POSTGRES_URL is set but {shown} does not answer: {error}",
                pytrace=False,
            )

    def _create(self, name: str, template: str = "template0") -> str:
        with self.admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{template}"'))
        self.created.append(name)
        return self.url.set(database=name).render_as_string(hide_password=False)

    def empty_database(self) -> str:
        return self._create(f"fundledger_test_{uuid.uuid4().hex[:12]}")

    def migrated_database(self) -> str:
        if not self._template_ready:
            with self.admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{TEMPLATE_DATABASE}"'))
            template_url = self._create(TEMPLATE_DATABASE)
            engine = make_engine(template_url)
            upgrade_to_head(engine)
            engine.dispose()
            self._template_ready = True
        return self._create(f"fundledger_test_{uuid.uuid4().hex[:12]}", TEMPLATE_DATABASE)

    def drop_all(self) -> None:
        if THROWAWAY_POSTGRES:
            self.admin.dispose()
            return
        with self.admin.connect() as connection:
            for name in self.created:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        self.admin.dispose()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set FUNDLEDGER_TEST_POSTGRES_URL or run make test")
    server = PostgresServer(POSTGRES_URL)
    server.check()
    yield server
    server.drop_all()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "ledger.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    engine.dispose()
    return path


@pytest.fixture(params=DATABASE_KINDS)
def database_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def empty_database_url(database_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database with no tables at all."""
    if database_kind == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        return server.empty_database()
    return f"sqlite:///{tmp_path / 'empty.db'}"


@pytest.fixture
def ledger_url(database_kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database migrated to head, empty of data."""
    if database_kind == "postgresql":
        server: PostgresServer = request.getfixturevalue("postgres_server")
        return server.migrated_database()
    template: Path = request.getfixturevalue("sqlite_template")
    path = tmp_path / "ledger.db"
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def ledger_engine(ledger_url: str) -> Iterator[Engine]:
    engine = make_engine(ledger_url)
    yield engine
    engine.dispose()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say how many tests ran on each database, so a run without PostgreSQL is visible."""
    counts = {kind: {"passed": 0, "failed": 0, "skipped": 0} for kind in DATABASE_KINDS}
    for outcome in counts["sqlite"]:
        for report in terminalreporter.stats.get(outcome, []):
            if getattr(report, "when", "call") not in ("call", "setup"):
                continue
            if outcome == "passed" and report.when != "call":
                continue
            for kind in DATABASE_KINDS:
                if f"[{kind}" in report.nodeid or f"-{kind}" in report.nodeid:
                    counts[kind][outcome] += 1
    for kind, outcome_counts in counts.items():
        terminalreporter.write_line(
            f"fundledger {kind}: {outcome_counts['passed']} passed, "
            f"{outcome_counts['failed']} failed, {outcome_counts['skipped']} skipped"
        )
    # Which tests a missing program skipped (system_tools.require_tool), by program.
    for tool in missing_tools():
        skipped = [
            report.nodeid
            for report in terminalreporter.stats.get("skipped", [])
            if f"{tool} not found" in str(report.longrepr)
        ]
        terminalreporter.write_line(
            f"fundledger: {len(skipped)} skipped because {tool} is missing "
            f"(install {TOOLS[tool]}){': ' if skipped else ''}{', '.join(skipped)}"
        )
