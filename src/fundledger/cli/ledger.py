"""The ledger a command works on, and its one transaction.

Importing this module costs no SQLAlchemy: the command's group makes a Ledger before it knows
which command runs, and `fundledger --version` or `--help` never needs a database. SQLAlchemy,
the engine and the services come in when a command first asks for the engine."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from fundledger.domain.errors import FundledgerError

if TYPE_CHECKING:
    from sqlalchemy import Engine
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.orm import Session

    from fundledger.adapters.db.replica import ReplicaReads
    from fundledger.services.context import CommandContext

T = TypeVar("T")
SQLITE_COMPANIONS = ("-wal", "-shm", "-journal")
# The exit status of a batch that did part of its work and listed what it skipped
# (shared/design.md §4).
PARTIAL = 3


@dataclass
class Ledger:
    """The database a command works on; the engine is made on first use, never at import."""

    url: str
    # A streaming replica of a PostgreSQL ledger that read-only transactions use (--read-db):
    # adapters/db/replica.py says when they do.
    read_url: str | None = None
    _engine: Engine | None = field(default=None, repr=False)
    _replica: ReplicaReads | None = field(default=None, repr=False)
    # Whether the command has changed something lasting: a write transaction committed, or a
    # file put in place. From then on it succeeds (exit 0) even if it cannot print.
    changed: bool = False

    @property
    def display_url(self) -> str:
        return _shown(self.url)

    @property
    def display_read_url(self) -> str:
        return _shown(self.read_url or "")

    def engine(self, *, must_exist: bool = True) -> Engine:
        if self._engine is None:
            from sqlalchemy.exc import ArgumentError

            from fundledger.adapters.db.engine import make_engine

            try:
                if must_exist:
                    self._require_sqlite_file()
                self._engine = make_engine(self.url)
            except (ArgumentError, ImportError, ValueError) as error:
                raise FundledgerError(
                    f"cannot use the database URL {self.display_url} ({error}); write it like "
                    "sqlite:///fundledger.db or postgresql://user@host/dbname"
                ) from None
        return self._engine

    def _replica_reads(self) -> ReplicaReads | None:
        """The replica (--read-db) this command reads from, made on first use; None without."""
        if not self.read_url:
            return None
        if self._replica is None:
            from sqlalchemy.exc import ArgumentError

            from fundledger.adapters.db.engine import make_engine
            from fundledger.adapters.db.replica import (
                CONNECT_TIMEOUT_SECONDS,
                ReplicaReads,
                require_replicable,
            )

            primary = self.engine()
            try:
                replica = make_engine(self.read_url, connect_timeout=CONNECT_TIMEOUT_SECONDS)
            except (ArgumentError, ImportError, ValueError) as error:
                raise FundledgerError(
                    f"cannot use the read database URL {_shown(self.read_url)} ({error}); "
                    "write it like postgresql://user@replica-host/dbname"
                ) from None
            require_replicable(primary, replica)
            self._replica = ReplicaReads(primary, replica)
        return self._replica

    def engine_to_read(self) -> Engine:
        """The replica (--read-db) once it has caught up with the primary, else the ledger
        itself; said on standard error when the route changes (adapters/db/replica.py)."""
        replica = self._replica_reads()
        if replica is None:
            return self.engine()
        chosen, changed = replica.engine()
        self._say_route(changed)
        return chosen

    def _say_route(self, changed: bool) -> None:
        if changed and self._replica is not None and self._replica.fallback:
            print(f"Reading from the ledger itself: {self._replica.fallback}.", file=sys.stderr)

    def sqlite_file(self) -> Path | None:
        """The file of a SQLite ledger (None for PostgreSQL, or a database in memory)."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            parsed = make_url(self.url)
        except (ArgumentError, ValueError):
            return None
        if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
            return None
        return Path(parsed.database)

    def own_files(self) -> tuple[Path, ...]:
        """The files no output may replace: a SQLite ledger's file first, then the companions
        SQLite keeps beside it while it works."""
        path = self.sqlite_file()
        if path is None:
            return ()
        return (path, *(path.with_name(path.name + suffix) for suffix in SQLITE_COMPANIONS))

    def record_change(self) -> None:
        self.changed = True

    def _require_sqlite_file(self) -> None:
        path = self.sqlite_file()
        if path is None:
            return
        if not path.exists():
            raise FundledgerError(
                f"no ledger at {path}: create it with `fundledger init` "
                "(or point --db / FUNDLEDGER_DB at an existing one)"
            )

    def context(self, session: Session | None = None) -> CommandContext:
        """Who runs which command; with a session, under the ledger's own settings."""
        from fundledger.services.context import CommandContext
        from fundledger.services.settings import RULE_KEYS, current_settings, ledger_settings

        command = " ".join(["fundledger", *sys.argv[1:]])
        if session is None:
            return CommandContext(command=command)
        rules = ledger_settings(current_settings(session, RULE_KEYS))
        return CommandContext(command=command, settings=rules)

    @contextmanager
    def transaction(
        self,
        *,
        write: bool,
        commit: bool = True,
        engine: Engine | None = None,
        bulk: bool = False,
    ) -> Iterator[Session]:
        """One command, one transaction, on a ledger whose schema is current (on `engine`:
        the replica of `read`; else the ledger itself). `bulk`: a load of very many rows,
        whose writer checks their foreign keys itself (engine.for_bulk_loading)."""
        from fundledger.adapters.db.engine import for_bulk_loading, transaction
        from fundledger.cli.signals import Interrupts
        from fundledger.services.schema import require_current_schema

        chosen = engine or self.engine()
        if bulk:
            chosen = for_bulk_loading(chosen)
        with transaction(chosen, write=write, commit=commit) as session:
            require_current_schema(session.connection())
            yield session
            if write and commit:
                # The commit is next: a signal arriving from now on must not turn a command
                # that committed into one that seems to have failed (and be run again).
                Interrupts.hold()
        if write and commit:
            self.record_change()

    def run(
        self,
        work: Callable[[Session, CommandContext], T],
        *,
        write: bool = False,
        commit: bool = True,
        summaries: bool = False,
        bulk: bool = False,
    ) -> T:
        """Run a command's work in one transaction; `write` for commands that change the
        ledger, `commit=False` to roll back what they did (a dry run), `bulk` for a load of
        very many rows (`transaction`). A read goes to the replica when --read-db names one
        (`read`). `summaries`: a write of a few gifts or a rate, which brings the stored
        summaries up to date in its own transaction, so that the reports after it (a
        server's pages, a board member's report) find them current rather than the first of
        them doing the upkeep. Not when they are far behind (an import's gifts not yet
        reported): the next report brings them up, with its progress shown."""
        if not write:
            return self.read(lambda session: work(session, self.context(session)))
        with self.transaction(write=write, commit=commit, bulk=bulk) as session:
            context = self.context(session)
            done = work(session, context)
            if summaries and commit:
                from fundledger.services.summary_store import (
                    BULK_ROWS,
                    bring_up_to_date_within,
                )

                bring_up_to_date_within(session, context, most_gifts=BULK_ROWS)
        return done

    def read(self, work: Callable[[Session], T]) -> T:
        """`work` in one read-only transaction: on the replica when --read-db names one and
        it has caught up, made again on the ledger itself when the replica refuses it (a
        report computed from the gifts needs a temporary table, which a hot standby refuses)."""

        def attempt(engine: Engine) -> T:
            with self.transaction(write=False, engine=engine) as session:
                return work(session)

        replica = self._replica_reads()
        if replica is None:
            return attempt(self.engine())
        return replica.read(attempt, self._say_route)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
        if self._replica is not None:
            self._replica.dispose()


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return repr(url)


def describe_database_error(error: SQLAlchemyError, ledger: Ledger) -> str:
    """One line for a database failure a user can act on."""
    from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

    original = getattr(error, "orig", None)
    first_line = (str(original) if original else str(error)).strip().splitlines()[0]
    if isinstance(error, IntegrityError):
        return f"the database refused the change: {first_line}"
    if isinstance(error, OperationalError) and getattr(error, "connection_invalidated", False):
        return f"lost the connection to {ledger.display_url}: {first_line}"
    if isinstance(error, OperationalError | DBAPIError):
        return f"database error on {ledger.display_url}: {first_line}"
    return f"database error: {first_line}"
