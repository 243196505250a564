"""The campaign summary as one CSV table: a row per line of every breakdown, tagged with its
section, so a spreadsheet can filter or pivot it. Formula-safe (see `csv_output`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, TextIO

from fundledger.reports.csv_output import write_csv
from fundledger.reports.summary_json import amount_text
from fundledger.services.reports import CampaignSummary

COLUMNS = ("section", "key", "count", "amount", "currency", "home", "reporting")


def write_summary_csv(stream: TextIO, summary: CampaignSummary, *, excel: bool = False) -> None:
    """Columns: section, key, count, amount and currency (of the original gifts, where they
    differ from the home currency), home and reporting (converted totals). `excel`: the
    flavour for a spreadsheet (`csv_output`)."""
    write_csv(stream, _rows(summary), COLUMNS, excel=excel)


def _rows(summary: CampaignSummary) -> Iterator[dict[str, Any]]:
    def line(section: str, key: object, count: int | None, home: Any, reporting: Any,
             **extra: Any) -> dict[str, Any]:  # fmt: skip
        return {"section": section, "key": key, "count": count,
                "home": amount_text(home) if home is not None else None,
                "reporting": amount_text(reporting) if reporting is not None else None,
                **extra}  # fmt: skip

    if summary.period is not None:
        yield line("period", f"{summary.period.start.isoformat()}/{summary.period.end.isoformat()}",
                   None, None, None)  # fmt: skip
    yield line("total", f"{summary.home_currency}/{summary.reporting_currency}",
               summary.donation_count, summary.total_home, summary.total_reporting)  # fmt: skip
    yield line("exact_total", f"{summary.home_currency}/{summary.reporting_currency}",
               summary.donation_count, summary.exact.home, summary.exact.reporting)  # fmt: skip
    if summary.headline is not None:
        yield line("fixed_rate", str(summary.headline.rate), None, summary.total_home,
                   summary.headline.total_reporting)  # fmt: skip
    yield line("donors", "named", summary.donor_count, None, None)
    yield line("donors", "anonymous_gifts", summary.anonymous_count, None, None)
    for currency in summary.by_currency:
        yield line("by_currency", currency.currency, currency.count, currency.home,
                   currency.reporting, amount=amount_text(currency.amount),
                   currency=currency.currency)  # fmt: skip
    for day in summary.by_day:
        yield line("by_day", day.date.isoformat(), day.count, day.home, day.reporting)
    for week in summary.by_week:
        yield line("by_week", week.date.isoformat(), week.count, week.home, week.reporting)
    for method in summary.by_method:
        yield line("by_method", method.method or "", method.count, method.home, method.reporting)
    for band in summary.sizes:
        high = amount_text(band.high) if band.high is not None else ""
        yield line("gift_size", f"{amount_text(band.low)}-{high}", band.count, band.home,
                   band.reporting)  # fmt: skip
    for donor in summary.top_donors:
        yield line("top_donor", donor.name, donor.count, donor.home, donor.reporting)
    for total in summary.by_campaign:
        yield line("by_campaign", total.campaign.slug, total.gifts, total.home, total.reporting)
