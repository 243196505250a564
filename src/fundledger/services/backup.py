"""A consistent copy of a ledger while others write, and a restore into an empty database.

SQLite: the online backup API copies one snapshot of the file (a write committed meanwhile is
in the copy whole or not at all). PostgreSQL: pg_dump, which reads one snapshot too, in its
custom format; pg_restore puts it back. A backup restores into a database of its own kind."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, inspect
from sqlalchemy.engine import make_url

from fundledger.domain.errors import FundledgerError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


@dataclass(frozen=True, slots=True)
class Copied:
    path: Path
    size: int
    kind: str  # "SQLite file" | "PostgreSQL dump"


def backup(engine: Engine, target: Path, *, into: Path | None = None) -> Copied:
    """Write a consistent copy of the ledger to `target`, a new file; or `into` a file staged
    for it (cli/output.py writes each file beside its target and puts it in place whole), and
    then errors still name `target`. A full disk is one error naming the file."""
    path = target if into is None else into
    if into is None and target.exists():
        raise FundledgerError(f"{target} exists already: a backup never overwrites a file")
    if into is None and not target.parent.is_dir():  # a staged file's folder is made for it
        raise FundledgerError(f"cannot write {target}: no folder {target.parent}")
    try:
        if engine.dialect.name == "sqlite":
            _sqlite_backup(engine, path, target)
            kind = "SQLite file"
        else:
            _run(["pg_dump", "--format=custom", "--no-owner", f"--file={path}",
                  _libpq_url(engine)], "pg_dump")  # fmt: skip
            kind = "PostgreSQL dump"
        _sync(path)
        size = path.stat().st_size
    except OSError as error:
        raise FundledgerError(f"cannot write {target}: {error.strerror or error}") from None
    return Copied(target, size, kind)


def restore(engine: Engine, source: Path) -> Copied:
    """Put a backup into the (empty) database of `engine`."""
    try:
        with source.open("rb") as opened:
            head = opened.read(16)
    except OSError as error:
        raise FundledgerError(f"cannot read {source}: {error.strerror or error}") from None
    dialect = engine.dialect.name
    if head.startswith(SQLITE_MAGIC):
        if dialect != "sqlite":
            raise FundledgerError(f"{source} is a SQLite ledger: it restores into a SQLite file "
                                  "(--db sqlite:///PATH), not into PostgreSQL")  # fmt: skip
        _require_empty(engine)
        _sqlite_restore(source, engine)
        return Copied(source, source.stat().st_size, "SQLite file")
    if head.startswith(PG_DUMP_MAGIC):
        if dialect != "postgresql":
            raise FundledgerError(f"{source} is a PostgreSQL dump: it restores into a "
                                  "PostgreSQL database, not into SQLite")  # fmt: skip
        _require_empty(engine)
        _run(["pg_restore", "--no-owner", "--exit-on-error", "--single-transaction",
              f"--dbname={_libpq_url(engine)}", str(source)], "pg_restore")  # fmt: skip
        return Copied(source, source.stat().st_size, "PostgreSQL dump")
    raise FundledgerError(f"{source} is not a fundledger backup (neither a SQLite file nor a "
                          "PostgreSQL dump)")  # fmt: skip


# What SQLite says when the copy, not the ledger, could not be written.
_WRITE_FAILURES = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_CANTOPEN", "SQLITE_READONLY")


def _sqlite_backup(engine: Engine, path: Path, target: Path) -> None:
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


def _sync(path: Path) -> None:
    """Make the copy durable before it is put in place: a backup that a power cut empties is
    worse than none."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sqlite_restore(source: Path, engine: Engine) -> None:
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


def _require_empty(engine: Engine) -> None:
    with engine.connect() as connection:
        tables = inspect(connection).get_table_names()
    if tables:
        raise FundledgerError(f"the target database is not empty ({len(tables)} tables): a "
                              "restore goes into an empty database only")  # fmt: skip


def _libpq_url(engine: Engine) -> str:
    """The URL as libpq tools take it (no SQLAlchemy driver name)."""
    return engine.url.set(drivername="postgresql").render_as_string(hide_password=False)


def _run(command: list[str], tool: str) -> None:
    if shutil.which(tool) is None:
        raise FundledgerError(f"{tool} is not installed: apt-get install postgresql-client")
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        first = (done.stderr.strip().splitlines() or ["failed"])[0]
        raise FundledgerError(f"{tool} failed: {first}")
