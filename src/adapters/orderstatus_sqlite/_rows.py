"""Model values to SQLite parameters, and the SQLite conversions of the row decoder.

Instants are INTEGER microseconds since the epoch, amounts exact decimal text, documents
compact JSON text (see :mod:`orderstatus_sqlite.migrations`). Reading rows back is
:mod:`orderstatus_sql.rows`, with :data:`DECODER` converting these columns.
"""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from orderstatus_core import Order
from orderstatus_core.messages import OutboxItem, WatcherMail
from orderstatus_core.model import Package
from orderstatus_core.model.order import utc
from orderstatus_core.records import CreditEntry
from orderstatus_core.serialization import dump_activity, dump_intent
from orderstatus_sql.rows import UNREADABLE, RowDecoder, unreadable
from orderstatus_sql.values import joined_segments, vehicle_columns
from orderstatus_sqlite._sql import LINE_ROW, ORDER_ROW, UNIT_ROW

__all__ = [
    "DECODER",
    "credit_row",
    "instant",
    "line_rows",
    "line_rows_of",
    "micros",
    "order",
    "order_row",
    "package_rows",
    "package_rows_of",
    "packages",
    "payload",
    "unit_rows",
    "unit_rows_of",
]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)


def micros(value: datetime) -> int:
    """Microseconds since the epoch, computed exactly (a float ``timestamp()`` is not)."""
    return (value - _EPOCH) // _MICROSECOND


def span(value: timedelta) -> int:
    """The whole microseconds of a duration, exactly (stored instants' differences)."""
    return value // _MICROSECOND


#: :func:`span` of the few durations a policy holds (the session check's idle time-out and
#: touch interval on every page view), remembered: the division costs more than the look-up.
policy_span: Final = functools.lru_cache(maxsize=32)(span)


def instant(value: int) -> datetime:
    """The aware UTC instant of a stored microsecond count."""
    # Exact, and the cheapest exact form measured: multiplying the one-microsecond delta
    # builds the delta in C without the constructor's argument parsing (3,600 instructions
    # against 5,200 for timedelta(0, 0, value), 13,800 for fromtimestamp().replace()).
    return _EPOCH + _MICROSECOND * value


def _document(text: str) -> Any:
    return json.loads(text)


def _compact_json() -> Callable[[Any], str]:
    """The encoder of every stored document: compact JSON text, non-ASCII kept as is.

    Made once. ``json.dumps`` with options builds a ``JSONEncoder`` per call, and its
    ``encode`` the C encoder per call, which together cost more than the encoding of an
    outbox message's payload (bench/RESULTS.md, availability alerts: a report queues
    thousands). The C encoder is made here from the same ``JSONEncoder``'s settings, so the
    text is the same; without the C accelerator, ``encode`` is used. The documents are the
    converter's fresh trees, which hold no cycle to check for.
    """
    encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, check_circular=False)
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return encoder.encode
    chunks = make(
        None,  # no cycle markers (check_circular=False)
        encoder.default,
        json.encoder.encode_basestring,
        encoder.indent,
        encoder.key_separator,
        encoder.item_separator,
        encoder.sort_keys,
        encoder.skipkeys,
        encoder.allow_nan,
    )
    return lambda document: "".join(chunks(document, 0))


_json: Final = _compact_json()


#: Rows of this adapter back to model values.
DECODER: Final = RowDecoder(instant=instant, document=_document)


# --- orders ------------------------------------------------------------------------------


def order_row(order: Order) -> tuple[Any, ...]:
    """The ``orders`` columns of ``order``, in the parameter order of ``INSERT_ORDER``."""
    address = order.shipping_address
    phone = order.phone
    activity = dump_activity(order)
    return (
        micros(order.placed_at),
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
        str(order.shipping.amount),
        str(order.tax.amount),
        order.version,
        order.shipping_speed.value,
        None if activity is None else _json(activity),
        order.number,
    )


def line_rows(order: Order) -> list[tuple[Any, ...]]:
    """The parameters of ``INSERT_LINE`` for each line, in tuple order."""
    number = order.number
    return [
        (
            number,
            line.line_no,
            position,
            line.part_number.display,
            line.part_number.canonical,
            line.brand,
            joined_segments(line.category),
            line.category.key,
            line.description,
            line.quantity,
            str(line.unit_price.amount),
            str(line.core_charge.amount),
            line.returnable,
            line.warranty_months,
            line.cancelled,
            line.returned,
            *vehicle_columns(line.vehicle),
        )
        for position, line in enumerate(order.lines)
    ]


def _moment(value: datetime | None) -> int | None:
    return None if value is None else micros(value)


def package_rows(order: Order) -> list[tuple[Any, ...]]:
    """The parameters of ``INSERT_PACKAGE`` for each package, in tuple order."""
    number = order.number
    return [
        (
            number,
            position,
            package.package_id,
            package.warehouse,
            package.carrier,
            package.tracking_number,
            _moment(package.shipped_at),
            _moment(package.delivered_at),
            _moment(package.opened_at),
        )
        for position, package in enumerate(order.packages)
    ]


def unit_rows(order: Order) -> list[tuple[Any, ...]]:
    """The parameters of ``INSERT_UNITS`` for each package's units, in tuple order."""
    number = order.number
    return [
        (number, package_position, position, units.line_no, units.quantity)
        for package_position, package in enumerate(order.packages)
        for position, units in enumerate(package.units)
    ]


def line_rows_of(orders: Iterable[Order]) -> list[tuple[Any, ...]]:
    """:func:`line_rows` of each of ``orders``, one list for one ``executemany``."""
    return [row for order in orders for row in line_rows(order)]


def package_rows_of(orders: Iterable[Order]) -> list[tuple[Any, ...]]:
    """:func:`package_rows` of each of ``orders``, one list."""
    return [row for order in orders for row in package_rows(order)]


def unit_rows_of(orders: Iterable[Order]) -> list[tuple[Any, ...]]:
    """:func:`unit_rows` of each of ``orders``, one list."""
    return [row for order in orders for row in unit_rows(order)]


def order(number: str, rows: Iterable[Sequence[Any]]) -> Order | None:
    """The order of ``GET_ORDER`` rows (see :mod:`orderstatus_sqlite._sql`), or ``None``
    if they hold no order row.

    Rows are told apart by their first column, the kind, never by where they come;
    lines are put in position order (the model's tuple order) and units package by
    package, whatever order the statement returned them in.
    """
    head: Sequence[Any] | None = None
    lines: list[Sequence[Any]] = []
    units: list[Sequence[Any]] = []
    try:
        for row in rows:
            kind = row[0]
            if kind == LINE_ROW:
                lines.append(row[1:17])
            elif kind == UNIT_ROW:
                units.append(row[1:12])
            elif kind == ORDER_ROW:
                head = row[1:18]
            else:
                raise ValueError(f"a row of unknown kind {kind!r}")
    except UNREADABLE as error:
        raise unreadable(f"order {number}", error) from error
    if head is None:
        return None
    return DECODER.order(number, head, _in_order(lines, _LINE_POSITION), packages(units))


# Where a line row (after its kind) holds its position, and a unit row its package's
# position and its own.
_LINE_POSITION: Final = operator.itemgetter(14)
_UNIT_POSITION: Final = operator.itemgetter(7, 8)


def _in_order(rows: list[Sequence[Any]], key: Callable[[Sequence[Any]], Any]) -> list[Any]:
    """``rows`` sorted by ``key``; without sorting when they already are (the usual case:
    each arm of the statement walks its primary key)."""
    if len(rows) < 2:
        return rows
    try:
        keys = list(map(key, rows))  # an itemgetter: no Python call per row
        if keys == sorted(keys):
            return rows
        return sorted(rows, key=key)
    except UNREADABLE as error:
        raise unreadable("an order's lines or packages", error) from error


def packages(units: list[Sequence[Any]]) -> tuple[Package, ...]:
    """The packages of unit rows: the :class:`PackageRow` columns, then the package's
    position, the unit's position, its line and its quantity; in any order."""
    if not units:
        return ()
    result: list[Package] = []
    current: Sequence[Any] | None = None
    grouped: list[Sequence[Any]] = []
    for row in _in_order(units, _UNIT_POSITION):
        if current is not None and row[7] != current[7]:
            result.append(DECODER.package(current[:7], grouped))
            grouped = []
        current = row
        grouped.append(row)
    if current is not None:
        result.append(DECODER.package(current[:7], grouped))
    return tuple(result)


# --- the outbox, guest passes, credit, documents -------------------------------------------


def payload(intent: OutboxItem) -> str:
    """The stored JSON text of an outbox item."""
    return _json(dump_intent(intent))


def template(mail: WatcherMail) -> str:
    """The JSON text of a watcher mail's template, encoded as :func:`payload` encodes."""
    return _json(dict(mail.template))


def credit_row(entry: CreditEntry) -> tuple[Any, ...]:
    """The parameters of ``APPEND_CREDIT``; ``at`` in UTC (a naive one is refused)."""
    amount = entry.amount
    return (
        entry.entry_id,
        entry.holder,
        amount.currency,
        str(amount.amount),
        micros(utc(entry.at)),
        entry.reference,
    )
