"""Named row types, and the one place that turns rows back into model values.

Both SQL adapters select every table's columns in the order of the row types below, so a
row is read by name (``row.currency``), never by position. The database types differ
(SQLite keeps instants as integer microseconds and documents as JSON text, PostgreSQL as
``timestamptz`` and ``jsonb``), so each adapter builds one :class:`RowDecoder` with its
conversions; everything else is decided here, once.

Every order row was written by ``add()`` or ``save()`` from a constructed, hence valid,
:class:`~orderstatus_core.model.Order`, so orders are rebuilt with the functions of
:func:`orderstatus_core.model.restorer`, which skip the model's validation (half of
find-order's time in Python; ``bench/RESULTS.md``), and reuse the stored canonical keys
instead of folding again. They take every field in ``attrs.fields()`` order;
:data:`orderstatus_core.model.RESTORED_FIELDS` pins that order, checked against the model.
The other rows (outbox, guest passes, credit) are validated by the model as they are built.

A row that cannot be read (a column edited by hand, a document of an unknown shape) raises
:class:`~orderstatus_core.AdapterError` naming what it was, whichever adapter read it and
whatever the underlying exception: one error type for a corrupt row.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Final, NamedTuple, TypeAlias, TypeVar

from orderstatus_core import AdapterError, GuestPass, Order, OutboxMessage, PassChallenge
from orderstatus_core.errors import OrderStatusError
from orderstatus_core.labels import LabelDocument, StoredDocument
from orderstatus_core.messages import OutboxItem
from orderstatus_core.model import (
    Address,
    EmailAddress,
    OrderLine,
    Package,
    PackedUnits,
    PhoneNumber,
    restorer,
)
from orderstatus_core.records import CreditEntry, IdempotentReply, OrderHeader, OrderMatch
from orderstatus_core.serialization import load_activity, load_intent
from orderstatus_sql.values import SPEEDS, category, money, part_number

__all__ = [
    "ChallengeRow",
    "CreditRow",
    "DocumentRow",
    "LineRow",
    "MessageRow",
    "OrderRow",
    "PackageRow",
    "PassRow",
    "ReplyRow",
    "RowDecoder",
    "Rows",
    "SearchHead",
    "unreadable",
]

#: What a malformed column can raise while it is turned into a value: a wrong type or
#: shape, a bad number (``decimal.InvalidOperation`` is an ``ArithmeticError``), a bad
#: document (the converter reports those as exception groups), or the model refusing it.
UNREADABLE: Final = (
    ExceptionGroup,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    ArithmeticError,
    OrderStatusError,
)


def _same(value: Any) -> Any:
    return value


def _columns(
    value: object, names: tuple[str, ...], moment: Callable[[datetime], Any]
) -> Iterator[Any]:
    """The attributes of ``value`` named like a row type's columns, instants through
    ``moment`` (how the adapter stores them)."""
    for name in names:
        column = getattr(value, name)
        yield moment(column) if isinstance(column, datetime) else column


_Named = TypeVar("_Named", bound=tuple[Any, ...])

#: ``Rows[LineRow]``: a row of that type's shape, the named tuple itself or a row as the
#: driver fetched it (columns selected in the type's order). The decoders take either, and
#: read it by unpacking it into the type's names; nothing copies a fetched row into a named
#: tuple on find-order's hot path.
Rows: TypeAlias = _Named | Sequence[Any]


class OrderRow(NamedTuple):
    """The ``orders`` columns a read selects, in this order (the number is the key)."""

    placed_at: Any
    email: str
    email_key: str
    phone: str | None
    currency: str
    ship_name: str
    ship_line1: str
    ship_line2: str | None
    ship_city: str
    ship_region: str | None
    ship_postal_code: str
    ship_country: str
    shipping: str
    tax: str
    version: int
    shipping_speed: str
    activity: Any


class LineRow(NamedTuple):
    """The ``order_lines`` columns, amounts as exact decimal text; ``position`` is the
    line's place in the order's tuple."""

    line_no: int
    part_number: str
    part_key: str
    brand: str
    category: str
    category_key: str
    description: str
    quantity: int
    unit_price: str
    core_charge: str
    returnable: Any
    warranty_months: int | None
    cancelled: int
    returned: int
    position: int


class PackageRow(NamedTuple):
    """The ``packages`` columns (its units are read beside it)."""

    package_id: str
    warehouse: str
    carrier: str | None
    tracking_number: str | None
    shipped_at: Any
    delivered_at: Any
    opened_at: Any


class SearchHead(NamedTuple):
    """The order columns in front of each line of a search row."""

    number: str
    placed_at: Any
    email: str
    currency: str


class MessageRow(NamedTuple):
    """The ``outbox`` columns; ``sent_at`` and ``dead_at`` only where the query selects
    them."""

    message_id: str
    created_at: Any
    payload: Any
    attempts: int
    next_attempt_at: Any
    last_error: str | None
    sent_at: Any = None
    dead_at: Any = None


class ChallengeRow(NamedTuple):
    """The ``guest_pass_challenges`` columns, selector first."""

    selector: str
    order_number: str
    code_hash: str
    link_hash: str
    issued_at: Any
    expires_at: Any
    tries_left: int
    used: Any

    @classmethod
    def of(cls, value: PassChallenge, moment: Callable[[datetime], Any] = _same) -> ChallengeRow:
        """The columns of ``value``, its instants stored by ``moment``."""
        return cls._make(_columns(value, cls._fields, moment))


class PassRow(NamedTuple):
    """The ``guest_passes`` columns."""

    selector: str
    validator_hash: str
    order_number: str
    issued_at: Any
    expires_at: Any

    @classmethod
    def of(cls, value: GuestPass, moment: Callable[[datetime], Any] = _same) -> PassRow:
        """The columns of ``value``, its instants stored by ``moment``."""
        return cls._make(_columns(value, cls._fields, moment))


class CreditRow(NamedTuple):
    """The ``store_credit`` columns an entry is read from."""

    entry_id: str
    holder: str
    currency: str
    amount: Any
    at: Any
    reference: str


class ReplyRow(NamedTuple):
    """The ``idempotent_replies`` columns."""

    key: str
    fingerprint: str
    reply: str
    created_at: Any


class DocumentRow(NamedTuple):
    """The ``return_documents`` columns of one RMA's document."""

    order_number: str
    format: str
    media_type: str
    filename: str
    content: Any

    @staticmethod
    def parameters(stored: StoredDocument) -> tuple[Any, ...]:
        """What ``PUT_DOCUMENT`` binds, in both adapters: the RMA, the filename (the key),
        the order number, format, media type and content."""
        document = stored.document
        return (
            stored.rma_number,
            document.filename,
            stored.order_number,
            document.format,
            document.media_type,
            bytes(document.content),
        )


def unreadable(what: str, error: BaseException) -> AdapterError:
    """The one error for a stored row that cannot be read back."""
    return AdapterError(f"{what} is unreadable: {type(error).__name__}: {error}")


def _line_no(value: OrderLine) -> int:
    return value.line_no


class _Restorers(NamedTuple):
    """The generated constructors the order decoder calls, looked up together."""

    order: Callable[..., Order]
    email: Callable[..., EmailAddress]
    address: Callable[..., Address]
    phone: Callable[..., PhoneNumber]
    line: Callable[..., OrderLine]
    package: Callable[..., Package]
    units: Callable[..., PackedUnits]


@functools.cache
def _restorers() -> _Restorers:
    # Generated at the first read, not at import (no adapter works at import time); one
    # cached call per order or line instead of a registry look-up per value built.
    return _Restorers(
        restorer(Order),
        restorer(EmailAddress),
        restorer(Address),
        restorer(PhoneNumber),
        restorer(OrderLine),
        restorer(Package),
        restorer(PackedUnits),
    )


def _newest_first(group: tuple[Rows[SearchHead], list[Any]]) -> tuple[Any, str]:
    number, placed_at, _email, _currency = group[0]
    return placed_at, number


class RowDecoder:
    """Rows of one adapter to model values.

    ``instant`` turns a stored timestamp column into an aware UTC ``datetime``,
    ``nested_instant`` one inside a document the adapter reads (PostgreSQL's packages come
    as JSON with ISO text), and ``document`` a stored JSON column into Python values.

    Each method takes a row of its row type: a fetched row as it comes (columns selected in
    the row type's order; no copy into a named tuple on find-order's hot path) or the named
    tuple itself. The method unpacks it into the row type's names, in one statement.
    """

    __slots__ = ("_document", "_instant", "_nested_instant")

    def __init__(
        self,
        *,
        instant: Callable[[Any], datetime] = _same,
        nested_instant: Callable[[Any], datetime] | None = None,
        document: Callable[[Any], Any] = _same,
    ) -> None:
        self._instant = instant
        self._nested_instant = instant if nested_instant is None else nested_instant
        self._document = document

    # --- orders ---

    def order(
        self,
        number: str,
        row: Rows[OrderRow],
        lines: Iterable[Rows[LineRow]],
        packages: tuple[Package, ...],
    ) -> Order:
        """The order of ``row``, with the rows of its lines in tuple order and its packages
        (each adapter reads those its own way)."""
        restore = _restorers()
        line = self._line
        try:
            (
                placed_at,
                email,
                email_key,
                phone,
                currency,
                ship_name,
                ship_line1,
                ship_line2,
                ship_city,
                ship_region,
                ship_postal_code,
                ship_country,
                shipping,
                tax,
                version,
                shipping_speed,
                activity,
            ) = row
            # Positional, in RESTORED_FIELDS order; each value comes from its stored
            # canonical column, so nothing is parsed again.
            return restore.order(
                number,
                self._instant(placed_at),
                restore.email(email, email_key),
                restore.address(
                    ship_name,
                    ship_line1,
                    ship_city,
                    ship_postal_code,
                    ship_country,
                    ship_line2,
                    ship_region,
                ),
                currency,
                tuple([line(each, currency, restore.line) for each in lines]),
                money(shipping, currency),
                money(tax, currency),
                None if phone is None else restore.phone(phone),
                packages,
                version,
                SPEEDS[shipping_speed],
                *load_activity(None if activity is None else self._document(activity)),
            )
        except UNREADABLE as error:
            raise unreadable(f"order {number}", error) from error

    def line(self, row: Rows[LineRow], currency: str) -> OrderLine:
        """One order line; its amounts in the order's ``currency``."""
        return self._line(row, currency, _restorers().line)

    def _line(
        self, row: Rows[LineRow], currency: str, restore: Callable[..., OrderLine]
    ) -> OrderLine:
        try:
            (
                line_no,
                display,
                part_key,
                brand,
                segments,
                category_key,
                description,
                quantity,
                unit_price,
                core_charge,
                returnable,
                warranty_months,
                cancelled,
                returned,
                _position,
            ) = row
            return restore(
                line_no,
                part_number(display, part_key),
                brand,
                category(segments, category_key),
                description,
                quantity,
                money(unit_price, currency),
                money(core_charge, currency),
                bool(returnable),
                warranty_months,
                cancelled,
                returned,
            )
        except UNREADABLE as error:
            raise unreadable(f"order line {_first(row)!r}", error) from error

    def package(self, row: Rows[PackageRow], units: Iterable[Sequence[Any]]) -> Package:
        """One package; ``units`` are its units in order, each a row whose last two columns
        are the line number and the quantity (so an adapter passes its rows uncut)."""
        instant = self._nested_instant
        restore = _restorers()
        restore_units = restore.units
        try:
            (
                package_id,
                warehouse,
                carrier,
                tracking_number,
                shipped_at,
                delivered_at,
                opened_at,
            ) = row
            return restore.package(
                package_id,
                warehouse,
                tuple([restore_units(each[-2], each[-1]) for each in units]),
                carrier,
                tracking_number,
                None if shipped_at is None else instant(shipped_at),
                None if delivered_at is None else instant(delivered_at),
                None if opened_at is None else instant(opened_at),
            )
        except UNREADABLE as error:
            raise unreadable(f"package {_first(row)!r}", error) from error

    def header(self, number: str, placed_at: Any, email: str, email_key: str) -> OrderHeader:
        """An order's header as listings show it."""
        try:
            return OrderHeader(
                number=number,
                placed_at=self._instant(placed_at),
                email=_restorers().email(email, email_key),
            )
        except UNREADABLE as error:
            raise unreadable(f"order header {number!r}", error) from error

    def headers(self, rows: Iterable[Sequence[Any]], email_key: str) -> list[OrderHeader]:
        """The headers of ``(number, placed_at, email)`` rows of one customer, in row order.

        Both SQL adapters list recent orders with this one query shape.
        """
        try:
            return [
                self.header(number, placed_at, email, email_key)
                for number, placed_at, email in rows
            ]
        except UNREADABLE as error:  # a row of another shape
            raise unreadable("an order header", error) from error

    def matches(
        self, groups: list[tuple[Rows[SearchHead], list[Rows[LineRow]]]], email_key: str
    ) -> list[OrderMatch]:
        """Search matches from folded (order, lines) groups (see
        :func:`orderstatus_sql.search.fold`), newest first as the port promises."""
        if len(groups) > 1:
            groups = sorted(groups, key=_newest_first, reverse=True)
        line, restore = self._line, _restorers().line
        result = []
        for (number, placed_at, email, currency), rows in groups:
            lines = [line(row, currency, restore) for row in rows]
            if len(lines) > 1:
                # The port promises line_no order (get() keeps the order's tuple order).
                lines.sort(key=_line_no)
            header = self.header(number, placed_at, email, email_key)
            result.append(OrderMatch(header=header, lines=tuple(lines)))
        return result

    # --- the outbox, guest passes, replies ---

    def intent(self, message_id: str, payload: Any) -> OutboxItem:
        """The outbox item of a stored ``payload`` document."""
        try:
            return load_intent(self._document(payload))
        except UNREADABLE as error:
            raise unreadable(f"outbox message {message_id}", error) from error

    def message(self, row: Rows[MessageRow]) -> OutboxMessage:
        """An outbox message, validated by the model; ``sent_at`` and ``dead_at`` only if
        the row has them."""
        message_id, created_at, payload, attempts, next_attempt_at, last_error, *marks = row
        sent, dead = (*marks, None, None)[:2]
        instant = self._instant
        try:
            return OutboxMessage(
                message_id=message_id,
                created_at=instant(created_at),
                intent=self.intent(message_id, payload),
                attempts=attempts,
                next_attempt_at=None if next_attempt_at is None else instant(next_attempt_at),
                last_error=last_error,
                sent_at=None if sent is None else instant(sent),
                dead_at=None if dead is None else instant(dead),
            )
        except AdapterError:
            raise
        except UNREADABLE as error:
            raise unreadable(f"outbox message {message_id}", error) from error

    def challenge(self, row: Rows[ChallengeRow]) -> PassChallenge:
        """A guest-pass challenge, validated by the model."""
        selector, order_number, code_hash, link_hash, issued_at, expires_at, tries, used = row
        try:
            return PassChallenge(
                selector=selector,
                order_number=order_number,
                code_hash=code_hash,
                link_hash=link_hash,
                issued_at=self._instant(issued_at),
                expires_at=self._instant(expires_at),
                tries_left=tries,
                used=bool(used),
            )
        except UNREADABLE as error:
            raise unreadable("a stored guest-pass challenge", error) from error

    def guest_pass(self, row: Rows[PassRow]) -> GuestPass:
        """A guest pass, validated by the model."""
        selector, validator_hash, order_number, issued_at, expires_at = row
        try:
            return GuestPass(
                selector=selector,
                validator_hash=validator_hash,
                order_number=order_number,
                issued_at=self._instant(issued_at),
                expires_at=self._instant(expires_at),
            )
        except UNREADABLE as error:
            raise unreadable("a stored guest pass", error) from error

    def reply(self, row: Rows[ReplyRow]) -> IdempotentReply:
        """A stored idempotent reply."""
        key, fingerprint, reply, created_at = row
        try:
            return IdempotentReply(
                key=key,
                fingerprint=fingerprint,
                reply=reply,
                created_at=self._instant(created_at),
            )
        except UNREADABLE as error:
            raise unreadable("a stored idempotent reply", error) from error

    # --- store credit and return papers ---

    def credit_entry(self, row: Rows[CreditRow]) -> CreditEntry:
        """A store-credit entry, validated by the model."""
        entry_id, holder, currency, amount, at, reference = row
        try:
            return CreditEntry(
                entry_id=entry_id,
                holder=holder,
                amount=money(str(amount), currency),
                at=self._instant(at),
                reference=reference,
            )
        except UNREADABLE as error:
            raise unreadable(f"store-credit entry {entry_id}", error) from error

    def stored_document(self, rma_number: str, row: Rows[DocumentRow]) -> StoredDocument:
        """One of an RMA's return documents."""
        order_number, fmt, media_type, filename, content = row
        try:
            return StoredDocument(
                order_number=order_number,
                rma_number=rma_number,
                document=LabelDocument(fmt, media_type, filename, bytes(content)),
            )
        except UNREADABLE as error:
            raise unreadable(f"a return document of {rma_number}", error) from error


def _first(row: Sequence[Any]) -> Any:
    """The first column of a row that may be too short to read (for the error message)."""
    return row[0] if row else None
