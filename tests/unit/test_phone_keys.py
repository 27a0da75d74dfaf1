"""A typed phone's look-up key is phonenumbers' E.164 reading of it, whichever way it is
computed: the common US shapes without a full parse, everything else through phonenumbers
(SECURITY A1: the same orders found, the same texts refused)."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from orderstatus_core import InvalidIdentifierError, parse_phone, phone_key
from support.phone_parses import count_phone_parses


def reference_key(text: str, region: str = "US") -> str | None:
    """What a look-up key is defined to be: phonenumbers reads the text in the store's
    region, and a possible number is keyed by its E.164 form."""
    if len(text) > 40 or not text.isprintable():
        return None
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


_SEPARATOR = st.sampled_from(["", " ", "-", "."])


@st.composite
def us_shapes(draw: st.DrawFn) -> str:
    """A ten-digit number as shoppers type it, in every spelling the fast path takes and
    its near misses: any first digit, stray or missing parentheses, a country code with
    or without "+", doubled separators."""
    digits = draw(st.text(alphabet="0123456789", min_size=10, max_size=10))
    prefix = draw(st.sampled_from(["", "1", "+1", "+", "11", "01", "+01"]))
    area = digits[:3]
    area = draw(st.sampled_from([area, f"({area})", f"({area}", f"{area})", f"(({area})"]))
    return "".join(
        [
            prefix,
            draw(_SEPARATOR) if prefix else "",
            area,
            draw(_SEPARATOR),
            draw(_SEPARATOR) if draw(st.booleans()) else "",
            digits[3:6],
            draw(_SEPARATOR),
            digits[6:],
        ]
    )


@settings(max_examples=500)
@given(us_shapes())
@example("(415) 555-2671")
@example("1 (415) 555-2671")
@example("+1 (415) 555-2671")
@example("(115) 555-2671")  # an area code never starts with 1 or 0
@example("(015) 555-2671")
@example("1 (115) 555-2671")
@example("(415)) 555-2671")
def test_a_typed_us_number_has_the_key_phonenumbers_gives_it(text: str) -> None:
    """Every spelling of a US number, fast or not, keys as phonenumbers reads it."""
    assert phone_key(text) == reference_key(text)


@settings(max_examples=300)
@given(st.text(alphabet="0123456789 +-.()x#*/", max_size=24) | st.text(max_size=24))
@example("")
@example("555-2671")
@example("415-555-2671 x12")
@example("\uff14\uff11\uff15-555-2671")  # fullwidth digits: phonenumbers reads them
@example(" (415) 555-2671")
def test_any_typed_text_has_the_key_phonenumbers_gives_it(text: str) -> None:
    """Any text at all, in the default region, keys (or not) as phonenumbers reads it."""
    assert phone_key(text) == reference_key(text)


@given(us_shapes(), st.sampled_from(["CA", "GB", "DE", "JP"]))
def test_another_home_region_reads_numbers_as_phonenumbers_does(text: str, region: str) -> None:
    """A store in another region gets phonenumbers' reading of the same texts."""
    assert phone_key(text, region) == reference_key(text, region)


@pytest.mark.parametrize(
    "text", ["(415) 555-2671", "415-555-2671", "415.555.2671", "+1 415 555 2671", "4155552671"]
)
def test_the_common_us_shapes_are_keyed_without_a_full_parse(
    monkeypatch: pytest.MonkeyPatch, text: str
) -> None:
    """The shapes shoppers type most are read without phonenumbers.parse (the cost of a
    phone look-up), and give the key it would give."""
    parsed = count_phone_parses(monkeypatch)
    assert phone_key(text) == "+14155552671"
    assert parsed == []


@pytest.mark.parametrize("text", [None, 4155552671, b"(415) 555-2671", ["(415) 555-2671"]])
def test_a_phone_that_is_not_text_has_no_key(text: object) -> None:
    """A wrong type is no number, on the fast path as on the full one."""
    assert phone_key(text) is None


@pytest.mark.parametrize(
    "text",
    [
        "(415) 555-2671\n",
        "(415) 555-2671' OR '1'='1",
        "(415) 555-2671" + "0" * 40,
        "(415) 555-267",
        "(415) 555\u20132671\u202e",
    ],
)
def test_near_misses_of_the_common_shape_get_the_full_parse_answer(text: str) -> None:
    """Text the fast pattern does not take exactly (a newline, an injection, too long, a
    digit short, a bidi control) gets phonenumbers' answer."""
    assert phone_key(text) == reference_key(text)


def reference_parse(text: str, region: str = "US") -> str:
    """What ``parse_phone`` is defined to answer, by phonenumbers' full parse: the E.164
    form of a valid number, else the refusal's message."""
    if len(text) > 40 or not text.isprintable():
        return "is not a phone number"
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return "is not a phone number"
    if not phonenumbers.is_possible_number(number):
        return "is not a phone number"
    if not phonenumbers.is_valid_number(number):
        return "is not a valid phone number"
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def parsed(text: str, region: str = "US") -> str:
    """``parse_phone``'s answer as :func:`reference_parse` writes it."""
    try:
        return parse_phone(text, region).e164
    except InvalidIdentifierError as error:
        return error.message


@settings(max_examples=500)
@given(us_shapes())
@example("(415) 555-2671")
@example("+1 (555) 555-0100")  # possible, but no valid US number
@example("(201) 555-0123")
@example("1 (115) 555-2671")
def test_a_typed_us_number_is_validated_as_phonenumbers_validates_it(text: str) -> None:
    """A common US shape, read without a full parse, is accepted or refused exactly as
    phonenumbers' full reading of it is, with the same number."""
    assert parsed(text) == reference_parse(text)


@given(us_shapes(), st.sampled_from(["CA", "GB"]))
def test_a_store_elsewhere_validates_numbers_as_phonenumbers_does(text: str, region: str) -> None:
    """Outside the US every text takes the full parse, and the same answer."""
    assert parsed(text, region) == reference_parse(text, region)


@pytest.mark.parametrize(("text", "full_parses"), [("(415) 555-2671", 0), ("415  555  2671", 1)])
def test_parse_phone_parses_a_common_us_shape_without_phonenumbers_parse(
    monkeypatch: pytest.MonkeyPatch, text: str, full_parses: int
) -> None:
    """An import's phone in a common US shape skips the full parse (its validity is still
    phonenumbers' to decide); any other shape is parsed once."""
    calls = count_phone_parses(monkeypatch)
    assert parse_phone(text).e164 == "+14155552671"
    assert calls == [text] * full_parses
