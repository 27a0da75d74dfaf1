"""Rebuilding model values from storage, without validating them again.

An adapter that stores only validated objects (every ``add`` receives a constructed,
hence valid, :class:`~orderstatus_core.model.Order`) may read them back through
:func:`restorer`, the way an ORM loads rows without running form validation. On the
find-order path that validation was half of the time spent in Python (see
``bench/RESULTS.md``). Never use it for input: anything typed, imported or received goes
through the constructors.
"""

from __future__ import annotations

import keyword
import types
from collections.abc import Callable, Mapping
from typing import Any, TypeVar, cast

import attrs

__all__ = ["RESTORED_FIELDS", "restorer"]

T = TypeVar("T")


#: The field order that :func:`restorer`'s functions take for the classes a storage
#: rebuilds, written out so that an adapter's positional readers can be checked against
#: it: a test compares it with
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
        "vehicle",
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
    "SavedAddress": ("account_id", "address_id", "address", "is_default", "saved_at"),
    "Vehicle": ("year", "make", "model", "engine", "nickname", "vin"),
    "GarageVehicle": ("account_id", "vehicle_id", "vehicle", "catalog_id", "added_at"),
    "DiscountCode": (
        "code",
        "account_id",
        "amount",
        "percent",
        "issued_at",
        "expires_at",
        "used_at",
        "order_reference",
        "discount",
        "revoked_at",
    ),
    "PartWatch": ("account_id", "part_number", "watched_at"),
    "SessionCheck": ("account_id", "language", "expires_at", "remember", "touch_due"),
    # orderstatus_core.records: a search page's values, one of each per order found.
    "OrderHeader": ("number", "placed_at", "email"),
    "OrderMatch": ("header", "lines"),
}


_RESTORERS: dict[type[Any], Callable[..., Any]] = {}


def restorer(cls: type[T]) -> Callable[..., T]:
    """A function that builds a ``cls`` from its field values, positionally in the order of
    ``attrs.fields(cls)``, without validating, converting or defaulting anything.

    Every field is given, derived ones too (``PartNumber.canonical``,
    ``CategoryPath.key``): the adapter stored them. A wrong count raises ``TypeError``, as
    any call with missing or extra arguments does.

    The function is generated once per class (as attrs generates ``__init__``): one
    assignment per field straight into the field's slot, so restoring a value costs what a
    plain function call does, not a loop over names. Ask for it once and keep it::

        restore_part = restorer(PartNumber)

    >>> from orderstatus_core.model import PartNumber
    >>> restorer(PartNumber)("BP-1234", "bp1234") == PartNumber("BP-1234")
    True
    """
    function = _RESTORERS.get(cls)
    if function is None:
        # A race only generates the same function twice; every caller keeps the first.
        function = _RESTORERS.setdefault(cls, _generate(cls))
    return function


def _generate(cls: type[T]) -> Callable[..., T]:
    names = tuple(field.name for field in attrs.fields(cast("type[attrs.AttrsInstance]", cls)))
    # Field names become parameter names, and the function's own names start with
    # "_restore_": the generated text must never be able to mean more than assignments.
    if not all(
        name.isidentifier() and not keyword.iskeyword(name) and not name.startswith("_restore_")
        for name in names
    ):
        raise TypeError(f"{cls.__qualname__} has a field name that restorer() cannot use")
    scope: dict[str, Any] = {
        "_restore_new": object.__new__,
        "_restore_cls": cls,
        "_restore_setattr": object.__setattr__,
    }
    slots = [_slot(cls, name) for name in names]
    twin = _writable_twin(cls) if all(slots) else None
    body = []
    if twin is not None:
        # Built as the writable twin, whose plain attribute stores go straight into the
        # slots (a few instructions each, where a slot descriptor's __set__ is a call with
        # an argument tuple), then made the frozen class itself: the same memory layout.
        scope["_restore_twin"] = twin
        body.append("    _restore_self = _restore_new(_restore_twin)")
        body.extend(f"    _restore_self.{name} = {name}" for name in names)
        body.append("    _restore_self.__class__ = _restore_cls")
    else:
        body.append("    _restore_self = _restore_new(_restore_cls)")
        for index, (name, slot) in enumerate(zip(names, slots, strict=True)):
            if slot is None:  # a dict class (``slots=False``): frozen, so past its __setattr__
                body.append(f"    _restore_setattr(_restore_self, {name!r}, {name})")
            else:
                scope[f"_restore_set{index}"] = slot.__set__
                body.append(f"    _restore_set{index}(_restore_self, {name})")
    source = "\n".join(
        [
            f"def restore_{cls.__name__}({', '.join(names)}):",
            *body,
            "    return _restore_self",
        ]
    )
    namespace: dict[str, Any] = {}
    # Our own text, built only from the attrs field names checked above.
    code = compile(source, f"<restorer of {cls.__qualname__}>", "exec")
    exec(code, scope, namespace)  # noqa: S102
    function: Callable[..., T] = namespace[f"restore_{cls.__name__}"]
    function.__qualname__ = f"restorer.<{cls.__qualname__}>"
    return function


def _writable_twin(cls: type[Any]) -> type[Any] | None:
    """A subclass of the slotted ``cls`` that adds no slot and lets its fields be written,
    or ``None`` if CPython would not let one of its instances become a ``cls`` (then the
    restorer writes through the slot descriptors instead).

    Never seen outside :func:`restorer`'s functions: each instance is re-classed to
    ``cls`` before it is returned, so the object handed out is frozen like any other.
    """
    try:
        twin = type(
            f"_Restoring{cls.__name__}",
            (cls,),
            {
                "__slots__": (),
                "__module__": cls.__module__,
                # Both, or CPython keeps calling the frozen class's __delattr__'s slot
                # function for every store (they share tp_setattro): 1.5 µs, not 18 ns.
                "__setattr__": object.__setattr__,
                "__delattr__": object.__delattr__,
                "__qualname__": f"restorer.<{cls.__qualname__}>.twin",
            },
        )
        probe: Any = object.__new__(twin)
        probe.__class__ = cls
    except TypeError:  # a final class, or layouts CPython will not swap
        return None
    return twin


def _slot(cls: type[Any], name: str) -> types.MemberDescriptorType | None:
    """The slot descriptor that stores field ``name``, if ``cls`` keeps it in a slot."""
    for klass in cls.__mro__:
        found = klass.__dict__.get(name)
        if found is not None:
            return found if isinstance(found, types.MemberDescriptorType) else None
    return None
