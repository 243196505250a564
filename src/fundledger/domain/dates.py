"""Calendar dates as the ledger writes them: ISO 8601, YYYY-MM-DD and nothing else."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def iso_date(text: str) -> date:
    """YYYY-MM-DD only: Python 3.11 would also take 20250703 or 2025-W27-4. Raises ValueError."""
    cleaned = text.strip()
    if not _ISO_DATE.fullmatch(cleaned):
        raise ValueError(cleaned)
    return date.fromisoformat(cleaned)


# A donation's date, and a receipt's, is the calendar date in Israel.
ISRAEL = ZoneInfo("Asia/Jerusalem")


def today_in_israel() -> date:
    return datetime.now(ISRAEL).date()
