"""`rates fetch`: the published rates downloaded from the Bank of Israel or the ECB and
recorded through the rate import (`import_rates`: the same checks, the same audit event, the
same `0 new, N already present` on a rerun).

Three steps, so that nothing is written unless everything was received: `plan_fetch` reads
the ledger (which pairs, which series, from which date), `download` asks the publishers (no
transaction is open meanwhile: a SQLite ledger stays free for others), `record_fetched`
imports what came in one transaction. `fetch_rates` runs the three for the CLI and the web.

Which pairs: those asked for, else those the ledger's gifts need: each gift currency and the
reporting currency against the home currency. Which publisher: --source, else the Bank of
Israel for a pair with ILS, else the ECB. From when: --from, else the day after the latest
rate of the series stored from that publisher, else (none stored) `max_rate_age_days`
before the first gift, so that the first gift's rate is in force, or before today in a ledger
without gifts. Up to when: --to, else today in Israel."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fundledger.adapters.db.models import Donation, ExchangeRate
from fundledger.adapters.http_client import Downloader
from fundledger.adapters.rate_files.common import RateRow
from fundledger.adapters.rate_sources import PUBLISHERS, Publisher, default_publisher, host
from fundledger.domain.access import Actor, Role, require
from fundledger.domain.dates import today_in_israel
from fundledger.domain.errors import FundledgerError
from fundledger.services.context import CommandContext
from fundledger.services.conversion import Gap
from fundledger.services.rate_import import RateImport, import_rates
from fundledger.services.settings import current_settings

# No publisher is silent this long: both publish every business day, and the longest closure
# (a weekend after two days of holiday) is five days. An empty answer for a longer period is
# not "nothing published" but a service answering wrong.
QUIET_DAYS = 7

T = TypeVar("T")


class Runner(Protocol):
    """`work` in one transaction, as the CLI's `Ledger.run` and the web's `db.run` do it."""

    def __call__(self, work: Callable[[Session, CommandContext], T], *, write: bool = ...) -> T: ...


@dataclass(frozen=True, slots=True)
class SeriesRequest:
    """One series to download: a publisher's rates of `currency`, for first..last."""

    publisher: Publisher
    currency: str
    first: date
    last: date
    url: str

    @property
    def pair(self) -> str:
        base, quote = self.publisher.pair(self.currency)
        return f"{base}/{quote}"


@dataclass(frozen=True, slots=True)
class UpToDate:
    """A series with nothing to ask for: its latest stored rate is of the last day asked."""

    publisher: Publisher
    pair: str
    latest: date


@dataclass(frozen=True, slots=True)
class FetchPlan:
    requests: tuple[SeriesRequest, ...]
    up_to_date: tuple[UpToDate, ...]


@dataclass(frozen=True, slots=True)
class Fetched:
    """What one series' download brought: its rates within the period asked for."""

    request: SeriesRequest
    rows: tuple[RateRow, ...]

    def describe(self) -> str:
        request = self.request
        period = f"{request.first.isoformat()} to {request.last.isoformat()}"
        if not self.rows:
            return f"{request.pair} from {request.publisher.name}, {period}: none published yet"
        latest = max(row.rate.rate_date for row in self.rows)
        count = f"{len(self.rows)} {'rate' if len(self.rows) == 1 else 'rates'}"
        return (f"{request.pair} from {request.publisher.name}, {period}: {count}, the latest "
                f"of {latest.isoformat()}")  # fmt: skip


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    plan: FetchPlan
    fetched: tuple[Fetched, ...]
    imports: tuple[RateImport, ...]  # one per publisher that sent rates

    def lines(self) -> list[str]:
        """What a person reads: each series, then what each import recorded."""
        shown = [
            f"{done.pair} from {done.publisher.name}: up to date (the latest rate is of "
            f"{done.latest.isoformat()})"
            for done in self.plan.up_to_date
        ]
        shown += [fetched.describe() for fetched in self.fetched]
        shown += [result.describe() for result in self.imports]
        if not self.imports and self.plan.requests:
            shown.append("Nothing new was published; nothing recorded")
        return shown


def gaps_fetch_start(gaps: Sequence[Gap], context: CommandContext) -> date | None:
    """Where a fetch that fills `gaps` starts: far enough before the earliest that a rate
    published then is in force on it; None when neither the Bank of Israel nor the ECB
    publishes a pair they lack."""
    fetchable = [gap.on for gap in gaps if default_publisher(*gap.pair.split("/", 1)) is not None]
    if not fetchable:
        return None
    return min(fetchable) - timedelta(days=context.settings.max_rate_age_days)


def fetch_command(gaps: Sequence[Gap], context: CommandContext) -> str | None:
    """The `rates fetch` that would fill `gaps`, if one can."""
    start = gaps_fetch_start(gaps, context)
    return f"fundledger rates fetch --from {start.isoformat()}" if start else None


def needed_pairs(session: Session, context: CommandContext) -> list[tuple[str, str]]:
    """The pairs the ledger's gifts need: each gift currency and the reporting currency, each
    against the home currency (a gift in EUR needs EUR/ILS; any gift's reporting value, USD/ILS)."""
    home = context.settings.home_currency
    used = set(session.scalars(select(Donation.currency).distinct()))
    used.add(context.settings.reporting_currency)
    return [(code, home) for code in sorted(used) if code != home]


def plan_fetch(
    session: Session,
    context: CommandContext,
    *,
    source: str | None = None,
    pairs: Sequence[tuple[str, str]] = (),
    first: date | None = None,
    last: date | None = None,
    today: date | None = None,
) -> FetchPlan:
    """The series to ask for and their periods, as the module's docstring says."""
    today = today or today_in_israel()
    last = last or today
    if last > today:
        raise FundledgerError(
            f"--to {last.isoformat()} is after today ({today.isoformat()}): no rate of it is "
            "published yet"
        )
    if first is not None and first > last:
        raise FundledgerError(f"--from {first.isoformat()} is after --to {last.isoformat()}")
    wanted: dict[tuple[str, str], Publisher] = {}
    for base, quote in pairs or needed_pairs(session, context):
        if base == quote:
            raise FundledgerError(f"{base}/{quote} is no pair: name two currencies")
        publisher = PUBLISHERS[source] if source else default_publisher(base, quote)
        if publisher is None:
            raise FundledgerError(
                f"neither the Bank of Israel nor the ECB publishes {base}/{quote}: record its "
                "rates with `fundledger rates add` or import a rate file"
            )
        for currency in publisher.series_for(base, quote):
            wanted.setdefault((publisher.code, currency), publisher)
    urls = _addresses(session)
    earliest_gift = session.scalar(select(func.min(Donation.donation_date)))
    margin = timedelta(days=context.settings.max_rate_age_days)
    requests: list[SeriesRequest] = []
    done: list[UpToDate] = []
    for (_, currency), publisher in sorted(wanted.items()):
        start = first
        if start is None:
            latest = _latest_stored(session, publisher, currency)
            if latest is not None and latest >= last:
                base, quote = publisher.pair(currency)
                done.append(UpToDate(publisher, f"{base}/{quote}", latest))
                continue
            if latest is not None:
                start = latest + timedelta(days=1)
            else:
                start = (earliest_gift or today) - margin
        url = publisher.series_url(urls[publisher.code], currency, start, last)
        requests.append(SeriesRequest(publisher, currency, start, last, url))
    return FetchPlan(tuple(requests), tuple(done))


def _addresses(session: Session) -> dict[str, str]:
    keys = {publisher.setting: publisher for publisher in PUBLISHERS.values()}
    stored = current_settings(session, keys)
    return {publisher.code: stored.get(setting, publisher.default_url)
            for setting, publisher in keys.items()}  # fmt: skip


def _latest_stored(session: Session, publisher: Publisher, currency: str) -> date | None:
    base, quote = publisher.pair(currency)
    return session.scalar(
        select(func.max(ExchangeRate.rate_date)).where(
            ExchangeRate.base == base,
            ExchangeRate.quote == quote,
            ExchangeRate.source == publisher.source,
        )
    )


def download(
    plan: FetchPlan,
    downloader: Downloader,
    announce: Callable[[SeriesRequest], None] | None = None,
) -> tuple[Fetched, ...]:
    """Every series of the plan, read and checked; the first failure stops all (nothing has
    been written: the caller records only when every series came). `announce` is told of
    each request before it is made (progress for a person watching)."""
    fetched = []
    for request in plan.requests:
        if announce is not None:
            announce(request)
        publisher = request.publisher
        answer = downloader.get(request.url, publisher=publisher.title, setting=publisher.setting)
        rows = tuple(
            row
            for row in publisher.read(answer, request.currency)
            # A mirror may serve a whole history whatever the period asked for.
            if request.first <= row.rate.rate_date <= request.last
        )
        days = (request.last - request.first).days + 1
        if not rows and days > QUIET_DAYS:
            raise FundledgerError(
                f"{publisher.title}: {request.url}: no {request.pair} rate in {days} days "
                f"({request.first.isoformat()} to {request.last.isoformat()}), though one is "
                f"published every business day; check {publisher.setting}, or try again later"
            )
        fetched.append(Fetched(request, rows))
    return tuple(fetched)


def record_fetched(
    session: Session,
    context: CommandContext,
    fetched: Sequence[Fetched],
    *,
    supersede: bool = False,
    confirm: bool = False,
    actor: Actor | None = None,
) -> tuple[RateImport, ...]:
    """Import the rates received, one import per publisher (its origin names the publisher
    and the address asked), in the caller's transaction."""
    by_publisher: dict[str, list[Fetched]] = {}
    for item in fetched:
        if item.rows:
            by_publisher.setdefault(item.request.publisher.code, []).append(item)
    results = []
    for items in by_publisher.values():
        publisher = items[0].request.publisher
        origin = f"{publisher.title} ({host(items[0].request.url)})"
        rows = [row for item in items for row in item.rows]
        results.append(import_rates(session, context, rows, origin=origin, supersede=supersede,
                                    confirm=confirm, actor=actor))  # fmt: skip
    return tuple(results)


def fetch_rates(
    run: Runner,
    downloader: Downloader,
    *,
    source: str | None = None,
    pairs: Sequence[tuple[str, str]] = (),
    first: date | None = None,
    last: date | None = None,
    supersede: bool = False,
    confirm: bool = False,
    actor: Actor | None = None,
    announce: Callable[[SeriesRequest], None] | None = None,
) -> FetchOutcome:
    """Plan (a read), download (no transaction), record (one write transaction). `run` is the
    caller's `run(work, write=...)`: the CLI's ledger or the web's request."""
    if actor is not None:
        require(actor, Role.TREASURER, "record exchange rates")
    plan = run(lambda session, context: plan_fetch(
        session, context, source=source, pairs=pairs, first=first, last=last))  # fmt: skip
    fetched = download(plan, downloader, announce)
    imports: tuple[RateImport, ...] = ()
    if any(item.rows for item in fetched):
        imports = run(
            lambda session, context: record_fetched(session, context, fetched,
                                                    supersede=supersede, confirm=confirm,
                                                    actor=actor),
            write=True,
        )  # fmt: skip
    return FetchOutcome(plan, fetched, imports)
