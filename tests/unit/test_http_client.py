"""The downloader `rates fetch` uses, against real local servers: TLS verified (an untrusted
certificate refused, the same one trusted through SSL_CERT_FILE), proxies from the
environment, Retry-After, answers too large, a redirect away from HTTPS, refused
connections; every failure one line naming who, which URL and what to try."""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from fundledger.adapters import http_client
from fundledger.adapters.http_client import Downloader, FetchError, Retrying

PUBLISHER = "Bank of Israel"
SETTING = "rates.boi.url"


def get(url: str, downloader: Downloader | None = None) -> http_client.Answer:
    with downloader or Downloader(timeout=3, retrying=Retrying(first_wait=0)) as client:
        return client.get(url, publisher=PUBLISHER, setting=SETTING)


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, as a server no authority vouches for has."""
    folder = tmp_path_factory.mktemp("tls")
    key, cert = folder / "key.pem", folder / "cert.pem"
    openssl = shutil.which("openssl")
    assert openssl, "openssl is needed to make the test certificate"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, cert


@pytest.fixture
def tls_server(certificate: tuple[Path, Path]) -> Iterator[HTTPServer]:
    key, cert = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context)
    server.start()
    yield server
    server.clear()
    server.stop()


def test_an_untrusted_certificate_is_refused_and_trusted_through_ssl_cert_file(
    tls_server: HTTPServer, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    tls_server.expect_request("/rates").respond_with_data("SERIES_CODE\n", content_type="text/csv")
    url = tls_server.url_for("/rates")
    assert url.startswith("https://")
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    with pytest.raises(FetchError) as refused:
        get(url)
    message = str(refused.value)
    assert message.startswith(f"Bank of Israel: {url}: the server's certificate is not trusted (")
    assert "certificate verify failed" in message
    assert message.endswith("point SSL_CERT_FILE at its certificate")
    assert "attempts" not in message  # not tried again: trying cannot make it trusted

    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[1]))
    assert get(url).text == "SERIES_CODE\n"


def test_a_redirect_from_https_to_plain_http_is_refused(
    tls_server: HTTPServer, httpserver: HTTPServer, certificate: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate[1]))
    httpserver.expect_request("/rates").respond_with_data("SERIES_CODE\n")
    plain = httpserver.url_for("/rates")
    tls_server.expect_request("/rates").respond_with_response(
        Response(status=302, headers={"Location": plain})
    )
    with pytest.raises(FetchError, match=r"was redirected to http://\S+, which is not HTTPS: "
                                         r"refused, nothing fetched"):  # fmt: skip
        get(tls_server.url_for("/rates"))


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_the_proxy_of_the_environment_is_used_and_no_proxy_is_honoured(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/rates").respond_with_data("SERIES_CODE\n")
    url = httpserver.url_for("/rates")
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy",
                 "https_proxy", "all_proxy", "no_proxy"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    proxy = f"http://127.0.0.1:{_closed_port()}"
    monkeypatch.setenv("HTTP_PROXY", proxy)
    with pytest.raises(FetchError) as failed:
        get(url, Downloader(timeout=2, retrying=Retrying(attempts=1)))
    assert str(failed.value) == (
        f"Bank of Israel: {url}: cannot connect through the proxy {proxy} ([Errno 111] "
        "Connection refused); check the proxy, or HTTPS_PROXY, HTTP_PROXY and NO_PROXY in the "
        "environment"
    )
    assert httpserver.log == []  # the request went to the proxy, not to the server

    monkeypatch.setenv("NO_PROXY", "localhost,127.0.0.1")
    assert get(url).text == "SERIES_CODE\n"


def test_a_refused_connection_is_tried_again_then_named(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    waits: list[float] = []
    url = f"http://127.0.0.1:{_closed_port()}/rates"
    downloader = Downloader(timeout=2, retrying=Retrying(attempts=3, first_wait=0.5),
                            sleep=waits.append)  # fmt: skip
    with pytest.raises(FetchError) as failed:
        get(url, downloader)
    assert waits == [0.5, 1.0]  # the wait doubles
    assert str(failed.value).startswith(f"Bank of Israel: {url}: cannot connect (")
    assert str(failed.value).endswith(
        "3 attempts; check the network connection and proxy settings (HTTPS_PROXY), or "
        "rates.boi.url"
    )


def test_retry_after_is_honoured_when_short_and_not_waited_for_when_long(
    httpserver: HTTPServer,
) -> None:
    answers = iter([Response("busy", status=429, headers={"Retry-After": "2"}),
                    Response("SERIES_CODE\n", status=200)])  # fmt: skip
    httpserver.expect_request("/rates").respond_with_handler(lambda request: next(answers))
    waits: list[float] = []
    downloader = Downloader(retrying=Retrying(first_wait=0.1), sleep=waits.append)
    assert get(httpserver.url_for("/rates"), downloader).text == "SERIES_CODE\n"
    assert waits == [2.0]

    httpserver.clear()
    httpserver.expect_request("/later").respond_with_response(
        Response("down for maintenance", status=503, headers={"Retry-After": "3600"})
    )
    waits.clear()
    with pytest.raises(
        FetchError,
        match="503 SERVICE UNAVAILABLE, asking to be asked again in 3,600 s; the service is busy",
    ):
        get(httpserver.url_for("/later"), downloader)
    assert waits == []  # an hour is not waited for: it says so at once


def test_an_answer_larger_than_any_rates_request_is_not_read_to_its_end(
    httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http_client, "MOST_BYTES", 1000)
    sent: list[int] = []

    def endless(request: Request) -> Response:
        def chunks() -> Iterator[bytes]:
            for _ in range(10_000):
                sent.append(1)
                yield b"x" * 1000

        return Response(chunks(), content_type="text/csv")

    httpserver.expect_request("/rates").respond_with_handler(endless)
    too_large = r"the answer is larger than 1,000 bytes, more than any rates request returns"
    with pytest.raises(FetchError, match=too_large + r"; check rates\.boi\.url"):
        get(httpserver.url_for("/rates"))
    assert len(sent) < 10_000


def test_an_answer_not_utf8_is_refused(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/rates").respond_with_data(
        b"\xff\xfeS\x00E\x00", content_type="text/csv"
    )
    with pytest.raises(FetchError, match="is not UTF-8 text"):
        get(httpserver.url_for("/rates"))


def test_a_status_that_is_not_retried_is_returned_for_the_caller_to_read(
    httpserver: HTTPServer,
) -> None:
    httpserver.expect_request("/rates").respond_with_data("No results found.", status=404)
    answer = get(httpserver.url_for("/rates"))
    assert (answer.status, answer.ok, answer.text) == (404, False, "No results found.")
    assert len(httpserver.log) == 1


def test_a_server_sending_a_little_at_a_time_is_stopped_at_the_budget(
    httpserver: HTTPServer,
) -> None:
    finished = threading.Event()

    def dripping(request: Request) -> Response:
        def chunks() -> Iterator[bytes]:
            for _ in range(20):
                if finished.wait(0.2):  # each wait is well within the timeout
                    return  # the test is over: the server is free for the next one
                yield b"SERIES_CODE\n"

        return Response(chunks(), content_type="text/csv")

    httpserver.expect_request("/rates").respond_with_handler(dripping)
    started = time.monotonic()
    with pytest.raises(FetchError, match=r"no complete answer within 1 s for all the downloads "
                                         r"together; try again later"):  # fmt: skip
        get(httpserver.url_for("/rates"), Downloader(timeout=2, budget=1))
    assert time.monotonic() - started < 2.5
    finished.set()
