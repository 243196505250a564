"""The campaign summary as the JSON of shared/design.md §4. Amounts are decimal strings."""

from __future__ import annotations

from datetime import date
from typing import Any

from fundledger.domain.money import Money
from fundledger.reports.json_text import json_text
from fundledger.services.reports import CampaignSummary


def amount_text(money: Money) -> str:
    return format(money.quantized(), "f")


def _amount_or_none(money: Money | None) -> str | None:
    return amount_text(money) if money is not None else None


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None


def summary_json(summary: CampaignSummary) -> str:
    """The text of `report campaign --format json`, ending in a newline: what the web's
    summary.json serves too, byte for byte."""
    return json_text(summary_to_dict(summary)) + "\n"


def summary_to_dict(summary: CampaignSummary) -> dict[str, Any]:
    """The keys of design.md §4, then those a summary has only sometimes: "period" (a
    report limited to gifts dated within it) and "by_campaign" (the summary of all)."""
    home = summary.home_currency.lower()
    reporting = summary.reporting_currency.lower()
    found = _contract(summary, home, reporting)
    if summary.period is not None:
        found["period"] = {"from": summary.period.start.isoformat(),
                           "to": summary.period.end.isoformat()}  # fmt: skip
    if not summary.campaign.slug:  # all campaigns together
        found["by_campaign"] = [
            {
                "slug": line.campaign.slug,
                "name": line.campaign.name,
                "count": line.gifts,
                home: _amount_or_none(line.home),
                reporting: _amount_or_none(line.reporting),
                "goal": _amount_or_none(line.campaign.goal),
                "goal_currency": line.campaign.goal.currency if line.campaign.goal else None,
                "goal_progress": str(line.progress) if line.progress is not None else None,
                "first_gift": _iso(line.first_gift),
                "last_gift": _iso(line.last_gift),
            }
            for line in summary.by_campaign
        ]
    return found


def _contract(summary: CampaignSummary, home: str, reporting: str) -> dict[str, Any]:
    campaign = summary.campaign
    return {
        "campaign": {
            "slug": campaign.slug,
            "name": campaign.name,
            "start": campaign.start.isoformat() if campaign.start else None,
            "end": campaign.end.isoformat() if campaign.end else None,
            "partner": campaign.partner,
            # Its names in report languages, where it has its own (a document uses them).
            "names": dict(sorted(campaign.names.items())),
            "goal": (
                {"amount": amount_text(campaign.goal), "currency": campaign.goal.currency}
                if campaign.goal
                else None
            ),
        },
        "home_currency": summary.home_currency,
        "reporting_currency": summary.reporting_currency,
        "donation_count": summary.donation_count,
        "donor_count": summary.donor_count,
        "anonymous_count": summary.anonymous_count,
        f"total_{home}": amount_text(summary.total_home),
        f"total_{reporting}": amount_text(summary.total_reporting),
        "method": summary.method,
        "exact": {
            f"total_{home}": amount_text(summary.exact.home),
            f"total_{reporting}": amount_text(summary.exact.reporting),
            "method": summary.exact.method,
        },
        "fixed_rate": (
            {
                "rate": str(summary.headline.rate),
                f"total_{reporting}": amount_text(summary.headline.total_reporting),
                "method": f"total {summary.home_currency} × fixed rate, rounded half-up once",
            }
            if summary.headline
            else None
        ),
        "by_currency": {
            line.currency: {
                "count": line.count,
                "amount": amount_text(line.amount),
                home: amount_text(line.home),
                reporting: amount_text(line.reporting),
            }
            for line in summary.by_currency
        },
        "by_day": [
            {
                "date": line.date.isoformat(),
                "count": line.count,
                home: amount_text(line.home),
                reporting: amount_text(line.reporting),
            }
            for line in summary.by_day
        ],
        "first_gift": _iso(summary.first_gift),
        "last_gift": _iso(summary.last_gift),
        "average_gift": _amount_or_none(summary.average_gift),
        "median_gift": _amount_or_none(summary.median_gift),
        "goal_progress": str(summary.goal_progress) if summary.goal_progress is not None else None,
        "by_week": [
            {
                "week_start": line.date.isoformat(),
                "count": line.count,
                home: amount_text(line.home),
                reporting: amount_text(line.reporting),
            }
            for line in summary.by_week
        ],
        "by_method": [
            {
                "method": line.method,
                "count": line.count,
                home: amount_text(line.home),
                reporting: amount_text(line.reporting),
            }
            for line in summary.by_method
        ],
        "gift_sizes": [
            {
                "from": amount_text(band.low),
                "below": _amount_or_none(band.high),
                "count": band.count,
                home: amount_text(band.home),
                reporting: amount_text(band.reporting),
            }
            for band in summary.sizes
        ],
        "top_donors": [
            {
                "name": line.name,
                "count": line.count,
                home: amount_text(line.home),
                reporting: amount_text(line.reporting),
            }
            for line in summary.top_donors
        ],
        "rates": {
            "source": list(summary.rates.sources),
            "pairs": list(summary.rates.pairs),
            "first_date": summary.rates.first_date.isoformat()
            if summary.rates.first_date
            else None,
            "last_date": summary.rates.last_date.isoformat() if summary.rates.last_date else None,
        },
    }
