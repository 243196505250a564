"""How donors are recognised: e-mail without regard to case, else the name normalised."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NEEDS_COLLAPSE = re.compile(r"\s\s|[^\S ]")  # two spaces in a row, or a tab, newline, ...


def normalize_name(name: str) -> str:
    """The name as stored: NFC, inner runs of space collapsed, ends stripped."""
    stripped = name.strip()
    if unicodedata.is_normalized("NFC", stripped) and not _NEEDS_COLLAPSE.search(stripped):
        return stripped  # the common case, checked without building a new string
    return _SPACES.sub(" ", unicodedata.normalize("NFC", stripped)).strip()


def name_key(name: str) -> str:
    return normalize_name(name).casefold()


def email_key(email: str) -> str:
    return email.strip().casefold()


def loose_name(name: str) -> str:
    """A name without case, spacing, punctuation or diacritics: finds likely duplicates."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(
        char for char in decomposed if not unicodedata.combining(char) and char.isalnum()
    )
