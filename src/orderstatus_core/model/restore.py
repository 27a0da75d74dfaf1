"""Rebuilding model values from storage, without validating them again.

An adapter that stores only validated objects (every ``add`` receives a constructed,
hence valid, :class:`~orderstatus_core.model.Order`) may read them back with
:func:`restore`, the way an ORM loads rows without running form validation. On the
find-order path that validation was half of the time spent in Python (see
``bench/RESULTS.md``). Never use it for input: anything typed, imported or received goes
through the constructors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

import attrs

__all__ = ["RESTORED_FIELDS", "restore"]

T = TypeVar("T")


_FIELD_NAMES: dict[type[Any], tuple[str, ...]] = {}


def _field_names(cls: type[Any]) -> tuple[str, ...]:
    names = _FIELD_NAMES.get(cls)
    if names is None:
        # A race here only computes the same tuple twice.
        names = _FIELD_NAMES[cls] = tuple(field.name for field in attrs.fields(cls))
    return names


#: The field order :func:`restore` takes for the classes a storage rebuilds, written out so
#: that an adapter's positional readers can be checked against it: a test compares it with
#: ``attrs.fields``, so reordering the model fails loudly there instead of silently giving
#: a field another's value in every adapter.
RESTORED_FIELDS: Mapping[str, tuple[str, ...]] = {
    "Order": (
        "number",
        "placed_at",
        "email",
        "shipping_address",
        "currency",
        "lines",
        "shipping",
        "tax",
        "phone",
        "packages",
        "version",
        "shipping_speed",
        "cancel_requests",
        "change_requests",
        "problem_reports",
        "refunds",
        "returns",
    ),
    "Address": ("name", "line1", "city", "postal_code", "country", "line2", "region"),
    "OrderLine": (
        "line_no",
        "part_number",
        "brand",
        "category",
        "description",
        "quantity",
        "unit_price",
        "core_charge",
        "returnable",
        "warranty_months",
        "cancelled",
        "returned",
    ),
    "Package": (
        "package_id",
        "warehouse",
        "units",
        "carrier",
        "tracking_number",
        "shipped_at",
        "delivered_at",
        "opened_at",
    ),
    "PackedUnits": ("line_no", "quantity"),
    "EmailAddress": ("display", "canonical"),
    "PartNumber": ("display", "canonical"),
    "CategoryPath": ("segments", "key"),
    "Money": ("amount", "currency"),
}


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
