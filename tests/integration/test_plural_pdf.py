"""Counts in the PDFs agree with their nouns in each language, read back from the real files:
"1 gift" in a statement's total row, "1" over "Anonymous gift" among a summary's key figures,
a rate "no more than 1 day old"."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Engine

from fundledger.reports.i18n import Reader
from fundledger.reports.pdf.campaign import ReportOptions, write_campaign_pdf
from fundledger.reports.pdf.statement import write_statement_pdf
from fundledger.services.campaigns import add_campaign
from fundledger.services.reports import CampaignSummary, campaign_summary
from tests.integration.test_statement_pdf import statement
from tests.ledger_helpers import gift, rates, run
from tests.pdf_helpers import pdf_text


@pytest.fixture
def database_kind() -> str:
    # The counts come from the summary dataclass, whose SQL is tested on both databases in
    # test_campaign_report.py; here the words matter.
    return "sqlite"


def words(path: Path) -> str:
    """The PDF's text in reading order, on one line (Hebrew and Arabic come back from
    pdftotext in logical order, Arabic's presentation forms folded by NFKC)."""
    return " ".join(pdf_text(path, layout=False).split())


def squeezed(text: str) -> str:
    """Text to search for words in: pdftotext wraps right-to-left runs and their numbers in
    embedding marks and moves the space beside a number; the PDF draws Arabic without its
    vowel marks (the tanwin of "تبرّعًا"). So no marks, no spaces."""
    return re.sub("[\u064b-\u0652\u202a-\u202e\\s]", "", text)


def one_of_each(ledger: Engine) -> CampaignSummary:
    """One gift, anonymous, on one day: every count of the key figures is 1 but the donors'."""
    run(ledger, lambda s, c: add_campaign(s, c, slug="vigil", name="Vigil"))
    rates(ledger, "2025-06-30 USD ILS 3.376")
    gift(ledger, "2025-07-01 180.00 ILS", slug="vigil", donor="Secret Sam", anonymous=True)
    return run(ledger, lambda s, c: campaign_summary(s, c, "vigil", None))


# The key figures' labels for 1 gift, 0 donors, 1 anonymous gift, 1 day of giving, and the
# age of a rate of 1 day, as each language says them.
ONE = {
    "en": ("Gift", "Donors", "Anonymous gift", "Day of giving", "no more than 1 day old"),
    "he": ("תרומה", "תורמים", "תרומה בעילום שם", "יום תרומה", "ובלבד שגילו אינו עולה על יום אחד"),
    "ar": ("تبرع", "متبرعين", "تبرع دون ذكر الاسم", "يوم تبرع", "على ألا يزيد عمره عن يوم واحد"),
}


@pytest.mark.parametrize("locale", ["en", "he", "ar"])
def test_the_key_figures_agree_with_their_numbers(
    ledger_engine: Engine, tmp_path: Path, locale: str
) -> None:
    path = tmp_path / f"one-{locale}.pdf"
    write_campaign_pdf(one_of_each(ledger_engine), Reader(locale), path,
                       ReportOptions(max_rate_age_days=1))  # fmt: skip
    text = words(path)
    for label in ONE[locale]:
        assert squeezed(label) in squeezed(text), (label, text)
    if locale == "en":
        assert not re.search(r"\b1 (Gifts|Anonymous gifts|Days of giving)\b", text)
        assert "1 days" not in text
    else:  # the plural label does not appear next to a figure of 1
        plural = Reader(locale).npgettext("key figure", "Anonymous gift", "Anonymous gifts", 5)
        assert squeezed(plural) not in squeezed(text)


def test_english_key_figures_read_one_over_its_singular(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    path = tmp_path / "one.pdf"
    write_campaign_pdf(one_of_each(ledger_engine), Reader("en"), path,
                       ReportOptions(max_rate_age_days=7))  # fmt: skip
    layout = pdf_text(path)
    lines = layout.splitlines()
    labels = next(index for index, line in enumerate(lines) if "Anonymous gift" in line)
    # Each figure stands over its label, in the same order: 1 Gift, 0 Donors, 1 Anonymous
    # gift, and the last: 1 Day of giving.
    assert lines[labels - 1].split() == ["1", "0", "1", "₪180.00", "₪180.00", "1"], layout
    assert lines[labels].split() == ["Gift", "Donors", "Anonymous", "gift", "Average", "gift",
                                     "Median", "gift", "Day", "of", "giving"]  # fmt: skip
    assert "no more than 7 days old" in " ".join(layout.split())


@pytest.mark.parametrize(
    ("locale", "gifts", "said"),
    [
        ("en", 1, "1 gift"), ("en", 2, "2 gifts"), ("en", 11, "11 gifts"),
        ("he", 1, "תרומה אחת"), ("he", 2, "שתי תרומות"), ("he", 3, "3 תרומות"),
        ("ar", 1, "تبرع واحد"), ("ar", 2, "تبرعان"), ("ar", 3, "3 تبرعات"),
        ("ar", 11, "11 تبرعا"),
    ],
)  # fmt: skip
def test_the_statement_counts_its_gifts_in_words_that_agree(
    tmp_path: Path, locale: str, gifts: int, said: str
) -> None:
    path = tmp_path / f"statement-{locale}-{gifts}.pdf"
    write_statement_pdf(replace(statement(gifts), max_rate_age_days=2), Reader(locale), path)
    text = squeezed(words(path))
    assert squeezed(said) in text, text
    age = {"en": "no more than 2 days old", "he": "ובלבד שגילו אינו עולה על יומיים",
           "ar": "وبما لا يزيد عمره عن يومين"}[locale]  # fmt: skip
    assert squeezed(age) in text, text


def test_a_total_of_one_gift_is_not_gifts(tmp_path: Path) -> None:
    path = tmp_path / "one.pdf"
    write_statement_pdf(statement(1), Reader("en"), path)
    text = words(path)
    assert "1 gift " in text + " "
    assert "1 gifts" not in text
