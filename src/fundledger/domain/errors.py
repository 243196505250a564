"""Errors that mean "the user asked for something the ledger cannot do", with a message for them."""

from __future__ import annotations

from datetime import date


class FundledgerError(Exception):
    """A user error: the CLI prints its message on one line and exits 1."""


class InvalidAmount(FundledgerError):
    """An amount that is not an exact decimal of the currency's minor unit."""


class UnknownCurrency(FundledgerError):
    """A code that is not an ISO 4217 currency; `code`, as typed, when it is no code at all
    (not one of an old currency, or of a unit that is not money: those messages name the fix)."""

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.code = code


class CurrencyMismatch(TypeError):
    """Two amounts in different currencies were combined: a programming error, not user input."""


class RateNotInForce(FundledgerError):
    """No exchange rate is in force for a pair on a date."""

    def __init__(self, message: str, *, pair: str, on: date, latest: date | None = None) -> None:
        super().__init__(message)
        self.pair = pair
        self.on = on
        self.latest = latest


class InvalidRate(FundledgerError):
    """A rate that is not a positive exact decimal with at most 10 decimal places."""


# The classes below let a page say a common refusal in its reader's language (web/messages.py)
# while the CLI prints the message as it is.


class AmountNotPositive(FundledgerError):
    """A gift of zero or less (a cancellation is a reversal, not a negative gift)."""


class DateNotPossible(FundledgerError):
    """A date that cannot be a gift's or a rate's: after today in Israel, or before 1900."""

    def __init__(self, message: str, *, day: date) -> None:
        super().__init__(message)
        self.day = day


class TextRequired(FundledgerError):
    """A required text (a reason, a name) left empty; `label` names it as the CLI does."""

    def __init__(self, message: str, *, label: str) -> None:
        super().__init__(message)
        self.label = label
