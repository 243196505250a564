"""Engines and transactions for SQLite files and PostgreSQL servers."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from fundledger.adapters.db.sql_money import register_sqlite_functions
from fundledger.adapters.db.url import DEFAULT_DATABASE_URL

__all__ = ["DEFAULT_DATABASE_URL", "make_engine", "transaction"]
SQLITE_BUSY_TIMEOUT_MS = 10_000
SQLITE_BEGIN_OPTION = "fundledger_sqlite_begin"
SQLITE_BUSY_OPTION = "fundledger_sqlite_busy_ms"  # how long BEGIN waits for another writer
SQLITE_CACHE_KIB = 64 * 1024
SQLITE_SORT_THREADS = min(os.cpu_count() or 1, 4)
SQLITE_SORT_CACHE_KIB = 8 * 1024
SQLITE_FOREIGN_KEYS_OPTION = "fundledger_sqlite_foreign_keys"  # False: a bulk load's (below)
# In a pooled connection's record: its foreign keys were turned off for a bulk load.
_KEYS_OFF = "fundledger_foreign_keys_off"


def normalize_url(url: str) -> str:
    """Accept the plain `postgresql://` URLs people copy around; we drive them with psycopg 3."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed.render_as_string(hide_password=False)


def make_engine(url: str = DEFAULT_DATABASE_URL, *, connect_timeout: int | None = None
                ) -> Engine:  # fmt: skip
    """An engine of the ledger at `url`; `connect_timeout` (seconds, PostgreSQL): how long
    a connection may take to open (a replica's, so that a dead host fails fast)."""
    from fundledger.adapters.db.models import declare_partial_indexes

    arguments = {"connect_timeout": connect_timeout} if connect_timeout is not None else {}
    engine = create_engine(normalize_url(url), connect_args=arguments)
    declare_partial_indexes(engine.dialect.name)
    if engine.dialect.name == "sqlite":
        _configure_sqlite(engine)
    return engine


def sibling_engine(engine: Engine) -> Engine:
    """A second engine on the database of `engine`, with its own connections (a report's
    second reader, in a thread of its own). Built from the first engine's URL, password and
    all: the only place besides `libpq_url` that renders it."""
    return make_engine(engine.url.render_as_string(hide_password=False))


def libpq_url(engine: Engine) -> str:
    """The PostgreSQL URL of `engine` as libpq's tools (pg_dump, pg_restore) take it: no
    SQLAlchemy driver name, and the password, which they need to connect."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def is_sqlite(bind: Engine | Connection | Session) -> bool:
    """Whether `bind` is a SQLite ledger (else PostgreSQL): for the adapters that differ."""
    return _dialect(bind) == "sqlite"


def is_postgresql(bind: Engine | Connection | Session) -> bool:
    return _dialect(bind) == "postgresql"


def _dialect(bind: Engine | Connection | Session) -> str:
    if isinstance(bind, Session):
        return bind.get_bind().dialect.name
    return bind.dialect.name


def _configure_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling starts transactions late and never for reads; take
    # control so that every command, reads included, is one real transaction.
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        # Write-ahead logging: a report reads one snapshot while another treasurer writes,
        # instead of blocking them. (Keep the ledger on a local disk: WAL needs shared memory.)
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        # 64 MiB of page cache (the default is 2 MiB): bulk imports touch index pages at random.
        cursor.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        cursor.close()
        register_sqlite_functions(dbapi_connection)

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        busy_ms = int(options.get(SQLITE_BUSY_OPTION, SQLITE_BUSY_TIMEOUT_MS))
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {busy_ms}")
        # SQLite ignores this pragma inside a transaction: it is set before BEGIN, and only
        # when it changes (a bulk load's connection coming back, or going to one).
        keys_off = not options.get(SQLITE_FOREIGN_KEYS_OPTION, True)
        pooled = connection.connection.info
        if keys_off != pooled.get(_KEYS_OFF, False):
            connection.exec_driver_sql(f"PRAGMA foreign_keys = {'OFF' if keys_off else 'ON'}")
            pooled[_KEYS_OFF] = keys_off
        connection.exec_driver_sql(f"BEGIN {options.get(SQLITE_BEGIN_OPTION, 'DEFERRED')}")

    @event.listens_for(engine, "checkin")
    def on_checkin(dbapi_connection: sqlite3.Connection | None, record: Any) -> None:
        # Back in the pool, a connection checks foreign keys again, whoever takes it next.
        if record.info.pop(_KEYS_OFF, False) and dbapi_connection is not None:
            dbapi_connection.execute("PRAGMA foreign_keys = ON")


def for_writing(engine: Engine, *, wait: bool = True) -> Engine:
    """The engine for a command that writes. On SQLite its transactions take the write lock
    at BEGIN (IMMEDIATE), so two treasurers writing at once wait for each other (busy timeout)
    instead of one failing when its read lock cannot be upgraded. Without `wait`, BEGIN fails
    at once ("database is locked") while another writer is at work."""
    options: dict[str, Any] = {SQLITE_BEGIN_OPTION: "IMMEDIATE"}
    if not wait:
        options[SQLITE_BUSY_OPTION] = 0
    return engine.execution_options(**options)


def for_bulk_loading(engine: Engine) -> Engine:
    """The engine for a command that appends very many rows at once (a large file import).
    On SQLite its transactions run without foreign keys: checked row by row they cost a
    million gifts about a second, two parent look-ups each. Whoever writes in such a
    transaction checks the references it wrote itself before it commits
    (`foreign_keys_checked`), as PostgreSQL checks a foreign key added back after a load.
    Elsewhere nothing changes."""
    return engine.execution_options(**{SQLITE_FOREIGN_KEYS_OPTION: False})


def foreign_keys_checked(connection: Connection) -> bool:
    """Whether the database checks each row's foreign keys as it is written (not so in a
    SQLite transaction of `for_bulk_loading`)."""
    if connection.dialect.name != "sqlite":
        return True
    return bool(connection.exec_driver_sql("PRAGMA foreign_keys").scalar())


def for_reading(engine: Engine) -> Engine:
    """The engine for a command that only reads. A report runs several statements; on
    PostgreSQL they must all see one snapshot (REPEATABLE READ), or a gift committed between
    them could be counted but not converted. A SQLite transaction in WAL mode already reads
    one snapshot."""
    if engine.dialect.name == "postgresql":
        return engine.execution_options(isolation_level="REPEATABLE READ")
    return engine


@contextmanager
def transaction(
    engine: Engine, *, write: bool = False, commit: bool = True, wait: bool = True
) -> Iterator[Session]:
    """One unit of work: commits if the block finishes, rolls everything back otherwise.
    With `commit=False` (a dry run) it rolls back even when the block finishes; a writer
    without `wait` fails at once on SQLite while another writer is at work."""
    bind = for_writing(engine, wait=wait) if write else for_reading(engine)
    with Session(bind, expire_on_commit=False) as session:
        session.begin()
        try:
            yield session
        except BaseException:
            session.rollback()
            raise
        if commit:
            session.commit()
        else:
            session.rollback()


@contextmanager
def sorting_in_threads(connection: Connection) -> Iterator[None]:
    """Large sorts (an index built, a GROUP BY over a million gifts) on several cores. SQLite
    sorts in worker threads only when its page cache is small enough to make it sort in
    chunks: 1M gifts' report index took 1.8 s single-threaded in the usual 64 MiB cache,
    1.1 s with two threads and 8 MiB. Elsewhere nothing changes."""
    if connection.dialect.name != "sqlite":
        yield
        return
    connection.exec_driver_sql(f"PRAGMA threads = {SQLITE_SORT_THREADS}")
    connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_SORT_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql("PRAGMA threads = 0")
        connection.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
