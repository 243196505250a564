"""`fundledger user add|list|disable|password|role`, run as an admin would at a terminal or
from a script, on both databases."""

from __future__ import annotations

import json
import os
import subprocess
import time

from tests.e2e.shell import FUNDLEDGER, Shell

PASSWORD = "correct horse battery"  # noqa: S105 (a test user's)


def with_stdin(
    ledger: Shell, *args: str, text: str, expect: int = 0
) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [str(FUNDLEDGER), *args], input=text, capture_output=True, text=True, cwd=ledger.folder,
        env={**os.environ, "FUNDLEDGER_DB": ledger.database_url, "FUNDLEDGER_USER": "e2e"},
        check=False,
    )  # fmt: skip
    assert completed.returncode == expect, (completed.stdout, completed.stderr)
    assert "Traceback" not in completed.stderr
    return completed


def test_users_from_a_script(ledger: Shell) -> None:
    added = with_stdin(ledger, "user", "add", "Dana", "--role", "admin", "--language", "he",
                       "--password-stdin", text=PASSWORD + "\n")  # fmt: skip
    assert added.stdout == "user Dana added: admin\n"
    with_stdin(ledger, "user", "add", "omar", "--role", "viewer", "--password-stdin",
               text=PASSWORD + "\n")  # fmt: skip
    ledger.run("user", "role", "omar", "treasurer")
    with_stdin(ledger, "user", "password", "omar", "--password-stdin", text="another passphrase\n")
    ledger.run("user", "disable", "omar")
    listed = json.loads(ledger.run("user", "list", "--format", "json").stdout)
    assert [(u["name"], u["role"], u["active"], u["language"]) for u in listed] == [
        ("Dana", "admin", True, "he"), ("omar", "treasurer", False, None)]  # fmt: skip
    assert {u["changed_by"] for u in listed} == {"e2e"}
    table = ledger.run("user", "list").stdout
    assert "disabled" in table
    assert "argon2" not in table + json.dumps(listed)
    audit = ledger.run("audit", "--format", "json").stdout
    for action in ("user.add", "user.role", "user.password", "user.disable"):
        assert action in audit
    assert "argon2" not in audit
    assert PASSWORD not in audit


def test_without_a_terminal_the_password_must_come_on_stdin(quick_ledger: Shell) -> None:
    message = quick_ledger.fails("user", "add", "dana", "--role", "admin")
    assert "no terminal to ask for the password on" in message
    assert "--password-stdin" in message
    assert quick_ledger.run("user", "list", "--format", "json").stdout.strip() == "[]"


def test_short_passwords_and_unknown_roles_are_refused(ledger: Shell) -> None:
    short = with_stdin(ledger, "user", "add", "dana", "--role", "admin", "--password-stdin",
                       text="eleven char\n", expect=1)  # fmt: skip
    assert short.stderr.strip().splitlines() == [
        "Error: the password has 11 characters; it needs at least 12 (a few unrelated words "
        "make a long one that is easy to type)"]  # fmt: skip
    usage = ledger.run("user", "role", "dana", "boss", expect=2).stderr
    assert "Invalid value for 'ROLE': 'boss' is not one of 'viewer', 'treasurer', 'admin'" in usage
    assert "no user 'nobody'" in ledger.fails("user", "disable", "nobody")


def test_at_a_terminal_the_password_is_asked_twice_and_not_echoed(ledger: Shell) -> None:
    primary, secondary = os.openpty()
    process = subprocess.Popen(
        [str(FUNDLEDGER), "user", "add", "dana", "--role", "admin"], stdin=secondary,
        stdout=subprocess.PIPE, stderr=secondary, cwd=ledger.folder,
        env={**os.environ, "FUNDLEDGER_DB": ledger.database_url, "FUNDLEDGER_USER": "e2e"},
    )  # fmt: skip
    os.close(secondary)
    seen = b""
    for reply in (PASSWORD, PASSWORD):
        while not seen.rstrip().endswith(b":"):
            seen += os.read(primary, 1024)
        os.write(primary, reply.encode() + b"\n")
        time.sleep(0.2)
        seen += os.read(primary, 1024)
    stdout, _ = process.communicate(timeout=60)
    os.close(primary)
    assert process.returncode == 0, seen
    assert b"Password (at least 12 characters):" in seen
    assert b"Repeat the password:" in seen
    assert PASSWORD.encode() not in seen
    assert stdout == b"user dana added: admin\n"
