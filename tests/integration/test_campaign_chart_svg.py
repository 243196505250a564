"""The campaign page's chart (reports/chart_svg.py) from a campaign's summary, in each report
language: the PDF's chart with the same words, as SVG; on both databases."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest
from sqlalchemy import Engine

from fundledger.reports.chart_svg import SVG_NAMESPACE, campaign_chart_svg
from fundledger.reports.i18n import LOCALES, Reader
from tests.ledger_helpers import campaign, gift, rates, summary

NS = f"{{{SVG_NAMESPACE}}}"


@pytest.mark.parametrize("locale", LOCALES)
def test_the_chart_has_a_bar_a_day_and_the_reports_words(ledger_engine: Engine, locale: str
                                                         ) -> None:  # fmt: skip
    campaign(ledger_engine)
    rates(ledger_engine, "2025-07-03 USD ILS 3.376")
    for line in ("2025-07-03 100.00 USD", "2025-07-03 50.00 ILS", "2025-07-05 250.00 ILS"):
        gift(ledger_engine, line, donor="Dana Levi")
    root = ElementTree.fromstring(  # noqa: S314 (our own output)
        campaign_chart_svg(summary(ledger_engine), locale)
    )
    reader = Reader.for_locale(locale)
    title = root.find(f"{NS}title")
    assert title is not None
    assert title.text == reader._("Money raised over time, in {currency}").format(
        currency=reader.currency_name("ILS", plural=True))  # fmt: skip
    labels = {element.text for element in root.iter(f"{NS}text")}
    assert {reader._("Given per day"), reader._("Total raised so far")} <= labels
    # A bar for each day with gifts (07-03: 337.60 + 50 ILS, 07-05: 250 ILS), and the legend's
    # swatch.
    bars = list(root.iter(f"{NS}rect"))
    assert len(bars) == 3
    heights = sorted(float(bar.get("height", "0")) for bar in bars[:2])
    assert heights[1] / heights[0] == pytest.approx(387.60 / 250, rel=1e-3)
    assert root.get("lang") == locale
    assert all((element.get("direction") == "rtl") == reader.rtl
               for element in root.iter(f"{NS}text"))  # fmt: skip
