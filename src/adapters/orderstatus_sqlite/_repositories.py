"""The repositories of a SQLite unit of work: the ports, one class each.

Every statement goes through the unit's :meth:`~SqliteUnitOfWork._fetch` (or ``_many``),
which translates a :mod:`sqlite3` failure in one place; rows come back through the shared
decoder (:mod:`orderstatus_sql.rows`). Look-ups by a key no stored row can hold (not a
string, or not encodable as UTF-8) find nothing without asking SQLite, as the memory
reference answers.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

import attrs

from orderstatus_core import (
    ConflictError,
    DuplicateOrderError,
    GuestPass,
    InsufficientCreditError,
    Money,
    Order,
    OrderHeader,
    OrderMatch,
    OutboxMessage,
    PassChallenge,
    SearchCursor,
)
from orderstatus_core.labels import StoredDocument
from orderstatus_core.messages import without_secrets
from orderstatus_core.model.account import (
    Account,
    AccountSession,
    AccountToken,
    OrderLink,
    SecurityEvent,
    StoredCaptcha,
    TokenPurpose,
    oldest_first,
)
from orderstatus_core.model.mail_preferences import MailSubscription
from orderstatus_core.model.order import Address, utc
from orderstatus_core.model.profile import GarageVehicle, SavedAddress
from orderstatus_core.model.session_check import SessionCheck
from orderstatus_core.model.session_rules import checked_moment
from orderstatus_core.records import CreditEntry, HistoryQuery, IdempotentReply, SearchQuery
from orderstatus_core.serialization import carries_secrets, intent_kind
from orderstatus_sql.discounts import CREDIT_BALANCE_ROWS, summed_balances
from orderstatus_sql.rows import (
    AccountRow,
    CaptchaRow,
    ChallengeRow,
    DocumentRow,
    EventRow,
    LinkRow,
    PassRow,
    SavedAddressRow,
    SessionRow,
    TokenRow,
    VehicleRow,
)
from orderstatus_sql.search import fold, search_terms
from orderstatus_sql.statements import qmark
from orderstatus_sql.values import encodable, first_taken, money
from orderstatus_sqlite import _rows, _sql
from orderstatus_sqlite._discounts import DiscountCodeRows
from orderstatus_sqlite._rows import DECODER, micros, policy_span
from orderstatus_sqlite._watches import PartWatchesMixin

if TYPE_CHECKING:
    from orderstatus_sqlite.storage import SqliteUnitOfWork

__all__ = [
    "ALL",
    "CURSOR",
    "ONE",
    "Accounts",
    "Captchas",
    "Credit",
    "Documents",
    "Orders",
    "Outbox",
    "Passes",
    "Replies",
    "Sessions",
]

#: How a statement's result is read: its first row, all rows, or the cursor (rowcount).
ONE: Final[Callable[[sqlite3.Cursor], Any]] = sqlite3.Cursor.fetchone
ALL: Final[Callable[[sqlite3.Cursor], list[Any]]] = sqlite3.Cursor.fetchall


def CURSOR(cursor: sqlite3.Cursor) -> sqlite3.Cursor:
    """The cursor itself, for a statement whose rowcount matters."""
    return cursor


# SQLite integers are 64-bit; larger Python ints would fail to bind.
_MAX_LIMIT: Final = 2**62
# Sorts after every real (placed_at, number): a search without a cursor uses the same SQL
# text (and so the same cached statement) as one with a cursor.
_NO_CURSOR: Final = (2**63 - 1, "")


_CREDIT_BALANCE_ROWS: Final = qmark(CREDIT_BALANCE_ROWS)


def _taken_challenge() -> ConflictError:
    return ConflictError("a guest-pass challenge with this selector is stored")


def _taken_pass() -> ConflictError:
    return ConflictError("a guest pass with this selector is stored")


class Orders:
    """The :class:`~orderstatus_core.OrderRepository` of one unit of work."""

    def __init__(self, unit: SqliteUnitOfWork) -> None:
        self._unit = unit

    def get(self, number: str) -> Order | None:
        """The order with this canonical number, or ``None``.

        The hot path of find-order: one statement reads the order row, its lines and its
        packages with their units through the primary keys (``_sql.GET_ORDER``), and the
        model objects are built straight from the stored canonical columns.
        """
        return self._read(number, _sql.GET_ORDER, _sql.get_order_parameters(number))

    def get_for_contact(self, number: str, contact: str) -> Order | None:
        """The order with this number whose email key or phone is ``contact``, or ``None``.

        The same one statement as :meth:`get`, each of its parts only for a matching
        contact, so an unknown number and a wrong contact cost the same and read nothing
        more (SECURITY A6).
        """
        if not encodable(contact):
            return None
        return self._read(
            number,
            _sql.GET_ORDER_FOR_CONTACT,
            _sql.get_order_for_contact_parameters(number, contact),
        )

    def _read(self, number: str, sql: str, parameters: tuple[object, ...]) -> Order | None:
        # SQLite would coerce 123 to '123' through column affinity; memory would not.
        if type(number) is not str or not (number.isascii() or encodable(number)):
            return None
        rows = self._unit._fetch(ALL, sql, parameters, "reading an order")
        return _rows.order(number, rows) if rows else None

    def add(self, order: Order) -> None:
        """Store a new order; :class:`DuplicateOrderError` if its number is taken.

        Bulk import calls this once per order inside one write unit, so it keeps nothing
        after it returns and sends the child rows with ``executemany``.
        """
        number = order.number
        doing = f"adding order {number}"
        self._unit._fetch(
            CURSOR,
            _sql.INSERT_ORDER,
            _rows.order_row(order),
            doing,
            write=True,
            duplicate=functools.partial(DuplicateOrderError, number),
        )
        # The order row is in; should its children fail, this transaction must never
        # commit (SECURITY G1).
        self._insert_children(order, doing)

    def add_many(self, orders: Sequence[Order]) -> None:
        """Store new orders with one ``executemany`` per table; see the port.

        The numbers already stored are looked up first: the unit holds SQLite's write
        lock from its ``BEGIN IMMEDIATE``, so no other unit can store one in between, and
        a duplicate is refused before anything is written. A failure after the first row
        poisons the unit, as in :meth:`add` (SECURITY G1).
        """
        unit = self._unit
        numbers = [order.number for order in orders]
        taken = first_taken(numbers, self._stored(numbers))
        if taken is not None:
            raise DuplicateOrderError(taken)
        if not orders:
            return
        doing = f"adding orders {numbers[0]} to {numbers[-1]}"
        unit._many(_sql.INSERT_ORDER, [_rows.order_row(order) for order in orders], doing)
        unit._many(_sql.INSERT_LINE, _rows.line_rows_of(orders), doing)
        packed = [order for order in orders if order.packages]
        if packed:
            unit._many(_sql.INSERT_PACKAGE, _rows.package_rows_of(packed), doing)
            unit._many(_sql.INSERT_UNITS, _rows.unit_rows_of(packed), doing)

    def _stored(self, numbers: list[str]) -> set[str]:
        """Which of ``numbers`` are stored (or added earlier in this write unit)."""
        unit = self._unit
        unit._writing()  # a read-only unit refuses even an empty batch
        width = _sql.STORED_WIDTH
        stored: set[str] = set()
        for start in range(0, len(numbers), width):
            chunk: list[str | None] = [*numbers[start : start + width]]
            chunk += [None] * (width - len(chunk))
            rows = unit._fetch(ALL, _sql.STORED_NUMBERS, chunk, "adding orders", write=True)
            stored.update(number for (number,) in rows)
        return stored

    def save(self, order: Order) -> None:
        """Replace the stored order of this number: compare-and-set on the version.

        One ``UPDATE ... WHERE number = ? AND version = ?`` decides: if it changes no row,
        another unit saved first (or the number is not stored) and :class:`ConflictError`
        is raised with nothing written. Otherwise the order's lines, packages and units
        are deleted and inserted again from ``order``, in its tuple order, as
        :meth:`add` writes them. A failure after the ``UPDATE`` poisons the unit: its
        commit refuses and rolls back (SECURITY G1).
        """
        unit = self._unit
        number = order.number
        doing = f"saving order {number}"
        parameters = (*_rows.order_row(order), order.version - 1)
        if unit._fetch(CURSOR, _sql.SAVE_ORDER, parameters, doing, write=True).rowcount != 1:
            raise ConflictError(
                f"order {number} changed since it was read (or is not stored); retry"
            )
        # The order row has the new version; its children are replaced below.
        key = (number,)
        for sql in (_sql.DELETE_UNITS, _sql.DELETE_PACKAGES, _sql.DELETE_LINES):
            unit._fetch(CURSOR, sql, key, doing, write=True, partial=True)
        self._insert_children(order, doing)

    def _insert_children(self, order: Order, doing: str) -> None:
        """Insert the lines, packages and package units of ``order`` (lines first: units
        reference them), each kind with one ``executemany``."""
        unit = self._unit
        unit._many(_sql.INSERT_LINE, _rows.line_rows(order), doing)
        if order.packages:
            unit._many(_sql.INSERT_PACKAGE, _rows.package_rows(order), doing)
            unit._many(_sql.INSERT_UNITS, _rows.unit_rows(order), doing)

    def recent(self, email_key: str, limit: int) -> Sequence[OrderHeader]:
        """Up to ``limit`` orders of ``email_key``, newest first (ties: number descending)."""
        unit = self._unit
        if not encodable(email_key) or limit <= 0:
            unit._reading()  # a closed unit still refuses
            return []
        parameters = (email_key, min(limit, _MAX_LIMIT))
        rows = unit._fetch(ALL, _sql.RECENT, parameters, "listing recent orders")
        return DECODER.headers(rows, email_key)

    def search(
        self,
        email_key: str,
        query: SearchQuery,
        limit: int,
        after: SearchCursor | None = None,
    ) -> Sequence[OrderMatch]:
        """Orders of ``email_key`` with a line matching ``query``, as the port promises.

        A key or cursor that is not UTF-8 finds nothing without asking SQLite; the rows are
        read only until ``limit`` orders are built, then the statement is stopped.
        """
        unit = self._unit
        at, number = _NO_CURSOR if after is None else (micros(utc(after.placed_at)), after.number)
        terms = search_terms(query)
        sql: str
        parameters: tuple[object, ...]
        key = terms.part_key
        if key is not None:
            sql = _sql.SEARCH_PART
            parameters = (email_key, at, number, key)
        else:
            key = terms.category_key
            sql = _sql.SEARCH_CATEGORY
            parameters = (email_key, at, number, key, terms.low, terms.high)
        if limit <= 0 or not (encodable(email_key) and encodable(number) and encodable(key)):
            unit._reading()  # a closed unit still refuses
            return []

        def read(cursor: sqlite3.Cursor) -> list[OrderMatch]:
            # The statement gives rows newest order first, an order's rows together
            # (ORDER BY placed_at DESC, number DESC, its lines by primary key): the matches
            # are built as the rows come, with no grouping or sorting pass.
            try:
                return DECODER.newest_matches(cursor, limit, email_key)
            finally:
                # Stop the statement early: it would otherwise stay active until reused.
                cursor.close()

        return unit._fetch(read, sql, parameters, "searching orders")


def _message_row(message: OutboxMessage) -> tuple[Any, ...]:
    """The parameters of ``PUT_MESSAGE`` for ``message``."""
    intent = message.intent
    next_attempt = message.next_attempt_at
    return (
        message.message_id,
        micros(utc(message.created_at)),
        intent_kind(intent),
        _rows.payload(intent),
        message.attempts,
        None if next_attempt is None else micros(utc(next_attempt)),
        message.last_error,
    )


class Outbox:
    """The :class:`~orderstatus_core.Outbox` of one unit of work."""

    def __init__(self, unit: SqliteUnitOfWork) -> None:
        self._unit = unit

    def put(self, message: OutboxMessage) -> None:
        """Queue ``message`` in this unit's transaction (SECURITY G4)."""
        row = _message_row(message)
        self._unit._fetch(CURSOR, _sql.PUT_MESSAGE, row, "queueing an outbox message", write=True)

    def due(self, now: datetime, limit: int) -> Sequence[OutboxMessage]:
        """Unsent messages due at ``now``, oldest first (ties by message id)."""
        unit = self._unit
        unit._reading()
        if limit <= 0:
            return []
        parameters = (micros(utc(now)), min(limit, _MAX_LIMIT))
        rows = unit._fetch(ALL, _sql.DUE, parameters, "reading due outbox messages")
        return [DECODER.message(row) for row in rows]

    def pending(self, limit: int) -> Sequence[OutboxMessage]:
        """Messages waiting for delivery, due or not, oldest first (ties by message id)."""
        return self._list(_sql.PENDING, limit, "listing pending outbox messages")

    def dead(self, limit: int) -> Sequence[OutboxMessage]:
        """Dead letters, the oldest ``dead_at`` first (ties by message id)."""
        return self._list(_sql.DEAD, limit, "listing dead outbox messages")

    def _list(self, sql: str, limit: int, doing: str) -> Sequence[OutboxMessage]:
        self._unit._reading()
        if limit <= 0:
            return []
        rows = self._unit._fetch(ALL, sql, (min(limit, _MAX_LIMIT),), doing)
        return [DECODER.message(row) for row in rows]

    def claim(self, now: datetime, limit: int, lease_until: datetime) -> Sequence[OutboxMessage]:
        """Take due messages for one relay worker until ``lease_until``.

        The write unit holds SQLite's write lock (``BEGIN IMMEDIATE``) from its start, so no
        other worker can read the same due rows before this one's lease is committed.
        """
        self._unit._writing()
        due = self.due(now, limit)
        lease = micros(utc(lease_until))
        rows = [(lease, message.message_id) for message in due]
        self._unit._many(_sql.LEASE_MESSAGE, rows, "leasing outbox messages", partial=False)
        return [attrs.evolve(message, next_attempt_at=utc(lease_until)) for message in due]

    def get(self, message_id: str) -> OutboxMessage | None:
        """The message with this id, sent or not, or ``None``."""
        if not encodable(message_id):
            return None
        row = self._unit._fetch(ONE, _sql.GET_MESSAGE, (message_id,), "reading an outbox message")
        return None if row is None else DECODER.message(row)

    def mark_sent(self, message_id: str, at: datetime) -> None:
        """Record delivery and drop the message's secrets in the same write; the message is
        never due again. Unknown ids are ignored."""
        unit = self._unit
        doing = "marking an outbox message sent"
        row = unit._fetch(ONE, _sql.KIND_AND_PAYLOAD, (message_id,), doing, write=True)
        if row is None:
            return
        kind, stored = row
        sent_at = micros(utc(at))
        if not carries_secrets(kind):  # nothing to empty: no need to read the item back
            unit._fetch(CURSOR, _sql.MARK_SENT_AS_IS, (sent_at, message_id), doing, write=True)
            return
        payload = _rows.payload(without_secrets(DECODER.intent(message_id, stored)))
        unit._fetch(CURSOR, _sql.MARK_SENT, (sent_at, payload, message_id), doing, write=True)

    def mark_failed(self, message_id: str, error: str, retry_at: datetime) -> None:
        """Count a failed attempt and make the message due again at ``retry_at``."""
        parameters = (micros(utc(retry_at)), error, message_id)
        doing = "marking an outbox message failed"
        self._unit._fetch(CURSOR, _sql.MARK_FAILED, parameters, doing, write=True)

    def mark_dead(self, message_id: str, error: str, at: datetime) -> None:
        """Count a last failed attempt and make the message a dead letter, secrets kept."""
        parameters = (error, micros(utc(at)), message_id)
        doing = "moving an outbox message to dead letters"
        self._changed(message_id, _sql.MARK_DEAD, parameters, doing)

    def release(self, message_id: str, leased_until: datetime, now: datetime) -> bool:
        """Make a message this worker claimed and did not try due at ``now``."""
        parameters = (micros(utc(now)), message_id, micros(utc(leased_until)))
        doing = "releasing an outbox message"
        return self._changed(message_id, _sql.RELEASE_MESSAGE, parameters, doing)

    def retry(self, message_id: str, now: datetime) -> bool:
        """Make a dead letter due at ``now`` with no attempts; whether it was one."""
        parameters = (micros(utc(now)), message_id)
        doing = "retrying a dead outbox message"
        return self._changed(message_id, _sql.RETRY_DEAD, parameters, doing)

    def drop(self, message_id: str) -> bool:
        """Delete an undelivered message; whether there was one."""
        doing = "dropping an outbox message"
        return self._changed(message_id, _sql.DROP_MESSAGE, (message_id,), doing)

    def _changed(
        self, message_id: str, sql: str, parameters: tuple[object, ...], doing: str
    ) -> bool:
        """Run ``sql`` on the row of ``message_id``; whether it changed one."""
        self._unit._writing()
        if not encodable(message_id):
            return False  # no stored id holds what UTF-8 cannot encode
        return self._unit._fetch(CURSOR, sql, parameters, doing, write=True).rowcount == 1

    def pending_count(self) -> int:
        """How many messages wait for delivery (not sent, not dead letters)."""
        (count,) = self._unit._fetch(ONE, _sql.PENDING_COUNT, (), "counting pending messages")
        return int(count)

    def purge_sent(self, sent_before: datetime) -> int:
        """Delete the messages sent strictly before ``sent_before``; how many."""
        return self._unit._purge(_sql.PURGE_SENT, sent_before, "purging sent outbox messages")


class Replies:
    """The :class:`~orderstatus_core.ports.IdempotencyStore` of one unit of work."""

    def __init__(self, unit: SqliteUnitOfWork) -> None:
        self._unit = unit

    def get(self, key: str) -> IdempotentReply | None:
        """The reply stored under ``key``, or ``None``."""
        if not encodable(key):
            return None  # never stored: a key sqlite3 cannot send was never put
        row = self._unit._fetch(ONE, _sql.GET_REPLY, (key,), "reading an idempotent reply")
        return None if row is None else DECODER.reply(row)

    def put(self, reply: IdempotentReply) -> None:
        """Store ``reply``, replacing an older one under the same key."""
        row = (reply.key, reply.fingerprint, reply.reply, micros(reply.created_at))
        self._unit._fetch(CURSOR, _sql.PUT_REPLY, row, "storing an idempotent reply", write=True)

    def purge(self, created_before: datetime) -> int:
        """Delete the replies created strictly before ``created_before``; how many."""
        return self._unit._purge(_sql.PURGE_REPLIES, created_before, "purging idempotent replies")


class Passes:
    """The :class:`~orderstatus_core.GuestPassStore` of one unit of work."""

    def __init__(self, unit: SqliteUnitOfWork) -> None:
        self._unit = unit

    def put_challenge(self, challenge: PassChallenge) -> None:
        """Store a new challenge; a stored selector raises :class:`ConflictError`."""
        self._unit._fetch(
            CURSOR,
            _sql.PUT_CHALLENGE,
            ChallengeRow.of(challenge, micros),
            "storing a guest-pass challenge",
            write=True,
            duplicate=_taken_challenge,
        )

    def get_challenge(self, selector: str) -> PassChallenge | None:
        """The challenge with this selector, or ``None``."""
        if not encodable(selector):
            return None
        doing = "reading a guest-pass challenge"
        row = self._unit._fetch(ONE, _sql.GET_CHALLENGE, (selector,), doing)
        return None if row is None else DECODER.challenge(row)

    def save_challenge(self, challenge: PassChallenge) -> None:
        """Replace the stored challenge; an unknown selector raises :class:`ConflictError`."""
        selector, *fields = ChallengeRow.of(challenge, micros)
        doing = "saving a guest-pass challenge"
        cursor = self._unit._fetch(
            CURSOR, _sql.SAVE_CHALLENGE, (*fields, selector), doing, write=True
        )
        if cursor.rowcount != 1:
            raise ConflictError("no guest-pass challenge with this selector is stored")

    def latest_challenge(self, order_number: str) -> PassChallenge | None:
        """The newest challenge of the order (latest ``issued_at``, then the last put)."""
        if not encodable(order_number):
            return None
        doing = "reading a guest-pass challenge"
        row = self._unit._fetch(ONE, _sql.LATEST_CHALLENGE, (order_number,), doing)
        return None if row is None else DECODER.challenge(row)

    def record_try(self, order_number: str, selector: str, at: datetime) -> int:
        """Record a try against the challenge; how many it has had, this one included."""
        unit = self._unit
        doing = "recording a guest-pass try"
        key = (order_number, selector)
        unit._fetch(CURSOR, _sql.RECORD_TRY, (*key, micros(at)), doing, write=True)
        (count,) = unit._fetch(ONE, _sql.COUNT_TRIES, key, doing, write=True)
        return int(count)

    def put_pass(self, guest_pass: GuestPass) -> None:
        """Store a new pass; a stored selector raises :class:`ConflictError`."""
        self._unit._fetch(
            CURSOR,
            _sql.INSERT_INTO_PASSES,
            PassRow.of(guest_pass, micros),
            "storing a guest pass",
            write=True,
            duplicate=_taken_pass,
        )

    def get_pass(self, selector: str) -> GuestPass | None:
        """The pass with this selector, or ``None``."""
        if not encodable(selector):
            return None
        row = self._unit._fetch(ONE, _sql.SELECT_FROM_PASSES, (selector,), "reading a guest pass")
        return None if row is None else DECODER.guest_pass(row)

    def purge_challenges(self, expired_before: datetime) -> int:
        """Delete the challenges expired strictly before ``expired_before``; how many."""
        unit = self._unit
        purged = unit._purge(_sql.PURGE_CHALLENGES, expired_before, "purging challenges")
        unit._purge(_sql.PURGE_TRIES, expired_before, "purging guest-pass tries")
        return purged

    def purge_passes(self, expired_before: datetime) -> int:
        """Delete the passes expired strictly before ``expired_before``; how many."""
        return self._unit._purge(_sql.PURGE_PASSES, expired_before, "purging guest passes")


class Credit:
    """The :class:`~orderstatus_core.ports.StoreCreditLedger` of one unit of work."""

    def __init__(self, unit: SqliteUnitOfWork) -> None:
        self._unit = unit

    def append(self, entry: CreditEntry) -> bool:
        """Append ``entry`` unless its id is stored (``False``); refuse an entry that would
        take the balance below zero with :class:`InsufficientCreditError`.

        A write unit holds SQLite's write lock from ``BEGIN IMMEDIATE`` on, so no other
        unit can append between the balance read and the insert (SECURITY G2).
        """
        unit = self._unit
        doing = "appending a store-credit entry"
        amount = entry.amount
        row = _rows.credit_row(entry)
        if unit._fetch(ONE, _sql.CREDIT_EXISTS, (entry.entry_id,), doing, write=True) is not None:
            return False
        balance = self._balance(entry.holder, amount.currency, doing)
        if (balance + amount).is_negative:
            raise InsufficientCreditError(str(balance), str(Money.zero(balance.currency) - amount))
        unit._fetch(CURSOR, _sql.APPEND_CREDIT, row, doing, write=True)
        return True

    def balance(self, holder: str, currency: str) -> Money:
        """The sum of the holder's entries in ``currency``; zero when there are none."""
        self._unit._reading()
        if not (encodable(holder) and encodable(currency)):
            return Money.zero(currency)  # a lone surrogate: no stored holder has one
        return self._balance(holder, currency, "reading a store-credit balance")

    def _balance(self, holder: str, currency: str, doing: str) -> Money:
        # Summed in Python as Decimal: SQLite's sum() of TEXT is a float.
        rows = self._unit._fetch(ALL, _sql.CREDIT_AMOUNTS, (holder, currency), doing)
        return Money.total((money(amount, currency) for (amount,) in rows), currency)

    def balances(self, holder: str) -> Sequence[Money]:
        """The holder's balance per currency, by currency code."""
        unit = self._unit
        if not encodable(holder):
            unit._reading()
            return []
        rows = unit._fetch(ALL, _CREDIT_BALANCE_ROWS, (holder,), "reading store-credit balances")
        return summed_balances(rows)

    def entries(self, holder: str, limit: int) -> Sequence[CreditEntry]:
        """The holder's ``limit`` newest entries (ties: entry id descending)."""
        unit = self._unit
        unit._reading()
        if not encodable(holder) or limit <= 0:
            return []
        parameters = (holder, min(limit, _MAX_LIMIT))
        rows = unit._fetch(ALL, _sql.CREDIT_ENTRIES, parameters, "listing store-credit entries")
        return [DECODER.credit_entry(row) for row in rows]


class Documents:
    """The :class:`~orderstatus_core.ports.ReturnDocumentStore` of one unit of work."""

    def __init__(self, unit: SqliteUnitOfWork) -> None:
        self._unit = unit

    def put(self, stored: StoredDocument) -> None:
        """Keep ``stored``, replacing the RMA's document of the same filename in place."""
        # The RMA again, for the subquery that numbers its documents.
        row = (*DocumentRow.parameters(stored), stored.rma_number)
        self._unit._fetch(CURSOR, _sql.PUT_DOCUMENT, row, "keeping a return document", write=True)

    def for_rma(self, rma_number: str) -> Sequence[StoredDocument]:
        """The RMA's documents in the order they were first put."""
        unit = self._unit
        unit._reading()
        if not encodable(rma_number):
            return []
        rows = unit._fetch(ALL, _sql.DOCUMENTS_FOR_RMA, (rma_number,), "reading return documents")
        # A handful of rows, read through the primary key: put in position order here.
        rows.sort(key=_position)
        return [DECODER.stored_document(rma_number, row[:5]) for row in rows]


def _position(row: Sequence[Any]) -> Any:
    return row[5]


def _taken_address() -> ConflictError:
    return ConflictError(
        "the account keeps this address already, or another of its addresses is the default"
    )


def _taken_account() -> ConflictError:
    return ConflictError("a live account holds this email address")


class Accounts(DiscountCodeRows, PartWatchesMixin):
    """The :class:`~orderstatus_core.ports.AccountStore` of one unit of work.

    A write unit holds SQLite's write lock from ``BEGIN IMMEDIATE``, so every
    read-then-write of an account, a token or a link is serialized with all others.
    """

    def __init__(self, unit: SqliteUnitOfWork) -> None:
        self._unit = unit

    def _one(self, sql: str, key: object, doing: str) -> Any:
        """The row ``sql`` reads by ``key``, or ``None`` (also for a key never storable)."""
        if not encodable(key):
            self._unit._reading()  # a closed unit still refuses
            return None
        return self._unit._fetch(ONE, sql, (key,), doing)

    # --- accounts ---

    def add(self, account: Account) -> None:
        """Store a new account; a taken id or live email key raises :class:`ConflictError`."""
        row = AccountRow.of(account, micros)
        doing = "adding an account"
        if self._unit._fetch(CURSOR, _sql.ADD_ACCOUNT, row, doing, write=True).rowcount != 1:
            raise ConflictError("an account with this id or a live one with this email is stored")

    def get(self, account_id: str) -> Account | None:
        """The account with this id, or ``None``."""
        row = self._one(_sql.GET_ACCOUNT, account_id, "reading an account")
        return None if row is None else DECODER.account(row)

    def by_email(self, email_key: str) -> Account | None:
        """The live account of this exact email key, or ``None``."""
        row = self._one(_sql.ACCOUNT_BY_EMAIL, email_key, "reading an account by email")
        return None if row is None else DECODER.account(row)

    def save(self, account: Account) -> None:
        """Replace the stored account: compare-and-set on the version, and no other live
        account may hold a live account's key; :class:`ConflictError` otherwise."""
        row = AccountRow.of(account, micros)
        parameters = (
            *row[1:],
            row.account_id,
            account.version - 1,
            row.state,
            row.email_key,
            row.account_id,
        )
        cursor = self._unit._fetch(
            CURSOR,
            _sql.SAVE_ACCOUNT,
            parameters,
            "saving an account",
            write=True,
            duplicate=_taken_account,
        )
        if cursor.rowcount != 1:
            raise ConflictError(
                "the account changed since it was read, is not stored, or another live "
                "account holds its email; retry"
            )

    # --- tokens ---

    def put_token(self, token: AccountToken) -> None:
        """Store a new token; a taken selector raises :class:`ConflictError`."""
        row = TokenRow.of(token, micros)
        doing = "storing an account token"
        if self._unit._fetch(CURSOR, _sql.PUT_TOKEN, row, doing, write=True).rowcount != 1:
            raise ConflictError("an account token with this selector is stored")

    def get_token(self, selector: str) -> AccountToken | None:
        """The token with this selector, or ``None``."""
        row = self._one(_sql.GET_TOKEN, selector, "reading an account token")
        return None if row is None else DECODER.account_token(row)

    def use_token(self, selector: str, at: datetime) -> bool:
        """Spend an unused token; whether this call spent it."""
        unit = self._unit
        unit._writing()
        if not encodable(selector):
            return False
        parameters = (micros(utc(at)), selector)
        doing = "spending an account token"
        return unit._fetch(CURSOR, _sql.USE_TOKEN, parameters, doing, write=True).rowcount == 1

    def count_token_try(self, selector: str) -> int:
        """Count a try at the token; its tries so far (0 for an unknown selector)."""
        unit = self._unit
        unit._writing()
        if not encodable(selector):
            return 0
        doing = "counting a try at an account token"
        # All rows: a RETURNING statement is finished only when read to its end.
        rows = unit._fetch(ALL, _sql.COUNT_TOKEN_TRY, (selector,), doing, write=True)
        return int(rows[0][0]) if rows else 0

    def end_tokens(self, account_id: str, purposes: Collection[TokenPurpose], at: datetime) -> int:
        """Spend the account's unused tokens of ``purposes``; how many."""
        unit = self._unit
        unit._writing()
        if not encodable(account_id):
            return 0
        moment = micros(utc(at))
        doing = "ending account tokens"
        return sum(
            unit._fetch(
                CURSOR,
                _sql.END_TOKENS_OF_PURPOSE,
                (moment, account_id, TokenPurpose(purpose).value),
                doing,
                write=True,
            ).rowcount
            for purpose in set(purposes)
        )

    def purge_tokens(self, expired_before: datetime) -> int:
        """Delete the tokens expired strictly before ``expired_before``; how many."""
        return self._unit._purge(_sql.PURGE_TOKENS, expired_before, "purging account tokens")

    # --- order links ---

    def link_order(self, link: OrderLink) -> bool:
        """Link the order unless it is linked already; whether it was linked now."""
        row = LinkRow.of(link, micros)
        doing = "linking an order"
        return self._unit._fetch(CURSOR, _sql.LINK_ORDER, row, doing, write=True).rowcount == 1

    def order_link(self, order_number: str) -> OrderLink | None:
        """The link of this order number, or ``None``."""
        row = self._one(_sql.ORDER_LINK, order_number, "reading an order link")
        return None if row is None else DECODER.order_link(row)

    def linked_orders(
        self, account_id: str, limit: int, after: SearchCursor | None = None
    ) -> Sequence[OrderHeader]:
        """The account's stored linked orders, newest first, strictly after ``after``."""
        unit = self._unit
        start = _NO_CURSOR if after is None else (micros(utc(after.placed_at)), after.number)
        if limit <= 0 or not (encodable(account_id) and encodable(start[1])):
            unit._reading()
            return []
        parameters = (account_id, *start, min(limit, _MAX_LIMIT))
        rows = unit._fetch(ALL, _sql.LINKED_ORDERS, parameters, "listing an account's orders")
        return DECODER.keyed_headers(rows)

    def search_linked(
        self,
        account_id: str,
        query: HistoryQuery,
        limit: int,
        after: SearchCursor | None = None,
    ) -> Sequence[OrderMatch]:
        """The account's linked orders with a line matching ``query``, as search() does."""
        unit = self._unit
        start = _NO_CURSOR if after is None else (micros(utc(after.placed_at)), after.number)
        terms = search_terms(query)
        if limit <= 0 or not (
            encodable(account_id) and encodable(start[1]) and encodable(terms.key)
        ):
            unit._reading()
            return []
        sql: str
        parameters: tuple[object, ...]
        if terms.part_key is not None:
            sql = _sql.SEARCH_LINKED_PART
            parameters = (account_id, *start, terms.part_key)
        elif terms.vehicle:
            sql = _sql.SEARCH_LINKED_VEHICLE
            parameters = (account_id, *start, terms.low, terms.high)
        else:
            sql = _sql.SEARCH_LINKED_CATEGORY
            parameters = (account_id, *start, terms.category_key, terms.low, terms.high)

        def read(cursor: sqlite3.Cursor) -> list[Any]:
            try:
                return fold(cursor, limit, head=5)
            finally:
                cursor.close()

        groups = unit._fetch(read, sql, parameters, "searching an account's orders")
        return DECODER.keyed_matches(groups)

    def unlinked_orders(self, email_key: str, limit: int) -> Sequence[OrderHeader]:
        """Up to ``limit`` orders of ``email_key`` that joined no account, newest first."""
        unit = self._unit
        if limit <= 0 or not encodable(email_key):
            unit._reading()
            return []
        parameters = (email_key, min(limit, _MAX_LIMIT))
        rows = unit._fetch(ALL, _sql.UNLINKED_ORDERS, parameters, "listing unlinked orders")
        return DECODER.headers(rows, email_key)

    def verified_accounts(self, email_keys: Collection[str]) -> Mapping[str, str]:
        """The active account of each key that has one, ``STORED_WIDTH`` keys a statement
        (a write unit holds the database's write lock already: no lock per key)."""
        unit = self._unit
        keys = sorted({key for key in email_keys if encodable(key)})
        if not keys:
            unit._reading()  # a closed unit still refuses
            return {}
        width = _sql.STORED_WIDTH
        found: dict[str, str] = {}
        for start in range(0, len(keys), width):
            chunk: list[str | None] = [*keys[start : start + width]]
            chunk += [None] * (width - len(chunk))
            doing = "reading the verified accounts of addresses"
            rows = unit._fetch(ALL, _sql.VERIFIED_ACCOUNTS, chunk, doing)
            found.update((key, account_id) for key, account_id in rows)
        return found

    def preferred_language(self, email_key: str, order_number: str | None = None) -> str | None:
        """The language of the active account of the key, else of the order's; one read."""
        unit = self._unit
        # A key or number no row can hold matches nothing: NULL in its place.
        parameters = tuple(part if encodable(part) else None for part in (email_key, order_number))
        if parameters == (None, None):
            unit._reading()  # a closed unit still refuses
            return None
        # One row always: the language, or NULL.
        (language,) = unit._fetch(
            ONE, _sql.PREFERRED_LANGUAGE, parameters, "reading a mail's language"
        )
        return None if language is None else str(language)

    def unlink_order(self, order_number: str) -> bool:
        """Remove the order's link; whether there was one."""
        unit = self._unit
        unit._writing()
        if not encodable(order_number):
            return False
        cursor = unit._fetch(
            CURSOR, _sql.UNLINK_ORDER, (order_number,), "unlinking an order", write=True
        )
        return cursor.rowcount == 1

    def unlink_all(self, account_id: str) -> int:
        """Remove every link of the account; how many."""
        unit = self._unit
        unit._writing()
        if not encodable(account_id):
            return 0
        doing = "unlinking an account's orders"
        return unit._fetch(CURSOR, _sql.UNLINK_ALL, (account_id,), doing, write=True).rowcount

    # --- failed log-ins ---

    def failed_logins(self, failure_key: str) -> int:
        """The failed log-ins counted under ``failure_key``, 0 when none are."""
        row = self._one(_sql.FAILED_LOGINS, failure_key, "reading failed log-ins")
        return 0 if row is None else int(row[0])

    def count_failed_login(self, failure_key: str, at: datetime) -> int:
        """Count one more failed log-in under ``failure_key``; the count after it."""
        unit = self._unit
        unit._writing()
        if not encodable(failure_key):
            return 0
        parameters = (failure_key, micros(utc(at)))
        doing = "counting a failed log-in"
        # All rows: a RETURNING statement is finished only when read to its end.
        rows = unit._fetch(ALL, _sql.COUNT_FAILED_LOGIN, parameters, doing, write=True)
        return int(rows[0][0])

    def clear_failed_logins(self, failure_key: str) -> bool:
        """Forget the failed log-ins under ``failure_key``; whether there were any."""
        unit = self._unit
        unit._writing()
        if not encodable(failure_key):
            return False
        doing = "clearing failed log-ins"
        cursor = unit._fetch(CURSOR, _sql.CLEAR_FAILED_LOGINS, (failure_key,), doing, write=True)
        return bool(cursor.rowcount == 1)

    def forget_failed_logins(self, last_before: datetime, below: int) -> int:
        """Delete the counts below ``below`` last failed before ``last_before``; how many."""
        unit = self._unit
        unit._writing()
        if below <= 0:
            return 0
        parameters = (micros(utc(last_before)), min(below, _MAX_LIMIT))
        doing = "forgetting old failed log-ins"
        return unit._fetch(
            CURSOR, _sql.FORGET_FAILED_LOGINS, parameters, doing, write=True
        ).rowcount

    # --- the security log ---

    def record_event(self, event: SecurityEvent) -> None:
        """Append ``event`` to the security log."""
        row = EventRow.of(event, micros)
        doing = "recording a security event"
        self._unit._fetch(CURSOR, _sql.RECORD_EVENT, row, doing, write=True)

    def events(self, account_id: str, limit: int) -> Sequence[SecurityEvent]:
        """The account's newest ``limit`` events (ties: the last recorded first)."""
        unit = self._unit
        if limit <= 0 or not encodable(account_id):
            unit._reading()
            return []
        parameters = (account_id, min(limit, _MAX_LIMIT))
        rows = unit._fetch(ALL, _sql.EVENTS, parameters, "reading the security log")
        return [DECODER.security_event(row) for row in rows]

    # --- the profile ---

    def put_address(self, saved: SavedAddress) -> None:
        """Store or replace the saved address; a second copy or a second default raises
        :class:`ConflictError` (the unique indexes)."""
        row = SavedAddressRow.of(saved, micros)
        self._unit._fetch(
            CURSOR,
            _sql.PUT_ADDRESS,
            row,
            "saving an address",
            write=True,
            duplicate=_taken_address,
        )

    def saved_addresses(self, account_id: str) -> Sequence[SavedAddress]:
        """The account's saved addresses, oldest first."""
        unit = self._unit
        if not encodable(account_id):
            unit._reading()
            return []
        rows = unit._fetch(ALL, _sql.SAVED_ADDRESSES, (account_id,), "listing saved addresses")
        return DECODER.saved_addresses(rows)

    def remove_address(self, account_id: str, address_id: str) -> bool:
        """Delete the account's address of this id; whether there was one."""
        return self._remove(_sql.REMOVE_ADDRESS, account_id, address_id, "removing an address")

    def order_addresses(self, account_id: str, limit: int) -> Sequence[Address]:
        """The shipping addresses of the account's newest ``limit`` linked orders."""
        unit = self._unit
        if limit <= 0 or not encodable(account_id):
            unit._reading()
            return []
        parameters = (account_id, min(limit, _MAX_LIMIT))
        doing = "reading the addresses of an account's orders"
        rows = unit._fetch(ALL, _sql.ORDER_ADDRESSES, parameters, doing)
        return DECODER.shipping_addresses(rows)

    def put_vehicle(self, vehicle: GarageVehicle) -> None:
        """Store or replace the vehicle in the account's garage."""
        row = VehicleRow.of(vehicle, micros)
        self._unit._fetch(CURSOR, _sql.PUT_VEHICLE, row, "saving a vehicle", write=True)

    def garage(self, account_id: str) -> Sequence[GarageVehicle]:
        """The account's vehicles, oldest first."""
        unit = self._unit
        if not encodable(account_id):
            unit._reading()
            return []
        rows = unit._fetch(ALL, _sql.GARAGE, (account_id,), "listing a garage")
        return DECODER.garage(rows)

    def remove_vehicle(self, account_id: str, vehicle_id: str) -> bool:
        """Delete the account's vehicle of this id; whether there was one."""
        return self._remove(_sql.REMOVE_VEHICLE, account_id, vehicle_id, "removing a vehicle")

    def _remove(self, sql: str, account_id: str, item_id: str, doing: str) -> bool:
        unit = self._unit
        unit._writing()
        if not (encodable(account_id) and encodable(item_id)):
            return False
        return unit._fetch(CURSOR, sql, (account_id, item_id), doing, write=True).rowcount == 1

    def forget_profile(self, account_id: str) -> int:
        """Delete the account's saved addresses, vehicles and part watches; how many."""
        unit = self._unit
        unit._writing()
        if not encodable(account_id):
            return 0
        doing = "deleting an account's profile"
        return sum(
            unit._fetch(CURSOR, sql, (account_id,), doing, write=True, partial=True).rowcount
            for sql in (_sql.FORGET_ADDRESSES, _sql.FORGET_VEHICLES, _sql.FORGET_SUBSCRIPTIONS)
        ) + self._forget_watches(account_id)

    # --- mail preferences ---

    def subscribe(self, subscription: MailSubscription) -> bool:
        """Store the subscription unless its topic has one; whether it was stored."""
        row = (subscription.account_id, subscription.topic, micros(subscription.subscribed_at))
        doing = "subscribing to store mail"
        return self._unit._fetch(CURSOR, _sql.SUBSCRIBE, row, doing, write=True).rowcount == 1

    def unsubscribe(self, account_id: str, topic: str) -> bool:
        """Delete the account's subscription to ``topic``; whether there was one."""
        return self._remove(_sql.UNSUBSCRIBE, account_id, topic, "unsubscribing from store mail")

    def mail_subscriptions(self, account_id: str) -> Sequence[MailSubscription]:
        """The account's subscriptions, by topic."""
        unit = self._unit
        if not encodable(account_id):
            unit._reading()
            return []
        doing = "listing mail subscriptions"
        rows = unit._fetch(ALL, _sql.MAIL_SUBSCRIPTIONS, (account_id,), doing)
        return DECODER.mail_subscriptions(rows)

    def subscribers(self, topic: str, after: str | None, limit: int) -> Sequence[Account]:
        """A page of the topic's active subscribers, by account id."""
        unit = self._unit
        start = "" if after is None else after
        if limit <= 0 or not (encodable(topic) and encodable(start)):
            unit._reading()
            return []
        parameters = (topic, start, min(limit, _MAX_LIMIT))
        rows = unit._fetch(ALL, _sql.SUBSCRIBERS, parameters, "listing a topic's subscribers")
        return [DECODER.account(row) for row in rows]


class Sessions:
    """The :class:`~orderstatus_core.ports.SessionStore` of one unit of work."""

    def __init__(self, unit: SqliteUnitOfWork) -> None:
        self._unit = unit

    def put(self, session: AccountSession) -> None:
        """Store a new session; a taken id hash raises :class:`ConflictError`."""
        row = SessionRow.of(session, micros)
        doing = "storing a session"
        if self._unit._fetch(CURSOR, _sql.PUT_SESSION, row, doing, write=True).rowcount != 1:
            raise ConflictError("a session with this id is stored")

    def get(self, id_hash: str) -> AccountSession | None:
        """The session with this id hash, or ``None``: one read by the primary key."""
        unit = self._unit
        if not encodable(id_hash):
            unit._reading()
            return None
        row = unit._fetch(ONE, _sql.GET_SESSION, (id_hash,), "reading a session")
        return None if row is None else DECODER.session(row)

    def get_with_account(self, id_hash: str) -> tuple[AccountSession, Account | None] | None:
        """The session with this id hash and its account, or ``None``: one statement, each
        row by its primary key."""
        unit = self._unit
        if not encodable(id_hash):
            unit._reading()
            return None
        doing = "reading a session with its account"
        row = unit._fetch(ONE, _sql.GET_SESSION_WITH_ACCOUNT, (id_hash,), doing)
        return None if row is None else DECODER.session_with_account(row)

    def open_sessions(self, account_id: str) -> list[AccountSession]:
        """The account's sessions not ended, oldest first: one read through the account's
        index of open sessions."""
        unit = self._unit
        if not encodable(account_id):
            unit._reading()
            return []
        doing = "listing an account's sessions"
        rows = unit._fetch(ALL, _sql.OPEN_SESSIONS, (account_id,), doing)
        return oldest_first(DECODER.session(row) for row in rows)

    def check(
        self,
        id_hash: str,
        now: datetime,
        *,
        idle_timeout: timedelta,
        touch_interval: timedelta,
    ) -> SessionCheck | None:
        """Whether the session logs its holder in at ``now``: one statement, each row by
        its primary key, deciding liveness and the touch on the stored microseconds (so
        one instant is decoded, and no rule runs here)."""
        moment = micros(checked_moment(now, idle_timeout, touch_interval))
        unit = self._unit
        if not encodable(id_hash):
            unit._reading()
            return None
        idle, touch = policy_span(idle_timeout), policy_span(touch_interval)
        parameters = (moment, moment, idle, moment, touch, id_hash)
        row = unit._fetch(ONE, _sql.SESSION_CHECK, parameters, "checking a session")
        return None if row is None else DECODER.session_check(row)

    def _changed(self, sql: str, parameters: tuple[object, ...], key: object, doing: str) -> int:
        unit = self._unit
        unit._writing()
        if not encodable(key):
            return 0
        return unit._fetch(CURSOR, sql, parameters, doing, write=True).rowcount

    def touch(self, id_hash: str, at: datetime) -> bool:
        """Record the session seen at ``at``; whether it changed."""
        moment = micros(utc(at))
        parameters = (moment, id_hash, moment)
        return self._changed(_sql.TOUCH_SESSION, parameters, id_hash, "touching a session") == 1

    def end(self, id_hash: str, at: datetime) -> bool:
        """End the session at ``at``; whether this call ended it."""
        parameters = (micros(utc(at)), id_hash)
        return self._changed(_sql.END_SESSION, parameters, id_hash, "ending a session") == 1

    def end_all(self, account_id: str, at: datetime, *, keep: str | None = None) -> int:
        """End the account's sessions but ``keep``; how many."""
        kept = "" if keep is None or not encodable(keep) else keep
        parameters = (micros(utc(at)), account_id, kept)
        return self._changed(_sql.END_SESSIONS, parameters, account_id, "ending sessions")

    def purge(self, expired_before: datetime, idle_before: datetime) -> int:
        """Delete the sessions that can never be live again; how many."""
        expired = micros(utc(expired_before))
        parameters = (expired, expired, micros(utc(idle_before)))
        doing = "purging sessions"
        return self._unit._fetch(
            CURSOR, _sql.PURGE_SESSIONS, parameters, doing, write=True
        ).rowcount


class Captchas:
    """The :class:`~orderstatus_core.ports.CaptchaStore` of one unit of work."""

    def __init__(self, unit: SqliteUnitOfWork) -> None:
        self._unit = unit

    def put(self, captcha: StoredCaptcha) -> None:
        """Store a new challenge; a taken id raises :class:`ConflictError`."""
        row = CaptchaRow.of(captcha, micros)
        doing = "storing a captcha challenge"
        if self._unit._fetch(CURSOR, _sql.PUT_CAPTCHA, row, doing, write=True).rowcount != 1:
            raise ConflictError("a captcha challenge with this id is stored")

    def consume(self, challenge_id: str, now: datetime) -> StoredCaptcha | None:
        """Take an open challenge for its one answer, in one statement; ``None`` if none."""
        unit = self._unit
        unit._writing()
        if not encodable(challenge_id):
            return None
        moment = micros(utc(now))
        parameters = (moment, challenge_id, moment)
        doing = "consuming a captcha challenge"
        rows = unit._fetch(ALL, _sql.CONSUME_CAPTCHA, parameters, doing, write=True)
        return DECODER.captcha(rows[0]) if rows else None

    def purge(self, expired_before: datetime) -> int:
        """Delete the challenges expired strictly before ``expired_before``; how many."""
        return self._unit._purge(_sql.PURGE_CAPTCHAS, expired_before, "purging captchas")
