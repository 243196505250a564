"""What each publisher is asked and how its answers are read: the shapes the Bank of Israel
and the ECB document (tests/rate_publishers.py writes them), and what is refused."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from fundledger.adapters.http_client import Answer
from fundledger.adapters.rate_files import read_rate_file
from fundledger.adapters.rate_sources import BOI_URL, ECB_URL, PUBLISHERS, default_publisher
from fundledger.domain.errors import FundledgerError
from tests.rate_publishers import BOI_HEADER, boi_csv, ecb_csv

BOI, ECB = PUBLISHERS["boi"], PUBLISHERS["ecb"]
DAY = date(2026, 10, 28)


def answer(text: str, status: int = 200, content_type: str = "text/csv") -> Answer:
    return Answer("https://example.test/x", status, "OK", content_type, text)


def test_the_series_urls_are_the_documented_ones() -> None:
    assert BOI.series_url(BOI_URL, "USD", date(2024, 1, 1), date(2026, 12, 4)) == (
        "https://edge.boi.gov.il/FusionEdgeServer/sdmx/v2/data/dataflow/BOI.STATISTICS/EXR/1.0/"
        "RER_USD_ILS?startperiod=2024-01-01&endperiod=2026-12-04&format=csv"
    )
    assert ECB.series_url(ECB_URL + "/", "ILS", date(2024, 1, 1), date(2026, 12, 4)) == (
        "https://data-api.ecb.europa.eu/service/data/EXR/D.ILS.EUR.SP00.A"
        "?startPeriod=2024-01-01&endPeriod=2026-12-04&format=csvdata"
    )


def test_which_publisher_and_which_series_give_a_pair() -> None:
    assert default_publisher("USD", "ILS") is BOI
    assert default_publisher("ILS", "JOD") is BOI  # the ECB does not publish JOD
    assert default_publisher("EUR", "USD") is ECB
    assert default_publisher("XAU", "ILS") is None
    assert BOI.series_for("USD", "ILS") == ("USD",)
    assert BOI.series_for("ILS", "EUR") == ("EUR",)  # read inverted from EUR/ILS
    assert BOI.series_for("EUR", "USD") == ("EUR", "USD")  # crossed through ILS
    assert ECB.series_for("USD", "ILS") == ("USD", "ILS")
    nowhere = r"^ECB publishes no JOD rates, so none for JOD/ILS; the Bank of Israel does: "
    with pytest.raises(FundledgerError, match=nowhere + "--source boi$"):
        ECB.series_for("JOD", "ILS")
    with pytest.raises(FundledgerError, match=r"Bank of Israel publishes no PLN rates.*ECB does"):
        BOI.series_for("PLN", "ILS")


def test_a_bank_of_israel_answer_divides_by_unit_mult() -> None:
    text = boi_csv({"JPY": {DAY: "2.1534"}}, "JPY", DAY, DAY)
    (row,) = BOI.read(answer(text), "JPY")
    assert (row.rate.base, row.rate.quote, row.rate.value) == ("JPY", "ILS", Decimal("0.021534"))
    assert row.rate.source == "BOI"


def test_an_ecb_answer_with_every_column_is_read_by_name() -> None:
    text = ecb_csv({"USD": {DAY: "1.1601", date(2026, 10, 29): "1.1587"}}, "USD", DAY, DAY)
    assert '"ECB reference exchange rate, US dollar/Euro, 2:15 pm (C.E.T.)"' in text
    rows = list(ECB.read(answer(text), "USD"))
    assert [(r.line, r.rate.base, r.rate.quote, r.rate.value) for r in rows] == [
        (2, "EUR", "USD", Decimal("1.1601"))
    ]


def test_the_ecb_csvdata_is_also_a_file_rates_import_reads(tmp_path: Path) -> None:
    path = tmp_path / "ecb-data.csv"
    path.write_text(ecb_csv({"ILS": {DAY: "3.6345"}}, "ILS", DAY, DAY), encoding="utf-8")
    with read_rate_file(path) as (detected, rows):
        assert detected == "ecb"
        (row,) = list(rows)
    assert (row.rate.base, row.rate.quote, row.rate.value) == ("EUR", "ILS", Decimal("3.6345"))


def test_only_the_daily_reference_rates_are_kept_and_missing_values_skipped() -> None:
    text = ("KEY,FREQ,CURRENCY,CURRENCY_DENOM,EXR_TYPE,EXR_SUFFIX,TIME_PERIOD,OBS_VALUE\n"
            "EXR.M.USD.EUR.SP00.A,M,USD,EUR,SP00,A,2026-10,1.16\n"
            "EXR.D.USD.EUR.SP00.A,D,USD,EUR,SP00,A,2026-10-27,NaN\n"
            "EXR.D.USD.EUR.SP00.A,D,USD,EUR,SP00,A,2026-10-28,1.1601\n")  # fmt: skip
    assert [row.rate.rate_date for row in ECB.read(answer(text), "USD")] == [DAY]


@pytest.mark.parametrize(
    ("received", "expected"),
    [
        (
            answer("<html><body>Access denied</body></html>", content_type="text/html"),
            r"^Bank of Israel: https://example\.test/x: received a web page \(text/html: "
            r"'<html><body>Access denied</body></html>'\), not the rates' CSV",
        ),
        (
            answer("<!DOCTYPE html>\n<title>Login</title>", content_type="text/plain"),
            r"received a web page \(text/plain, titled 'Login'\)",
        ),
        (
            answer('{"errors": []}', content_type="application/json"),
            r"received application/json: '\{\"errors\": \[\]\}', not the Bank of Israel's SDMX CSV "
            r"\(its first line names no SERIES_CODE, TIME_PERIOD, OBS_VALUE columns\); check "
            r"rates\.boi\.url$",
        ),
        (
            answer("<html><body><h1>404</h1>No data found</body></html>", 404, "text/html"),
            r"received a web page with 404 OK \(text/html",
        ),
        (
            answer("Internal error", status=400, content_type="text/plain"),
            r"the server answered 400 OK \(text/plain: 'Internal error'\); check the setting "
            r"rates\.boi\.url$",
        ),
        (
            answer(
                BOI_HEADER + "\nRER_USD_ILS,D,USD,ILS,ILS,OF00,BOI_MARKETS,,F,Y,0,,2026-10-28,"
                "-3.1,Final\n"
            ),
            r"RER_USD_ILS: line 2, column OBS_VALUE: ",
        ),
        (
            answer(boi_csv({"EUR": {DAY: "3.62"}}, "EUR", DAY, DAY)),
            r"line 2 holds a EUR/ILS rate, not of the series asked for \(RER_USD_ILS\)",
        ),
    ],
)
def test_what_is_not_the_series_asked_for_is_refused_with_what_came(
    received: Answer, expected: str
) -> None:
    with pytest.raises(FundledgerError, match=expected):
        list(BOI.read(received, "USD"))


@pytest.mark.parametrize(
    "received",
    [
        answer(""),
        answer(BOI_HEADER + "\r\n"),
        answer("No results found.", 404, "text/plain"),
        answer("NoRecordsFound", 404, "text/plain"),
        answer(
            '<?xml version="1.0"?><mes:Error xmlns:mes="urn:x"><mes:ErrorMessage code="100">'
            "<com:Text>No Results Found</com:Text></mes:ErrorMessage></mes:Error>",
            404,
            "application/vnd.sdmx.error+xml",
        ),
    ],
)
def test_an_empty_period_reads_as_no_rates(received: Answer) -> None:
    assert list(BOI.read(received, "USD")) == []
