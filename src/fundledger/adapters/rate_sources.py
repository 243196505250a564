"""The online publishers of exchange rates `rates fetch` asks, in one place: their official
addresses, the currencies they publish, how a series is asked for, and how an answer is read
(by the readers of their files, adapters/rate_files) and checked against what was asked.

- The Bank of Israel: representative rates, `RER_<CUR>_ILS` series of its SDMX service,
  CSV, 1 CUR = OBS_VALUE / 10^UNIT_MULT ILS (JPY is quoted per 100).
- The ECB: euro reference rates, `EXR/D.<CUR>.EUR.SP00.A` of its data API, csvdata,
  1 EUR = OBS_VALUE CUR.

The addresses are the defaults of the settings rates.boi.url and rates.ecb.url, so a mirror or
a test server can stand in."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode, urlsplit

from fundledger.adapters.http_client import Answer
from fundledger.adapters.rate_files.boi import BOI_SOURCE, is_boi_header, read_boi_rates
from fundledger.adapters.rate_files.common import RateFileError, RateRow, header_fields
from fundledger.adapters.rate_files.ecb_sdmx import (
    ECB_SOURCE,
    is_ecb_sdmx_header,
    read_ecb_sdmx_rates,
)
from fundledger.domain.errors import FundledgerError

BOI_URL = "https://edge.boi.gov.il/FusionEdgeServer/sdmx/v2/data/dataflow/BOI.STATISTICS/EXR/1.0"
ECB_URL = "https://data-api.ecb.europa.eu/service/data/EXR"
# What an SDMX service says, as plain text, when a period holds no observation: the ECB
# answers 404 "No results found.".
_NO_RESULTS = re.compile(r"no\s*(results|records)\s*found\.?", re.IGNORECASE)
# ... or as an SDMX-ML error message, whose code 100 is "No Results Found".
_SDMX_ERROR = re.compile(r"<(?:\w+:)?ErrorMessage\b[^>]*\bcode=[\"'](\d+)[\"'][^>]*>(.*?)"
                         r"</(?:\w+:)?ErrorMessage>", re.IGNORECASE | re.DOTALL)  # fmt: skip
NO_RESULTS_CODE = "100"
_HTML = re.compile(r"\s*<(!doctype|html|head|body)\b", re.IGNORECASE)
_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True, slots=True)
class Publisher:
    """Who publishes a family of rate series, each `1 CUR = x anchor` or `1 anchor = x CUR`."""

    code: str  # as --source names it
    name: str  # in a sentence
    title: str  # at the start of a line
    source: str  # the source its rates are stored under
    setting: str  # the setting that holds its address
    default_url: str
    anchor: str  # the currency every series is against
    anchor_is_base: bool  # the ECB: 1 EUR = x CUR; the Bank of Israel: 1 CUR = x ILS
    currencies: frozenset[str]  # what it publishes against the anchor

    def pair(self, currency: str) -> tuple[str, str]:
        """The series of `currency` as stored: (base, quote)."""
        return (self.anchor, currency) if self.anchor_is_base else (currency, self.anchor)

    def series_key(self, currency: str) -> str:
        if self.code == "boi":
            return f"RER_{currency}_ILS"
        return f"D.{currency}.EUR.SP00.A"

    def series_url(self, base_url: str, currency: str, first: date, last: date) -> str:
        if self.code == "boi":
            query = {"startperiod": first.isoformat(), "endperiod": last.isoformat(),
                     "format": "csv"}  # fmt: skip
        else:
            query = {"startPeriod": first.isoformat(), "endPeriod": last.isoformat(),
                     "format": "csvdata"}  # fmt: skip
        return f"{base_url.rstrip('/')}/{self.series_key(currency)}?{urlencode(query)}"

    def series_for(self, base: str, quote: str) -> tuple[str, ...]:
        """The currencies whose series give the pair base/quote: one when the pair is
        against the anchor (either way round: the inverse is read from it), two for a cross
        through the anchor. A currency it does not publish is refused, naming who does."""
        wanted = tuple(code for code in (base, quote) if code != self.anchor)
        unpublished = [code for code in wanted if code not in self.currencies]
        if unpublished:
            other = next(p for p in PUBLISHERS.values() if p is not self)
            elsewhere = (
                f"; {other.name} does: --source {other.code}"
                if all(code in other.currencies or code == other.anchor for code in unpublished)
                else "; record them with `fundledger rates add` or import a rate file"
            )
            raise FundledgerError(
                f"{self.title} publishes no {', '.join(unpublished)} rates, so none for "
                f"{base}/{quote}{elsewhere}"
            )
        return wanted

    def publishes(self, base: str, quote: str) -> bool:
        return all(code == self.anchor or code in self.currencies for code in (base, quote))

    def read(self, answer: Answer, currency: str) -> Iterator[RateRow]:
        """The rates of `answer`, the series of `currency`: refused with what was received
        when it is not what this publisher serves."""
        key = self.series_key(currency)
        where = f"{self.title}: {answer.url}"
        if not self._holds_rates(answer, where):
            return
        text = answer.text
        fields = header_fields(text.splitlines()[0], key)
        expected = is_boi_header(fields) if self.code == "boi" else is_ecb_sdmx_header(fields)
        if not expected:
            raise FundledgerError(
                f"{where}: received {_received(answer)}, not {self.name}'s SDMX CSV "
                f"(its first line names no {_columns(self)} columns); check {self.setting}"
            )
        lines = iter(text.splitlines(keepends=True))
        try:
            if self.code == "boi":
                rows = read_boi_rates(lines, name=key, source=self.source)
            else:
                rows = read_ecb_sdmx_rates(lines, name=key, source=self.source)
            for row in rows:
                if (row.rate.base, row.rate.quote) != self.pair(currency):
                    raise FundledgerError(
                        f"{where}: line {row.line} holds a {row.rate.base}/{row.rate.quote} "
                        f"rate, not of the series asked for ({key}); check {self.setting}"
                    )
                yield row
        except RateFileError as error:
            raise FundledgerError(f"{where}: {error}") from None

    def _holds_rates(self, answer: Answer, where: str) -> bool:
        """Whether `answer` is a table of rates to read: False for the ways the services say
        a period holds none (the ECB's 404 "No results found.", an SDMX error 100, an empty
        body); what is neither (a web page, another error) is refused with what came."""
        text = answer.text
        status = "" if answer.ok else f" with {answer.status} {answer.reason}"
        if _HTML.match(text) or "html" in answer.content_type.lower():
            raise FundledgerError(
                f"{where}: received a web page{status} ({_received(answer)}), not the rates' "
                f"CSV: a network sign-in page or a proxy's message? Check the network, or "
                f"{self.setting}"
            )
        error = _SDMX_ERROR.search(text)
        if error:
            if error.group(1) == NO_RESULTS_CODE:
                return False
            said = " ".join(_TAG.sub(" ", error.group(2)).split())[:200]
            raise FundledgerError(
                f"{where}: the service answered{status} with SDMX error {error.group(1)} "
                f"({said!r}); check {self.setting}"
            )
        if answer.status == 404 and _NO_RESULTS.fullmatch(text.strip()):
            return False
        if answer.status in (401, 403):
            raise FundledgerError(
                f"{where}: the service refused the request ({answer.status} {answer.reason}: "
                f"{_received(answer)}); it may not serve this network or program now: try "
                "again later, or download the rates by hand and use `fundledger rates import`"
            )
        if not answer.ok:
            raise FundledgerError(
                f"{where}: the server answered {answer.status} {answer.reason} "
                f"({_received(answer)}); check the setting {self.setting}"
            )
        return bool(text.strip())  # the ECB answers some empty periods with an empty body


def _columns(publisher: Publisher) -> str:
    if publisher.code == "boi":
        return "SERIES_CODE, TIME_PERIOD, OBS_VALUE"
    return "KEY, CURRENCY, CURRENCY_DENOM, TIME_PERIOD, OBS_VALUE"


def _received(answer: Answer) -> str:
    kind = answer.content_type.split(";")[0].strip() or "no content type"
    title = _TITLE.search(answer.text)
    if title and " ".join(title.group(1).split()):
        shown = repr(" ".join(title.group(1).split())[:80])
        return f"{kind}, titled {shown}"
    return f"{kind}: {answer.start()}"


def host(url: str) -> str:
    return urlsplit(url).netloc or url


# The Bank of Israel's representative rates (שערים יציגים) and the ECB's reference rates, as
# published in 2026 (the ECB stopped RUB in 2022 and BGN with the euro's arrival in 2026).
PUBLISHERS = {
    "boi": Publisher(
        code="boi",
        name="the Bank of Israel",
        title="Bank of Israel",
        source=BOI_SOURCE,
        setting="rates.boi.url",
        default_url=BOI_URL,
        anchor="ILS",
        anchor_is_base=False,
        currencies=frozenset({"USD", "EUR", "GBP", "JPY", "CHF", "CAD", "AUD", "DKK", "NOK",
                              "SEK", "ZAR", "JOD", "EGP", "LBP"}),
    ),
    "ecb": Publisher(
        code="ecb",
        name="the ECB",
        title="ECB",
        source=ECB_SOURCE,
        setting="rates.ecb.url",
        default_url=ECB_URL,
        anchor="EUR",
        anchor_is_base=True,
        currencies=frozenset({"USD", "JPY", "CZK", "DKK", "GBP", "HUF", "PLN", "RON", "SEK",
                              "CHF", "ISK", "NOK", "TRY", "AUD", "BRL", "CAD", "CNY", "HKD",
                              "IDR", "ILS", "INR", "KRW", "MXN", "MYR", "NZD", "PHP", "SGD",
                              "THB", "ZAR"}),
    ),
}  # fmt: skip


def default_publisher(base: str, quote: str) -> Publisher | None:
    """Who `rates fetch` asks for base/quote when --source is not given: the Bank of Israel
    for a pair with ILS (its representative rates are what Israeli documents use), else the
    ECB; None when neither publishes it."""
    order = ("boi", "ecb") if "ILS" in (base, quote) else ("ecb", "boi")
    return next((PUBLISHERS[code] for code in order if PUBLISHERS[code].publishes(base, quote)),
                None)  # fmt: skip
