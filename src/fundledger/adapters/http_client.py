"""Downloads over HTTP(S): what `rates fetch` asks the Bank of Israel and the ECB.

httpx, with TLS verified against certifi's authorities (or SSL_CERT_FILE / SSL_CERT_DIR), the
proxies of the usual environment variables (HTTPS_PROXY, HTTP_PROXY, ALL_PROXY, NO_PROXY), a
timeout on every step, and a bounded number of attempts: a 5xx or 429 answer, a timeout, a
dropped or refused connection is tried again after a wait that doubles (or the Retry-After
the server asks for, when it asks for little enough). What still fails is one FetchError line:
who, which URL, what happened, what to try. httpx is imported when a download starts, not
when a command that never downloads starts (it costs 0.16 s)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from fundledger.domain.errors import FundledgerError

if TYPE_CHECKING:
    import httpx

# No answer to a rates request is near this: a larger one is not what was asked for (a file
# of another kind, a server sending without end), and is not read into memory.
MOST_BYTES = 20 * 1024 * 1024
ACCEPTED = "text/csv, application/vnd.sdmx.data+csv, text/plain;q=0.5, */*;q=0.1"
RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})


class FetchError(FundledgerError):
    """A download that failed, as one line: which publisher, which URL, what happened, what
    to try."""


@dataclass(frozen=True, slots=True)
class Retrying:
    """How often a request is tried and how long to wait between tries."""

    attempts: int = 3
    first_wait: float = 1.0  # then twice as long before each next attempt
    longest_wait: float = 30.0  # a Retry-After asking for more than this is not waited for


@dataclass(frozen=True, slots=True)
class Answer:
    """A server's final answer (after redirects): its status, type and text."""

    url: str
    status: int
    reason: str
    content_type: str
    text: str

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def start(self, length: int = 80) -> str:
        """The start of the text, on one line, to show what was received."""
        flat = " ".join(self.text.split())
        if not flat:
            return "an empty body"
        return repr(flat[:length] + ("…" if len(flat) > length else ""))


class _Retry(Exception):
    """A try that may succeed if made again: why it failed, and how long the server asked
    to wait (None: not said)."""

    def __init__(self, problem: str, hint: str, wait: float | None = None) -> None:
        super().__init__(problem)
        self.problem = problem
        self.hint = hint
        self.wait = wait


class Downloader:
    """One HTTP client for a command's downloads (connections are kept between them).

    `timeout`: seconds allowed for connecting, and for each wait for data after it;
    `budget`: seconds all the downloads may take together, waits included (a server sending
    a little at a time never trips `timeout`); `longer`: how the reader can allow longer,
    said when a timeout is the failure (the CLI's --timeout; a web page has none);
    `sleep` waits between attempts (tests pass their own)."""

    def __init__(
        self,
        *,
        timeout: float = 30.0,
        budget: float = 600.0,
        retrying: Retrying = Retrying(),
        longer: str = "allow longer with --timeout",
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.timeout = timeout
        self.budget = budget
        self.retrying = retrying
        self.longer = longer
        self._sleep = sleep
        self._stack = ExitStack()
        self._client: httpx.Client | None = None
        self._deadline = time.monotonic() + budget

    def __enter__(self) -> Downloader:
        self._deadline = time.monotonic() + self.budget
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self._stack.close()
        self._client = None  # entered again, it connects again

    def _http(self) -> httpx.Client:
        if self._client is None:
            import httpx

            self._client = self._stack.enter_context(
                httpx.Client(
                    timeout=httpx.Timeout(self.timeout),
                    trust_env=True,  # proxies and SSL_CERT_FILE from the environment
                    follow_redirects=True,
                    max_redirects=5,
                    headers={"User-Agent": _user_agent(), "Accept": ACCEPTED},
                )
            )
        return self._client

    def get(self, url: str, *, publisher: str, setting: str) -> Answer:
        """The answer to GET `url`, tried up to `retrying.attempts` times. Any status that is
        not retried is returned (the caller knows what a 404 means for its service); what
        cannot be had is a FetchError. `publisher` names who is asked ("the Bank of Israel")
        and `setting` the setting that holds the address, for the error's advice."""
        attempts = max(1, self.retrying.attempts)
        wait = self.retrying.first_wait
        for attempt in range(1, attempts + 1):
            self._check_deadline(url, publisher)
            try:
                return self._try(url, publisher, setting)
            except _Retry as retry:
                tries = f", {attempt} attempts" if attempt > 1 else ""
                pause = retry.wait if retry.wait is not None else wait
                if retry.wait is not None and retry.wait > self.retrying.longest_wait:
                    raise FetchError(
                        f"{publisher}: {url}: {retry.problem}{tries}, asking to be asked again "
                        f"in {retry.wait:,.0f} s; {retry.hint}"
                    ) from None
                if attempt == attempts or time.monotonic() + pause > self._deadline:
                    raise FetchError(
                        f"{publisher}: {url}: {retry.problem}{tries}; {retry.hint}"
                    ) from None
                self._sleep(pause)
                wait *= 2
        raise AssertionError("unreachable")  # pragma: no cover

    def _check_deadline(self, url: str, publisher: str) -> None:
        if time.monotonic() > self._deadline:
            raise FetchError(
                f"{publisher}: {url}: no complete answer within {self.budget:g} s for all the "
                "downloads together; try again later"
            )

    def _try(self, url: str, publisher: str, setting: str) -> Answer:
        import httpx

        later = "try again later"
        try:
            with self._http().stream("GET", url) as response:
                status = response.status_code
                _refuse_downgrade(url, str(response.url), publisher)
                if status in RETRIED_STATUSES:
                    raise _Retry(
                        f"the server answered {status} {response.reason_phrase}",
                        f"the service is busy or down: {later}",
                        _retry_after(response.headers.get("Retry-After")),
                    )
                body = self._read_at_most(response.iter_bytes(), url, publisher, setting)
                return Answer(
                    url=str(response.url),
                    status=status,
                    reason=response.reason_phrase,
                    content_type=response.headers.get("Content-Type", ""),
                    text=_decoded(body, url, publisher),
                )
        except httpx.TimeoutException as error:
            step = "to connect" if isinstance(error, httpx.ConnectTimeout) else "for an answer"
            raise _Retry(
                f"waited {self.timeout:g} s {step} in vain",
                f"{later}, or {self.longer}" if self.longer else later,
            ) from None
        except httpx.ProxyError as error:
            raise FetchError(
                f"{publisher}: {url}: the proxy failed ({_reason(error)}); check HTTPS_PROXY "
                "and HTTP_PROXY (or NO_PROXY) in the environment"
            ) from None
        except httpx.ConnectError as error:
            reason = _reason(error)
            if "CERTIFICATE_VERIFY_FAILED" in reason or "certificate verify failed" in reason:
                raise FetchError(
                    f"{publisher}: {url}: the server's certificate is not trusted ({reason}); "
                    "nothing was fetched. Where a proxy inspects HTTPS, point SSL_CERT_FILE at "
                    "its certificate"
                ) from None
            proxy = _proxy_for(url)
            if proxy:
                raise _Retry(
                    f"cannot connect through the proxy {proxy} ({reason})",
                    "check the proxy, or HTTPS_PROXY, HTTP_PROXY and NO_PROXY in the environment",
                ) from None
            raise _Retry(
                f"cannot connect ({reason})",
                f"check the network connection and proxy settings (HTTPS_PROXY), or {setting}",
            ) from None
        except (httpx.RemoteProtocolError, httpx.ReadError) as error:
            raise _Retry(f"the connection broke off ({_reason(error)})", f"{later}") from None
        except httpx.TooManyRedirects:
            raise FetchError(
                f"{publisher}: {url}: redirected more than 5 times; check {setting}"
            ) from None
        except httpx.InvalidURL as error:
            raise FetchError(f"{publisher}: {url} is not a usable address ({error}); "
                             f"check {setting}") from None  # fmt: skip
        except httpx.UnsupportedProtocol:
            raise FetchError(
                f"{publisher}: {url}: only http:// and https:// addresses can be fetched; "
                f"check {setting}"
            ) from None
        except httpx.TransportError as error:  # a write or close that failed: the network's
            raise _Retry(f"the request failed ({_reason(error)})", later) from None
        except httpx.HTTPError as error:  # an answer that cannot be decoded, and the like
            raise FetchError(
                f"{publisher}: {url}: the answer cannot be read ({_reason(error)}); {later}, "
                f"or check {setting}"
            ) from None

    def _read_at_most(
        self, chunks: Iterator[bytes], url: str, publisher: str, setting: str
    ) -> bytes:
        """The body, refused past MOST_BYTES or the downloads' budget (a server that sends
        without end, or a byte at a time)."""
        body = bytearray()
        for chunk in chunks:
            body += chunk
            if len(body) > MOST_BYTES:
                raise FetchError(
                    f"{publisher}: {url}: the answer is larger than {_size(MOST_BYTES)}, more "
                    f"than any rates request returns; check {setting}"
                )
            self._check_deadline(url, publisher)
        return bytes(body)


def _user_agent() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return f"fundledger/{version('fundledger')} (exchange rates)"
    except PackageNotFoundError:  # run from a source tree not installed
        return "fundledger (exchange rates)"


def _reason(error: Exception) -> str:
    """The innermost cause's words ("[Errno 111] Connection refused"), on one line."""
    cause: BaseException = error
    while cause.__cause__ is not None or cause.__context__ is not None:
        inner = cause.__cause__ or cause.__context__
        assert inner is not None
        if not str(inner):
            break
        cause = inner
    text = " ".join(str(cause).split()) or type(cause).__name__
    return text[:200]


def _proxy_for(url: str) -> str | None:
    """The proxy the environment names for `url` (as httpx reads it), for an error's words."""
    from urllib.request import getproxies_environment, proxy_bypass

    parts = urlsplit(url)
    proxies = getproxies_environment()
    proxy = proxies.get(parts.scheme) or proxies.get("all")
    if not proxy or proxy_bypass(parts.hostname or ""):
        return None
    return proxy


def _retry_after(value: str | None) -> float | None:
    """Seconds the server asks to wait: a number, or an HTTP date."""
    if not value:
        return None
    text = value.strip()
    if text.isascii() and text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        return None
    return max(0.0, moment.timestamp() - time.time())


def _refuse_downgrade(asked: str, answered: str, publisher: str) -> None:
    if urlsplit(asked).scheme == "https" and urlsplit(answered).scheme != "https":
        raise FetchError(
            f"{publisher}: {asked} was redirected to {answered}, which is not HTTPS: refused, "
            "nothing fetched"
        )


def _size(count: int) -> str:
    return f"{count / 2**20:g} MB" if count >= 2**20 else f"{count:,} bytes"


def _decoded(body: bytes, url: str, publisher: str) -> str:
    try:
        return body.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        raise FetchError(
            f"{publisher}: {url}: the answer is not UTF-8 text ({body[:16]!r}…); it is not "
            "what the service publishes"
        ) from None
