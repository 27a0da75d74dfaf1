"""The SMTP adapter against a real SMTP server (aiosmtpd) with STARTTLS, TLS and AUTH."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from orderstatus_core import (
    MailDeliveryError,
    MailRejectedError,
    OrderListMail,
    OrderStatus,
    OutboxMessage,
    OutgoingMail,
    parse_email,
)
from orderstatus_core.testing import FixedClock
from orderstatus_core.testing.contracts import Delivered, MailerContract, delivered_mail
from orderstatus_smtp import SmtpMailer
from support.smtp_server import (
    PASSWORD,
    USER,
    LocalController,
    ScriptedHandler,
    check_login,
    silent_listener,
    smtp_server,
)

SHOP = "Parts Shop <orders@shop.example>"
MakeMailer = Callable[..., SmtpMailer]


def _mail(number: int = 1, to: str = "jane@example.com") -> OutgoingMail:
    return OutgoingMail(f"m{number}", to, f"Mail {number}", f"Hello {number}\n")


@pytest.fixture
def handler() -> ScriptedHandler:
    """A handler that accepts everything until a test scripts it."""
    return ScriptedHandler()


@pytest.fixture
def server(handler: ScriptedHandler, server_tls: ssl.SSLContext) -> Iterator[LocalController]:
    """The production shape: STARTTLS required, AUTH required."""
    with smtp_server(
        handler,
        tls_context=server_tls,
        require_starttls=True,
        authenticator=check_login,
        auth_required=True,
    ) as controller:
        yield controller


@pytest.fixture
def make_mailer(cafile: str) -> Iterator[MakeMailer]:
    """Mailers to a test server, trusting the test CA, closed after the test."""
    made: list[SmtpMailer] = []

    def make(controller: LocalController | int, **options: Any) -> SmtpMailer:
        port = controller if isinstance(controller, int) else controller.port
        options.setdefault("sender", SHOP)
        options.setdefault("cafile", cafile)
        options.setdefault("timeout", 5.0)
        mailer = SmtpMailer("127.0.0.1", port, **options)
        made.append(mailer)
        return mailer

    yield make
    for mailer in made:
        mailer.close()


@pytest.fixture
def mailer(server: LocalController, make_mailer: MakeMailer) -> SmtpMailer:
    """A logged-in mailer over STARTTLS."""
    return make_mailer(server, user=USER, password=PASSWORD)


class TestSmtpMailer(MailerContract):
    """``smtp://`` mail keeps every mailer contract, read back from what the server took."""

    @pytest.fixture
    def delivered(self, handler: ScriptedHandler) -> Delivered:
        """Every message the server accepted, parsed back."""
        return lambda: [delivered_mail(received.content) for received in handler.received]


def test_the_envelope_is_the_bare_sender_and_recipient(
    mailer: SmtpMailer, handler: ScriptedHandler
) -> None:
    """MAIL FROM and RCPT TO carry the addresses, not the display name."""
    mailer.send(_mail())
    assert [(r.mail_from, r.rcpt_tos) for r in handler.received] == [
        ("orders@shop.example", ("jane@example.com",))
    ]


def test_a_batch_goes_over_one_connection_until_close(
    mailer: SmtpMailer, handler: ScriptedHandler
) -> None:
    """Five mails share one session; after close() the next mail opens a new one."""
    for number in range(5):
        mailer.send(_mail(number))
    mailer.close()
    mailer.send(_mail(5))
    assert [r.session for r in handler.received].count(handler.sessions[0]) == 5
    assert len(handler.sessions) == 2


def test_smtps_speaks_tls_from_the_first_byte(
    handler: ScriptedHandler, server_tls: ssl.SSLContext, make_mailer: MakeMailer
) -> None:
    """``security="tls"`` (smtps://) delivers to a server that only speaks TLS."""
    with smtp_server(handler, ssl_context=server_tls) as controller:
        mailer = make_mailer(controller, security="tls")
        mailer.send(_mail())
        mailer.close()  # before the server stops: it would leave the session's socket open
    assert len(handler.received) == 1


@pytest.mark.parametrize("reply", ["451 4.3.0 Try again later", "452 4.3.1 Out of storage"])
def test_a_4xx_reply_to_the_message_is_retried_later(
    mailer: SmtpMailer, handler: ScriptedHandler, reply: str
) -> None:
    """A temporary refusal is a MailDeliveryError (the outbox keeps the mail), not a
    rejection, and the connection goes on serving the next mail."""
    handler.data_replies.append(reply)
    with pytest.raises(MailDeliveryError, match=reply.split()[0]) as raised:
        mailer.send(_mail(1))
    assert not isinstance(raised.value, MailRejectedError)
    mailer.send(_mail(2))
    assert [delivered_mail(r.content).message_id for r in handler.received] == ["m2"]
    assert len(handler.sessions) == 1


def test_a_4xx_reply_to_the_recipient_is_retried_later(
    mailer: SmtpMailer, handler: ScriptedHandler
) -> None:
    """``450 mailbox busy`` for the recipient: retried, not dead-lettered."""
    handler.refused_recipients["jane@example.com"] = "450 4.2.1 Mailbox busy"
    with pytest.raises(MailDeliveryError) as raised:
        mailer.send(_mail())
    assert not isinstance(raised.value, MailRejectedError)


def test_a_5xx_for_one_recipient_rejects_that_mail_only(
    mailer: SmtpMailer, handler: ScriptedHandler
) -> None:
    """``550 no such user`` is a MailRejectedError; mail to others still goes through."""
    handler.refused_recipients["gone@example.com"] = "550 5.1.1 No such user"
    with pytest.raises(MailRejectedError, match="RCPT TO with 550"):
        mailer.send(_mail(1, to="gone@example.com"))
    mailer.send(_mail(2))
    assert [r.rcpt_tos for r in handler.received] == [("jane@example.com",)]


@pytest.mark.parametrize(
    ("where", "reply"),
    [("data", "554 5.7.1 Message refused as spam"), ("mail", "553 5.1.8 Sender rejected")],
)
def test_a_5xx_for_the_message_or_sender_rejects_it(
    mailer: SmtpMailer, handler: ScriptedHandler, where: str, reply: str
) -> None:
    """A permanent refusal of the content or the sender is a MailRejectedError."""
    (handler.data_replies if where == "data" else handler.mail_replies).append(reply)
    with pytest.raises(MailRejectedError, match=reply.split()[0]):
        mailer.send(_mail())


def test_a_server_that_never_greets_times_out(make_mailer: MakeMailer) -> None:
    """A server that accepts the connection and says nothing fails the send after the
    timeout, as a retryable error."""
    with silent_listener() as port:
        mailer = make_mailer(port, timeout=0.3)
        with pytest.raises(MailDeliveryError, match=r"did not answer within 0\.3 s"):
            mailer.send(_mail())


def test_a_server_that_hangs_in_data_times_out(
    server: LocalController, handler: ScriptedHandler, make_mailer: MakeMailer
) -> None:
    """A server that takes the message and never answers fails the send after the timeout;
    the next mail opens a new connection."""
    mailer = make_mailer(server, user=USER, password=PASSWORD, timeout=0.3)
    handler.hang_in_data = True
    with pytest.raises(MailDeliveryError, match=r"did not answer within 0\.3 s"):
        mailer.send(_mail(1))
    handler.hang_in_data = False
    mailer.send(_mail(2))
    assert len(handler.sessions) == 2


def test_a_connection_dropped_mid_data_fails_that_mail_and_the_next_reconnects(
    mailer: SmtpMailer, handler: ScriptedHandler
) -> None:
    """The server hangs up after the message's body, before its reply: a retryable error;
    the next send opens a new connection and is delivered."""
    handler.drop_in_data = 1
    with pytest.raises(MailDeliveryError, match="lost the connection") as raised:
        mailer.send(_mail(1))
    assert not isinstance(raised.value, MailRejectedError)
    mailer.send(_mail(2))
    assert [delivered_mail(r.content).message_id for r in handler.received] == ["m2"]
    assert len(handler.sessions) == 2


def test_a_connection_the_server_closed_while_idle_is_reopened(
    mailer: SmtpMailer, handler: ScriptedHandler
) -> None:
    """When the server closed the kept connection between two mails, the second mail goes
    over a new connection without an error."""
    handler.close_after_data = 1
    mailer.send(_mail(1))
    mailer.send(_mail(2))
    assert len(handler.received) == 2
    assert len(handler.sessions) == 2


def test_a_421_to_mail_from_on_a_kept_connection_is_retried_on_a_new_one(
    mailer: SmtpMailer, handler: ScriptedHandler
) -> None:
    """``421`` (the server closing the channel) before anything was sent: one new
    connection tries again."""
    mailer.send(_mail(1))
    handler.mail_replies.append("421 4.4.2 Idle too long")
    mailer.send(_mail(2))
    assert len(handler.received) == 2
    assert len(handler.sessions) == 2


def test_a_server_without_starttls_gets_nothing_by_default(
    handler: ScriptedHandler, make_mailer: MakeMailer
) -> None:
    """STARTTLS is required on smtp://: no offer, no mail (and no password in clear)."""
    with smtp_server(handler) as controller:
        mailer = make_mailer(controller, user=USER, password=PASSWORD)
        with pytest.raises(MailDeliveryError, match="does not offer STARTTLS"):
            mailer.send(_mail())
    assert handler.received == []
    assert handler.sessions == []


def test_clear_text_to_a_loopback_development_server_is_allowed_when_asked(
    handler: ScriptedHandler, make_mailer: MakeMailer
) -> None:
    """``security="none"`` (``starttls=off``) delivers to a plain server on this machine."""
    with smtp_server(handler) as controller:
        mailer = make_mailer(controller, security="none")
        mailer.send(_mail())
        mailer.close()
    assert len(handler.received) == 1


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_a_certificate_from_an_untrusted_ca_is_refused(
    handler: ScriptedHandler,
    stranger_tls: ssl.SSLContext,
    make_mailer: MakeMailer,
    security: str,
) -> None:
    """Verification is on: a server certificate the trusted CAs did not sign gets no mail."""
    tls = {"ssl_context": stranger_tls} if security == "tls" else {"tls_context": stranger_tls}
    with smtp_server(handler, **tls) as controller:
        mailer = make_mailer(controller, security=security)
        with pytest.raises(MailDeliveryError, match="does not verify"):
            mailer.send(_mail())
    assert handler.received == []


def test_the_system_cas_do_not_trust_a_private_ca(
    server: LocalController, make_mailer: MakeMailer
) -> None:
    """Without ``cafile`` the system's CAs decide, and they do not know the test CA."""
    mailer = make_mailer(server, cafile=None, user=USER, password=PASSWORD)
    with pytest.raises(MailDeliveryError, match="does not verify"):
        mailer.send(_mail())


def test_a_refused_login_is_retried_not_dead_lettered(
    server: LocalController, make_mailer: MakeMailer
) -> None:
    """A wrong password refuses every mail alike: MailDeliveryError, so the mail waits for
    the configuration to be fixed."""
    mailer = make_mailer(server, user=USER, password="wrong-password")
    with pytest.raises(MailDeliveryError, match="refused the login: 535") as raised:
        mailer.send(_mail())
    assert not isinstance(raised.value, MailRejectedError)


def test_mail_without_login_to_a_server_that_requires_it_is_retried(
    server: LocalController, make_mailer: MakeMailer
) -> None:
    """``530 authentication required`` is about the session: retried, not dead-lettered."""
    with pytest.raises(MailDeliveryError, match="530") as raised:
        make_mailer(server).send(_mail())
    assert not isinstance(raised.value, MailRejectedError)


def test_an_international_address_needs_a_server_with_smtputf8(
    handler: ScriptedHandler, server_tls: ssl.SSLContext, make_mailer: MakeMailer
) -> None:
    """A server without SMTPUTF8 cannot take ``jörg@bücher.de``: a permanent refusal."""
    with smtp_server(handler, tls_context=server_tls, enable_SMTPUTF8=False) as controller:
        mailer = make_mailer(controller)
        with pytest.raises(MailRejectedError, match="SMTPUTF8"):
            mailer.send(_mail(to="jörg@bücher.de"))
        mailer.send(_mail())
        mailer.close()
    assert len(handler.received) == 1


def test_a_closed_port_is_a_retryable_error(make_mailer: MakeMailer) -> None:
    """Nobody listening: MailDeliveryError naming the server."""
    with silent_listener() as port:
        pass  # the port is closed again
    with pytest.raises(MailDeliveryError, match=f"127.0.0.1:{port}"):
        make_mailer(port).send(_mail())


# --- the password stays secret ------------------------------------------------------------


def _failures(
    server: LocalController, handler: ScriptedHandler, make: MakeMailer
) -> Iterator[BaseException]:
    def attempt(mailer: SmtpMailer, mail: OutgoingMail | None = None) -> BaseException:
        with pytest.raises(MailDeliveryError) as raised:
            mailer.send(mail or _mail())
        return raised.value

    logged_in = make(server, user=USER, password=PASSWORD)
    yield attempt(make(server, user=USER, password=PASSWORD + "x"))  # refused login
    handler.data_replies.append(f"451 4.3.0 {PASSWORD} is not welcome")  # an echoing server
    yield attempt(logged_in)
    handler.refused_recipients["jane@example.com"] = "550 5.1.1 No such user"
    yield attempt(logged_in)
    handler.refused_recipients.clear()
    handler.drop_in_data = 1
    yield attempt(logged_in)
    handler.hang_in_data = True
    yield attempt(make(server, user=USER, password=PASSWORD, timeout=0.3))
    handler.hang_in_data = False
    yield attempt(make(server, user=USER, password=PASSWORD, cafile=None))  # untrusted
    with silent_listener() as port:
        yield attempt(make(port, user=USER, password=PASSWORD, timeout=0.3))
    yield attempt(make(port, user=USER, password=PASSWORD))  # closed port
    yield attempt(logged_in, _mail(to="jane@example.com\r\nBcc: x@example.com"))


def test_the_password_is_in_no_error_url_or_repr(
    server: LocalController, handler: ScriptedHandler, make_mailer: MakeMailer
) -> None:
    """Every failure's text and repr, the mailer's url and repr: no password, even when the
    server echoes it."""
    texts = []
    for error in _failures(server, handler, make_mailer):
        texts += [str(error), repr(error), repr(error.__cause__), repr(error.__context__)]
    mailer = make_mailer(server, user=USER, password=PASSWORD)
    texts += [mailer.url, repr(mailer)]
    assert len(texts) == 9 * 4 + 2
    assert [text for text in texts if PASSWORD in text or "secret" in text] == []


# --- through the relay ---------------------------------------------------------------------


def _queue_order_list(storage_url: str) -> None:
    with OrderStatus.open(storage=storage_url, mail="mailbox:///unused") as desk:
        desk.migrate()
        with desk.context.storage.unit_of_work(write=True) as uow:
            intent = OrderListMail(to=parse_email("jane@example.com"), order_numbers=("A1",))
            uow.outbox.put(OutboxMessage("m1", FixedClock.START, intent))
            uow.commit()


def test_the_relay_keeps_a_refused_mail_and_delivers_it_later(
    mailer: SmtpMailer, handler: ScriptedHandler, tmp_path: Path
) -> None:
    """Through ``relay_outbox``: a 451 leaves the mail pending with a reason that shows
    neither the password nor the address; a later relay delivers it under its own
    Message-ID."""
    storage_url = f"sqlite:///{(tmp_path / 'orders.db').as_posix()}"
    _queue_order_list(storage_url)
    handler.data_replies.append(f"451 4.3.0 {PASSWORD} says jane@example.com later")
    with OrderStatus.open(storage=storage_url, mail=mailer, clock=FixedClock()) as desk:
        report = desk.relay_outbox()
    assert (report.sent, report.failed) == (0, 1)
    reason = report.failures[0].reason
    assert "451" in reason
    assert PASSWORD not in reason
    assert "jane@example.com" not in reason
    later = FixedClock(FixedClock.START + timedelta(hours=1))
    with OrderStatus.open(storage=storage_url, mail=mailer, clock=later) as desk:
        assert desk.relay_outbox().sent_ids == ("m1",)
    assert [str(r.content).count("Message-ID: <m1@shop.example>") for r in handler.received] == [1]
