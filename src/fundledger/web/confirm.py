"""The correcting pages' two steps (web/gift.py, web/donor_changes.py): a form posts to a
preview, which runs the same service call in a transaction rolled back and shows what it
would do; the preview's confirm button posts the same fields again with `confirm`, which
records it. A mistake in the form is its page again with the message (422, nothing written)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import abort, request
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from fundledger.domain.access import PermissionDenied
from fundledger.domain.errors import FundledgerError
from fundledger.services.context import CommandContext
from fundledger.web import db
from fundledger.web.messages import service_message

T = TypeVar("T")


def confirmed() -> bool:
    """Whether the form came from a preview's confirm button (else it asks for a preview)."""
    return request.form.get("confirm") is not None


def preview_or_record(
    work: Callable[[Session, CommandContext], T],
    *,
    confirmed: bool,
    missing: type[FundledgerError],
    sent_back: Callable[[MultiDict[str, str], str], ResponseReturnValue],
) -> T | ResponseReturnValue:
    """`work` recorded when `confirmed`, else previewed (rolled back). `missing` (the gift or
    donor the address names is not there) is 404; a refusal is `sent_back(form, message)`:
    the page with the form as sent and the message in the page's language where it can be."""
    try:
        return db.run(work, write=True, commit=confirmed, summaries=True)
    except missing:
        abort(404)
    except PermissionDenied:
        raise  # 403 (errors.py): not a mistake in the form
    except FundledgerError as error:
        return sent_back(MultiDict(request.form), service_message(error))


def carried(form: MultiDict[str, str]) -> list[tuple[str, str]]:
    """The form's fields as sent, for the confirmation to send again (its own CSRF token)."""
    return [(name, value) for name, value in form.items(multi=True)
            if name not in ("csrf_token", "confirm")]  # fmt: skip
