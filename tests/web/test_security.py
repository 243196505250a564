"""Each security point of the web interface is a test (issue #23, "Security"), on SQLite and
PostgreSQL."""

from __future__ import annotations

import logging
import re
import time

import pytest
from argon2 import PasswordHasher
from flask import Flask, abort
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import AppUser, AuditEvent
from fundledger.domain.access import Actor, PermissionDenied, Role
from fundledger.services import users
from fundledger.services.campaigns import add_campaign
from fundledger.services.users import add_user, disable_user, set_password
from fundledger.web import db
from fundledger.web.app import create_app
from fundledger.web.security import HEADERS
from tests.ledger_helpers import run
from tests.web.conftest import PASSWORD, SECRET, SignIn, add, csrf_token

ADMIN = Actor("tester", Role.ADMIN)


def audit_events(engine: Engine) -> int:
    with Session(engine) as session:
        return int(session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def sign_in_attempt(client: FlaskClient, name: str, password: str) -> str:
    answer = client.post("/login", data={"username": name, "password": password,
                                          "csrf_token": csrf_token(client)})  # fmt: skip
    return f"{answer.status_code} {answer.get_data(as_text=True)}"


def test_a_page_without_a_session_redirects_to_login(client: FlaskClient) -> None:
    for path in ("/", "/campaigns", "/no/such/page"):
        answer = client.get(path)
        assert answer.status_code == 302
        assert answer.headers["Location"].startswith("/login")
    assert client.get("/campaigns").headers["Location"] == "/login?next=/campaigns"
    assert client.post("/logout").status_code == 400  # no CSRF token: refused first


def test_signing_in_and_out(client: FlaskClient, ledger_engine: Engine) -> None:
    add(ledger_engine, "dana", Role.TREASURER)
    answer = client.post("/login", data={"username": "Dana", "password": PASSWORD,
                                          "csrf_token": csrf_token(client)})  # fmt: skip
    assert (answer.status_code, answer.headers["Location"]) == (303, "/")
    home = client.get("/").get_data(as_text=True)
    assert "<bdi>dana</bdi> (treasurer)" in home
    out = client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert (out.status_code, out.headers["Location"]) == (303, "/login")
    assert client.get("/").status_code == 302


@pytest.mark.parametrize(
    ("given", "lands"),
    [
        ("/campaigns?page=2", "/campaigns?page=2"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_after_sign_in_only_a_path_on_this_site(
    client: FlaskClient, ledger_engine: Engine, given: str, lands: str
) -> None:
    add(ledger_engine, "dana", Role.VIEWER)
    answer = client.post(f"/login?next={given}", data={
        "username": "dana", "password": PASSWORD, "csrf_token": csrf_token(client)})  # fmt: skip
    assert answer.headers["Location"] == lands


def test_unknown_user_and_wrong_password_get_the_same_answer(
    client: FlaskClient, ledger_engine: Engine
) -> None:
    add(ledger_engine, "dana", Role.VIEWER)
    add(ledger_engine, "omar", Role.ADMIN)
    run(ledger_engine, lambda s, c: disable_user(s, c, ADMIN, "dana"))
    strip = re.compile(r'value="[^"]*"')  # the CSRF token and the name typed back differ
    answers = {strip.sub("", sign_in_attempt(client, name, password))
               for name, password in (("nobody", PASSWORD), ("omar", "wrong password!"),
                                      ("dana", PASSWORD))}  # fmt: skip
    assert len(answers) == 1
    (answer,) = answers
    assert answer.startswith("200 ")
    assert "Wrong user name or password." in answer


def test_csrf_token_missing_or_wrong_is_400_and_nothing_is_written(
    client: FlaskClient, ledger_engine: Engine
) -> None:
    add(ledger_engine, "dana", Role.VIEWER)
    before = audit_events(ledger_engine)
    csrf_token(client)  # the session has a token; the forms below do not carry it
    for data in ({"username": "dana", "password": PASSWORD},
                 {"username": "dana", "password": PASSWORD, "csrf_token": "forged"}):  # fmt: skip
        answer = client.post("/login", data=data)
        assert answer.status_code == 400
        assert "Bad request" in answer.get_data(as_text=True)
        assert client.get("/").status_code == 302  # not signed in
    assert audit_events(ledger_engine) == before


def test_a_token_from_another_session_is_refused(
    app: Flask, client: FlaskClient, ledger_engine: Engine
) -> None:
    add(ledger_engine, "dana", Role.VIEWER)
    theirs = csrf_token(app.test_client())
    csrf_token(client)
    answer = client.post("/login", data={"username": "dana", "password": PASSWORD,
                                          "csrf_token": theirs})  # fmt: skip
    assert answer.status_code == 400


def test_the_session_cookie_is_httponly_and_samesite_lax_and_not_secure_by_default(
    client: FlaskClient, sign_in: SignIn
) -> None:
    sign_in(Role.VIEWER)
    cookie = client.get_cookie("fundledger_session")
    assert cookie is not None
    assert cookie.http_only
    assert cookie.same_site == "Lax"
    assert not cookie.secure


def test_the_session_cookie_is_secure_with_the_setting(
    ledger_url: str, ledger_engine: Engine
) -> None:
    from fundledger.services.settings import set_setting

    run(ledger_engine, lambda s, c: set_setting(s, c, "web.secure_cookies", "on"))
    app = create_app(ledger_url, secret_key=SECRET)
    try:
        answer = app.test_client().get("/login", base_url="https://ledger.example")
        assert "; Secure" in answer.headers["Set-Cookie"]
        assert "HttpOnly" in answer.headers["Set-Cookie"]
    finally:
        app.extensions["fundledger"].engine.dispose()


@pytest.mark.parametrize("web_settings", [{"web.idle_minutes": "1"}])
def test_an_idle_session_expires(
    client: FlaskClient, sign_in: SignIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    sign_in(Role.VIEWER)
    assert client.get("/").status_code == 200
    started = time.time()
    monkeypatch.setattr(time, "time", lambda: started + 59)
    assert client.get("/").status_code == 200  # activity keeps it alive...
    monkeypatch.setattr(time, "time", lambda: started + 59 + 61)
    answer = client.get("/")  # ...and more than a minute without ends it
    assert (answer.status_code, answer.headers["Location"]) == (302, "/login")
    monkeypatch.setattr(time, "time", lambda: started + 200)
    assert client.get("/").status_code == 302  # and stays ended


def test_a_new_password_or_disabling_ends_the_session(
    client: FlaskClient, sign_in: SignIn, ledger_engine: Engine
) -> None:
    sign_in(Role.ADMIN, "dana")
    add(ledger_engine, "omar", Role.ADMIN)
    assert client.get("/").status_code == 200
    run(ledger_engine, lambda s, c: set_password(s, c, ADMIN, "dana", "another passphrase"))
    assert client.get("/").status_code == 302
    answer = client.post("/login", data={"username": "dana", "password": "another passphrase",
                                          "csrf_token": csrf_token(client)})  # fmt: skip
    assert answer.status_code == 303
    assert client.get("/").status_code == 200
    run(ledger_engine, lambda s, c: disable_user(s, c, ADMIN, "dana"))
    assert client.get("/").status_code == 302


def test_repeated_failures_get_429_per_user(client: FlaskClient, ledger_engine: Engine) -> None:
    add(ledger_engine, "dana", Role.VIEWER)
    for _ in range(5):
        assert sign_in_attempt(client, "dana", "wrong password!").startswith("200 ")
    blocked = sign_in_attempt(client, "DANA", PASSWORD)  # even the right password, now
    assert blocked.startswith("429 ")
    assert "Too many sign-in attempts" in blocked
    assert sign_in_attempt(client, "omar", "wrong password!").startswith("200 ")  # not omar


def test_repeated_failures_get_429_per_address(client: FlaskClient) -> None:
    for number in range(20):
        assert sign_in_attempt(client, f"guess{number}", "wrong password!").startswith("200 ")
    assert sign_in_attempt(client, "another", "wrong password!").startswith("429 ")
    other = client.post("/login", data={"username": "x", "password": "y"},
                        environ_base={"REMOTE_ADDR": "192.0.2.7"})  # fmt: skip
    assert other.status_code == 400  # another address is not limited (here: no token)


def test_a_successful_sign_in_does_not_count_against_the_limit(
    client: FlaskClient, ledger_engine: Engine
) -> None:
    add(ledger_engine, "dana", Role.VIEWER)
    for _ in range(8):
        assert sign_in_attempt(client, "dana", PASSWORD).startswith("303 ")


def test_every_response_carries_the_security_headers(client: FlaskClient, sign_in: SignIn) -> None:
    sign_in(Role.VIEWER)
    for path in ("/", "/login", "/static/fundledger.css", "/no/such/page"):
        answer = client.get(path)
        for name, value in HEADERS.items():
            assert answer.headers.get(name) == value, (path, name)
    policy = HEADERS["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert HEADERS["Referrer-Policy"] in ("same-origin", "no-referrer")


def test_nothing_but_the_public_files_may_be_cached(client: FlaskClient, sign_in: SignIn) -> None:
    """Pages and downloads (a summary's JSON, a donor search's) name donors: never kept by a
    cache; the stylesheet and fonts are everyone's."""
    sign_in(Role.TREASURER)
    for path in ("/", "/donors/suggest?q=da", "/no/such/page"):
        assert client.get(path).headers.get("Cache-Control") == "no-store", path
    for path in ("/static/fundledger.css", "/fonts/DejaVuSans.ttf"):
        assert client.get(path).headers.get("Cache-Control") != "no-store", path


def test_a_body_larger_than_any_upload_is_refused_before_it_is_read(client: FlaskClient) -> None:
    """17 MB at most (a rate file's 16 and its form), for anyone, signed in or not: the form
    is not parsed (nor spooled) to find the CSRF token of an 18 MB body."""
    answer = client.post("/login", data={"username": "x", "password": "y" * (18 << 20)})
    assert answer.status_code == 413
    assert "larger than the server takes" in answer.get_data(as_text=True)


def test_pages_have_no_inline_script_or_style(client: FlaskClient, sign_in: SignIn) -> None:
    """The CSP forbids them: a page that used them would break in the browser."""
    sign_in(Role.VIEWER)
    for path in ("/", "/login", "/no/such/page"):
        page = client.get(path).get_data(as_text=True)
        assert "<script" not in page
        assert "<style" not in page
        assert " style=" not in page


def test_names_are_escaped(client: FlaskClient, sign_in: SignIn, ledger_engine: Engine) -> None:
    hostile = "<script>alert(1)</script>"
    run(ledger_engine, lambda s, c: add_campaign(s, c, slug="x", name=hostile))
    sign_in(Role.VIEWER)
    page = client.get("/").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert hostile not in page


def test_an_error_is_a_page_without_a_traceback_and_is_logged(
    app: Flask, client: FlaskClient, sign_in: SignIn, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> str:
        raise ValueError("the secret internals")

    def forbidden() -> str:
        raise PermissionDenied("viewer may not")

    app.add_url_rule("/broken", "broken", broken)
    app.add_url_rule("/forbidden", "forbidden", forbidden)
    app.add_url_rule("/gone", "gone", lambda: abort(404))
    sign_in(Role.VIEWER)
    with caplog.at_level(logging.ERROR):
        answer = client.get("/broken")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 500
    assert "Something went wrong" in page
    assert "Traceback" not in page
    assert "the secret internals" not in page
    assert "the secret internals" in caplog.text  # the log has it, with its traceback
    assert "Traceback" in caplog.text
    assert client.get("/forbidden").status_code == 403
    assert "Not allowed" in client.get("/forbidden").get_data(as_text=True)
    assert client.get("/gone").status_code == 404


def test_the_audit_names_the_signed_in_user(
    app: Flask, client: FlaskClient, sign_in: SignIn, ledger_engine: Engine
) -> None:
    def write() -> str:
        run_in = db.run(lambda s, c: add_campaign(s, c, slug="web-made", name="Web"), write=True)
        return str(run_in.slug) + " " + db.current_actor().role

    app.add_url_rule("/write", "write", write)
    sign_in(Role.TREASURER, "dana")
    assert client.get("/write").get_data(as_text=True) == "web-made treasurer"
    with Session(ledger_engine) as session:
        event = session.execute(select(AuditEvent.actor, AuditEvent.command)
                                .where(AuditEvent.action == "campaign.add")).one()  # fmt: skip
    assert event.actor == "web:dana"
    assert event.command == "web GET /write"


def test_a_stored_hash_is_never_in_a_page(
    client: FlaskClient, sign_in: SignIn, ledger_engine: Engine
) -> None:
    sign_in(Role.ADMIN, "dana")
    with Session(ledger_engine) as session:
        stored = session.scalars(select(AppUser.password_hash)).one()
    assert stored[-20:] not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize(("language", "direction", "word"),
                         [("he", "rtl", "כניסה"), ("ar", "rtl", "تسجيل الدخول"),
                          ("en", "ltr", "Sign in")])  # fmt: skip
def test_pages_in_the_chosen_language_and_direction(
    client: FlaskClient, language: str, direction: str, word: str
) -> None:
    page = client.get(f"/login?lang={language}").get_data(as_text=True)
    assert f'<html lang="{language}" dir="{direction}">' in page
    assert f"<h1>{word}</h1>" in page
    # The choice is kept for the pages after, over the browser's own preference.
    again = client.get("/login", headers={"Accept-Language": "fr,en;q=0.5"})
    assert f'<html lang="{language}" dir="{direction}">' in again.get_data(as_text=True)


def test_the_browser_language_and_then_the_users_own(app: Flask, ledger_engine: Engine) -> None:
    visitor = app.test_client()
    page = visitor.get("/login", headers={"Accept-Language": "ar-IL,he;q=0.8"})
    assert '<html lang="ar" dir="rtl">' in page.get_data(as_text=True)
    run(ledger_engine, lambda s, c: add_user(s, c, ADMIN, "dana", "viewer", PASSWORD, "he"))
    visitor.post("/login", data={"username": "dana", "password": PASSWORD,
                                  "csrf_token": csrf_token(visitor)})  # fmt: skip
    home = visitor.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert '<html lang="he" dir="rtl">' in home
    assert "לוח בקרה" in home


def test_the_fonts_and_stylesheet_are_served_here(client: FlaskClient) -> None:
    css = client.get("/static/fundledger.css")
    assert css.status_code == 200
    text = re.sub(r"/\*.*?\*/", "", css.get_data(as_text=True), flags=re.DOTALL)  # comments
    assert "margin-left" not in text
    assert "margin-right" not in text
    assert "http" not in text  # nothing from outside
    font = client.get("/fonts/DejaVuSans.ttf")
    assert font.status_code == 200
    assert font.data[:4] == b"\x00\x01\x00\x00"  # a TrueType font


def test_signing_in_with_an_old_hash_replaces_it_as_the_user(
    client: FlaskClient, ledger_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    weaker = PasswordHasher(time_cost=1, memory_cost=8 * 1024)
    monkeypatch.setattr(users, "_hasher", lambda: weaker)
    add(ledger_engine, "dana", Role.VIEWER)
    monkeypatch.undo()
    assert sign_in_attempt(client, "dana", PASSWORD).startswith("303 ")
    with Session(ledger_engine) as session:
        event = session.execute(select(AuditEvent.actor, AuditEvent.command)
                                .where(AuditEvent.action == "user.rehash")).one()  # fmt: skip
    assert tuple(event) == ("web:dana", "web POST /login")
    assert client.get("/").status_code == 200  # the session stands: same password revision
