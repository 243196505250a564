"""Answers kept while the ledger stays as they saw it (services/read_cache.py): kept across
transactions that see the same ledger, made again after any write (a gift, a rate, a setting,
a reversal, a user) and after a check run; never an answer of another state. Both databases."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import date

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from fundledger.adapters.db.engine import transaction
from fundledger.domain.access import Actor, Role
from fundledger.services.context import CommandContext
from fundledger.services.dashboard import dashboard
from fundledger.services.donations import reverse_donation
from fundledger.services.integrity import check_ledger
from fundledger.services.read_cache import LedgerState, ReadCache, ledger_state
from fundledger.services.reports import campaign_summary
from fundledger.services.settings import set_setting
from fundledger.services.users import add_user
from tests.ledger_helpers import CONTEXT, campaign, gift, rates, run, summary

TODAY = date(2025, 7, 25)
SLUG = "dont-look-away"
ADMIN = Actor("tester", Role.ADMIN)
PASSWORD = "a long enough password"  # noqa: S105


def asked(engine: Engine, cache: ReadCache, make: Callable[[Session, CommandContext], object]
          ) -> object:  # fmt: skip
    """`make`'s answer, kept in `cache`, in a read transaction of its own (as a page's)."""
    with transaction(engine) as session:
        return cache.answer(session, "answer", lambda: make(session, CONTEXT))


def gifts_counted(session: Session, context: CommandContext) -> int:
    count: int = campaign_summary(session, context, SLUG).donation_count
    return count


def reverse(session: Session, context: CommandContext, donation_id: int) -> object:
    return reverse_donation(session, context, donation_id=donation_id, reason="refunded")


def test_an_answer_is_kept_until_any_write(ledger_engine: Engine) -> None:
    engine = ledger_engine
    campaign(engine)
    rates(engine, "2025-07-03 USD ILS 3.376 BOI")
    first = gift(engine, "2025-07-03 100.00 USD", donor="Dana Levi")
    cache = ReadCache()
    made: list[int] = []

    def gifts(session: Session, context: CommandContext) -> int:
        made.append(1)
        return gifts_counted(session, context)

    assert asked(engine, cache, gifts) == 1
    assert asked(engine, cache, gifts) == 1
    assert len(made) == 1
    assert (cache.hits, cache.misses) == (1, 1)

    writes: list[Callable[[], object]] = [
        lambda: gift(engine, "2025-07-04 50.00 ILS", donor="Sami Haddad"),
        lambda: rates(engine, "2025-07-04 EUR ILS 3.9"),
        lambda: run(engine, lambda s, c: set_setting(s, c, "report.locale", "he")),
        lambda: run(engine, lambda s, c: reverse(s, c, first.id)),
        lambda: run(engine, lambda s, c: add_user(s, c, ADMIN, "dana", "viewer", PASSWORD)),
    ]
    for number, write in enumerate(writes, start=2):
        write()
        asked(engine, cache, gifts)
        asked(engine, cache, gifts)
        assert len(made) == number, f"write {number - 1} did not end the kept answer"
    # The answer after the writes is the ledger's as it is now, not the first one kept.
    assert asked(engine, cache, gifts) == summary(engine).donation_count == 1  # one reversed


def test_a_check_run_ends_the_kept_dashboard(ledger_engine: Engine) -> None:
    """A check run is noted without an audit event: the state names it beside the audit."""
    engine = ledger_engine
    campaign(engine)
    cache = ReadCache()

    def board(session: Session, context: CommandContext) -> object:
        return dashboard(session, context, today=TODAY).check

    assert asked(engine, cache, board) is None
    run(engine, check_ledger)
    found = asked(engine, cache, board)
    assert found is not None
    assert found.passed  # type: ignore[attr-defined]


def test_the_state_is_the_newest_audit_event_and_check_run(ledger_engine: Engine) -> None:
    engine = ledger_engine
    with transaction(engine) as session:
        empty = ledger_state(session)
    campaign(engine)
    with transaction(engine) as session:
        after = ledger_state(session)
    assert empty != after
    assert after.audit_id is not None
    assert after.audit_hash is not None
    assert len(after.audit_hash) == 64
    assert after.check_id == empty.check_id


def test_a_transaction_begun_before_a_write_is_never_served_the_answers_after_it(
    ledger_engine: Engine,
) -> None:
    """Answers are kept per state: a reader whose snapshot predates a write gets the answer of
    its own snapshot, and a reader after it the new one, in whichever order they ask."""
    engine = ledger_engine
    campaign(engine)
    rates(engine, "2025-07-03 USD ILS 3.376 BOI")
    gift(engine, "2025-07-03 100.00 ILS", donor="Dana Levi")
    cache = ReadCache()
    with transaction(engine) as before:
        old_state = ledger_state(before)
        gift(engine, "2025-07-04 50.00 ILS", donor="Sami Haddad")  # another transaction
        assert asked(engine, cache, gifts_counted) == 2
        # Made afresh (not the newer answer), and it is the old snapshot's.
        assert cache.answer_at(old_state, "answer", lambda: gifts_counted(before, CONTEXT)) == 1
    assert asked(engine, cache, gifts_counted) == 2


def test_threads_share_one_cache() -> None:
    cache = ReadCache(entries=4)
    state = LedgerState(1, "a" * 64, None)
    answers: list[int] = []

    def ask(key: int) -> None:
        for _ in range(200):
            answers.append(cache.answer_at(state, key % 6, lambda: key % 6))

    threads = [threading.Thread(target=ask, args=(key,)) for key in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(set(answers)) == list(range(6))  # each key its own answer, never another's
    assert len(cache) <= 4  # the least recently asked for went
