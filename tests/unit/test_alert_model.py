"""The availability alert's values: a watch keeps no language (issue 14 item 7: the alert
follows the account's preferred language at the report), and the watcher mail a report
hands the storage checks what goes into its SQL (message ids, JSON member names)."""

from __future__ import annotations

import pytest

from orderstatus_core import InvalidFieldError, PartBackInStockMail, PartWatch, parse_email
from orderstatus_core.messages import WatcherMail
from orderstatus_core.serialization import load_intent
from orderstatus_core.services.effects import watcher_mail

LINK = "https://shop.example/account/alerts"
PREFIX = "0123456789abcdef01234567"


def test_a_watch_keeps_no_language() -> None:
    """The language is the account's at the report, not the watch's."""
    assert "language" not in {field.name for field in PartWatch.__attrs_attrs__}


def test_a_watcher_mail_document_is_the_alert_to_that_watcher() -> None:
    """The template with the three members set reads back as the watcher's alert."""
    mail = watcher_mail(LINK)
    document = mail.document("Jane.Doe@Example.com", "BP-1234", "fi")
    assert load_intent(document) == PartBackInStockMail(
        parse_email("Jane.Doe@Example.com"), "BP-1234", LINK, "fi"
    )
    assert set(mail.template) == {"kind", "link"}  # nothing of a watcher is in it


def test_message_ids_are_the_prefix_and_the_ordinal_in_32_hex_digits() -> None:
    """Ordinals from 1 in eight hex digits after the report's 24: sortable, 32 in all."""
    mail = WatcherMail({"kind": "part_back_in_stock"}, PREFIX)
    assert [mail.message_id(n) for n in (1, 255, 0xFFFFFFFF)] == [
        PREFIX + "00000001",
        PREFIX + "000000ff",
        PREFIX + "ffffffff",
    ]


def test_each_report_draws_its_own_id_prefix() -> None:
    """Two reports' ids share nothing guessable: the prefixes are fresh random digits."""
    prefixes = {watcher_mail(LINK).id_prefix for _ in range(50)}
    assert len(prefixes) == 50
    assert all(len(prefix) == 24 and int(prefix, 16) >= 0 for prefix in prefixes)


@pytest.mark.parametrize(
    "prefix", ["", PREFIX[:-1], PREFIX + "0", PREFIX.upper(), "g" * 24, "'; DROP--" * 3, 7, None]
)
def test_a_watcher_mail_refuses_what_is_no_id_prefix(prefix: object) -> None:
    """Too short, too long, upper case, not hex, injection text, not text: a typed error."""
    with pytest.raises(InvalidFieldError, match="@ id_prefix"):
        WatcherMail({"kind": "part_back_in_stock"}, prefix)  # type: ignore[arg-type]


@pytest.mark.parametrize("member", ["", "To", "to.x", 'to"', "$.to", "to'--", "t" * 41, 7])
def test_a_watcher_mail_refuses_member_names_a_json_path_would_misread(member: object) -> None:
    """Member names go into a JSON path: only plain lower-case names."""
    with pytest.raises(InvalidFieldError, match="@ email_member"):
        WatcherMail({"kind": "part_back_in_stock"}, PREFIX, email_member=member)  # type: ignore[arg-type]


def test_a_watcher_mail_template_cannot_change_after() -> None:
    """The template is read-only: a storage cannot alter the next report's."""
    mail = watcher_mail(LINK)
    with pytest.raises(TypeError):
        mail.template["link"] = "https://evil.example"  # type: ignore[index]
