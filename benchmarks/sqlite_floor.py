"""What SQLite itself needs to store a loaded ledger's donations, with nothing of fundledger's
Python work around it: the rows are read from LEDGER into memory first (not timed), then written
into an empty copy of its schema as `fundledger import donations` writes them (one transaction,
the driver's executemany in chunks of 10,000 rows, foreign keys checked, the secondary indexes
dropped and built again after), and committed. Prints the seconds that took.

    python benchmarks/sqlite_floor.py LEDGER.db

benchmarks/peers.py runs it to show how much of the cold path is SQLite's own floor."""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from pathlib import Path

from fundledger.adapters.db.engine import (
    SQLITE_CACHE_KIB,
    SQLITE_SORT_CACHE_KIB,
    SQLITE_SORT_THREADS,
)
from fundledger.adapters.donation_csv import BATCH_ROWS

COLUMNS = (
    "campaign_id, donor_id, donation_date, amount_minor, currency, method, reference, anonymous, "
    "note, reverses_id, recorded_at, recorded_by, chain_hash"
)


def store_seconds(ledger: Path) -> float:
    with sqlite3.connect(ledger) as source:
        schema = [sql for (sql,) in source.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
            "ORDER BY type = 'table' DESC, rowid")]  # fmt: skip
        secondary = [name for (name,) in source.execute(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'donation' "
            "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%'")]  # fmt: skip
        rows = source.execute(f"SELECT {COLUMNS} FROM donation ORDER BY id").fetchall()  # noqa: S608
    with tempfile.TemporaryDirectory(prefix="fundledger-floor-") as folder:
        target = sqlite3.connect(Path(folder) / "empty.db", isolation_level=None)
        target.execute("PRAGMA journal_mode = WAL")
        for sql in schema:
            target.execute(sql)
        # The rows' parents, as the ledger has them.
        target.execute("ATTACH DATABASE ? AS loaded", (str(ledger),))
        for table in ("campaign", "donor"):
            target.execute(f"INSERT INTO {table} SELECT * FROM loaded.{table}")  # noqa: S608
        target.execute("DETACH DATABASE loaded")
        target.execute("PRAGMA foreign_keys = ON")
        target.execute(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
        index_sql = {name: sql for name, sql in (
            target.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'"))
            if name in secondary}  # fmt: skip
        placeholders = ", ".join("?" * len(COLUMNS.split(",")))
        started = time.perf_counter()
        target.execute("BEGIN IMMEDIATE")
        for name in index_sql:
            target.execute(f"DROP INDEX {name}")
        for start in range(0, len(rows), BATCH_ROWS):
            target.executemany(f"INSERT INTO donation ({COLUMNS}) VALUES ({placeholders})",  # noqa: S608
                               rows[start : start + BATCH_ROWS])  # fmt: skip
        target.execute(f"PRAGMA threads = {SQLITE_SORT_THREADS}")
        target.execute(f"PRAGMA cache_size = -{SQLITE_SORT_CACHE_KIB}")
        for sql in index_sql.values():
            target.execute(sql)
        target.execute("COMMIT")
        elapsed = time.perf_counter() - started
        target.close()
    return elapsed


if __name__ == "__main__":
    print(f"{store_seconds(Path(sys.argv[1])):.3f}")
