"""Where the e-mails of receipts and statements go out: the mail.* settings, and the password,
which is never kept in the ledger (design.md §4): FUNDLEDGER_SMTP_PASSWORD, else the file that
mail.smtp.password_file names, read each time mail is sent."""

from __future__ import annotations

import os
from pathlib import Path

from fundledger.adapters.mail import DEFAULT_PORTS, SmtpServer
from fundledger.domain.errors import FundledgerError

PASSWORD_VARIABLE = "FUNDLEDGER_SMTP_PASSWORD"  # noqa: S105  # the variable's name, not a password


def mail_server(settings: dict[str, str], environ: dict[str, str] | None = None) -> SmtpServer:
    """The mail server of the settings; the password from FUNDLEDGER_SMTP_PASSWORD, else the
    file mail.smtp.password_file names, read now (never from the ledger)."""
    host = settings.get("mail.smtp.host")
    if host is None:
        raise FundledgerError(
            "set mail.smtp.host first: fundledger settings set mail.smtp.host smtp.example.org"
        )
    security = settings.get("mail.smtp.security", "starttls")
    port = int(settings.get("mail.smtp.port", DEFAULT_PORTS[security]))
    user = settings.get("mail.smtp.user")
    password = None
    if user is not None:
        password = _password((os.environ if environ is None else environ),
                             settings.get("mail.smtp.password_file"), user)  # fmt: skip
    return SmtpServer(host, port, security, user, password)


def _password(environ: os._Environ[str] | dict[str, str], file: str | None, user: str) -> str:
    given = environ.get(PASSWORD_VARIABLE)
    if given:
        return given
    if file is None:
        raise FundledgerError(
            f"mail.smtp.user is {user}, but no password is given: set {PASSWORD_VARIABLE}, or "
            "name a file holding it: fundledger settings set mail.smtp.password_file PATH"
        )
    try:
        text = Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) else "not UTF-8 text"
        raise FundledgerError(f"cannot read the mail password from {file} "
                              f"(mail.smtp.password_file): {reason}") from None  # fmt: skip
    password = text.rstrip("\r\n")
    if not password:
        raise FundledgerError(f"the mail password file {file} is empty")
    return password


def mail_sender(settings: dict[str, str]) -> str:
    sender = settings.get("mail.from")
    if sender is None:
        raise FundledgerError('set mail.from first: fundledger settings set mail.from '
                              '"Peace Coalition <receipts@example.org>"')  # fmt: skip
    return sender
