"""Words and numbers for a reader's locale: gettext catalogs (reports/locale/<lang>/LC_MESSAGES/
fundledger.po) and Babel formatters, built once per locale and handed to whoever prints.

The locale is always passed in, never taken from the process. Catalogs are read from their .po
source (no compiled .mo files in the repository); `make` or a test need not compile anything."""

from __future__ import annotations

import datetime
import io
import unicodedata
from dataclasses import dataclass
from decimal import Decimal
from functools import cache, cached_property
from importlib.resources import files

from babel import Locale
from babel.dates import format_date, format_skeleton
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import (
    format_compact_decimal,
    format_currency,
    format_decimal,
    format_percent,
    get_currency_name,
)
from babel.support import NullTranslations, Translations

from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.domain.settings import REPORT_LOCALES
from fundledger.reports.pdf.bidi import BIDI_CONTROLS, POP_DIRECTIONAL_ISOLATE, isolate_ltr

LOCALES = REPORT_LOCALES
DOMAIN = "fundledger"
# Opens a run of text laid out in the direction of its first strong letter, apart from what
# surrounds it (UAX #9 isolates); closed by POP_DIRECTIONAL_ISOLATE, and removed when drawn.
FIRST_STRONG_ISOLATE = "\u2068"


def catalog_path(language: str) -> str:
    return str(files("fundledger.reports") / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po")


@cache
def translations(language: str) -> NullTranslations:
    if language == "en":
        return NullTranslations()
    with open(catalog_path(language), "rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def _plain(text: str) -> str:
    """Babel's output without the bidi marks it adds for RTL locales: the drawing code
    isolates whole amounts instead, which fonts never see."""
    return "".join(character for character in text if character not in BIDI_CONTROLS)


def _unbroken(text: str) -> str:
    """A date whose words stay on one line: lines break at ASCII spaces only."""
    return text.replace(" ", "\u00a0")


@dataclass(frozen=True)
class Reader:
    """Everything locale-specific a report needs: translated words, formatted numbers."""

    language: str

    @classmethod
    def for_locale(cls, language: str) -> Reader:
        if language not in LOCALES:
            raise FundledgerError(
                f"unknown report locale {language!r}: use one of {', '.join(LOCALES)}"
            )
        return cls(language)

    @cached_property  # asked for every number drawn
    def rtl(self) -> bool:
        return Locale.parse(self.language).character_order == "right-to-left"

    def _(self, message: str) -> str:
        return str(translations(self.language).gettext(message))

    def pgettext(self, context: str, message: str) -> str:
        return str(translations(self.language).pgettext(context, message))

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        """The form of a message that agrees with `count`: English has two, Hebrew three
        (1, 2, other) and Arabic six, in the order of its catalog's Plural-Forms header:
        0, 1, 2, 3-10, then 100-102 (and other numbers ending in 00-02), then 11-99 (the
        order Babel writes, not CLDR's). The caller formats the count into it."""
        return str(translations(self.language).ngettext(singular, plural, count))

    def npgettext(self, context: str, singular: str, plural: str, count: int) -> str:
        """`ngettext` for words that need a context: a label under a figure ("Anonymous
        gift" under "1") is not the same message as a column heading ("Gifts")."""
        return str(translations(self.language).npgettext(context, singular, plural, count))

    def number(self, value: int | Decimal) -> str:
        return self.isolated(format_decimal(value, locale=self.language))

    def money(self, money: Money, *, whole: bool = False) -> str:
        """An amount with its currency sign, as one left-to-right unit in RTL text; `whole`
        leaves out the minor unit (for round figures such as the bounds of a size band)."""
        pattern = None
        if whole:
            standard = Locale.parse(self.language).currency_formats["standard"].pattern
            pattern = standard.split(";")[0].replace(".00", "")
        text = format_currency(money.amount, money.currency, format=pattern,
                               locale=self.language, currency_digits=not whole)  # fmt: skip
        return self.isolated(text)

    def plain_number(self, value: Decimal) -> str:
        """A number with all its digits (a rate: "0.2911"), in the locale's symbols."""
        return _plain(format_decimal(value, format="#,##0.##########", locale=self.language))

    def rate(self, value: Decimal) -> str:
        """An exchange rate with at least four decimals ("3.3760"), all of its own."""
        return _plain(format_decimal(value, format="#,##0.0000######", locale=self.language))

    def compact(self, value: int | Decimal) -> str:
        """A rounded figure for a chart axis ("250K")."""
        return self.isolated(format_compact_decimal(value, locale=self.language))

    def percent(self, value: Decimal) -> str:
        return self.isolated(format_percent(value, locale=self.language))

    def date(self, day: datetime.date) -> str:
        """ "December 31, 2026": one unit, never broken across lines (no-break spaces)."""
        return _unbroken(format_date(day, "long", locale=self.language))

    def month(self, day: datetime.date) -> str:
        """The month of `day` with its year ("December 2026"), unbroken."""
        return _unbroken(format_skeleton("yMMMM", day, locale=self.language))

    def short_date(self, day: datetime.date) -> str:
        return format_skeleton("MMMd", day, locale=self.language)

    def short_month(self, day: datetime.date) -> str:
        """A month on a chart's axis ("Dec 2026")."""
        return format_skeleton("yMMM", day, locale=self.language)

    def date_range(self, first: datetime.date, last: datetime.date) -> str:
        return f"{self.date(first)} – {self.date(last)}"

    def currency_name(self, code: str, *, plural: bool = False) -> str:
        """ "US dollar", or with `plural` the form for amounts ("US dollars")."""
        return str(get_currency_name(code, count=2 if plural else None, locale=self.language))

    def named(self, name: str) -> str:
        """A name as typed (a campaign's, the organisation's) in RTL text: one unit in its own
        direction (a first-strong isolate, removed when drawn), so that a number after a
        Latin name ("Summer 2025, 1 ביולי") stays with the words after it instead of joining
        the name's left-to-right run."""
        return f"{FIRST_STRONG_ISOLATE}{name}{POP_DIRECTIONAL_ISOLATE}" if self.rtl else name

    def isolated(self, text: str) -> str:
        """Text that must read left to right as one unit in RTL text ("-250.00 ₪",
        "USD/ILS", "1 ILS = 0.2911 USD"); a figure that carries a word of the language
        ("250 ألف") is left to the bidi algorithm, which orders it right."""
        text = _plain(text)
        if not self.rtl or any(unicodedata.bidirectional(c) in ("R", "AL") for c in text):
            return text
        return isolate_ltr(text)
