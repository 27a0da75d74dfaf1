"""One place that turns an :class:`OutgoingMail` into the bytes of an RFC 5322 message.

Every mail adapter (the ``.eml`` folder, SMTP, a store's own) sends what
:func:`compose_message` builds, so each mail carries the same headers whichever way it
travels. No I/O, and the time arrives as an argument.

The message is written directly, not through :class:`email.message.EmailMessage`: its
header registry parses back every header it is given and builds a new class per header
on each access, which cost more than the SMTP exchange itself (bench/RESULTS.md, "SMTP
delivery"). What this module writes is small and fixed (twelve headers at most, one or two
text parts), so it writes each piece with the standard library's encoders: RFC 2047 words
by :func:`email.quoprimime.header_encode`, bodies by :func:`binascii.b2a_qp`. Addresses
are still read by :mod:`email.headerregistry`'s full RFC 5322 parser unless they have the
plain shape almost every recipient has (see :data:`_PLAIN_ADDRESS`).

Nothing from the mail reaches a header unchecked (SECURITY H1): a header-bound value with a
line break, a NUL or any other control or line-separator character is refused with
:class:`MailRejectedError`. The refusal is permanent because the same mail would be refused
on every retry.
"""

from __future__ import annotations

import binascii
import functools
import re
import unicodedata
from datetime import datetime
from email.errors import NonASCIILocalPartDefect
from email.headerregistry import Address
from email.message import EmailMessage
from email.quoprimime import header_encode
from email.utils import format_datetime

import attrs
import idna

from orderstatus_core.errors import MailRejectedError
from orderstatus_core.messages import OutgoingMail

__all__ = ["ComposedMail", "compose_message"]

# Outbox ids are uuid4 hex; anything of this shape is safe inside ``<...@domain>``, as a
# MIME boundary and as a file name.
_MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
# A BCP 47 tag in the shape RFC 3282 allows in Content-Language (``fi``, ``en-US``).
_LANGUAGE = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8}){0,7}")
# The right side of a Message-ID: an ASCII host name (RFC 5322 dot-atom, kept to what DNS
# allows so that it reads as the store's domain).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_DOMAIN = re.compile(rf"(?=.{{1,253}}\Z){_LABEL}(?:\.{_LABEL})*")
# RFC 5322 atext: what an atom (a word of a display name, a piece of a local part) may hold
# without quoting.
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
# The shape almost every recipient has: an ASCII dot-atom local part at a host name, with
# no display name. RFC 5322's full grammar reads such text as exactly that one address with
# no defect, so it is taken as it is; any other shape (a display name, quotes, an
# international address, "=?" which the parser would try as an RFC 2047 word) goes through
# the full parser.
_PLAIN_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})*")
# A display name written as it is: atoms separated by single spaces.
_ATOMS = re.compile(rf"{_ATEXT}(?: {_ATEXT})*")
# RFC 2369: the URL travels inside angle brackets and nothing may fold it, so the whole
# ``List-Unsubscribe: <...>`` line must stay within RFC 5322's 998 characters.
_MAX_UNSUBSCRIBE = 998 - len("List-Unsubscribe: <>")
# RFC 8058: the one-click link is an HTTPS URI; angle brackets, spaces and commas would end
# it inside ``List-Unsubscribe: <...>``. Plain http is taken only for a loopback host (the
# host then a port or the path, so ``localhost.evil.example`` is no loopback): a store
# served on this machine for development (``orderstatus demo --serve``) links to itself
# over http, and such a link can never lead a real recipient anywhere else.
_UNSUBSCRIBE_URL = re.compile(
    r"https://[^\s<>,\"]+"
    r"|http://(?:localhost|127\.0\.0\.1|\[::1\])(?::[0-9]{1,5})?/[^\s<>,\"]*"
)
# Control characters (C0 with CR, LF and NUL; DEL; C1 with NEL), the Unicode line and
# paragraph separators, and lone surrogates: str.splitlines() breaks on several of them,
# so any could end a header line somewhere between here and the recipient.
_UNSAFE_CATEGORIES = frozenset({"Cc", "Zl", "Zp", "Cs"})
# A body byte that 7bit transfer encoding cannot carry as it is (RFC 2045 §2.7: no NUL, no
# 8-bit byte, CR and LF only as line ends; other controls are legal but kept out, since
# relays rewrite them).
_NOT_7BIT = re.compile(rb"[^\t\n\r\x20-\x7e]")
# Longest subject kept in a header; longer ones are a bug upstream, not a subject.
_MAX_SUBJECT = 998
_MAX_ADDRESS = 320
# RFC 5322 §2.1.1: a line is at most 998 characters; RFC 2047 §2: a line holding an encoded
# word at most 76.
_MAX_LINE = 998
_MAX_WORDED_LINE = 76
# A raw (unencoded) word longer than this could not be folded within 78 characters.
_MAX_RAW_WORD = 60
_EW_OVERHEAD = len("=?utf-8?q??=")
# Q-encoded pieces of ASCII characters; other characters are encoded per call.
_Q_ASCII = tuple(
    header_encode(bytes([code]), "utf-8")[len("=?utf-8?q?") : -len("?=")] for code in range(128)
)


@attrs.frozen
class ComposedMail:
    """An :class:`~orderstatus_core.OutgoingMail` as the bytes that travel, with its
    envelope: what :func:`compose_message` answers and a mail adapter sends.

    ``data`` is the whole RFC 5322 message with CRLF line ends, ready for SMTP ``DATA``
    or an ``.eml`` file (``email.parser.BytesParser(policy=email.policy.default)`` reads
    it back as an :class:`~email.message.EmailMessage`). ``sender`` and ``recipient`` are
    the bare addresses of ``From`` and ``To``, for ``MAIL FROM`` and ``RCPT TO``.
    ``smtputf8`` is true when either is an international address (RFC 6531): the headers
    then carry it as UTF-8, and the message needs a server that offers ``SMTPUTF8``.
    Otherwise every byte is 7-bit (non-ASCII text travels as RFC 2047 words and
    quoted-printable), which every server takes and no relay re-encodes, so a DKIM
    signature made over ``data`` survives the way to the recipient.
    """

    sender: str
    recipient: str
    smtputf8: bool
    data: bytes


def _refuse(field: str, why: str) -> MailRejectedError:
    return MailRejectedError(f"refused mail header {field}: {why} (SECURITY H1)")


def _clean(field: str, value: object, limit: int) -> str:
    """``value`` if it is a str within ``limit`` characters with no unsafe character."""
    if not isinstance(value, str):
        raise _refuse(field, f"must be text, not {type(value).__name__}")
    if len(value) > limit:
        raise _refuse(field, f"longer than {limit} characters")
    if not value.isprintable():  # fast for the usual text; spaces and most letters pass
        for char in value:
            if unicodedata.category(char) in _UNSAFE_CATEGORIES:
                raise _refuse(field, f"control or line-break character U+{ord(char):04X}")
    return value


def _one_address(field: str, value: object) -> Address:
    """The single mailbox in ``value`` (``jane@example.com`` or ``Shop <orders@shop>``)."""
    text = _clean(field, value, _MAX_ADDRESS)
    if _PLAIN_ADDRESS.fullmatch(text) and "=?" not in text:
        username, _at, domain = text.rpartition("@")
        return Address(username=username, domain=domain)
    return _parsed_address(field, text)


def _parsed_address(field: str, text: str) -> Address:
    """``text`` read by the standard library's full RFC 5322 address parser."""
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


def _encoded_words(text: str, first_room: int) -> list[str]:
    """``text`` as RFC 2047 words (UTF-8, Q encoding), each whole characters, the first at
    most ``first_room`` characters long and the others fitting a folded line.

    Q with the set of characters RFC 2047 §5 allows in a display name, so the words are
    safe in ``Subject`` and in an address's display name alike. Spaces are inside the
    words: a reader drops the blanks between two encoded words, so the text comes back
    exactly, blanks at its ends included.
    """
    words: list[str] = []
    pieces: list[str] = []
    room = first_room - _EW_OVERHEAD
    used = 0
    for char in text:
        code = ord(char)
        piece = (
            _Q_ASCII[code]
            if code < 128
            else "".join(f"={byte:02X}" for byte in char.encode("utf-8"))
        )
        if used + len(piece) > room and pieces:
            words.append(f"=?utf-8?q?{''.join(pieces)}?=")
            pieces, used, room = [], 0, _MAX_WORDED_LINE - 1 - _EW_OVERHEAD
        pieces.append(piece)
        used += len(piece)
    words.append(f"=?utf-8?q?{''.join(pieces)}?=")
    return words


def _folded(name: str, words: list[str], limit: int) -> str:
    """``name: `` and ``words`` joined by blanks, a line broken before a word that would
    pass ``limit`` characters: the blank stays, after the line break, so the value
    unfolds to what it was. Never before an empty word (two blanks in a row), so no line
    is only a blank."""
    lines: list[str] = []
    line = f"{name}: {words[0]}"
    for word in words[1:]:
        if word and len(line) + 1 + len(word) > limit:
            lines.append(line)
            line = f" {word}"
        else:
            line = f"{line} {word}"
    lines.append(line)
    return "\r\n".join(lines)


def _unstructured(name: str, text: str) -> str:
    """The ``name`` header line(s) carrying ``text`` exactly (RFC 5322 unstructured).

    Printable ASCII goes as it is, folded at blanks; anything else (non-ASCII, a word too
    long to fold, blanks at the ends or ``=?`` that a reader would take for the start of
    an encoded word) as RFC 2047 words.
    """
    if (
        text.isascii()
        and "=?" not in text
        and text == text.strip(" ")
        and all(len(word) <= _MAX_RAW_WORD for word in text.split(" "))
    ):
        # Fold only before a word, never before another blank: no line is only blanks.
        return _folded(name, text.split(" "), 78)
    words = _encoded_words(text, _MAX_WORDED_LINE - len(name) - 2)
    return _folded(name, words, _MAX_WORDED_LINE)


def _mailbox(name: str, address: Address) -> str:
    """The ``name`` header line(s) for ``address``, with its display name if any."""
    addr_spec = address.addr_spec
    display = address.display_name
    if not display:
        return f"{name}: {addr_spec}"
    if display.isascii() and "=?" not in display:
        phrase = display if _ATOMS.fullmatch(display) else _quoted(display)
        return f"{name}: {phrase} <{addr_spec}>"
    words = _encoded_words(display, _MAX_WORDED_LINE - len(name) - 2)
    return _folded(name, [*words, f"<{addr_spec}>"], _MAX_WORDED_LINE)


def _quoted(text: str) -> str:
    """``text`` as an RFC 5322 quoted-string."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


def _text_part(part: str, text: object, boundary: str) -> tuple[str, bytes]:
    """The transfer encoding and the encoded body (CRLF line ends, ending with one) of
    ``text``: ``7bit`` when every line is short printable ASCII, else quoted-printable.

    Lines end where the text has ``\\n``, ``\\r\\n`` or ``\\r``; a last line without an
    end gets one. A quoted-printable body never holds ``=_`` (its ``=`` is always an
    escape or a soft break), and a ``7bit`` one with the boundary in it is quoted instead,
    so no body can end its part early, whatever a shopper's name says.
    """
    if not isinstance(text, str):
        raise MailRejectedError(f"the {part} part must be text, not {type(text).__name__}")
    try:
        lines = text.encode("utf-8").splitlines()
    except UnicodeEncodeError:
        raise MailRejectedError(f"the {part} part is not valid Unicode") from None
    body = b"\n".join(lines) + b"\n"
    if (
        _NOT_7BIT.search(body) is None
        and max(map(len, lines), default=0) <= _MAX_LINE
        and boundary.encode("ascii") not in body
    ):
        return "7bit", body.replace(b"\n", b"\r\n")
    # The input has only \n line ends now, so every \n of the output is a line end.
    quoted: bytes = binascii.b2a_qp(body, istext=True)
    return "quoted-printable", quoted.replace(b"\n", b"\r\n")


@functools.lru_cache(maxsize=64)
def _sender_headers(sender: str, domain: str | None) -> tuple[Address, str, str]:
    """The sender's address, its ``From`` line and the right side of ``Message-ID``.

    Kept per sender: a mailer sends every mail from the same configured sender, and
    reading it is the one full address parse most mails would need.
    """
    address = _one_address("From", sender)
    return address, _mailbox("From", address), _message_id_domain(domain, address)


def compose_message(
    mail: OutgoingMail, sender: str, *, date: datetime, domain: str | None = None
) -> ComposedMail:
    """``mail`` as an RFC 5322 message from ``sender``, dated ``date``, with its envelope.

    Headers: ``From`` (``sender``: an address, optionally with a display name), ``To``,
    ``Subject``, ``Date``, ``Message-ID`` as ``<message_id@domain>`` (``domain`` defaults to
    the sender's; the same outbox message always gets the same id, so a receiver can drop
    the duplicates of an at-least-once delivery, SECURITY G4), ``Auto-Submitted:
    auto-generated`` (RFC 3834: every mail of this library is written by a machine, so
    vacation responders and ticket systems do not answer it), ``Content-Language``, and with
    :attr:`~OutgoingMail.unsubscribe_url` the one-click ``List-Unsubscribe`` and
    ``List-Unsubscribe-Post`` pair (RFC 8058). The body is the text, or a
    ``multipart/alternative`` of the text and the HTML when :attr:`~OutgoingMail.html` is
    not empty. Non-ASCII subjects and display names are RFC 2047 words, non-ASCII or long
    lines of a body quoted-printable; see :class:`ComposedMail` for international addresses.

    Raises :class:`MailRejectedError` for a header-bound value that is not text, too long,
    or carries a control or line-break character (SECURITY H1), a recipient that is not
    exactly one address, an unsafe message id, a ``date`` without a time zone, an
    unsubscribe link that is not one HTTPS URL fitting on its header line (978
    characters), or a body that is not text.

    >>> from datetime import UTC
    >>> mail = OutgoingMail("a1b2", "jane@example.com", "Hello", "Hi\\n")
    >>> composed = compose_message(mail, "Parts Shop <orders@shop.example>",
    ...                            date=datetime(2026, 11, 1, 12, 0, tzinfo=UTC))
    >>> composed.sender, composed.recipient, composed.smtputf8
    ('orders@shop.example', 'jane@example.com', False)
    >>> print(composed.data.decode("ascii").replace("\\r\\n", "\\n"), end="")
    From: Parts Shop <orders@shop.example>
    To: jane@example.com
    Subject: Hello
    Date: Sun, 01 Nov 2026 12:00:00 +0000
    Message-ID: <a1b2@shop.example>
    Auto-Submitted: auto-generated
    MIME-Version: 1.0
    Content-Type: text/plain; charset="utf-8"
    Content-Transfer-Encoding: 7bit
    Content-Language: en
    <BLANKLINE>
    Hi
    """
    if domain is not None:
        _clean("Message-ID", domain, 253)  # before the cache: it keys on hashable text
    sender = _clean("From", sender, _MAX_ADDRESS)
    from_address, from_line, id_domain = _sender_headers(sender, domain)
    to_address = _one_address("To", mail.to)
    message_id = _clean("Message-ID", mail.message_id, 64)
    if not _MESSAGE_ID.fullmatch(message_id):
        raise _refuse("Message-ID", f"unsafe message id {message_id[:80]!r}")
    subject = _clean("Subject", mail.subject, _MAX_SUBJECT)
    language = _clean("Content-Language", mail.language, 35)
    if not _LANGUAGE.fullmatch(language):
        raise _refuse("Content-Language", f"{language!r} is not a language tag")
    unsubscribe = _clean("List-Unsubscribe", mail.unsubscribe_url, _MAX_UNSUBSCRIBE)
    if unsubscribe and not _UNSUBSCRIBE_URL.fullmatch(unsubscribe):
        raise _refuse("List-Unsubscribe", "must be one https:// URL (http:// only on loopback)")
    if not isinstance(date, datetime) or date.utcoffset() is None:
        raise MailRejectedError("a mail's Date needs a timezone-aware datetime")
    # Fixed per message, so a retry is the same bytes but for Date; "=_" never occurs in a
    # quoted-printable body, and _text_part quotes a 7bit body that holds it.
    boundary = f"=_{message_id}"
    text_encoding, text = _text_part("text", mail.text, boundary)
    if not isinstance(mail.html, str):
        raise MailRejectedError(f"the html part must be text, not {type(mail.html).__name__}")

    sender_spec, recipient_spec = from_address.addr_spec, to_address.addr_spec
    smtputf8 = not (sender_spec.isascii() and recipient_spec.isascii())
    lines = [
        from_line,
        _mailbox("To", to_address),
        _unstructured("Subject", subject),
        f"Date: {format_datetime(date)}",
        f"Message-ID: <{message_id}@{id_domain}>",
        "Auto-Submitted: auto-generated",
    ]
    if unsubscribe:
        lines.append(f"List-Unsubscribe: <{unsubscribe}>")
        lines.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
    lines.append("MIME-Version: 1.0")
    if mail.html:
        html_encoding, html = _text_part("html", mail.html, boundary)
        lines.append(f'Content-Type: multipart/alternative;\r\n boundary="{boundary}"')
        lines.append(f"Content-Language: {language}")
        delimiter = f"--{boundary}\r\n".encode("ascii")
        body = b"".join(
            (
                delimiter,
                _part_headers("plain", text_encoding),
                text,
                b"\r\n",
                delimiter,
                _part_headers("html", html_encoding),
                html,
                f"\r\n--{boundary}--\r\n".encode("ascii"),
            )
        )
    else:
        lines.append('Content-Type: text/plain; charset="utf-8"')
        lines.append(f"Content-Transfer-Encoding: {text_encoding}")
        lines.append(f"Content-Language: {language}")
        body = text
    head = "\r\n".join(lines) + "\r\n\r\n"
    # Only an international address makes the head non-ASCII (SMTPUTF8, RFC 6532).
    data = head.encode("utf-8") + body
    return ComposedMail(sender_spec, recipient_spec, smtputf8, data)


def _part_headers(subtype: str, encoding: str) -> bytes:
    return (
        f'Content-Type: text/{subtype}; charset="utf-8"\r\n'
        f"Content-Transfer-Encoding: {encoding}\r\n\r\n"
    ).encode("ascii")
