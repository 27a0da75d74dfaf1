"""compose_message: the one RFC 5322 message every mail adapter sends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from email.policy import SMTP, SMTPUTF8
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core import MailRejectedError, OutgoingMail, compose_message
from orderstatus_core.testing.contracts import delivered_mail

WHEN = datetime(2026, 11, 1, 12, 30, tzinfo=UTC)
SHOP = "Parts Shop <orders@shop.example>"
MAIL = OutgoingMail("0f3a9c", "jane@example.com", "Your recent order numbers", "Hello\n")

# Every character that may end a header line on some reader: CR, LF, NUL, other C0, DEL,
# NEL and the C1 controls, the Unicode line and paragraph separators, a lone surrogate.
BREAKERS = ["\r", "\n", "\r\n", "\x00", "\x0b", "\x0c", "\x1c", "\x7f", "\x85", "\u2028", "\u2029"]
BREAKERS += ["\ud800"]


def _compose(mail: OutgoingMail = MAIL, sender: str = SHOP, **options: Any) -> EmailMessage:
    return compose_message(mail, sender, date=options.pop("date", WHEN), **options)


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
    message = _compose(attrs.evolve(MAIL, html="<p>Hello</p>\n"))
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]
    assert message["Content-Language"] == "en"
    assert delivered_mail(message.as_bytes(policy=SMTP)) == attrs.evolve(
        MAIL, html="<p>Hello</p>\n"
    )


def test_an_unsubscribe_link_gives_the_one_click_pair() -> None:
    """RFC 8058: List-Unsubscribe with the HTTPS link, List-Unsubscribe-Post one-click."""
    link = "https://shop.example/unsubscribe?token=abc&list=alerts"
    message = _compose(attrs.evolve(MAIL, unsubscribe_url=link))
    assert message["List-Unsubscribe"] == f"<{link}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_an_international_address_round_trips_with_smtputf8() -> None:
    """RFC 6531 addresses and Finnish text survive serialisation and parsing."""
    mail = OutgoingMail("fi-1", "jörg@bücher.de", "Hei åäö", "Ääkköset\n", language="fi")
    assert delivered_mail(_compose(mail).as_bytes(policy=SMTPUTF8)) == mail


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
    message = _compose(attrs.evolve(MAIL, subject=subject))
    assert delivered_mail(message.as_bytes(policy=SMTP)).subject.strip() == subject.strip()


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
