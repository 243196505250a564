"""`fundledger serve`: binds 127.0.0.1 unless told otherwise, warns when bound beyond this
machine without secure cookies, serves the pages, and stops cleanly on Ctrl-C."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import urllib.request

import pytest

from tests.e2e.shell import FUNDLEDGER, Shell


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def serve(ledger: Shell, *args: str) -> tuple[str, str, int]:
    """Start the server, fetch /login, stop it with SIGINT: (stdout, stderr, exit status)."""
    port = free_port()
    environment = {**os.environ, "FUNDLEDGER_DB": ledger.database_url,
                   "FUNDLEDGER_SECRET_KEY": "k" * 48}  # fmt: skip
    process = subprocess.Popen(
        [str(FUNDLEDGER), "serve", "--port", str(port), *args], stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True, cwd=ledger.folder, env=environment,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        first = process.stdout.readline()  # printed once the socket is bound
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=30) as page:
            assert page.status == 200
            assert page.headers["X-Frame-Options"] == "DENY"
            assert 'name="csrf_token"' in page.read().decode()
    finally:
        process.send_signal(signal.SIGINT)
        rest, stderr = process.communicate(timeout=30)
    return first + rest, stderr, process.returncode


def test_serve_binds_the_loopback_by_default_and_stops_on_ctrl_c(ledger: Shell) -> None:
    stdout, stderr, status = serve(ledger)
    assert status == 0
    assert "at http://127.0.0.1:" in stdout
    assert "(Ctrl-C stops)" in stdout
    assert "warning" not in stderr
    assert stderr.strip().endswith("fundledger: stopped")
    assert "Traceback" not in stderr


@pytest.mark.parametrize("secure", [False, True])
def test_serve_beyond_this_machine_warns_without_secure_cookies(
    ledger: Shell, secure: bool
) -> None:
    if secure:
        ledger.run("settings", "set", "web.secure_cookies", "on")
    stdout, stderr, status = serve(ledger, "--host", "0.0.0.0")  # noqa: S104 (the point)
    assert status == 0
    assert "at http://0.0.0.0:" in stdout
    warned = "warning: serving on 0.0.0.0, beyond this machine, with web.secure_cookies off"
    assert (warned in stderr) is not secure


def test_serve_names_a_ledger_that_is_not_there(quick_shell: Shell) -> None:
    """A SQLite file that is not there is named (not created empty); a PostgreSQL database
    without the ledger's tables too."""
    assert "fundledger init" in quick_shell.fails("serve")
