"""What every response carries and what every request must show: the security headers, the
CSRF token (Flask-WTF) on every non-GET request, and the limit on sign-in attempts."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_wtf.csrf import CSRFProtect

# Self only: no inline script or style (the stylesheet is a file), no plugins, no framing, no
# <base> trick, forms post back here only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate CSP 2
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# Failed sign-ins allowed per name (whoever tries it) and per address (whatever name), before
# the answer is 429 for the rest of the window: enough for typos, far too few to guess.
SIGN_IN_LIMIT_PER_USER = "5 per 15 minutes"
# The most a request may send: the largest upload (a rate file, 16 MB) and its form. Flask
# refuses more with 413 before anything reads the form; `serve` tells waitress the same, so a
# larger body is refused before it is spooled to disk, signed in or not.
MOST_REQUEST_BYTES = 17 * 1024 * 1024
PUBLIC_FILES = frozenset({"static", "fonts"})  # endpoints of files that hold no one's data
SIGN_IN_LIMIT_PER_ADDRESS = "20 per 15 minutes"


def _add_headers(response: Response) -> Response:
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    if request.endpoint not in PUBLIC_FILES:
        # Pages and downloads show donors' names (a zip of receipts, their ID numbers too):
        # no cache keeps them. The stylesheet, script and fonts are the same for everyone.
        response.headers.setdefault("Cache-Control", "no-store")
    return response


def _attempted_name() -> str:
    return "user:" + request.form.get("username", "").strip().casefold()[:64]


def _failed(response: Response) -> bool:
    return response.status_code != 303  # only a sign-in that failed counts


def protect_forms(app: Flask) -> None:
    """The CSRF check runs before every other request hook: a non-GET request without a valid
    token gets 400 before anything looks at who sent it."""
    CSRFProtect(app)
    app.after_request(_add_headers)


def limit_sign_in(app: Flask) -> Limiter:
    # One limiter per app, its counts in this process's memory: a restart forgets them, and
    # several gunicorn workers each count their own (documented in the README).
    limiter = Limiter(get_remote_address, app=app, storage_uri="memory://",
                      default_limits=[], headers_enabled=False)  # fmt: skip
    view: Any = app.view_functions["auth.login"]
    for limit, key, scope in (
        (app.config["FUNDLEDGER_SIGN_IN_LIMIT_PER_USER"], _attempted_name, "sign-in-user"),
        (app.config["FUNDLEDGER_SIGN_IN_LIMIT_PER_ADDRESS"], get_remote_address, "sign-in-address"),
    ):
        view = limiter.limit(limit, key_func=key, methods=["POST"], deduct_when=_failed,
                             scope=scope)(view)  # fmt: skip
    app.view_functions["auth.login"] = view
    return limiter
