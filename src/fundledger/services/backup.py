"""A consistent copy of a ledger while others write, and a restore into an empty database.

SQLite: the online backup API copies one snapshot of the file (a write committed meanwhile is
in the copy whole or not at all). PostgreSQL: pg_dump, which reads one snapshot too, in its
custom format; pg_restore puts it back. A backup restores into a database of its own kind."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from fundledger.adapters.db.dumps import (
    POSTGRESQL_DUMP,
    SQLITE_FILE,
    copy_kind,
    restore_copy,
    table_count,
    write_copy,
)
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
        write_copy(engine, path, target)
        _sync(path)
        size = path.stat().st_size
    except OSError as error:
        raise FundledgerError(f"cannot write {target}: {error.strerror or error}") from None
    return Copied(target, size, copy_kind(engine))


def restore(engine: Engine, source: Path) -> Copied:
    """Put a backup into the (empty) database of `engine`."""
    try:
        with source.open("rb") as opened:
            head = opened.read(16)
    except OSError as error:
        raise FundledgerError(f"cannot read {source}: {error.strerror or error}") from None
    kind = copy_kind(engine)
    if head.startswith(SQLITE_MAGIC):
        if kind != SQLITE_FILE:
            raise FundledgerError(f"{source} is a SQLite ledger: it restores into a SQLite file "
                                  "(--db sqlite:///PATH), not into PostgreSQL")  # fmt: skip
    elif head.startswith(PG_DUMP_MAGIC):
        if kind != POSTGRESQL_DUMP:
            raise FundledgerError(f"{source} is a PostgreSQL dump: it restores into a "
                                  "PostgreSQL database, not into SQLite")  # fmt: skip
    else:
        raise FundledgerError(f"{source} is not a fundledger backup (neither a SQLite file "
                              "nor a PostgreSQL dump)")  # fmt: skip
    _require_empty(engine)
    restore_copy(engine, source)
    return Copied(source, source.stat().st_size, kind)


def _sync(path: Path) -> None:
    """Make the copy durable before it is put in place: a backup that a power cut empties is
    worse than none."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _require_empty(engine: Engine) -> None:
    tables = table_count(engine)
    if tables:
        raise FundledgerError(f"the target database is not empty ({tables} tables): a "
                              "restore goes into an empty database only")  # fmt: skip
