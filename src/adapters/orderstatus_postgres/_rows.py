"""Model values to bound parameters, and the PostgreSQL conversions of the row decoder.

Reading rows back is the shared :mod:`orderstatus_sql.rows`; :data:`DECODER` converts what
differs here: ``timestamptz`` columns arrive as aware ``datetime`` values and ``jsonb`` as
Python values already, while the packages inside ``GET_ORDER``'s JSON carry their instants
as ISO text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Final

from psycopg.types.json import Jsonb

from orderstatus_core import Order
from orderstatus_core.model.order import utc
from orderstatus_core.records import CreditEntry
from orderstatus_core.serialization import dump_activity
from orderstatus_sql.rows import RowDecoder
from orderstatus_sql.values import encodable, joined_segments

__all__ = [
    "DECODER",
    "children_parameters",
    "credit_parameters",
    "order",
    "order_parameters",
    "orders_parameters",
    "plain_text",
    "storable",
]


def storable(text: object) -> bool:
    """Whether ``text`` is a string PostgreSQL can hold: no NUL, no lone surrogate.

    Keys that are not can never have been stored, so a look-up by one finds nothing (the
    memory reference answers the same) instead of failing.
    """
    return encodable(text) and "\x00" not in text


def plain_text(text: str) -> str:
    """``text`` with what PostgreSQL cannot store replaced by U+FFFD (NUL) or ``?`` (lone
    surrogates). Only for free diagnostic text such as an outbox message's last error."""
    if not storable(text):
        text = text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")
    return text


# --- orders: parameters ----------------------------------------------------------------

# The columns of the orders table, as order_parameters() names them.
_ORDER_NAMES: Final = (
    "number",
    "placed_at",
    "email",
    "email_key",
    "phone",
    "currency",
    "ship_name",
    "ship_line1",
    "ship_line2",
    "ship_city",
    "ship_region",
    "ship_postal_code",
    "ship_country",
    "shipping",
    "tax",
    "version",
    "shipping_speed",
    "activity",
)


def _activity(order: Order) -> Jsonb | None:
    """The order's requests, reports and refunds as one JSON document; ``None`` if none."""
    document = dump_activity(order)
    return None if document is None else Jsonb(document)


def order_parameters(order: Order) -> dict[str, Any]:
    """The ``orders`` columns of ``order`` as named parameters (``_ORDER_NAMES``)."""
    address = order.shipping_address
    phone = order.phone
    return {
        "number": order.number,
        "placed_at": order.placed_at,
        "email": order.email.display,
        "email_key": order.email.canonical,
        "phone": None if phone is None else phone.e164,
        "currency": order.currency,
        "ship_name": address.name,
        "ship_line1": address.line1,
        "ship_line2": address.line2,
        "ship_city": address.city,
        "ship_region": address.region,
        "ship_postal_code": address.postal_code,
        "ship_country": address.country,
        "shipping": order.shipping.amount,
        "tax": order.tax.amount,
        "version": order.version,
        "shipping_speed": order.shipping_speed.value,
        "activity": _activity(order),
    }


def orders_parameters(orders: Sequence[Order]) -> dict[str, Any]:
    """``orders`` and all their rows as the parallel arrays of ``ADD_ORDERS``: an array of
    each column of :func:`order_parameters` (one element per order), and
    :func:`children_parameters`."""
    heads = [order_parameters(order) for order in orders]
    columns = {name: [head[name] for head in heads] for name in _ORDER_NAMES}
    return columns | children_parameters(orders)


def children_parameters(orders: Sequence[Order]) -> dict[str, Any]:
    """The lines, packages and units of ``orders`` as parallel arrays, order by order and
    each in tuple order; every row with its order's number (``line_order`` ...)."""
    lines = [
        (order.number, position, line)
        for order in orders
        for position, line in enumerate(order.lines)
    ]
    packages = [
        (order.number, position, package)
        for order in orders
        for position, package in enumerate(order.packages)
    ]
    units = [
        (number, package_position, position, packed)
        for number, package_position, package in packages
        for position, packed in enumerate(package.units)
    ]
    return {
        "line_order": [number for number, _, _ in lines],
        "line_no": [ln.line_no for _, _, ln in lines],
        "line_position": [position for _, position, _ in lines],
        "part_number": [ln.part_number.display for _, _, ln in lines],
        "part_key": [ln.part_number.canonical for _, _, ln in lines],
        "brand": [ln.brand for _, _, ln in lines],
        "category": [joined_segments(ln.category) for _, _, ln in lines],
        "category_key": [ln.category.key for _, _, ln in lines],
        "description": [ln.description for _, _, ln in lines],
        "quantity": [ln.quantity for _, _, ln in lines],
        "unit_price": [ln.unit_price.amount for _, _, ln in lines],
        "core_charge": [ln.core_charge.amount for _, _, ln in lines],
        "returnable": [ln.returnable for _, _, ln in lines],
        "warranty_months": [ln.warranty_months for _, _, ln in lines],
        "cancelled": [ln.cancelled for _, _, ln in lines],
        "returned": [ln.returned for _, _, ln in lines],
        "package_order": [number for number, _, _ in packages],
        "package_position": [position for _, position, _ in packages],
        "package_id": [p.package_id for _, _, p in packages],
        "warehouse": [p.warehouse for _, _, p in packages],
        "carrier": [p.carrier for _, _, p in packages],
        "tracking_number": [p.tracking_number for _, _, p in packages],
        "shipped_at": [p.shipped_at for _, _, p in packages],
        "delivered_at": [p.delivered_at for _, _, p in packages],
        "opened_at": [p.opened_at for _, _, p in packages],
        "unit_order": [u[0] for u in units],
        "unit_package": [u[1] for u in units],
        "unit_position": [u[2] for u in units],
        "unit_line_no": [u[3].line_no for u in units],
        "unit_quantity": [u[3].quantity for u in units],
    }


# --- orders: rows ----------------------------------------------------------------------


def _moment(text: str) -> datetime:
    # timestamptz inside json_build_array is ISO 8601 text in the session's zone (UTC).
    return utc(datetime.fromisoformat(text))


#: Rows of this adapter back to model values.
DECODER: Final = RowDecoder(nested_instant=_moment)


def order(number: str, row: Any) -> Order:
    """The order of one ``GET_ORDER`` row: the :class:`OrderRow` columns, then the lines
    (:class:`LineRow` each) and the packages (:class:`PackageRow` and the units) as JSON
    arrays in tuple order."""
    package = DECODER.package
    packages = tuple([package(each[:7], each[7] or ()) for each in row[18] or ()])
    return DECODER.order(number, row[:17], row[17] or (), packages)


# --- the outbox, guest passes, replies -------------------------------------------------


# --- store credit and return papers ------------------------------------------------------


def credit_parameters(entry: CreditEntry) -> dict[str, Any]:
    """The parameters of ``APPEND_CREDIT``; ``at`` in UTC (a naive one is refused)."""
    return {
        "entry_id": entry.entry_id,
        "holder": entry.holder,
        "currency": entry.amount.currency,
        "amount": entry.amount.amount,
        "at": utc(entry.at),
        "reference": entry.reference,
    }
