"""A map from text to numbers that grows by a row of a file at a time, in bounded memory.

A donation file's reader remembers something of every row: the line of each reference (a
repeat is refused, naming the first), how often each content key occurred. In a dict that
cost about 150 bytes a row, 450 MiB for a file of 3M gifts. Here the latest entries, up to
`limit`, stay in a dict; when it is full they move into a private scratch SQLite database
(SQLite's own temporary file, deleted when it closes) with a small page cache, and the dict
starts again. A batch asks once for the entries of all its keys (`found`), so each row costs
an index probe there, not a Python object kept to the end of the file.

Apart from the ledger's database on purpose: the reading child process has no connection to
it, and a dry run must leave nothing in it."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Mapping

SPILL_ENTRIES = 200_000  # about 30 MiB of entries in memory, whatever the file's size
SCRATCH_CACHE_KIB = 8 * 1024
# Keys asked for in one statement: SQLite's oldest limit of parameters is 999.
_LOOKUP_KEYS = 999


class SpillingMap:
    """str -> int. `found` and `update` a batch at a time; `close` when done."""

    def __init__(self, limit: int | None = None) -> None:
        self.limit = SPILL_ENTRIES if limit is None else limit
        self.recent: dict[str, int] = {}
        self._scratch: sqlite3.Connection | None = None

    @property
    def spilled(self) -> bool:
        """Whether entries have moved to the scratch database."""
        return self._scratch is not None

    def __len__(self) -> int:
        """The entries held in memory (the rest, if any, are in the scratch database): fewer
        than `limit` and one batch."""
        return len(self.recent)

    def found(self, keys: Iterable[str]) -> dict[str, int]:
        """The entries of those of `keys` that the map holds."""
        wanted = set(keys)
        found: dict[str, int] = {}
        if self._scratch is not None:
            missing = list(wanted.difference(self.recent))
            for start in range(0, len(missing), _LOOKUP_KEYS):
                chunk = missing[start : start + _LOOKUP_KEYS]
                found.update(self._scratch.execute(
                    f"SELECT key, value FROM spilled WHERE key IN ({', '.join('?' * len(chunk))})",  # noqa: S608 (placeholders only)
                    chunk,
                ).fetchall())  # fmt: skip
        recent = self.recent
        found.update((key, recent[key]) for key in recent.keys() & wanted)
        return found

    def update(self, entries: Mapping[str, int] | Iterable[tuple[str, int]]) -> None:
        """Adds (or replaces) these entries. A full dict moves out first, not after: the
        last batch of a file is then never moved out for nothing (a batch past `limit`)."""
        if len(self.recent) >= self.limit:
            self._spill()
        self.recent.update(entries)

    def _spill(self) -> None:
        if self._scratch is None:
            # "": SQLite's private temporary database, a file of its own removed on close.
            self._scratch = sqlite3.connect("", isolation_level=None)
            for pragma in (f"cache_size = -{SCRATCH_CACHE_KIB}", "journal_mode = OFF",
                           "synchronous = OFF"):  # fmt: skip
                self._scratch.execute(f"PRAGMA {pragma}")
            self._scratch.execute(
                "CREATE TABLE spilled (key TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID"
            )
            self._scratch.execute("BEGIN")  # never committed: nothing here outlives the map
        # In key order: each page of the index is then written once per spill, not per row.
        self._scratch.executemany(
            "INSERT OR REPLACE INTO spilled (key, value) VALUES (?, ?)", sorted(self.recent.items())
        )
        self.recent = {}

    def close(self) -> None:
        self.recent = {}
        if self._scratch is not None:
            self._scratch.close()
            self._scratch = None
