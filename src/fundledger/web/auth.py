"""Signing in and out, the session's user, and the rules that end a session: a user disabled
or given a new password since, or idle longer than the setting web.idle_minutes."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import LoginManager, current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from fundledger.services.users import (
    MAX_PASSWORD_LENGTH,
    NAME_LENGTH,
    User,
    check_password,
    rehash,
)
from fundledger.services.users import user_for_session as stored_user
from fundledger.web import db
from fundledger.web.i18n import N_
from fundledger.web.i18n import SESSION_KEY as LANGUAGE_KEY
from fundledger.web.i18n import gettext as _

bp = Blueprint("auth", __name__)
# The session's keys: the password revision signed in with, and when its last request was.
PASSWORD_STAMP = "pw"  # noqa: S105 (a key's name, no password)
LAST_SEEN = "seen"
# Endpoints a visitor reaches without a session.
PUBLIC_ENDPOINTS = frozenset({"auth.login", "static", "fonts"})
# The roles as a page names them (templates translate them).
ROLE_NAMES = (N_("viewer"), N_("treasurer"), N_("admin"))


@dataclass(frozen=True)
class WebUser:
    """Flask-Login's view of a services.users.User."""

    name: str
    role: str
    language: str | None
    password_revision: int
    is_authenticated: bool = True
    is_active: bool = True
    is_anonymous: bool = False

    @classmethod
    def of(cls, user: User) -> WebUser:
        return cls(user.name, user.role.value, user.language, user.password_revision)

    def get_id(self) -> str:
        return self.name


class LoginForm(FlaskForm):  # type: ignore[misc]  # Flask-WTF ships no types
    username = StringField(validators=[DataRequired(), Length(max=NAME_LENGTH)])
    password = PasswordField(validators=[DataRequired(), Length(max=MAX_PASSWORD_LENGTH)])


def _load_user(name: str) -> WebUser | None:
    stamp = session.get(PASSWORD_STAMP)
    if not isinstance(stamp, int):
        return None
    found = db.read(lambda s: stored_user(s, name, stamp))
    return WebUser.of(found) if found is not None else None


def init_auth(app: Flask) -> LoginManager:
    manager = LoginManager(app)
    manager.user_loader(_load_user)
    # The login page's own redirect carries ?next=; Flask-Login's flashed message is not ours.
    manager.login_view = "auth.login"
    manager.login_message = None
    app.register_blueprint(bp)
    app.before_request(_require_session)
    return manager


def _require_session() -> ResponseReturnValue | None:
    """Every page but the sign-in page and the static files needs a session, still fresh."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return None
    now = int(time.time())
    idle = current_app.config["FUNDLEDGER_IDLE_MINUTES"] * 60
    seen = session.get(LAST_SEEN)
    if current_user.is_authenticated and isinstance(seen, int) and now - seen <= idle:
        session[LAST_SEEN] = now
        return None
    if current_user.is_authenticated:  # idle too long
        # (Flask itself refuses a session cookie signed longer ago than its lifetime, the
        # same idle time; this covers a cookie kept by a client that ignores its expiry.)
        logout_user()
        session.clear()
    nxt = request.full_path if request.method == "GET" and request.path != "/" else None
    return redirect(_login_url(nxt), 303 if request.method != "GET" else 302)


def _login_url(nxt: str | None) -> str:
    return url_for("auth.login", next=nxt.rstrip("?")) if nxt else url_for("auth.login")


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never //evil.example or
    https://evil.example, nor a backslash trick), else the dashboard."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> ResponseReturnValue:
    form = LoginForm()
    if request.method == "POST":
        user = None
        if form.validate():
            name, password = form.username.data, form.password.data
            checked = db.read(lambda s: check_password(s, name, password))
            user = checked.user
            if checked.needs_rehash:  # rare: after argon2-cffi raised its parameters
                user = db.run(lambda s, c: rehash(s, c, name, password), write=True,
                              actor=db.ACTOR_PREFIX + name.strip()[:NAME_LENGTH])  # fmt: skip
        if user is None:
            # One message for an unknown name and a wrong password (and a disabled user).
            return render_template("login.html", form=form,
                                   error=_("Wrong user name or password.")), 200  # fmt: skip
        _fresh_session()  # nothing carried over from before signing in but the language
        login_user(WebUser.of(user))
        session[PASSWORD_STAMP] = user.password_revision
        session[LAST_SEEN] = int(time.time())
        session.permanent = True
        return redirect(safe_next(request.args.get("next")), 303)
    return render_template("login.html", form=form, error=None)


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    logout_user()
    _fresh_session()
    return redirect("/login", 303)


def _fresh_session() -> None:
    """An empty session but for the language chosen with the switcher (a person's choice of
    language is no secret, and the sign-in page after signing out stays in it)."""
    chosen = session.get(LANGUAGE_KEY)
    session.clear()
    if chosen is not None:
        session[LANGUAGE_KEY] = chosen
