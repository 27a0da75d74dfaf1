"""Identifier values: what an email, phone, part number, category and order number *are*.

These are pure values. Turning a shopper's typed text into them, which needs the IDNA and
phone-number rules, lives in :mod:`orderstatus_core.contacts`; the model only checks the
canonical shape, so that a stored order can never hold a malformed identifier.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

import attrs

from orderstatus_core.errors import InvalidIdentifierError
from orderstatus_core.model._text import check_text

__all__ = [
    "CATEGORY_SEPARATOR",
    "CategoryPath",
    "EmailAddress",
    "PartNumber",
    "PhoneNumber",
    "canonical_order_number",
    "category_segment_key",
    "part_number_key",
]

MAX_EMAIL_LENGTH = 254
MAX_PART_NUMBER_LENGTH = 64
MAX_CATEGORY_SEGMENT_LENGTH = 80
MAX_CATEGORY_DEPTH = 8
MAX_ORDER_NUMBER_LENGTH = 32

#: Joins the canonical segments of a category key. A control character never appears in a
#: segment (they are refused), so a prefix search on ``parent + CATEGORY_SEPARATOR`` finds
#: exactly the children of ``parent``.
CATEGORY_SEPARATOR = "\x1f"

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
_ORDER_NUMBER = re.compile(r"[A-Z0-9]{1,32}")
# What a shopper types between the characters of a part number without meaning anything.
_PART_NUMBER_NOISE = str.maketrans("", "", " \t-.\u00a0")
_DISPLAY_SEPARATORS = re.compile(r"\s*(?:›|>|»)\s*")


def _fold(text: str) -> str:
    """NFKC, casefold, NFKC: Unicode's NFKC_Casefold closely enough to be idempotent."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", text).casefold())


def part_number_key(text: str) -> str:
    """The canonical key of a part number: case, spaces, dashes and dots ignored.

    >>> part_number_key(" bp-12.34 ") == part_number_key("BP1234")
    True

    Idempotent: ``part_number_key(part_number_key(x)) == part_number_key(x)``.
    """
    if text.isascii():
        return text.translate(_PART_NUMBER_NOISE).casefold()
    key = text
    # Removing a dash can bring a letter and a combining mark together, and NFKC can
    # produce a new dash; three rounds reach the fixed point for any real input.
    for _ in range(8):
        folded = _fold(key).translate(_PART_NUMBER_NOISE)
        if folded == key:
            return key
        key = folded
    return key


def category_segment_key(text: str) -> str:
    """The canonical key of one category segment: NFKC, casefold, whitespace collapsed."""
    if text.isascii():
        # NFKC leaves ASCII as it is and its case folding is lower(): the same key, at a
        # fifth of the cost of the general path (a search by category parses one).
        return " ".join(text.lower().split())
    return " ".join(_fold(text).split())


def canonical_order_number(text: str) -> str:
    """The canonical form of an order number: spaces and dashes dropped, upper case.

    Raises :class:`InvalidIdentifierError` unless 1 to 32 ASCII letters and digits remain.
    """
    if not isinstance(text, str) or len(text) > 2 * MAX_ORDER_NUMBER_LENGTH:
        raise InvalidIdentifierError("number", "is not an order number")
    number = text.translate(_PART_NUMBER_NOISE).upper()
    if not _ORDER_NUMBER.fullmatch(number):
        raise InvalidIdentifierError("number", "is not an order number")
    return number


def _check_email_shape(_instance: Any, attribute: Any, value: Any) -> None:
    check_text(attribute.name, value, MAX_EMAIL_LENGTH)
    local, at, domain = value.rpartition("@")
    if not at or not local or not domain or len(value.split(maxsplit=1)) != 1:
        raise InvalidIdentifierError(attribute.name, "is not an email address")


@attrs.frozen(repr=False)
class EmailAddress:
    """An email address as the shopper typed it, with the canonical key it is compared by.

    Two addresses are equal when their canonical keys are equal (the display form is kept
    for writing mail). Build one from typed text with
    :func:`orderstatus_core.contacts.parse_email`.
    """

    display: str = attrs.field(eq=False, validator=_check_email_shape)
    canonical: str = attrs.field(validator=_check_email_shape)

    def __repr__(self) -> str:
        return f"EmailAddress({self.display!r})"

    def __str__(self) -> str:
        return self.display


def _check_e164(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not _E164.fullmatch(value):
        raise InvalidIdentifierError(attribute.name, "is not an E.164 phone number")


@attrs.frozen
class PhoneNumber:
    """A phone number in E.164 form (``+14155552671``).

    Build one from typed text with :func:`orderstatus_core.contacts.parse_phone`.
    """

    e164: str = attrs.field(validator=_check_e164)

    def __str__(self) -> str:
        return self.e164


def _part_key(part: PartNumber) -> str:
    # attrs computes this default before the validators run: leave a display that is not
    # text for its validator to refuse with a field path.
    return part_number_key(part.display) if isinstance(part.display, str) else ""


def _check_part_display(instance: PartNumber, attribute: Any, value: Any) -> None:
    check_text(attribute.name, value, MAX_PART_NUMBER_LENGTH)
    # attrs set the key (from this text, by _part_key) before running the validators.
    if not instance.canonical:
        raise InvalidIdentifierError(attribute.name, "is not a part number")


@attrs.frozen(repr=False)
class PartNumber:
    """A part number: shown as written by the catalogue, compared by :func:`part_number_key`.

    >>> PartNumber("BP-1234") == PartNumber("bp 12.34")
    True
    """

    display: str = attrs.field(eq=False, validator=_check_part_display)
    canonical: str = attrs.field(default=attrs.Factory(_part_key, takes_self=True), init=False)

    def __repr__(self) -> str:
        return f"PartNumber({self.display!r})"

    def __str__(self) -> str:
        return self.display


def _segments(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return tuple(_DISPLAY_SEPARATORS.split(value.strip()))
    # A list or tuple only: bytes, a dict or a set are iterable too, but not a path.
    if isinstance(value, list | tuple):
        return tuple(value)
    raise InvalidIdentifierError("category", "must be text or a list of segments")


def _check_segments(instance: CategoryPath, _attribute: Any, value: tuple[str, ...]) -> None:
    if not 1 <= len(value) <= MAX_CATEGORY_DEPTH:
        raise InvalidIdentifierError("category", f"must have 1 to {MAX_CATEGORY_DEPTH} levels")
    # attrs set the key (from these segments, by _category_key) before running the
    # validators: its parts are the segments' keys, which need not be worked out again.
    # A segment key never holds the separator (a control character, folded away as
    # whitespace), so the parts line up with the segments whenever every segment is text.
    keys = instance.key.split(CATEGORY_SEPARATOR)
    lined_up = len(keys) == len(value)
    for index, segment in enumerate(value):
        check_text(f"category[{index}]", segment, MAX_CATEGORY_SEGMENT_LENGTH)
        if not (keys[index] if lined_up else category_segment_key(segment)):
            raise InvalidIdentifierError(f"category[{index}]", "must not be empty")


def _category_key(path: CategoryPath) -> str:
    # Computed before the validators run (see _part_key): they refuse what is not text.
    if not all(isinstance(s, str) for s in path.segments):
        return ""
    return CATEGORY_SEPARATOR.join(category_segment_key(s) for s in path.segments)


@attrs.frozen(repr=False)
class CategoryPath:
    """A place in the category tree, from the root down.

    >>> CategoryPath("Brake & Wheel Hub › Brake Pad").segments
    ('Brake & Wheel Hub', 'Brake Pad')
    >>> CategoryPath("Brake & Wheel Hub").contains(CategoryPath(["brake & wheel hub", "Rotor"]))
    True
    """

    segments: tuple[str, ...] = attrs.field(
        converter=_segments, validator=_check_segments, eq=False
    )
    key: str = attrs.field(default=attrs.Factory(_category_key, takes_self=True), init=False)

    def contains(self, other: CategoryPath) -> bool:
        """True if ``other`` is this category or one below it."""
        return other.key == self.key or other.key.startswith(self.key + CATEGORY_SEPARATOR)

    def __repr__(self) -> str:
        return f"CategoryPath({str(self)!r})"

    def __str__(self) -> str:
        return " › ".join(self.segments)
