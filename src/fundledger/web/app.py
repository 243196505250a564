"""The app factory (as in Flask's tutorial): one engine per app, the ledger's web settings read
once at start, the security and sign-in rules, the pages' blueprints."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from importlib.resources import files
from typing import Any

from flask import Flask, g, send_from_directory
from flask.typing import ResponseReturnValue
from sqlalchemy import Engine

from fundledger.adapters.db.engine import DEFAULT_DATABASE_URL, make_engine, transaction
from fundledger.adapters.db.replica import (
    CONNECT_TIMEOUT_SECONDS,
    ReplicaReads,
    require_replicable,
)
from fundledger.services.read_cache import ReadCache
from fundledger.services.schema import require_current_schema
from fundledger.services.settings import current_settings, organisation_name
from fundledger.web import (
    audit,
    auth,
    campaigns,
    db,
    donor_changes,
    donors,
    errors,
    gift,
    gift_entry,
    gifts,
    home,
    imports,
    rates,
    receipts,
)
from fundledger.web import settings as settings_pages
from fundledger.web.i18n import LANGUAGES, direction, gettext, language, ngettext
from fundledger.web.nav import navigation
from fundledger.web.secret import secret_key as stored_secret_key
from fundledger.web.security import (
    MOST_REQUEST_BYTES,
    SIGN_IN_LIMIT_PER_ADDRESS,
    SIGN_IN_LIMIT_PER_USER,
    limit_sign_in,
    protect_forms,
)
from fundledger.web.timing import ServerTiming

DEFAULT_IDLE_MINUTES = 30
# Each language named in itself, for the switcher.
LANGUAGE_NAMES = {"en": "English", "he": "עברית", "ar": "العربية"}
FONTS = files("fundledger.reports") / "pdf" / "fonts"


@dataclass(frozen=True)
class WebLedger:
    engine: Engine
    settings: Mapping[str, str]  # the ledger's settings when the app started
    # The pages asked for again and again between writes (the dashboard, a campaign's).
    cache: ReadCache = field(default_factory=ReadCache)
    # A streaming replica for what only reads (serve --read-db, FUNDLEDGER_READ_DB).
    replica: ReplicaReads | None = None

    def dispose(self) -> None:
        self.engine.dispose()
        if self.replica is not None:
            self.replica.dispose()


def create_app(
    database_url: str | None = None,
    *,
    read_database_url: str | None = None,
    secret_key: str | None = None,
    settings: Mapping[str, str] | None = None,
    config: Mapping[str, Any] | None = None,
) -> Flask:
    """The web interface on the ledger at `database_url` (default: FUNDLEDGER_DB, as the CLI).
    `settings` override the ledger's own (web.idle_minutes, web.secure_cookies, ...) and
    `config` Flask's, for tests. The web settings are read once: restart after changing them.
    `read_database_url` (default: FUNDLEDGER_READ_DB): a streaming replica of a PostgreSQL
    ledger for the pages that only read (adapters/db/replica.py)."""
    url = database_url or os.environ.get("FUNDLEDGER_DB") or DEFAULT_DATABASE_URL
    engine = make_engine(url)
    read_url = read_database_url or os.environ.get("FUNDLEDGER_READ_DB")
    replica = None
    if read_url:
        read_engine = make_engine(read_url, connect_timeout=CONNECT_TIMEOUT_SECONDS)
        require_replicable(engine, read_engine)
        replica = ReplicaReads(engine, read_engine)
    with transaction(engine) as session:
        require_current_schema(session.connection())
        ledger_settings = {**current_settings(session), **(settings or {})}
    idle = int(ledger_settings.get("web.idle_minutes", DEFAULT_IDLE_MINUTES))
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=secret_key or stored_secret_key(url),
        SESSION_COOKIE_NAME="fundledger_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=ledger_settings.get("web.secure_cookies") == "on",
        PERMANENT_SESSION_LIFETIME=timedelta(minutes=idle),
        # A CSRF token lives as long as its session (which ends after idle time anyway).
        WTF_CSRF_TIME_LIMIT=None,
        # An error is a page, even under test: never a traceback to the browser.
        PROPAGATE_EXCEPTIONS=False,
        MAX_CONTENT_LENGTH=MOST_REQUEST_BYTES,
        FUNDLEDGER_IDLE_MINUTES=idle,
        FUNDLEDGER_SIGN_IN_LIMIT_PER_USER=SIGN_IN_LIMIT_PER_USER,
        FUNDLEDGER_SIGN_IN_LIMIT_PER_ADDRESS=SIGN_IN_LIMIT_PER_ADDRESS,
    )
    app.config.update(config or {})
    app.extensions[db.EXTENSION] = WebLedger(engine, ledger_settings, replica=replica)
    app.jinja_env.add_extension("jinja2.ext.i18n")
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # the i18n extension's
        gettext=gettext, ngettext=ngettext, newstyle=True
    )
    protect_forms(app)
    auth.init_auth(app)
    app.register_blueprint(home.bp)
    for pages in (campaigns, donors, gifts, rates, receipts, audit, settings_pages):
        app.register_blueprint(pages.bp)
    app.register_blueprint(gift_entry.bp)  # entering gifts: the form's page, batches
    for pages in (gift, donor_changes):  # correcting gifts and donors
        app.register_blueprint(pages.bp)
    imports.init_imports(app, url)  # the import wizard: its uploads' folder, its job runner
    app.register_blueprint(imports.bp)
    limit_sign_in(app)
    errors.init_errors(app)
    app.context_processor(_page_globals)
    app.add_url_rule("/fonts/<path:name>", "fonts", _font)
    # Outermost, so that the header counts everything Flask does for the request.
    app.wsgi_app = ServerTiming(app.wsgi_app)  # type: ignore[method-assign]  # Flask's own way
    return app


def _page_globals() -> dict[str, Any]:
    ledger: WebLedger = db.current_app_ledger()
    here = language()
    user = g.get("_login_user")  # as Flask-Login loaded it for this request (or anonymous)
    return {
        "lang": here,
        "dir": direction(),
        "navigation": navigation(),
        "user": user if getattr(user, "is_authenticated", False) else None,
        "organisation": organisation_name(dict(ledger.settings), here) or "fundledger",
        "languages": [(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
    }


def _font(name: str) -> ResponseReturnValue:
    """The DejaVu fonts the PDFs embed, for the pages too (no web font from outside)."""
    return send_from_directory(str(FONTS), name, mimetype="font/ttf", max_age=86400)
