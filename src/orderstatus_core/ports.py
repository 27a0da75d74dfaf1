"""The ports: every way the core talks to the world, as ``typing.Protocol`` classes.

Adapters implement these; the core never imports an adapter. Each docstring is the
contract an adapter must keep, and :mod:`orderstatus_core.testing` checks it
(``StorageContract``, ``RateLimiterContract``, ``MailerContract``).

Values that cross a port (:class:`OrderHeader`, :class:`OrderMatch`, :class:`OutboxMessage`
...) are defined here too, so that an adapter depends only on this module and the model.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import datetime
from types import MappingProxyType, TracebackType
from typing import Any, Protocol, Self, cast

import attrs

from orderstatus_core.errors import InvalidFieldError, ValidationError
from orderstatus_core.model import (
    Address,
    CategoryPath,
    EmailAddress,
    Money,
    Order,
    OrderLine,
    PartNumber,
    canonical_order_number,
)
from orderstatus_core.model._checks import utc
from orderstatus_core.model._text import bounded_text, check_text
from orderstatus_core.model.guest_pass import GuestPass, PassChallenge
from orderstatus_core.model.requests import Refund
from orderstatus_core.policies.limits import Quota, RateDecision

__all__ = [
    "SECRET",
    "CategoryQuery",
    "Clock",
    "CreditEntry",
    "DomainEvent",
    "GuestPassMail",
    "GuestPassRequest",
    "GuestPassStore",
    "IdempotencyStore",
    "IdempotentReply",
    "LabelDocument",
    "LabelMaker",
    "MailIntent",
    "MailRequest",
    "Mailer",
    "OrderHeader",
    "OrderListMail",
    "OrderListRequest",
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
    "ReplacementDue",
    "ReturnDocumentStore",
    "ReturnDocumentsJob",
    "ReturnLabel",
    "ReturnLabelMail",
    "ReturnLabelRequest",
    "ReturnReceivedMail",
    "ReturnSettledMail",
    "SearchCursor",
    "SearchQuery",
    "ShipmentNotice",
    "Storage",
    "StoreCreditLedger",
    "StoredDocument",
    "TrackingMail",
    "UnitOfWork",
    "secrets_of",
    "without_secrets",
]


# --- values that cross the ports -------------------------------------------------------

_SECRET_KEY = "orderstatus_secret"  # noqa: S105 - a metadata key, not a password

#: Field metadata marking a secret text of an outbox item (a one-time code, a link's token):
#: ``code: str = attrs.field(repr=False, metadata=SECRET)``. The field's declaration is the
#: one place that says so; :func:`without_secrets` empties such fields once the message is
#: delivered (SECURITY D5), and the relay hides their values in error texts.
SECRET: Mapping[str, bool] = MappingProxyType({_SECRET_KEY: True})


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
    link are left out of ``repr`` so that a log line never carries them, and are emptied
    from the outbox once the mail is delivered (:data:`SECRET`).
    """

    to: EmailAddress
    order_number: str
    code: str = attrs.field(repr=False, metadata=SECRET)
    link: str = attrs.field(repr=False, metadata=SECRET)
    expires_at: datetime
    language: str = "en"


@attrs.frozen
class ReturnLabelMail:
    """A return's papers are ready: the RMA numbers, and whether a label is waiting.

    The shopper prints them from the Order Status page (the storefront serves them from
    :attr:`UnitOfWork.documents`); the mail says what to do and by when.
    """

    to: EmailAddress
    order_number: str
    rma_numbers: tuple[str, ...]
    with_label: bool
    ship_by: datetime
    language: str = "en"


@attrs.frozen
class ReturnReceivedMail:
    """The store received a return package (the refund follows its inspection)."""

    to: EmailAddress
    order_number: str
    rma_number: str
    language: str = "en"


@attrs.frozen
class ReturnSettledMail:
    """A return package was settled: ``outcome`` is ``refunded``, ``credited`` (to store
    credit), ``replaced`` or ``rejected``; ``amount`` what goes back (zero for the last two)."""

    to: EmailAddress
    order_number: str
    rma_number: str
    outcome: str
    amount: Money
    language: str = "en"


#: A mail the core wants sent, before it is rendered (a tagged union by ``kind``).
MailIntent = (
    OrderListMail
    | TrackingMail
    | GuestPassMail
    | ReturnLabelMail
    | ReturnReceivedMail
    | ReturnSettledMail
)


@attrs.frozen
class RefundDue:
    """A domain event for the store's payment system: pay ``refund`` back on this order.

    Published once per refund, at least once, with the outbox message id as a stable key
    (the payment itself is out of this library's scope). A refund taken as store credit is
    not published: the library wrote the credit itself.
    """

    order_number: str
    refund: Refund


@attrs.frozen
class ReplacementDue:
    """A domain event for the store's order system: send new parts for a warranty claim
    (``units``: line number to quantity of the order, accepted at inspection)."""

    order_number: str
    rma_number: str
    units: tuple[tuple[int, int], ...]


#: Something that happened which the store's own systems act on (a tagged union).
DomainEvent = RefundDue | ReplacementDue


@attrs.frozen
class ReturnDocumentsJob:
    """Work for the relay: make the label (when ``with_label``) and the instructions of one
    RMA package through the :class:`LabelMaker`, keep them, and mail the shopper.

    Queued in the same transaction as the return (SECURITY G4), so a return never exists
    without its papers on the way, and a failing label maker only delays them.
    """

    order_number: str
    return_id: str
    rma_number: str
    with_label: bool


@attrs.frozen
class OrderListRequest:
    """Order Look-Up, queued for the relay, which decides whether a mail goes out.

    ``email_key`` is the canonical key of the typed address. When the relay runs, it reads
    that shopper's newest orders and mails their numbers (an :class:`OrderListMail`) to the
    address stored with the newest one; with no orders it sends nothing. Queued for every
    well-formed address, so a customer's request and a stranger's do the same work
    (SECURITY A6).
    """

    email_key: str
    language: str = "en"


@attrs.frozen
class GuestPassRequest:
    """A guest-pass request, queued for the relay, which decides whether a code goes out.

    ``contact`` is the email key or E.164 phone the guest typed with ``order_number``.
    When the relay runs, it looks the pair up; on a match it issues the challenge and mails
    the code and link (a :class:`GuestPassMail`, never stored) to the order's stored
    address; otherwise it sends nothing. Queued for every well-formed pair, so a match and
    a miss do the same work (SECURITY A6).
    """

    order_number: str
    contact: str
    language: str = "en"


#: Work the relay decides on when it runs: whether a look-up or pass request mails anyone.
MailRequest = OrderListRequest | GuestPassRequest

#: What the outbox carries: mail to render and send, an event to publish, label work, or
#: a request whose mail the relay decides on.
OutboxItem = MailIntent | DomainEvent | ReturnDocumentsJob | MailRequest


def _secret_fields(item: OutboxItem) -> list[str]:
    return [field.name for field in attrs.fields(type(item)) if field.metadata.get(_SECRET_KEY)]


def secrets_of(item: OutboxItem) -> tuple[str, ...]:
    """The non-empty values of ``item``'s :data:`SECRET` fields, to keep out of any text
    that outlives delivery (an error kept in the outbox, a line a relay prints)."""
    values = (getattr(item, name) for name in _secret_fields(item))
    return tuple(value for value in values if isinstance(value, str) and value)


def without_secrets(item: OutboxItem) -> OutboxItem:
    """``item`` with each :data:`SECRET` field emptied (``""``): what a delivered message
    keeps for its audit, with its kind, recipient and times (SECURITY D5).

    >>> from datetime import UTC
    >>> from orderstatus_core.identifiers import parse_email
    >>> mail = GuestPassMail(parse_email("jane@example.com"), "123456789", "481516",
    ...     "https://shop.example/pass?token=abc", datetime(2026, 11, 1, tzinfo=UTC))
    >>> (without_secrets(mail).code, without_secrets(mail).link)
    ('', '')
    """
    names = _secret_fields(item)
    if not names:
        return item
    # evolve() cannot check keywords against a union of classes: each name is a field.
    emptied: OutboxItem = attrs.evolve(cast(Any, item), **dict.fromkeys(names, ""))
    return emptied


@attrs.frozen
class OutboxMessage:
    """A mail or event written in the same transaction as the change that caused it.

    ``message_id`` is stable across retries, so a receiver can drop duplicates of an
    at-least-once delivery (SECURITY G4). ``sent_at`` is when it was delivered, set only by
    :meth:`Outbox.mark_sent` (a message put is unsent); a sent message keeps its kind,
    recipient, times and id for its audit, never its :data:`SECRET` fields.
    """

    message_id: str
    created_at: datetime
    intent: OutboxItem
    attempts: int = 0
    next_attempt_at: datetime | None = None
    last_error: str | None = None
    sent_at: datetime | None = None


@attrs.frozen
class OutgoingMail:
    """A rendered mail, ready for the :class:`Mailer`."""

    message_id: str
    to: str
    subject: str
    text: str
    language: str = "en"


# --- return labels ----------------------------------------------------------------------

#: The file formats a label maker may be asked for: a PDF page or ZPL for thermal printers.
LABEL_FORMATS = ("pdf", "zpl")
_RMA_NUMBER = re.compile(r"[A-Z0-9][A-Z0-9-]{2,39}")
_TRACKING_NUMBER = re.compile(r"[A-Z0-9]{1,40}")
_LANGUAGE = re.compile(r"[a-z]{2}")
_MAX_PACK_LINES = 20
_MAX_WEIGHT_GRAMS = 70_000


def _as_tuple(value: Any) -> Any:
    # A list is as good as a tuple; anything else is left for the validator to refuse.
    return tuple(value) if isinstance(value, list) else value


def _check_rma_number(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not _RMA_NUMBER.fullmatch(value):
        raise InvalidFieldError(
            attribute.name, "must be 3 to 40 capital letters, digits and dashes (RMA-1234)"
        )


def _check_tracking_number(_instance: Any, attribute: Any, value: Any) -> None:
    if value is not None and (not isinstance(value, str) or not _TRACKING_NUMBER.fullmatch(value)):
        raise InvalidFieldError(attribute.name, "must be 1 to 40 capital letters and digits")


def _check_address(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, Address):
        raise InvalidFieldError(attribute.name, f"must be an Address, not {type(value).__name__}")


def _check_weight(_instance: Any, attribute: Any, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidFieldError(attribute.name, f"must be whole grams, not {type(value).__name__}")
    if not 1 <= value <= _MAX_WEIGHT_GRAMS:
        raise InvalidFieldError(attribute.name, f"must be 1 to {_MAX_WEIGHT_GRAMS} grams")


def _check_language(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not _LANGUAGE.fullmatch(value):
        raise InvalidFieldError(attribute.name, "must be a two-letter language code such as en")


def _check_pack_lines(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, tuple):
        raise InvalidFieldError(attribute.name, f"must be a tuple, not {type(value).__name__}")
    if len(value) > _MAX_PACK_LINES:
        raise InvalidFieldError(attribute.name, f"must be at most {_MAX_PACK_LINES} lines")
    for index, line in enumerate(value):
        try:
            check_text("", line, 120)
        except ValidationError as error:
            raise error.at(f"{attribute.name}[{index}]") from None


def _check_formats(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, tuple) or not value:
        raise InvalidFieldError(attribute.name, "must be a non-empty tuple such as ('pdf',)")
    if len(set(value)) != len(value) or any(f not in LABEL_FORMATS for f in value):
        raise InvalidFieldError(attribute.name, f"must be distinct formats of {LABEL_FORMATS}")


_FILENAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")


def _check_filename(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not _FILENAME.fullmatch(value) or ".." in value:
        raise InvalidFieldError(attribute.name, "must be a plain file name such as R1-1-label.pdf")


@attrs.frozen
class ReturnLabelRequest:
    """What a :class:`LabelMaker` makes a return label for: one RMA package.

    ``sender`` is the shopper, ``destination`` the warehouse or supplier the routing chose.
    ``pack_lines`` say what goes in the box, already in the shopper's ``language`` (at most
    20 lines of 120 characters, such as ``"2 x BRK-1234 Front brake pads"``). ``formats``
    lists the label files wanted, in order (``"pdf"``, ``"zpl"``). Every field is checked
    on construction (SECURITY H3): a wrong type or an over-long text raises
    :class:`~orderstatus_core.errors.ValidationError` naming the field.
    """

    rma_number: str = attrs.field(validator=_check_rma_number)
    sender: Address = attrs.field(validator=_check_address)
    destination: Address = attrs.field(validator=_check_address)
    carrier: str = attrs.field(validator=bounded_text(32))
    service: str = attrs.field(validator=bounded_text(32))
    weight_grams: int = attrs.field(validator=_check_weight)
    language: str = attrs.field(default="en", validator=_check_language)
    pack_lines: tuple[str, ...] = attrs.field(
        default=(), converter=_as_tuple, validator=_check_pack_lines
    )
    formats: tuple[str, ...] = attrs.field(
        default=("pdf",), converter=_as_tuple, validator=_check_formats
    )


@attrs.frozen
class LabelDocument:
    """A file a :class:`LabelMaker` made: a label to print, or the instructions for the box.

    ``format`` is ``"pdf"`` or ``"zpl"``; ``media_type`` the matching MIME type
    (``application/pdf``, ``application/x-zpl``); ``filename`` a safe suggestion such as
    ``RMA-1234-label.pdf``.
    """

    format: str = attrs.field(validator=attrs.validators.in_(LABEL_FORMATS))
    media_type: str = attrs.field(validator=bounded_text(64))
    #: Letters, digits, ``.``, ``-`` and ``_`` only, never a path: a storefront may save
    #: the file under this name.
    filename: str = attrs.field(validator=_check_filename)
    content: bytes = attrs.field(repr=False, validator=attrs.validators.instance_of(bytes))


@attrs.frozen
class ReturnLabel:
    """A return label made for one :class:`ReturnLabelRequest`, one document per format.

    ``cost`` is what the label cost the store; the refund deducts it when the reason says the
    shopper pays for the return. ``tracking_number`` is the carrier's, when the maker bought
    the label from a carrier (``None`` for a label the store ships under its own account).
    """

    rma_number: str = attrs.field(validator=_check_rma_number)
    carrier: str
    service: str
    cost: Money = attrs.field(validator=attrs.validators.instance_of(Money))
    documents: tuple[LabelDocument, ...]
    tracking_number: str | None = attrs.field(default=None, validator=_check_tracking_number)

    def document(self, format: str) -> LabelDocument:
        """The document in ``format``; :class:`LookupError` if it was not made."""
        for document in self.documents:
            if document.format == format:
                return document
        raise LookupError(f"no {format} document for {self.rma_number}")


# --- store credit and return papers ------------------------------------------------------

_ENTRY_ID = re.compile(r"[A-Za-z0-9:_-]{1,80}")
_HOLDER = re.compile(r"[^\x00-\x1f\x7f]{1,320}")


def _check_entry_id(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not _ENTRY_ID.fullmatch(value):
        raise InvalidFieldError(attribute.name, "must be 1 to 80 letters, digits, :, - or _")


def _check_holder(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, str) or not _HOLDER.fullmatch(value):
        raise InvalidFieldError(attribute.name, "must be 1 to 320 printable characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidFieldError(attribute.name, "is not valid Unicode text") from None


def _check_nonzero_money(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, Money):
        raise InvalidFieldError(attribute.name, f"must be Money, not {type(value).__name__}")
    if value.amount == 0:
        raise InvalidFieldError(attribute.name, "must not be zero")


@attrs.frozen
class CreditEntry:
    """One line of a shopper's store-credit ledger: money in (positive ``amount``, such as a
    refund taken as credit) or out (negative: credit spent at checkout).

    Append-only: an entry is never changed or removed; a correction is another entry.
    ``entry_id`` makes appending idempotent (a refund's credit is ``refund:<order>:<refund
    id>``, so the same refund can never credit twice). ``holder`` is the shopper's canonical
    email key (:attr:`EmailAddress.canonical`); ``reference`` names what caused the entry.
    """

    entry_id: str = attrs.field(validator=_check_entry_id)
    holder: str = attrs.field(validator=_check_holder)
    amount: Money = attrs.field(validator=_check_nonzero_money)
    at: datetime = attrs.field(converter=utc)
    reference: str = attrs.field(validator=bounded_text(80))


@attrs.frozen
class StoredDocument:
    """A return paper kept for the shopper to print again: which order and RMA it is for."""

    order_number: str = attrs.field(converter=canonical_order_number)
    rma_number: str = attrs.field(validator=_check_rma_number)
    document: LabelDocument = attrs.field(validator=attrs.validators.instance_of(LabelDocument))


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

    def get_for_contact(self, number: str, contact: str) -> Order | None:
        """The order with this canonical number whose email key
        (:attr:`~orderstatus_core.model.EmailAddress.canonical`) or phone (E.164) is
        ``contact``; ``None`` for an unknown number and for a wrong contact alike.

        Find-order and the guest pass read through this, so a wrong email for an existing
        order and an unknown order must cost the same: one indexed look-up that filters on
        both, never "read the order, then compare" (SECURITY A6). In a write unit it
        locks like :meth:`get`.
        """
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

    def get(self, message_id: str) -> OutboxMessage | None:
        """The message with this id, sent or not, or ``None`` (purged, or never put)."""
        ...

    def mark_sent(self, message_id: str, at: datetime) -> None:
        """Record delivery at ``at``; the message is never due again.

        In the same write, the stored item loses its secrets: it becomes
        :func:`without_secrets` of itself, so a delivered code or link token can no longer
        be read from the outbox (SECURITY D5). An unknown id is ignored.
        """
        ...

    def mark_failed(self, message_id: str, error: str, retry_at: datetime) -> None:
        """Record a failed attempt: ``attempts`` grows by one, due again at ``retry_at``."""
        ...

    def pending_count(self) -> int:
        """How many messages are not yet sent."""
        ...

    def purge_sent(self, sent_before: datetime) -> int:
        """Delete the messages sent strictly before ``sent_before``; answer how many.

        A message not yet sent is never deleted, however old.
        """
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

        Newest is the latest ``issued_at``; between equal ones, the one put last (two
        requests in one clock tick: the second mail is the one that works). Selectors are
        random, so they must not break the tie.
        """
        ...

    def record_try(self, order_number: str, selector: str, at: datetime) -> int:
        """Record one code or link try at ``at`` against the challenge ``selector`` of
        ``order_number`` (``""`` when the order has none), and answer how many tries of
        that order number and selector are recorded, this one included.

        Every code check records its try, whether or not the order or a challenge exists,
        so that the existing and the missing case write alike (SECURITY A6). Needs a write
        unit; the count must use an index on the order number and selector.
        """
        ...

    def put_pass(self, guest_pass: GuestPass) -> None:
        """Store a new pass. A selector already stored raises
        :class:`~orderstatus_core.errors.ConflictError`."""
        ...

    def get_pass(self, selector: str) -> GuestPass | None:
        """The pass with this selector, or ``None``."""
        ...

    def purge_challenges(self, expired_before: datetime) -> int:
        """Delete the challenges whose ``expires_at`` is strictly before ``expired_before``,
        used or not; answer how many. A challenge expiring at that instant stays.

        In the same write, delete the tries (:meth:`record_try`) recorded strictly before
        ``expired_before`` whose challenge is no longer stored (the ``""`` tries of orders
        without one included): they can never count against a live challenge again. The
        tries of a stored challenge stay, however old."""
        ...

    def purge_passes(self, expired_before: datetime) -> int:
        """Delete the passes whose ``expires_at`` is strictly before ``expired_before``;
        answer how many. A pass expiring at that instant stays."""
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

    def purge(self, created_before: datetime) -> int:
        """Delete the replies created strictly before ``created_before``; answer how many."""
        ...


class StoreCreditLedger(Protocol):
    """Shoppers' store credit as an append-only ledger, inside one :class:`UnitOfWork`.

    Written in the same transaction as the refund decision it records (DOMAIN.md section 3).
    """

    def append(self, entry: CreditEntry) -> bool:
        """Append ``entry``; ``False`` (and nothing written) when an entry with its
        ``entry_id`` exists already, so a retried refund never credits twice.

        Raises :class:`~orderstatus_core.errors.InsufficientCreditError` when the entry
        would take the holder's balance in that currency below zero. The check and the
        append are atomic: two spends racing for the same credit never both succeed
        (SECURITY G2); the loser waits for or conflicts with the winner.
        """
        ...

    def balance(self, holder: str, currency: str) -> Money:
        """The sum of the holder's entries in ``currency`` (zero when there are none).

        In a write unit, a storage that locks per balance (as :meth:`append` must, to keep
        a balance from going negative) takes that balance's lock here first and holds it to
        the end of the unit, so that a command reads its clock after the wait (SECURITY G6).
        """
        ...

    def entries(self, holder: str, limit: int) -> Sequence[CreditEntry]:
        """The holder's ``limit`` newest entries, newest first (ties by ``entry_id``,
        descending, as :meth:`OrderRepository.recent` breaks them)."""
        ...


class ReturnDocumentStore(Protocol):
    """Return labels and instructions, kept so the shopper can print them again."""

    def put(self, stored: StoredDocument) -> None:
        """Keep ``stored``, replacing a document with the same RMA number and filename
        (a relay that retries a label job writes the same files again)."""
        ...

    def for_rma(self, rma_number: str) -> Sequence[StoredDocument]:
        """The documents of one RMA package, in the order they were first put."""
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

    @property
    def credit(self) -> StoreCreditLedger:
        """The store-credit ledger, in this unit."""
        ...

    @property
    def documents(self) -> ReturnDocumentStore:
        """Return labels and instructions kept for printing, in this unit."""
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


class LabelMaker(Protocol):
    """Makes return labels and the return instructions to put in the box.

    The bundled ``labels://`` adapter draws them itself at a flat cost; an adapter for a
    carrier's API buys the label there and reports the carrier's price and tracking number.
    """

    def quote(self, request: ReturnLabelRequest) -> Money:
        """What a label for ``request`` would cost, shown in the refund preview before the
        shopper commits. The refund never deducts more than the quote (if the label finally
        costs more, the store bears the difference)."""
        ...

    def make_label(self, request: ReturnLabelRequest) -> ReturnLabel:
        """The label for ``request``, one :class:`LabelDocument` per requested format, in
        that order, with its cost.

        Raises :class:`~orderstatus_core.errors.ValidationError` for a request the maker
        cannot serve (a format it lacks, a field its carrier refuses) and
        :class:`~orderstatus_core.errors.AdapterError` when the carrier fails. Text from the
        request never acts as a command in a file (SECURITY H2).
        """
        ...

    def make_instructions(
        self, request: ReturnLabelRequest, label: ReturnLabel | None
    ) -> LabelDocument:
        """The return instructions as a PDF in ``request.language`` (English when the maker
        lacks that language): the RMA barcode, the destination, what to pack, how, and what
        voids the return. ``label`` is the one :meth:`make_label` made for ``request``, or
        ``None`` for a package the shopper ships on their own."""
        ...
