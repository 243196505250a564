"""Answers of read services kept while the ledger stays as they saw it, for a long-running
process (the web server) that is asked for the same page again and again between writes.

Every write to the ledger appends an audit event in the same transaction, and the audit trail
only grows: a writer holds the chains until it commits (adapters/db/chain.py), so events are
committed in the order of their ids, and the newest event's id and hash name what a transaction
sees. The one record written without an audit event, a `check` run (check_run), is named
beside it. A `ReadCache` keeps answers made under one such state, and forgets them all as soon
as a transaction sees another: a write by this process, by another server worker or by the
command line all end the answers made before it, with no notice to send. An answer is exactly
what the service returns for that state; the cache never serves one of another."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import AuditEvent, CheckRun

T = TypeVar("T")
DEFAULT_ENTRIES = 256  # answers kept at most; the least recently asked for go first


@dataclass(frozen=True, slots=True)
class LedgerState:
    """What a transaction sees of the ledger, as far as any answer can tell."""

    audit_id: int | None  # the newest audit event (None: nothing was ever written)
    audit_hash: str | None  # its chain hash: the same id on a ledger restored elsewhere differs
    check_id: int | None  # the newest check run


def ledger_state(session: Session) -> LedgerState:
    """The ledger's state as this transaction sees it: one indexed read."""
    newest = select(func.max(AuditEvent.id)).scalar_subquery()
    row = session.execute(
        select(
            newest,
            select(AuditEvent.chain_hash).where(AuditEvent.id == newest).scalar_subquery(),
            select(func.max(CheckRun.id)).scalar_subquery(),
        )
    ).one()
    return LedgerState(*row)


class ReadCache:
    """Answers by key, for one ledger state at a time. Thread-safe: the server's threads share
    one. Two threads that miss the same key at once both compute it (the answer is the same).
    Around a write, a transaction begun before it and one begun after may take turns emptying
    the cache: answers are lost then, never one of another state served."""

    def __init__(self, entries: int = DEFAULT_ENTRIES) -> None:
        self._most = entries
        self._lock = threading.Lock()
        self._state: LedgerState | None = None
        self._answers: OrderedDict[Hashable, Any] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def answer(self, session: Session, key: Hashable, make: Callable[[], T]) -> T:
        """The answer kept for `key` under the state `session` sees, else `make()`'s (which
        must read that same session), kept for the next request."""
        return self.answer_at(ledger_state(session), key, make)

    def answer_at(self, state: LedgerState, key: Hashable, make: Callable[[], T]) -> T:
        """As `answer`, with the state already read in the transaction `make` reads."""
        with self._lock:
            if state != self._state:
                self._answers.clear()
                self._state = state
            elif key in self._answers:
                self._answers.move_to_end(key)
                self.hits += 1
                return self._answers[key]  # type: ignore[no-any-return]
            self.misses += 1
        made = make()
        with self._lock:
            if state == self._state:  # else another thread has seen a newer state meanwhile
                self._answers[key] = made
                while len(self._answers) > self._most:
                    self._answers.popitem(last=False)
        return made

    def __len__(self) -> int:
        return len(self._answers)

    def clear(self) -> None:
        with self._lock:
            self._answers.clear()
            self._state = None
