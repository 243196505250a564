"""What a batch (receipts or statements for many gifts) leaves undone: one plain record per
gift it skipped, saying what is wrong and, where one command mends it, that command. A batch
does what it can and hands these back; the interface lists them (shared/design.md §4: a batch
that did part of its work exits 3 after listing what it skipped)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fundledger.domain.errors import FundledgerError, RateNotInForce


@dataclass(frozen=True, slots=True)
class SkippedGift:
    donation_id: int
    date: date
    donor: str | None
    problem: str  # what is wrong, in a few words
    fix: str | None  # the command that mends it, when there is one

    def line(self) -> str:
        """One line: gift, date, donor, what is wrong, what to type."""
        donor = f", {self.donor}" if self.donor else ""
        fix = f"; fix: {self.fix}" if self.fix else ""
        return f"gift #{self.donation_id}, {self.date.isoformat()}{donor}: {self.problem}{fix}"


def missing_rate(pair: str, on: date, latest: date | None) -> tuple[str, str]:
    """What is wrong and the command that mends it, when no rate of `pair` is in force."""
    base, _, quote = pair.partition("/")
    since = f" (the latest is of {latest.isoformat()})" if latest is not None else ""
    return (f"no {pair} rate in force on {on.isoformat()}{since}",
            f"fundledger rates add {on.isoformat()} {base} {quote} RATE")  # fmt: skip


def skipped_for(
    error: FundledgerError, donation_id: int, on: date, donor: str | None
) -> SkippedGift:
    """A gift a batch left out because of `error`."""
    if isinstance(error, RateNotInForce):
        problem, fix = missing_rate(error.pair, error.on, error.latest)
        return SkippedGift(donation_id, on, donor, problem, fix)
    mends = getattr(error, "fix", None)  # a refusal that names its own fix
    return SkippedGift(donation_id, on, donor, str(error),
                       mends if isinstance(mends, str) else None)  # fmt: skip
