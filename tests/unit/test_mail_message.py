"""compose_message: the one RFC 5322 message every mail adapter sends."""

from __future__ import annotations

import doctest
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from typing import Any

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from orderstatus_core import (
    ComposedMail,
    MailRejectedError,
    OutgoingMail,
    compose_message,
    mail_message,
)
from orderstatus_core.testing.contracts import delivered_mail

WHEN = datetime(2026, 11, 1, 12, 30, tzinfo=UTC)
SHOP = "Parts Shop <orders@shop.example>"
MAIL = OutgoingMail("0f3a9c", "jane@example.com", "Your recent order numbers", "Hello\n")

# Every character that may end a header line on some reader: CR, LF, NUL, other C0, DEL,
# NEL and the C1 controls, the Unicode line and paragraph separators, a lone surrogate.
BREAKERS = ["\r", "\n", "\r\n", "\x00", "\x0b", "\x0c", "\x1c", "\x7f", "\x85", "\u2028", "\u2029"]
BREAKERS += ["\ud800"]


def _composed(mail: OutgoingMail = MAIL, sender: str = SHOP, **options: Any) -> ComposedMail:
    return compose_message(mail, sender, date=options.pop("date", WHEN), **options)


def _compose(mail: OutgoingMail = MAIL, sender: str = SHOP, **options: Any) -> EmailMessage:
    """The composed bytes as a mail program reads them."""
    message = BytesParser(policy=default).parsebytes(_composed(mail, sender, **options).data)
    assert isinstance(message, EmailMessage)
    return message


def test_the_headers_of_a_transactional_mail() -> None:
    """From, To, Subject, Date, a stable Message-ID on the sender's domain, Auto-Submitted
    and Content-Language; no unsubscribe headers."""
    message = _compose(attrs.evolve(MAIL, language="fi"))
    assert {name: str(message[name]) for name in message} == {
        "From": SHOP,
        "To": "jane@example.com",
        "Subject": "Your recent order numbers",
        "Date": "Sun, 01 Nov 2026 12:30:00 +0000",
        "Message-ID": "<0f3a9c@shop.example>",
        "Auto-Submitted": "auto-generated",
        "MIME-Version": "1.0",
        "Content-Type": 'text/plain; charset="utf-8"',
        "Content-Transfer-Encoding": "7bit",
        "Content-Language": "fi",
    }


def test_the_same_outbox_message_always_gets_the_same_message_id() -> None:
    """A retry a day later is recognisably the same message (SECURITY G4)."""
    first = _compose(date=WHEN)
    retry = _compose(date=WHEN + timedelta(days=1))
    assert first["Message-ID"] == retry["Message-ID"] == "<0f3a9c@shop.example>"


def test_a_configured_domain_names_the_message_id() -> None:
    """``domain`` overrides the sender's domain, lower-cased."""
    assert _compose(domain="Mail.Shop.Example")["Message-ID"] == "<0f3a9c@mail.shop.example>"


def test_an_international_sender_domain_becomes_ascii_in_the_message_id() -> None:
    """An IDN sender domain is written in its ASCII (punycode) form in Message-ID."""
    message = _compose(sender="orders@bücher.de")
    assert message["Message-ID"] == "<0f3a9c@xn--bcher-kva.de>"


def test_a_date_in_another_zone_keeps_its_offset() -> None:
    """``Date`` is the moment given, in its own offset."""
    helsinki = WHEN.astimezone(timezone(timedelta(hours=2)))
    assert _compose(date=helsinki)["Date"] == "Sun, 01 Nov 2026 14:30:00 +0200"


def test_html_makes_a_multipart_alternative_with_the_text_first() -> None:
    """Text then HTML, in one multipart/alternative; Content-Language stays on top."""
    mail = attrs.evolve(MAIL, html="<p>Hello</p>\n")
    message = _compose(mail)
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert message["Content-Language"] == "en"
    assert delivered_mail(_composed(mail).data) == mail


@pytest.mark.parametrize(
    "link",
    [
        "https://shop.example/unsubscribe?token=abc&list=alerts",
        # A store served on this machine (``orderstatus demo --serve``) links to itself
        # over http; such a link leads nowhere off the machine.
        "http://127.0.0.1:8000/account/unsubscribe?token=abc",
        "http://localhost/account/unsubscribe?token=abc",
        "http://[::1]:65535/u",
    ],
)
def test_an_unsubscribe_link_gives_the_one_click_pair(link: str) -> None:
    """RFC 8058: List-Unsubscribe with the HTTPS link (or plain http on loopback),
    List-Unsubscribe-Post one-click."""
    message = _compose(attrs.evolve(MAIL, unsubscribe_url=link))
    assert message["List-Unsubscribe"] == f"<{link}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


@pytest.mark.parametrize(
    "link",
    [
        "http://localhost.evil.example/u",
        "http://127.0.0.1.evil.example/u",
        "http://127.0.0.1@evil.example/u",
        "http://localhost:80@evil.example/u",
        "http://[::1].evil.example/u",
        "http://127.0.0.2/u",
        "http://localhost",
        "http://localhost:123456/u",
        "ftp://localhost/u",
        "HTTP://shop.example/u",
    ],
)
def test_plain_http_elsewhere_than_loopback_is_refused(link: str) -> None:
    """Only the loopback host itself, followed by a port or the path, is taken over http:
    a look-alike host, credentials before another host or another scheme is refused."""
    with pytest.raises(MailRejectedError, match="List-Unsubscribe"):
        _compose(attrs.evolve(MAIL, unsubscribe_url=link))


def test_an_international_address_round_trips_with_smtputf8() -> None:
    """RFC 6531 addresses and Finnish text survive serialisation and parsing."""
    mail = OutgoingMail("fi-1", "jörg@bücher.de", "Hei åäö", "Ääkköset\n", language="fi")
    composed = _composed(mail)
    assert composed.smtputf8
    assert delivered_mail(composed.data) == mail


@pytest.mark.parametrize("breaker", BREAKERS, ids=[f"U+{ord(b[-1]):04X}" for b in BREAKERS])
@pytest.mark.parametrize(
    "field", ["to", "subject", "message_id", "language", "unsubscribe_url", "sender", "domain"]
)
def test_a_line_break_or_control_character_in_any_header_is_refused(
    field: str, breaker: str
) -> None:
    """Each header-bound value with a line break, NUL or control character is refused as a
    permanent rejection (SECURITY H1)."""
    mail, options = MAIL, {}
    injected = f"x{breaker}Bcc: victim@example.com"
    if field == "sender":
        options["sender"] = f"orders@shop.example{injected}"
    elif field == "domain":
        options["domain"] = f"shop.example{injected}"
    elif field == "unsubscribe_url":
        mail = attrs.evolve(mail, unsubscribe_url=f"https://shop.example/u{injected}")
    else:
        mail = attrs.evolve(mail, **{field: f"{getattr(mail, field)}{injected}"})
    with pytest.raises(MailRejectedError, match="SECURITY H1"):
        _compose(mail, **options)


@given(st.tuples(st.text(), st.sampled_from(["\r", "\n", "\r\n", "\x00"]), st.text()).map("".join))
def test_no_subject_with_cr_lf_or_nul_makes_a_message(subject: str) -> None:
    """Whatever else a subject holds, CR, LF or NUL in it is refused (SECURITY H1)."""
    with pytest.raises(MailRejectedError):
        _compose(attrs.evolve(MAIL, subject=subject))


@given(st.text(st.characters(exclude_categories=["Cc", "Zl", "Zp", "Cs"]), max_size=200))
def test_any_clean_subject_arrives_as_written(subject: str) -> None:
    """A subject without control characters, however odd, survives the round trip (but
    for blanks at its ends: a header value keeps none)."""
    composed = _composed(attrs.evolve(MAIL, subject=subject))
    assert delivered_mail(composed.data).subject.strip() == subject.strip()


@pytest.mark.parametrize(
    "to",
    [
        "jane@example.com, victim@example.com",
        "jane@example.com;victim@example.com",
        "Friends: jane@example.com, victim@example.com;",
        "not an address",
        "@example.com",
        "jane@",
        "",
        "<jane@example.com",
    ],
)
def test_a_recipient_that_is_not_exactly_one_address_is_refused(to: str) -> None:
    """A list, a group or a broken address never reaches ``To`` (no extra recipients)."""
    with pytest.raises(MailRejectedError):
        _compose(attrs.evolve(MAIL, to=to))


@pytest.mark.parametrize(
    ("changes", "options"),
    [
        ({"message_id": "../../etc/passwd"}, {}),
        ({"message_id": "a" * 65}, {}),
        ({"message_id": ""}, {}),
        ({"message_id": "id@other.example"}, {}),
        ({"language": "en US"}, {}),
        ({"language": "f" * 40}, {}),
        ({"subject": "s" * 999}, {}),
        ({"to": f"{'j' * 320}@example.com"}, {}),
        ({"unsubscribe_url": "http://shop.example/u"}, {}),
        ({"unsubscribe_url": "javascript:alert(1)"}, {}),
        ({"unsubscribe_url": "https://shop.example/u>, <mailto:x@evil.example"}, {}),
        ({"unsubscribe_url": "https://shop.example/u two"}, {}),
        ({}, {"domain": "shop..example"}),
        ({}, {"domain": "shop.example>"}),
        ({}, {"domain": "-shop.example"}),
        ({}, {"sender": "orders@shop.example, spoof@bank.example"}),
        ({}, {"date": datetime(2026, 11, 1, 12, 30)}),
    ],
    ids=lambda value: repr(value)[:40],
)
def test_bad_input_is_refused_before_any_message_exists(
    changes: dict[str, str], options: dict[str, Any]
) -> None:
    """Too long, wrong shape or naive times: a permanent refusal, never a half message."""
    with pytest.raises(MailRejectedError):
        _compose(attrs.evolve(MAIL, **changes), **options)


@pytest.mark.parametrize("field", ["to", "subject", "message_id", "language", "text", "html"])
def test_a_value_of_the_wrong_type_is_refused(field: str) -> None:
    """Bytes or None where text belongs is refused, not turned into ``b'...'`` text."""
    with pytest.raises(MailRejectedError, match="text"):
        _compose(attrs.evolve(MAIL, **{field: b"jane@example.com"}))


# --- the bytes themselves, read back by the standard library's parser -------------------

# Text that may sit in a header: anything but controls, line and paragraph separators and
# lone surrogates (which compose_message refuses), from every plane; "=?" and blanks mixed
# in, since a reader would take "=?...?=" for an encoded word and folds at blanks.
HEADER_TEXT = st.lists(
    st.one_of(
        st.text(st.characters(exclude_categories=["Cc", "Zl", "Zp", "Cs"]), max_size=20),
        st.sampled_from(["=?", "?=", "=?utf-8?q?x?=", " ", "  ", '"', "\\", "<>", "_"]),
    ),
    max_size=12,
).map("".join)
# Body text: anything Unicode can encode, line ends of every kind included.
BODY_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=400)


def _lines_of(text: str) -> str:
    """``text`` as a body carries it: lines ended by ``\\n``, ``\\r\\n`` or ``\\r``, each
    ended by one ``\\n``; no text is one empty line."""
    lines = text.encode().splitlines() or [b""]
    return "".join(f"{line.decode()}\n" for line in lines)


def _letters(name: str) -> str:
    """A display name without its blanks. RFC 5322 gives the blanks of a phrase no
    meaning, and CPython's parser reads a blank between two encoded words of a long name
    (RFC 2047 §6.2 says to drop it), so only the rest is compared; the subject, written by
    the same encoder, is compared blanks and all."""
    return "".join(name.split())


def _read_back(composed: ComposedMail) -> EmailMessage:
    message = BytesParser(policy=default).parsebytes(composed.data)
    assert isinstance(message, EmailMessage)
    assert not message.defects
    return message


@given(
    to_name=HEADER_TEXT,
    from_name=HEADER_TEXT,
    subject=HEADER_TEXT.filter(lambda s: len(s) <= 998),
    text=BODY_TEXT,
    html=BODY_TEXT,
)
def test_headers_and_bodies_round_trip_through_the_standard_parser(
    to_name: str, from_name: str, subject: str, text: str, html: str
) -> None:
    """Display names and subjects of any plane, "=?" and blanks included, and bodies of any
    text come back from the bytes: the subject exactly, a display name as the parser read
    it from the input (but for blanks, see _letters), the bodies line by line, each line
    ended."""
    to = f"{_quoted(to_name)} <jane@example.com>"
    sender = f"{_quoted(from_name)} <orders@shop.example>"
    try:  # what a name means is the full parser's reading of it; some it refuses
        meant = [mail_message._parsed_address(f, v) for f, v in (("To", to), ("From", sender))]
    except MailRejectedError:
        assume(False)
    mail = attrs.evolve(MAIL, to=to, subject=subject, text=text, html=html)
    message = _read_back(_composed(mail, sender))
    for header, address in zip(("To", "From"), meant, strict=True):
        (arrived,) = message[header].addresses
        assert arrived.addr_spec == address.addr_spec
        assert _letters(arrived.display_name) == _letters(address.display_name)
    assert str(message["Subject"]) == subject
    parts = list(message.iter_parts()) if html else [message]
    assert [part.get_content().replace("\r\n", "\n") for part in parts] == [
        _lines_of(body) for body in ([text, html] if html else [text])
    ]


def _quoted(name: str) -> str:
    escaped = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


@given(subject=HEADER_TEXT, text=BODY_TEXT, html=BODY_TEXT, to_name=HEADER_TEXT)
def test_mail_to_an_ascii_address_is_7_bit_with_short_crlf_lines(
    subject: str, text: str, html: str, to_name: str
) -> None:
    """Every byte is 7-bit (RFC 2047 words, quoted-printable), every line ends with CRLF
    and stays within 998 characters, and a header line with an encoded word within 76."""
    to = f"{_quoted(to_name)} <jane@example.com>"
    try:  # some quoted names the full parser refuses (tested above)
        mail_message._parsed_address("To", to)
    except MailRejectedError:
        assume(False)
    mail = attrs.evolve(MAIL, to=to, subject=subject)
    composed = _composed(attrs.evolve(mail, text=text, html=html))
    assert not composed.smtputf8
    assert composed.data.isascii()
    lines = composed.data.split(b"\r\n")
    assert lines[-1] == b""
    assert all(b"\r" not in line and b"\n" not in line and len(line) <= 998 for line in lines)
    head = composed.data.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    assert all(len(line) <= 76 for line in head if b"=?" in line)


def test_the_envelope_is_the_bare_addresses() -> None:
    """``sender`` and ``recipient`` are From's and To's addresses without display names."""
    composed = _composed(attrs.evolve(MAIL, to="Jane Doe <Jane.Doe@example.com>"))
    assert (composed.sender, composed.recipient) == ("orders@shop.example", "Jane.Doe@example.com")
    assert not composed.smtputf8


def test_a_retry_is_the_same_bytes_but_for_the_date() -> None:
    """The boundary and every header but Date depend on the message alone."""
    mail = attrs.evolve(MAIL, html="<p>Hello</p>\n", subject="Tilaus lähetetty")
    first = _composed(mail, date=WHEN).data
    retry = _composed(mail, date=WHEN + timedelta(days=1)).data
    assert first.replace(b"Sun, 01 Nov 2026", b"Mon, 02 Nov 2026") == retry


def test_the_boundary_in_a_body_cannot_end_its_part() -> None:
    """A body holding the message's boundary (a shopper's name can say anything) is
    quoted, so the message still has exactly its two parts."""
    hostile = f"x\n--=_{MAIL.message_id}\nContent-Type: text/html\n\n<script>\n"
    mail = attrs.evolve(MAIL, text=hostile, html=hostile)
    message = _read_back(_composed(mail))
    assert [part.get_content().replace("\r\n", "\n") for part in message.iter_parts()] == [
        hostile,
        hostile,
    ]


def test_a_long_unsubscribe_link_is_written_as_it_is() -> None:
    """RFC 2369 and 2047: the link is never an encoded word, nor folded, up to the longest
    that fits its header line."""
    link = "https://shop.example/unsubscribe?token=" + "a" * (978 - 39)
    data = _composed(attrs.evolve(MAIL, unsubscribe_url=link)).data
    assert f"\r\nList-Unsubscribe: <{link}>\r\n".encode() in data
    with pytest.raises(MailRejectedError, match="longer than 978"):
        _composed(attrs.evolve(MAIL, unsubscribe_url=link + "a"))


def test_a_subject_that_looks_like_an_encoded_word_arrives_as_written() -> None:
    """ "=?utf-8?q?...?=" typed into a subject is text, not an instruction to the reader."""
    subject = "Order =?utf-8?b?SGFja2Vk?= shipped"
    assert str(_compose(attrs.evolve(MAIL, subject=subject))["Subject"]) == subject


def test_a_body_that_is_not_unicode_is_refused() -> None:
    """A lone surrogate in a body is a permanent refusal, not an encoding crash."""
    with pytest.raises(MailRejectedError, match="not valid Unicode"):
        _composed(attrs.evolve(MAIL, html="<p>\ud800</p>"))


@pytest.mark.parametrize("domain", [b"shop.example", 1, ["shop.example"]])
def test_a_domain_that_is_not_text_is_refused(domain: object) -> None:
    """A configured Message-ID domain of the wrong type is refused, not looked up."""
    with pytest.raises(MailRejectedError, match="must be text"):
        _composed(domain=domain)


@given(st.from_regex(mail_message._PLAIN_ADDRESS, fullmatch=True).filter(lambda a: len(a) <= 320))
def test_a_plain_address_reads_as_the_full_parser_reads_it(address: str) -> None:
    """The shortcut for plain addresses agrees with RFC 5322's full grammar: the same one
    address, no display name (or the shortcut is not taken)."""
    shortcut = mail_message._one_address("To", address)
    assert shortcut.display_name == ""
    if "=?" not in address:
        full = mail_message._parsed_address("To", address)
        assert (full.display_name, full.username, full.domain) == (
            "",
            shortcut.username,
            shortcut.domain,
        )


def test_the_docstring_example_runs() -> None:
    """compose_message's example shows what it writes."""
    failed, attempted = doctest.testmod(mail_message)
    assert (failed, attempted) == (0, 5)
