"""Canonical keys: idempotent, and the same whichever way they are computed."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core import CategoryPath, EmailAddress, PartNumber, email_key, parse_email
from orderstatus_core.errors import ValidationError
from orderstatus_core.model import canonical_order_number, category_segment_key, part_number_key
from orderstatus_core.model._text import check_text
from orderstatus_core.testing import strategies as ost

any_text = st.text() | ost.hostile_text()


@given(any_text)
def test_part_number_key_is_idempotent(text: str) -> None:
    """Canonicalising a part-number key again changes nothing."""
    assert part_number_key(part_number_key(text)) == part_number_key(text)


@given(any_text)
def test_category_segment_key_is_idempotent(text: str) -> None:
    """Canonicalising a category-segment key again changes nothing."""
    assert category_segment_key(category_segment_key(text)) == category_segment_key(text)


@given(st.text(st.characters(max_codepoint=127)))
def test_an_ascii_category_segment_key_is_the_general_one(text: str) -> None:
    """ASCII text takes a shorter path to its segment key, to the same key (NFKC and
    case folding by Unicode's tables, whitespace of every kind collapsed)."""
    from orderstatus_core.model.identifiers import _fold

    assert category_segment_key(text) == " ".join(_fold(text).split())


@given(st.lists(any_text, min_size=1, max_size=8))
def test_a_category_path_refuses_exactly_the_segments_with_an_empty_key(
    segments: list[str],
) -> None:
    """The empty-segment check reads the path's key; it refuses a path exactly when a
    segment of clean text has no key of its own."""
    try:
        path = CategoryPath(segments)
    except ValidationError:
        clean = all(_clean(segment) for segment in segments)
        assert not clean or not all(category_segment_key(s) for s in segments)
    else:
        assert all(category_segment_key(s) for s in segments)
        assert path.key.split("\x1f") == [category_segment_key(s) for s in segments]


def _clean(segment: str) -> bool:
    try:
        check_text("segment", segment, 80)
    except ValidationError:
        return False
    return True


@given(any_text | ost.email_texts())
def test_email_key_is_idempotent(text: str) -> None:
    """An email key, when there is one, is its own key."""
    key = email_key(text)
    assert key is None or email_key(key) == key


@given(ost.email_texts())
def test_email_key_of_typed_text_is_the_parsed_canonical_form(text: str) -> None:
    """For every valid address, the fast look-up key equals the stored canonical form."""
    assert email_key(text) == parse_email(text).canonical


@given(ost.emails())
def test_email_key_of_the_display_form_is_the_canonical_form(address: EmailAddress) -> None:
    """The display form kept for mail gives back the same key."""
    assert email_key(address.display) == address.canonical


@given(ost.part_numbers())
def test_a_part_number_equals_one_made_from_its_key(part: PartNumber) -> None:
    """A part number and its canonical key name the same part."""
    assert PartNumber(part.canonical) == part


@given(ost.category_paths())
def test_a_category_path_survives_its_display_form(path: CategoryPath) -> None:
    """``CategoryPath(str(path))`` is the same place in the tree."""
    assert CategoryPath(str(path)) == path


@given(ost.category_paths(), ost.category_paths())
def test_a_category_contains_another_exactly_when_its_segments_lead_it(
    parent: CategoryPath, other: CategoryPath
) -> None:
    """``contains`` compares whole canonical segments, never a text prefix."""
    keys = [category_segment_key(s) for s in parent.segments]
    other_keys = [category_segment_key(s) for s in other.segments]
    assert parent.contains(other) == (other_keys[: len(keys)] == keys)


@given(ost.order_numbers())
def test_canonical_order_number_is_idempotent(number: str) -> None:
    """A canonical order number is its own canonical form, also with dashes and spaces."""
    assert canonical_order_number(number) == number
    assert canonical_order_number(f" {number[:3]}-{number[3:].lower()} ") == number
