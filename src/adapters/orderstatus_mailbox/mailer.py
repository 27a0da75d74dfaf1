from __future__ import annotations

import os
import re
import tempfile
from email.message import EmailMessage
from email.policy import SMTPUTF8
from email.utils import formatdate
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from orderstatus_core import (
    AdapterRegistry,
    InvalidUrlError,
    MailDeliveryError,
    OutgoingMail,
    hookimpl,
)

__all__ = ["MailboxMailer", "orderstatus_register_adapters"]

_SAFE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class MailboxMailer:
    """Writes each :class:`OutgoingMail` to ``<folder>/<message_id>.eml``.

    The same message sent twice overwrites one file: duplicates of an at-least-once
    delivery disappear by themselves. Files appear whole (written aside, then renamed).
    """

    def __init__(self, folder: str | os.PathLike[str], sender: str = "orders@localhost") -> None:
        self.folder = Path(folder)
        self.sender = sender

    @classmethod
    def from_url(cls, url: str) -> MailboxMailer:
        """``mailbox:///relative/folder`` or ``mailbox:////absolute/folder``, ``?from=``."""
        parts = urlsplit(url)
        path = unquote(parts.path)
        folder = path[1:] if path.startswith("/") else path
        if not folder:
            raise InvalidUrlError("a mailbox URL names a folder: mailbox:///mail")
        sender = parse_qs(parts.query).get("from", ["orders@localhost"])[0]
        return cls(folder, sender)

    def path_of(self, message_id: str) -> Path:
        """Where the mail with ``message_id`` is (or will be) written."""
        return self.folder / f"{message_id}.eml"

    def send(self, mail: OutgoingMail) -> None:
        """Write ``mail`` as an RFC 5322 file; raise :class:`MailDeliveryError` on failure."""
        if not _SAFE_ID.fullmatch(mail.message_id):
            raise MailDeliveryError(f"unsafe message id {mail.message_id[:80]!r}")
        for value in (mail.to, mail.subject, self.sender):
            if any(ord(char) < 32 or ord(char) == 127 for char in value):
                raise MailDeliveryError("refused header: control character (SECURITY H1)")
        message = EmailMessage()
        try:
            # EmailMessage's default policy refuses CR and LF in headers (SECURITY H1).
            message["From"] = self.sender
            message["To"] = mail.to
            message["Subject"] = mail.subject
        except ValueError as error:
            raise MailDeliveryError(f"refused header: {error}") from None
        message["Date"] = formatdate(usegmt=True)
        message["Message-ID"] = f"<{mail.message_id}@orderstatus>"
        message.set_content(mail.text)
        # After set_content, which drops every Content-* header set before it.
        message["Content-Language"] = mail.language
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            # SMTPUTF8 keeps an international address (RFC 6531) as the address itself;
            # plain SMTP would write it as encoded words that no mail program can use.
            data = message.as_bytes(policy=SMTPUTF8)
            with tempfile.NamedTemporaryFile(dir=self.folder, suffix=".tmp", delete=False) as tmp:
                tmp.write(data)
            os.replace(tmp.name, self.path_of(mail.message_id))
        except OSError as error:
            raise MailDeliveryError(f"cannot write to {self.folder}: {error}") from error


@hookimpl
def orderstatus_register_adapters(registry: AdapterRegistry) -> None:
    """``mailbox://`` mail."""
    registry.add_mailer("mailbox", MailboxMailer.from_url)
