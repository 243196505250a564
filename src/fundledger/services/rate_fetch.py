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
before the first gift that needs it, so that its rate is in force, or before today in a
ledger without gifts. Up to when: --to, else today in Israel.

Not every pair can be had: one the gifts need that the publisher does not publish, or a series
with no rate for longer than any closure, is named in the outcome (`incomplete`: the CLI
exits 3) while the others are recorded; a pair named with --pair that nobody publishes is
refused."""

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
# (a weekend after two days of holiday) is five days. A series with no rate for longer has been
# stopped, or the service answers wrong: it is named, not taken as a quiet week.
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
    # Pairs the gifts need that neither publisher (or not the one asked) publishes.
    unpublished: tuple[str, ...] = ()
    publisher_asked: Publisher | None = None


@dataclass(frozen=True, slots=True)
class Fetched:
    """What one series' download brought: its rates within the period asked for."""

    request: SeriesRequest
    rows: tuple[RateRow, ...]
    today: date

    @property
    def silent(self) -> bool:
        """No rate in a period longer than any closure: the series may have been stopped (or
        the service answers wrong); what the other series brought is still recorded."""
        request = self.request
        return not self.rows and (request.last - request.first).days + 1 > QUIET_DAYS

    def describe(self) -> str:
        request = self.request
        period = f"{request.first.isoformat()} to {request.last.isoformat()}"
        where = f"{request.pair} from {request.publisher.name}, {period}"
        if self.silent:
            days = (request.last - request.first).days + 1
            return (f"{where}: none published in {days} days, though it publishes every "
                    "business day: has it stopped the series? Check it, or "
                    f"{request.publisher.setting}; nothing of it recorded")  # fmt: skip
        if not self.rows:
            return f"{where}: none published{' yet' if request.last >= self.today else ''}"
        latest = max(row.rate.rate_date for row in self.rows)
        count = f"{len(self.rows)} {'rate' if len(self.rows) == 1 else 'rates'}"
        return f"{where}: {count}, the latest of {latest.isoformat()}"


@dataclass(frozen=True, slots=True)
class FetchOutcome:
    plan: FetchPlan
    fetched: tuple[Fetched, ...]
    imports: tuple[RateImport, ...]  # one per publisher that sent rates

    @property
    def incomplete(self) -> bool:
        """Whether a pair the gifts need was left without rates: not published by whom was
        asked, or silent too long. The CLI exits 3 after saying which."""
        return bool(self.plan.unpublished) or any(item.silent for item in self.fetched)

    def lines(self) -> list[str]:
        """What a person reads: each series, then what each import recorded."""
        shown = [
            f"{done.pair} from {done.publisher.name}: up to date (the latest rate is of "
            f"{done.latest.isoformat()})"
            for done in self.plan.up_to_date
        ]
        shown += [fetched.describe() for fetched in self.fetched]
        asked = self.plan.publisher_asked
        who = (f"{asked.name} does not publish it" if asked
               else "neither the Bank of Israel nor the ECB publishes it")  # fmt: skip
        shown += [f"{pair}: {who}; record its rates with `fundledger rates add` or a rate file"
                  for pair in self.plan.unpublished]  # fmt: skip
        shown += [result.describe() for result in self.imports]
        if not self.imports and self.plan.requests:
            shown.append("Nothing new was published; nothing recorded")
        return shown


def _gap_pairs(gaps: Sequence[Gap], context: CommandContext) -> dict[tuple[str, str], date]:
    """The pairs that value the gifts of `gaps` (a gap names the first pair it lacks; its
    gifts need their currency's pair to the home currency and the reporting currency's), each
    with its earliest gap, where the Bank of Israel or the ECB publishes them."""
    home, reporting = context.settings.home_currency, context.settings.reporting_currency
    pairs: dict[tuple[str, str], date] = {}
    for gap in gaps:
        for base in {gap.currency, reporting} - {home}:
            if default_publisher(base, home) is not None:
                pairs[(base, home)] = min(pairs.get((base, home), gap.on), gap.on)
    return pairs


def gaps_fetch_start(gaps: Sequence[Gap], context: CommandContext) -> date | None:
    """Where a fetch that fills `gaps` starts: far enough before the earliest that a rate
    published then is in force on it; None when neither the Bank of Israel nor the ECB
    publishes a pair they lack."""
    pairs = _gap_pairs(gaps, context)
    if not pairs:
        return None
    return min(pairs.values()) - timedelta(days=context.settings.max_rate_age_days)


def fetch_command(gaps: Sequence[Gap], context: CommandContext) -> str | None:
    """The `rates fetch` that would fill `gaps` (their pairs, from before the earliest), if
    one can."""
    start = gaps_fetch_start(gaps, context)
    if start is None:
        return None
    named = "".join(f" --pair {base}/{quote}" for base, quote in sorted(_gap_pairs(gaps, context)))
    return f"fundledger rates fetch{named} --from {start.isoformat()}"


def needed_pairs(session: Session, context: CommandContext) -> dict[tuple[str, str], date | None]:
    """The pairs the ledger's gifts need, each with the date of the first gift that needs it:
    each gift currency against the home currency (a gift in EUR needs EUR/ILS from the first
    EUR gift) and the reporting currency against it (every gift's reporting value: from the
    first gift)."""
    home, reporting = context.settings.home_currency, context.settings.reporting_currency
    firsts = dict(
        session.execute(
            select(Donation.currency, func.min(Donation.donation_date)).group_by(Donation.currency)
        ).all()
    )
    needed: dict[tuple[str, str], date | None] = {
        (code, home): on for code, on in firsts.items() if code != home
    }
    if reporting != home:
        needed[(reporting, home)] = min(firsts.values(), default=None)
    return dict(sorted(needed.items()))


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
    """The series to ask for and their periods, as the module's docstring says. A pair named
    in `pairs` that cannot be fetched is refused; one the gifts need is listed in the plan's
    `unpublished`, and the others are fetched."""
    today = today or today_in_israel()
    last = last or today
    if last > today:
        raise FundledgerError(f"the last day asked for, {last.isoformat()}, is after today "
                              f"({today.isoformat()}): no rate of it is published yet")  # fmt: skip
    if first is not None and first > last:
        raise FundledgerError(f"the first day asked for, {first.isoformat()}, is after the last, "
                              f"{last.isoformat()}")  # fmt: skip
    earliest_gift = session.scalar(select(func.min(Donation.donation_date)))
    named = dict.fromkeys(pairs, earliest_gift)
    # Series: (publisher, currency) -> the first gift that needs it (None: no gift does).
    wanted: dict[tuple[str, str], date | None] = {}
    unpublished: list[str] = []
    for (base, quote), needed_from in (named or needed_pairs(session, context)).items():
        if base == quote:
            raise FundledgerError(f"{base}/{quote} is no pair: name two currencies")
        publisher = PUBLISHERS[source] if source else default_publisher(base, quote)
        if publisher is None or (not named and not publisher.publishes(base, quote)):
            if named:
                raise FundledgerError(
                    f"neither the Bank of Israel nor the ECB publishes {base}/{quote}: record "
                    "its rates with `fundledger rates add` or import a rate file"
                )
            unpublished.append(f"{base}/{quote}")
            continue
        for currency in publisher.series_for(base, quote):
            key = (publisher.code, currency)
            known = [on for on in (wanted.get(key), needed_from) if on is not None]
            wanted[key] = min(known) if known else None
    urls = _addresses(session)
    margin = timedelta(days=context.settings.max_rate_age_days)
    requests: list[SeriesRequest] = []
    done: list[UpToDate] = []
    for (code, currency), needed_from in sorted(wanted.items()):
        publisher = PUBLISHERS[code]
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
                start = (needed_from or today) - margin
        url = publisher.series_url(urls[code], currency, start, last)
        requests.append(SeriesRequest(publisher, currency, start, last, url))
    asked = PUBLISHERS[source] if source else None
    return FetchPlan(tuple(requests), tuple(done), tuple(unpublished), asked)


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
    today = today_in_israel()
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
        fetched.append(Fetched(request, rows, today))
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
