"""Ledger settings that rules depend on. Values here are defaults, never literals elsewhere."""

from __future__ import annotations

from dataclasses import dataclass

# The languages reports are written in (each has a gettext catalog, en being the source).
REPORT_LOCALES = ("en", "he", "ar")


@dataclass(frozen=True, slots=True)
class LedgerSettings:
    home_currency: str = "ILS"
    reporting_currency: str = "USD"
    # Bank of Israel publishes on business days only; long holidays leave gaps of up to ~5 days.
    max_rate_age_days: int = 7
    # When several sources publish a rate for the same date by the same method.
    rate_source_priority: tuple[str, ...] = ("BOI", "ECB", "manual")
