"""Postal addresses."""

from __future__ import annotations

import re

import attrs

from orderstatus_core.model._checks import matching
from orderstatus_core.model._text import bounded_text, optional_bounded_text

__all__ = ["Address"]

_COUNTRY = re.compile(r"[A-Z]{2}")


_country = matching(_COUNTRY, "must be an ISO 3166 code such as US")


@attrs.frozen
class Address:
    """A postal address. ``country`` is an ISO 3166-1 alpha-2 code."""

    name: str = attrs.field(validator=bounded_text(100))
    line1: str = attrs.field(validator=bounded_text(100))
    city: str = attrs.field(validator=bounded_text(64))
    postal_code: str = attrs.field(validator=bounded_text(16))
    country: str = attrs.field(validator=_country)
    line2: str | None = attrs.field(default=None, validator=optional_bounded_text(100))
    region: str | None = attrs.field(default=None, validator=optional_bounded_text(64))
