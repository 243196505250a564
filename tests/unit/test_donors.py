"""How donors are recognised: the keys stored with each donor must never drift."""

from __future__ import annotations

import sys
import unicodedata

import pytest

from fundledger.domain.donors import email_key, israeli_id, loose_name, name_key, normalize_name


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
