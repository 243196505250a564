"""The campaign summary PDF, read back: its text (pdftotext) in each language, the glyphs it
draws, and what it must never show. Layout is checked by eye on the PNGs of `make demo`."""

from __future__ import annotations

import http.server
import threading
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from reportlab import rl_config
from reportlab.lib.utils import open_for_read
from sqlalchemy import Engine

from fundledger.domain.money import Money
from fundledger.domain.rates import FixedRate
from fundledger.reports.i18n import LOCALES, Reader
from fundledger.reports.pdf.campaign import ReportOptions, write_campaign_pdf
from fundledger.reports.pdf.fonts import covered
from fundledger.services.campaigns import add_campaign
from fundledger.services.reports import CampaignSummary, campaign_summary
from tests.ledger_helpers import gift, rates, run
from tests.pdf_helpers import missing_glyphs, pdf_text

OPTIONS = ReportOptions(max_rate_age_days=7)
NAMED = ["Noa Cohen", "Ahmad Haddad", "Ali <b>Bold</b> & Co", "נועה לוי", "رانيا خوري"]
HIDDEN = "Secret Sam"  # gives only anonymously: must never appear


@pytest.fixture
def database_kind() -> str:
    # The PDF is drawn from the summary dataclass, whose SQL runs on both databases in
    # tests/integration/test_campaign_report.py; here one database is enough.
    return "sqlite"


@pytest.fixture
def summary(ledger_engine: Engine) -> CampaignSummary:
    run(ledger_engine, lambda s, c: add_campaign(
        s, c, slug="dont-look-away", name="Don't Look Away", goal=Money.parse("20000", "ILS"),
        partner="Arava Institute"))  # fmt: skip
    rates(ledger_engine, "2025-06-30 USD ILS 3.376", "2025-06-30 EUR ILS 3.9876")
    amounts = ["1800.00", "1000.00", "360.00", "250.00", "180.00"]
    for name, amount in zip(NAMED, amounts, strict=True):
        gift(ledger_engine, f"2025-07-01 {amount} ILS", donor=name)
    gift(ledger_engine, "2025-07-02 100.00 USD", donor="Noa Cohen")
    gift(ledger_engine, "2025-07-03 50.00 EUR", donor="Ahmad Haddad")
    gift(ledger_engine, "2025-07-03 5000.00 ILS", donor=HIDDEN, anonymous=True)
    gift(ledger_engine, "2025-07-04 72.50 ILS")
    headline = FixedRate.parse("1 ILS = 0.2911 USD", "ILS", "USD")
    return run(ledger_engine, lambda s, c: campaign_summary(s, c, "dont-look-away", headline))


@pytest.mark.parametrize("locale", LOCALES)
def test_the_pdf_states_the_totals_the_campaign_and_the_named_donors(
    summary: CampaignSummary, tmp_path: Path, locale: str
) -> None:
    path = tmp_path / f"summary-{locale}.pdf"
    write_campaign_pdf(summary, Reader.for_locale(locale), path, OPTIONS)
    text = pdf_text(path)
    # ILS 3,590 named + 5,000 anonymous + 72.50; USD 100 × 3.376; EUR 50 × 3.9876.
    assert summary.total_home == Money.parse("9199.48", "ILS")
    assert summary.headline is not None
    assert summary.headline.total_reporting == Money.parse("2677.97", "USD")
    total_usd = f"{summary.total_reporting.amount:,}"
    # 2,137.60: Noa Cohen on the honour roll (ILS 1,800 + USD 100).
    for figure in ("9,199.48", total_usd, "2,677.97", "0.2911", "2,137.60"):
        assert figure in text, figure
    assert "Don't Look Away" in text
    for name in ("Noa Cohen", "Ahmad Haddad", "Ali <b>Bold</b> & Co"):
        assert name in text, name
    assert HIDDEN not in text
    assert "Secret" not in text
    assert "Arava Institute" in text
    assert len(PdfReader(path).pages) == 2


def test_english_page_numbers_and_the_rate_note(summary: CampaignSummary, tmp_path: Path) -> None:
    path = tmp_path / "summary.pdf"
    write_campaign_pdf(summary, Reader("en"), path, OPTIONS)
    text = " ".join(pdf_text(path).split())
    assert "Page 1 of 2" in text
    assert "Page 2 of 2" in text
    assert "1 ILS = 0.2911 USD" in text
    assert "no more than 7 days old" in text
    assert "published by the Bank of Israel" not in text  # these rates were entered by hand
    assert "the treasurer (entered by hand)" in text


def test_the_pdf_records_its_language_and_title(summary: CampaignSummary, tmp_path: Path) -> None:
    path = tmp_path / "summary.pdf"
    write_campaign_pdf(summary, Reader("he"), path, OPTIONS)
    reader = PdfReader(path)
    assert reader.metadata is not None
    assert reader.metadata.title == "Don't Look Away: סיכום קמפיין"
    catalog: Any = reader.trailer["/Root"]
    assert catalog["/Lang"] == "he"
    assert catalog["/ViewerPreferences"]["/Direction"] == "/R2L"


def test_the_same_summary_gives_the_same_bytes(summary: CampaignSummary, tmp_path: Path) -> None:
    first, second = tmp_path / "a.pdf", tmp_path / "b.pdf"
    write_campaign_pdf(summary, Reader("ar"), first, OPTIONS)
    write_campaign_pdf(summary, Reader("ar"), second, OPTIONS)
    assert first.read_bytes() == second.read_bytes()


@pytest.mark.parametrize("locale", LOCALES)
def test_every_character_drawn_has_a_glyph_in_its_font(
    summary: CampaignSummary, tmp_path: Path, locale: str, drawn_strings: list[tuple[str, str]]
) -> None:
    write_campaign_pdf(summary, Reader(locale), tmp_path / "summary.pdf", OPTIONS)
    assert len(drawn_strings) > 100
    assert missing_glyphs(drawn_strings) == set()


def test_a_character_no_font_has_is_shown_as_a_mark_and_reported(
    ledger_engine: Engine, tmp_path: Path, drawn_strings: list[tuple[str, str]]
) -> None:
    run(ledger_engine, lambda s, c: add_campaign(s, c, slug="c", name="Gifts 中"))
    rates(ledger_engine, "2025-06-30 USD ILS 3.376")
    gift(ledger_engine, "2025-07-01 10.00 ILS", slug="c", donor="王 Wang")
    found = run(ledger_engine, lambda s, c: campaign_summary(s, c, "c"))
    undrawable = write_campaign_pdf(found, Reader("en"), tmp_path / "c.pdf", OPTIONS)
    assert undrawable == {"中", "王"}
    text = pdf_text(tmp_path / "c.pdf")
    assert "\ufffd Wang" in text
    assert "Gifts \ufffd" in text
    assert all(ord(character) in covered(font) for font, drawn in drawn_strings
               for character in drawn)  # fmt: skip


def test_no_pdf_build_reads_a_url(monkeypatch: pytest.MonkeyPatch) -> None:
    """reports/pdf/document.py trusts no URL scheme or host; a server that records what it is
    asked for shows that nothing reaches it, and that it would see a request if ReportLab
    were told to trust it (so the first half can fail)."""
    requests: list[str] = []

    class Recorder(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"GIF89a")

    server = http.server.HTTPServer(("127.0.0.1", 0), Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/logo.gif"
    try:
        with pytest.raises(OSError, match="Cannot open resource"):
            open_for_read(url)
        assert requests == []
        monkeypatch.setattr(rl_config, "trustedHosts", [f"127.0.0.1:{server.server_port}"])
        monkeypatch.setattr(rl_config, "trustedSchemes", ["http"])
        assert open_for_read(url).read() == b"GIF89a"
    finally:
        server.shutdown()
    assert requests == ["/logo.gif"]


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_a_campaign_without_gifts_still_gets_its_summary(
    ledger_engine: Engine, tmp_path: Path, locale: str
) -> None:
    run(ledger_engine, lambda s, c: add_campaign(s, c, slug="new", name="Just Started"))
    found = run(ledger_engine, lambda s, c: campaign_summary(s, c, "new"))
    assert write_campaign_pdf(found, Reader(locale), tmp_path / "new.pdf", OPTIONS) == set()
    text = pdf_text(tmp_path / "new.pdf")
    assert "Just Started" in text
    assert "0.00" in text
    if locale == "en":
        assert "No gifts have been recorded yet." in text


def test_the_organisation_heads_the_page_and_signs_the_footer(
    summary: CampaignSummary, tmp_path: Path
) -> None:
    options = ReportOptions(max_rate_age_days=7, organisation="Peace Coalition")
    write_campaign_pdf(summary, Reader("en"), tmp_path / "signed.pdf", options)
    pages = pdf_text(tmp_path / "signed.pdf").split("\f")
    assert pages[0].lstrip().startswith("Peace Coalition · Campaign summary")
    assert all("Peace Coalition · Don't Look Away" in page for page in pages if page.strip())
