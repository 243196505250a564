"""How one cell of a donation file is read: an amount (with the currency it may name) and a
date. Each reader returns the value, or a message saying what is wrong with the cell; the file
reader (donation_csv.py) adds the line and the field."""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from fundledger.domain.dates import iso_moment_date, past_date_problem
from fundledger.domain.errors import UnknownCurrency
from fundledger.domain.money import (
    CURRENCY_ALIASES,
    MAX_AMOUNT_MINOR,
    currency_in_use,
    minor_unit_digits,
)

DateFormat = Literal["ISO", "DMY", "MDY"]
LONGEST_AMOUNT = 40
DATE_EXAMPLES = {"ISO": "2025-07-03", "DMY": "03/07/2025", "MDY": "07/03/2025"}

_AMOUNT = re.compile(
    r"(?P<sign_before>[₪$€£]|NIS|[A-Z]{3})?\s*(?P<minus>-)?\s*"
    r"(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.(?P<fraction>[0-9]+))?"
    r"\s*(?P<sign_after>[₪$€£]|NIS|[A-Z]{3})?"
)
# DD/MM/YYYY (or MM/DD), one separator throughout, with an optional local time of day.
_NUMERIC_DATE = re.compile(
    r"([0-9]{1,2})([/.\-])([0-9]{1,2})\2([0-9]{4})(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?"
)


def read_amount(text: str, currency: str, default_currency: str) -> tuple[int, str] | str:
    """(minor units, currency) of an amount such as "1,234.50", "₪1,234" or "$50", given the
    row's currency column ("" for none); or what is wrong with it."""
    if not text:
        return "missing"
    if len(text) > LONGEST_AMOUNT:
        return f"{text[:20]!r}… is too long to be an amount"
    whole, dot, fraction = text.partition(".")
    if whole.isascii() and whole.isdigit() and (not dot or (fraction.isascii() and
                                                          fraction.isdigit())):  # fmt: skip
        # The common case, "1250" or "99.50", without the regular expression.
        code = currency or default_currency
        digits = minor_unit_digits(code)
        if len(fraction) <= digits:
            minor = int(whole) * 10**digits + int(fraction.ljust(digits, "0") or "0")
            if 0 < minor <= MAX_AMOUNT_MINOR:
                return minor, code
    match = _AMOUNT.fullmatch(text)
    if match is None:
        return f"{text!r} is not an amount (write it like 1,234.50)"
    signs = {sign for sign in (match["sign_before"], match["sign_after"]) if sign}
    if len(signs) > 1:
        return f"{text!r} names two currencies"
    if signs:
        (sign,) = signs
        try:
            named = currency_in_use(CURRENCY_ALIASES.get(sign, sign))
        except UnknownCurrency as error:
            return f"{text!r}: {error}"
        if currency and currency != named:
            return f"{text!r} is in {named} but the currency column says {currency}"
        currency = named
    code = currency or default_currency
    digits = minor_unit_digits(code)
    fraction = match["fraction"] or ""
    if len(fraction) > digits:
        return f"{text!r} has more than {digits} decimal places for {code}"
    minor = int(match["whole"].replace(",", "")) * 10**digits + int(
        fraction.ljust(digits, "0") or "0"
    )
    if match["minus"] or minor == 0:
        return (
            f"{text!r}: a donation must be more than zero (record a correction with "
            "`fundledger donation reverse`)"
        )
    if minor > MAX_AMOUNT_MINOR:
        return f"{text!r} is larger than the ledger accepts"
    return minor, code


def read_date(text: str, date_format: DateFormat) -> date | str:
    """The gift's date, written as `date_format` says; or what is wrong with it. A gift has
    happened: it is dated on or before today in Israel (and after 1900)."""
    if not text:
        return "missing"
    try:
        day = _parse_date(text, date_format)
    except (ValueError, OverflowError):
        return (
            f"{text!r} is not a date as {date_format} (e.g. {DATE_EXAMPLES[date_format]}; see "
            "--date-format)"
        )
    if problem := past_date_problem(day, "gift"):
        return f"{text!r}: {problem}"
    return day


def _parse_date(text: str, date_format: DateFormat) -> date:
    if date_format == "ISO":
        # YYYY-MM-DD, or a moment: one with a zone is dated as in Israel then.
        return iso_moment_date(text)
    match = _NUMERIC_DATE.fullmatch(text)
    if match is None:
        raise ValueError(text)
    first, second, year = int(match[1]), int(match[3]), int(match[4])
    day, month = (first, second) if date_format == "DMY" else (second, first)
    if match[5] is not None and not (int(match[5]) < 24 and int(match[6]) < 60
                                     and int(match[7] or 0) < 60):  # fmt: skip
        raise ValueError(text)  # a local time of day, which does not change the date
    return date(year, month, day)
