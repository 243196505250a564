"""Sending e-mail through an SMTP server (smtplib): one connection for a whole batch, secured
with STARTTLS or implicit TLS, logged in when a user is set, and every failure turned into one
line that says what went wrong and whose fault it is.

What a sender needs to know of a failure is what to do next, so they come in three kinds:
`ServerUnreachable` and `AuthenticationFailed` (every message would fail alike: stop),
`MessageRefused` (this message only: the others go on) and `ConnectionLost` (the connection
broke while this message was on its way: the server may or may not have it; the next message
connects again)."""

from __future__ import annotations

import contextlib
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.errors import MessageError
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime, make_msgid, parseaddr
from types import TracebackType

MAIL_SECURITY = ("none", "starttls", "tls")
DEFAULT_PORTS = {"none": 25, "starttls": 587, "tls": 465}
# Long enough for a busy server's greeting, short enough that a treasurer is not left waiting
# on a host that swallows packets.
TIMEOUT_SECONDS = 30.0
# "Service not available, closing transmission channel": before a message's data, nothing of
# it has gone, so it is sent again on a new connection.
SERVICE_CLOSING = 421
_ADDRESS = re.compile(r"[^@\s<>()\[\],;:\"]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}|[^@\s<>]+@localhost")


def sender_address(text: str) -> str | None:
    """The address in `text` ("Name <a@b.org>" or "a@b.org"), None when it holds none."""
    _name, address = parseaddr(text)
    return address if address and _ADDRESS.fullmatch(address) else None


@dataclass(frozen=True, slots=True)
class SmtpServer:
    """Where and how to send. The password is held only in memory, never shown."""

    host: str
    port: int
    security: str  # none | starttls | tls
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = TIMEOUT_SECONDS
    # The certificates to trust (a test's own CA); None: the system's.
    tls_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


class MailFailure(Exception):
    """A message that did not go, with the reason in one line."""


class ServerUnreachable(MailFailure):
    pass


class AuthenticationFailed(MailFailure):
    pass


class MessageRefused(MailFailure):
    pass


class ConnectionLost(MailFailure):
    pass


def build_message(
    *,
    sender: str,
    recipient: str,
    subject: str,
    plain: str,
    html: str,
    language: str,
    attachment: bytes,
    filename: str,
) -> EmailMessage:
    """One message: a plain-text part and an HTML part of the same words, the PDF attached."""
    message = EmailMessage(policy=SMTP_POLICY)
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=_domain_of(sender))
    message.set_content(plain)
    message.add_alternative(html, subtype="html")
    message.add_attachment(attachment, maintype="application", subtype="pdf", filename=filename)
    # Last: setting the content clears every Content-* header set before it.
    message["Content-Language"] = language
    return message


def _domain_of(sender: str) -> str:
    address = sender_address(sender) or ""
    return address.rpartition("@")[2] or "localhost"


def envelope_address(text: str) -> str:
    """The bare address of a header value (the envelope carries no display name)."""
    return parseaddr(text)[1] or text


class MailClient:
    """One SMTP connection, opened on the first message and kept for the next ones; closed
    when the `with` block ends. Not for several threads at once."""

    def __init__(self, server: SmtpServer) -> None:
        self._server = server
        self._smtp: smtplib.SMTP | None = None

    def __enter__(self) -> MailClient:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        self.close()

    def connect(self) -> None:
        """Opens the connection now (logged in), so that a server that cannot be reached or
        refuses the login is known before anything is claimed or sent."""
        self._connected()

    def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def send(self, message: EmailMessage) -> str:
        """Sends `message` to its To address; returns the server's answer ("250 2.0.0 Ok:
        queued as ..."). A connection found closed before the message began (a server that
        hangs up on idle clients) is opened again once: nothing of the message had gone."""
        sender = envelope_address(str(message["From"]))
        recipient = envelope_address(str(message["To"]))
        if not (sender.isascii() and recipient.isascii()):
            # An address with letters beyond ASCII needs SMTPUTF8 all the way: not attempted.
            raise MessageRefused(f"the address {recipient} has letters beyond ASCII, which "
                                 "fundledger cannot send to yet")  # fmt: skip
        try:
            data = message.as_bytes(policy=SMTP_POLICY)
        except (UnicodeError, MessageError) as error:
            raise MessageRefused(f"the message to {recipient} cannot be written: "
                                 f"{error}") from None  # fmt: skip
        for attempt in (1, 2):
            smtp = self._connected()
            try:
                return self._transmit(smtp, sender, recipient, data)
            except _StaleConnection as stale:
                self._drop()
                if attempt == 2:
                    where = self._server.address
                    raise ConnectionLost(f"the mail server {where} closed the connection "
                                         f"before the message ({stale})") from None  # fmt: skip
        raise RuntimeError("unreachable")  # the loop returns or raises

    def _transmit(self, smtp: smtplib.SMTP, sender: str, recipient: str, data: bytes) -> str:
        stage = "before"
        try:
            code, reply = smtp.mail(sender)
            if code == SERVICE_CLOSING:  # e.g. its limit of messages per connection
                raise _StaleConnection(_said(code, reply))
            if code != 250:
                self._reset(smtp)
                raise MessageRefused(f"the server refused the sender {sender}: "
                                     f"{_said(code, reply)}")  # fmt: skip
            code, reply = smtp.rcpt(recipient)
            if code == SERVICE_CLOSING:
                raise _StaleConnection(_said(code, reply))
            if code not in (250, 251):
                self._reset(smtp)
                raise MessageRefused(f"the server refused the recipient {recipient}: "
                                     f"{_said(code, reply)}")  # fmt: skip
            stage = "during"
            code, reply = smtp.data(data)
            if code != 250:
                self._reset(smtp)
                raise MessageRefused(f"the server refused the message: {_said(code, reply)}")
            return _said(code, reply)
        except smtplib.SMTPResponseException as error:  # data() raises on a 4xx/5xx to DATA
            self._reset(smtp)
            said = _said(error.smtp_code, error.smtp_error)
            raise MessageRefused(f"the server refused the message: {said}") from None
        except (smtplib.SMTPServerDisconnected, OSError) as error:
            if stage == "before":
                raise _StaleConnection(_reason(error)) from None
            self._drop()
            raise ConnectionLost(
                f"the connection to {self._server.address} was lost while sending "
                f"({_reason(error)}); the server may or may not have the message"
            ) from None

    def _reset(self, smtp: smtplib.SMTP) -> None:
        try:
            smtp.rset()
        except (smtplib.SMTPException, OSError):
            self._drop()

    def _drop(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            smtp.close()

    def _connected(self) -> smtplib.SMTP:
        if self._smtp is None:
            self._smtp = self._connect()
        return self._smtp

    def _connect(self) -> smtplib.SMTP:
        server = self._server
        where = server.address
        context = server.tls_context or ssl.create_default_context()
        smtp: smtplib.SMTP | None = None
        try:
            if server.security == "tls":
                smtp = smtplib.SMTP_SSL(server.host, server.port, timeout=server.timeout,
                                        context=context)  # fmt: skip
            else:
                smtp = smtplib.SMTP(server.host, server.port, timeout=server.timeout)
            smtp.ehlo()
            if server.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise ServerUnreachable(f"the mail server {where} offers no STARTTLS: set "
                                            "mail.smtp.security to tls (and its port), or none "
                                            "on a trusted network")  # fmt: skip
                smtp.starttls(context=context)
                smtp.ehlo()
            if server.user:
                self._login(smtp)
        except MailFailure:
            _close_quietly(smtp)
            raise
        except smtplib.SMTPResponseException as error:
            _close_quietly(smtp)
            said = _said(error.smtp_code, error.smtp_error)
            raise ServerUnreachable(f"the mail server {where} refused the session: "
                                    f"{said}") from None  # fmt: skip
        except ssl.SSLError as error:
            _close_quietly(smtp)
            raise ServerUnreachable(f"no secure connection to the mail server {where}: "
                                    f"{error.reason or error}") from None  # fmt: skip
        except (smtplib.SMTPException, OSError) as error:
            _close_quietly(smtp)
            raise ServerUnreachable(f"the mail server {where} is unreachable: "
                                    f"{_reason(error)}") from None  # fmt: skip
        return smtp

    def _login(self, smtp: smtplib.SMTP) -> None:
        server = self._server
        if server.password is None:
            raise AuthenticationFailed(
                f"authentication failed: no password for {server.user} (set "
                "FUNDLEDGER_SMTP_PASSWORD, or mail.smtp.password_file)"
            )
        try:
            smtp.login(server.user or "", server.password)
        except smtplib.SMTPAuthenticationError as error:
            said = _said(error.smtp_code, error.smtp_error)
            raise AuthenticationFailed(f"authentication failed for {server.user} at "
                                       f"{server.address}: {said}") from None  # fmt: skip
        except smtplib.SMTPNotSupportedError:
            raise AuthenticationFailed(
                f"authentication failed: the mail server {server.address} offers no login "
                "(AUTH) here; unset mail.smtp.user, or secure the connection first"
            ) from None


class _StaleConnection(Exception):
    pass


def _close_quietly(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        with contextlib.suppress(OSError):
            smtp.close()


def _said(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return f"{code} {' '.join(text.split())}"


def _reason(error: BaseException) -> str:
    if isinstance(error, socket.timeout | TimeoutError):
        return "no answer in time (unreachable or slow)"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__
