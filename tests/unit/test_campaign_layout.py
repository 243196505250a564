"""The summary PDF of a very large campaign: a year is tabled by month, not in 53 weekly rows,
and figures in the billions are set smaller rather than broken."""

from __future__ import annotations

import subprocess
from datetime import date, timedelta
from pathlib import Path

from pypdf import PdfReader

from fundledger.domain.money import Money
from fundledger.reports.i18n import Reader
from fundledger.reports.pdf.campaign import ReportOptions, write_campaign_pdf
from fundledger.services.campaigns import CampaignInfo
from fundledger.services.reports import (
    CampaignSummary,
    CurrencyLine,
    DayLine,
    DonorLine,
    ExactTotal,
    MethodLine,
    RatesUsed,
)
from tests.system_tools import require_tool


def ils(amount: str) -> Money:
    return Money.parse(amount, "ILS")


def usd(amount: str) -> Money:
    return Money.parse(amount, "USD")


def year_long_summary() -> CampaignSummary:
    days = [date(2025, 1, 1) + timedelta(days=offset) for offset in range(362)]
    weeks = sorted({day - timedelta(days=(day.weekday() + 1) % 7) for day in days})
    return CampaignSummary(
        campaign=CampaignInfo(id=1, slug="big", name="A Very Large Campaign",
                              goal=ils("6000000000"), start=None, end=None, partner=None),
        home_currency="ILS",
        reporting_currency="USD",
        donation_count=1_000_000,
        donor_count=50_000,
        anonymous_count=59_822,
        total_home=ils("5177822955.46"),
        total_reporting=usd("1500054390.42"),
        headline=None,
        by_currency=(CurrencyLine("ILS", 1_000_000, ils("5177822955.46"),
                                  ils("5177822955.46"), usd("1500054390.42")),),
        by_day=tuple(DayLine(day, 2762, ils("14303378.33"), usd("4143796.66")) for day in days),
        rates=RatesUsed(("ECB",), date(2024, 12, 31), date(2025, 12, 26), ("USD/ILS",)),
        exact=ExactTotal(ils("5177822955.46"), usd("1500054389.97")),
        by_week=tuple(DayLine(week, 19230, ils("99573518.37"), usd("28847199.82"))
                      for week in weeks),
        by_method=(MethodLine("card", 1_000_000, ils("5177822955.46"), usd("1500054390.42")),),
        top_donors=(DonorLine("Rania Khoury 4242", 40, ils("242489.87"), usd("69634.49")),),
        average_gift=ils("5177.82"),
        median_gift=ils("3529.40"),
    )  # fmt: skip


def test_a_year_is_tabled_by_month_and_big_figures_stay_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.pdf"
    write_campaign_pdf(year_long_summary(), Reader("en"), path, ReportOptions(7))
    pages = PdfReader(path).pages
    assert len(pages) == 2
    pdftotext = require_tool("pdftotext")
    text = subprocess.run([pdftotext, "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout  # fmt: skip
    assert "₪5,177,822,955.46" in text.split("\f")[0]
    assert "1,000,000" in text.split("\f")[0]
    assert "Week of" not in text
    detail = text.split("\f")[1]
    assert "By month" in detail
    # December 2025: 28 days (to the 28th), each of 2,762 gifts, ₪14,303,378.33, $4,143,796.66.
    december = next(line for line in detail.splitlines() if "December 2025" in line)
    assert december.split() == ["December", "2025", "77,336", "₪400,494,593.24",
                                "$116,026,306.48"]  # fmt: skip


def test_long_names_many_methods_and_a_single_day_still_lay_out(tmp_path: Path) -> None:
    day = date(2025, 7, 3)
    long_name = "קרן " + "Very-Long-Family-Foundation-Name-Without-Spaces" * 4
    summary = CampaignSummary(
        campaign=CampaignInfo(id=1, slug="x", name="A campaign whose name is long enough to "
                              "need two lines at the size of a title " * 2, goal=None,
                              start=day, end=day, partner="שותף " * 30),
        home_currency="ILS",
        reporting_currency="USD",
        donation_count=40,
        donor_count=1,
        anonymous_count=0,
        total_home=ils("4000.00"),
        total_reporting=usd("1184.83"),
        headline=None,
        by_currency=(CurrencyLine("ILS", 40, ils("4000.00"), ils("4000.00"), usd("1184.83")),),
        by_day=(DayLine(day, 40, ils("4000.00"), usd("1184.83")),),
        rates=RatesUsed(("manual",), day, day, ("USD/ILS",)),
        exact=ExactTotal(ils("4000.00"), usd("1184.83")),
        by_week=(DayLine(date(2025, 6, 29), 40, ils("4000.00"), usd("1184.83")),),
        by_method=tuple(MethodLine(f"method {number} " + "x" * 20, 1, ils("100.00"),
                                   usd("29.62")) for number in range(40)),
        top_donors=(DonorLine(long_name, 40, ils("4000.00"), usd("1184.83")),),
        average_gift=ils("100.00"),
        median_gift=ils("100.00"),
    )  # fmt: skip
    for locale in ("en", "he", "ar"):
        path = tmp_path / f"odd-{locale}.pdf"
        assert write_campaign_pdf(summary, Reader(locale), path, ReportOptions(7)) == set()
        pages = PdfReader(path).pages
        assert len(pages) >= 2
        # The footer's long campaign name is cut short before it reaches the page number.
        assert "…" in pages[0].extract_text()
