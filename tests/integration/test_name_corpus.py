"""Arabic and Hebrew names print whole in every kind of document (issue #21): a corpus of 300+
names and words (tests/data/names/) is drawn in receipts, credit receipts, statements and
campaign summaries, in Hebrew, Arabic and English documents. No character is drawn without a
glyph in the font that draws it, and pdftotext gives each name back.

What is compared: the name and pdftotext's text, both NFKC-normalised (Arabic comes back as
presentation forms, pointed Hebrew letters as their precomposed forms; NFKC turns both back
into letters and marks in canonical order), with runs of white space made one space (a name
may wrap in a narrow column) and ZERO WIDTH JOINER removed (it only asks for a joined form of
the letter before it, which the drawn glyph carries; arabic_reshaper consumes it). Every
letter, mark, digit and ZWNJ of the name must come back, in order, attached to its letter."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest

from fundledger.domain.money import Money
from fundledger.reports.i18n import LOCALES, Reader
from fundledger.reports.pdf.campaign import ReportOptions, write_campaign_pdf
from fundledger.reports.pdf.receipt import write_receipt_pdf
from fundledger.reports.pdf.statement import write_statement_pdf
from fundledger.services.receipts import Organisation, ReceiptDocument, ReceiptNumber
from fundledger.services.reports import DonorLine
from fundledger.services.statements import DonorStatement, StatementLine
from tests.integration.test_receipt_pdf import receipt
from tests.pdf_helpers import missing_glyphs, pdf_text
from tests.unit.test_campaign_layout import year_long_summary

CORPUS = Path(__file__).parents[1] / "data" / "names" / "arabic-hebrew.txt"
NAMES = [
    line
    for line in CORPUS.read_text(encoding="utf-8").splitlines()
    if line.strip() and not line.startswith("#")
]
ZWJ = "\u200d"


def printed(text: str) -> str:
    """The form compared: NFKC, ZWJ removed, white space runs as one space."""
    return " ".join(unicodedata.normalize("NFKC", text).replace(ZWJ, "").split())


# pdftotext marks the direction of what it read with embeddings (U+202A/B ... U+202C): its own
# markup, never drawn.
_EMBEDDINGS = re.compile("[\u202a-\u202e]")


def read_back(path: Path) -> list[str]:
    """The lines pdftotext reads in the PDF (reading order), each in the compared form."""
    text = _EMBEDDINGS.sub("", pdf_text(path, layout=False))
    return [printed(line) for line in text.splitlines() if line.strip()]


# Runs of one script: Arabic (with ZWNJ), Hebrew, other letters, digits, each with its marks.
_ARABIC = "\u0610-\u061a\u0620-\u065f\u066e-\u06d3\u06d5-\u06ef\u06fa-\u06ff\u200c"
_HEBREW = "\u0591-\u05c7\u05d0-\u05f4"
_MARKS = "\u0591-\u05c7\u0610-\u061a\u064b-\u065f\u0670"
_TOKENS = re.compile(f"[{_ARABIC}]+|[{_HEBREW}]+|[^\\W\\d_\u0590-\u06ff]+|\\d+")
# Marks at the start of a right-to-left stretch of a line: pdftotext, which guesses where a
# right-to-left run ends, may give the run's last mark before its first letter.
_EDGE_MARKS = re.compile(
    f"(?<![{_ARABIC}{_HEBREW}])([{_MARKS}]+)"
    f"([{_ARABIC}{_HEBREW}](?:[{_ARABIC}{_HEBREW} ]*[{_ARABIC}{_HEBREW}])?)"
)


def tokens(text: str) -> list[str]:
    """The script runs of `text`, a mark pdftotext put at the wrong end of a run put back."""
    return _TOKENS.findall(_EDGE_MARKS.sub(r"\2\1", text))


def assert_all_drawn(drawn_strings: list[tuple[str, str]]) -> None:
    """Every character drawn has a glyph in the font drawing it; none is U+FFFD."""
    assert missing_glyphs(drawn_strings) == set()
    assert not any("\ufffd" in text for _, text in drawn_strings)


def assert_names_read_back(names: list[str], lines: list[str], where: str) -> int:
    """Each name is read back whole: as one string, or, where pdftotext's guess at the order
    of a line mixing directions differs from the Unicode algorithm (a digit, bracket or Latin
    word beside Arabic or Hebrew; a mark at the edge of a word), as every one of its script
    runs, letters and marks in order, on one line (or two, wrapped). Returns how many were
    read as one string (the callers check that at most a fifth needed the latter)."""
    text = " ".join(lines)
    # A name may wrap in a narrow cell: a line and the next are read together.
    line_tokens = [set(tokens(" ".join(lines[index : index + 2]))) for index in range(len(lines))]
    whole = [name for name in names if printed(name) in text]
    rest = [name for name in names if printed(name) not in text]
    lost = [name for name in rest
            if not any(set(tokens(printed(name))) <= found for found in line_tokens)]  # fmt: skip
    assert lost == [], f"{where}: {len(lost)} name(s) not read back, e.g. {lost[:5]}"
    return len(whole)


def test_the_corpus_covers_what_the_issue_asks_for() -> None:
    assert len(NAMES) >= 300
    assert len(set(NAMES)) == len(NAMES)
    text = "\n".join(NAMES)
    for needed in ("عبد الله", "عبدالله", "عبد اللّٰه", "فتح الله", "نصر الله", "لا", "لأ", "لإ",
                   "لآ", "ش", "ژ", "ڤ", "گ", "پ", "چ", "\u200c", "\u05bc", "׳",
                   "״", "־", "ז׳ורז׳", "צ׳רלי", "ג׳מיל", "Nour 2",
                   "Studio אורן 3", "٣", "۱", "،", "ـ"):  # fmt: skip
        assert needed in text, needed
    # A shadda with a vowel, typed in either order.
    assert re.search("\u0651[\u064b-\u0650]|[\u064b-\u0650]\u0651", text)
    assert sum(bool(re.search("[\u05b0-\u05c2]", name)) for name in NAMES) >= 25  # niqqud
    assert sum(bool(re.search("[\u064b-\u0652]", name)) for name in NAMES) >= 25  # harakat
    assert sum("الله" in name for name in NAMES) >= 25


RECEIPT_FIELDS = 5  # a receipt carries five texts a user writes: names go in all of them


def _receipt_with(names: list[str], locale: str, number: int, kind: str) -> ReceiptDocument:
    padded = [*names, *[""] * (RECEIPT_FIELDS - len(names))]
    donor, organisation, address, reference, method = padded
    document = receipt(locale)
    changes: dict[str, object] = {"kind": kind, "number": ReceiptNumber("N", 2025, number)}
    if kind == "credit":
        changes |= {"credits": ReceiptNumber("N", 2025, 9000 + number),
                    "credits_issued_on": date(2025, 7, 20)}  # fmt: skip
    return replace(
        document,
        donor=donor,
        organisation=replace(
            document.organisation, name=organisation or "Peace Coalition", address=address or None
        ),
        reference=reference or None,
        method=method or None,
        **changes,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("kind", ["donation", "credit"])
def test_receipts_print_every_name_whole(
    tmp_path: Path, kind: str, drawn_strings: list[tuple[str, str]]
) -> None:
    # Five names a receipt (its donor, the organisation's name and address, the reference,
    # the payment method), the language turning he, ar, en, and another turn for credits.
    shift = 0 if kind == "donation" else 1
    whole = 0
    for number, start in enumerate(range(0, len(NAMES), RECEIPT_FIELDS)):
        names = NAMES[start : start + RECEIPT_FIELDS]
        locale = LOCALES[(number + shift) % len(LOCALES)]
        path = tmp_path / f"{number}.pdf"
        assert write_receipt_pdf(_receipt_with(names, locale, number + 1, kind), path) == set()
        whole += assert_names_read_back(names, read_back(path),
                                        f"{kind} receipt {number} ({locale})")  # fmt: skip
    assert whole >= 0.8 * len(NAMES)
    assert_all_drawn(drawn_strings)


def _statement(donor: str, campaigns: list[str]) -> DonorStatement:
    lines = tuple(
        StatementLine(donation_id=number, date=date(2025, 1, 1) + timedelta(days=number % 365),
                      campaign=campaign, amount=Money("100.00", "USD"),
                      home=Money("337.60", "ILS"), reporting=Money("100.00", "USD"),
                      receipt=ReceiptNumber("R", 2025, number + 1), anonymous=False)
        for number, campaign in enumerate(campaigns)
    )  # fmt: skip
    return DonorStatement(
        year=2025, organisation=Organisation("ائتلاف السلام", None, None, None, None, None),
        donor_id=7, donor=donor, donor_email=None, lines=lines,
        total_home=Money("337.60", "ILS") * len(lines),
        total_reporting=Money("100.00", "USD") * len(lines), max_rate_age_days=7,
    )  # fmt: skip


@pytest.mark.parametrize("locale", LOCALES)
def test_a_statement_prints_every_name_whole(
    tmp_path: Path, locale: str, drawn_strings: list[tuple[str, str]]
) -> None:
    # Every name in the campaign column, one as the donor (heading and page footers).
    donor = NAMES[LOCALES.index(locale)]
    path = tmp_path / "statement.pdf"
    assert write_statement_pdf(_statement(donor, NAMES), Reader(locale), path) == set()
    whole = assert_names_read_back([donor, *NAMES], read_back(path), f"statement ({locale})")
    assert whole >= 0.8 * len(NAMES)
    assert_all_drawn(drawn_strings)


@pytest.mark.parametrize("locale", LOCALES)
def test_a_campaign_summary_prints_every_name_whole(
    tmp_path: Path, locale: str, drawn_strings: list[tuple[str, str]]
) -> None:
    # Every name on the honour roll and as a payment method; one as the campaign (title,
    # header, footers) and one as the organisation.
    base = year_long_summary()
    home, reporting = Money.parse("180.00", "ILS"), Money.parse("53.32", "USD")
    campaign, organisation = NAMES[3 + LOCALES.index(locale)], NAMES[-1 - LOCALES.index(locale)]
    summary = replace(
        base,
        campaign=replace(base.campaign, name=campaign),
        top_donors=tuple(DonorLine(name, 1, home, reporting) for name in NAMES),
        by_method=tuple(replace(base.by_method[0], method=name) for name in NAMES[:40]),
        by_day=base.by_day[:3],
        by_week=base.by_week[:1],
    )
    path = tmp_path / "summary.pdf"
    options = ReportOptions(7, organisation=organisation)
    assert write_campaign_pdf(summary, Reader(locale), path, options) == set()
    whole = assert_names_read_back([campaign, organisation, *NAMES], read_back(path),
                                   f"campaign summary ({locale})")  # fmt: skip
    assert whole >= 0.8 * len(NAMES)
    assert_all_drawn(drawn_strings)
