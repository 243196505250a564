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
from contextlib import closing
from pathlib import Path

from fundledger.adapters.db.bulk import DONATION_COLUMNS
from fundledger.adapters.db.engine import (
    SQLITE_CACHE_KIB,
    SQLITE_SORT_CACHE_KIB,
    SQLITE_SORT_THREADS,
)
from fundledger.adapters.db.models import Donation
from fundledger.adapters.donation_csv import BATCH_ROWS

COLUMNS = ", ".join([*DONATION_COLUMNS, "chain_hash"])
# The indexes the import drops and builds again (adapters/db/bulk.py, DonationWriter's rule).
SECONDARY = sorted(str(index.name) for index in Donation.__table__.indexes if not index.unique)


def store_seconds(ledger: Path) -> float:
    with closing(sqlite3.connect(ledger)) as source:
        schema = [sql for (sql,) in source.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' "
            "ORDER BY type = 'table' DESC, rowid")]  # fmt: skip
        index_sql = dict(source.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'"))
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
        placeholders = ", ".join("?" * (len(DONATION_COLUMNS) + 1))
        started = time.perf_counter()
        target.execute("BEGIN IMMEDIATE")
        for name in SECONDARY:
            target.execute(f"DROP INDEX {name}")
        for start in range(0, len(rows), BATCH_ROWS):
            target.executemany(f"INSERT INTO donation ({COLUMNS}) VALUES ({placeholders})",  # noqa: S608
                               rows[start : start + BATCH_ROWS])  # fmt: skip
        target.execute(f"PRAGMA threads = {SQLITE_SORT_THREADS}")
        target.execute(f"PRAGMA cache_size = -{SQLITE_SORT_CACHE_KIB}")
        for name in SECONDARY:
            target.execute(index_sql[name])
        target.execute("COMMIT")
        elapsed = time.perf_counter() - started
        target.close()
    return elapsed


if __name__ == "__main__":
    print(f"{store_seconds(Path(sys.argv[1])):.3f}")
