"""A real SMTP server for the tests: aiosmtpd in a thread on 127.0.0.1, on a free port,
with a handler whose answers each test scripts (4xx, 5xx for one recipient, a dropped
connection, a hang)."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import attrs
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

__all__ = [
    "PASSWORD",
    "USER",
    "LocalController",
    "Received",
    "ScriptedHandler",
    "check_login",
    "silent_listener",
    "smtp_server",
]

USER = "shop@example.com"
# Characters that need percent-encoding in a URL, and a piece that would stand out in text.
PASSWORD = "p@ss:w/rd?#%-7Xq9Zsecret"


@attrs.frozen
class Received:
    """One mail as the server took it: the envelope and the bytes of the message."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    content: bytes
    session: int


class ScriptedHandler:
    """Accepts mail and keeps it, unless told otherwise.

    ``refused_recipients`` maps an address to the reply its RCPT gets; ``data_replies`` are
    the replies of the next DATA commands, in order (then ``250 OK``); ``drop_in_data``
    closes the connection instead of answering that many DATA commands;
    ``close_after_data`` closes it after answering that many; ``hang_in_data`` never
    answers DATA.
    """

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.refused_recipients: dict[str, str] = {}
        self.data_replies: list[str] = []
        self.mail_replies: list[str] = []
        self.drop_in_data = 0
        self.close_after_data = 0
        self.hang_in_data = False
        self.sessions: list[int] = []

    async def handle_MAIL(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        if id(session) not in self.sessions:
            self.sessions.append(id(session))
        if self.mail_replies:
            return self.mail_replies.pop(0)
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: Any
    ) -> str:
        refusal = self.refused_recipients.get(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.hang_in_data:
            await asyncio.sleep(3600)
        assert server.transport is not None
        if self.drop_in_data:
            self.drop_in_data -= 1
            server.transport.close()
            return "250 OK"  # never reaches the client: the connection is gone
        if self.data_replies:
            return self.data_replies.pop(0)
        content = envelope.original_content or b""
        self.received.append(
            Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), content, id(session))
        )
        if self.close_after_data:
            self.close_after_data -= 1
            # After the reply is written: close() sends what is buffered first.
            asyncio.get_running_loop().call_soon(server.transport.close)
        return "250 OK"


def check_login(
    server: SMTP, session: Session, envelope: Envelope, mechanism: str, auth_data: Any
) -> AuthResult:
    """The aiosmtpd authenticator: USER with PASSWORD logs in, anything else does not."""
    ok = isinstance(auth_data, LoginPassword) and (
        auth_data.login.decode(),
        auth_data.password.decode(),
    ) == (USER, PASSWORD)
    return AuthResult(success=ok, handled=False)


class LocalController(Controller):
    """aiosmtpd on 127.0.0.1, on a port the system picks (no clash between test workers)."""

    def __init__(self, handler: object, **smtp_parameters: Any) -> None:
        super().__init__(handler, hostname="127.0.0.1", port=0, **smtp_parameters)

    def _trigger_server(self) -> None:
        assert self.server is not None
        self.port = self.server.sockets[0].getsockname()[1]
        super()._trigger_server()


@contextmanager
def smtp_server(handler: ScriptedHandler, **smtp_parameters: Any) -> Iterator[LocalController]:
    """A running server for the ``with`` block; ``smtp_parameters`` go to aiosmtpd's SMTP
    (``tls_context``, ``require_starttls``, ``authenticator``, ``ssl_context`` for TLS from
    the first byte ...). SMTPUTF8 is on."""
    smtp_parameters.setdefault("enable_SMTPUTF8", True)
    controller = LocalController(handler, **smtp_parameters)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@contextmanager
def silent_listener() -> Iterator[int]:
    """A port that accepts connections (the kernel's backlog) and never says a word."""
    with socket.create_server(("127.0.0.1", 0)) as listener:
        listener.listen(8)
        yield listener.getsockname()[1]


def server_context(configure: Any) -> ssl.SSLContext:
    """A server-side TLS context set up by ``configure`` (a trustme ``LeafCert.configure_cert``)."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    configure(context)
    return context
