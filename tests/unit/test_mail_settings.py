"""The mail.* settings: each value checked as it is set, and the password found where the
design says (the environment first, else the file), never in the ledger."""

from __future__ import annotations

from pathlib import Path

import pytest

from fundledger.domain.errors import FundledgerError
from fundledger.services.mail_settings import mail_sender, mail_server
from fundledger.services.settings import SETTINGS

GIVEN = {"mail.smtp.host": "smtp.example.org", "mail.from": "Peace <r@peace.example.org>"}


@pytest.mark.parametrize(
    ("key", "value", "stored"),
    [
        ("mail.smtp.host", " SMTP.Example.org ", "smtp.example.org"),
        ("mail.smtp.port", "0587", "587"),
        ("mail.smtp.security", "STARTTLS", "starttls"),
        ("mail.from", "Peace Coalition  <receipts@example.org>",
         "Peace Coalition <receipts@example.org>"),
        ("mail.from", "receipts@example.org", "receipts@example.org"),
    ],
)  # fmt: skip
def test_a_good_value_is_kept_tidied(key: str, value: str, stored: str) -> None:
    assert SETTINGS[key].check(value) == stored


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("mail.smtp.host", "smtp://smtp.example.org", "is not a host name"),
        ("mail.smtp.host", "smtp.example.org:587", "is not a host name"),
        ("mail.smtp.port", "70000", "is not a port"),
        ("mail.smtp.port", "five", "is not a port"),
        ("mail.smtp.security", "ssl", "use one of none, starttls, tls"),
        ("mail.from", "Peace Coalition", "is not an e-mail address"),
    ],
)
def test_a_wrong_value_is_refused_saying_what_is_wanted(key: str, value: str, said: str) -> None:
    with pytest.raises(FundledgerError, match=said):
        SETTINGS[key].check(value)


def test_the_mail_keys_come_right_after_the_web_ones() -> None:
    keys = list(SETTINGS)
    start = keys.index("web.secure_cookies") + 1
    assert keys[start:start + 6] == [
        "mail.smtp.host", "mail.smtp.port", "mail.smtp.security", "mail.smtp.user",
        "mail.smtp.password_file", "mail.from",
    ]  # fmt: skip


def test_the_port_follows_the_security_unless_set() -> None:
    assert mail_server(GIVEN, {}).port == 587
    assert mail_server({**GIVEN, "mail.smtp.security": "tls"}, {}).port == 465
    assert mail_server({**GIVEN, "mail.smtp.security": "none"}, {}).port == 25
    assert mail_server({**GIVEN, "mail.smtp.port": "2525"}, {}).port == 2525
    assert mail_sender(GIVEN) == "Peace <r@peace.example.org>"


def test_the_password_comes_from_the_environment_first_then_the_file(tmp_path: Path) -> None:
    secret = tmp_path / "password"
    secret.write_text("from-the-file\n")  # as an editor saves it: the line break is not in it
    settings = {**GIVEN, "mail.smtp.user": "treasurer", "mail.smtp.password_file": str(secret)}
    from_file, from_environment = "from-the-file", "from-the-environment"
    assert mail_server(settings, {}).password == from_file
    server = mail_server(settings, {"FUNDLEDGER_SMTP_PASSWORD": from_environment})
    assert server.password == from_environment
    assert from_environment not in repr(server)
    secret.unlink()
    with pytest.raises(FundledgerError, match=r"cannot read the mail password from .*password "
                       r"\(mail\.smtp\.password_file\): No such file or directory"):  # fmt: skip
        mail_server(settings, {})
    assert mail_server(GIVEN, {}).password is None  # no user: no login, no password needed
