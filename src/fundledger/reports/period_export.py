"""The accountant's export of a period as JSON and CSV: a row per gift or reversal, and (JSON)
the period's totals. Amounts are decimal strings; CSV is formula-safe (see `csv_output`)."""

from __future__ import annotations

from typing import Any, TextIO

from fundledger.reports.csv_output import write_csv
from fundledger.reports.summary_json import amount_text
from fundledger.services.period_export import ExportedGift, PeriodExport


def gift_columns(export: PeriodExport) -> tuple[str, ...]:
    home, reporting = export.home_currency.lower(), export.reporting_currency.lower()
    return (
        "id", "date", "campaign", "donor", "anonymous", "reference", "method", "amount",
        "currency", home, reporting, "rates", "rate_dates", "rate_sources", "receipt",
        "reverses", "reversed_by", "corrects", "note",
    )  # fmt: skip


def gift_row(gift: ExportedGift, export: PeriodExport) -> dict[str, Any]:
    return {
        "id": gift.id,
        "date": gift.date.isoformat(),
        "campaign": gift.campaign,
        "donor": gift.donor,
        "anonymous": gift.anonymous,
        "reference": gift.reference,
        "method": gift.method,
        "amount": amount_text(gift.amount),
        "currency": gift.amount.currency,
        export.home_currency.lower(): amount_text(gift.home),
        export.reporting_currency.lower(): amount_text(gift.reporting),
        "rates": gift.rates,
        "rate_dates": " ".join(day.isoformat() for day in gift.rate_dates),
        "rate_sources": " ".join(gift.rate_sources),
        "receipt": gift.receipt,
        "reverses": gift.reverses,
        "reversed_by": gift.reversed_by,
        "corrects": gift.corrects,
        "note": gift.note,
    }


def export_to_dict(export: PeriodExport) -> dict[str, Any]:
    home, reporting = export.home_currency.lower(), export.reporting_currency.lower()
    return {
        "period": {"from": export.period.start.isoformat(), "to": export.period.end.isoformat()},
        "campaign": export.campaign,
        "home_currency": export.home_currency,
        "reporting_currency": export.reporting_currency,
        "entries": len(export.gifts),
        # The gifts a report counts; their totals are the report's (reversal pairs net to 0).
        "donation_count": export.counted,
        f"total_{home}": amount_text(export.total_home),
        f"total_{reporting}": amount_text(export.total_reporting),
        "gifts": [gift_row(gift, export) for gift in export.gifts],
    }


def write_export_csv(stream: TextIO, export: PeriodExport, *, excel: bool = False) -> None:
    write_csv(stream, [gift_row(gift, export) for gift in export.gifts], gift_columns(export),
              excel=excel)  # fmt: skip
