"""Bounded, clean text: the one check every text field of the model goes through (SECURITY H3)."""

from __future__ import annotations

import unicodedata
from typing import Any

import attrs

from orderstatus_core.errors import FieldTooLongError, InvalidFieldError

__all__ = ["BIDI_CONTROLS", "TextRule", "bounded_text", "check_text", "optional_bounded_text"]

# Categories refused anywhere in stored text: controls (CR, LF, NUL, ESC ...), lone
# surrogates, private-use and unassigned code points. Format characters such as
# zero-width joiners stay allowed inside words but never make a value by themselves.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs", "Co", "Cn"})
# Except the bidirectional embeddings, overrides and isolates (U+202A to U+202E, U+2066 to
# U+2069): they reorder the text shown after them, so a name or an address on a page, a
# mail or a label could read as something else ("Trojan Source", CVE-2021-42574).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def check_text(
    field: str,
    value: object,
    max_length: int,
    *,
    allow_empty: bool = False,
    multiline: bool = False,
) -> str:
    """Return ``value`` if it is clean text within ``max_length`` code points, else raise.

    ``multiline`` allows line feeds and tabs (a shopper's description of a problem); every
    other control character, carriage returns included, is still refused, and so are the
    bidirectional embedding, override and isolate controls (:data:`BIDI_CONTROLS`).

    Raises :class:`InvalidFieldError` for a non-string, empty or blank text, or a refused
    character, and :class:`FieldTooLongError` for an over-long one.
    """
    if not isinstance(value, str):
        raise InvalidFieldError(field, f"must be text, not {type(value).__name__}")
    if len(value) > max_length:
        raise FieldTooLongError(field, f"must be at most {max_length} characters")
    if not allow_empty and not value.strip():
        raise InvalidFieldError(field, "must not be empty")
    # Plain printable ASCII is by far the common case; skip the per-character lookup for it.
    if value.isascii() and value.isprintable():
        return value
    for char in value:
        if multiline and char in "\n\t":
            continue
        if unicodedata.category(char) in _REFUSED_CATEGORIES or char in BIDI_CONTROLS:
            raise InvalidFieldError(field, f"contains a refused character U+{ord(char):04X}")
    return value


@attrs.frozen
class TextRule:
    """An attrs validator that applies :func:`check_text` to a field (``None`` allowed when
    ``optional``).

    A value rather than a closure, so that the import's generated structure functions
    (:mod:`orderstatus_core.fast_structure`) can read the bound and pass plain ASCII text
    without a call; anything else still comes here.
    """

    max_length: int
    optional: bool = False

    def __call__(self, _instance: Any, attribute: Any, value: Any) -> None:
        if value is None and self.optional:
            return
        check_text(attribute.name, value, self.max_length)


def bounded_text(max_length: int) -> TextRule:
    """An attrs validator that applies :func:`check_text` to a field."""
    return TextRule(max_length)


def optional_bounded_text(max_length: int) -> TextRule:
    """Like :func:`bounded_text`, but ``None`` is allowed."""
    return TextRule(max_length, optional=True)
