"""A service's refusal in the page's language.

The services speak English, for the CLI and the audit trail. The refusals a write form meets
most often are said again here in the reader's language, by the error's class and the facts it
carries; any other is shown in the service's own words (which name the fix precisely)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fundledger.domain.dates import today_in_israel
from fundledger.domain.errors import (
    AmountNotPositive,
    DateNotPossible,
    FundledgerError,
    InvalidAmount,
    RateNotInForce,
    TextRequired,
    UnknownCurrency,
)
from fundledger.reports.i18n import Reader
from fundledger.web.i18n import gettext as _
from fundledger.web.i18n import language


def service_message(error: FundledgerError) -> str:
    """What `error` says, translated when it is one of the common refusals."""
    reader = Reader.for_locale(language())
    for kind, say in _SAID:
        if isinstance(error, kind):
            said = say(error, reader)
            if said is not None:
                return said
    return str(error)


def rate_gap(error: RateNotInForce) -> str:
    """Which rate is missing, as a gift's preview says it (it then says what to do)."""
    reader = Reader.for_locale(language())
    if error.latest is not None:
        return _("No {pair} rate is in force on {date} (the latest is of {latest})",
                 pair=error.pair, date=reader.date(error.on),
                 latest=reader.date(error.latest))  # fmt: skip
    return _("No {pair} rate is known on or before {date}", pair=error.pair,
             date=reader.date(error.on))  # fmt: skip


def _no_rate(error: RateNotInForce, reader: Reader) -> str:
    if error.latest is not None:
        return _("No {pair} exchange rate is in force on {date}: the latest known, of "
                 "{latest}, is too old. Add that day's rate or import a rate file on the "
                 "Rates page, then try again.", pair=error.pair, date=reader.date(error.on),
                 latest=reader.date(error.latest))  # fmt: skip
    return _("No {pair} exchange rate is known on or before {date}. Add one or import a "
             "rate file on the Rates page, then try again.", pair=error.pair,
             date=reader.date(error.on))  # fmt: skip


def _date(error: DateNotPossible, reader: Reader) -> str:
    if error.day > today_in_israel():
        return _("The date {date} is after today in Israel: a gift is recorded once it has "
                 "happened. Check the date.", date=reader.date(error.day))  # fmt: skip
    return _("The date {date} is too early to be a gift's: check the year.",
             date=reader.date(error.day))  # fmt: skip


def _required(error: TextRequired, reader: Reader) -> str | None:
    if "reason" not in error.label:
        return None  # a name or the like: the service's words name it
    return _("Give the reason: it is kept with the change in the ledger's history.")


# By class, the first that matches; a translation that returns None leaves the service's words.
_SAID: tuple[tuple[type[Any], Callable[[Any, Reader], str | None]], ...] = (
    (RateNotInForce, _no_rate),
    (AmountNotPositive, lambda error, reader: _(
        "A gift must be more than zero. To cancel a gift, reverse it from its page.")),
    (InvalidAmount, lambda error, reader: _(
        "The amount is not a number as it is written: write it like 250 or 250.50, with no "
        "currency sign.")),
    (UnknownCurrency, lambda error, reader: None if error.code is None else _(
        "{code} is not a currency code: give the currency's three-letter code, such as ILS, "
        "USD or EUR.", code=error.code)),
    (DateNotPossible, _date),
    (TextRequired, _required),
)  # fmt: skip
