"""What the list pages (donors, gifts, rates, receipts, audit) share: reading a GET form's
fields with a message in the reader's language when one is wrong, the page number, links to
the other pages of a list, figures formatted as the PDFs format them, and PDFs sent as files."""

from __future__ import annotations

import io
import tempfile
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from babel import Locale
from babel.dates import format_datetime
from flask import abort, current_app, render_template, request, send_file, url_for
from flask.typing import ResponseReturnValue

from fundledger.domain.dates import ISRAEL
from fundledger.domain.methods import BY_CODE
from fundledger.reports.i18n import LOCALES, Reader
from fundledger.web.db import current_actor
from fundledger.web.i18n import gettext as _
from fundledger.web.i18n import language

# The longest text a search field takes: longer is no name, e-mail or reference of the ledger.
LONGEST_FIELD = 200


class BadField(Exception):
    """A field of a page's form that cannot be read; its message is for the reader."""


def text_field(name: str, label: str) -> str | None:
    """A text field as typed, without surrounding spaces; None when empty."""
    text = request.args.get(name, "").strip()
    if len(text) > LONGEST_FIELD:
        raise BadField(_("{field} is too long: type at most {most} characters.",
                         field=label, most=LONGEST_FIELD))  # fmt: skip
    return text or None


def date_field(name: str, label: str) -> date | None:
    text = text_field(name, label)
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadField(_("{field}: {value} is not a date; write it as 2025-07-03 (year, month, "
                         "day).", field=label, value=text)) from None  # fmt: skip


def whole_field(name: str, label: str, lowest: int, highest: int) -> int | None:
    text = text_field(name, label)
    if text is None:
        return None
    if not text.isdigit() or not lowest <= int(text) <= highest:
        raise BadField(_("{field}: {value} is not a number from {lowest} to {highest}.",
                         field=label, value=text, lowest=lowest, highest=highest))  # fmt: skip
    return int(text)


def amount_field(name: str, label: str) -> Decimal | None:
    text = text_field(name, label)
    if text is None:
        return None
    try:
        amount = Decimal(text.replace(",", ""))
    except InvalidOperation:
        amount = Decimal(-1)
    if not amount.is_finite() or amount < 0:
        raise BadField(_("{field}: {value} is not an amount; write it as 1000 or 99.50.",
                         field=label, value=text))  # fmt: skip
    return amount


def locale_field() -> str | None:
    """?locale= of a PDF: one of the report languages, or none (the document's own)."""
    text = request.args.get("locale") or None
    if text is not None and text not in LOCALES:
        abort(404)  # no document in that language: as an address that does not exist
    return text


def page_number() -> int:
    """?page=: from 1; anything else is a page that does not exist."""
    text = request.args.get("page", "1")
    if not text.isdigit() or int(text) < 1:
        abort(404)
    return int(text)


def page_link(number: int) -> str:
    """This page's address with its form's fields as they are, at page `number`."""
    fields: dict[str, Any] = {**request.args.to_dict(), "page": number}
    fields.pop("lang", None)  # the language is kept in the session once chosen
    return url_for(str(request.endpoint), **(request.view_args or {}), **fields)


class Formats:
    """Figures in the page's language, as the PDFs write them (reports/i18n.py)."""

    def __init__(self, reader: Reader) -> None:
        self.money = reader.money
        self.date = reader.date
        self.number = reader.number
        self.rate = reader.rate
        self.language = reader.language

    def method(self, code: str) -> str:
        """A payment method by its name in the page's language; a text the ledger keeps as
        recorded (no known method) as it is."""
        known = BY_CODE.get(code)
        return known.name(self.language) if known is not None else code

    def language_name(self, code: str) -> str:
        """A language named in the page's language ("Hebrew", "עברית")."""
        return str(Locale.parse(code).get_display_name(self.language) or code)

    def moment(self, when: datetime) -> str:
        """A moment of the audit trail in Israel time, as the ledger's days are counted."""
        return format_datetime(when, "short", tzinfo=ISRAEL, locale=self.language)


def receipt_link(number: str) -> str | None:
    """The address of receipt `number` (R-2025-00017) as a PDF, for those who may have it."""
    if "receipts.download" not in current_app.view_functions:
        return None
    series, year, running = number.rsplit("-", 2)
    return url_for("receipts.download", series=series, year=int(year), number=running)


def receipt_send_link(number: str) -> str:
    """Where the button that e-mails receipt `number` to its donor posts."""
    series, year, running = str(number).rsplit("-", 2)
    return url_for("receipts.send", series=series, year=int(year), number=running)


def render(template: str, status: int = 200, **values: Any) -> ResponseReturnValue:
    """`template` with the list pages' helpers; `receipt_link` only for those who may open a
    receipt (who keep the books)."""
    formats = Formats(Reader.for_locale(language()))
    keeper = current_actor().sees_contact_details
    return render_template(
        template,
        fmt=formats,
        page_link=page_link,
        receipt_link=receipt_link if keeper else None,
        receipt_send_link=receipt_send_link,
        sees_contact=keeper,
        **values,
    ), status


def refused(message: str, status: int = 400) -> ResponseReturnValue:
    """An error page with the service's own one-line message (what, and what to do)."""
    return render_template("error.html", status=status, title=_("Cannot show this"),
                           text=message), status  # fmt: skip


def pdf_file(draw: Callable[[Path], object], name: str) -> ResponseReturnValue:
    """The PDF `draw` writes (the PDF writers take a path), sent as a download `name`."""
    with tempfile.TemporaryDirectory(prefix="fundledger-web-") as folder:
        target = Path(folder) / name
        draw(target)
        data = target.read_bytes()
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name=name)  # fmt: skip
