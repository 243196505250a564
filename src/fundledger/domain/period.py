"""A period of days a report is limited to: a month, a fiscal year, any range of dates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fundledger.domain.errors import FundledgerError


@dataclass(frozen=True, slots=True)
class Period:
    """Every day from `start` to `end`, both included."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise FundledgerError(
                f"the period starts ({self.start}) after it ends ({self.end}): swap --from and --to"
            )

    def __str__(self) -> str:
        return f"{self.start.isoformat()} – {self.end.isoformat()}"
