"""What a batch (receipts or statements for many gifts) leaves undone: one plain record per
gift it skipped, saying what is wrong and, where one command mends it, that command. A batch
does what it can and hands these back; the interface lists them (shared/design.md §4: a batch
that did part of its work exits 3 after listing what it skipped)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from fundledger.domain.errors import FundledgerError, RateNotInForce


class GiftRefused(FundledgerError):
    """What keeps one gift out of a batch (a name the PDF font cannot draw, a date after the
    receipt's): the batch skips it and goes on. Any other error (a full disk, say) stops the
    batch; a missing rate (RateNotInForce) is skipped too."""

    def __init__(self, message: str, fix: str | None = None) -> None:
        super().__init__(message)
        self.fix = fix


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
    error: RateNotInForce | GiftRefused, donation_id: int, on: date, donor: str | None
) -> SkippedGift:
    """A gift a batch left out because of `error`."""
    if isinstance(error, RateNotInForce):
        problem, fix = missing_rate(error.pair, error.on, error.latest)
        return SkippedGift(donation_id, on, donor, problem, fix)
    return SkippedGift(donation_id, on, donor, str(error), error.fix)
