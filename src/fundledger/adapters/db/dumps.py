"""Whole-database copies, as each database makes them: SQLite's online backup API (one
snapshot of the file, a write committed meanwhile in the copy whole or not at all), and
PostgreSQL's pg_dump / pg_restore in the custom format. services/backup.py decides what to copy
where; this module only knows how."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url

from fundledger.adapters.db.engine import is_sqlite, libpq_url
from fundledger.domain.errors import FundledgerError

SQLITE_FILE = "SQLite file"
POSTGRESQL_DUMP = "PostgreSQL dump"

# What SQLite says when the copy, not the ledger, could not be written.
_WRITE_FAILURES = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_READONLY")


def copy_kind(engine: Engine) -> str:
    """What a copy of the database of `engine` is, and what it restores from."""
    return SQLITE_FILE if is_sqlite(engine) else POSTGRESQL_DUMP


def write_copy(engine: Engine, path: Path, target: Path) -> None:
    """A consistent copy of the database of `engine` into the new file `path` (errors name
    `target`, the file it is staged for)."""
    if is_sqlite(engine):
        _sqlite_backup(engine, path, target)
    else:
        _postgresql_dump(engine, path)


def restore_copy(engine: Engine, source: Path) -> None:
    """Put the copy `source` (of `copy_kind(engine)`) into the empty database of `engine`."""
    if is_sqlite(engine):
        _sqlite_restore(source, engine)
    else:
        _postgresql_restore(engine, source)


def _sqlite_backup(engine: Engine, path: Path, target: Path) -> None:
    """Copy the SQLite ledger of `engine` into the new file `path` (errors name `target`,
    the file the copy is staged for)."""
    with engine.connect() as connection:
        source = connection.connection.driver_connection
        if not isinstance(source, sqlite3.Connection):
            raise RuntimeError("a SQLite engine without a sqlite3 connection")
        try:
            copy = sqlite3.connect(path)
            try:
                source.backup(copy)  # one step: one snapshot, all pages
                # A single file, readable without the -wal beside it.
                copy.execute("PRAGMA journal_mode = DELETE")
            finally:
                copy.close()
        except sqlite3.Error as error:
            # A full disk comes as "database or disk is full", not as an OSError.
            name = getattr(error, "sqlite_errorname", "") or ""
            if name.startswith(_WRITE_FAILURES):
                raise FundledgerError(f"cannot write {target}: {error}") from None
            raise FundledgerError(f"cannot back up the ledger: {error}") from None


def _sqlite_restore(source: Path, engine: Engine) -> None:
    """Copy the SQLite ledger file `source` into the (empty) SQLite file of `engine`."""
    target = make_url(engine.url).database
    if not target or target == ":memory:":
        raise FundledgerError("restore into a SQLite file: --db sqlite:///PATH")
    original = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        if original.execute(
            "SELECT count(*) FROM sqlite_master WHERE name = 'alembic_version'"
        ).fetchone() == (0,):
            raise FundledgerError(f"{source} is a SQLite file but not a fundledger ledger")
        engine.dispose()  # the copy writes the target file itself
        copy = sqlite3.connect(target)
        try:
            original.backup(copy)
        finally:
            copy.close()
    except sqlite3.DatabaseError as error:
        raise FundledgerError(f"cannot restore {source}: {error}") from None
    finally:
        original.close()


# pg_dump takes a share lock on each table in turn; a writer that empties summary tables
# (TRUNCATE, at the end of an import) may hold one and want another pg_dump already holds.
# PostgreSQL then ends one of the two: when it is pg_dump, its snapshot is simply taken again.
DUMP_ATTEMPTS = 3


def _postgresql_dump(engine: Engine, path: Path) -> None:
    """pg_dump of the database of `engine` into `path`, in the custom format; taken again
    when PostgreSQL ends it to break a deadlock with a writer."""
    command = ["pg_dump", "--format=custom", "--no-owner", f"--file={path}", libpq_url(engine)]
    for attempt in range(1, DUMP_ATTEMPTS + 1):
        try:
            _run(command, "pg_dump")
            return
        except FundledgerError as error:
            if "deadlock detected" not in str(error) or attempt == DUMP_ATTEMPTS:
                raise
            path.unlink(missing_ok=True)


def _postgresql_restore(engine: Engine, source: Path) -> None:
    """pg_restore of the dump `source` into the database of `engine`, all or nothing."""
    _run(["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction",
          f"--dbname={libpq_url(engine)}", str(source)], "pg_restore")  # fmt: skip


def table_count(engine: Engine) -> int:
    """How many tables the database of `engine` holds (a restore wants none)."""
    with engine.connect() as connection:
        return len(inspect(connection).get_table_names())


def _run(command: list[str], tool: str) -> None:
    if shutil.which(tool) is None:
        raise FundledgerError(f"{tool} is not installed: apt-get install postgresql-client")
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["failed"])[0]
        raise FundledgerError(f"{tool} failed: {first}")
