"""What a shopper is shown: read models built from an order by the order-view policy.

Views hold display strings and values only; a front-end renders them as they are.
"""

from __future__ import annotations

from datetime import datetime

import attrs

from orderstatus_core.model.money import Money
from orderstatus_core.model.order import LineLedger, OrderState

__all__ = [
    "LineView",
    "MaskedAddress",
    "OrderView",
    "PackageView",
    "RequestView",
    "TimelineEntry",
]


@attrs.frozen
class MaskedAddress:
    """A shipping address with the parts that identify a person hidden."""

    name: str
    street: str
    city: str
    region: str | None
    postal_code: str
    country: str


@attrs.frozen
class LineView:
    """One line as the shopper sees it, with where its units are."""

    line_no: int
    part_number: str
    brand: str
    category: str
    description: str
    quantity: int
    unit_price: Money
    core_charge: Money
    returnable: bool
    warranty_months: int
    ledger: LineLedger


@attrs.frozen
class PackageView:
    """One package: where from, how, where it is now."""

    package_id: str
    warehouse: str
    carrier: str | None
    tracking_number: str | None
    tracking_url: str | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    units: tuple[tuple[int, int], ...]
    """``(line_no, quantity)`` pairs."""


@attrs.frozen
class TimelineEntry:
    """Something that happened to the order, for the timeline."""

    at: datetime
    kind: str
    """A stable code: ``placed``, ``processing``, ``shipped``, ``delivered``."""
    text: str


@attrs.frozen
class RequestView:
    """A cancel request, change request or problem report, as the guest sees it."""

    kind: str
    """``cancel``, ``change`` or ``problem``."""
    request_id: str
    state: str
    """The request's state: ``requested``, ``confirmed``, ``applied``, ``open`` ..."""
    requested_at: datetime
    summary: str
    """What was asked, in words (an address shows only its city)."""
    decided_at: datetime | None = None
    note: str | None = None
    """The store's reason, for a refusal or decline."""


@attrs.frozen
class OrderView:
    """An order as shown on the Order Status page, personal data masked."""

    number: str
    placed_at: datetime
    status: OrderState
    email: str
    phone: str | None
    ship_to: MaskedAddress
    lines: tuple[LineView, ...]
    packages: tuple[PackageView, ...]
    subtotal: Money
    core_charges: Money
    shipping: Money
    tax: Money
    total: Money
    timeline: tuple[TimelineEntry, ...]
    #: Cancel requests, change requests and problem reports, oldest first.
    requests: tuple[RequestView, ...] = ()
    #: Everything refunded so far (``None`` when nothing was).
    refunded: Money | None = None
