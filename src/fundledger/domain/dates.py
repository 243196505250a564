"""Calendar dates as the ledger writes them: ISO 8601, YYYY-MM-DD and nothing else.

One grammar everywhere (`donation add`, imports, rate files, settings): a date is YYYY-MM-DD,
and a donation file may also give a moment, YYYY-MM-DD followed by a time of day and
optionally a zone, whose date in Israel is taken. Python 3.11's `fromisoformat` alone would
also take 20250703 or 2025-W27-4, which no person writes for a gift."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_MOMENT = re.compile(
    r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,6})?)?(?:Z|[+-]\d{2}:?\d{2})?"
)

# A donation's date, and a receipt's, is the calendar date in Israel.
ISRAEL = ZoneInfo("Asia/Jerusalem")

# No gift or rate of a ledger kept today is older than this.
EARLIEST = date(1900, 1, 1)


def iso_date(text: str) -> date:
    """YYYY-MM-DD only. Raises ValueError."""
    cleaned = text.strip()
    if not _ISO_DATE.fullmatch(cleaned):
        raise ValueError(cleaned)
    return date.fromisoformat(cleaned)


def iso_moment_date(text: str) -> date:
    """A date, or a moment's date in Israel (a moment without a zone is Israel's own time).
    Raises ValueError."""
    cleaned = text.strip()
    if _ISO_DATE.fullmatch(cleaned):
        return date.fromisoformat(cleaned)
    if not _ISO_MOMENT.fullmatch(cleaned):
        raise ValueError(cleaned)
    moment = datetime.fromisoformat(cleaned.replace(",", "."))
    return moment.astimezone(ISRAEL).date() if moment.tzinfo else moment.date()


def today_in_israel() -> date:
    return datetime.now(ISRAEL).date()


def past_date_problem(day: date, what: str) -> str | None:
    """Why `day` cannot be the date of a `what` ("gift", "rate") that has happened, or None:
    it is after today in Israel, or before 1900."""
    if day < EARLIEST:
        return f"{day.isoformat()} is before {EARLIEST.year}: check the year"
    today = today_in_israel()
    if day > today:
        return (
            f"{day.isoformat()} is after today ({today.isoformat()} in Israel): a {what} is "
            "recorded once it has happened; check the date and its format"
        )
    return None
