"""One place that turns an :class:`OutgoingMail` into an RFC 5322 message.

Every mail adapter (the ``.eml`` folder, SMTP, a store's own) sends what
:func:`compose_message` builds, so each mail carries the same headers whichever way it
travels. Pure standard-library :mod:`email`: no I/O, and the time arrives as an argument.

Nothing from the mail reaches a header unchecked (SECURITY H1): a header-bound value with a
line break, a NUL or any other control or line-separator character is refused with
:class:`MailRejectedError`. The refusal is permanent because the same mail would be refused
on every retry.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from email.errors import NonASCIILocalPartDefect
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime

import idna

from orderstatus_core.errors import MailRejectedError
from orderstatus_core.messages import OutgoingMail

__all__ = ["compose_message"]

# Outbox ids are uuid4 hex; anything of this shape is safe inside ``<...@domain>`` and as a
# file name.
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# A BCP 47 tag in the shape RFC 3282 allows in Content-Language (``fi``, ``en-US``).
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8}){0,7}")
# The right side of a Message-ID: an ASCII host name (RFC 5322 dot-atom, kept to what DNS
# allows so that it reads as the store's domain).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"(?=.{{1,253}}\Z){_LABEL}(?:\.{_LABEL})*")
# RFC 8058: the one-click link is an HTTPS URI; angle brackets, spaces and commas would end
# it inside ``List-Unsubscribe: <...>``.
_UNSUBSCRIBE_URL = re.compile(r"https://[^\s<>,\"]{1,2000}")
# Control characters (C0 with CR, LF and NUL; DEL; C1 with NEL), the Unicode line and
# paragraph separators, and lone surrogates: str.splitlines() breaks on several of them,
# so any could end a header line somewhere between here and the recipient.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})
# Longest subject kept in a header; longer ones are a bug upstream, not a subject.
_MAX_SUBJECT = 998
_MAX_ADDRESS = 320


def _refuse(field: str, why: str) -> MailRejectedError:
    return MailRejectedError(f"refused mail header {field}: {why} (SECURITY H1)")


def _clean(field: str, value: object, limit: int) -> str:
    """``value`` if it is a str within ``limit`` characters with no unsafe character."""
    if not isinstance(value, str):
        raise _refuse(field, f"must be text, not {type(value).__name__}")
    if len(value) > limit:
        raise _refuse(field, f"longer than {limit} characters")
    for char in value:
        if unicodedata.category(char) in _UNSAFE_CATEGORIES:
            raise _refuse(field, f"control or line-break character U+{ord(char):04X}")
    return value


def _one_address(field: str, value: object) -> Address:
    """The single mailbox in ``value`` (``jane@example.com`` or ``Shop <orders@shop>``)."""
    text = _clean(field, value, _MAX_ADDRESS)
    probe = EmailMessage()
    try:
        probe[field] = text
        addresses = probe[field].addresses
    except (ValueError, IndexError, TypeError) as error:
        raise _refuse(field, f"not an address ({error})") from None
    # A comma or group would add recipients the outbox never chose (a Bcc by the back door).
    # A non-ASCII local part is an international address (RFC 6531), sent with SMTPUTF8.
    defects = [d for d in probe[field].defects if not isinstance(d, NonASCIILocalPartDefect)]
    if len(addresses) != 1 or defects:
        raise _refuse(field, "must be exactly one address")
    address: Address = addresses[0]
    if not address.username or not address.domain:
        raise _refuse(field, "must be exactly one address")
    return address


def _message_id_domain(domain: str | None, sender: Address) -> str:
    if domain is None:
        domain = sender.domain
        if not domain.isascii():
            try:
                domain = idna.encode(domain, uts46=True).decode("ascii")
            except idna.IDNAError as error:
                raise _refuse("Message-ID", f"sender domain not IDNA ({error})") from None
    domain = _clean("Message-ID", domain, 253)
    if not _DOMAIN.fullmatch(domain):
        raise _refuse("Message-ID", f"{domain[:80]!r} is not a host name")
    return domain.lower()


def compose_message(
    mail: OutgoingMail, sender: str, *, date: datetime, domain: str | None = None
) -> EmailMessage:
    """``mail`` as an RFC 5322 message from ``sender``, dated ``date``.

    Headers: ``From`` (``sender``: an address, optionally with a display name), ``To``,
    ``Subject``, ``Date``, ``Message-ID`` as ``<message_id@domain>`` (``domain`` defaults to
    the sender's; the same outbox message always gets the same id, so a receiver can drop
    the duplicates of an at-least-once delivery, SECURITY G4), ``Auto-Submitted:
    auto-generated`` (RFC 3834: every mail of this library is written by a machine, so
    vacation responders and ticket systems do not answer it), ``Content-Language``, and with
    :attr:`~OutgoingMail.unsubscribe_url` the one-click ``List-Unsubscribe`` and
    ``List-Unsubscribe-Post`` pair (RFC 8058). The body is the text, or a
    ``multipart/alternative`` of the text and the HTML when :attr:`~OutgoingMail.html` is
    not empty.

    Raises :class:`MailRejectedError` for a header-bound value that is not text, too long,
    or carries a control or line-break character (SECURITY H1), a recipient that is not
    exactly one address, an unsafe message id, a ``date`` without a time zone, or an
    unsubscribe link that is not one HTTPS URL. Serialise with ``policy.SMTP`` or, for
    international addresses, ``policy.SMTPUTF8``.

    >>> from datetime import UTC
    >>> mail = OutgoingMail("a1b2", "jane@example.com", "Hello", "Hi\\n")
    >>> message = compose_message(mail, "Parts Shop <orders@shop.example>",
    ...                           date=datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
    >>> message["Message-ID"], message["Date"]
    ('<a1b2@shop.example>', 'Sun, 01 Nov 2026 12:00:00 +0000')
    """
    from_address = _one_address("From", sender)
    to_address = _one_address("To", mail.to)
    message_id = _clean("Message-ID", mail.message_id, 64)
    if not _MESSAGE_ID.fullmatch(message_id):
        raise _refuse("Message-ID", f"unsafe message id {message_id[:80]!r}")
    subject = _clean("Subject", mail.subject, _MAX_SUBJECT)
    language = _clean("Content-Language", mail.language, 35)
    if not _LANGUAGE.fullmatch(language):
        raise _refuse("Content-Language", f"{language!r} is not a language tag")
    unsubscribe = _clean("List-Unsubscribe", mail.unsubscribe_url, 2000)
    if unsubscribe and not _UNSUBSCRIBE_URL.fullmatch(unsubscribe):
        raise _refuse("List-Unsubscribe", "must be one https:// URL")
    if not isinstance(date, datetime) or date.utcoffset() is None:
        raise MailRejectedError("a mail's Date needs a timezone-aware datetime")
    for part, body in (("text", mail.text), ("html", mail.html)):
        if not isinstance(body, str):
            raise MailRejectedError(f"the {part} part must be text, not {type(body).__name__}")

    message = EmailMessage()
    message["From"] = from_address
    message["To"] = to_address
    message["Subject"] = subject
    message["Date"] = format_datetime(date)
    message["Message-ID"] = f"<{message_id}@{_message_id_domain(domain, from_address)}>"
    message["Auto-Submitted"] = "auto-generated"
    if unsubscribe:
        message["List-Unsubscribe"] = f"<{unsubscribe}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.text)
    if mail.html:
        message.add_alternative(mail.html, subtype="html")
    # After the body: set_content drops the Content-* headers set before it, and
    # add_alternative moves them into the text part.
    message["Content-Language"] = language
    return message
