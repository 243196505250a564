"""How donors are recognised: e-mail without regard to case, else the name normalised."""

from __future__ import annotations

import re
import unicodedata

_SPACES = re.compile(r"\s+")
_NOT_ALPHANUMERIC = re.compile(r"[\W_]")
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


def matching_keys(names: list[str], emails: list[str]) -> list[str]:
    """Each donor's key among others: the e-mail without case, else NUL and the normalised
    name without case (NUL: no e-mail begins with it), else "" (a gift without donor). The
    names must be normalised and the e-mails stripped; "" for none."""
    return [
        email.casefold() if email else "\0" + name.casefold() if name else ""
        for name, email in zip(names, emails, strict=True)
    ]


def loose_name(name: str) -> str:
    """A name without case, spacing, punctuation or diacritics: finds likely duplicates."""
    # What `[\W_]` removes is exactly what is not alphanumeric, combining marks included
    # (checked over every code point by tests/unit/test_donors.py).
    return _NOT_ALPHANUMERIC.sub("", unicodedata.normalize("NFKD", name.casefold()))


def israeli_id(text: str) -> str | None:
    """An Israeli identity number as nine digits (leading zeros restored), or None when its
    check digit is wrong: digits weighted 1, 2, 1, 2 ..., the digits of the products summed,
    a multiple of ten."""
    digits = text.strip().replace("-", "")
    if not digits.isascii() or not digits.isdigit() or not 5 <= len(digits) <= 9:
        return None
    digits = digits.zfill(9)
    if not digits.strip("0"):
        return None
    total = 0
    for position, digit in enumerate(digits):
        product = int(digit) * (1 + position % 2)
        total += product - 9 if product > 9 else product
    return digits if total % 10 == 0 else None


# A donor's preferred language: the code of a report locale, a language tag with a region
# ("he-IL", "en_US", "ar-PS", the old "iw"), or its name as people write it in any of the three
# (a spreadsheet column filled in by hand says "Hebrew", "עברית" or "عربي", not "he").
LANGUAGE_NAMES = {
    "en": ("english", "eng", "אנגלית", "الإنجليزية", "الانجليزية", "الإنكليزية", "الانكليزية",
           "إنجليزي", "انجليزي", "انكليزي"),
    "he": ("hebrew", "heb", "iw", "עברית", "עיברית", "العبرية", "عبري", "عبرية"),
    "ar": ("arabic", "ara", "ערבית", "العربية", "عربي", "عربية"),
}  # fmt: skip
LANGUAGE_CHOICES = "en, he or ar (or English, Hebrew, Arabic, in any of the three)"
_LANGUAGES = {
    word: code for code, names in LANGUAGE_NAMES.items() for word in (code, *names)
}  # fmt: skip
_TAG = re.compile(r"([a-z]{2,3})(?:[-_][a-z0-9]{2,8})*")


def preferred_language(text: str) -> str | None:
    """The code (en, he, ar) of a language given by its code, a language tag (he-IL) or its
    name, without regard to case or surrounding space; None when it is not one of them."""
    word = unicodedata.normalize("NFC", text.strip()).casefold()
    if word in _LANGUAGES:
        return _LANGUAGES[word]
    tag = _TAG.fullmatch(word)
    return _LANGUAGES.get(tag.group(1)) if tag else None


def language_problem(text: str) -> str:
    """What to say of a language `preferred_language` does not know."""
    return f"{text.strip()!r} is not a language documents are written in: use {LANGUAGE_CHOICES}"
