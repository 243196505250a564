"""The words of the pages in en, he and ar: the "web" gettext catalogs under web/locale, and
the language of each request (chosen here, once, before the page is made)."""

from __future__ import annotations

import io
from functools import cache
from gettext import GNUTranslations, NullTranslations
from importlib.resources import files

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import g, request, session
from werkzeug.datastructures import LanguageAccept

from fundledger.domain.settings import REPORT_LOCALES

DOMAIN = "web"
LANGUAGES = REPORT_LOCALES  # en is the source language: its catalog is the code itself
RTL_LANGUAGES = frozenset({"he", "ar"})
# The language chosen with ?lang= (the switcher) is kept in the session under this key.
SESSION_KEY = "lang"


def catalog_path(language: str) -> str:
    return str(files("fundledger.web") / "locale" / language / "LC_MESSAGES" / f"{DOMAIN}.po")


@cache
def translations(language: str) -> NullTranslations:
    """The catalog of `language`, compiled from its .po file once per process (no .mo files
    to keep in step)."""
    if language == "en":
        return NullTranslations()
    with open(catalog_path(language), "rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return GNUTranslations(compiled)


def choose_language() -> str:
    """The request's language: one chosen with ?lang= (kept in the session for the pages
    after), else the signed-in user's own setting, else the browser's Accept-Language, else
    English. An explicit choice wins over the stored setting: someone reading over a
    colleague's shoulder switches without changing the colleague's account."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        session[SESSION_KEY] = asked
    chosen = session.get(SESSION_KEY)
    if chosen in LANGUAGES:
        return str(chosen)
    user = g.get("_login_user")  # Flask-Login's user of this request, if it loaded one
    language = getattr(user, "language", None)  # None for a visitor not signed in
    if language in LANGUAGES:
        return str(language)
    accepted: LanguageAccept = request.accept_languages
    # By the browser's order of preference, a regional tag by its language (ar-IL is ar).
    for tag, _quality in accepted:
        primary = tag.replace("_", "-").split("-")[0].lower()
        if primary in LANGUAGES:
            return primary
    return "en"


def language() -> str:
    if "language" not in g:
        g.language = choose_language()
    return str(g.language)


def gettext(message: str, **variables: object) -> str:
    text = translations(language()).gettext(message)
    return text.format(**variables) if variables else text


def ngettext(singular: str, plural: str, n: int, **variables: object) -> str:
    text = translations(language()).ngettext(singular, plural, n)
    return text.format(n=n, **variables)


def direction() -> str:
    return "rtl" if language() in RTL_LANGUAGES else "ltr"


def N_(message: str) -> str:  # noqa: N802 (the gettext convention)
    """Marks a message for extraction, translated later where it is shown (the navigation)."""
    return message
