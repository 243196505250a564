"""Two transactions reading exactly the same ledger (PostgreSQL): the first exports its
snapshot, a second connection of a second engine imports it. Lets a report run two long
aggregates at once, each on a core of its own, without either seeing a write the other
does not."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from fundledger.adapters.db.engine import is_postgresql, sibling_engine, transaction

_SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+(-[0-9]+)?")


def shares_snapshots(session: Session) -> bool:
    """Whether another transaction can be made to read what `session`'s reads (PostgreSQL)."""
    return is_postgresql(session)


def export_snapshot(session: Session) -> str:
    """The id of `session`'s snapshot, for `on_snapshot` (valid while `session`'s transaction
    lasts)."""
    snapshot = str(session.scalar(text("SELECT pg_export_snapshot()")))
    if not _SNAPSHOT_ID.fullmatch(snapshot):  # it goes into SQL as a literal
        raise RuntimeError(f"unexpected snapshot id from PostgreSQL: {snapshot!r}")
    return snapshot


@contextmanager
def on_snapshot(engine: Engine, snapshot: str) -> Iterator[Session]:
    """A read transaction on a second engine of `engine`'s database that sees exactly the
    ledger of the exported `snapshot` (SET TRANSACTION SNAPSHOT), whatever is committed
    meanwhile. The second engine is disposed of at the end."""
    if not _SNAPSHOT_ID.fullmatch(snapshot):
        raise ValueError(f"not a snapshot id: {snapshot!r}")
    second = sibling_engine(engine)
    try:
        with transaction(second) as session:  # REPEATABLE READ, as the first one
            # SET TRANSACTION takes no bound parameter; the id was checked above.
            session.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
            yield session
    finally:
        second.dispose()
