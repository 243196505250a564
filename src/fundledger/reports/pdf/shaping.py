"""Arabic joining that only produces forms the embedded fonts can draw.

ReportLab draws code points, not shaped glyph runs: Arabic must be turned into its presentation
forms (Unicode blocks FB50-FDFF, FE70-FEFF) before drawing, which arabic_reshaper does. Its
default configuration assumes a font with every form: it turns الله into the single ligature
U+FDF2, which DejaVu Sans lacks, so "عبد الله" printed as "عبد �". The shaper here is configured
from the cmap of BOTH embedded fonts (regular and bold; the same as arabic_reshaper's
`config_for_true_type_font`, which needs fontTools):

- a ligature is used only when every one of its forms is in both fonts (with DejaVu Sans: the
  four lam-alef ligatures, which Arabic requires; الله stays four joined letters);
- a letter joins on a side only when the fonts have the forms for it, else it is drawn as its
  base letter and its neighbours do not reach for it (it reads as unjoined, never as a gap);
- tatweel (U+0640) joins on both sides, as it does in every Arabic font;
- a combining mark (harakat, Hebrew niqqud) is kept when both fonts have its glyph and dropped
  when they do not (Quranic annotation signs, Hebrew cantillation): the letters still read, and
  a name is never refused for a sign no name needs. ZWJ/ZWNJ steer the joining and are kept
  (both fonts draw them as nothing), so a Persian name copies out as typed.

- a Hebrew letter with its points (dagesh, shin and sin dots, holam on vav, hiriq on yod...)
  is drawn as the precomposed glyph of the Alphabetic Presentation Forms block when the fonts
  have it: the glyph places the point on that letter, where a separate mark, drawn at a fixed
  place, misses a narrow letter such as yod or vav. NFKC (what a reader's copy gives back)
  decomposes it again.

Letters with no glyph at all (Urdu ے ہ, alef wasla ٱ) are left as they are: the caller finds
them missing and reports or refuses the document.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache

from arabic_reshaper import ArabicReshaper
from arabic_reshaper.letters import LETTERS_ARABIC, TATWEEL
from arabic_reshaper.ligatures import LIGATURES
from arabic_reshaper.reshaper_config import default_config

Forms = tuple[str, str, str, str]  # isolated, initial, medial, final ('' where none)


class FontShaper(ArabicReshaper):  # type: ignore[misc]  # arabic_reshaper has no type hints
    """arabic_reshaper with its letter table narrowed to the forms a font has."""

    def __init__(self, configuration: dict[str, object], letters: dict[str, Forms]) -> None:
        super().__init__(configuration=configuration)
        self.letters = letters


def letter_forms(coverage: frozenset[int]) -> dict[str, Forms]:
    """The joining table of the Arabic letters as far as `coverage` can draw them.

    A letter keeps its final form only if it is covered, its initial and medial forms only if
    all three are (a letter that joins forward but cannot end a join would lose its last
    form), and its isolated form falls back to the base letter."""
    table: dict[str, Forms] = {}
    for letter, (isolated, initial, medial, final) in LETTERS_ARABIC.items():
        final_ok = bool(final) and ord(final) in coverage
        dual_ok = final_ok and all(form and ord(form) in coverage for form in (initial, medial))
        table[letter] = (
            isolated if isolated and ord(isolated) in coverage else letter,
            initial if dual_ok else "",
            medial if dual_ok else "",
            final if final_ok else "",
        )
    if ord(TATWEEL) in coverage:
        # arabic_reshaper leaves tatweel out, so the letters around it did not join it.
        table[TATWEEL] = (TATWEEL, TATWEEL, TATWEEL, TATWEEL)
    return table


def configuration(coverage: frozenset[int]) -> dict[str, object]:
    """arabic_reshaper's settings for a font covering `coverage`: the ligatures it enables by
    default, less those whose glyphs the font lacks; harakat kept (marks the font lacks are
    removed before shaping, see `without_undrawable_marks`)."""
    settings: dict[str, object] = {"delete_harakat": False, "support_zwj": True}
    for name, (_, forms) in LIGATURES:
        wanted = str(default_config.get(name, False)) == "True"
        settings[name] = wanted and all(ord(form) in coverage for form in forms if form)
    # With none enabled, arabic_reshaper's pattern would be empty and match everywhere.
    settings["support_ligatures"] = any(settings[name] for name, _ in LIGATURES)
    return settings


@cache
def shaper(coverage: frozenset[int]) -> FontShaper:
    return FontShaper(configuration(coverage), letter_forms(coverage))


def enabled_ligatures(coverage: frozenset[int]) -> list[str]:
    settings = configuration(coverage)
    return [name for name, _ in LIGATURES if settings[name]]


@cache
def _undrawable_marks(coverage: frozenset[int]) -> re.Pattern[str]:
    marks = (chr(code) for code in range(0x0300, 0x10000) if _is_mark(chr(code)))
    missing = "".join(re.escape(mark) for mark in marks if ord(mark) not in coverage)
    return re.compile(f"[{missing}]")


def _is_mark(character: str) -> bool:
    return unicodedata.category(character) in ("Mn", "Me")


def without_undrawable_marks(text: str, coverage: frozenset[int]) -> str:
    """`text` without the combining marks `coverage` has no glyph for."""
    return _undrawable_marks(coverage).sub("", text)


def shape(text: str, coverage: frozenset[int]) -> str:
    """`text` with its Arabic letters in the joined forms `coverage` has, its pointed Hebrew
    letters precomposed where `coverage` has them, and the marks it cannot draw removed
    (logical order)."""
    text = without_undrawable_marks(text, coverage)
    if any("\u05d0" <= character <= "\u05ea" for character in text):
        text = _HEBREW_CLUSTER.sub(lambda found: _precomposed(found.group(), coverage), text)
    if not any("\u0600" <= character <= "\u06ff" for character in text):
        return text
    return str(shaper(coverage).reshape(text))


# A Hebrew letter and the points after it.
_HEBREW_CLUSTER = re.compile("[\u05d0-\u05ea\u05f2][\u05b0-\u05c7]+")


@cache
def _hebrew_forms() -> dict[tuple[str, frozenset[str]], str]:
    """(letter, its points) -> the precomposed presentation form (U+FB1D-U+FB4E, canonical
    decompositions only: U+FB4F ALEF LAMED is a ligature, not a pointed letter)."""
    forms = {}
    for code in range(0xFB1D, 0xFB4F):
        form = chr(code)
        decomposed = unicodedata.normalize("NFD", form)
        if decomposed != form:
            forms[(decomposed[0], frozenset(decomposed[1:]))] = form
    return forms


def _precomposed(cluster: str, coverage: frozenset[int]) -> str:
    """A pointed Hebrew letter as its richest precomposed form the fonts have, followed by
    the points that form does not include; the cluster unchanged when there is none."""
    letter, points = cluster[0], cluster[1:]
    best, best_points = "", frozenset[str]()
    for (base, included), form in _hebrew_forms().items():
        if (base == letter and included <= set(points) and ord(form) in coverage
                and len(included) > len(best_points)):  # fmt: skip
            best, best_points = form, included
    if not best:
        return cluster
    return best + "".join(point for point in points if point not in best_points)
