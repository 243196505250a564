"""Users of the web interface: revisions in a chained, append-only table, audited, with
Argon2id passwords; one outcome, at one cost, for an unknown name and a wrong password."""

from __future__ import annotations

import json
import time

import pytest
from alembic import command
from argon2 import PasswordHasher
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from fundledger.adapters.db import migrate
from fundledger.adapters.db.migrate import head_revision
from fundledger.adapters.db.models import CHAINED_MODELS, AppUser, AuditEvent
from fundledger.domain.access import Actor, PermissionDenied, Role
from fundledger.services import users
from fundledger.services.context import CommandContext
from fundledger.services.integrity import check_ledger
from fundledger.services.users import (
    UserError,
    add_user,
    authenticate,
    disable_user,
    list_users,
    set_password,
    set_role,
    user_for_session,
)
from tests.ledger_helpers import run

ADMIN = Actor("tester", Role.ADMIN)
PASSWORD = "correct horse battery"  # noqa: S105 (a test user's)


def add(engine: Engine, name: str, role: str = "viewer", password: str = PASSWORD) -> users.User:
    return run(engine, lambda s, c: add_user(s, c, ADMIN, name, role, password))


def sign_in(engine: Engine, name: str, password: str) -> users.User | None:
    return run(engine, lambda s, c: authenticate(s, c, name, password))


def test_a_user_is_added_listed_and_audited_without_their_hash(ledger_engine: Engine) -> None:
    added = run(ledger_engine, lambda s, c: add_user(s, c, ADMIN, "Dana", "treasurer", PASSWORD,
                                                      language="he"))  # fmt: skip
    assert (added.name, added.role, added.language, added.revision) == (
        "Dana",
        "treasurer",
        "he",
        1,
    )
    listed = run(ledger_engine, lambda s, _: list_users(s))
    assert [(u.name, u.role, u.disabled) for u in listed] == [("Dana", Role.TREASURER, False)]
    with Session(ledger_engine) as session:
        stored = session.scalars(select(AppUser.password_hash)).one()
        event = session.execute(select(AuditEvent.action, AuditEvent.details)
                                .where(AuditEvent.action == "user.add")).one()  # fmt: skip
    assert stored.startswith("$argon2id$")
    assert PASSWORD not in stored
    assert json.loads(event.details)["user"] == "Dana"
    assert "argon2" not in event.details
    assert PASSWORD not in event.details


def test_names_are_unique_in_any_case(ledger_engine: Engine) -> None:
    add(ledger_engine, "Dana")
    with pytest.raises(UserError, match="there is a user 'Dana' already"):
        add(ledger_engine, "dana")


@pytest.mark.parametrize(
    ("name", "password", "message"),
    [
        ("dana", "short pass1", "has 11 characters; it needs at least 12"),
        ("dana levi", PASSWORD, "is not a user name"),
        ("-dana", PASSWORD, "is not a user name"),
        ("dana\x1b", PASSWORD, "the user name"),
        ("d" * 65, PASSWORD, "is not a user name"),
    ],
)
def test_bad_names_and_short_passwords_are_refused(
    ledger_engine: Engine, name: str, password: str, message: str
) -> None:
    with pytest.raises(UserError, match=message):
        add(ledger_engine, name, password=password)
    assert run(ledger_engine, lambda s, _: list_users(s)) == []


def test_a_password_of_exactly_twelve_characters_and_a_hebrew_name_are_accepted(
    ledger_engine: Engine,
) -> None:
    add(ledger_engine, "דנה", password="x" * 12)
    assert sign_in(ledger_engine, "דנה", "x" * 12) is not None


def test_unknown_and_disabled_users_and_wrong_passwords_get_one_outcome(
    ledger_engine: Engine,
) -> None:
    add(ledger_engine, "dana", "admin")
    add(ledger_engine, "omar")
    assert sign_in(ledger_engine, "DANA", PASSWORD) is not None  # names in any case
    assert sign_in(ledger_engine, "dana", PASSWORD + "!") is None
    assert sign_in(ledger_engine, "nobody", PASSWORD) is None
    run(ledger_engine, lambda s, c: disable_user(s, c, ADMIN, "omar"))
    assert sign_in(ledger_engine, "omar", PASSWORD) is None


def test_an_unknown_name_costs_as_much_as_a_wrong_password(ledger_engine: Engine) -> None:
    """An attacker timing the answers learns nothing about who has an account."""
    add(ledger_engine, "dana")

    def cost(name: str) -> float:
        started = time.perf_counter()
        for _ in range(5):
            sign_in(ledger_engine, name, "wrong password here")
        return time.perf_counter() - started

    cost("nobody")  # the dummy hash is made once, on first use
    unknown, known = cost("nobody"), cost("dana")
    assert 0.5 < unknown / known < 2, (unknown, known)


def test_a_session_ends_when_the_password_changes_or_the_user_is_disabled(
    ledger_engine: Engine,
) -> None:
    first = add(ledger_engine, "dana")
    assert run(ledger_engine, lambda s, _: user_for_session(s, "dana", first.password_revision))
    changed = run(ledger_engine, lambda s, c: set_password(s, c, ADMIN, "dana", "a new passphrase"))
    assert changed.password_revision == 2
    assert run(ledger_engine, lambda s, _: user_for_session(s, "dana", 1)) is None
    assert sign_in(ledger_engine, "dana", PASSWORD) is None
    assert sign_in(ledger_engine, "dana", "a new passphrase") is not None
    run(ledger_engine, lambda s, c: disable_user(s, c, ADMIN, "dana"))
    assert run(ledger_engine, lambda s, _: user_for_session(s, "dana", 2)) is None


def test_a_role_change_is_a_revision_and_the_latest_wins(ledger_engine: Engine) -> None:
    add(ledger_engine, "dana", "admin")
    add(ledger_engine, "omar")
    run(ledger_engine, lambda s, c: set_role(s, c, ADMIN, "omar", "treasurer"))
    signed = sign_in(ledger_engine, "omar", PASSWORD)
    assert signed is not None
    assert signed.actor() == Actor("omar", Role.TREASURER)
    with Session(ledger_engine) as session:
        revisions = session.execute(select(AppUser.revision, AppUser.role)
                                    .where(AppUser.name_key == "omar")
                                    .order_by(AppUser.id)).all()  # fmt: skip
    assert revisions == [(1, "viewer"), (2, "treasurer")]


def test_the_last_active_admin_cannot_be_disabled_or_demoted(ledger_engine: Engine) -> None:
    add(ledger_engine, "dana", "admin")
    with pytest.raises(UserError, match="dana is the only active admin"):
        run(ledger_engine, lambda s, c: disable_user(s, c, ADMIN, "dana"))
    with pytest.raises(UserError, match="dana is the only active admin"):
        run(ledger_engine, lambda s, c: set_role(s, c, ADMIN, "dana", "viewer"))
    add(ledger_engine, "omar", "admin")
    run(ledger_engine, lambda s, c: disable_user(s, c, ADMIN, "dana"))
    assert [u.name for u in run(ledger_engine, lambda s, _: list_users(s)) if u.active] == ["omar"]


def test_only_an_admin_manages_users_but_anyone_sets_their_own_password(
    ledger_engine: Engine,
) -> None:
    add(ledger_engine, "dana", "admin")
    add(ledger_engine, "omar", "treasurer")
    omar = Actor("omar", Role.TREASURER)
    with pytest.raises(PermissionDenied, match="to add a user needs the admin role"):
        run(ledger_engine, lambda s, c: add_user(s, c, omar, "sara", "viewer", PASSWORD))
    with pytest.raises(PermissionDenied):
        run(ledger_engine, lambda s, c: set_password(s, c, omar, "dana", "taken over, ha ha"))
    run(ledger_engine, lambda s, c: set_password(s, c, omar, "omar", "omar's own new one"))
    assert sign_in(ledger_engine, "omar", "omar's own new one") is not None


def test_a_hash_made_with_older_parameters_is_replaced_at_sign_in(
    ledger_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    weaker = PasswordHasher(time_cost=1, memory_cost=8 * 1024)
    monkeypatch.setattr(users, "_hasher", lambda: weaker)
    add(ledger_engine, "dana")
    monkeypatch.undo()
    signed = sign_in(ledger_engine, "dana", PASSWORD)
    assert signed is not None
    assert signed.revision == 2
    assert signed.password_revision == 1
    with Session(ledger_engine) as session:
        latest = session.scalars(select(AppUser.password_hash).order_by(AppUser.id.desc())).first()
    assert latest is not None
    assert not PasswordHasher().check_needs_rehash(latest)
    assert sign_in(ledger_engine, "dana", PASSWORD) is not None


def test_users_are_append_only_chained_and_checked(ledger_engine: Engine) -> None:
    add(ledger_engine, "dana", "admin")
    with pytest.raises(DBAPIError, match="append-only"), ledger_engine.begin() as connection:
        connection.execute(text("UPDATE app_user SET role = 'viewer'"))
    context = CommandContext(command="pytest", actor="tester")
    results = run(ledger_engine, lambda s, _: check_ledger(s, context))
    assert all(result.passed for result in results), [r.problems for r in results]
    with ledger_engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER app_user_append_only_update"))
        else:
            connection.execute(text("ALTER TABLE app_user DISABLE TRIGGER app_user_append_only"))
        connection.execute(text("UPDATE app_user SET role = 'admin', disabled = false"))
    results = run(ledger_engine, lambda s, _: check_ledger(s, context))
    problems = [problem for result in results for problem in result.problems]
    # The missing trigger is named first: a changed row is why a check that fails stops there.
    assert any("trigger app_user_append_only" in problem for problem in problems), problems
    assert AppUser in CHAINED_MODELS  # `check` recomputes its chain with every other one


def test_a_downgrade_that_would_drop_users_is_refused(ledger_engine: Engine) -> None:
    """Dropping app_user would silently lose every user and their roles' history; an empty
    one goes, and comes back."""
    with ledger_engine.begin() as connection:
        command.downgrade(migrate.alembic_config(connection), "0017_donation_date_index")
        assert "app_user" not in inspect(connection).get_table_names()
        command.upgrade(migrate.alembic_config(connection), "head")
    add(ledger_engine, "dana", "admin")
    with (
        pytest.raises(RuntimeError, match="app_user holds 1 row"),
        ledger_engine.begin() as connection,
    ):
        command.downgrade(migrate.alembic_config(connection), "0017_donation_date_index")
    with ledger_engine.connect() as connection:
        assert connection.scalar(text("SELECT count(*) FROM app_user")) == 1
        assert migrate.current_revision(connection) == head_revision()
