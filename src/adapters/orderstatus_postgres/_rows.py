"""Model values to bound parameters, and rows back to model values.

Every order row was written by ``add()`` or ``save()`` from a constructed, hence valid,
:class:`~orderstatus_core.model.Order`, so the readers rebuild values with
:func:`orderstatus_core.model.restore`, which skips the model's validation, and reuse the
stored canonical keys instead of folding again (the SQLite adapter does the same; see
``bench/RESULTS.md``). ``restore`` takes every field in ``attrs.fields()`` order;
:data:`orderstatus_core.model.RESTORED_FIELDS` pins that order, checked against the model.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any, Final

from psycopg.types.json import Jsonb

from orderstatus_core import AdapterError, GuestPass, Order, OutboxMessage, PassChallenge
from orderstatus_core.errors import OrderStatusError
from orderstatus_core.labels import LabelDocument, StoredDocument
from orderstatus_core.messages import OutboxItem
from orderstatus_core.model import (
    Address,
    CategoryPath,
    EmailAddress,
    Money,
    OrderLine,
    Package,
    PackedUnits,
    PartNumber,
    PhoneNumber,
    restore,
)
from orderstatus_core.model.identifiers import CATEGORY_SEPARATOR
from orderstatus_core.model.order import utc
from orderstatus_core.model.requests import (
    ShippingSpeed,
)
from orderstatus_core.records import CreditEntry, IdempotentReply, OrderHeader, OrderMatch
from orderstatus_core.serialization import dump_activity, load_activity, load_intent

__all__ = [
    "challenge",
    "challenge_row",
    "children_parameters",
    "credit_entry",
    "credit_parameters",
    "document_row",
    "guest_pass",
    "line",
    "match",
    "message",
    "order",
    "order_parameters",
    "reply",
    "storable",
    "stored_document",
]

_SPEEDS: Final = {speed.value: speed for speed in ShippingSpeed}


def storable(text: object) -> bool:
    """Whether ``text`` is a string PostgreSQL can hold: no NUL, no lone surrogate.

    Keys that are not can never have been stored, so a look-up by one finds nothing (the
    memory reference answers the same) instead of failing.
    """
    if type(text) is not str:
        return False
    if text.isascii():
        return "\x00" not in text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


def plain_text(text: str) -> str:
    """``text`` with what PostgreSQL cannot store replaced by U+FFFD (NUL) or ``?`` (lone
    surrogates). Only for free diagnostic text such as an outbox message's last error."""
    if not storable(text):
        text = text.encode("utf-8", "replace").decode("utf-8").replace("\x00", "\ufffd")
    return text


# --- orders: parameters ----------------------------------------------------------------


def _activity(order: Order) -> Jsonb | None:
    """The order's requests, reports and refunds as one JSON document; ``None`` if none."""
    document = dump_activity(order)
    return None if document is None else Jsonb(document)


def order_parameters(order: Order) -> dict[str, Any]:
    """The ``orders`` columns of ``order`` as named parameters."""
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


def children_parameters(order: Order) -> dict[str, Any]:
    """The lines, packages and units of ``order`` as parallel arrays, in tuple order."""
    lines = order.lines
    packages = order.packages
    units = [
        (package_position, position, packed.line_no, packed.quantity)
        for package_position, package in enumerate(packages)
        for position, packed in enumerate(package.units)
    ]
    return {
        "line_no": [ln.line_no for ln in lines],
        "line_position": list(range(len(lines))),
        "part_number": [ln.part_number.display for ln in lines],
        "part_key": [ln.part_number.canonical for ln in lines],
        "brand": [ln.brand for ln in lines],
        "category": [CATEGORY_SEPARATOR.join(ln.category.segments) for ln in lines],
        "category_key": [ln.category.key for ln in lines],
        "description": [ln.description for ln in lines],
        "quantity": [ln.quantity for ln in lines],
        "unit_price": [ln.unit_price.amount for ln in lines],
        "core_charge": [ln.core_charge.amount for ln in lines],
        "returnable": [ln.returnable for ln in lines],
        "warranty_months": [ln.warranty_months for ln in lines],
        "cancelled": [ln.cancelled for ln in lines],
        "returned": [ln.returned for ln in lines],
        "package_position": list(range(len(packages))),
        "package_id": [p.package_id for p in packages],
        "warehouse": [p.warehouse for p in packages],
        "carrier": [p.carrier for p in packages],
        "tracking_number": [p.tracking_number for p in packages],
        "shipped_at": [p.shipped_at for p in packages],
        "delivered_at": [p.delivered_at for p in packages],
        "opened_at": [p.opened_at for p in packages],
        "unit_package": [u[0] for u in units],
        "unit_position": [u[1] for u in units],
        "unit_line_no": [u[2] for u in units],
        "unit_quantity": [u[3] for u in units],
    }


# --- orders: rows ----------------------------------------------------------------------
# The catalogue has a few hundred categories and a hot set of part numbers and prices, and
# these values are immutable, so one instance can serve every row that names it. The caches
# are keyed by the stored text (never by a Decimal: 24.99 and 24.990 are equal Decimals, and
# the model keeps each one's scale), bounded, and thread-safe (functools' C implementation).


@functools.lru_cache(maxsize=4096)
def _category(joined: str, key: str) -> CategoryPath:
    return restore(CategoryPath, tuple(joined.split(CATEGORY_SEPARATOR)), key)


@functools.lru_cache(maxsize=16384)
def _part_number(display: str, key: str) -> PartNumber:
    return restore(PartNumber, display, key)


@functools.lru_cache(maxsize=4096)
def _money(amount: str, currency: str) -> Money:
    return restore(Money, Decimal(amount), currency)


def _moment(text: str | None) -> datetime | None:
    # timestamptz inside json_build_array is ISO 8601 text in the session's zone (UTC).
    return None if text is None else utc(datetime.fromisoformat(text))


def line(row: Sequence[Any], currency: str) -> OrderLine:
    """An order line from its 14 columns (the order of ``json_build_array`` in GET_ORDER and
    of the line columns of the search queries)."""
    return restore(
        OrderLine,
        row[0],
        _part_number(row[1], row[2]),
        row[3],
        _category(row[4], row[5]),
        row[6],
        row[7],
        _money(row[8], currency),
        _money(row[9], currency),
        row[10],
        row[11],
        row[12],
        row[13],
    )


def _package(row: Sequence[Any]) -> Package:
    return restore(
        Package,
        row[0],
        row[1],
        tuple([restore(PackedUnits, units[0], units[1]) for units in row[7] or ()]),
        row[2],
        row[3],
        _moment(row[4]),
        _moment(row[5]),
        _moment(row[6]),
    )


def _requests(document: dict[str, Any] | None) -> tuple[tuple[Any, ...], ...]:
    """The four tuples of the activity document, structured (and so validated)."""
    return load_activity(document)


def order(number: str, row: Sequence[Any]) -> Order:
    """The order of one GET_ORDER row, built positionally in ``RESTORED_FIELDS`` order."""
    currency = row[4]
    phone = row[3]
    lines = row[17] or ()
    packages = row[18]
    return restore(
        Order,
        number,
        row[0],
        restore(EmailAddress, row[1], row[2]),
        restore(Address, row[5], row[6], row[8], row[10], row[11], row[7], row[9]),
        currency,
        tuple([line(each, currency) for each in lines]),
        _money(row[12], currency),
        _money(row[13], currency),
        None if phone is None else restore(PhoneNumber, phone),
        () if packages is None else tuple([_package(each) for each in packages]),
        row[14],
        _SPEEDS[row[15]],
        *_requests(row[16]),
    )


def match(head: Sequence[Any], lines: list[Sequence[Any]], email_key: str) -> OrderMatch:
    """One search match: the order's header columns and its matching lines' columns."""
    currency = head[3]
    return OrderMatch(
        header=OrderHeader(
            number=head[0],
            placed_at=head[1],
            email=restore(EmailAddress, head[2], email_key),
        ),
        # The port promises line_no order (get() keeps the order's own tuple order instead).
        lines=tuple(sorted((line(each, currency) for each in lines), key=_line_no)),
    )


def _line_no(value: OrderLine) -> int:
    return value.line_no


# --- the outbox, guest passes, replies -------------------------------------------------


def intent(message_id: str, payload: Any) -> OutboxItem:
    """The outbox item of a stored ``payload`` document."""
    try:
        return load_intent(payload)
    except (ValueError, TypeError, KeyError, OrderStatusError) as error:
        raise AdapterError(f"outbox message {message_id} is unreadable: {error}") from error


def message(row: Sequence[Any]) -> OutboxMessage:
    """An outbox message from ``message_id, created_at, payload, attempts,
    next_attempt_at, last_error`` and, when the row has it, ``sent_at``."""
    message_id, created_at, payload, attempts, next_attempt_at, last_error, *sent = row
    return OutboxMessage(
        message_id=message_id,
        created_at=created_at,
        intent=intent(message_id, payload),
        attempts=attempts,
        next_attempt_at=next_attempt_at,
        last_error=last_error,
        sent_at=sent[0] if sent else None,
    )


def challenge_row(value: PassChallenge) -> tuple[Any, ...]:
    """The ``guest_pass_challenges`` columns, selector first."""
    return (
        value.selector,
        value.order_number,
        value.code_hash,
        value.link_hash,
        value.issued_at,
        value.expires_at,
        value.tries_left,
        value.used,
    )


def challenge(row: Sequence[Any]) -> PassChallenge:
    """A challenge from its columns (selector first), validated by the model."""
    selector, number, code_hash, link_hash, issued_at, expires_at, tries_left, used = row
    try:
        return PassChallenge(
            selector=selector,
            order_number=number,
            code_hash=code_hash,
            link_hash=link_hash,
            issued_at=issued_at,
            expires_at=expires_at,
            tries_left=tries_left,
            used=used,
        )
    except (ValueError, OrderStatusError) as error:
        raise AdapterError(f"a stored guest-pass challenge is unreadable: {error}") from error


def guest_pass(row: Sequence[Any]) -> GuestPass:
    """A guest pass from its columns, validated by the model."""
    selector, validator_hash, order_number, issued_at, expires_at = row
    try:
        return GuestPass(
            selector=selector,
            validator_hash=validator_hash,
            order_number=order_number,
            issued_at=issued_at,
            expires_at=expires_at,
        )
    except (ValueError, OrderStatusError) as error:
        raise AdapterError(f"a stored guest pass is unreadable: {error}") from error


def reply(row: Sequence[Any]) -> IdempotentReply:
    """An idempotent reply from ``key, fingerprint, reply, created_at``."""
    return IdempotentReply(key=row[0], fingerprint=row[1], reply=row[2], created_at=row[3])


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


def credit_entry(row: Sequence[Any]) -> CreditEntry:
    """An entry from ``entry_id, holder, currency, amount, at, reference``, validated."""
    entry_id, holder, currency, amount, at, reference = row
    try:
        return CreditEntry(
            entry_id=entry_id,
            holder=holder,
            amount=_money(str(amount), currency),
            at=at,
            reference=reference,
        )
    except (ValueError, OrderStatusError) as error:
        raise AdapterError(f"store-credit entry {entry_id} is unreadable: {error}") from error


def document_row(stored: StoredDocument) -> tuple[Any, ...]:
    """The parameters of ``PUT_DOCUMENT``."""
    document = stored.document
    return (
        stored.rma_number,
        document.filename,
        stored.order_number,
        document.format,
        document.media_type,
        bytes(document.content),
    )


def stored_document(rma_number: str, row: Sequence[Any]) -> StoredDocument:
    """A document from ``order_number, format, media_type, filename, content``."""
    order_number, fmt, media_type, filename, content = row
    return StoredDocument(
        order_number=order_number,
        rma_number=rma_number,
        document=LabelDocument(fmt, media_type, filename, bytes(content)),
    )
