"""Exchange rates in the ledger: record them, and ask which one is in force."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import ExchangeRate
from fundledger.domain.rates import Rate, RateBook, RateInForce, format_rate
from fundledger.services.context import CommandContext, now, record_audit
from fundledger.services.validation import bounded_text

MANUAL_SOURCE = "manual"


@dataclass(frozen=True, slots=True)
class RecordedRate:
    rate: Rate
    id: int | None
    superseded: Decimal | None  # the value this row replaces, if any
    added: bool

    def describe(self) -> str:
        text = (
            f"{self.rate.rate_date.isoformat()} 1 {self.rate.base} = "
            f"{format_rate(self.rate.value)} {self.rate.quote} ({self.rate.source})"
        )
        if not self.added:
            return f"Already recorded: {text}; nothing added"
        if self.superseded is not None:
            return f"Recorded {text}, superseding {format_rate(self.superseded)}"
        return f"Recorded {text}"


def _latest_row(session: Session, rate: Rate) -> ExchangeRate | None:
    return session.scalars(
        select(ExchangeRate)
        .where(
            ExchangeRate.rate_date == rate.rate_date,
            ExchangeRate.base == rate.base,
            ExchangeRate.quote == rate.quote,
            ExchangeRate.source == rate.source,
        )
        .order_by(ExchangeRate.id.desc())
    ).first()


def add_rate(session: Session, context: CommandContext, rate: Rate) -> RecordedRate:
    """Append a rate. The same value again adds nothing; a new value supersedes the old one."""
    bounded_text("the rate's source", rate.source, ExchangeRate.source)
    previous = _latest_row(session, rate)
    if previous is not None and previous.rate == rate.value:
        return RecordedRate(rate, previous.id, None, added=False)
    row = ExchangeRate(
        rate_date=rate.rate_date,
        base=rate.base,
        quote=rate.quote,
        rate=rate.value,
        source=rate.source,
        recorded_at=now(),
        recorded_by=context.actor,
    )
    session.add(row)
    session.flush()
    superseded = previous.rate if previous is not None else None
    record_audit(
        session,
        context,
        "rate.add",
        entity="exchange_rate",
        entity_id=row.id,
        details={
            "date": rate.rate_date,
            "pair": rate.pair,
            "rate": str(rate.value),
            "source": rate.source,
            "supersedes": previous.id if previous is not None else None,
        },
    )
    return RecordedRate(rate, row.id, superseded, added=True)


def load_rate_book(session: Session, context: CommandContext, first: date, last: date) -> RateBook:
    """Every rate that could be in force between `first` and `last`, as a RateBook."""
    settings = context.settings
    earliest = max(date.min + timedelta(days=settings.max_rate_age_days), first) - timedelta(
        days=settings.max_rate_age_days
    )
    # The last rate of each series before the window is out of force, but it lets an error
    # name the latest rate known.
    last_before = (
        select(
            ExchangeRate.base,
            ExchangeRate.quote,
            ExchangeRate.source,
            func.max(ExchangeRate.rate_date).label("rate_date"),
        )
        .where(ExchangeRate.rate_date < earliest)
        .group_by(ExchangeRate.base, ExchangeRate.quote, ExchangeRate.source)
        .subquery()
    )
    in_window = ExchangeRate.rate_date.between(earliest, last)
    just_before = exists().where(
        last_before.c.base == ExchangeRate.base,
        last_before.c.quote == ExchangeRate.quote,
        last_before.c.source == ExchangeRate.source,
        last_before.c.rate_date == ExchangeRate.rate_date,
    )
    rows = session.scalars(select(ExchangeRate).where(or_(in_window, just_before))).all()
    return RateBook(
        (Rate(row.rate_date, row.base, row.quote, row.rate, row.source, row.id) for row in rows),
        max_age_days=settings.max_rate_age_days,
        source_priority=settings.rate_source_priority,
    )


def rate_in_force(
    session: Session, context: CommandContext, on: date, base: str, quote: str
) -> RateInForce:
    return load_rate_book(session, context, on, on).in_force(base, quote, on)
