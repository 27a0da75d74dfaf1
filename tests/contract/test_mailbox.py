"""The bundled mailbox adapter passes the mailer conformance suite."""

from __future__ import annotations

from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path

import pytest

from orderstatus_core import OutgoingMail
from orderstatus_core.testing.contract import Delivered, MailerContract
from orderstatus_mailbox import MailboxMailer


def _read(path: Path) -> EmailMessage:
    with path.open("rb") as file:
        message = BytesParser(policy=default).parse(file)
    assert isinstance(message, EmailMessage)
    return message


def _as_outgoing(message: EmailMessage) -> OutgoingMail:
    # Message-ID is written "<id@orderstatus>".
    message_id = str(message["Message-ID"]).strip("<>").rpartition("@")[0]
    body = message.get_body()
    assert body is not None
    return OutgoingMail(
        message_id=message_id,
        to=str(message["To"]),
        subject=str(message["Subject"]),
        text=str(body.get_content()),
        language=str(message["Content-Language"]),
    )


class TestMailboxMailer(MailerContract):
    """``mailbox://`` mail keeps every mailer contract."""

    @pytest.fixture
    def mailer(self, tmp_path: Path) -> MailboxMailer:
        """A mailer writing into a fresh folder."""
        return MailboxMailer(tmp_path / "mail")

    @pytest.fixture
    def delivered(self, mailer: MailboxMailer) -> Delivered:
        """The ``.eml`` files of the folder, read back with the standard parser."""

        def read_back() -> list[OutgoingMail]:
            paths = sorted(mailer.folder.glob("*.eml")) if mailer.folder.exists() else []
            return [_as_outgoing(_read(path)) for path in paths]

        return read_back


def test_an_international_recipient_is_written_as_the_address_itself(tmp_path: Path) -> None:
    """The raw ``To`` header of an RFC 6531 address holds the address, not encoded words."""
    mailer = MailboxMailer(tmp_path)
    mailer.send(OutgoingMail("fi-1", "jörg@bücher.de", "Hei", "Hei\n"))
    assert "To: jörg@bücher.de".encode() in mailer.path_of("fi-1").read_bytes()
