"""The PostgreSQL storage adapter: psycopg 3 with a psycopg_pool connection pool.

It behaves like the reference :class:`orderstatus_memory.MemoryStorage` (same answers,
same ordering, same errors) and keeps SECURITY G1-G4 the way PostgreSQL does it.

**Connections.** One :class:`psycopg_pool.ConnectionPool` per storage, opened by
:meth:`PostgresStorage.from_url` (which fails within ``connect_timeout`` seconds, naming
the URL without its password, when the server is unreachable). A unit of work takes a
connection from the pool when it is entered and gives it back when it is left, always
outside a transaction: between commands no connection is ``idle in transaction``. Every
session runs with ``TimeZone=UTC`` and, with ``?schema=``, that schema alone on its
``search_path``.

**Read units** (``write=False``) run each read as one statement in autocommit: one
statement is one transaction, at READ COMMITTED, and costs one round trip, with no
``BEGIN`` or ``COMMIT`` around it. Every read method of the ports is exactly one statement
(``get`` reads the order, its lines and its packages in one), so each answer is
consistent in itself. Two reads of one read unit may see different commits; a command that
must act on several reads that agree uses a write unit. Writes are refused with
:class:`AdapterError` before anything is sent.

**Write units** (``write=True``) are one READ COMMITTED transaction: the unit takes its
connection out of autocommit, and psycopg sends ``BEGIN`` together with the first
statement, in the same round trip. Read-then-write is made safe by locks taken as the
unit reads, so that the normal paths never need a retry:

* ``orders.get`` first takes a transaction-level advisory lock on the order number, then
  reads (two statements: the read must start after the wait to see the last commit). Every
  command's read-modify-save of one order is therefore serialized; the second waits for the
  first to commit and then reads its result. The lock exists whether or not the order
  does, so "add it if it is absent" is safe too.
* ``save`` is a compare-and-set on ``orders.version`` (SECURITY G2), which also protects
  a save built from a read in another unit: it changes no row and raises
  :class:`ConflictError` with nothing written.
* ``passes.latest_challenge`` takes the same order lock and ``passes.get_challenge``
  locks the challenge row (``FOR UPDATE``): a code and a link racing for one challenge are
  serialized. ``idempotency.get`` takes an advisory lock on the key, so that a concurrent
  duplicate waits for the first and replays its reply.
* ``credit.append`` takes an advisory lock on the holder's balance in the entry's currency
  before it reads that balance, then checks and inserts in one statement (``ON CONFLICT
  (entry_id) DO NOTHING`` keeps it idempotent): two spends of one balance never both
  succeed (SECURITY G2), the second waits and sees the first.
* ``outbox.claim`` is one ``UPDATE`` of rows picked ``FOR UPDATE SKIP LOCKED``: relay
  workers running at once never take the same message and never wait for each other.

A command waits at most ``lock_timeout`` (30 s unless the URL says otherwise) for another
command's lock. That wait running out (55P03), a deadlock (40P01: two units taking the
locks of two orders in opposite order) or a serialization failure (40001) aborts the
transaction, and only the whole command can be run again: each reaches the caller as
:class:`ConflictError` ("retry the command"), like every other lost race. A read unit's
statement is its own transaction, so the adapter runs again one that fails with 40001 or
40P01 (bounded, :data:`READ_RETRIES`).

**Faults.** A unit never starts on a connection the server has already ended: taking one
from the pool checks, without a round trip, that nothing arrived on its idle socket (a
terminated backend says goodbye before it closes), and replaces it otherwise. A connection
lost *during* a command fails that command with :class:`AdapterError` naming the URL; the
statement is never sent again. PostgreSQL rolls back what the lost connection had not
committed, so nothing partial remains, and the pool opens a new connection for the next
command. (If the connection is lost during ``COMMIT`` itself, PostgreSQL cannot say whether
it committed; the error says so.) Any other failure inside a write unit aborts its
transaction (PostgreSQL's rule): further statements and ``commit`` are refused with
:class:`AdapterError`, the commit rolling back, after which the unit goes on afresh.
Duplicates are not failures: ``add``, ``put_challenge`` and ``put_pass`` use ``ON CONFLICT
DO NOTHING`` and raise :class:`DuplicateOrderError` or :class:`ConflictError` with the
transaction intact, as the port lets a unit go on.
"""

from __future__ import annotations

import re
import select
import threading
import time
from collections.abc import Sequence
from datetime import datetime
from types import TracebackType
from typing import Any, Final, LiteralString, Self
from urllib.parse import parse_qs, quote, unquote, urlsplit

import attrs
import psycopg
import psycopg_pool
from psycopg import errors as pg_errors
from psycopg import sql as pg_sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.pq import TransactionStatus
from psycopg.types.json import Jsonb

from orderstatus_core import (
    AdapterError,
    CategoryQuery,
    ConflictError,
    DuplicateOrderError,
    GuestPass,
    InsufficientCreditError,
    InvalidFieldError,
    InvalidUrlError,
    Money,
    Order,
    OrderHeader,
    OrderMatch,
    OutboxMessage,
    PartNumberQuery,
    PassChallenge,
    SchemaVersionError,
    SearchCursor,
    TransientConflictError,
)
from orderstatus_core.errors import OrderStatusError
from orderstatus_core.labels import StoredDocument
from orderstatus_core.messages import without_secrets
from orderstatus_core.model import EmailAddress, restore
from orderstatus_core.model.identifiers import CATEGORY_SEPARATOR
from orderstatus_core.model.order import utc
from orderstatus_core.records import CreditEntry, IdempotentReply, SearchQuery
from orderstatus_core.serialization import dump_intent
from orderstatus_postgres import _rows, _sql
from orderstatus_postgres.migrations import (
    MIGRATION_LOCK,
    MIGRATIONS,
    SCHEMA_VERSION,
    VERSION_TABLE,
)

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_LOCK_TIMEOUT_MS",
    "DEFAULT_POOL_MAX",
    "DEFAULT_POOL_MIN",
    "DEFAULT_POOL_TIMEOUT",
    "READ_RETRIES",
    "PostgresStorage",
    "PostgresUnitOfWork",
]

#: Connections the pool keeps open even when idle.
DEFAULT_POOL_MIN: Final = 1
#: Connections the pool opens at most: the most units of work open at once.
DEFAULT_POOL_MAX: Final = 10
#: Seconds a unit of work waits for a free connection before :class:`AdapterError`.
DEFAULT_POOL_TIMEOUT: Final = 30.0
#: Seconds to wait for the server when connecting.
DEFAULT_CONNECT_TIMEOUT: Final = 5
#: Milliseconds a statement waits for a lock (another command's order, key or row) before
#: the command fails with ConflictError; 0 waits for ever.
DEFAULT_LOCK_TIMEOUT_MS: Final = 30_000
#: How many more times a read statement runs after a serialization failure or deadlock.
READ_RETRIES: Final = 3
_RETRY_PAUSE = 0.01  # seconds, doubled after each retry

# Namespaces (the first key) of the two-key advisory locks: "OST\x01", "OST\x02".
_ORDER_LOCK: Final = 0x4F535401
_REPLY_LOCK: Final = 0x4F535402
_CREDIT_LOCK: Final = 0x4F535403
# Larger Python ints would not bind as bigint.
_MAX_LIMIT: Final = 2**62
_SCHEMA_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
_LOST_CONNECTION = (psycopg.OperationalError, psycopg.InterfaceError)
_RACE_STATES: Final = frozenset({"40001", "40P01"})
_URL_OPTIONS: Final = frozenset(
    {
        "schema",
        "pool_min",
        "pool_max",
        "pool_timeout",
        "connect_timeout",
        "lock_timeout",
        "application_name",
        "sslmode",
        "prepare_threshold",
    }
)
_SSL_MODES: Final = frozenset({"disable", "allow", "prefer", "require", "verify-ca", "verify-full"})


# --- errors ----------------------------------------------------------------------------------


def _is_race(error: BaseException) -> bool:
    return isinstance(error, psycopg.Error) and error.sqlstate in _RACE_STATES


def _translate(error: BaseException, doing: str, url: str) -> OrderStatusError:
    """The library error for a psycopg failure while ``doing`` something.

    Lost races (deadlock, serialization failure, lock timeout) are :class:`ConflictError`:
    the command can be run again. A lost connection and anything else is
    :class:`AdapterError`, naming the storage's URL (never its password).
    """
    if isinstance(error, OrderStatusError):
        return error
    state = getattr(error, "sqlstate", None)
    if state in _RACE_STATES or isinstance(error, pg_errors.LockNotAvailable):
        reason = {"40P01": "a deadlock", "55P03": "a lock held too long by another command"}.get(
            str(state), "a concurrent change"
        )
        return TransientConflictError(
            f"PostgreSQL ended the transaction while {doing} because of {reason} "
            f"({state}); nothing was committed: retry the command"
        )
    if isinstance(error, psycopg_pool.PoolTimeout):
        return AdapterError(f"no free PostgreSQL connection for {url} while {doing}: {error}")
    if isinstance(error, psycopg_pool.PoolClosed):
        return AdapterError("the storage is closed")
    if isinstance(error, _LOST_CONNECTION):
        return AdapterError(
            f"the PostgreSQL connection to {url} failed while {doing}: "
            f"{type(error).__name__}: {_first_line(error)}"
        )
    return AdapterError(
        f"PostgreSQL ({url}) failed while {doing}: {type(error).__name__}: {_first_line(error)}"
    )


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else "no details"


def _connection_lost(connection: psycopg.Connection[Any]) -> bool:
    return connection.closed or connection.broken


def _alive(connection: psycopg.Connection[Any]) -> bool:
    """Whether an idle pooled connection may be used, without a round trip.

    An idle connection of ours receives nothing unasked (no LISTEN, no SET): if its socket
    is readable, the server has sent its goodbye (the FATAL of a terminated backend) or
    closed it. One ``poll`` call, no message to the server. (A server that pushes a notice
    or a parameter change to idle sessions costs at worst one healthy connection, replaced.)
    """
    if _connection_lost(connection):
        return False
    try:
        fd = connection.fileno()
        if hasattr(select, "poll"):  # any descriptor number (select() stops at 1024)
            poller = select.poll()
            poller.register(fd, select.POLLIN)
            return not poller.poll(0)
        readable, _w, _x = select.select([fd], [], [], 0)
    except (OSError, ValueError, psycopg.Error):
        return False
    return not readable


# --- the repositories ----------------------------------------------------------------------


class _Orders:
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
        if not _rows.storable(contact):
            self._unit._require_open()
            return None
        return self._read(number, _sql.GET_ORDER_FOR_CONTACT, (number, contact, contact))

    def _read(self, number: str, sql: str, parameters: tuple[object, ...]) -> Order | None:
        unit = self._unit
        if not _rows.storable(number):
            unit._require_open()
            return None
        if unit._write:
            unit._run(_sql.LOCK_KEY, (_ORDER_LOCK, number), "locking an order")
        row = unit._run(sql, parameters, "reading an order").fetchone()
        if row is None:
            return None
        return _rows.order(number, row)

    def add(self, order: Order) -> None:
        """Store a new order and all its rows in one statement; :class:`DuplicateOrderError`
        if its number is taken (the transaction goes on)."""
        parameters = _rows.order_parameters(order) | _rows.children_parameters(order)
        cursor = self._unit._run(
            _sql.ADD_ORDER, parameters, f"adding order {order.number}", write=True
        )
        (added,) = _one(cursor)
        if added != 1:
            raise DuplicateOrderError(order.number)

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
        (saved,) = _one(unit._run(_sql.SAVE_ORDER, parameters, f"saving order {number}", True))
        if saved != 1:
            raise ConflictError(
                f"order {number} changed since it was read (or is not stored); retry"
            )
        children = _rows.children_parameters(order)
        children["number"] = number
        unit._run(_sql.INSERT_CHILDREN, children, f"saving order {number}", write=True)

    def recent(self, email_key: str, limit: int) -> Sequence[OrderHeader]:
        """Up to ``limit`` orders of ``email_key``, newest first (ties: number descending)."""
        unit = self._unit
        if not _rows.storable(email_key) or limit <= 0:
            unit._require_open()
            return []
        rows = unit._run(
            _sql.RECENT, (email_key, min(limit, _MAX_LIMIT)), "listing recent orders"
        ).fetchall()
        return [
            OrderHeader(
                number=number,
                placed_at=placed_at,
                email=restore(EmailAddress, email, email_key),
            )
            for number, placed_at, email in rows
        ]

    def search(
        self,
        email_key: str,
        query: SearchQuery,
        limit: int,
        after: SearchCursor | None = None,
    ) -> Sequence[OrderMatch]:
        """Orders of ``email_key`` with a line matching ``query``, newest first.

        At most ``limit`` orders, each with all its matching lines, strictly after
        ``after`` in newest-first order.
        """
        unit = self._unit
        if not _rows.storable(email_key) or limit <= 0:
            unit._require_open()
            return []
        parameters: dict[str, Any] = {
            "email_key": email_key,
            "after_at": "infinity" if after is None else utc(after.placed_at),
            "after_number": "" if after is None else after.number,
            "limit": min(limit, _MAX_LIMIT),
        }
        sql: LiteralString
        if isinstance(query, PartNumberQuery):
            sql = _sql.SEARCH_PART
            parameters["part_key"] = query.part_number.canonical
        elif isinstance(query, CategoryQuery):
            key = query.category.key
            sql = _sql.SEARCH_CATEGORY
            parameters |= {
                "category_key": key,
                "low": key + CATEGORY_SEPARATOR,
                "high": key + "\x20",
            }
        else:
            raise InvalidFieldError("query", f"unknown search query {type(query).__name__}")
        if not all(_rows.storable(value) for value in parameters.values() if type(value) is str):
            return []
        rows = unit._run(sql, parameters, "searching orders").fetchall()
        groups: dict[str, tuple[Sequence[Any], list[Sequence[Any]]]] = {}
        for row in rows:
            group = groups.get(row[0])
            if group is None:
                groups[row[0]] = (row, [row[4:]])
            else:
                group[1].append(row[4:])
        # Newest first: (placed_at, number) descending, numbers by code point like "C".
        heads = sorted(groups.values(), key=lambda group: (group[0][1], group[0][0]), reverse=True)
        return [_rows.match(head, lines, email_key) for head, lines in heads]


class _Outbox:
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
        if limit <= 0:
            unit._require_open()
            return []
        rows = unit._run(
            _sql.DUE, (utc(now), min(limit, _MAX_LIMIT)), "reading due outbox messages"
        ).fetchall()
        return [_rows.message(row) for row in rows]

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
        messages = [_rows.message(row) for row in rows]
        messages.sort(key=lambda m: (m.created_at, m.message_id))
        return messages

    def get(self, message_id: str) -> OutboxMessage | None:
        """The message with this id, sent or not, or ``None``."""
        unit = self._unit
        if not _rows.storable(message_id):
            unit._require_open()
            return None
        row = unit._run(_sql.GET_MESSAGE, (message_id,), "reading an outbox message").fetchone()
        return None if row is None else _rows.message(row)

    def mark_sent(self, message_id: str, at: datetime) -> None:
        """Record delivery and drop the message's secrets in the same write; the message is
        never due again. Unknown ids are ignored."""
        unit = self._unit
        if not _rows.storable(message_id):
            unit._require_writable()
            return
        doing = "marking an outbox message sent"
        row = unit._run(_sql.PAYLOAD_FOR_UPDATE, (message_id,), doing, write=True).fetchone()
        if row is None:
            return
        redacted = Jsonb(dump_intent(without_secrets(_rows.intent(message_id, row[0]))))
        unit._run(_sql.MARK_SENT, (utc(at), redacted, message_id), doing, write=True)

    def mark_failed(self, message_id: str, error: str, retry_at: datetime) -> None:
        """Count a failed attempt and make the message due again at ``retry_at``.

        ``error`` is kept as text PostgreSQL can store: a NUL becomes U+FFFD and a lone
        surrogate ``?`` (it is a diagnostic, not data).
        """
        unit = self._unit
        if not _rows.storable(message_id):
            unit._require_writable()
            return
        unit._run(
            _sql.MARK_FAILED,
            (utc(retry_at), _rows.plain_text(error), message_id),
            "marking an outbox message failed",
            write=True,
        )

    def pending_count(self) -> int:
        """How many messages are not yet sent."""
        (count,) = _one(self._unit._run(_sql.PENDING_COUNT, None, "counting pending messages"))
        return int(count)

    def purge_sent(self, sent_before: datetime) -> int:
        """Delete the messages sent strictly before ``sent_before``; how many."""
        return _purge(self._unit, _sql.PURGE_SENT, sent_before, "purging sent messages")


def _purge(unit: PostgresUnitOfWork, sql: LiteralString, before: datetime, doing: str) -> int:
    return unit._run(sql, (utc(before),), doing, write=True).rowcount


class _Passes:
    """The :class:`~orderstatus_core.GuestPassStore` of one unit of work."""

    def __init__(self, unit: PostgresUnitOfWork) -> None:
        self._unit = unit

    def put_challenge(self, challenge: PassChallenge) -> None:
        """Store a new challenge; a stored selector raises :class:`ConflictError`."""
        cursor = self._unit._run(
            _sql.PUT_CHALLENGE,
            _rows.challenge_row(challenge),
            "storing a guest-pass challenge",
            write=True,
        )
        if cursor.rowcount != 1:
            raise ConflictError("a guest-pass challenge with this selector is stored")

    def get_challenge(self, selector: str) -> PassChallenge | None:
        """The challenge with this selector, or ``None``; locked in a write unit."""
        unit = self._unit
        if not _rows.storable(selector):
            unit._require_open()
            return None
        sql = _sql.GET_CHALLENGE_FOR_UPDATE if unit._write else _sql.GET_CHALLENGE
        row = unit._run(sql, (selector,), "reading a guest-pass challenge").fetchone()
        return None if row is None else _rows.challenge(row)

    def save_challenge(self, challenge: PassChallenge) -> None:
        """Replace the stored challenge; an unknown selector raises :class:`ConflictError`."""
        selector, *fields = _rows.challenge_row(challenge)
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
        if not _rows.storable(order_number):
            unit._require_open()
            return None
        if unit._write:
            unit._run(_sql.LOCK_KEY, (_ORDER_LOCK, order_number), "locking an order")
            sql = _sql.LATEST_CHALLENGE_FOR_UPDATE
        else:
            sql = _sql.LATEST_CHALLENGE
        row = unit._run(sql, (order_number,), "reading a guest-pass challenge").fetchone()
        return None if row is None else _rows.challenge(row)

    def record_try(self, order_number: str, selector: str, at: datetime) -> int:
        """Record a try against the challenge; how many it has had, this one included."""
        unit = self._unit
        if not (_rows.storable(order_number) and _rows.storable(selector)):
            unit._require_writable()
            return 1  # no stored number holds such text: this try is its only one
        key = (order_number, selector)
        unit._run(_sql.RECORD_TRY, (*key, at), "recording a guest-pass try", write=True)
        cursor = unit._run(_sql.COUNT_TRIES, key, "counting guest-pass tries")
        (count,) = _one(cursor)
        return int(count)

    def put_pass(self, guest_pass: GuestPass) -> None:
        """Store a new pass; a stored selector raises :class:`ConflictError`."""
        row = (
            guest_pass.selector,
            guest_pass.validator_hash,
            guest_pass.order_number,
            guest_pass.issued_at,
            guest_pass.expires_at,
        )
        cursor = self._unit._run(_sql.INSERT_INTO_PASSES, row, "storing a guest pass", write=True)
        if cursor.rowcount != 1:
            raise ConflictError("a guest pass with this selector is stored")

    def get_pass(self, selector: str) -> GuestPass | None:
        """The pass with this selector, or ``None``."""
        unit = self._unit
        if not _rows.storable(selector):
            unit._require_open()
            return None
        row = unit._run(_sql.SELECT_FROM_PASSES, (selector,), "reading a guest pass").fetchone()
        return None if row is None else _rows.guest_pass(row)

    def purge_challenges(self, expired_before: datetime) -> int:
        """Delete the challenges expired strictly before ``expired_before``; how many."""
        purged = _purge(self._unit, _sql.PURGE_CHALLENGES, expired_before, "purging challenges")
        _purge(self._unit, _sql.PURGE_TRIES, expired_before, "purging guest-pass tries")
        return purged

    def purge_passes(self, expired_before: datetime) -> int:
        """Delete the passes expired strictly before ``expired_before``; how many."""
        return _purge(self._unit, _sql.PURGE_PASSES, expired_before, "purging guest passes")


class _Replies:
    """The :class:`~orderstatus_core.ports.IdempotencyStore` of one unit of work."""

    def __init__(self, unit: PostgresUnitOfWork) -> None:
        self._unit = unit

    def get(self, key: str) -> IdempotentReply | None:
        """The reply stored under ``key``, or ``None``. A write unit first locks the key,
        so a concurrent duplicate of a command waits for the first and replays it."""
        unit = self._unit
        if not _rows.storable(key):
            unit._require_open()
            return None
        if unit._write:
            unit._run(_sql.LOCK_KEY, (_REPLY_LOCK, key), "locking an idempotency key")
        row = unit._run(_sql.GET_REPLY, (key,), "reading an idempotent reply").fetchone()
        return None if row is None else _rows.reply(row)

    def put(self, reply: IdempotentReply) -> None:
        """Store ``reply``, replacing an older one under the same key."""
        row = (reply.key, reply.fingerprint, reply.reply, utc(reply.created_at))
        self._unit._run(_sql.PUT_REPLY, row, "storing an idempotent reply", write=True)

    def purge(self, created_before: datetime) -> int:
        """Delete the replies created strictly before ``created_before``; how many."""
        return _purge(self._unit, _sql.PURGE_REPLIES, created_before, "purging replies")


class _Credit:
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
            (_CREDIT_LOCK, f"{entry.holder}\x1f{amount.currency}"),
            "locking a store-credit balance",
        )
        stored, total, appended = _one(
            unit._run(_sql.APPEND_CREDIT, parameters, "appending a store-credit entry", True)
        )
        if appended:
            return True
        if stored:
            return False
        balance = restore(Money, total, amount.currency)
        if (balance + amount).is_negative:
            raise InsufficientCreditError(str(balance), str(Money.zero(amount.currency) - amount))
        # The id was appended at the same moment for another balance, and committed first.
        return False

    def balance(self, holder: str, currency: str) -> Money:
        """The sum of the holder's entries in ``currency``; zero when there are none. A write
        unit first takes the balance's advisory lock, as :meth:`append` does."""
        unit = self._unit
        if not _rows.storable(holder) or not _rows.storable(currency):
            unit._require_open()
            return Money.zero(currency)
        if unit._write:  # the lock append takes: a spend reads its time after the wait
            unit._run(_sql.LOCK_KEY, (_CREDIT_LOCK, f"{holder}\x1f{currency}"), "locking a balance")
        (total,) = _one(
            unit._run(_sql.CREDIT_BALANCE, (holder, currency), "reading a store-credit balance")
        )
        return restore(Money, total, currency)

    def entries(self, holder: str, limit: int) -> Sequence[CreditEntry]:
        """The holder's ``limit`` newest entries (ties: entry id descending)."""
        unit = self._unit
        if not _rows.storable(holder) or limit <= 0:
            unit._require_open()
            return []
        rows = unit._run(
            _sql.CREDIT_ENTRIES, (holder, min(limit, _MAX_LIMIT)), "listing store-credit entries"
        ).fetchall()
        return [_rows.credit_entry(row) for row in rows]


class _Documents:
    """The :class:`~orderstatus_core.ports.ReturnDocumentStore` of one unit of work."""

    def __init__(self, unit: PostgresUnitOfWork) -> None:
        self._unit = unit

    def put(self, stored: StoredDocument) -> None:
        """Keep ``stored``, replacing the RMA's document of the same filename in place."""
        unit = self._unit
        unit._require_writable()
        row = _rows.document_row(stored)
        if not all(_rows.storable(value) for value in row[:5]):
            raise AdapterError("a return document's names must not contain NUL or lone surrogates")
        unit._run(_sql.PUT_DOCUMENT, row, "keeping a return document", write=True)

    def for_rma(self, rma_number: str) -> Sequence[StoredDocument]:
        """The RMA's documents in the order they were first put."""
        unit = self._unit
        if not _rows.storable(rma_number):
            unit._require_open()
            return []
        rows = unit._run(
            _sql.DOCUMENTS_FOR_RMA, (rma_number,), "reading return documents"
        ).fetchall()
        return [_rows.stored_document(rma_number, row) for row in rows]


def _one(cursor: psycopg.Cursor[Any]) -> tuple[Any, ...]:
    row = cursor.fetchone()
    if row is None:
        raise AdapterError("PostgreSQL answered no row where one was expected")
    return tuple(row)


# --- the unit of work ---------------------------------------------------------------------


class PostgresUnitOfWork:
    """One command's work on one pooled connection; see :class:`orderstatus_core.UnitOfWork`.

    A read unit runs each statement in autocommit (one statement, one transaction); a
    write unit is one READ COMMITTED transaction from its first statement to
    :meth:`commit` or :meth:`rollback`, after which the unit stays usable and its next
    statement begins a new transaction. Leaving the block rolls back whatever is
    uncommitted and gives the connection back to the pool, idle.
    """

    def __init__(self, storage: PostgresStorage, write: bool) -> None:
        self._storage = storage
        self._write = write
        self._connection: psycopg.Connection[Any] | None = None
        self._open = False
        self._aborted = False
        self.orders = _Orders(self)
        self.outbox = _Outbox(self)
        self.passes = _Passes(self)
        self.idempotency = _Replies(self)
        self.credit = _Credit(self)
        self.documents = _Documents(self)

    def __enter__(self) -> Self:
        if self._open:
            raise AdapterError("this unit of work is already open")
        storage = self._storage
        self._connection = storage._checkout(write=self._write)
        self._open, self._aborted = True, False
        try:
            storage._check_schema(self)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    # --- running statements ---

    def _require_open(self) -> psycopg.Connection[Any]:
        connection = self._connection
        if not self._open or connection is None:
            raise AdapterError("the unit of work is not open")
        return connection

    def _require_writable(self) -> None:
        self._require_open()
        if not self._write:
            raise AdapterError("this unit of work was opened read-only (write=False)")

    def _run(
        self, sql: LiteralString, parameters: Any, doing: str, write: bool = False
    ) -> psycopg.Cursor[Any]:
        """Run one statement of this unit, in its transaction if it writes; the cursor.

        A read unit's statement that lost a race (40001, 40P01) is run again, at most
        READ_RETRIES times; nothing else is ever sent twice.
        """
        if write:
            self._require_writable()
        connection = self._require_open()
        if not self._write and _connection_lost(connection):
            # A read unit holds no transaction: its next read may simply use a new connection.
            connection = self._replace_connection()
        if self._aborted:
            raise AdapterError(
                "an earlier statement of this unit failed and PostgreSQL aborted its "
                "transaction; roll back (or leave the unit) and retry the command"
            )
        races = 0
        while True:
            try:
                # In a write unit psycopg sends BEGIN with the first statement of each
                # transaction (the connection is out of autocommit), in the same round trip.
                cursor = connection.execute(sql, parameters)
            except psycopg.Error as error:
                if _connection_lost(connection):
                    self._aborted = self._write
                elif not self._write and _is_race(error) and races < READ_RETRIES:
                    # A read unit's statement is a transaction of its own: run it again.
                    races += 1
                    time.sleep(_RETRY_PAUSE * 2 ** (races - 1))
                    continue
                elif self._write:
                    # PostgreSQL aborted the transaction: nothing more can be done in it.
                    self._aborted = True
                raise _translate(error, doing, self._storage.url) from error
            return cursor

    def _replace_connection(self) -> psycopg.Connection[Any]:
        old = self._connection
        self._connection = None
        if old is not None:
            self._storage._checkin(old)
        connection = self._storage._checkout(write=self._write)
        self._connection = connection
        return connection

    # --- the transaction ---

    def commit(self) -> None:
        """Make every write of this unit visible at once.

        Refused with :class:`AdapterError` on a read-only unit, and after a statement of
        this unit failed, in which case the unit rolls back. If the connection is lost
        during ``COMMIT`` itself, PostgreSQL cannot say whether it committed: the error
        says so.
        """
        connection = self._require_open()
        if not self._write:
            raise AdapterError("this unit of work was opened read-only (write=False)")
        if self._aborted:
            self.rollback()
            raise AdapterError(
                "an earlier statement of this unit failed; everything was rolled back"
            )
        if connection.info.transaction_status == TransactionStatus.IDLE:
            return  # nothing written since the last commit
        try:
            connection.commit()
        except psycopg.Error as error:
            if _connection_lost(connection):
                self._aborted = True
                raise AdapterError(
                    f"the PostgreSQL connection to {self._storage.url} failed while "
                    "committing: the transaction was most likely rolled back, but "
                    f"PostgreSQL could not confirm it ({_first_line(error)})"
                ) from error
            raise _translate(error, "committing", self._storage.url) from error

    def rollback(self) -> None:
        """Forget every uncommitted write of this unit (nothing to forget in a read unit).

        On a lost connection there is nothing to send: PostgreSQL has already rolled the
        transaction back, and the unit goes on with a new connection.
        """
        connection = self._require_open()
        if not self._write:
            return
        self._aborted = False
        if not _connection_lost(connection):
            try:
                connection.rollback()
            except psycopg.Error as error:
                if not _connection_lost(connection):
                    raise _translate(error, "rolling back", self._storage.url) from error
            else:
                return
        self._replace_connection()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        connection = self._connection
        if not self._open or connection is None:
            return
        self._open = False
        self._connection = None
        self._aborted = False
        failure: psycopg.Error | None = None
        if (
            not _connection_lost(connection)
            and connection.info.transaction_status != TransactionStatus.IDLE
        ):
            try:
                connection.rollback()
            except psycopg.Error as error:
                failure = error
        self._storage._checkin(connection)
        # A lost connection took its transaction with it: nothing to report.
        if failure is not None and exc is None and not _connection_lost(connection):
            raise _translate(failure, "ending a unit of work", self._storage.url) from failure


# --- opening by URL ------------------------------------------------------------------------


@attrs.frozen
class _Settings:
    conninfo: str = attrs.field(repr=False)
    url: str
    schema: str | None
    pool_min: int
    pool_max: int
    pool_timeout: float
    connect_timeout: int
    lock_timeout_ms: int
    application_name: str
    prepare_threshold: int | None


def _number(options: dict[str, list[str]], name: str, default: int, low: int, high: int) -> int:
    if name not in options:
        return default
    text = options[name][-1]
    if not text.isdigit() or len(text) > 7 or not low <= int(text) <= high:
        raise InvalidUrlError(f"{name} must be a whole number from {low} to {high}")
    return int(text)


def _parse_url(url: str) -> _Settings:
    """Split ``postgresql://user[:password]@host[:port]/db[?options]`` into libpq settings
    and the storage's own; see :meth:`PostgresStorage.from_url`."""
    if not isinstance(url, str):
        raise InvalidUrlError("a PostgreSQL URL must be text")
    scheme, separator, _rest = url.partition("://")
    if not separator or scheme.lower() not in ("postgresql", "postgres"):
        raise InvalidUrlError("a PostgreSQL URL looks like postgresql://user@host:5432/db")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise InvalidUrlError(f"not a valid PostgreSQL URL: {error}") from None
    if parts.fragment:
        raise InvalidUrlError("a PostgreSQL URL has no #fragment")
    database = unquote(parts.path[1:]) if parts.path.startswith("/") else unquote(parts.path)
    if "/" in database:
        raise InvalidUrlError("a PostgreSQL URL names one database: postgresql://host/db")
    options = parse_qs(parts.query, keep_blank_values=True)
    unknown = set(options) - _URL_OPTIONS
    if unknown:
        raise InvalidUrlError(
            f"unknown PostgreSQL URL option(s) {', '.join(sorted(unknown))}; known: "
            f"{', '.join(sorted(_URL_OPTIONS))}"
        )
    schema = options["schema"][-1] if "schema" in options else None
    if schema is not None and not _SCHEMA_NAME.fullmatch(schema):
        raise InvalidUrlError(
            "schema must be a lower-case PostgreSQL name: a-z, 0-9 and _, at most 63"
        )
    pool_min = _number(options, "pool_min", DEFAULT_POOL_MIN, 0, 1000)
    pool_max = _number(options, "pool_max", max(DEFAULT_POOL_MAX, pool_min), 1, 1000)
    if pool_max < pool_min:
        raise InvalidUrlError("pool_max must be at least pool_min")
    pool_timeout = _number(options, "pool_timeout", int(DEFAULT_POOL_TIMEOUT), 1, 3600)
    connect_timeout = _number(options, "connect_timeout", DEFAULT_CONNECT_TIMEOUT, 1, 3600)
    lock_timeout = _number(options, "lock_timeout", DEFAULT_LOCK_TIMEOUT_MS, 0, 3_600_000)
    application_name = options.get("application_name", ["orderstatus"])[-1]
    if not application_name.isprintable() or not application_name.isascii():
        raise InvalidUrlError("application_name must be printable ASCII")
    prepare_threshold: int | None = None
    if options.get("prepare_threshold", [""])[-1] != "none":
        prepare_threshold = _number(options, "prepare_threshold", 5, 0, 1000)
    sslmode = options["sslmode"][-1] if "sslmode" in options else None
    if sslmode is not None and sslmode not in _SSL_MODES:
        raise InvalidUrlError(f"sslmode must be one of {', '.join(sorted(_SSL_MODES))}")
    host = unquote(parts.hostname or "") or None
    if host is not None and parts.netloc.rpartition("@")[2].startswith("["):
        host = host.strip("[]")
    user = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password is not None else None
    keywords: dict[str, Any] = {
        "host": host,
        "port": port,
        "dbname": database or None,
        "user": user,
        "password": password,
        "sslmode": sslmode,
    }
    conninfo = make_conninfo(**{k: v for k, v in keywords.items() if v is not None})
    return _Settings(
        conninfo=conninfo,
        url=_without_password(url),
        schema=schema,
        pool_min=pool_min,
        pool_max=pool_max,
        pool_timeout=float(pool_timeout),
        connect_timeout=connect_timeout,
        lock_timeout_ms=lock_timeout,
        application_name=application_name,
        prepare_threshold=prepare_threshold,
    )


def _without_password(url: str) -> str:
    """``url`` with the password of its user info removed (the rest as given)."""
    scheme, _sep, rest = url.partition("://")
    authority, slash, tail = rest.partition("/")
    if "@" in authority:
        userinfo, _at, host = authority.rpartition("@")
        user = userinfo.partition(":")[0]
        authority = f"{user}@{host}" if user else host
    return f"{scheme}://{authority}{slash}{tail}"


def _display_url(conninfo: str) -> str:
    """A URL naming what a libpq conninfo string connects to, without its password."""
    values = conninfo_to_dict(conninfo)
    user = values.get("user")
    host = values.get("host") or ""
    port = values.get("port")
    authority = f"{quote(str(user), safe='')}@" if user else ""
    authority += quote(str(host), safe="") if str(host).startswith("/") else str(host)
    if port:
        authority += f":{port}"
    return f"postgresql://{authority}/{values.get('dbname') or ''}"


# --- the storage ---------------------------------------------------------------------------


class PostgresStorage:
    """Orders, outbox, guest passes, idempotent replies, store credit and return papers in a
    PostgreSQL database.

    Open it by URL through the adapter registry (``postgresql://...``), or directly::

        storage = PostgresStorage.from_url("postgresql://shop@db.internal/shop?pool_max=20")
        storage.migrate()
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(order)
            uow.commit()

    Thread-safe: share one instance per process; each unit of work borrows a pooled
    connection. Opening connects (and fails fast when the server is unreachable) but does
    not touch the schema; run :meth:`migrate` (``orderstatus migrate``) first. Several
    processes and servers may share one database: the locks and the compare-and-set live in
    PostgreSQL. Open it in each process, after a server has forked its workers: a pool's
    connections and threads do not survive ``fork()``.

    ``conninfo`` is a libpq connection string (``"host=db user=shop dbname=shop"``) or URL
    without this adapter's options; :meth:`from_url` builds one from a URL.
    """

    def __init__(
        self,
        conninfo: str,
        *,
        schema: str | None = None,
        pool_min: int = DEFAULT_POOL_MIN,
        pool_max: int = DEFAULT_POOL_MAX,
        pool_timeout: float = DEFAULT_POOL_TIMEOUT,
        connect_timeout: int = DEFAULT_CONNECT_TIMEOUT,
        lock_timeout_ms: int = DEFAULT_LOCK_TIMEOUT_MS,
        application_name: str = "orderstatus",
        prepare_threshold: int | None = 5,
        url: str | None = None,
    ) -> None:
        if schema is not None and not _SCHEMA_NAME.fullmatch(schema):
            raise InvalidFieldError("schema", "must be a lower-case PostgreSQL name")
        if not 0 <= pool_min <= pool_max or pool_max < 1:
            raise InvalidFieldError("pool_max", "must be at least 1 and at least pool_min")
        if not 0 < pool_timeout <= 3600 or not 0 < connect_timeout <= 3600:
            raise InvalidFieldError("timeout", "must be 1 to 3600 seconds")
        if not isinstance(lock_timeout_ms, int) or not 0 <= lock_timeout_ms <= 3_600_000:
            raise InvalidFieldError("lock_timeout", "must be 0 to 3600000 milliseconds")
        try:
            self._url = url or _display_url(conninfo)
        except psycopg.ProgrammingError as error:
            raise InvalidFieldError("conninfo", f"not a libpq connection string: {error}") from None
        self._schema = schema
        self._pool_timeout = pool_timeout
        self._pool_max = pool_max
        try:
            given = conninfo_to_dict(conninfo)
        except psycopg.ProgrammingError as error:
            raise InvalidFieldError("conninfo", f"not a libpq connection string: {error}") from None
        # Appended to any server options of the conninfo, so that these win.
        server_options = f"{given.get('options') or ''} -c TimeZone=UTC".strip()
        server_options += f" -c lock_timeout={lock_timeout_ms}"
        if schema is not None:
            server_options += f" -c search_path={schema}"
        self._conninfo = make_conninfo(
            conninfo,
            connect_timeout=connect_timeout,
            application_name=application_name,
            options=server_options,
        )
        self._schema_checked = False
        self._closed = False
        self._lock = threading.Lock()
        # A direct first connection says exactly why the server cannot be reached (the
        # pool would only time out), within connect_timeout.
        try:
            psycopg.connect(self._conninfo, autocommit=True).close()
        except psycopg.Error as error:
            raise AdapterError(
                f"cannot connect to PostgreSQL at {self._url}: {_first_line(error)}"
            ) from None
        self._pool: psycopg_pool.ConnectionPool[psycopg.Connection[Any]] = (
            psycopg_pool.ConnectionPool(
                self._conninfo,
                min_size=pool_min,
                max_size=pool_max,
                timeout=pool_timeout,
                kwargs={"autocommit": True, "prepare_threshold": prepare_threshold},
                configure=_configure,
                name=f"orderstatus-{id(self):x}",
                open=False,
            )
        )
        try:
            self._pool.open(wait=pool_min > 0, timeout=float(connect_timeout) + 1)
        except psycopg.Error as error:
            self._pool.close()
            raise AdapterError(
                f"cannot open a pool of connections to PostgreSQL at {self._url}: "
                f"{_first_line(error)}"
            ) from None

    @classmethod
    def from_url(cls, url: str) -> PostgresStorage:
        """Open a storage from ``postgresql://user[:password]@host[:port]/db[?options]``.

        ``postgres://`` means the same. Percent-encode special characters of the user,
        password and database; a host that starts with ``/`` (percent-encoded,
        ``%2Fvar%2Frun%2Fpostgresql``) is a Unix socket directory, and an empty host is
        libpq's default. The password may also come from ``PGPASSWORD`` or ``~/.pgpass``.
        Options:

        ``schema=NAME``
            keep every table in this PostgreSQL schema (``search_path``); :meth:`migrate`
            creates it if it does not exist. Recommended when the database holds other
            applications' tables.
        ``pool_min=N``, ``pool_max=N``
            connections kept open and opened at most (default 1 and 10). ``pool_max``
            bounds the units of work open at once in this process.
        ``pool_timeout=SECONDS``
            how long a unit of work waits for a free connection (default 30).
        ``connect_timeout=SECONDS``
            how long to wait for the server (default 5).
        ``lock_timeout=MILLISECONDS``
            how long a command waits for another command's lock on the same order (or
            idempotency key, or challenge) before it fails with :class:`ConflictError`
            (default 30000; 0 waits for ever). Migrations always wait.
        ``application_name=TEXT``, ``sslmode=MODE``
            passed to libpq (``application_name`` defaults to ``orderstatus``, and shows
            in ``pg_stat_activity``).
        ``prepare_threshold=N`` or ``none``
            psycopg prepares a statement on a connection after it ran ``N`` times there
            (default 5); ``none`` never prepares, which PgBouncer in transaction mode
            needs (before its ``max_prepared_statements``).

        Raises :class:`InvalidUrlError` for a malformed URL or option and
        :class:`AdapterError`, naming the URL without its password, when the server
        cannot be reached.
        """
        settings = _parse_url(url)
        return cls(
            settings.conninfo,
            schema=settings.schema,
            pool_min=settings.pool_min,
            pool_max=settings.pool_max,
            pool_timeout=settings.pool_timeout,
            connect_timeout=settings.connect_timeout,
            lock_timeout_ms=settings.lock_timeout_ms,
            application_name=settings.application_name,
            prepare_threshold=settings.prepare_threshold,
            url=settings.url,
        )

    @property
    def url(self) -> str:
        """The URL this storage was opened with, without its password."""
        return self._url

    @property
    def schema(self) -> str | None:
        """The PostgreSQL schema holding the tables, or ``None`` for the default path."""
        return self._schema

    def __repr__(self) -> str:
        return f"PostgresStorage({self._url!r})"

    def unit_of_work(self, *, write: bool = False) -> PostgresUnitOfWork:
        """A new unit of work; see :class:`orderstatus_core.UnitOfWork` and the module
        docstring for what read and write units lock."""
        if self._closed:
            raise AdapterError("the storage is closed")
        return PostgresUnitOfWork(self, write)

    def migrate(self) -> int:
        """Apply every pending migration, one transaction each; return the schema version.

        Idempotent, and safe when several processes migrate at once: each step holds an
        advisory lock while it reads the version and applies what is missing. Creates the
        ``schema`` of the URL if it does not exist. A schema newer than this code is
        refused with :class:`SchemaVersionError` and left alone.
        """
        connection = self._checkout()
        doing = "migrating the schema"
        try:
            with connection.transaction():
                connection.execute("SET LOCAL lock_timeout = 0")  # another migrator may be slow
                connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                self._create_schema_and_version_table(connection)
            for target, migration in enumerate(MIGRATIONS, start=1):
                with connection.transaction():
                    connection.execute("SET LOCAL lock_timeout = 0")
                    connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
                    version = _current_version(connection)
                    if version > SCHEMA_VERSION:
                        raise SchemaVersionError(self._url, version, SCHEMA_VERSION)
                    if version < target:
                        for statement in migration.statements:
                            connection.execute(_literal(statement))
                        if migration.step is not None:
                            migration.step(connection)
                        connection.execute(
                            "INSERT INTO orderstatus_schema (version, description) VALUES (%s, %s)",
                            (target, migration.description),
                        )
            version = _current_version(connection)
            if version > SCHEMA_VERSION:
                raise SchemaVersionError(self._url, version, SCHEMA_VERSION)
            self._schema_checked = version == SCHEMA_VERSION
            return version
        except psycopg.Error as error:
            raise _translate(error, doing, self._url) from error
        finally:
            self._checkin(connection)

    def _create_schema_and_version_table(self, connection: psycopg.Connection[Any]) -> None:
        schema = self._schema
        if schema is not None:
            row = connection.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)
            ).fetchone()
            if row is None:
                # The name was checked against _SCHEMA_NAME; identifiers cannot be bound.
                connection.execute(pg_sql.SQL("CREATE SCHEMA {}").format(pg_sql.Identifier(schema)))
        connection.execute(
            _literal(
                f"CREATE TABLE IF NOT EXISTS {VERSION_TABLE} ("
                "version integer PRIMARY KEY, description text NOT NULL, "
                "applied_at timestamptz NOT NULL DEFAULT now())"
            )
        )

    def close(self) -> None:
        """Close the pool and its connections; the storage refuses use afterwards.

        Idempotent. Units of work still open lose their connection.
        """
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._pool.close(timeout=5.0)

    # --- connections, for the units of work ---

    def _checkout(self, *, write: bool = False) -> psycopg.Connection[Any]:
        """A pooled connection: in autocommit for a read unit, out of it for a write unit
        (psycopg then begins a READ COMMITTED transaction with the first statement)."""
        if self._closed:
            raise AdapterError("the storage is closed")
        for _attempt in range(self._pool_max + 1):
            try:
                connection = self._pool.getconn(timeout=self._pool_timeout)
            except psycopg.Error as error:
                raise _translate(error, "waiting for a connection", self._url) from error
            if _alive(connection):
                break
            # The server ended it while it was pooled (a restart, a failover, an operator's
            # pg_terminate_backend): the pool replaces it, the unit takes another.
            connection.close()
            self._checkin(connection)
        else:
            raise AdapterError(f"every pooled connection to {self._url} was found dead")
        if write:
            try:
                connection.autocommit = False
            except psycopg.Error as error:  # not idle: never trust it with a unit
                connection.close()
                self._checkin(connection)
                raise _translate(error, "preparing a connection", self._url) from error
        return connection

    def _checkin(self, connection: psycopg.Connection[Any]) -> None:
        """Give a connection back, idle and in autocommit; the pool discards one that is
        closed or broken."""
        if not connection.autocommit and not _connection_lost(connection):
            try:
                connection.autocommit = True
            except psycopg.Error:  # still in a transaction: the pool must not keep it
                connection.close()
        try:
            self._pool.putconn(connection)
        except psycopg.Error:  # the pool is closed: it closes what it is given back
            connection.close()

    def _check_schema(self, unit: PostgresUnitOfWork) -> None:
        """Refuse a schema of another version, once per storage (then free)."""
        if self._schema_checked:
            return
        (exists,) = _one(unit._run(_sql.VERSION_TABLE_EXISTS, None, "reading the schema version"))
        version = 0
        if exists:
            (version,) = _one(unit._run(_sql.CURRENT_VERSION, None, "reading the schema version"))
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(self._url, version, SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise SchemaVersionError(self._url, version, SCHEMA_VERSION)
        self._schema_checked = True


def _configure(connection: psycopg.Connection[Any]) -> None:
    """Every new pooled connection: write units begin READ COMMITTED transactions whatever
    the server's default_transaction_isolation (the locks above rely on it)."""
    connection.isolation_level = psycopg.IsolationLevel.READ_COMMITTED


def _literal(statement: str) -> LiteralString:
    # Migration statements are constants of this package, never built from input.
    return statement


def _current_version(connection: psycopg.Connection[Any]) -> int:
    row = connection.execute(_sql.CURRENT_VERSION).fetchone()
    return 0 if row is None else int(row[0])
