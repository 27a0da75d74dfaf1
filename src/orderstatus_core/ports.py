"""The ports: every way the core talks to the world, as ``typing.Protocol`` classes.

Adapters implement these; the core never imports an adapter. Each docstring is the
contract an adapter must keep, and :mod:`orderstatus_core.testing` checks it
(``StorageContract``, ``RateLimiterContract``, ``MailerContract``).

Values that cross a port (:class:`OrderHeader`, :class:`OrderMatch`, :class:`OutboxMessage`
...) are defined here too, so that an adapter depends only on this module and the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Protocol, Self

import attrs

from orderstatus_core.model import CategoryPath, EmailAddress, Order, OrderLine, PartNumber
from orderstatus_core.model.guest_pass import GuestPass, PassChallenge
from orderstatus_core.model.requests import Refund
from orderstatus_core.policies.limits import Quota, RateDecision

__all__ = [
    "CategoryQuery",
    "Clock",
    "DomainEvent",
    "GuestPassMail",
    "GuestPassStore",
    "IdempotencyStore",
    "IdempotentReply",
    "MailIntent",
    "Mailer",
    "OrderHeader",
    "OrderListMail",
    "OrderMatch",
    "OrderRepository",
    "Outbox",
    "OutboxItem",
    "OutboxMessage",
    "OutgoingMail",
    "PartNumberQuery",
    "Quota",
    "RateDecision",
    "RateLimiter",
    "RefundDue",
    "SearchCursor",
    "SearchQuery",
    "ShipmentNotice",
    "Storage",
    "TrackingMail",
    "UnitOfWork",
]


# --- values that cross the ports -------------------------------------------------------


@attrs.frozen
class OrderHeader:
    """The few fields that identify an order in a list."""

    number: str
    placed_at: datetime
    email: EmailAddress


@attrs.frozen
class PartNumberQuery:
    """Lines whose part number has the same canonical key as ``part_number``."""

    part_number: PartNumber


@attrs.frozen
class CategoryQuery:
    """Lines in ``category`` or any category below it."""

    category: CategoryPath


#: What an order search looks for.
SearchQuery = PartNumberQuery | CategoryQuery


@attrs.frozen
class SearchCursor:
    """Where a page of search results ended: the last order's time and number.

    Results are ordered newest first by ``(placed_at, number)`` descending; the next page
    holds the orders strictly after this pair in that order.
    """

    placed_at: datetime
    number: str


@attrs.frozen
class OrderMatch:
    """One order found by a search, with the lines that matched."""

    header: OrderHeader
    lines: tuple[OrderLine, ...]


@attrs.frozen
class OrderListMail:
    """Order Look-Up: mail the most recent order numbers to the address stored with them."""

    to: EmailAddress
    order_numbers: tuple[str, ...]
    language: str = "en"


@attrs.frozen
class ShipmentNotice:
    """One package of a tracking mail."""

    package_id: str
    carrier: str
    tracking_number: str
    tracking_url: str | None = None


@attrs.frozen
class TrackingMail:
    """The last package of an order has shipped: every package with its tracking number."""

    to: EmailAddress
    order_number: str
    packages: tuple[ShipmentNotice, ...]
    language: str = "en"


@attrs.frozen
class GuestPassMail:
    """A guest asked to act on an order: the one-time code and link, to the stored address.

    ``to`` is the address stored with the order, never what the guest typed (SECURITY A4).
    ``link`` was built from the store's configured base URL (SECURITY D4). The code and the
    link are left out of ``repr`` so that a log line never carries them.
    """

    to: EmailAddress
    order_number: str
    code: str = attrs.field(repr=False)
    link: str = attrs.field(repr=False)
    expires_at: datetime
    language: str = "en"


#: A mail the core wants sent, before it is rendered. A tagged union: later mails
#: (return labels ...) join it.
MailIntent = OrderListMail | TrackingMail | GuestPassMail


@attrs.frozen
class RefundDue:
    """A domain event for the store's payment system: pay ``refund`` back on this order.

    Published once per refund, at least once, with the outbox message id as a stable key
    (the payment itself is out of this library's scope).
    """

    order_number: str
    refund: Refund


#: Something that happened which the store's own systems act on (a tagged union).
DomainEvent = RefundDue

#: What the outbox carries: mail to render and send, or an event to publish.
OutboxItem = MailIntent | DomainEvent


@attrs.frozen
class OutboxMessage:
    """A mail or event written in the same transaction as the change that caused it.

    ``message_id`` is stable across retries, so a receiver can drop duplicates of an
    at-least-once delivery (SECURITY G4).
    """

    message_id: str
    created_at: datetime
    intent: OutboxItem
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None


@attrs.frozen
class OutgoingMail:
    """A rendered mail, ready for the :class:`Mailer`."""

    message_id: str
    to: str
    subject: str
    text: str
    language: str = "en"


# --- the ports ---------------------------------------------------------------------------


class Clock(Protocol):
    """The one source of time. Services never call ``datetime.now`` themselves."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class OrderRepository(Protocol):
    """Orders, inside one :class:`UnitOfWork`.

    Every query must stay sublinear in the number of stored orders (an index per query).
    """

    def get(self, number: str) -> Order | None:
        """The order with this canonical number, or ``None``."""
        ...

    def add(self, order: Order) -> None:
        """Store a new order. Raises :class:`~orderstatus_core.errors.DuplicateOrderError`
        if its number is taken. Visible to others only after commit."""
        ...

    def save(self, order: Order) -> None:
        """Replace the stored order of this number by ``order``: compare-and-set on the version.

        ``order.version`` must be exactly one more than the stored order's version (services
        build it with :meth:`Order.changed`). If another unit saved first, or no order of
        that number is stored, raise :class:`~orderstatus_core.errors.ConflictError` and
        store nothing (SECURITY G2). Visible to others only after commit.
        """
        ...

    def recent(self, email_key: str, limit: int) -> Sequence[OrderHeader]:
        """Up to ``limit`` orders whose email has canonical key ``email_key``.

        Newest first: by ``placed_at`` descending, ties by ``number`` descending.
        """
        ...

    def search(
        self,
        email_key: str,
        query: SearchQuery,
        limit: int,
        after: SearchCursor | None = None,
    ) -> Sequence[OrderMatch]:
        """Orders of ``email_key`` with at least one line matching ``query``.

        Each match carries all of that order's matching lines in ``line_no`` order. At most
        ``limit`` orders, newest first as in :meth:`recent`, strictly after ``after``.
        """
        ...


class Outbox(Protocol):
    """Pending side effects, stored with the orders and written in the same transaction."""

    def put(self, message: OutboxMessage) -> None:
        """Queue a message. Rolled back with the unit of work (SECURITY G4)."""
        ...

    def due(self, now: datetime, limit: int) -> Sequence[OutboxMessage]:
        """Up to ``limit`` unsent messages whose ``next_attempt_at`` is unset or at or
        before ``now``, oldest ``created_at`` first."""
        ...

    def claim(self, now: datetime, limit: int, lease_until: datetime) -> Sequence[OutboxMessage]:
        """Take up to ``limit`` due messages (as :meth:`due` orders them) for one relay
        worker: each is due again only at ``lease_until``, so that workers running at once
        never take the same message. Needs a write unit; the lease holds once committed.

        A worker that delivers marks each message sent or failed; one that dies leaves its
        messages to be taken again when the lease ends (at-least-once delivery).
        """
        ...

    def mark_sent(self, message_id: str, at: datetime) -> None:
        """Record delivery; the message is never due again."""
        ...

    def mark_failed(self, message_id: str, error: str, retry_at: datetime) -> None:
        """Record a failed attempt: ``attempts`` grows by one, due again at ``retry_at``."""
        ...

    def pending_count(self) -> int:
        """How many messages are not yet sent."""
        ...


class GuestPassStore(Protocol):
    """Guest-pass challenges and passes, inside one :class:`UnitOfWork`.

    Rows are found by their *selector*, which is stored in clear; a code or validator is
    never stored, only its hash (SECURITY D1), and the values given are kept exactly as
    they are. Writes follow the unit's rules: rolled back with it, refused by a read-only
    unit with :class:`~orderstatus_core.errors.AdapterError`, visible to others only after
    commit. Look-ups by selector and by order number must each use an index.
    """

    def put_challenge(self, challenge: PassChallenge) -> None:
        """Store a new challenge. A selector already stored raises
        :class:`~orderstatus_core.errors.ConflictError` (selectors are random; a clash means
        a bug)."""
        ...

    def get_challenge(self, selector: str) -> PassChallenge | None:
        """The challenge with this selector, or ``None``."""
        ...

    def save_challenge(self, challenge: PassChallenge) -> None:
        """Replace the stored challenge with the same selector (a try used, or it was used).

        An unknown selector raises :class:`~orderstatus_core.errors.ConflictError` and stores
        nothing.
        """
        ...

    def latest_challenge(self, order_number: str) -> PassChallenge | None:
        """The newest challenge for this canonical order number, used or not, or ``None``.

        Newest is the latest ``issued_at``; between equal ones, the greatest selector.
        """
        ...

    def put_pass(self, guest_pass: GuestPass) -> None:
        """Store a new pass. A selector already stored raises
        :class:`~orderstatus_core.errors.ConflictError`."""
        ...

    def get_pass(self, selector: str) -> GuestPass | None:
        """The pass with this selector, or ``None``."""
        ...


@attrs.frozen
class IdempotentReply:
    """The first answer of a command run with an idempotency key, kept to replay it."""

    key: str
    fingerprint: str
    """A hash of the command and its input: a replay must match it."""
    reply: str
    """The answer as a JSON document (the library's converter wrote it)."""
    created_at: datetime


class IdempotencyStore(Protocol):
    """Replies of commands run with an idempotency key, inside one :class:`UnitOfWork`."""

    def get(self, key: str) -> IdempotentReply | None:
        """The reply stored under ``key``, or ``None``."""
        ...

    def put(self, reply: IdempotentReply) -> None:
        """Store ``reply`` under its key, replacing an older one (an expired key is reused).
        Rolled back with the unit of work, like everything else in it."""
        ...


class UnitOfWork(Protocol):
    """One command's transaction: all or nothing (SECURITY G1).

    Used as a context manager. Leaving the block without :meth:`commit` rolls back, and so
    does an exception. A unit opened with ``write=False`` refuses writes with
    :class:`~orderstatus_core.errors.AdapterError`.
    """

    @property
    def orders(self) -> OrderRepository:
        """The orders, as this unit sees them."""
        ...

    @property
    def outbox(self) -> Outbox:
        """The outbox of this unit."""
        ...

    @property
    def idempotency(self) -> IdempotencyStore:
        """Replies kept for idempotency keys, in this unit."""
        ...

    @property
    def passes(self) -> GuestPassStore:
        """The guest-pass challenges and passes, as this unit sees them."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        """Make every write of this unit visible at once."""
        ...

    def rollback(self) -> None:
        """Forget every write of this unit."""
        ...


class Storage(Protocol):
    """A storage backend, opened by URL through the adapter registry."""

    @property
    def url(self) -> str:
        """The URL it was opened with, any password removed."""
        ...

    def unit_of_work(self, *, write: bool = False) -> UnitOfWork:
        """A new unit of work. ``write=True`` takes the write lock up front (SQLite's
        ``BEGIN IMMEDIATE``) so that a read-then-write never deadlocks or sees stale data."""
        ...

    def migrate(self) -> int:
        """Bring the schema to the newest version; return that version. Idempotent."""
        ...

    def close(self) -> None:
        """Release connections and files. The storage is unusable afterwards."""
        ...


class Mailer(Protocol):
    """Delivers rendered mail. Raises any exception on failure; the relay keeps the
    message pending and retries (SECURITY A3)."""

    def send(self, mail: OutgoingMail) -> None:
        """Deliver ``mail`` or raise."""
        ...


class RateLimiter(Protocol):
    """Counts hits per key, atomically (shared across threads, and across processes for
    adapters that say so)."""

    def hit(self, key: str, quota: Quota, now: datetime) -> RateDecision:
        """Count one hit on ``key`` if ``quota`` allows it.

        A refused hit is not counted and says when the next one will be allowed.
        """
        ...
