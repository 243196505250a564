"""How donors are recognised: the keys stored with each donor must never drift."""

from __future__ import annotations

import sys
import unicodedata

from fundledger.domain.donors import email_key, loose_name, name_key, normalize_name


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
