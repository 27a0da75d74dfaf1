"""Rebuilding model values from storage, without validating them again.

An adapter that stores only validated objects (every ``add`` receives a constructed,
hence valid, :class:`~orderstatus_core.model.Order`) may read them back with
:func:`restore`, the way an ORM loads rows without running form validation. On the
find-order path that validation was half of the time spent in Python (see
``bench/RESULTS.md``). Never use it for input: anything typed, imported or received goes
through the constructors.
"""

from __future__ import annotations

from typing import Any, TypeVar

import attrs

__all__ = ["restore"]

T = TypeVar("T")


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def _field_names(cls: type[Any]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        # A race here only computes the same tuple twice.
        names = _FIELD_NAMES[cls] = tuple(field.name for field in attrs.fields(cls))
    return names


def restore(cls: type[T], *values: Any) -> T:
    """Build a ``cls`` from ``values`` in the order of ``attrs.fields(cls)``, unchecked.

    Every field is given, derived ones too (``PartNumber.canonical``,
    ``CategoryPath.key``): the adapter stored them. A wrong count raises ``ValueError``.

    >>> from orderstatus_core.model import PartNumber
    >>> restore(PartNumber, "BP-1234", "bp1234") == PartNumber("BP-1234")
    True
    """
    value = object.__new__(cls)
    for name, field_value in zip(_field_names(cls), values, strict=True):
        object.__setattr__(value, name, field_value)
    return value
