"""The words of the reports: every message has a Hebrew and an Arabic translation with the same
placeholders, and numbers come out as one left-to-right unit in right-to-left text."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import fundledger.reports
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.reports.i18n import LOCALES, Reader, catalog_path, translations
from fundledger.reports.pdf.bidi import visual_line

REPORTS = Path(fundledger.reports.__file__).parent
KEYWORDS = {"_": None, "pgettext": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def extracted_messages() -> set[tuple[str | None, str]]:
    found: set[tuple[str | None, str]] = set()
    for source in REPORTS.rglob("*.py"):
        for _line, message, _comments, context in extract_from_file(
            "python", str(source), keywords=KEYWORDS
        ):
            found.add((context, message if isinstance(message, str) else message[0]))
    return found


@pytest.mark.parametrize("language", [language for language in LOCALES if language != "en"])
def test_every_message_is_translated_with_the_same_placeholders(language: str) -> None:
    with open(catalog_path(language), "rb") as source:
        catalog = read_po(source, locale=language)
    translated = {(message.context, str(message.id)): message for message in catalog
                  if message.id}  # fmt: skip
    wanted = extracted_messages()
    assert len(wanted) > 40
    assert sorted(wanted - set(translated), key=str) == [], "messages missing from the catalog"
    assert sorted(set(translated) - wanted, key=str) == [], "stale messages in the catalog"
    for key, message in translated.items():
        assert message.string, f"{key} is not translated"
        assert not message.fuzzy, f"{key} is marked fuzzy"
        assert set(PLACEHOLDER.findall(str(message.string))) == set(PLACEHOLDER.findall(key[1])), (
            key
        )


def test_a_translation_is_used_and_english_is_the_source() -> None:
    assert Reader("he")._("Campaign summary") == "סיכום קמפיין"
    assert Reader("ar")._("Campaign summary") == "ملخص الحملة"
    assert Reader("en")._("Campaign summary") == "Campaign summary"
    assert translations("he") is translations("he")


def test_unknown_locale_is_a_clear_error() -> None:
    with pytest.raises(FundledgerError, match="unknown report locale 'fr': use one of en, he, ar"):
        Reader.for_locale("fr")


def test_amounts_read_left_to_right_inside_hebrew_and_arabic() -> None:
    shekels = Money.parse("-250.00", "ILS")
    assert Reader("en").money(shekels) == "-₪250.00"
    for language in ("he", "ar"):
        reader = Reader(language)
        assert reader.rtl
        sentence = reader._("Total") + " " + reader.money(shekels)
        drawn = visual_line(sentence, rtl=True)
        assert drawn.startswith("-250.00\xa0₪ "), drawn


def test_figures_dates_and_names_follow_the_locale() -> None:
    hebrew = Reader("he")
    assert visual_line(hebrew.percent(Decimal("0.8125")), rtl=True) == "81%"
    # A date is one unit, never broken across lines: its words are joined by no-break spaces.
    assert hebrew.date(date(2025, 6, 3)) == "3\xa0ביוני\xa02025"
    assert Reader("en").date(date(2026, 12, 31)) == "December\xa031,\xa02026"
    assert Reader("ar").month(date(2026, 12, 31)) == "ديسمبر\xa02026"
    assert Reader("en").currency_name("USD", plural=True) == "US dollars"
    assert Reader("en").money(Money.parse("100", "ILS"), whole=True) == "₪100"
    assert visual_line(hebrew.money(Money.parse("100", "ILS"), whole=True), rtl=True) == "100\xa0₪"
    assert Reader("en").plain_number(Decimal("0.29110")) == "0.2911"
    # A compact figure that carries an Arabic word is ordered by the bidi algorithm, not
    # forced left to right: "250 ألف" reads with the number first, from the right.
    assert visual_line(Reader("ar").compact(250_000), rtl=True).endswith("\xa0250")
