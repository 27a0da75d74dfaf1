"""The repositories of a PostgreSQL unit of work: the ports, one class each.

Every statement goes through the unit's :meth:`~PostgresUnitOfWork._run`, which translates
a psycopg failure in one place; rows come back through the shared decoder
(:mod:`orderstatus_sql.rows`). What each read locks in a write unit is told in
:mod:`orderstatus_postgres.storage`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Final, LiteralString

import psycopg
from psycopg.types.json import Jsonb

from orderstatus_core import (
    AdapterError,
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
from orderstatus_core.model import restorer
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
from orderstatus_core.serialization import carries_secrets, dump_intent
from orderstatus_postgres import _rows, _sql
from orderstatus_postgres._discounts import DiscountCodeRows
from orderstatus_postgres._rows import DECODER
from orderstatus_postgres._watches import PartWatchesMixin
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
from orderstatus_sql.values import first_taken

if TYPE_CHECKING:
    from orderstatus_postgres.storage import PostgresUnitOfWork

__all__ = [
    "Accounts",
    "Captchas",
    "Credit",
    "Documents",
    "Orders",
    "Outbox",
    "Passes",
    "Replies",
    "Sessions",
    "one",
]

# Larger Python ints would not bind as bigint.
_MAX_LIMIT: Final = 2**62


def _worth_asking(
    unit: PostgresUnitOfWork, *keys: object, limit: int = 1, write: bool = False
) -> bool:
    """Whether the database could answer anything: each key is text PostgreSQL can hold
    (see :func:`~orderstatus_postgres._rows.storable`) and ``limit`` asks for a row.

    When not, the caller answers "nothing" without a round trip, as the memory reference
    does; the unit is still checked (open, and writable for a ``write``), so a closed or
    read-only unit refuses as the round trip would have.
    """
    if limit > 0:
        storable = _rows.storable
        for key in keys:  # a loop, not all() over a generator: find-order asks twice
            if not storable(key):
                break
        else:
            return True  # the statement's own run checks the unit
    if write:
        unit._require_writable()
    else:
        unit._require_open()
    return False


class Orders:
    """The :class:`~orderstatus_core.OrderRepository` of one unit of work."""

    def __init__(self, unit: PostgresUnitOfWork) -> None:
        self._unit = unit

    def get(self, number: str) -> Order | None:
        """The order with this canonical number, or ``None``.

        The hot path of find-order: one statement (one round trip in a read unit), the
        order rebuilt straight from the stored canonical columns. A write unit first
        locks the order number (see the module docstring).
        """
        return self._read(number, _sql.GET_ORDER, (number,))

    def get_for_contact(self, number: str, contact: str) -> Order | None:
        """The order with this number whose email key or phone is ``contact``, or ``None``.

        One statement decides, so an unknown number and a wrong contact cost the same
        round trip (SECURITY A6). A write unit first locks the order number, as
        :meth:`get` does.
        """
        if not _worth_asking(self._unit, contact):
            return None
        return self._read(number, _sql.GET_ORDER_FOR_CONTACT, (number, contact, contact))

    def _read(
        self, number: str, sql: LiteralString, parameters: tuple[object, ...]
    ) -> Order | None:
        unit = self._unit
        if not _worth_asking(unit, number):
            return None
        if unit._write:
            unit._run(_sql.LOCK_KEY, (unit.locks.order, number), "locking an order")
        row = unit._row(sql, parameters, "reading an order")
        if row is None:
            return None
        return _rows.order(number, row)

    def add(self, order: Order) -> None:
        """Store a new order and all its rows in one statement; :class:`DuplicateOrderError`
        if its number is taken (the transaction goes on)."""
        if self._insert([order], f"adding order {order.number}") != 1:
            raise DuplicateOrderError(order.number)

    def add_many(self, orders: Sequence[Order]) -> None:
        """Store new orders and all their rows by ``COPY``, one per table; see the port.

        A number twice in ``orders``, or already stored (read first, in one statement), is
        refused with nothing written, and the unit goes on. The copies run in the unit's
        transaction without a savepoint (``_copy_in`` says why): a number that another
        unit stores between that read and the copy aborts this unit with
        :class:`ConflictError`, as a lost race does elsewhere.
        """
        unit = self._unit
        unit._require_writable()
        if not orders:
            return
        numbers = [order.number for order in orders]
        doing = f"adding orders {numbers[0]} to {numbers[-1]}"
        rows = unit._run(_sql.STORED_NUMBERS, (numbers,), doing).fetchall()
        taken = first_taken(numbers, {number for (number,) in rows})
        if taken is not None:
            raise DuplicateOrderError(taken)
        heads, lines, packages, units = _rows.table_rows(orders)
        copies = [
            (_sql.COPY_ORDERS, heads),
            (_sql.COPY_LINES, lines),
            (_sql.COPY_PACKAGES, packages),
            (_sql.COPY_UNITS, units),
        ]
        unit._copy_in([(sql, rows) for sql, rows in copies if rows], doing, _sql.ORDERS_KEY)

    def _insert(self, orders: Sequence[Order], doing: str) -> int:
        """Run ``ADD_ORDERS`` for ``orders``; how many went in."""
        parameters = _rows.orders_parameters(orders)
        (added,) = one(self._unit._run(_sql.ADD_ORDERS, parameters, doing, write=True))
        return int(added)

    def save(self, order: Order) -> None:
        """Replace the stored order of this number: compare-and-set on the version.

        The first statement updates the order row only if it holds ``order.version - 1``
        and deletes its old children; if it changes no row, another unit saved first (or
        the number is not stored) and :class:`ConflictError` is raised with nothing
        written. The second inserts the new lines, packages and units in their tuple order.
        """
        unit = self._unit
        number = order.number
        parameters = _rows.order_parameters(order)
        parameters["expected_version"] = order.version - 1
        (saved,) = one(unit._run(_sql.SAVE_ORDER, parameters, f"saving order {number}", True))
        if saved != 1:
            raise ConflictError(
                f"order {number} changed since it was read (or is not stored); retry"
            )
        children = _rows.children_parameters([order])
        children["number"] = number
        unit._run(_sql.INSERT_CHILDREN, children, f"saving order {number}", write=True)

    def recent(self, email_key: str, limit: int) -> Sequence[OrderHeader]:
        """Up to ``limit`` orders of ``email_key``, newest first (ties: number descending)."""
        unit = self._unit
        if not _worth_asking(unit, email_key, limit=limit):
            return []
        rows = unit._run(
            _sql.RECENT, (email_key, min(limit, _MAX_LIMIT)), "listing recent orders"
        ).fetchall()
        return DECODER.headers(rows, email_key)

    def search(
        self,
        email_key: str,
        query: SearchQuery,
        limit: int,
        after: SearchCursor | None = None,
    ) -> Sequence[OrderMatch]:
        """Orders of ``email_key`` with a line matching ``query``, as the port promises.

        One keyset-paged statement; a key or cursor PostgreSQL cannot hold (see
        :func:`~orderstatus_postgres._rows.storable`) finds nothing instead of failing.
        """
        unit = self._unit
        if not _worth_asking(unit, email_key, limit=limit):
            return []
        terms = search_terms(query)
        parameters: dict[str, Any] = {
            "email_key": email_key,
            "after_at": "infinity" if after is None else utc(after.placed_at),
            "after_number": "" if after is None else after.number,
            "limit": min(limit, _MAX_LIMIT),
        }
        sql: LiteralString
        if terms.part_key is not None:
            sql = _sql.SEARCH_PART
            parameters["part_key"] = terms.part_key
        else:
            sql = _sql.SEARCH_CATEGORY
            parameters |= {"category_key": terms.category_key, "low": terms.low, "high": terms.high}
        if not all(_rows.storable(value) for value in parameters.values() if type(value) is str):
            return []
        rows = unit._rows(sql, parameters, "searching orders")
        return DECODER.matches(fold(rows, limit), email_key)


class Outbox:
    """The :class:`~orderstatus_core.Outbox` of one unit of work."""

    def __init__(self, unit: PostgresUnitOfWork) -> None:
        self._unit = unit

    def put(self, message: OutboxMessage) -> None:
        """Queue ``message`` in this unit's transaction (SECURITY G4)."""
        data = dump_intent(message.intent)
        next_attempt = message.next_attempt_at
        parameters = (
            message.message_id,
            utc(message.created_at),
            data["kind"],
            Jsonb(data),
            message.attempts,
            None if next_attempt is None else utc(next_attempt),
            None if message.last_error is None else _rows.plain_text(message.last_error),
        )
        if not _rows.storable(message.message_id):
            self._unit._require_writable()
            raise AdapterError("an outbox message id must not contain NUL or lone surrogates")
        self._unit._run(_sql.PUT_MESSAGE, parameters, "queueing an outbox message", write=True)

    def due(self, now: datetime, limit: int) -> Sequence[OutboxMessage]:
        """Unsent messages due at ``now``, oldest first (ties by message id)."""
        unit = self._unit
        if not _worth_asking(unit, limit=limit):
            return []
        rows = unit._run(
            _sql.DUE, (utc(now), min(limit, _MAX_LIMIT)), "reading due outbox messages"
        ).fetchall()
        return [DECODER.message(row) for row in rows]

    def pending(self, limit: int) -> Sequence[OutboxMessage]:
        """Messages waiting for delivery, due or not, oldest first (ties by message id)."""
        return self._list(_sql.PENDING, limit, "listing pending outbox messages")

    def dead(self, limit: int) -> Sequence[OutboxMessage]:
        """Dead letters, the oldest ``dead_at`` first (ties by message id)."""
        return self._list(_sql.DEAD, limit, "listing dead outbox messages")

    def _list(self, sql: LiteralString, limit: int, doing: str) -> Sequence[OutboxMessage]:
        if not _worth_asking(self._unit, limit=limit):
            return []
        rows = self._unit._run(sql, (min(limit, _MAX_LIMIT),), doing).fetchall()
        return [DECODER.message(row) for row in rows]

    def claim(self, now: datetime, limit: int, lease_until: datetime) -> Sequence[OutboxMessage]:
        """Take up to ``limit`` due messages for one relay worker until ``lease_until``.

        One statement: the oldest due messages no other worker is taking are locked
        ``FOR UPDATE SKIP LOCKED`` and leased, so workers running at once never share a
        message and never wait for each other.
        """
        unit = self._unit
        unit._require_writable()
        if limit <= 0:
            return []
        parameters = {
            "now": utc(now),
            "limit": min(limit, _MAX_LIMIT),
            "lease": utc(lease_until),
        }
        rows = unit._run(_sql.CLAIM, parameters, "leasing outbox messages", write=True).fetchall()
        messages = [DECODER.message(row) for row in rows]
        messages.sort(key=lambda m: (m.created_at, m.message_id))
        return messages

    def get(self, message_id: str) -> OutboxMessage | None:
        """The message with this id, sent or not, or ``None``."""
        unit = self._unit
        if not _worth_asking(unit, message_id):
            return None
        row = unit._run(_sql.GET_MESSAGE, (message_id,), "reading an outbox message").fetchone()
        return None if row is None else DECODER.message(row)

    def mark_sent(self, message_id: str, at: datetime) -> None:
        """Record delivery and drop the message's secrets in the same write; the message is
        never due again. Unknown ids are ignored."""
        unit = self._unit
        if not _worth_asking(unit, message_id, write=True):
            return
        doing = "marking an outbox message sent"
        row = unit._run(_sql.KIND_AND_PAYLOAD_FOR_UPDATE, (message_id,), doing, write=True)
        found = row.fetchone()
        if found is None:
            return
        kind, stored = found
        if not carries_secrets(kind):  # nothing to empty: no need to read the item back
            unit._run(_sql.MARK_SENT_AS_IS, (utc(at), message_id), doing, write=True)
            return
        redacted = Jsonb(dump_intent(without_secrets(DECODER.intent(message_id, stored))))
        unit._run(_sql.MARK_SENT, (utc(at), redacted, message_id), doing, write=True)

    def mark_failed(self, message_id: str, error: str, retry_at: datetime) -> None:
        """Count a failed attempt and make the message due again at ``retry_at``.

        ``error`` is kept as text PostgreSQL can store: a NUL becomes U+FFFD and a lone
        surrogate ``?`` (it is a diagnostic, not data).
        """
        unit = self._unit
        if not _worth_asking(unit, message_id, write=True):
            return
        unit._run(
            _sql.MARK_FAILED,
            (utc(retry_at), _rows.plain_text(error), message_id),
            "marking an outbox message failed",
            write=True,
        )

    def mark_dead(self, message_id: str, error: str, at: datetime) -> None:
        """Count a last failed attempt and make the message a dead letter, secrets kept;
        ``error`` is kept as :meth:`mark_failed` keeps it."""
        unit = self._unit
        if not _worth_asking(unit, message_id, write=True):
            return
        unit._run(
            _sql.MARK_DEAD,
            (_rows.plain_text(error), utc(at), message_id),
            "moving an outbox message to dead letters",
            write=True,
        )

    def release(self, message_id: str, leased_until: datetime, now: datetime) -> bool:
        """Make a message this worker claimed and did not try due at ``now``."""
        unit = self._unit
        if not _worth_asking(unit, message_id, write=True):
            return False
        parameters = (utc(now), message_id, utc(leased_until))
        doing = "releasing an outbox message"
        return unit._run(_sql.RELEASE_MESSAGE, parameters, doing, write=True).rowcount == 1

    def retry(self, message_id: str, now: datetime) -> bool:
        """Make a dead letter due at ``now`` with no attempts; whether it was one."""
        unit = self._unit
        if not _worth_asking(unit, message_id, write=True):
            return False
        doing = "retrying a dead outbox message"
        return unit._run(_sql.RETRY_DEAD, (utc(now), message_id), doing, write=True).rowcount == 1

    def drop(self, message_id: str) -> bool:
        """Delete an undelivered message; whether there was one."""
        unit = self._unit
        if not _worth_asking(unit, message_id, write=True):
            return False
        doing = "dropping an outbox message"
        return unit._run(_sql.DROP_MESSAGE, (message_id,), doing, write=True).rowcount == 1

    def pending_count(self) -> int:
        """How many messages wait for delivery (not sent, not dead letters)."""
        (count,) = one(self._unit._run(_sql.PENDING_COUNT, None, "counting pending messages"))
        return int(count)

    def purge_sent(self, sent_before: datetime) -> int:
        """Delete the messages sent strictly before ``sent_before``; how many."""
        return _purge(self._unit, _sql.PURGE_SENT, sent_before, "purging sent messages")


def _purge(unit: PostgresUnitOfWork, sql: LiteralString, before: datetime, doing: str) -> int:
    return unit._run(sql, (utc(before),), doing, write=True).rowcount


class Passes:
    """The :class:`~orderstatus_core.GuestPassStore` of one unit of work."""

    def __init__(self, unit: PostgresUnitOfWork) -> None:
        self._unit = unit

    def put_challenge(self, challenge: PassChallenge) -> None:
        """Store a new challenge; a stored selector raises :class:`ConflictError`."""
        cursor = self._unit._run(
            _sql.PUT_CHALLENGE,
            ChallengeRow.of(challenge),
            "storing a guest-pass challenge",
            write=True,
        )
        if cursor.rowcount != 1:
            raise ConflictError("a guest-pass challenge with this selector is stored")

    def get_challenge(self, selector: str) -> PassChallenge | None:
        """The challenge with this selector, or ``None``; locked in a write unit."""
        unit = self._unit
        if not _worth_asking(unit, selector):
            return None
        sql = _sql.GET_CHALLENGE_FOR_UPDATE if unit._write else _sql.GET_CHALLENGE
        row = unit._run(sql, (selector,), "reading a guest-pass challenge").fetchone()
        return None if row is None else DECODER.challenge(row)

    def save_challenge(self, challenge: PassChallenge) -> None:
        """Replace the stored challenge; an unknown selector raises :class:`ConflictError`."""
        selector, *fields = ChallengeRow.of(challenge)
        cursor = self._unit._run(
            _sql.SAVE_CHALLENGE, (*fields, selector), "saving a guest-pass challenge", write=True
        )
        if cursor.rowcount != 1:
            raise ConflictError("no guest-pass challenge with this selector is stored")

    def latest_challenge(self, order_number: str) -> PassChallenge | None:
        """The newest challenge of the order (latest ``issued_at``, then the last put).

        In a write unit the order's lock is taken first and the challenge row is locked.
        """
        unit = self._unit
        if not _worth_asking(unit, order_number):
            return None
        if unit._write:
            unit._run(_sql.LOCK_KEY, (unit.locks.order, order_number), "locking an order")
            sql = _sql.LATEST_CHALLENGE_FOR_UPDATE
        else:
            sql = _sql.LATEST_CHALLENGE
        row = unit._run(sql, (order_number,), "reading a guest-pass challenge").fetchone()
        return None if row is None else DECODER.challenge(row)

    def record_try(self, order_number: str, selector: str, at: datetime) -> int:
        """Record a try against the challenge; how many it has had, this one included."""
        unit = self._unit
        if not _worth_asking(unit, order_number, selector, write=True):
            return 1  # no stored number holds such text: this try is its only one
        key = (order_number, selector)
        unit._run(_sql.RECORD_TRY, (*key, at), "recording a guest-pass try", write=True)
        cursor = unit._run(_sql.COUNT_TRIES, key, "counting guest-pass tries")
        (count,) = one(cursor)
        return int(count)

    def put_pass(self, guest_pass: GuestPass) -> None:
        """Store a new pass; a stored selector raises :class:`ConflictError`."""
        row = PassRow.of(guest_pass)
        cursor = self._unit._run(_sql.INSERT_INTO_PASSES, row, "storing a guest pass", write=True)
        if cursor.rowcount != 1:
            raise ConflictError("a guest pass with this selector is stored")

    def get_pass(self, selector: str) -> GuestPass | None:
        """The pass with this selector, or ``None``."""
        unit = self._unit
        if not _worth_asking(unit, selector):
            return None
        row = unit._run(_sql.SELECT_FROM_PASSES, (selector,), "reading a guest pass").fetchone()
        return None if row is None else DECODER.guest_pass(row)

    def purge_challenges(self, expired_before: datetime) -> int:
        """Delete the challenges expired strictly before ``expired_before``; how many."""
        purged = _purge(self._unit, _sql.PURGE_CHALLENGES, expired_before, "purging challenges")
        _purge(self._unit, _sql.PURGE_TRIES, expired_before, "purging guest-pass tries")
        return purged

    def purge_passes(self, expired_before: datetime) -> int:
        """Delete the passes expired strictly before ``expired_before``; how many."""
        return _purge(self._unit, _sql.PURGE_PASSES, expired_before, "purging guest passes")


class Replies:
    """The :class:`~orderstatus_core.ports.IdempotencyStore` of one unit of work."""

    def __init__(self, unit: PostgresUnitOfWork) -> None:
        self._unit = unit

    def get(self, key: str) -> IdempotentReply | None:
        """The reply stored under ``key``, or ``None``. A write unit first locks the key,
        so a concurrent duplicate of a command waits for the first and replays it."""
        unit = self._unit
        if not _worth_asking(unit, key):
            return None
        if unit._write:
            unit._run(_sql.LOCK_KEY, (unit.locks.reply, key), "locking an idempotency key")
        row = unit._run(_sql.GET_REPLY, (key,), "reading an idempotent reply").fetchone()
        return None if row is None else DECODER.reply(row)

    def put(self, reply: IdempotentReply) -> None:
        """Store ``reply``, replacing an older one under the same key."""
        row = (reply.key, reply.fingerprint, reply.reply, utc(reply.created_at))
        self._unit._run(_sql.PUT_REPLY, row, "storing an idempotent reply", write=True)

    def purge(self, created_before: datetime) -> int:
        """Delete the replies created strictly before ``created_before``; how many."""
        return _purge(self._unit, _sql.PURGE_REPLIES, created_before, "purging replies")


class Credit:
    """The :class:`~orderstatus_core.ports.StoreCreditLedger` of one unit of work."""

    def __init__(self, unit: PostgresUnitOfWork) -> None:
        self._unit = unit

    def append(self, entry: CreditEntry) -> bool:
        """Append ``entry`` unless its id is stored (``False``); refuse an entry that would
        take the balance below zero with :class:`InsufficientCreditError`.

        Two statements: the advisory lock of the holder's balance in that currency, held
        to the end of the transaction, then (a statement that starts after the wait, so it
        reads what the previous holder of the lock committed) the check and the insert in
        one round trip. Two spends of one balance are serialized; the second sees the first.
        """
        unit = self._unit
        unit._require_writable()
        if not _rows.storable(entry.holder):
            raise AdapterError("a store-credit holder must not contain lone surrogates")
        parameters = _rows.credit_parameters(entry)
        amount = entry.amount
        unit._run(
            _sql.LOCK_KEY,
            (unit.locks.credit, f"{entry.holder}\x1f{amount.currency}"),
            "locking a store-credit balance",
        )
        stored, total, appended = one(
            unit._run(_sql.APPEND_CREDIT, parameters, "appending a store-credit entry", True)
        )
        if appended:
            return True
        if stored:
            return False
        balance = restorer(Money)(total, amount.currency)
        if (balance + amount).is_negative:
            raise InsufficientCreditError(str(balance), str(Money.zero(amount.currency) - amount))
        # The id was appended at the same moment for another balance, and committed first.
        return False

    def balance(self, holder: str, currency: str) -> Money:
        """The sum of the holder's entries in ``currency``; zero when there are none. A write
        unit first takes the balance's advisory lock, as :meth:`append` does."""
        unit = self._unit
        if not _worth_asking(unit, holder, currency):
            return Money.zero(currency)
        if unit._write:  # the lock append takes: a spend reads its time after the wait
            balance = (unit.locks.credit, f"{holder}\x1f{currency}")
            unit._run(_sql.LOCK_KEY, balance, "locking a balance")
        (total,) = one(
            unit._run(_sql.CREDIT_BALANCE, (holder, currency), "reading a store-credit balance")
        )
        return restorer(Money)(total, currency)

    def balances(self, holder: str) -> Sequence[Money]:
        """The holder's balance per currency, by currency code (no lock: nothing spends
        by it)."""
        unit = self._unit
        if not _worth_asking(unit, holder):
            return []
        doing = "reading store-credit balances"
        return summed_balances(unit._run(CREDIT_BALANCE_ROWS, (holder,), doing).fetchall())

    def entries(self, holder: str, limit: int) -> Sequence[CreditEntry]:
        """The holder's ``limit`` newest entries (ties: entry id descending)."""
        unit = self._unit
        if not _worth_asking(unit, holder, limit=limit):
            return []
        rows = unit._run(
            _sql.CREDIT_ENTRIES, (holder, min(limit, _MAX_LIMIT)), "listing store-credit entries"
        ).fetchall()
        return [DECODER.credit_entry(row) for row in rows]


class Documents:
    """The :class:`~orderstatus_core.ports.ReturnDocumentStore` of one unit of work."""

    def __init__(self, unit: PostgresUnitOfWork) -> None:
        self._unit = unit

    def put(self, stored: StoredDocument) -> None:
        """Keep ``stored``, replacing the RMA's document of the same filename in place."""
        unit = self._unit
        unit._require_writable()
        row = DocumentRow.parameters(stored)
        if not all(_rows.storable(value) for value in row[:5]):
            raise AdapterError("a return document's names must not contain NUL or lone surrogates")
        unit._run(_sql.PUT_DOCUMENT, row, "keeping a return document", write=True)

    def for_rma(self, rma_number: str) -> Sequence[StoredDocument]:
        """The RMA's documents in the order they were first put."""
        unit = self._unit
        if not _worth_asking(unit, rma_number):
            return []
        rows = unit._run(
            _sql.DOCUMENTS_FOR_RMA, (rma_number,), "reading return documents"
        ).fetchall()
        return [DECODER.stored_document(rma_number, row) for row in rows]


def one(cursor: psycopg.Cursor[Any]) -> tuple[Any, ...]:
    """The one row a statement must answer."""
    row = cursor.fetchone()
    if row is None:
        raise AdapterError("PostgreSQL answered no row where one was expected")
    return tuple(row)


class Accounts(DiscountCodeRows, PartWatchesMixin):
    """The :class:`~orderstatus_core.ports.AccountStore` of one unit of work.

    In a write unit, ``get`` locks the account's row (``FOR UPDATE``), ``get_token`` the
    token's, and ``by_email``, ``add`` and a live account's ``save`` first take the
    advisory lock of the email key: a sign-up's "is it free? then add" and an email change
    are serialized with every other use of that address, whether or not an account holds
    it. ``use_token`` and ``count_token_try`` decide in one statement each.
    """

    def __init__(self, unit: PostgresUnitOfWork) -> None:
        self._unit = unit

    def _lock_email(self, email_key: str) -> None:
        unit = self._unit
        unit._run(_sql.LOCK_EMAIL, (unit.locks.account_email, email_key), "locking an address")

    def _write(self, sql: LiteralString, parameters: Any, doing: str) -> psycopg.Cursor[Any]:
        return self._unit._run(sql, parameters, doing, write=True)

    # --- accounts ---

    def add(self, account: Account) -> None:
        """Store a new account; a taken id or live email key raises :class:`ConflictError`
        (the transaction goes on)."""
        self._unit._require_writable()
        if account.is_live:
            self._lock_email(account.email_key)
        if self._write(_sql.ADD_ACCOUNT, AccountRow.of(account), "adding an account").rowcount != 1:
            raise ConflictError("an account with this id or a live one with this email is stored")

    def get(self, account_id: str) -> Account | None:
        """The account with this id, or ``None``; its row locked in a write unit."""
        unit = self._unit
        if not _worth_asking(unit, account_id):
            return None
        sql = _sql.GET_ACCOUNT_FOR_UPDATE if unit._write else _sql.GET_ACCOUNT
        row = unit._run(sql, (account_id,), "reading an account").fetchone()
        return None if row is None else DECODER.account(row)

    def by_email(self, email_key: str) -> Account | None:
        """The live account of this exact email key, or ``None``; in a write unit the key's
        lock is taken first (a new statement then reads what its last holder committed)."""
        unit = self._unit
        if not _worth_asking(unit, email_key):
            return None
        sql = _sql.ACCOUNT_BY_EMAIL
        if unit._write:
            self._lock_email(email_key)
            sql = _sql.ACCOUNT_BY_EMAIL_FOR_UPDATE
        row = unit._run(sql, (email_key,), "reading an account by email").fetchone()
        return None if row is None else DECODER.account(row)

    def save(self, account: Account) -> None:
        """Replace the stored account: compare-and-set on the version; a live account's
        key must be free of any other live account. :class:`ConflictError` otherwise."""
        self._unit._require_writable()
        row = AccountRow.of(account)
        if account.is_live:
            self._lock_email(account.email_key)
        parameters = (
            *row[1:],
            row.account_id,
            account.version - 1,
            row.state,
            row.email_key,
            row.account_id,
        )
        if self._write(_sql.SAVE_ACCOUNT, parameters, "saving an account").rowcount != 1:
            raise ConflictError(
                "the account changed since it was read, is not stored, or another live "
                "account holds its email; retry"
            )

    # --- tokens ---

    def put_token(self, token: AccountToken) -> None:
        """Store a new token; a taken selector raises :class:`ConflictError`."""
        if (
            self._write(_sql.PUT_TOKEN, TokenRow.of(token), "storing an account token").rowcount
            != 1
        ):
            raise ConflictError("an account token with this selector is stored")

    def get_token(self, selector: str) -> AccountToken | None:
        """The token with this selector, or ``None``; its row locked in a write unit."""
        unit = self._unit
        if not _worth_asking(unit, selector):
            return None
        sql = _sql.GET_TOKEN_FOR_UPDATE if unit._write else _sql.GET_TOKEN
        row = unit._run(sql, (selector,), "reading an account token").fetchone()
        return None if row is None else DECODER.account_token(row)

    def use_token(self, selector: str, at: datetime) -> bool:
        """Spend an unused token; whether this call spent it (one statement decides)."""
        if not _worth_asking(self._unit, selector, write=True):
            return False
        cursor = self._write(_sql.USE_TOKEN, (utc(at), selector), "spending an account token")
        return cursor.rowcount == 1

    def count_token_try(self, selector: str) -> int:
        """Count a try at the token; its tries so far (0 for an unknown selector)."""
        if not _worth_asking(self._unit, selector, write=True):
            return 0
        row = self._write(_sql.COUNT_TOKEN_TRY, (selector,), "counting a token try").fetchone()
        return 0 if row is None else int(row[0])

    def end_tokens(self, account_id: str, purposes: Collection[TokenPurpose], at: datetime) -> int:
        """Spend the account's unused tokens of ``purposes``, in one statement; how many."""
        names = sorted({TokenPurpose(purpose).value for purpose in purposes})
        if not names or not _worth_asking(self._unit, account_id, write=True):
            self._unit._require_writable()
            return 0
        parameters = (utc(at), account_id, names)
        return self._write(_sql.END_TOKENS, parameters, "ending account tokens").rowcount

    def purge_tokens(self, expired_before: datetime) -> int:
        """Delete the tokens expired strictly before ``expired_before``; how many."""
        return _purge(self._unit, _sql.PURGE_TOKENS, expired_before, "purging account tokens")

    # --- order links ---

    def link_order(self, link: OrderLink) -> bool:
        """Link the order unless it is linked already; whether it was linked now."""
        return self._write(_sql.LINK_ORDER, LinkRow.of(link), "linking an order").rowcount == 1

    def order_link(self, order_number: str) -> OrderLink | None:
        """The link of this order number, or ``None``."""
        unit = self._unit
        if not _worth_asking(unit, order_number):
            return None
        row = unit._run(_sql.ORDER_LINK, (order_number,), "reading an order link").fetchone()
        return None if row is None else DECODER.order_link(row)

    def _cursor(
        self, account_id: str, limit: int, after: SearchCursor | None
    ) -> dict[str, Any] | None:
        """The parameters an account's listing binds, or ``None`` if nothing can match."""
        number = "" if after is None else after.number
        if not _worth_asking(self._unit, account_id, number, limit=limit):
            return None
        return {
            "account_id": account_id,
            "after_at": "infinity" if after is None else utc(after.placed_at),
            "after_number": number,
            "limit": min(limit, _MAX_LIMIT),
        }

    def linked_orders(
        self, account_id: str, limit: int, after: SearchCursor | None = None
    ) -> Sequence[OrderHeader]:
        """The account's stored linked orders, newest first, strictly after ``after``."""
        parameters = self._cursor(account_id, limit, after)
        if parameters is None:
            return []
        doing = "listing an account's orders"
        rows = self._unit._run(_sql.LINKED_ORDERS, parameters, doing).fetchall()
        return DECODER.keyed_headers(rows)

    def search_linked(
        self,
        account_id: str,
        query: HistoryQuery,
        limit: int,
        after: SearchCursor | None = None,
    ) -> Sequence[OrderMatch]:
        """The account's linked orders with a line matching ``query``, as search() does."""
        parameters = self._cursor(account_id, limit, after)
        terms = search_terms(query)
        if parameters is None or not _rows.storable(terms.key):
            return []
        sql: LiteralString
        if terms.part_key is not None:
            sql = _sql.SEARCH_LINKED_PART
            parameters["part_key"] = terms.part_key
        elif terms.vehicle:
            sql = _sql.SEARCH_LINKED_VEHICLE
            parameters |= {"low": terms.low, "high": terms.high}
        else:
            sql = _sql.SEARCH_LINKED_CATEGORY
            parameters |= {"category_key": terms.category_key, "low": terms.low, "high": terms.high}
        rows = self._unit._run(sql, parameters, "searching an account's orders").fetchall()
        return DECODER.keyed_matches(fold(rows, limit, head=5))

    def unlinked_orders(self, email_key: str, limit: int) -> Sequence[OrderHeader]:
        """Up to ``limit`` orders of ``email_key`` that joined no account, newest first."""
        unit = self._unit
        if not _worth_asking(unit, email_key, limit=limit):
            return []
        parameters = (email_key, min(limit, _MAX_LIMIT))
        rows = unit._run(_sql.UNLINKED_ORDERS, parameters, "listing unlinked orders").fetchall()
        return DECODER.headers(rows, email_key)

    def verified_accounts(self, email_keys: Collection[str]) -> Mapping[str, str]:
        """The active account of each key that has one, in one statement (two in a write
        unit: the keys' locks first, in sorted order, as ``by_email`` takes one)."""
        unit = self._unit
        keys = sorted({key for key in email_keys if _rows.storable(key)})
        if not keys:
            unit._require_open()
            return {}
        sql = _sql.VERIFIED_ACCOUNTS
        if unit._write:
            unit._run(_sql.LOCK_EMAILS, (unit.locks.account_email, keys), "locking addresses")
            sql = _sql.VERIFIED_ACCOUNTS_FOR_SHARE
        doing = "reading the verified accounts of addresses"
        rows = unit._run(sql, (keys,), doing).fetchall()
        return {str(key): str(account_id) for key, account_id in rows}

    def preferred_language(self, email_key: str, order_number: str | None = None) -> str | None:
        """The language of the active account of the key, else of the order's; one read,
        no lock (not the ``FOR UPDATE`` of ``by_email``)."""
        unit = self._unit
        # A key or number no row can hold matches nothing: NULL in its place.
        parameters = tuple(
            part if _rows.storable(part) else None for part in (email_key, order_number)
        )
        if parameters == (None, None):
            unit._require_open()
            return None
        doing = "reading a mail's language"
        row = unit._run(_sql.PREFERRED_LANGUAGE, parameters, doing).fetchone()
        # One row always: the language, or NULL.
        return None if row is None or row[0] is None else str(row[0])

    def unlink_order(self, order_number: str) -> bool:
        """Remove the order's link; whether there was one."""
        if not _worth_asking(self._unit, order_number, write=True):
            return False
        return self._write(_sql.UNLINK_ORDER, (order_number,), "unlinking an order").rowcount == 1

    def unlink_all(self, account_id: str) -> int:
        """Remove every link of the account; how many."""
        if not _worth_asking(self._unit, account_id, write=True):
            return 0
        return self._write(_sql.UNLINK_ALL, (account_id,), "unlinking orders").rowcount

    # --- failed log-ins ---

    def failed_logins(self, failure_key: str) -> int:
        """The failed log-ins counted under ``failure_key``, 0 when none are."""
        unit = self._unit
        if not _worth_asking(unit, failure_key):
            return 0
        row = unit._run(_sql.FAILED_LOGINS, (failure_key,), "reading failed log-ins").fetchone()
        return 0 if row is None else int(row[0])

    def count_failed_login(self, failure_key: str, at: datetime) -> int:
        """Count one more failed log-in under ``failure_key`` (one upsert); the count."""
        if not _worth_asking(self._unit, failure_key, write=True):
            return 0
        parameters = (failure_key, utc(at))
        cursor = self._write(_sql.COUNT_FAILED_LOGIN, parameters, "counting a failed log-in")
        row = cursor.fetchone()
        assert row is not None  # an upsert's RETURNING always answers one row
        return int(row[0])

    def clear_failed_logins(self, failure_key: str) -> bool:
        """Forget the failed log-ins under ``failure_key``; whether there were any."""
        if not _worth_asking(self._unit, failure_key, write=True):
            return False
        cursor = self._write(_sql.CLEAR_FAILED_LOGINS, (failure_key,), "clearing failed log-ins")
        return bool(cursor.rowcount == 1)

    def forget_failed_logins(self, last_before: datetime, below: int) -> int:
        """Delete the counts below ``below`` last failed before ``last_before``; how many."""
        if not _worth_asking(self._unit, limit=below, write=True):
            return 0
        parameters = (utc(last_before), min(below, _MAX_LIMIT))
        return self._write(
            _sql.FORGET_FAILED_LOGINS, parameters, "forgetting failed log-ins"
        ).rowcount

    # --- the security log ---

    def record_event(self, event: SecurityEvent) -> None:
        """Append ``event`` to the security log."""
        self._write(_sql.RECORD_EVENT, EventRow.of(event), "recording a security event")

    def events(self, account_id: str, limit: int) -> Sequence[SecurityEvent]:
        """The account's newest ``limit`` events (ties: the last recorded first)."""
        unit = self._unit
        if not _worth_asking(unit, account_id, limit=limit):
            return []
        parameters = (account_id, min(limit, _MAX_LIMIT))
        rows = unit._run(_sql.EVENTS, parameters, "reading the security log").fetchall()
        return [DECODER.security_event(row) for row in rows]

    # --- the profile ---

    def put_address(self, saved: SavedAddress) -> None:
        """Store or replace the saved address; a second copy or a second default raises
        :class:`ConflictError` (asked first, so the transaction goes on; the unique
        indexes stay the last word)."""
        row = SavedAddressRow.of(saved)
        doing = "saving an address"
        taken = (row.account_id, row.address_id, row.address_key, row.is_default)
        if self._write(_sql.ADDRESS_TAKEN, taken, doing).fetchone() is not None:
            raise ConflictError(
                "the account keeps this address already, or another of its addresses is the default"
            )
        self._write(_sql.PUT_ADDRESS, row, doing)

    def saved_addresses(self, account_id: str) -> Sequence[SavedAddress]:
        """The account's saved addresses, oldest first."""
        unit = self._unit
        if not _worth_asking(unit, account_id):
            return []
        doing = "listing saved addresses"
        rows = unit._run(_sql.SAVED_ADDRESSES, (account_id,), doing).fetchall()
        return DECODER.saved_addresses(rows)

    def remove_address(self, account_id: str, address_id: str) -> bool:
        """Delete the account's address of this id; whether there was one."""
        if not _worth_asking(self._unit, account_id, address_id, write=True):
            return False
        parameters = (account_id, address_id)
        return self._write(_sql.REMOVE_ADDRESS, parameters, "removing an address").rowcount == 1

    def order_addresses(self, account_id: str, limit: int) -> Sequence[Address]:
        """The shipping addresses of the account's newest ``limit`` linked orders."""
        unit = self._unit
        if not _worth_asking(unit, account_id, limit=limit):
            return []
        parameters = (account_id, min(limit, _MAX_LIMIT))
        doing = "reading the addresses of an account's orders"
        rows = unit._run(_sql.ORDER_ADDRESSES, parameters, doing).fetchall()
        return DECODER.shipping_addresses(rows)

    def put_vehicle(self, vehicle: GarageVehicle) -> None:
        """Store or replace the vehicle in the account's garage."""
        self._write(_sql.PUT_VEHICLE, VehicleRow.of(vehicle), "saving a vehicle")

    def garage(self, account_id: str) -> Sequence[GarageVehicle]:
        """The account's vehicles, oldest first."""
        unit = self._unit
        if not _worth_asking(unit, account_id):
            return []
        rows = unit._run(_sql.GARAGE, (account_id,), "listing a garage").fetchall()
        return DECODER.garage(rows)

    def remove_vehicle(self, account_id: str, vehicle_id: str) -> bool:
        """Delete the account's vehicle of this id; whether there was one."""
        if not _worth_asking(self._unit, account_id, vehicle_id, write=True):
            return False
        parameters = (account_id, vehicle_id)
        return self._write(_sql.REMOVE_VEHICLE, parameters, "removing a vehicle").rowcount == 1

    def forget_profile(self, account_id: str) -> int:
        """Delete the account's saved addresses, vehicles and part watches; how many."""
        if not _worth_asking(self._unit, account_id, write=True):
            return 0
        doing = "deleting an account's profile"
        return sum(
            self._write(sql, (account_id,), doing).rowcount
            for sql in (_sql.FORGET_ADDRESSES, _sql.FORGET_VEHICLES, _sql.FORGET_SUBSCRIPTIONS)
        ) + self._forget_watches(account_id)

    # --- mail preferences ---

    def subscribe(self, subscription: MailSubscription) -> bool:
        """Store the subscription unless its topic has one; whether it was stored."""
        row = (subscription.account_id, subscription.topic, subscription.subscribed_at)
        return self._write(_sql.SUBSCRIBE, row, "subscribing to store mail").rowcount == 1

    def unsubscribe(self, account_id: str, topic: str) -> bool:
        """Delete the account's subscription to ``topic``; whether there was one."""
        if not _worth_asking(self._unit, account_id, topic, write=True):
            return False
        doing = "unsubscribing from store mail"
        return self._write(_sql.UNSUBSCRIBE, (account_id, topic), doing).rowcount == 1

    def mail_subscriptions(self, account_id: str) -> Sequence[MailSubscription]:
        """The account's subscriptions, by topic."""
        unit = self._unit
        if not _worth_asking(unit, account_id):
            return []
        doing = "listing mail subscriptions"
        rows = unit._run(_sql.MAIL_SUBSCRIPTIONS, (account_id,), doing).fetchall()
        return DECODER.mail_subscriptions(rows)

    def subscribers(self, topic: str, after: str | None, limit: int) -> Sequence[Account]:
        """A page of the topic's active subscribers, by account id."""
        unit = self._unit
        start = "" if after is None else after
        if not _worth_asking(unit, topic, start, limit=limit):
            return []
        parameters = (topic, start, min(limit, _MAX_LIMIT))
        doing = "listing a topic's subscribers"
        rows = unit._run(_sql.SUBSCRIBERS, parameters, doing).fetchall()
        return [DECODER.account(row) for row in rows]


class Sessions:
    """The :class:`~orderstatus_core.ports.SessionStore` of one unit of work: every method
    is one statement by the primary key (or by the account's index for ``end_all``)."""

    def __init__(self, unit: PostgresUnitOfWork) -> None:
        self._unit = unit

    def put(self, session: AccountSession) -> None:
        """Store a new session; a taken id hash raises :class:`ConflictError`."""
        row = SessionRow.of(session)
        if self._unit._run(_sql.PUT_SESSION, row, "storing a session", write=True).rowcount != 1:
            raise ConflictError("a session with this id is stored")

    def get(self, id_hash: str) -> AccountSession | None:
        """The session with this id hash, or ``None``."""
        unit = self._unit
        if not _worth_asking(unit, id_hash):
            return None
        row = unit._run(_sql.GET_SESSION, (id_hash,), "reading a session").fetchone()
        return None if row is None else DECODER.session(row)

    def open_sessions(self, account_id: str) -> list[AccountSession]:
        """The account's sessions not ended, oldest first: one read through the account's
        index of open sessions."""
        unit = self._unit
        if not _worth_asking(unit, account_id):
            return []
        doing = "listing an account's sessions"
        rows = unit._run(_sql.OPEN_SESSIONS, (account_id,), doing).fetchall()
        return oldest_first(DECODER.session(row) for row in rows)

    def get_with_account(self, id_hash: str) -> tuple[AccountSession, Account | None] | None:
        """The session with this id hash and its account, or ``None``: one statement, each
        row by its primary key."""
        unit = self._unit
        if not _worth_asking(unit, id_hash):
            return None
        doing = "reading a session with its account"
        row = unit._run(_sql.GET_SESSION_WITH_ACCOUNT, (id_hash,), doing).fetchone()
        return None if row is None else DECODER.session_with_account(row)

    def check(
        self,
        id_hash: str,
        now: datetime,
        *,
        idle_timeout: timedelta,
        touch_interval: timedelta,
    ) -> SessionCheck | None:
        """Whether the session logs its holder in at ``now``: one statement, each row by
        its primary key, deciding liveness and the touch on the stored instants
        (``timestamptz`` differences are exact intervals), so one instant is decoded."""
        moment = checked_moment(now, idle_timeout, touch_interval)
        unit = self._unit
        if not _worth_asking(unit, id_hash):
            return None
        parameters: dict[str, object] = {
            "now": moment,
            "idle": idle_timeout,
            "touch": touch_interval,
            "id_hash": id_hash,
        }
        row = unit._run(_sql.SESSION_CHECK, parameters, "checking a session").fetchone()
        return None if row is None else DECODER.session_check(row)

    def _changed(self, sql: LiteralString, parameters: Any, key: object, doing: str) -> int:
        if not _worth_asking(self._unit, key, write=True):
            return 0
        return self._unit._run(sql, parameters, doing, write=True).rowcount

    def touch(self, id_hash: str, at: datetime) -> bool:
        """Record the session seen at ``at``; whether it changed."""
        moment = utc(at)
        parameters = (moment, id_hash, moment)
        return self._changed(_sql.TOUCH_SESSION, parameters, id_hash, "touching a session") == 1

    def end(self, id_hash: str, at: datetime) -> bool:
        """End the session at ``at``; whether this call ended it."""
        parameters = (utc(at), id_hash)
        return self._changed(_sql.END_SESSION, parameters, id_hash, "ending a session") == 1

    def end_all(self, account_id: str, at: datetime, *, keep: str | None = None) -> int:
        """End the account's sessions but ``keep``; how many."""
        kept = keep if keep is not None and _rows.storable(keep) else ""
        parameters = (utc(at), account_id, kept)
        return self._changed(_sql.END_SESSIONS, parameters, account_id, "ending sessions")

    def purge(self, expired_before: datetime, idle_before: datetime) -> int:
        """Delete the sessions that can never be live again; how many."""
        expired = utc(expired_before)
        parameters = (expired, expired, utc(idle_before))
        return self._unit._run(
            _sql.PURGE_SESSIONS, parameters, "purging sessions", write=True
        ).rowcount


class Captchas:
    """The :class:`~orderstatus_core.ports.CaptchaStore` of one unit of work. ``consume``
    is one ``UPDATE ... RETURNING``: of units racing for one challenge, the second waits
    for the first's row lock, then finds it used and gets no row."""

    def __init__(self, unit: PostgresUnitOfWork) -> None:
        self._unit = unit

    def put(self, captcha: StoredCaptcha) -> None:
        """Store a new challenge; a taken id raises :class:`ConflictError`."""
        row = CaptchaRow.of(captcha)
        doing = "storing a captcha challenge"
        if self._unit._run(_sql.PUT_CAPTCHA, row, doing, write=True).rowcount != 1:
            raise ConflictError("a captcha challenge with this id is stored")

    def consume(self, challenge_id: str, now: datetime) -> StoredCaptcha | None:
        """Take an open challenge for its one answer; ``None`` if there is none."""
        unit = self._unit
        if not _worth_asking(unit, challenge_id, write=True):
            return None
        moment = utc(now)
        doing = "consuming a captcha challenge"
        row = unit._run(
            _sql.CONSUME_CAPTCHA, (moment, challenge_id, moment), doing, write=True
        ).fetchone()
        return None if row is None else DECODER.captcha(row)

    def purge(self, expired_before: datetime) -> int:
        """Delete the challenges expired strictly before ``expired_before``; how many."""
        return _purge(self._unit, _sql.PURGE_CAPTCHAS, expired_before, "purging captchas")
