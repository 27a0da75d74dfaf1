"""Identifiers compare in canonical form (DOMAIN.md section 1, SECURITY A4)."""

from __future__ import annotations

import unicodedata

import pytest

from orderstatus_core import (
    CategoryPath,
    InvalidIdentifierError,
    PartNumber,
    email_key,
    parse_email,
    parse_phone,
    phone_key,
)
from orderstatus_core.model import part_number_key


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("JANE.DOE@EXAMPLE.COM", "jane.doe@example.com"),
        ("  jane.doe@example.com ", "jane.doe@example.com"),
        ("Jane.Doe@Exämple.com", "jane.doe@xn--exmple-cua.com"),
        ("jane.doe@xn--exmple-cua.com", "jane.doe@exämple.com"),
        ("jane@ＥＸＡＭＰＬＥ.com", "jane@example.com"),
        ("STRAẞE@example.com", "straße@example.com"),
        ("ÄNNE@example.com", "a\u0308nne@example.com"),
    ],
)
def test_equivalent_addresses_share_a_key(typed: str, stored: str) -> None:
    """Case, the IDNA form of the domain and canonical (NFC) equivalence fold to one key."""
    assert email_key(typed) == email_key(stored)


@pytest.mark.parametrize(
    ("lookalike", "address"),
    [
        ("mıke@example.com", "mike@example.com"),  # dotless i (Django CVE-2019-19844)
        ("ｍｉｋｅ@example.com", "mike@example.com"),  # fullwidth
        ("straße@example.com", "strasse@example.com"),  # casefold() gives ss
        ("ﬁnn@example.com", "finn@example.com"),  # ligature
        ("ſam@example.com", "sam@example.com"),  # long s
        ("𝐦ike@example.com", "mike@example.com"),  # mathematical bold
        ("ⅸ@example.com", "ix@example.com"),  # roman numeral
        ("µ@example.com", "μ@example.com"),  # micro sign and Greek mu
    ],
)
def test_lookalike_local_parts_are_different_addresses(lookalike: str, address: str) -> None:
    """Compatibility forms and full case folding are different mailboxes (SECURITY A4)."""
    assert email_key(lookalike) != email_key(address)


@pytest.mark.parametrize("sign", ["\u212aate", "\u212bsa"])  # Kelvin, Ångström
def test_a_canonically_equivalent_address_is_stored_as_the_same_address(sign: str) -> None:
    """Signs that NFC maps to a letter are one address with it, kept in its NFC spelling."""
    letters = unicodedata.normalize("NFC", sign)
    assert parse_email(f"{sign}@example.com") == parse_email(f"{letters}@example.com")
    assert parse_email(f"{sign}@example.com").display == f"{letters}@example.com"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "no-at-sign",
        "@example.com",
        "jane@",
        "ja ne@example.com",
        "jane@exa\nmple.com",
        "x" * 300 + "@example.com",
        "jane@\x00.com",
    ],
)
def test_text_that_cannot_be_an_address_has_no_key(text: str) -> None:
    """Malformed input gives ``None``, never an exception."""
    assert email_key(text) is None


def test_a_non_string_has_no_key() -> None:
    """Wrong types are malformed identifiers, not crashes."""
    assert email_key(None) is None
    assert email_key(42) is None


def test_parse_email_keeps_the_display_form_and_the_key() -> None:
    """The stored address is what the shopper typed; the key is what we compare."""
    address = parse_email("Jane.Doe@Example.COM")
    assert address.display == "Jane.Doe@example.com"
    assert address.canonical == email_key("Jane.Doe@Example.COM")


@pytest.mark.parametrize(
    "text", ["jane", "jane@@example.com", "jane@example..com", "jane@exa mple.com", "a" * 255]
)
def test_parse_email_refuses_what_cannot_be_delivered(text: str) -> None:
    """Stored addresses are syntactically valid."""
    with pytest.raises(InvalidIdentifierError):
        parse_email(text)


def test_addresses_with_one_key_are_equal() -> None:
    """EmailAddress equality is by canonical key."""
    assert parse_email("JANE@example.com") == parse_email("jane@EXAMPLE.com")


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("(415) 555-2671", "+14155552671"),
        ("+1 415 555 2671", "+14155552671"),
        ("415.555.2671", "+14155552671"),
        ("+358 40 1234567", "+358401234567"),
    ],
)
def test_phone_numbers_are_compared_in_e164(typed: str, e164: str) -> None:
    """National and international spellings reach the same E.164 key."""
    assert phone_key(typed) == e164
    assert parse_phone(typed).e164 == e164


def test_the_home_region_reads_national_numbers() -> None:
    """A number without ``+`` is read in the store's region."""
    assert parse_phone("040 1234567", "FI").e164 == "+358401234567"


@pytest.mark.parametrize("text", ["", "12", "not a phone", "+1 415 555 2671 ext\n", "9" * 50])
def test_malformed_phone_numbers_have_no_key(text: str) -> None:
    """Malformed phones give ``None`` for look-ups and an error for storing."""
    assert phone_key(text) is None
    with pytest.raises(InvalidIdentifierError):
        parse_phone(text)


@pytest.mark.parametrize("typed", ["bp-1234", "BP 1234", "b.p.1234", "Bp-12.34", " BP1234 "])
def test_part_numbers_ignore_case_spaces_dashes_and_dots(typed: str) -> None:
    """What a shopper types around a part number does not matter."""
    assert PartNumber(typed) == PartNumber("BP1234")


def test_part_number_key_is_idempotent_for_combining_marks() -> None:
    """Removing a dash between a letter and a combining accent still reaches a fixed point."""
    key = part_number_key("e-\u0301X")
    assert part_number_key(key) == key


@pytest.mark.parametrize("text", ["", " - . ", "x" * 65])
def test_a_part_number_has_something_left_after_folding(text: str) -> None:
    """An empty or over-long part number is refused."""
    with pytest.raises(ValueError, match=r"part number|characters|empty"):
        PartNumber(text)


def test_a_parent_category_contains_its_children() -> None:
    """Searching *Brake & Wheel Hub* finds *Brake & Wheel Hub › Brake Pad*."""
    parent = CategoryPath("Brake & Wheel Hub")
    assert parent.contains(CategoryPath("brake  &  wheel hub › Brake Pad"))
    assert parent.contains(parent)


def test_a_category_with_a_shared_prefix_is_not_a_child() -> None:
    """*Brake* does not contain *Brakes & Rotors*."""
    assert not CategoryPath("Brake").contains(CategoryPath("Brakes & Rotors"))


def test_a_child_does_not_contain_its_parent() -> None:
    """Containment goes downwards only."""
    assert not CategoryPath("A › B").contains(CategoryPath("A"))


@pytest.mark.parametrize(
    "value", [[], ["a"] * 9, ["ok", ""], ["x" * 81], ["line\nbreak"], ["unit\x1fsep"]]
)
def test_malformed_categories_are_refused(value: list[str]) -> None:
    """Depth 1 to 8, each segment clean and at most 80 characters."""
    with pytest.raises(ValueError, match=r"."):
        CategoryPath(value)
