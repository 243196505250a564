"""The words of the reports: every message has a Hebrew and an Arabic translation with the same
placeholders, and numbers come out as one left-to-right unit in right-to-left text."""

from __future__ import annotations

import re
from collections import Counter
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from babel import Locale
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

import fundledger.reports
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.reports.i18n import LOCALES, Reader, catalog_path, translations
from fundledger.reports.pdf.bidi import BIDI_CONTROLS, visual_line
from fundledger.reports.pdf.page import rate_age

REPORTS = Path(fundledger.reports.__file__).parent
KEYWORDS = {
    "_": None,
    "pgettext": ((1, "c"), 2),
    "ngettext": (1, 2),
    "npgettext": ((1, "c"), 2, 3),
}
PLACEHOLDER = re.compile(r"\{(\w+)\}")


def extracted() -> dict[tuple[str | None, str], tuple[str, ...]]:
    """Each message the code asks for, keyed as the catalog keys it: (context, msgid); the
    value holds its English forms (one, or singular and plural)."""
    found: dict[tuple[str | None, str], tuple[str, ...]] = {}
    for source in REPORTS.rglob("*.py"):
        for _line, message, _comments, context in extract_from_file(
            "python", str(source), keywords=KEYWORDS
        ):
            forms = (message,) if isinstance(message, str) else tuple(message)
            found[(context, forms[0])] = forms
    return found


def extracted_messages() -> set[tuple[str | None, str]]:
    return set(extracted())


def single_number_forms(language: str) -> set[int]:
    """The plural forms a catalog chooses for one number only (Hebrew "two", Arabic "zero",
    "one", "two"): a word may say that number itself ("יומיים", "تبرعان"), so the form may
    leave out the placeholder of the count. Every other form must carry every placeholder."""
    plural = translations(language).plural  # type: ignore[attr-defined]  # the compiled rule
    chosen = Counter(plural(n) for n in range(1000))
    return {form for form, times in chosen.items() if times == 1}


@pytest.mark.parametrize("language", [language for language in LOCALES if language != "en"])
def test_every_message_is_translated_with_the_same_placeholders(language: str) -> None:
    with open(catalog_path(language), "rb") as source:
        catalog = read_po(source, locale=language)
    translated = {(message.context, message.id[0] if message.pluralizable else message.id):
                  message for message in catalog if message.id}  # fmt: skip
    wanted = extracted_messages()
    assert len(wanted) > 40
    assert sorted(wanted - set(translated), key=str) == [], "messages missing from the catalog"
    assert sorted(set(translated) - wanted, key=str) == [], "stale messages in the catalog"
    english = extracted()
    single = single_number_forms(language)
    for key, message in translated.items():
        assert not message.fuzzy, f"{key} is marked fuzzy"
        wanted_placeholders = {name for form in english[key] for name in PLACEHOLDER.findall(form)}
        if len(english[key]) == 1:
            assert isinstance(message.string, str), f"{key} has plural forms in the catalog"
            assert message.string, f"{key} is not translated"
            assert set(PLACEHOLDER.findall(message.string)) == wanted_placeholders, key
            continue
        assert message.pluralizable, f"{key} is plural in the code but not in the catalog"
        assert message.id[1] == english[key][1], f"{key}: plural {message.id[1]!r} is stale"
        forms = message.string
        assert len(forms) == catalog.num_plurals, f"{key}: {len(forms)} forms"
        for index, form in enumerate(forms):
            assert form, f"{key}: plural form {index} is not translated"
            found = set(PLACEHOLDER.findall(form))
            if index in single:
                assert found <= wanted_placeholders, (key, index)
            else:
                assert found == wanted_placeholders, (key, index)


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


def test_a_latin_name_keeps_to_itself_in_a_right_to_left_title() -> None:
    hebrew = Reader("he")
    title = hebrew._("{campaign}, {period}").format(
        campaign=hebrew.named("Summer 2025"), period=hebrew.date(date(2025, 7, 1))
    )
    # From the right: the name, then "1 ביולי 2025"; unisolated, the 1 joined the name's
    # left-to-right run and was drawn at the far right, away from its month.
    assert visual_line(title, rtl=True) == "2025\xa0ילויב\xa01 ,Summer 2025"
    assert Reader("en").named("Summer 2025") == "Summer 2025"


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


@pytest.mark.parametrize("language", LOCALES)
def test_each_catalog_chooses_its_forms_as_cldr_counts(language: str) -> None:
    """The Plural-Forms header of a catalog splits whole numbers exactly as the Unicode CLDR
    categories of its language do (Hebrew: one, two, other; Arabic: zero, one, two, few, many,
    other), one form per category, so no count ever gets another category's word."""
    rules = Locale.parse(language).plural_form
    plural = translations(language).plural if language != "en" else (lambda n: int(n != 1))  # type: ignore[attr-defined]
    forms: dict[str, set[int]] = {}
    for n in range(1001):
        forms.setdefault(rules(n), set()).add(plural(n))
    assert all(len(chosen) == 1 for chosen in forms.values()), forms
    assert len({next(iter(chosen)) for chosen in forms.values()}) == len(forms), forms


# (count, the form chosen): the words of the statement's total row and of the age of a rate.
GIFT_COUNTS = {
    "en": {0: "0 gifts", 1: "1 gift", 2: "2 gifts", 3: "3 gifts", 11: "11 gifts",
           100: "100 gifts", 1520: "1,520 gifts"},
    "he": {1: "תרומה אחת", 2: "שתי תרומות", 3: "3 תרומות", 11: "11 תרומות", 100: "100 תרומות",
           1520: "1,520 תרומות"},
    "ar": {0: "0 تبرّع", 1: "تبرّع واحد", 2: "تبرّعان", 3: "3 تبرّعات", 10: "10 تبرّعات",
           11: "11 تبرّعًا", 99: "99 تبرّعًا", 100: "100 تبرّع", 102: "102 تبرّع",
           103: "103 تبرّعات", 111: "111 تبرّعًا", 1520: "1,520 تبرّعًا"},
}  # fmt: skip
RATE_AGES = {
    "en": {1: "1 day", 7: "7 days", 14: "14 days"},
    "he": {1: "יום אחד", 2: "יומיים", 7: "7 ימים", 14: "14 ימים"},
    "ar": {0: "0 يوم", 1: "يوم واحد", 2: "يومين", 7: "7 أيام", 14: "14 يومًا", 100: "100 يوم"},
}


def logical(text: str) -> str:
    """The text without the marks that isolate a number in right-to-left text."""
    return "".join(character for character in text if character not in BIDI_CONTROLS)


@pytest.mark.parametrize("language", LOCALES)
def test_a_count_agrees_with_its_noun(language: str) -> None:
    reader = Reader(language)
    for count, words in GIFT_COUNTS[language].items():
        form = reader.ngettext("{count} gift", "{count} gifts", count)
        assert logical(form.format(count=reader.number(count))) == words, count
    for days, words in RATE_AGES[language].items():
        assert logical(rate_age(days, reader)) == words, days


def test_a_label_under_a_figure_agrees_with_it() -> None:
    def label(language: str, count: int) -> str:
        return Reader(language).npgettext("key figure", "Anonymous gift", "Anonymous gifts", count)

    assert [label("en", n) for n in (0, 1, 2)] == [
        "Anonymous gifts", "Anonymous gift", "Anonymous gifts"]  # fmt: skip
    assert [label("he", n) for n in (1, 2, 5)] == [
        "תרומה בעילום שם", "תרומות בעילום שם", "תרומות בעילום שם"]  # fmt: skip
    assert [label("ar", n) for n in (1, 2, 5, 20, 300)] == [
        "تبرع دون ذكر الاسم", "تبرعان دون ذكر الاسم", "تبرعات دون ذكر الاسم",
        "تبرعًا دون ذكر الاسم", "تبرع دون ذكر الاسم"]  # fmt: skip
    # A context keeps the label apart from the column heading "Gifts".
    assert Reader("he").npgettext("key figure", "Gift", "Gifts", 1) == "תרומה"
    assert Reader("he")._("Gifts") == "תרומות"
