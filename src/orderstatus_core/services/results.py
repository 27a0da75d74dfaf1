"""The answers services give. Ordinary outcomes are values, not exceptions."""

from __future__ import annotations

import math
from datetime import datetime

import attrs

from orderstatus_core.model.views import OrderView
from orderstatus_core.ports import OrderMatch

__all__ = [
    "FindOrderResult",
    "ImportReport",
    "OrderFound",
    "OrderListRequested",
    "OrderListResult",
    "OrderNotFound",
    "RelayReport",
    "SearchPage",
    "TryLater",
]


@attrs.frozen
class OrderFound:
    """The order, as an unverified guest may see it."""

    view: OrderView


@attrs.frozen
class OrderNotFound:
    """The one answer for a wrong pair, an unknown order and a malformed identifier.

    Always equal to every other ``OrderNotFound`` (SECURITY A1).
    """

    message: str = (
        "We could not find an order with that email address or phone number and order number."
    )


@attrs.frozen
class TryLater:
    """Too many attempts; the next one is allowed at ``retry_at``."""

    retry_at: datetime
    retry_after_seconds: int
    message: str = "Too many attempts. Please try again later."

    @classmethod
    def at(cls, retry_at: datetime, now: datetime) -> TryLater:
        """A refusal until ``retry_at``, rounded up to whole seconds from ``now``."""
        seconds = max(1, math.ceil((retry_at - now).total_seconds()))
        return cls(retry_at=retry_at, retry_after_seconds=seconds)


@attrs.frozen
class OrderListRequested:
    """The one answer to Order Look-Up, whether or not any order exists (SECURITY A1)."""

    message: str = "If we have orders for that email address, we have sent their numbers to it."


@attrs.frozen
class SearchPage:
    """One page of search results, newest first; ``next_cursor`` fetches the next page."""

    matches: tuple[OrderMatch, ...]
    next_cursor: str | None


@attrs.frozen
class RelayReport:
    """What one run of the outbox relay did."""

    sent: int
    failed: int
    #: The ``message_id`` of every message delivered, in delivery order.
    sent_ids: tuple[str, ...] = ()


@attrs.frozen
class ImportReport:
    """How many orders an import stored."""

    imported: int


FindOrderResult = OrderFound | OrderNotFound | TryLater
OrderListResult = OrderListRequested | TryLater
