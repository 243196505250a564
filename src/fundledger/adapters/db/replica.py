"""Reading from a PostgreSQL streaming replica (`--read-db`, `serve --read-db`).

A larger organisation runs its reports, searches and pages from a replica so that they never
slow the primary its treasurers write to. A replica replays the primary's WAL a little after
it: a report made there could miss the gift its reader recorded a moment before. So a read is
made there only once the replica has replayed everything the primary had committed when the
read began (its WAL position, one cheap query on the primary), waiting at most
CATCH_UP_SECONDS; a replica further behind, or not answering, leaves the read to the primary,
and the caller is told why. A "replica" that is itself a primary (not in recovery) is read as
it is: it is then the same database, or another the operator chose."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from fundledger.domain.errors import FundledgerError

CATCH_UP_SECONDS = 2.0
_POLL_SECONDS = 0.01


@dataclass(frozen=True, slots=True)
class ReadFrom:
    """Where a read goes, and why not to the replica when it does not (None: it does)."""

    engine: Engine
    fallback: str | None = None


def require_replicable(primary: Engine, replica: Engine) -> None:
    """Both ledgers PostgreSQL: a SQLite file has no replica to read from."""
    for engine, what in ((primary, "the ledger (--db)"), (replica, "the read database")):
        if engine.dialect.name != "postgresql":
            raise FundledgerError(
                f"--read-db reads from a PostgreSQL streaming replica: {what} is "
                f"{engine.dialect.name}; use it with a PostgreSQL ledger, or leave --read-db out"
            )


def read_from(primary: Engine, replica: Engine, timeout: float = CATCH_UP_SECONDS) -> ReadFrom:
    """The replica, once it holds everything committed on the primary by now; else the
    primary, with the reason."""
    with primary.connect() as connection:
        position = connection.execute(text("SELECT pg_current_wal_lsn()::text")).scalar_one()
    deadline = time.monotonic() + timeout
    try:
        with replica.connect() as connection:
            while True:
                replaying, caught_up = connection.execute(
                    text("SELECT pg_is_in_recovery(), "
                         "coalesce(pg_last_wal_replay_lsn() >= CAST(:position AS pg_lsn), false)"),
                    {"position": position},
                ).one()  # fmt: skip
                if not replaying or caught_up:
                    return ReadFrom(replica)
                if time.monotonic() >= deadline:
                    return ReadFrom(primary, f"the replica is more than {timeout:g} s behind "
                                             "the primary")  # fmt: skip
                connection.rollback()  # a fresh snapshot of the replay position
                time.sleep(_POLL_SECONDS)
    except DBAPIError as error:
        first_line = str(getattr(error, "orig", error)).strip().splitlines()[0]
        return ReadFrom(primary, f"the replica does not answer ({first_line})")


@dataclass
class ReplicaReads:
    """A process's reads from a replica, and why the last one did not go there (None: it
    did), so that a change of route is said once, not at every read."""

    primary: Engine
    replica: Engine
    fallback: str | None = field(default=None, init=False)

    def engine(self) -> tuple[Engine, bool]:
        """The engine of the next read, and whether its route changed since the last."""
        route = read_from(self.primary, self.replica)
        changed, self.fallback = route.fallback != self.fallback, route.fallback
        return route.engine, changed

    def dispose(self) -> None:
        self.replica.dispose()
