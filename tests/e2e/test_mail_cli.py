"""`fundledger receipt send` and `statement send` as a treasurer runs them, against a local
mail server (tests/mail_server.py): what was sent on standard output, each failure on standard
error with what to do, the exit status of a batch (0 all sent, 3 some not, 1 none), nothing
sent twice, and `fundledger statement DONOR --year Y` still what it was."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest

from tests.e2e.shell import Shell
from tests.mail_server import MailServer, free_port, running_mail_server

ORGANISATION = {
    "organisation.name.en": "Peace Coalition",
    "organisation.name.he": "קואליציית שלום",
    "organisation.name.ar": "ائتلاف السلام",
    "organisation.contact": "+972-4-000-0000",
}
GIFTS = (  # amount, currency, donor, e-mail, language
    ("100", "USD", "Dana Levi", "dana@example.org", "en"),
    ("250", "ILS", "שירה כהן", "shira@example.org", "he"),
    ("180", "ILS", "سمير حداد", None, "ar"),  # no e-mail address
)


@pytest.fixture
def server() -> Iterator[MailServer]:
    with running_mail_server() as running:
        yield running


@pytest.fixture
def mailing(ledger: Shell, server: MailServer) -> Shell:
    setup = replace(ledger, in_process=True)  # the setting up in this process (conftest.py)
    for key, value in {**ORGANISATION, **server.settings()}.items():
        setup.run("settings", "set", key, value)
    for amount, currency, donor, email, language in GIFTS:
        named = ["--email", email] if email else []
        setup.run("donation", "add", "dont-look-away", "--date", "2025-07-03",
                  "--amount", amount, "--currency", currency, "--donor", donor, *named,
                  "--language", language)  # fmt: skip
    setup.run("receipt", "issue", "--campaign", "dont-look-away", "--all-unreceipted",
              "--date", "2025-08-01")  # fmt: skip
    return ledger


def test_receipts_go_out_once_failures_are_listed_and_retried_when_asked(
    mailing: Shell, server: MailServer
) -> None:
    quick = replace(mailing, in_process=True)
    dry = quick.run("receipt", "send", "--campaign", "dont-look-away", "--all-unsent",
                    "--dry-run", expect=3)  # fmt: skip
    assert dry.stdout == (f"Would send 2 receipts through 127.0.0.1:{server.port}:\n"
                          "  receipt R-2025-00001 to dana@example.org (in en)\n"
                          "  receipt R-2025-00002 to shira@example.org (in he)\n")  # fmt: skip
    assert "receipt R-2025-00003, سمير حداد: no e-mail address" in dry.stderr
    assert server.received == []

    server.handler.refused.add("shira@example.org")
    first = mailing.run("receipt", "send", "--campaign", "dont-look-away", "--all-unsent",
                        expect=3)  # fmt: skip
    assert first.stdout == f"Sent 1 receipt by e-mail through 127.0.0.1:{server.port}: 1 in en.\n"
    assert first.stderr.splitlines() == [
        "Failed: 1 receipt:",
        "  receipt R-2025-00002 to shira@example.org: the server refused the recipient "
        "shira@example.org: 550 5.1.1 <shira@example.org>: Recipient address rejected: User "
        "unknown",
        "Mend them, then run `fundledger receipt send --campaign dont-look-away --all-unsent "
        "--retry-failed` to try them again.",
        "Not sent: 1 receipt:",
        "  receipt R-2025-00003, سمير حداد: no e-mail address; fix: fundledger donor edit 3 "
        '--email ADDRESS --reason "..."',
    ]
    assert [each.recipients for each in server.received] == [("dana@example.org",)]
    listed = json.loads(quick.run("receipt", "list", "--format", "json").stdout)
    assert [(row["number"], row["emailed"], row["emailed_to"]) for row in listed] == [
        ("R-2025-00001", "sent", "dana@example.org"),
        ("R-2025-00002", "failed", "shira@example.org"),
        ("R-2025-00003", None, None),
    ]
    table = quick.run("receipt", "list").stdout.splitlines()
    assert table[0].split()[-1] == "E-MAILED"
    assert [line.split()[-1] for line in table[2:4]] == ["sent", "failed"]

    server.handler.refused.clear()
    again = quick.run("receipt", "send", "--campaign", "dont-look-away", "--all-unsent", expect=3)
    assert "1 receipt sent before left alone" in again.stdout
    assert "its last attempt failed" in again.stderr
    assert len(server.received) == 1  # the failed one is not retried unless asked

    retried = quick.run("receipt", "send", "--campaign", "dont-look-away", "--all-unsent",
                        "--retry-failed", expect=3)  # fmt: skip
    assert retried.stdout.startswith("Sent 1 receipt by e-mail")
    assert server.received[-1].recipients == ("shira@example.org",)

    refused = quick.fails("receipt", "send", "R-2025-00001")
    assert refused.startswith("Error: receipt R-2025-00001 was sent to dana@example.org on ")
    assert refused.endswith(": add --again to send it once more")
    dry = quick.run("receipt", "send", "R-2025-00001", "--again", "--dry-run")
    assert "receipt R-2025-00001 to dana@example.org (in en, marked COPY)" in dry.stdout
    copy = mailing.run("receipt", "send", "R-2025-00001", "--again")
    assert copy.stdout.startswith("Sent 1 receipt by e-mail")
    assert server.received[-1].message().get_body(("plain",)) is not None
    assert len(server.received) == 3

    quick.run("campaign", "add", "sakhnin-march", "--name", "Sakhnin march")
    nothing = quick.run("receipt", "send", "--campaign", "sakhnin-march", "--all-unsent")
    assert nothing.stdout == "No receipt to send.\n"

    audit = quick.run("audit").stdout
    assert audit.count("delivery.sent") == 3
    assert audit.count("delivery.failed") == 1
    mailing.run("check")


def test_statements_are_sent_and_the_statement_command_is_as_it_was(
    mailing: Shell, server: MailServer
) -> None:
    written = mailing.run("statement", "1", "--year", "2025")
    assert written.stdout.startswith("Wrote reports/statements/2025/donor-1-en.pdf: 1 gift in 2025")
    assert (mailing.folder / "reports/statements/2025/donor-1-en.pdf").is_file()
    quick = replace(mailing, in_process=True)
    every = quick.run("statement", "--all", "--year", "2025")
    assert every.stdout.startswith("Wrote 3 statements for 2025")
    assert "send" in quick.run("statement", "--help").stdout
    # --db after the command, as every command takes it (shared/design.md §4).
    assert quick.run("statement", "--db", mailing.database_url, "2", "--year", "2025").stdout
    usage = quick.run("statement", "--year", "2025", expect=2)
    assert "Usage: fundledger statement [OPTIONS] [DONOR]" in usage.stderr

    sent = mailing.run("statement", "send", "--all", "--year", "2025", expect=3)
    assert sent.stdout == (f"Sent 2 statements by e-mail through 127.0.0.1:{server.port}: 1 in "
                           "en, 1 in he.\n")  # fmt: skip
    assert "statement 2025 of donor #3, سمير حداد: no e-mail address" in sent.stderr
    assert [each.message()["Content-Language"] for each in server.received] == ["en", "he"]
    assert server.received[1].message().get_body(("plain",)) is not None

    line = quick.fails("statement", "send", "2", "--year", "2025")
    assert "the statement 2025 of donor #2 was sent to shira@example.org" in line
    quick.run("statement", "send", "shira@example.org", "--year", "2025", "--again",
              "--locale", "ar")  # fmt: skip
    assert server.received[-1].message()["Content-Language"] == "ar"
    mailing.run("check")


def test_a_server_that_is_not_there_is_one_line_and_exit_1(mailing: Shell) -> None:
    quick = replace(mailing, in_process=True)
    closed = free_port()
    quick.run("settings", "set", "mail.smtp.port", str(closed))
    line = mailing.fails("receipt", "send", "--campaign", "dont-look-away", "--all-unsent")
    assert line == (f"Error: the mail server 127.0.0.1:{closed} is unreachable: Connection "
                    "refused; nothing was sent")  # fmt: skip
    quick.run("settings", "unset", "mail.smtp.host")
    assert quick.fails("statement", "send", "--all", "--year", "2025") == (
        "Error: set mail.smtp.host first: fundledger settings set mail.smtp.host smtp.example.org"
    )
    usage = quick.run("receipt", "send", "R-2025-00001", "--campaign", "x", expect=2)
    assert "give either NUMBER, or --campaign SLUG --all-unsent" in usage.stderr
