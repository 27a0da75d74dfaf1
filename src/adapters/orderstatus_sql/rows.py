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

import enum
import functools
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any, Final, NamedTuple, TypeAlias, TypeVar

from orderstatus_core import AdapterError, GuestPass, Order, OutboxMessage, PassChallenge
from orderstatus_core.errors import OrderStatusError
from orderstatus_core.labels import LabelDocument, StoredDocument
from orderstatus_core.messages import OutboxItem
from orderstatus_core.model import (
    RESTORED_FIELDS,
    Address,
    EmailAddress,
    OrderLine,
    Package,
    PackedUnits,
    PhoneNumber,
    restorer,
)
from orderstatus_core.model.account import (
    Account,
    AccountSession,
    AccountState,
    AccountToken,
    OrderLink,
    SecurityEvent,
    StoredCaptcha,
)
from orderstatus_core.model.mail_preferences import MailSubscription
from orderstatus_core.model.profile import GarageVehicle, SavedAddress, Vehicle
from orderstatus_core.model.session_check import SessionCheck
from orderstatus_core.records import CreditEntry, IdempotentReply, OrderHeader, OrderMatch
from orderstatus_core.serialization import load_activity, load_intent
from orderstatus_sql.values import SPEEDS, category, money, part_number, stored_vehicle

__all__ = [
    "AccountRow",
    "CaptchaRow",
    "ChallengeRow",
    "CreditRow",
    "DocumentRow",
    "EventRow",
    "LineRow",
    "LinkRow",
    "LinkedSearchHead",
    "MessageRow",
    "OrderRow",
    "PackageRow",
    "PassRow",
    "ReplyRow",
    "RowDecoder",
    "Rows",
    "SavedAddressRow",
    "SearchHead",
    "SessionCheckRow",
    "SessionRow",
    "TokenRow",
    "VehicleRow",
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


#: Stored account states by their text: a dict look-up refuses an unknown one (KeyError)
#: at a tenth of what calling the enum costs, on the per-request session check.
_ACCOUNT_STATES: Final = {state.value: state for state in AccountState}
#: Whether an account of this stored state (``None``: no such account) logs a live
#: session's holder in; what a page view's check decides by.
_SIGNS_IN: Final[dict[str | None, bool]] = {
    None: False,
    **{state.value: state is not AccountState.DELETED for state in AccountState},
}
#: The statement's ``live`` as each driver answers it (SQLite 0 or 1, PostgreSQL a bool:
#: ``True == 1`` finds the same entry); NULL, an undecided row, is no key.
_LIVE: Final[dict[object, bool]] = {0: False, 1: True}

#: The address's fields in the model's order: the profile's tables store them so.
_ADDRESS_FIELDS: Final = RESTORED_FIELDS["Address"]


def _same(value: Any) -> Any:
    return value


def _columns(
    value: object, names: tuple[str, ...], moment: Callable[[datetime], Any]
) -> Iterator[Any]:
    """The attributes of ``value`` named like a row type's columns, instants through
    ``moment`` (how the adapter stores them), enumerations as their plain text value."""
    for name in names:
        column = getattr(value, name)
        if isinstance(column, datetime):
            yield moment(column)
        elif isinstance(column, enum.Enum):
            yield str(column.value)
        else:
            yield column


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
    line's place in the order's tuple, ``vehicle`` the line's vehicle as
    :func:`~orderstatus_sql.values.joined_vehicle` stored it (its key is not read back)."""

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
    vehicle: str | None


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


class LinkedSearchHead(NamedTuple):
    """The order columns in front of each line of a search of an account's linked orders:
    :class:`SearchHead` and the order's own email key (linked orders have several)."""

    number: str
    placed_at: Any
    email: str
    currency: str
    email_key: str


class AccountRow(NamedTuple):
    """The ``accounts`` columns, the id first."""

    account_id: str
    email: str
    email_key: str
    state: str
    created_at: Any
    language: str
    password_hash: str | None
    verified_at: Any
    password_changed_at: Any
    failed_logins: int
    credential_epoch: int
    version: int

    @classmethod
    def of(cls, value: Account, moment: Callable[[datetime], Any] = _same) -> AccountRow:
        """The columns of ``value``: the email as its display form and its key."""
        return cls._make(
            column.display if isinstance(column, EmailAddress) else column
            for column in _columns(value, cls._fields, moment)
        )


class TokenRow(NamedTuple):
    """The ``account_tokens`` columns, the selector first; only the secret's hash."""

    selector: str
    secret_hash: str
    account_id: str
    purpose: str
    issued_at: Any
    expires_at: Any
    credential_epoch: int
    by_code: Any
    payload: str | None
    used_at: Any
    tries: int

    @classmethod
    def of(cls, value: AccountToken, moment: Callable[[datetime], Any] = _same) -> TokenRow:
        """The columns of ``value``, its instants stored by ``moment``."""
        return cls._make(_columns(value, cls._fields, moment))


class SessionRow(NamedTuple):
    """The ``account_sessions`` columns, the id's hash first."""

    id_hash: str
    account_id: str
    remember: Any
    created_at: Any
    last_seen_at: Any
    expires_at: Any
    reauthenticated_at: Any
    ended_at: Any

    @classmethod
    def of(cls, value: AccountSession, moment: Callable[[datetime], Any] = _same) -> SessionRow:
        """The columns of ``value``, its instants stored by ``moment``."""
        return cls._make(_columns(value, cls._fields, moment))


class SessionCheckRow(NamedTuple):
    """What ``SESSION_CHECK`` selects: the session's account, *remember* and expiry, its
    account's state and language (``NULL`` when the account is not stored), then what
    the statement decided: whether the session is live at the instant asked (``NULL``
    when its stored times are not times) and whether its last-seen time is due a write."""

    account_id: str
    remember: Any
    expires_at: Any
    state: str | None
    language: str | None
    live: Any
    touch_due: Any


class LinkRow(NamedTuple):
    """The ``order_links`` columns."""

    account_id: str
    order_number: str
    linked_at: Any
    linked_by: str

    @classmethod
    def of(cls, value: OrderLink, moment: Callable[[datetime], Any] = _same) -> LinkRow:
        """The columns of ``value``, its instant stored by ``moment``."""
        return cls._make(_columns(value, cls._fields, moment))


class EventRow(NamedTuple):
    """The ``security_events`` columns a read selects (the log's own ``seq`` orders them)."""

    kind: str
    at: Any
    account_id: str | None
    masked_email: str | None
    client: str | None

    @classmethod
    def of(cls, value: SecurityEvent, moment: Callable[[datetime], Any] = _same) -> EventRow:
        """The columns of ``value``, its instant stored by ``moment``."""
        return cls._make(_columns(value, cls._fields, moment))


class CaptchaRow(NamedTuple):
    """The ``captcha_challenges`` columns; only the answer's hash."""

    challenge_id: str
    answer_hash: str
    issued_at: Any
    expires_at: Any
    used_at: Any

    @classmethod
    def of(cls, value: StoredCaptcha, moment: Callable[[datetime], Any] = _same) -> CaptchaRow:
        """The columns of ``value``, its instants stored by ``moment``."""
        return cls._make(_columns(value, cls._fields, moment))


class SavedAddressRow(NamedTuple):
    """The ``saved_addresses`` columns: the address in the model's field order, its normal
    form, whether it is the default."""

    account_id: str
    address_id: str
    name: str
    line1: str
    city: str
    postal_code: str
    country: str
    line2: str | None
    region: str | None
    address_key: str
    is_default: bool
    saved_at: Any

    @classmethod
    def of(cls, value: SavedAddress, moment: Callable[[datetime], Any] = _same) -> SavedAddressRow:
        """The columns of ``value``, its instant stored by ``moment``."""
        return cls._make(
            (
                value.account_id,
                value.address_id,
                *(getattr(value.address, name) for name in _ADDRESS_FIELDS),
                value.key,
                value.is_default,
                moment(value.saved_at),
            )
        )


class VehicleRow(NamedTuple):
    """The ``garage_vehicles`` columns."""

    account_id: str
    vehicle_id: str
    year: int
    make: str
    model: str
    engine: str
    nickname: str | None
    vin: str | None
    catalog_id: str
    added_at: Any

    @classmethod
    def of(cls, value: GarageVehicle, moment: Callable[[datetime], Any] = _same) -> VehicleRow:
        """The columns of ``value``, its instant stored by ``moment``."""
        vehicle = value.vehicle
        return cls(
            value.account_id,
            value.vehicle_id,
            vehicle.year,
            vehicle.make,
            vehicle.model,
            vehicle.engine,
            vehicle.nickname,
            vehicle.vin,
            value.catalog_id,
            moment(value.added_at),
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
    saved_address: Callable[..., SavedAddress]
    vehicle: Callable[..., Vehicle]
    garage_vehicle: Callable[..., GarageVehicle]
    session_check: Callable[..., SessionCheck]
    header: Callable[..., OrderHeader]
    match: Callable[..., OrderMatch]


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
        restorer(SavedAddress),
        restorer(Vehicle),
        restorer(GarageVehicle),
        restorer(SessionCheck),
        # A search page builds a header and a match per order found: attrs' frozen
        # __init__ stores each field through object.__setattr__ (about 6,000 instructions
        # a match, as much as its SQL row), the restorer straight into the slots.
        restorer(OrderHeader),
        restorer(OrderMatch),
    )


def _newest_keyed(group: tuple[Rows[LinkedSearchHead], list[Any]]) -> tuple[Any, str]:
    head = group[0]
    return head[1], head[0]


def _newest_first(group: tuple[Rows[SearchHead], list[Any]]) -> tuple[Any, str]:
    number, placed_at, _email, _currency = group[0]
    return placed_at, number


def _match(
    restore: Callable[..., OrderMatch], header: OrderHeader, lines: list[OrderLine], in_order: bool
) -> OrderMatch:
    """A search match of ``header`` and its ``lines``: the port promises them in
    ``line_no`` order, so they are sorted only if they came out of it (``in_order``)."""
    return restore(header, tuple(lines if in_order else sorted(lines, key=_line_no)))


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
                joined_vehicle,
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
                # Most lines name no vehicle: no cache look-up for those.
                None if joined_vehicle is None else stored_vehicle(joined_vehicle),
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
        restore = _restorers()
        try:
            return restore.header(number, self._instant(placed_at), restore.email(email, email_key))
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
        restore = _restorers()
        line, restore_line, restore_match, header = (
            self._line,
            restore.line,
            restore.match,
            self.header,
        )
        result = []
        for (number, placed_at, email, currency), rows in groups:
            lines = [line(row, currency, restore_line) for row in rows]
            if len(lines) > 1:
                # The port promises line_no order (get() keeps the order's tuple order).
                lines.sort(key=_line_no)
            result.append(restore_match(header(number, placed_at, email, email_key), tuple(lines)))
        return result

    def newest_matches(
        self, rows: Iterable[Sequence[Any]], limit: int, email_key: str
    ) -> list[OrderMatch]:
        """Search matches built in one pass from search rows (the :class:`SearchHead`
        columns, then the :class:`LineRow` columns) that come **newest order first**, the
        rows of one order together: a statement ordered by ``placed_at DESC, number
        DESC`` whose rows of an order share that key (SQLite's join). At most ``limit``
        orders; like :func:`orderstatus_sql.search.fold`, nothing is read past the first
        row of the order after the ``limit``-th, so a cursor is never read to its end.

        The rows' order is the statement's, so nothing is grouped or sorted again (an
        adapter whose rows come in any order folds and calls :meth:`matches`); lines are
        sorted only if a statement ever gives them out of ``line_no`` order. Orders
        placed with the same address text share one :class:`EmailAddress` (an immutable
        value, built from the stored columns of this page only).
        """
        restore = _restorers()
        line, restore_line, restore_match = self._line, restore.line, restore.match
        restore_header, restore_email, instant = restore.header, restore.email, self._instant
        result: list[OrderMatch] = []
        number: str | None = None
        header: OrderHeader | None = None
        lines: list[OrderLine] = []
        currency = ""
        email: str | None = None
        address: EmailAddress | None = None
        in_order = True

        for row in rows:
            if row[0] != number:
                if header is not None:
                    result.append(_match(restore_match, header, lines, in_order))
                    if len(result) == limit:
                        break
                number = row[0]
                try:
                    placed_at, shown, currency = row[1], row[2], row[3]
                    if shown != email or address is None:
                        email, address = shown, restore_email(shown, email_key)
                    header = restore_header(number, instant(placed_at), address)
                except UNREADABLE as error:
                    raise unreadable(f"order header {number!r}", error) from error
                lines, in_order = [line(row[4:], currency, restore_line)], True
            else:
                decoded = line(row[4:], currency, restore_line)
                in_order = in_order and lines[-1].line_no < decoded.line_no
                lines.append(decoded)
        else:
            if header is not None:
                result.append(_match(restore_match, header, lines, in_order))
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

    # --- accounts, their tokens, links, log, sessions and captchas ---

    def _moment(self, value: Any) -> datetime | None:
        return None if value is None else self._instant(value)

    def account(self, row: Rows[AccountRow]) -> Account:
        """An account, validated by the model."""
        (
            account_id,
            email,
            email_key,
            state,
            created_at,
            language,
            password_hash,
            verified_at,
            password_changed_at,
            failed_logins,
            credential_epoch,
            version,
        ) = row
        try:
            return Account(
                account_id=account_id,
                email=EmailAddress(email, email_key),
                state=state,
                created_at=self._instant(created_at),
                language=language,
                password_hash=password_hash,
                verified_at=self._moment(verified_at),
                password_changed_at=self._moment(password_changed_at),
                failed_logins=failed_logins,
                credential_epoch=credential_epoch,
                version=version,
            )
        except UNREADABLE as error:
            raise unreadable(f"account {account_id!r}", error) from error

    def account_token(self, row: Rows[TokenRow]) -> AccountToken:
        """An account token, validated by the model."""
        (
            selector,
            secret_hash,
            account_id,
            purpose,
            issued_at,
            expires_at,
            credential_epoch,
            by_code,
            payload,
            used_at,
            tries,
        ) = row
        try:
            return AccountToken(
                selector=selector,
                secret_hash=secret_hash,
                account_id=account_id,
                purpose=purpose,
                issued_at=self._instant(issued_at),
                expires_at=self._instant(expires_at),
                credential_epoch=credential_epoch,
                by_code=bool(by_code),
                payload=payload,
                used_at=self._moment(used_at),
                tries=tries,
            )
        except UNREADABLE as error:
            raise unreadable("a stored account token", error) from error

    def session(self, row: Rows[SessionRow]) -> AccountSession:
        """A session, validated by the model."""
        (
            id_hash,
            account_id,
            remember,
            created_at,
            last_seen_at,
            expires_at,
            reauthenticated_at,
            ended_at,
        ) = row
        instant = self._instant
        try:
            return AccountSession(
                id_hash=id_hash,
                account_id=account_id,
                remember=bool(remember),
                created_at=instant(created_at),
                last_seen_at=instant(last_seen_at),
                expires_at=instant(expires_at),
                reauthenticated_at=instant(reauthenticated_at),
                ended_at=self._moment(ended_at),
            )
        except UNREADABLE as error:
            raise unreadable("a stored session", error) from error

    def session_with_account(self, row: Sequence[Any]) -> tuple[AccountSession, Account | None]:
        """A session and its account from one joined row: the :class:`SessionRow` columns,
        then the :class:`AccountRow` columns (all ``NULL`` when the account is not stored)."""
        width = len(SessionRow._fields)
        account = None if row[width] is None else self.account(row[width:])
        return self.session(row[:width]), account

    def session_check(self, row: Rows[SessionCheckRow]) -> SessionCheck | None:
        """A page view's check as the statement decided it: ``None`` unless the session is
        live and its account stored and not deleted; else the check, restored without
        the model's checks (the library wrote both rows from validated values, and this
        read runs on every request). What a damaged row could make it misread still
        fails as :class:`AdapterError`, never as a log-in nor a log-out: a state the
        model does not know, a liveness the statement could not decide, an expiry that
        is not an instant."""
        account_id, remember, expires_at, state, language, live, touch_due = row
        try:
            # Both look-ups raise KeyError for what no sound row holds (NULL for live), each
            # made whatever the other answers.
            signs_in = _SIGNS_IN[state]
            if not (_LIVE[live] and signs_in):
                return None
            return _restorers().session_check(
                account_id, language, self._instant(expires_at), bool(remember), bool(touch_due)
            )
        except UNREADABLE as error:
            raise unreadable("a stored session", error) from error

    def order_link(self, row: Rows[LinkRow]) -> OrderLink:
        """An order's link to its account."""
        account_id, order_number, linked_at, linked_by = row
        try:
            return OrderLink(account_id, order_number, self._instant(linked_at), linked_by)
        except UNREADABLE as error:
            raise unreadable(f"the link of order {order_number!r}", error) from error

    def security_event(self, row: Rows[EventRow]) -> SecurityEvent:
        """A line of the security log, validated by the model."""
        kind, at, account_id, masked_email, client = row
        try:
            return SecurityEvent(kind, self._instant(at), account_id, masked_email, client)
        except UNREADABLE as error:
            raise unreadable("a stored security event", error) from error

    def captcha(self, row: Rows[CaptchaRow]) -> StoredCaptcha:
        """A captcha challenge, validated by the model."""
        challenge_id, answer_hash, issued_at, expires_at, used_at = row
        try:
            return StoredCaptcha(
                challenge_id,
                answer_hash,
                self._instant(issued_at),
                self._instant(expires_at),
                self._moment(used_at),
            )
        except UNREADABLE as error:
            raise unreadable("a stored captcha challenge", error) from error

    # The profile's rows were written from constructed, hence valid, values (``put_address``
    # and ``put_vehicle`` take nothing else): they are rebuilt without validating again, as
    # orders are (bench/RESULTS.md, the profile: validation was most of a listing's time).

    def saved_addresses(self, rows: Iterable[Rows[SavedAddressRow]]) -> list[SavedAddress]:
        """Saved addresses, in row order (the stored normal form is not read back: the
        value computes its own)."""
        restore = _restorers()
        instant = self._instant
        saved = []
        try:
            for row in rows:
                # account_id, address_id, the 7 address fields, address_key, is_default,
                # saved_at (SavedAddressRow)
                address = restore.address(*row[2:9])
                saved.append(
                    restore.saved_address(row[0], row[1], address, bool(row[10]), instant(row[11]))
                )
        except UNREADABLE as error:
            raise unreadable("a saved address", error) from error
        return saved

    def shipping_addresses(self, rows: Iterable[Sequence[Any]]) -> list[Address]:
        """Orders' shipping addresses from their ``ship_*`` columns in the model's field
        order (``name, line1, city, postal_code, country, line2, region``), in row order;
        equal rows give one shared value (a shopper's orders mostly go to a few
        addresses)."""
        restore = _restorers().address
        built: dict[tuple[Any, ...], Address] = {}
        addresses = []
        try:
            for row in rows:
                key = tuple(row)
                address = built.get(key)
                if address is None:
                    address = built[key] = restore(*key)
                addresses.append(address)
        except UNREADABLE as error:
            raise unreadable("an order's shipping address", error) from error
        return addresses

    def garage(self, rows: Iterable[Rows[VehicleRow]]) -> list[GarageVehicle]:
        """The vehicles of a garage, in row order."""
        restore = _restorers()
        instant = self._instant
        vehicles = []
        try:
            for (
                account_id,
                vehicle_id,
                year,
                make,
                model,
                engine,
                nickname,
                vin,
                catalog_id,
                added_at,
            ) in rows:
                vehicle = restore.vehicle(year, make, model, engine, nickname, vin)
                vehicles.append(
                    restore.garage_vehicle(
                        account_id, vehicle_id, vehicle, catalog_id, instant(added_at)
                    )
                )
        except UNREADABLE as error:
            raise unreadable("a garage vehicle", error) from error
        return vehicles

    def mail_subscriptions(self, rows: Iterable[Sequence[Any]]) -> list[MailSubscription]:
        """The ``(account_id, topic, subscribed_at)`` rows of an account, in row order."""
        instant = self._instant
        try:
            return [MailSubscription(a, topic, instant(at)) for a, topic, at in rows]
        except UNREADABLE as error:
            raise unreadable("a mail subscription", error) from error

    def keyed_headers(self, rows: Iterable[Sequence[Any]]) -> list[OrderHeader]:
        """The headers of ``(number, placed_at, email, email_key)`` rows, in row order:
        orders of several addresses, such as an account's linked ones.

        An account's history is a few hundred rows of a few addresses: each address is
        built once per call, and the headers by their generated restorer (about half the
        cost of the constructor), from columns the adapter wrote.
        """
        restore_email = _restorers().email
        restore_header = restorer(OrderHeader)
        instant = self._instant
        emails: dict[tuple[str, str], EmailAddress] = {}
        headers = []
        try:
            for number, placed_at, email, email_key in rows:
                address = emails.get((email, email_key))
                if address is None:
                    address = emails[email, email_key] = restore_email(email, email_key)
                headers.append(restore_header(number, instant(placed_at), address))
        except UNREADABLE as error:  # a row of another shape, a column of another type
            raise unreadable("an order header", error) from error
        return headers

    def keyed_matches(
        self, groups: list[tuple[Rows[LinkedSearchHead], list[Rows[LineRow]]]]
    ) -> list[OrderMatch]:
        """Search matches of folded groups whose heads carry each order's email key
        (:class:`LinkedSearchHead`), newest first."""
        try:
            groups = sorted(groups, key=_newest_keyed, reverse=True)
            return [
                match
                for head, lines in groups
                for match in self.matches([(head[:4], lines)], head[4])
            ]
        except UNREADABLE as error:
            raise unreadable("a search match", error) from error

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
