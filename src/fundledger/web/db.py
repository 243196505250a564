"""The ledger behind the web interface: one engine per app, a unit of work per call (each one
transaction, always closed), and the CommandContext of the signed-in user for the audit."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from flask import current_app, request
from flask_login import current_user
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from fundledger.adapters.db.engine import transaction
from fundledger.domain.access import Actor, Role
from fundledger.services.context import CommandContext
from fundledger.services.read_cache import LedgerState, ReadCache, ledger_state
from fundledger.services.schema import require_current_schema
from fundledger.services.settings import RULE_KEYS, current_settings, ledger_settings
from fundledger.services.summary_store import bring_up_to_date_within

T = TypeVar("T")
EXTENSION = "fundledger"
# How the audit trail names a web user: "web:dana", apart from an operating-system user dana
# at the terminal (shared/design.md §1: "who" is the signed-in web user).
ACTOR_PREFIX = "web:"


def engine() -> Engine:
    return current_app.extensions[EXTENSION].engine  # type: ignore[no-any-return]


def _on_either(work: Callable[[Session], T], write: bool = False, commit: bool = True) -> T:
    """`work` in one transaction: a write on the ledger; a read on the replica when there is
    one and it has caught up, made again on the ledger itself when the replica refuses it (a
    hot standby runs no temporary table, which a page computed from the gifts needs)."""

    def attempt(chosen: Engine) -> T:
        with transaction(chosen, write=write, commit=commit) as session:
            return work(session)

    replica = current_app.extensions[EXTENSION].replica
    if write or replica is None:
        return attempt(engine())
    return replica.read(attempt, lambda changed: _log_route(replica, changed))  # type: ignore[no-any-return]


def _log_route(replica: Any, changed: bool) -> None:
    if not changed:
        return
    if replica.fallback:
        current_app.logger.warning("pages read from the ledger itself: %s", replica.fallback)
    else:
        current_app.logger.warning("pages read from the replica again")


def current_actor() -> Actor:
    """The signed-in user as the services' role checks take them. Only on pages that need a
    session (every page but /login does)."""
    user = current_user._get_current_object()  # Flask-Login's proxy
    if not getattr(user, "is_authenticated", False):
        raise RuntimeError("current_actor() on a request without a signed-in user")
    return Actor(user.name, Role(user.role))


def command_context(session: Session, actor: str | None = None) -> CommandContext:
    """The request as an audit event records it: who (the signed-in user, "web:dana"), what
    ("web POST /campaigns/x/donations") and under which ledger settings."""
    who = actor or ACTOR_PREFIX + current_actor().name
    rules = ledger_settings(current_settings(session, RULE_KEYS))
    return CommandContext(command=f"web {request.method} {request.path}", actor=who,
                          settings=rules)  # fmt: skip


def run(
    work: Callable[[Session, CommandContext], T],
    *,
    write: bool = False,
    actor: str | None = None,
    commit: bool = True,
    summaries: bool = False,
) -> T:
    """`work` in one transaction on the ledger, with the request's CommandContext (`actor`:
    who acts when nobody is signed in yet, as at sign-in): committed if it returns (a write),
    rolled back if it raises; the session is closed either way. `commit=False`: rolled back
    even when it returns (a preview of a write, as the CLI's dry runs). `summaries`: a write
    of gifts or rates, after which the stored summaries are brought up to date in the same
    transaction (else the dashboard and every report after it would read all the gifts,
    seconds on a million)."""

    def checked(session: Session) -> T:
        require_current_schema(session.connection())
        context = command_context(session, actor)
        done = work(session, context)
        if summaries and write and commit:
            bring_up_to_date_within(session, context)
        return done

    return _on_either(checked, write, commit)


def write(work: Callable[[Session, CommandContext], T]) -> T:
    """`work` in a write transaction of its own: what the services' batches take as their
    `Transactions` (a receipt a transaction, an e-mail's claim and its outcome each one)."""
    return run(work, write=True)


def read(work: Callable[[Session], T]) -> T:
    """A read that needs no signed-in user (the sign-in page, the user loader)."""
    return _on_either(work)


def cache() -> ReadCache:
    return current_app.extensions[EXTENSION].cache  # type: ignore[no-any-return]


def state(session: Session) -> LedgerState:
    """The ledger's state as `session` sees it: what the answers kept for it were made under."""
    return ledger_state(session)


def kept(session: Session, key: Hashable, make: Callable[[], T]) -> T:
    """`make()`'s answer (read in `session`), kept until the ledger changes."""
    return cache().answer(session, key, make)


def current_app_ledger() -> Any:
    return current_app.extensions[EXTENSION]
