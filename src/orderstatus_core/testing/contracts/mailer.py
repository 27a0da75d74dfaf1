"""The conformance suite of mailers; see :mod:`orderstatus_core.testing.contracts`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default

import pytest

from orderstatus_core.messages import OutgoingMail
from orderstatus_core.ports import Mailer
from orderstatus_core.testing.contracts._support import declared_fixture

__all__ = ["Delivered", "MailerContract", "delivered_mail"]


#: The type of the ``delivered`` fixture of :class:`MailerContract`.
Delivered = Callable[[], Sequence[OutgoingMail]]

_MAILER = (
    "a fresh Mailer for each test, delivering somewhere the `delivered` fixture can read\n"
    "back (a folder, an in-process SMTP server). Define it in your test class."
)
_DELIVERED = (
    "a callable answering every mail the `mailer` fixture has delivered so far, rebuilt as\n"
    "OutgoingMail from what the transport carried, e.g.\n"
    "    @pytest.fixture\n"
    "    def delivered(self, outbox_dir):\n"
    "        paths = lambda: sorted(outbox_dir.glob('*.eml'))\n"
    "        return lambda: [delivered_mail(path.read_bytes()) for path in paths()]"
)


def _lf(content: object) -> str:
    return str(content).replace("\r\n", "\n")


def delivered_mail(data: bytes) -> OutgoingMail:
    """The :class:`~orderstatus_core.OutgoingMail` that an RFC 5322 message built by
    :func:`~orderstatus_core.compose_message` carries, read back from its bytes: what a
    ``delivered`` fixture answers for each file written or message a test server received.

    The message id is the left side of ``Message-ID``; the text and HTML are the
    ``text/plain`` and ``text/html`` parts with the wire's CRLF line ends read as ``\\n``
    (``""`` for no HTML part); the unsubscribe link is the one in ``List-Unsubscribe``.
    """
    message = BytesParser(policy=default).parsebytes(data)
    assert isinstance(message, EmailMessage)
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    return OutgoingMail(
        message_id=str(message["Message-ID"]).strip().strip("<>").rpartition("@")[0],
        to=str(message["To"]),
        subject=str(message["Subject"]),
        text="" if text is None else _lf(text.get_content()),
        language=str(message["Content-Language"]),
        html="" if html is None else _lf(html.get_content()),
        unsubscribe_url=str(message.get("List-Unsubscribe", "")).strip().strip("<>"),
    )


def _lines(text: str) -> list[str]:
    # Transports may turn LF into CRLF and end the body with a newline; the lines stay.
    return text.splitlines()


def _as_sent(mail: OutgoingMail) -> tuple[str, str, str, list[str], str, list[str], str]:
    return (
        mail.message_id,
        mail.to,
        mail.subject,
        _lines(mail.text),
        mail.language,
        _lines(mail.html),
        mail.unsubscribe_url,
    )


class MailerContract:
    """The :class:`~orderstatus_core.Mailer` contract: deliver intact, or raise.

    Needs two fixtures: ``mailer``, a fresh mailer, and ``delivered``, a callable that
    answers every mail the mailer has delivered so far, rebuilt as
    :class:`~orderstatus_core.OutgoingMail` from what the transport carried (an ``.eml``
    file, a message an SMTP test server received; :func:`delivered_mail` reads one).
    Message id, recipient, subject, language, the lines of the text and of the HTML, and
    the unsubscribe link must all survive.
    """

    @pytest.fixture
    def mailer(self, request: pytest.FixtureRequest) -> Mailer:
        """Declared here so that a suite without one fails with how to write it."""
        mailer: Mailer = declared_fixture(request, "mailer", _MAILER)
        return mailer

    @pytest.fixture
    def delivered(self, request: pytest.FixtureRequest) -> Delivered:
        """Declared here so that a suite without one fails with how to write it."""
        delivered: Delivered = declared_fixture(request, "delivered", _DELIVERED)
        return delivered

    def test_a_sent_mail_is_delivered_intact(self, mailer: Mailer, delivered: Delivered) -> None:
        """Id, recipient, subject, language and text arrive as they were sent."""
        mail = OutgoingMail(
            message_id="a1b2c3",
            to="Jane.Doe@example.com",
            subject="Your recent order numbers",
            text="Hello,\n\n  123456789\n  A1B2\n",
        )
        mailer.send(mail)
        assert [_as_sent(m) for m in delivered()] == [_as_sent(mail)]

    def test_finnish_text_and_an_international_address_arrive_intact(
        self, mailer: Mailer, delivered: Delivered
    ) -> None:
        """Non-ASCII subjects, bodies and addresses (RFC 6531) are not mangled."""
        mail = OutgoingMail(
            message_id="fi-1",
            to="jörg@bücher.de",
            subject="Viimeisimmät tilausnumerosi",
            text="Hei,\n\nSyötä numero Tilaustilanne-sivulla. Ääkköset: åäö ÅÄÖ\n",
            language="fi",
        )
        mailer.send(mail)
        assert [_as_sent(m) for m in delivered()] == [_as_sent(mail)]

    def test_an_html_alternative_and_an_unsubscribe_link_arrive_intact(
        self, mailer: Mailer, delivered: Delivered
    ) -> None:
        """The HTML part travels beside the text, and the one-click unsubscribe link in its
        header (RFC 8058)."""
        mail = OutgoingMail(
            message_id="html-1",
            to="jane@example.com",
            subject="Back in stock",
            text="Hello,\n\nThe brake pads are back.\n",
            html="<p>Hello,</p>\n<p>The brake pads are <b>back</b>. Åäö.</p>\n",
            unsubscribe_url="https://shop.example/unsubscribe?token=abc123",
        )
        mailer.send(mail)
        assert [_as_sent(m) for m in delivered()] == [_as_sent(mail)]

    def test_each_mail_is_delivered_once(self, mailer: Mailer, delivered: Delivered) -> None:
        """Three mails sent make three deliveries, one per message id."""
        for index in range(3):
            mailer.send(OutgoingMail(f"m{index}", "jane@example.com", f"Subject {index}", "Hi\n"))
        assert sorted(m.message_id for m in delivered()) == ["m0", "m1", "m2"]

    @pytest.mark.parametrize(
        "mail",
        [
            OutgoingMail("h1", "jane@example.com\r\nBcc: victim@example.com", "Hi", "Hi\n"),
            OutgoingMail("h2", "jane@example.com", "Hi\r\nBcc: victim@example.com", "Hi\n"),
            OutgoingMail("h3", "jane@example.com", "Hi\nX-Injected: 1", "Hi\n"),
        ],
        ids=["to", "subject-crlf", "subject-lf"],
    )
    def test_a_line_break_in_a_header_is_refused(
        self, mailer: Mailer, delivered: Delivered, mail: OutgoingMail
    ) -> None:
        """A recipient or subject with CR or LF raises and delivers nothing (SECURITY H1)."""
        with pytest.raises(Exception):  # noqa: B017, PT011 - the port allows any exception
            mailer.send(mail)
        assert list(delivered()) == []
