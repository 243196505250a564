"""The web interface under test: an app on a migrated ledger (SQLite and PostgreSQL), its test
client, and signing in as a user of a given role, made through services/users."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from fundledger.domain.access import Actor, Role
from fundledger.services import users
from fundledger.services.users import add_user
from fundledger.web import create_app
from tests.ledger_helpers import run

PASSWORD = "correct horse battery"  # noqa: S105 (the test users')
SECRET = "a test key that is long enough to sign the cookies"  # noqa: S105
CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
SignIn = Callable[..., FlaskClient]


# Argon2id at a thousandth of its cost: nearly every test here adds users and signs them in, and
# the real parameters (argon2-cffi's, ~0.1 s a hash) are the services' own, tested with them in
# tests/integration/test_users.py. Unlike any parameters a test calls "older" (a rehash).
QUICK_HASHES = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def quick_password_hashes() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(users, "_hasher", lambda: QUICK_HASHES)
        users._dummy_hash.cache_clear()  # made with the hasher in force: now, and again after
        yield
    users._dummy_hash.cache_clear()


@pytest.fixture
def web_settings() -> dict[str, str]:
    """Ledger settings the app starts with (override in a test module)."""
    return {}


@pytest.fixture
def app(ledger_url: str, ledger_engine: Engine, web_settings: dict[str, str]) -> Iterator[Flask]:
    made = create_app(ledger_url, secret_key=SECRET, settings=web_settings)
    yield made
    made.extensions["fundledger"].engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    found = CSRF_FIELD.search(page)
    assert found is not None, page
    return found.group(1)


def add(engine: Engine, name: str, role: Role | str, password: str = PASSWORD) -> None:
    admin = Actor("tester", Role.ADMIN)
    run(engine, lambda s, c: add_user(s, c, admin, name, str(role), password))


@pytest.fixture
def sign_in(client: FlaskClient, ledger_engine: Engine) -> SignIn:
    """sign_in(role, name=role) -> the client, signed in as a new user of that role."""

    def signed(role: Role | str, name: str | None = None) -> FlaskClient:
        who = name or str(role)
        add(ledger_engine, who, role)
        answer = client.post("/login", data={"username": who, "password": PASSWORD,
                                              "csrf_token": csrf_token(client)})  # fmt: skip
        assert answer.status_code == 303, answer.get_data(as_text=True)
        return client

    return signed
