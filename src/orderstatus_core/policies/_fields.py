"""Field checks shared by the policy values."""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["whole_number"]


def whole_number(low: int, high: int) -> Any:
    """An attrs validator: an ``int`` from ``low`` to ``high`` and not a ``bool``
    (``True in range(1, 101)`` holds in Python, but ``True`` is no size or count)."""

    def check(_instance: object, attribute: attrs.Attribute[int], value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ValueError(f"{attribute.name} must be a whole number from {low} to {high}")

    return check
