"""`fundledger rates fetch` as a treasurer runs it (the installed command, against local
stand-ins of the Bank of Israel and the ECB): what it prints, a rerun, a failure that is one
line and writes nothing, and `rates gaps` pointing to it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Response

from fundledger.domain.dates import today_in_israel
from tests.e2e.shell import Shell
from tests.rate_publishers import Publishers, boi_from_ecb, ecb_history, without_proxies

pytestmark = pytest.mark.e2e


@pytest.fixture
def served(httpserver: HTTPServer, ledger: Shell, monkeypatch: pytest.MonkeyPatch) -> Publishers:
    without_proxies(monkeypatch)
    setup = replace(ledger, in_process=True)
    ecb = ecb_history(("USD", "ILS"))
    publishers = Publishers(httpserver, boi_from_ecb(ecb), ecb)
    publishers.install()
    setup.run("settings", "set", "rates.boi.url", publishers.boi_url)
    setup.run("settings", "set", "rates.ecb.url", publishers.ecb_url)
    return publishers


def test_help_shows_examples(quick_shell: Shell) -> None:
    shown = quick_shell.run("rates", "fetch", "--help").stdout
    assert "fundledger rates fetch --pair USD/ILS --pair EUR/ILS --from 2024-01-01" in shown
    assert "rates.boi.url" in shown


def test_a_treasurer_fetches_the_rates_the_gifts_lack_and_a_rerun_adds_nothing(
    ledger: Shell, served: Publishers
) -> None:
    setup = replace(ledger, in_process=True)
    setup.run("donation", "add", "dont-look-away", "--date", "2026-10-26", "--amount", "100",
              "--currency", "EUR", "--donor", "Noa Cohen")  # fmt: skip
    gaps = ledger.run("rates", "gaps").stdout
    assert (
        "Fetch the missing rates from the Bank of Israel or the ECB: fundledger rates "
        "fetch --pair EUR/ILS --pair USD/ILS --from 2026-10-19" in gaps
    )

    fetched = ledger.run("rates", "fetch", "--to", "2026-10-30")

    host = served.boi_url.split("/")[2]
    assert fetched.stdout.splitlines() == [
        "EUR/ILS from the Bank of Israel, 2026-10-19 to 2026-10-30: 10 rates, the latest of "
        "2026-10-30.",
        "USD/ILS from the Bank of Israel, 2026-10-19 to 2026-10-30: 10 rates, the latest of "
        "2026-10-30.",
        f"Bank of Israel ({host}): 20 new, 0 already present.",
    ]
    assert "No gaps" in ledger.run("rates", "gaps").stdout
    again = ledger.run("rates", "fetch", "--pair", "EUR/ILS", "--from", "2026-10-19",
                       "--to", "2026-10-30")  # fmt: skip
    assert again.stdout.splitlines()[-1] == f"Bank of Israel ({host}): 0 new, 10 already present."
    shown = ledger.run("rates", "show", "2026-10-31", "EUR", "ILS").stdout
    assert f"EUR/ILS = {served.boi['EUR'][date(2026, 10, 30)]} (BOI 2026-10-30" in shown


def test_a_failure_is_one_line_and_writes_nothing(ledger: Shell, served: Publishers) -> None:
    served.override = lambda request: Response("<html><title>Blocked</title></html>",
                                               content_type="text/html")  # fmt: skip
    before = ledger.row_counts()
    line = ledger.fails("rates", "fetch", "--pair", "USD/ILS", "--to", "2026-10-30")
    assert line.startswith(f"Error: Bank of Israel: {served.boi_url}/RER_USD_ILS?startperiod=")
    assert "received a web page (text/html, titled 'Blocked')" in line
    assert ledger.row_counts() == before


def test_usage_errors_name_the_option(quick_ledger: Shell) -> None:
    later = (today_in_israel() + timedelta(days=2)).isoformat()
    assert "is after today" in quick_ledger.fails("rates", "fetch", "--to", later)
    backwards = quick_ledger.fails("rates", "fetch", "--from", "2026-10-02", "--to", "2026-10-01")
    assert "the first day asked for, 2026-10-02, is after the last, 2026-10-01" in backwards
    usage = quick_ledger.run("rates", "fetch", "--pair", "USD-ILS", expect=2).stderr
    assert "write it BASE/QUOTE" in usage
    assert "http:// is taken for this machine only" in quick_ledger.fails(
        "settings", "set", "rates.boi.url", "http://mirror.example.org/boi")  # fmt: skip
