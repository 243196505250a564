"""The server's own time for each response, in a `Server-Timing: app;dur=<ms>` header (W3C
Server Timing): what `make bench` (benchmarks/web_pages.py) measures, and what a browser's
developer tools show beside the network's time.

A WSGI middleware rather than Flask's request hooks: it starts before Flask pushes its contexts
and loads the session (the CSRF check and the sign-in rules are hooks too, and they count), and
it stops when the response's headers are sent, after the page has been rendered."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

    from _typeshed import OptExcInfo

HEADER = "Server-Timing"
METRIC = "app"


class ServerTiming:
    """Wraps a WSGI application; every response it makes carries its time in milliseconds."""

    def __init__(self, application: WSGIApplication) -> None:
        self.application = application

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        started = time.perf_counter()

        def timed(
            status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None, /
        ) -> Callable[[bytes], object]:
            elapsed = (time.perf_counter() - started) * 1000
            headers.append((HEADER, f"{METRIC};dur={elapsed:.1f}"))
            return start_response(status, headers, exc_info)

        return self.application(environ, timed)
