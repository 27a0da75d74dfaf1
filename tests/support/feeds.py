"""Records of a store's order feed, built from orders, for the sync (upsert) tests."""

from __future__ import annotations

import json
from typing import Any

from orderstatus_core.model import Order
from orderstatus_core.policies.sync import LIBRARY_FIELDS
from orderstatus_core.serialization import converter

__all__ = ["record_of", "store_view"]


def store_view(order: Order) -> dict[str, Any]:
    """What the store's order system knows of ``order``: its JSON record without the
    fields the library owns (requests, returns, refunds, version, cancelled and returned)."""
    data: dict[str, Any] = converter.unstructure(order)
    for name in LIBRARY_FIELDS:
        data.pop(name, None)
    for line in data["lines"]:
        line.pop("cancelled")
        line.pop("returned")
    return data


def record_of(order: Order | dict[str, Any], **changes: Any) -> str:
    """One JSON Lines record of ``order`` (an order, or a record as a dict) with
    ``changes`` put over its top-level fields."""
    data = store_view(order) if isinstance(order, Order) else dict(order)
    data.update(changes)
    return json.dumps(data, ensure_ascii=False)
