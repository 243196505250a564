"""A real SMTP server for the tests (aiosmtpd), on 127.0.0.1 at a free port, keeping every
message it accepts; failures injected on request: recipients refused (550), a login required,
a slow answer to each message, the connection dropped on a message, the server gone for good.
STARTTLS and implicit TLS use a throw-away CA (trustme) that the client is handed."""

from __future__ import annotations

import asyncio
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from fundledger.adapters.mail import SmtpServer


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: tuple[str, ...]
    data: bytes
    session: int  # which connection brought it

    def message(self) -> EmailMessage:
        parsed = message_from_bytes(self.data, policy=default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class MailHandler:
    received: list[Received] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)  # recipients answered 550
    delay: float = 0.0  # seconds before answering each message
    drop_for: set[str] = field(default_factory=set)  # recipients whose message drops the line
    vanish_after: int | None = None  # messages accepted before the server goes for good
    vanish: Any = None  # set by the server: stops it listening
    per_connection: int | None = None  # messages a connection takes before the server hangs up
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_MAIL(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        taken = sum(1 for each in self.received if each.session == id(session))
        if self.per_connection is not None and taken >= self.per_connection:
            assert server.transport is not None
            server.loop.call_soon(server.transport.close)  # after the answer has gone
            return "421 4.7.0 Too many messages on this connection, closing"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802  # aiosmtpd's hook names
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address in self.refused:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope
    ) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)
        gone = self.vanish_after is not None and len(self.received) >= self.vanish_after
        if gone or set(envelope.rcpt_tos) & self.drop_for:
            if gone and self.vanish is not None:
                self.vanish()
            assert server.transport is not None
            server.transport.abort()  # no answer: the line just drops
            return "421 gone"
        data = envelope.original_content or b""
        with self.lock:
            self.received.append(Received(str(envelope.mail_from), tuple(envelope.rcpt_tos),
                                          data, id(session)))  # fmt: skip
            number = len(self.received)
        return f"250 2.0.0 Ok: queued as TEST{number:05d}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class MailServer:
    handler: MailHandler
    port: int
    security: str
    client_context: ssl.SSLContext | None
    ca_file: str | None  # the CA's certificate, for a `fundledger` process (SSL_CERT_FILE)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def settings(self, user: str | None = None) -> dict[str, str]:
        """The mail.* settings that send through this server."""
        found = {"mail.smtp.host": "127.0.0.1", "mail.smtp.port": str(self.port),
                 "mail.smtp.security": self.security,
                 "mail.from": "Peace Coalition <receipts@peace.example.org>"}  # fmt: skip
        if user:
            found["mail.smtp.user"] = user
        return found

    def server(self, user: str | None = None, password: str | None = None) -> SmtpServer:
        return SmtpServer("127.0.0.1", self.port, self.security, user, password, timeout=10,
                          tls_context=self.client_context)  # fmt: skip


class _Controller(Controller):
    def __init__(self, handler: MailHandler, port: int, **options: Any) -> None:
        self._options = options
        super().__init__(handler, hostname="127.0.0.1", port=port, **options)

    def stop_listening(self) -> None:
        """The server goes: no new connection is accepted (called on its own loop)."""
        if self.server is not None:
            self.server.close()


@contextmanager
def running_mail_server(
    *, security: str = "none", login: tuple[str, str] | None = None
) -> Iterator[MailServer]:
    """A server until the block ends. `security`: none, starttls (required) or tls (implicit);
    `login`: the user and password it requires."""
    handler = MailHandler()
    options: dict[str, Any] = {"auth_require_tls": False}
    client_context = ca_file = None
    if security != "none":
        authority = trustme.CA()
        server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1", "localhost").configure_cert(server_context)
        client_context = ssl.create_default_context()
        authority.configure_trust(client_context)
        ca_file = _written_ca(authority)
        if security == "starttls":
            options.update(tls_context=server_context, require_starttls=True)
        else:
            options["ssl_context"] = server_context
    if login is not None:
        user, password = login

        def authenticate(server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                         data: Any) -> AuthResult:  # fmt: skip
            ok = (isinstance(data, LoginPassword) and data.login == user.encode()
                  and data.password == password.encode())  # fmt: skip
            return AuthResult(success=ok, handled=False)

        options.update(authenticator=authenticate, auth_required=True)
    port = free_port()
    controller = _Controller(handler, port, **options)
    controller.start()
    handler.vanish = controller.stop_listening
    try:
        yield MailServer(handler, port, security, client_context, ca_file)
    finally:
        controller.stop()
        if ca_file is not None:
            import os

            os.unlink(ca_file)


def _written_ca(authority: trustme.CA) -> str:
    import tempfile

    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as file:
        file.write(authority.cert_pem.bytes())
        return file.name
