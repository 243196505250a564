"""Reading from a PostgreSQL streaming replica (`--read-db`, `serve --read-db`).

A larger organisation runs its reports, searches and pages from a replica so that they never
slow the primary its treasurers write to. A replica replays the primary's WAL a little after
it: a report made there could miss the gift its reader recorded a moment before. So a read is
made there only once the replica has replayed everything the primary had written when the
read began (its WAL insert position, one cheap query on the primary), waiting at most
CATCH_UP_SECONDS; a replica further behind, or not answering, leaves the read to the primary,
and the caller is told why (then, for QUIET_SECONDS, the replica is asked without waiting, so
that a lagging replica does not cost every read the wait). A read the replica refuses (a hot
standby runs no CREATE TEMPORARY TABLE, which a report computed from the gifts needs; recovery
may cancel a long query) is made again on the primary: `refused_on_replica`.

The read database must be a copy of the ledger: a server not in recovery, or of another
cluster (an old restored copy, a test database), is refused when first used."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from fundledger.domain.errors import FundledgerError

T = TypeVar("T")
CATCH_UP_SECONDS = 2.0
QUIET_SECONDS = 10.0
CONNECT_TIMEOUT_SECONDS = 5  # libpq's connect_timeout for the replica: a dead host fails fast
_POLL_SECONDS = 0.01
# SQLSTATEs of a read the replica will not run: a write (a temporary table) in a read-only
# transaction, and a query recovery cancelled (a conflict with the WAL it replays).
_REFUSED_ON_REPLICA = frozenset({"25006", "40001"})


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


_IDENTIFY = text("SELECT system_identifier::text FROM pg_control_system()")


def require_copy_of(cluster: str, replica: Engine) -> None:
    """The read database is a streaming replica of the ledger's server: in recovery, of the
    same cluster (`cluster`: the primary's system identifier)."""
    with replica.connect() as connection:
        replaying = connection.execute(text("SELECT pg_is_in_recovery()")).scalar_one()
        copied = connection.execute(_IDENTIFY).scalar_one()
    if not replaying or copied != cluster:
        what = "is not in recovery" if not replaying else "is of another PostgreSQL cluster"
        raise FundledgerError(
            f"the read database {replica.url.render_as_string(hide_password=True)} {what}: "
            "--read-db takes a streaming replica of the ledger's own server (a hot standby)"
        )


def cluster_of(primary: Engine) -> str:
    with primary.connect() as connection:
        return str(connection.execute(_IDENTIFY).scalar_one())


def read_from(primary: Engine, replica: Engine, timeout: float = CATCH_UP_SECONDS) -> ReadFrom:
    """The replica, once it holds everything written on the primary by now; else the
    primary, with the reason."""
    with primary.connect() as connection:
        position = connection.execute(text("SELECT pg_current_wal_insert_lsn()::text")
                                      ).scalar_one()  # fmt: skip
    deadline = time.monotonic() + timeout
    try:
        with replica.connect() as connection:
            while True:
                caught_up = connection.execute(
                    text("SELECT coalesce(pg_last_wal_replay_lsn() >= CAST(:position AS pg_lsn),"
                         " false)"),
                    {"position": position},
                ).scalar_one()  # fmt: skip
                if caught_up:
                    return ReadFrom(replica)
                if time.monotonic() >= deadline:
                    behind = (f"more than {timeout:g} s behind" if timeout
                              else "still behind")  # fmt: skip
                    return ReadFrom(primary, f"the replica is {behind} the primary")
                connection.rollback()  # a fresh snapshot of the replay position
                time.sleep(_POLL_SECONDS)
    except DBAPIError as error:
        return ReadFrom(primary, f"the replica does not answer ({_first_line(error)})")


def refused_on_replica(error: DBAPIError) -> str | None:
    """Why the replica would not run a read (then made on the primary), or None: another
    failure, said as it is."""
    if getattr(error.orig, "sqlstate", None) in _REFUSED_ON_REPLICA:
        return f"the replica would not run it ({_first_line(error)})"
    return None


def _first_line(error: DBAPIError) -> str:
    return str(getattr(error, "orig", error)).strip().splitlines()[0]


@dataclass
class ReplicaReads:
    """A process's reads from a replica, and why the last one did not go there (None: it
    did), so that a change of route is said once, not at every read."""

    primary: Engine
    replica: Engine
    fallback: str | None = field(default=None, init=False)
    _checked: bool = field(default=False, init=False)
    _quiet_until: float = field(default=0.0, init=False)

    def engine(self) -> tuple[Engine, bool]:
        """The engine of the next read, and whether its route changed since the last."""
        if not self._checked:
            cluster = cluster_of(self.primary)
            try:
                require_copy_of(cluster, self.replica)
            except DBAPIError as error:  # checked at the first read it answers
                return self.primary, self._note(
                    f"the replica does not answer ({_first_line(error)})"
                )
            self._checked = True
        waiting = 0.0 if time.monotonic() < self._quiet_until else CATCH_UP_SECONDS
        route = read_from(self.primary, self.replica, waiting)
        if route.fallback and waiting:
            self._quiet_until = time.monotonic() + QUIET_SECONDS
        return route.engine, self._note(route.fallback)

    def read(self, attempt: Callable[[Engine], T], told: Callable[[bool], None]) -> T:
        """`attempt(engine)`, a read-only transaction: on the replica once it has caught up,
        made again on the primary when the replica refuses it (`refused_on_replica`).
        `told(changed)` hears of each route taken, to say a change once."""
        chosen, changed = self.engine()
        told(changed)
        if chosen is not self.replica:
            return attempt(chosen)
        try:
            return attempt(chosen)
        except DBAPIError as error:
            reason = refused_on_replica(error)
            if reason is None:
                raise
            told(self._note(reason))
        return attempt(self.primary)

    def _note(self, fallback: str | None) -> bool:
        changed, self.fallback = fallback != self.fallback, fallback
        return changed

    def dispose(self) -> None:
        self.replica.dispose()
