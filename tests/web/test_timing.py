"""The Server-Timing header that `make bench` reads (benchmarks/web_pages.py), on SQLite and
PostgreSQL."""

from __future__ import annotations

import re
import time

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.datastructures import Headers

from fundledger.domain.access import Role
from fundledger.web.timing import HEADER
from tests.web.conftest import SignIn

TIMING = re.compile(r"app;dur=(\d+\.\d)")
PAUSE = 0.05  # seconds the slow page below takes at least


def server_ms(headers: Headers) -> float:
    value = headers[HEADER]
    found = TIMING.fullmatch(value)
    assert found is not None, value
    return float(found.group(1))


def test_every_response_has_the_server_time(client: FlaskClient, sign_in: SignIn) -> None:
    answers = [client.get("/"), client.get("/login")]  # a redirect to sign in, the sign-in page
    sign_in(Role.VIEWER)
    answers += [client.get("/"), client.get("/no-such-page"), client.get("/static/fundledger.css")]
    assert [answer.status_code for answer in answers] == [302, 200, 200, 404, 200]
    for answer in answers:
        assert answer.headers.get_all(HEADER) == [answer.headers[HEADER]]  # one, not several
        assert server_ms(answer.headers) >= 0


def test_the_server_time_counts_the_whole_request(
    app: Flask, client: FlaskClient, sign_in: SignIn
) -> None:
    def slow() -> str:
        time.sleep(PAUSE)
        return "done"

    app.add_url_rule("/slow", "slow", slow)
    sign_in(Role.VIEWER)
    started = time.perf_counter()
    answer = client.get("/slow")
    wall_ms = (time.perf_counter() - started) * 1000
    assert answer.status_code == 200
    assert PAUSE * 1000 <= server_ms(answer.headers) <= wall_ms
