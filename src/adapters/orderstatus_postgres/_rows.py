"""Model values to bound parameters, and the PostgreSQL conversions of the row decoder.

Reading rows back is the shared :mod:`orderstatus_sql.rows`; :data:`DECODER` converts what
differs here: ``timestamptz`` columns arrive as aware ``datetime`` values and ``jsonb`` as
Python values already, while the packages inside ``GET_ORDER``'s JSON carry their instants
as ISO text.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Final

from psycopg.types.json import Jsonb

from orderstatus_core import Order
from orderstatus_core.model.order import utc
from orderstatus_core.records import CreditEntry
from orderstatus_core.serialization import dump_activity
from orderstatus_sql.rows import RowDecoder
from orderstatus_sql.values import encodable, joined_segments, vehicle_columns

__all__ = [
    "DECODER",
    "children_parameters",
    "credit_parameters",
    "order",
    "order_parameters",
    "order_row",
    "orders_parameters",
    "plain_text",
    "storable",
    "table_rows",
]


def storable(text: object) -> bool:
    """Whether ``text`` is a string PostgreSQL can hold: no NUL, no lone surrogate.

    Keys that are not can never have been stored, so a look-up by one finds nothing (the
    memory reference answers the same) instead of failing.
    """
    if type(text) is str and text.isascii():  # every key a shopper types, as a rule
        return "\x00" not in text
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


def order_row(order: Order) -> tuple[Any, ...]:
    """The ``orders`` columns of ``order``, in the order of ``_ORDER_NAMES``."""
    address = order.shipping_address
    phone = order.phone
    return (
        order.number,
        order.placed_at,
        order.email.display,
        order.email.canonical,
        None if phone is None else phone.e164,
        order.currency,
        address.name,
        address.line1,
        address.line2,
        address.city,
        address.region,
        address.postal_code,
        address.country,
        order.shipping.amount,
        order.tax.amount,
        order.version,
        order.shipping_speed.value,
        _activity(order),
    )


def order_parameters(order: Order) -> dict[str, Any]:
    """The ``orders`` columns of ``order`` as named parameters (``_ORDER_NAMES``)."""
    return dict(zip(_ORDER_NAMES, order_row(order), strict=True))


def table_rows(orders: Sequence[Order]) -> tuple[list[tuple[Any, ...]], ...]:
    """The rows of ``orders`` in the four tables, each row in its table's column order
    (as ``COPY_ORDERS``, ``COPY_LINES``, ``COPY_PACKAGES`` and ``COPY_UNITS`` name them):
    the orders, then their lines, packages and packed units, order by order and each in
    tuple order. Every other way of writing orders is derived from these rows."""
    heads = [order_row(order) for order in orders]
    lines = [
        (
            order.number,
            line.line_no,
            position,
            line.part_number.display,
            line.part_number.canonical,
            line.brand,
            joined_segments(line.category),
            line.category.key,
            line.description,
            line.quantity,
            line.unit_price.amount,
            line.core_charge.amount,
            line.returnable,
            line.warranty_months,
            line.cancelled,
            line.returned,
            *vehicle_columns(line.vehicle),
        )
        for order in orders
        for position, line in enumerate(order.lines)
    ]
    packages = []
    units = []
    for order in orders:
        number = order.number
        for position, package in enumerate(order.packages):
            packages.append(
                (
                    number,
                    position,
                    package.package_id,
                    package.warehouse,
                    package.carrier,
                    package.tracking_number,
                    package.shipped_at,
                    package.delivered_at,
                    package.opened_at,
                )
            )
            units += [
                (number, position, index, packed.line_no, packed.quantity)
                for index, packed in enumerate(package.units)
            ]
    return heads, lines, packages, units


def _columns(names: Sequence[str], rows: list[tuple[Any, ...]]) -> dict[str, list[Any]]:
    """``rows`` turned into one array per column, named by ``names``."""
    if not rows:
        return {name: [] for name in names}
    return dict(zip(names, map(list, zip(*rows, strict=True)), strict=True))


def orders_parameters(orders: Sequence[Order]) -> dict[str, Any]:
    """``orders`` and all their rows as the parallel arrays of ``ADD_ORDERS``: an array of
    each column of :func:`order_parameters` (one element per order), and
    :func:`children_parameters`."""
    heads, lines, packages, units = table_rows(orders)
    return _columns(_ORDER_NAMES, heads) | _children(lines, packages, units)


def children_parameters(orders: Sequence[Order]) -> dict[str, Any]:
    """The lines, packages and units of ``orders`` as parallel arrays, order by order and
    each in tuple order; every row with its order's number (``line_order`` ...)."""
    _heads, lines, packages, units = table_rows(orders)
    return _children(lines, packages, units)


# The parameter names of _CHILDREN's arrays, in the column order of table_rows().
_LINE_NAMES: Final = (
    "line_order",
    "line_no",
    "line_position",
    "part_number",
    "part_key",
    "brand",
    "category",
    "category_key",
    "description",
    "quantity",
    "unit_price",
    "core_charge",
    "returnable",
    "warranty_months",
    "cancelled",
    "returned",
    "vehicle",
    "vehicle_key",
)
_PACKAGE_NAMES: Final = (
    "package_order",
    "package_position",
    "package_id",
    "warehouse",
    "carrier",
    "tracking_number",
    "shipped_at",
    "delivered_at",
    "opened_at",
)
_UNIT_NAMES: Final = (
    "unit_order",
    "unit_package",
    "unit_position",
    "unit_line_no",
    "unit_quantity",
)


def _children(
    lines: list[tuple[Any, ...]], packages: list[tuple[Any, ...]], units: list[tuple[Any, ...]]
) -> dict[str, list[Any]]:
    return (
        _columns(_LINE_NAMES, lines)
        | _columns(_PACKAGE_NAMES, packages)
        | _columns(_UNIT_NAMES, units)
    )


# --- orders: rows ----------------------------------------------------------------------


def _moment(text: str) -> datetime:
    # timestamptz inside json_build_array is ISO 8601 text in the session's zone (UTC):
    # "+00:00" parses to the UTC singleton, which utc() would return as it is.
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is UTC else utc(value)


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
