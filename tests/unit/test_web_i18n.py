"""The words of the web pages: every message of the web package and its templates has a Hebrew
and an Arabic translation with the same placeholders, and no catalog keeps a stale one."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

import fundledger.web
from fundledger.web.i18n import catalog_path

WEB = Path(fundledger.web.__file__).parent
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None}
METHODS = [("**.py", "python"), ("templates/**.html", "jinja2")]
PLACEHOLDER = re.compile(r"\{(\w+)\}|%\((\w+)\)s")


def extracted() -> set[str]:
    found = {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(WEB), METHODS, keywords=KEYWORDS
        )
    }
    assert {"Sign in", "Dashboard", "Wrong user name or password."} <= found  # both sources
    return found


@pytest.mark.parametrize("language", ["he", "ar"])
def test_every_web_message_is_translated_and_none_is_stale(language: str) -> None:
    with open(catalog_path(language), "rb") as source:
        catalog = read_po(source, locale=language)
    # A plural message by its singular, as extracted; its forms checked together.
    translated = {message.id if isinstance(message.id, str) else message.id[0]: message.string
                  for message in catalog if message.id}  # fmt: skip
    wanted = extracted()
    assert sorted(wanted - set(translated)) == [], "missing: run `make messages` and translate"
    assert sorted(set(translated) - wanted) == [], "stale: run `make messages`"
    for msgid, text in translated.items():
        assert text, f"{language}: {msgid!r} is not translated"
        assert set(PLACEHOLDER.findall(str(msgid))) == set(PLACEHOLDER.findall(str(text))), msgid
        assert text != msgid, f"{language}: {msgid!r} is left in English"
