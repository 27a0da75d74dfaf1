"""Mail rendered from the templates: both parts for every kind and language, the words
from the catalogs, values formatted by Babel, HTML escaped, subjects kept to one line."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderstatus_core.contacts import parse_email
from orderstatus_core.errors import InvalidFieldError, MailTemplateError
from orderstatus_core.mail import MailBranding, MailRenderer, MailTemplates
from orderstatus_core.messages import (
    AccountVerificationMail,
    AlreadyRegisteredMail,
    AttachCodeMail,
    EmailChangeMail,
    EmailChangeNotice,
    GuestPassMail,
    MailIntent,
    OrderListMail,
    OutboxMessage,
    OutgoingMail,
    PartBackInStockMail,
    PasswordResetMail,
    ReturnDocumentsJob,
    ReturnLabelMail,
    ReturnReceivedMail,
    ReturnSettledMail,
    ShipmentNotice,
    TrackingMail,
)
from orderstatus_core.model import Money
from orderstatus_core.testing.strategies import account_mails, guest_pass_mails, order_list_mails

TO = parse_email("Jane.Doe@example.com")
ORDER = "123456789"
LINK = "https://shop.example/order-status/pass?token=selector.validator"
EXPIRES = datetime(2026, 11, 1, 12, 15, tzinfo=UTC)
SHIP_BY = datetime(2026, 11, 15, 23, 59, tzinfo=UTC)
HOSTILE = '<script>alert("x")</script>&'


def _every_kind(language: str) -> list[MailIntent]:
    return [
        OrderListMail(TO, (ORDER, "987654321"), language),
        GuestPassMail(TO, ORDER, "481516", LINK, EXPIRES, language),
        TrackingMail(
            TO,
            ORDER,
            (ShipmentNotice("P1", "UPS", "1Z999AA10123456784", "https://ups.example/t/1Z9"),),
            language,
        ),
        ReturnLabelMail(TO, ORDER, ("RMA-1001", "RMA-1002"), True, SHIP_BY, language),
        ReturnReceivedMail(TO, ORDER, "RMA-1001", language),
        ReturnSettledMail(TO, ORDER, "RMA-1001", "refunded", Money("12.50", "EUR"), language),
    ]


def _render(intent: MailIntent, renderer: MailRenderer | None = None) -> OutgoingMail:
    message = OutboxMessage(message_id="m1", created_at=EXPIRES, intent=intent)
    return (renderer or MailRenderer.builtin()).render(message)


KINDS = [type(intent).__name__ for intent in _every_kind("en")]


@pytest.mark.parametrize("language", ["en", "fi"])
@pytest.mark.parametrize("kind", range(len(KINDS)), ids=KINDS)
def test_every_kind_has_a_subject_a_text_and_an_html_part(language: str, kind: int) -> None:
    """Each mail kind renders in each built-in language, with both parts and the order."""
    intent = _every_kind(language)[kind]
    mail = _render(intent)
    assert mail.subject
    assert "\n" not in mail.subject
    assert mail.text.startswith("Hello,\n\n" if language == "en" else "Hei,\n\n")
    assert mail.html.startswith("<!DOCTYPE html>")
    assert f'<html lang="{language}">' in mail.html
    assert mail.text.endswith("Example Parts.\n")
    assert ORDER in mail.text
    assert ORDER in mail.html
    assert mail.language == language
    assert mail.to == "Jane.Doe@example.com"
    assert mail.message_id == "m1"


@pytest.mark.parametrize(
    ("language", "subject", "words"),
    [
        ("en", "Your code for order 123456789", "The code and the link work once"),
        ("fi", "Koodisi tilaukselle 123456789", "Koodi ja linkki toimivat kerran"),
    ],
)
def test_the_words_come_from_the_language_s_catalog(
    language: str, subject: str, words: str
) -> None:
    """Subject and body of a guest-pass mail, in English and in Finnish."""
    mail = _render(GuestPassMail(TO, ORDER, "481516", LINK, EXPIRES, language))
    assert mail.subject == subject
    assert words in mail.text
    assert words in mail.html
    assert "481516" in mail.text
    assert LINK in mail.text


@pytest.mark.parametrize(
    ("language", "amount", "written"),
    [
        ("fi", Money("12.50", "EUR"), "12,50\xa0€"),
        ("en", Money("12.50", "USD"), "$12.50"),
        ("en_US", Money("1234.50", "USD"), "$1,234.50"),
        ("fi_FI", Money("1234.50", "EUR"), "1\xa0234,50\xa0€"),
    ],
)
def test_money_is_written_as_the_locale_writes_it(
    language: str, amount: Money, written: str
) -> None:
    """``12,50 €`` in Finnish, ``$12.50`` in US English: Babel, never by hand."""
    mail = _render(ReturnSettledMail(TO, ORDER, "RMA-1", "credited", amount, language))
    assert written in mail.text
    assert written in mail.html


@pytest.mark.parametrize(
    ("language", "day", "moment"),
    [
        ("en", "November 15, 2026", "November 1, 2026, 12:15:00\u202fPM UTC"),
        ("fi", "15. marraskuuta 2026", "1. marraskuuta 2026 12.15.00 UTC"),
        ("en_GB", "15 November 2026", "1 November 2026, 12:15:00 UTC"),
    ],
)
def test_dates_are_written_as_the_locale_writes_them(language: str, day: str, moment: str) -> None:
    """The ship-by day and the code's expiry, for the language's locale."""
    papers = _render(ReturnLabelMail(TO, ORDER, ("RMA-1",), False, SHIP_BY, language))
    code = _render(GuestPassMail(TO, ORDER, "481516", LINK, EXPIRES, language))
    assert day in papers.text
    assert moment in code.text


def test_plural_forms_follow_the_number_of_packages() -> None:
    """One package reads "The package", several "Every package", in each language."""
    notice = ShipmentNotice("P1", "UPS", "1Z999AA10123456784")
    one = _render(TrackingMail(TO, ORDER, (notice,), "fi"))
    two = _render(TrackingMail(TO, ORDER, (notice, attrs.evolve(notice, package_id="P2")), "fi"))
    assert "Tilauksesi 123456789 paketti on matkalla" in one.text
    assert "Kaikki tilauksesi 123456789 paketit ovat matkalla" in two.text


@pytest.mark.parametrize(
    "language", ["sv", "xx", "", "../fi", "fi/../../etc", "FI", "f", "en\x00", "fi_FI\r\n", 42]
)
def test_a_language_without_a_catalog_gets_english(language: object) -> None:
    """Unknown or malformed language codes never reach a file path: English."""
    intent = OrderListMail(TO, (ORDER,), language)  # type: ignore[arg-type]
    mail = _render(intent)
    assert mail.language == "en"
    assert mail.subject == "Your recent order numbers"


@pytest.mark.parametrize("language", ["fi_FI", "fi-FI"])
def test_a_regional_code_reads_its_language_s_catalog(language: str) -> None:
    """``fi_FI`` and ``fi-FI`` are Finnish."""
    assert _render(OrderListMail(TO, (ORDER,), language)).language == "fi"


def test_the_settled_outcomes_each_have_their_sentence() -> None:
    """Refunded, credited, replaced and rejected: four different sentences."""
    texts = {
        outcome: _render(
            ReturnSettledMail(TO, ORDER, "RMA-1", outcome, Money(Decimal(0), "USD"))
        ).text
        for outcome in ("refunded", "credited", "replaced", "rejected")
    }
    assert len(set(texts.values())) == 4
    assert "new parts are on their way" in texts["replaced"]
    assert "could not accept" in texts["rejected"]


def test_an_unknown_outcome_is_a_template_error() -> None:
    """A settled return the templates have no sentence for is refused, not guessed."""
    intent = ReturnSettledMail(TO, ORDER, "RMA-1", "teleported", Money("1", "USD"))
    with pytest.raises(MailTemplateError, match="unknown return outcome"):
        _render(intent)


def test_an_outbox_item_that_is_not_a_mail_is_a_type_error() -> None:
    """Events and jobs are not rendered."""
    job = ReturnDocumentsJob(ORDER, "r1", "RMA-1", with_label=True)
    with pytest.raises(TypeError, match="not a mail"):
        MailRenderer.builtin().render(OutboxMessage("m1", EXPIRES, job))


# --- escaping and headers (SECURITY H1, D4) ---------------------------------------------


def test_values_are_escaped_in_html_and_left_alone_in_text() -> None:
    """A stored value with markup cannot inject HTML; the text part shows it as it is."""
    notice = ShipmentNotice(HOSTILE, HOSTILE, HOSTILE, 'https://t.example/"onmouseover="x')
    mail = _render(TrackingMail(TO, "ORD<b>1", (notice,)))
    assert "<script>" not in mail.html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&amp;" in mail.html
    assert 'href="https://t.example/&#34;onmouseover=&#34;x"' in mail.html
    assert "ORD&lt;b&gt;1" in mail.html
    assert HOSTILE in mail.text
    assert "ORD<b>1" in mail.text


@pytest.mark.parametrize(
    "number",
    [
        "123\r\nBcc: victim@example.com",
        "123\nX-Injected: 1",
        "123\rSubject: x",
        "1\x00",
        "1\u2028Bcc: x@example.com",
    ],
)
def test_a_subject_never_carries_a_line_break(number: str) -> None:
    """An injection in an order number stops the mail (a dead letter), never a header."""
    with pytest.raises(MailTemplateError, match="line break"):
        _render(GuestPassMail(TO, number, "481516", LINK, EXPIRES))


URL = re.compile(r"https?://[^\s\"'<>]+")


@given(intent=st.one_of(order_list_mails(), guest_pass_mails()))
@settings(max_examples=60, deadline=None)
def test_generated_mail_renders_with_links_only_from_the_intent(intent: MailIntent) -> None:
    """Any Order Look-Up or guest-pass mail renders both parts; the only link is the
    one built from the store's base URL, whatever the language (D4)."""
    mail = _render(intent)
    assert mail.text
    assert mail.html
    links = set(URL.findall(mail.text)) | set(URL.findall(mail.html.replace("&amp;", "&")))
    expected = {intent.link} if isinstance(intent, GuestPassMail) else set()
    assert links == expected


# --- account mail (issue 13) ---------------------------------------------------------------

ACCOUNT_LINK = "https://shop.example/account/verify?token=selector.validator"


def _every_account_kind(language: str) -> list[MailIntent]:
    return [
        AccountVerificationMail(TO, ACCOUNT_LINK, EXPIRES, language),
        AlreadyRegisteredMail(TO, language),
        PasswordResetMail(TO, ACCOUNT_LINK.replace("verify", "reset"), EXPIRES, language),
        EmailChangeMail(TO, ACCOUNT_LINK.replace("verify", "confirm-email"), EXPIRES, language),
        EmailChangeNotice(TO, "n•••@example.com", language),
        AttachCodeMail(TO, ORDER, "481516", EXPIRES, language),
        PartBackInStockMail(TO, "BP-1234", "https://shop.example/account/alerts", language),
    ]


ACCOUNT_KINDS = [type(intent).__name__ for intent in _every_account_kind("en")]


@pytest.mark.parametrize("language", ["en", "fi"])
@pytest.mark.parametrize("kind", range(len(ACCOUNT_KINDS)), ids=ACCOUNT_KINDS)
def test_every_account_kind_renders_both_parts(language: str, kind: int) -> None:
    """Each account mail renders in English and Finnish with both parts, in its own
    words (the two languages differ), its link or code, and no other link (D4)."""
    intent = _every_account_kind(language)[kind]
    mail = _render(intent)
    english = _render(_every_account_kind("en")[kind])
    assert mail.subject
    assert "\n" not in mail.subject
    assert mail.text.startswith("Hello,\n\n" if language == "en" else "Hei,\n\n")
    assert f'<html lang="{language}">' in mail.html
    assert mail.language == language
    assert mail.to == "Jane.Doe@example.com"
    if language == "fi":
        assert mail.subject != english.subject
    links = set(URL.findall(mail.text)) | set(URL.findall(mail.html.replace("&amp;", "&")))
    link = getattr(intent, "link", None)
    assert links == ({link} if link else set())
    if link:
        assert link in mail.text
    if isinstance(intent, AttachCodeMail):
        assert "481516" in mail.text
        assert ORDER in mail.text
    if isinstance(intent, EmailChangeNotice):
        assert "n•••@example.com" in mail.text
    if isinstance(intent, PartBackInStockMail):
        assert "BP-1234" in mail.subject
        assert "BP-1234" in mail.text


@pytest.mark.parametrize(
    "intent",
    [
        AttachCodeMail(TO, "1234\r\nBcc: all@example.com", "481516", EXPIRES),
        EmailChangeNotice(TO, "n•••@example.com\r\nBcc: all@example.com"),
        PartBackInStockMail(TO, "BP-1\r\nBcc: all@example.com", "https://shop.example/a"),
    ],
    ids=["attach-order-number", "notice-new-email", "part-number"],
)
def test_account_mail_never_carries_a_header_from_input(intent: MailIntent) -> None:
    """H1: a line break in a value that reaches the mail stops it (a dead letter) or stays
    in the body; it never becomes a header."""
    try:
        mail = _render(intent)
    except MailTemplateError:
        return
    assert "\n" not in mail.subject
    assert "\r" not in mail.subject
    assert "Bcc" not in mail.subject
    assert mail.to == "Jane.Doe@example.com"


@pytest.mark.parametrize("value", [HOSTILE])
def test_account_mail_escapes_html(value: str) -> None:
    """A masked address and a part number are the free text account mail shows: escaped
    in HTML."""
    mail = _render(EmailChangeNotice(TO, value))
    assert "<script>" not in mail.html
    alert = _render(PartBackInStockMail(TO, value, "https://shop.example/account/alerts"))
    assert "<script>" not in alert.html


@given(intent=account_mails())
@settings(max_examples=60, deadline=None)
def test_generated_account_mail_renders_with_links_only_from_the_intent(
    intent: MailIntent,
) -> None:
    """Any account mail renders both parts in any language; the only link is the one the
    intent carries, built from the account policy's ``link_base`` (D4)."""
    mail = _render(intent)
    assert mail.text
    assert mail.html
    links = set(URL.findall(mail.text)) | set(URL.findall(mail.html.replace("&amp;", "&")))
    link = getattr(intent, "link", None)
    assert links == ({link} if link else set())


# --- branding -----------------------------------------------------------------------------


def test_the_branding_is_in_both_parts() -> None:
    """Store name in the signature and the logo alt text, colour in the header bar."""
    branding = MailBranding(
        store_name="Osat & Varaosat",
        logo_url="https://cdn.example/logo.png",
        accent_colour="#aa3300",
    )
    renderer = MailRenderer([MailTemplates(branding=branding), MailTemplates.builtin()])
    mail = _render(ReturnReceivedMail(TO, ORDER, "RMA-1", "fi"), renderer)
    assert "Tämän viestin lähetti automaattisesti Osat & Varaosat." in mail.text
    assert 'src="https://cdn.example/logo.png" alt="Osat &amp; Varaosat"' in mail.html
    assert "background:#aa3300" in mail.html


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("store_name", ""),
        ("store_name", "Parts\r\nBcc: x@example.com"),
        ("store_name", "x" * 101),
        ("store_name", 7),
        ("logo_url", "javascript:alert(1)"),
        ("logo_url", "http://cdn.example/logo.png"),
        ("logo_url", 'https://cdn.example/a.png" onerror="alert(1)'),
        ("logo_url", "https://cdn.example/" + "a" * 2000),
        ("accent_colour", "red;background:url(https://evil.example)"),
        ("accent_colour", "#12345"),
        ("accent_colour", None),
    ],
)
def test_bad_branding_is_refused(field: str, value: object) -> None:
    """Branding values go into markup and styles: only what is safe there is taken."""
    with pytest.raises(InvalidFieldError, match=field):
        MailBranding(**{field: value})  # type: ignore[arg-type]
