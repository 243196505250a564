"""Errors as pages in the reader's language: never a traceback (the server log gets it)."""

from __future__ import annotations

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException, InternalServerError

from fundledger.domain.access import PermissionDenied
from fundledger.web.i18n import gettext as _


def _messages() -> dict[int, tuple[str, str]]:
    return {
        400: (_("Bad request"), _("The form was out of date or incomplete. Go back, reload the "
                                  "page and try again.")),
        403: (_("Not allowed"), _("Your role does not allow this. An admin can change your "
                                  "role.")),
        404: (_("Not found"), _("There is no such page. Check the address, or start again from "
                                "the dashboard.")),
        405: (_("Not allowed"), _("This address does not accept that kind of request.")),
        413: (_("Too large"), _("What was sent is larger than the server takes (16 MB for a "
                                "file). Send a smaller file.")),
        429: (_("Too many attempts"), _("Too many sign-in attempts. Wait a quarter of an hour "
                                        "and try again.")),
        500: (_("Something went wrong"), _("The server could not finish this request; it has "
                                           "been logged. Try again, or tell your admin.")),
    }  # fmt: skip


def error_page(status: int) -> ResponseReturnValue:
    title, text = _messages().get(status, _messages()[500])
    return render_template("error.html", status=status, title=title, text=text), status


def _http(error: HTTPException) -> ResponseReturnValue:
    return error_page(error.code or 500)


def _csrf(_error: CSRFError) -> ResponseReturnValue:
    return error_page(400)


def _denied(_error: PermissionDenied) -> ResponseReturnValue:
    return error_page(403)


def init_errors(app: Flask) -> None:
    app.register_error_handler(CSRFError, _csrf)
    app.register_error_handler(PermissionDenied, _denied)
    app.register_error_handler(HTTPException, _http)

    @app.errorhandler(InternalServerError)
    def _crash(error: InternalServerError) -> ResponseReturnValue:
        # Flask has logged the exception (with its traceback) by now; the page shows none.
        return error_page(500)
