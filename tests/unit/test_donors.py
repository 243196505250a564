"""How donors are recognised: the keys stored with each donor must never drift."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from fundledger.domain.donors import (
    LANGUAGE_NAMES,
    email_key,
    israeli_id,
    language_problem,
    loose_name,
    name_key,
    normalize_name,
    preferred_language,
)
from fundledger.domain.settings import REPORT_LOCALES
from fundledger.services.settings import report_locale


def test_loose_name_drops_exactly_what_is_not_alphanumeric_on_every_code_point() -> None:
    # The stored loose keys were made by the definition on the right: a faster loose_name
    # must agree with it everywhere, or old and new donors stop matching.
    for code_point in range(sys.maxunicode + 1):
        char = chr(code_point)
        kept = [
            part
            for part in unicodedata.normalize("NFKD", char.casefold())
            if not unicodedata.combining(part) and part.isalnum()
        ]
        assert loose_name(char) == "".join(kept), hex(code_point)


def test_loose_name_joins_spellings_of_one_name() -> None:
    assert loose_name("José  O'Brien") == loose_name("JOSE OBRIEN") == "joseobrien"
    assert loose_name("מוחמד חדאד") == loose_name("מוחמד-חדאד")
    assert loose_name("Ahmad Haddad") != loose_name("Ahmad Hadad")


def test_names_and_emails_as_keys() -> None:
    assert normalize_name("  Noa \t Levi ") == "Noa Levi"
    assert normalize_name("Cafe\u0301") == "Café"  # NFC
    assert name_key(" NOA  levi") == "noa levi"
    assert email_key(" Noa@Example.ORG ") == "noa@example.org"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("123456782", "123456782"),
        (" 12345678-2 ", "123456782"),
        ("18", None),  # too short to be one
        ("00000018", "000000018"),  # leading zeros restored
        ("123456789", None),  # wrong check digit
        ("12345678X", None),
        ("١٢٣٤٥٦٧٨٢", None),  # Arabic-Indic digits are digits to Python, not to the registry
        ("1234567820", None),
        ("000000000", None),  # passes the check, names nobody
    ],
)
def test_israeli_identity_numbers_by_their_check_digit(text: str, expected: str | None) -> None:
    assert israeli_id(text) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [("en", "en"), ("HE", "he"), (" ar ", "ar"), ("English", "en"), ("hebrew", "he"),
     ("ARABIC", "ar"), ("עברית", "he"), ("ערבית", "ar"), ("אנגלית", "en"), ("العربية", "ar"),
     ("العبرية", "he"), ("الإنجليزية", "en"), ("عربي", "ar"), ("انكليزي", "en"),
     # Language tags, with a region or a script, and the old code of Hebrew.
     ("he-IL", "he"), ("en_US", "en"), ("ar-PS", "ar"), ("AR-Arab-IL", "ar"), ("iw", "he"),
     ("eng", "en"), ("heb", "he"), ("ara", "ar"),
     # The same word composed otherwise (hamza below as a combining mark): one language.
     (unicodedata.normalize("NFD", "الإنجليزية"), "en")],
)  # fmt: skip
def test_a_language_is_known_by_its_code_or_its_name_in_any_of_the_three(
    text: str, code: str
) -> None:
    assert preferred_language(text) == code


@pytest.mark.parametrize("text", ["", "fr", "French", "fr-IL", "ar IL", "heb rew", "עב", "he-"])
def test_other_languages_are_refused_naming_the_choices(text: str) -> None:
    assert preferred_language(text) is None
    assert language_problem(text).endswith(
        "use en, he or ar (or English, Hebrew, Arabic, in any of the three)"
    )


def test_every_report_locale_has_its_names_and_nothing_else() -> None:
    assert tuple(LANGUAGE_NAMES) == REPORT_LOCALES


def test_a_documents_language_is_asked_then_preferred_then_the_setting_then_english() -> None:
    assert report_locale({"report.locale": "he"}, "ar", "en") == "ar"
    assert report_locale({"report.locale": "he"}, None, "en") == "en"
    assert report_locale({"report.locale": "he"}, None, None) == "he"
    assert report_locale({}, None, None) == "en"
