"""The SQLite storage adapter: the embedded default, stdlib :mod:`sqlite3` only.

It behaves like the reference :class:`orderstatus_memory.MemoryStorage` (same ordering,
same errors) and keeps SECURITY G1-G4: one transaction per unit of work, write units take
the write lock up front with ``BEGIN IMMEDIATE``, WAL and a busy timeout so that readers
and writers of a file database never block each other and writers queue, and "database is
locked" never reaches the caller raw (it becomes :class:`ConflictError`). ``save`` is a
compare-and-set on ``orders.version`` (SECURITY G2): a change built from a stale read
changes no row and raises :class:`ConflictError` with nothing written.

Connections: one per thread, opened lazily and kept for the thread's lifetime; a second
unit opened while the first is still open on the same thread gets its own connection,
because one SQLite connection holds one transaction. They are opened with
``check_same_thread=False`` only so that :meth:`SqliteStorage.close` (and the clean-up of
ended threads) can close them from another thread; while in use, a connection belongs to
exactly one thread. Every value reaches SQL as a bound parameter; SQL text is constant,
which also lets :mod:`sqlite3` reuse each prepared statement from its cache.
"""

from __future__ import annotations

import functools
import json
import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from types import TracebackType
from typing import Any, Final, Self
from urllib.parse import parse_qs, unquote

import attrs

from orderstatus_core import (
    AdapterError,
    AdapterRegistry,
    CategoryQuery,
    ConflictError,
    DuplicateOrderError,
    GuestPass,
    InsufficientCreditError,
    InvalidFieldError,
    InvalidUrlError,
    Order,
    OrderHeader,
    OrderMatch,
    OutboxMessage,
    PartNumberQuery,
    PassChallenge,
    SchemaVersionError,
    SearchCursor,
    hookimpl,
)
from orderstatus_core.errors import OrderStatusError
from orderstatus_core.labels import LabelDocument, StoredDocument
from orderstatus_core.messages import OutboxItem, without_secrets
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
from orderstatus_core.records import CreditEntry, IdempotentReply, SearchQuery
from orderstatus_core.serialization import (
    dump_activity,
    dump_intent,
    intent_kind,
    load_activity,
    load_intent,
)
from orderstatus_sqlite.migrations import MIGRATIONS, SCHEMA_VERSION, statements

__all__ = ["SqliteStorage", "SqliteUnitOfWork", "orderstatus_register_adapters"]

#: How long a connection waits for another writer's lock before SQLite gives up.
DEFAULT_BUSY_TIMEOUT_MS: Final = 5000
#: How many more times ``BEGIN IMMEDIATE`` is tried after a busy timeout ran out.
DEFAULT_BEGIN_RETRIES: Final = 3
_RETRY_PAUSE = 0.05  # seconds; doubled after each retry

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND: Final = timedelta(microseconds=1)
# SQLite integers are 64-bit; larger Python ints would fail to bind.
_MAX_LIMIT: Final = 2**62
# Sorts after every real (placed_at, number): a search without a cursor uses the same SQL
# text (and so the same cached statement) as one with a cursor.
_NO_CURSOR: Final = (2**63 - 1, "")
_BUSY_CODES: Final = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})

# --- SQL ---------------------------------------------------------------------------------
# Constant text only: values are always bound parameters (SECURITY H), and constant text
# is what sqlite3's statement cache is keyed by.

_GET_ORDER: Final = """
SELECT placed_at, email, email_key, phone, currency,
       ship_name, ship_line1, ship_line2, ship_city, ship_region, ship_postal_code,
       ship_country, shipping, tax, version, shipping_speed, activity
FROM orders WHERE number = ?"""

# get_for_contact(): the same primary-key seek, and the row only if the contact matches,
# so an unknown number and a wrong contact run one statement that returns nothing.
_GET_ORDER_FOR_CONTACT: Final = _GET_ORDER + " AND (email_key = ? OR phone = ?)"

_GET_LINES: Final = """
SELECT l.line_no, l.position, l.part_number, l.brand, l.category, l.description,
       l.quantity, l.unit_price, l.core_charge, l.returnable, l.warranty_months,
       l.cancelled, l.returned, l.part_key, l.category_key
FROM order_lines AS l WHERE l.order_number = ?"""

_GET_PACKAGES: Final = """
SELECT p.position, p.package_id, p.warehouse, p.carrier, p.tracking_number,
       p.shipped_at, p.delivered_at, p.opened_at, u.line_no, u.quantity
FROM packages AS p
JOIN package_units AS u ON u.order_number = p.order_number AND u.package_position = p.position
WHERE p.order_number = ?
ORDER BY p.position, u.position"""

_RECENT: Final = """
SELECT number, placed_at, email FROM orders
WHERE email_key = ?
ORDER BY placed_at DESC, number DESC
LIMIT ?"""

# Search walks the shopper's orders newest first through orders_by_email and, for each,
# reads its lines by primary key (they sit together on one page: WITHOUT ROWID), keeping
# those that match. Python stops reading after the order that fills the page, so the work
# is bounded by one shopper's history, never by the size of the store. EXPLAIN QUERY PLAN
# (asserted in tests/adapters/sqlite/test_sqlite_query_plans.py):
#   SEARCH o USING INDEX orders_by_email (email_key=? AND (placed_at,number)<(?,?))
#   SEARCH l USING PRIMARY KEY (order_number=?)
# with no temporary B-tree: the ORDER BY is the index order.
# Indexes on order_lines(part_key) / (category_key) were tried. The planner never drove a
# search from them (it still starts from orders_by_email; the OR of the category query
# keeps it on the primary key), so they cannot make a search linear in the store, but
# they do not buy much either: with part_key indexed it seeks (part_key, order_number)
# per order instead of reading that order's few lines, 17 instead of 25 us per search at
# 100k orders (about 5 orders per shopper), while every imported line pays for one more
# B-tree insert at a random place (import measured 10-40% slower) and the file grows.
# Bulk import and get() matter more, so neither index exists.
_SEARCH_PART: Final = """
SELECT o.number, o.placed_at, o.email, o.currency,
       l.line_no, l.position, l.part_number, l.brand, l.category, l.description,
       l.quantity, l.unit_price, l.core_charge, l.returnable, l.warranty_months,
       l.cancelled, l.returned, l.part_key, l.category_key
FROM orders AS o
JOIN order_lines AS l ON l.order_number = o.number
WHERE o.email_key = ? AND (o.placed_at, o.number) < (?, ?)
  AND l.part_key = ?
ORDER BY o.placed_at DESC, o.number DESC"""

# The category itself, or any key that starts with "category + U+001F" (its children):
# the range [key + U+001F, key + U+0020) of the BINARY (UTF-8 byte) order.
_SEARCH_CATEGORY: Final = """
SELECT o.number, o.placed_at, o.email, o.currency,
       l.line_no, l.position, l.part_number, l.brand, l.category, l.description,
       l.quantity, l.unit_price, l.core_charge, l.returnable, l.warranty_months,
       l.cancelled, l.returned, l.part_key, l.category_key
FROM orders AS o
JOIN order_lines AS l ON l.order_number = o.number
WHERE o.email_key = ? AND (o.placed_at, o.number) < (?, ?)
  AND (l.category_key = ? OR (l.category_key >= ? AND l.category_key < ?))
ORDER BY o.placed_at DESC, o.number DESC"""

_INSERT_ORDER: Final = """
INSERT INTO orders (placed_at, email, email_key, phone, currency,
    ship_name, ship_line1, ship_line2, ship_city, ship_region, ship_postal_code, ship_country,
    shipping, tax, version, shipping_speed, activity, number)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

# save(): compare-and-set on the version. The parameters are those of _INSERT_ORDER (the
# same columns in the same order, then the number) followed by the version expected to be
# stored; no row matches when another unit saved first or the number is not stored.
_SAVE_ORDER: Final = """
UPDATE orders SET placed_at = ?, email = ?, email_key = ?, phone = ?, currency = ?,
    ship_name = ?, ship_line1 = ?, ship_line2 = ?, ship_city = ?, ship_region = ?,
    ship_postal_code = ?, ship_country = ?, shipping = ?, tax = ?, version = ?,
    shipping_speed = ?, activity = ?
WHERE number = ? AND version = ?"""

# Children before the rows they reference (package_units -> packages, order_lines), so the
# foreign keys hold after every statement.
_DELETE_UNITS: Final = "DELETE FROM package_units WHERE order_number = ?"
_DELETE_PACKAGES: Final = "DELETE FROM packages WHERE order_number = ?"
_DELETE_LINES: Final = "DELETE FROM order_lines WHERE order_number = ?"

_INSERT_LINE: Final = """
INSERT INTO order_lines (order_number, line_no, position, part_number, part_key, brand,
    category, category_key, description, quantity, unit_price, core_charge, returnable,
    warranty_months, cancelled, returned)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

_INSERT_PACKAGE: Final = """
INSERT INTO packages (order_number, position, package_id, warehouse, carrier,
    tracking_number, shipped_at, delivered_at, opened_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"""

_INSERT_UNITS: Final = """
INSERT INTO package_units (order_number, package_position, position, line_no, quantity)
VALUES (?, ?, ?, ?, ?)"""

# Putting a message id twice replaces the message but keeps whether it was sent, exactly
# as the memory adapter does (its "sent" record is separate from the message).
_PUT_MESSAGE: Final = """
INSERT INTO outbox (message_id, created_at, kind, payload, attempts, next_attempt_at,
    last_error, sent_at)
VALUES (?, ?, ?, ?, ?, ?, ?, NULL)
ON CONFLICT (message_id) DO UPDATE SET
    created_at = excluded.created_at, kind = excluded.kind, payload = excluded.payload,
    attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at,
    last_error = excluded.last_error"""

_DUE: Final = """
SELECT message_id, created_at, payload, attempts, next_attempt_at, last_error
FROM outbox
WHERE sent_at IS NULL AND (next_attempt_at IS NULL OR next_attempt_at <= ?)
ORDER BY created_at, message_id
LIMIT ?"""

_LEASE_MESSAGE: Final = (
    "UPDATE outbox SET next_attempt_at = ? WHERE message_id = ? AND sent_at IS NULL"
)

_GET_MESSAGE: Final = """
SELECT message_id, created_at, payload, attempts, next_attempt_at, last_error, sent_at
FROM outbox WHERE message_id = ?"""

_PAYLOAD: Final = "SELECT payload FROM outbox WHERE message_id = ?"

# The payload written with sent_at is the message without its secrets (SECURITY D5).
_MARK_SENT: Final = "UPDATE outbox SET sent_at = ?, payload = ? WHERE message_id = ?"

_MARK_FAILED: Final = """
UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ?
WHERE message_id = ? AND sent_at IS NULL"""

_PENDING_COUNT: Final = "SELECT count(*) FROM outbox WHERE sent_at IS NULL"

# The purges are a daily batch: each reads its table once rather than keep an index that
# every write would pay for.
_PURGE_SENT: Final = "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < ?"
_PURGE_CHALLENGES: Final = "DELETE FROM guest_pass_challenges WHERE expires_at < ?"
# Tries whose challenge is gone, after the challenges (one statement each, same unit).
_PURGE_TRIES: Final = """
DELETE FROM guest_pass_tries WHERE at < ? AND NOT EXISTS (
    SELECT 1 FROM guest_pass_challenges AS c
    WHERE c.order_number = guest_pass_tries.order_number AND c.selector = guest_pass_tries.selector
)
"""
_PURGE_PASSES: Final = "DELETE FROM guest_passes WHERE expires_at < ?"
_PURGE_REPLIES: Final = "DELETE FROM idempotent_replies WHERE created_at < ?"

# Guest passes: only hashes of codes and validators are ever bound (SECURITY D1).
_PUT_CHALLENGE: Final = """
INSERT INTO guest_pass_challenges (selector, order_number, code_hash, link_hash, issued_at,
    expires_at, tries_left, used, seq)
VALUES (?, ?, ?, ?, ?, ?, ?, ?,
    (SELECT coalesce(max(seq), 0) + 1 FROM guest_pass_challenges))"""

_GET_CHALLENGE: Final = """
SELECT selector, order_number, code_hash, link_hash, issued_at, expires_at, tries_left, used
FROM guest_pass_challenges WHERE selector = ?"""

_SAVE_CHALLENGE: Final = """
UPDATE guest_pass_challenges SET order_number = ?, code_hash = ?, link_hash = ?,
    issued_at = ?, expires_at = ?, tries_left = ?, used = ?
WHERE selector = ?"""

_LATEST_CHALLENGE: Final = """
SELECT selector, order_number, code_hash, link_hash, issued_at, expires_at, tries_left, used
FROM guest_pass_challenges
WHERE order_number = ?
ORDER BY issued_at DESC, seq DESC
LIMIT 1"""

_RECORD_TRY: Final = "INSERT INTO guest_pass_tries (order_number, selector, at) VALUES (?, ?, ?)"

_COUNT_TRIES: Final = (
    "SELECT count(*) FROM guest_pass_tries WHERE order_number = ? AND selector = ?"
)

_INSERT_INTO_PASSES: Final = """
INSERT INTO guest_passes (selector, validator_hash, order_number, issued_at, expires_at)
VALUES (?, ?, ?, ?, ?)"""

_SELECT_FROM_PASSES: Final = """
SELECT selector, validator_hash, order_number, issued_at, expires_at
FROM guest_passes WHERE selector = ?"""

# Store credit. Amounts are summed in Python as Decimal: SQLite's sum() of TEXT is a float.
_CREDIT_EXISTS: Final = "SELECT 1 FROM store_credit WHERE entry_id = ?"

_CREDIT_AMOUNTS: Final = "SELECT amount FROM store_credit WHERE holder = ? AND currency = ?"

# seq: the next number of the ledger's append order (max() is one seek of its UNIQUE index;
# the write lock is held, so no other unit can take the same number).
_APPEND_CREDIT: Final = """
INSERT INTO store_credit (entry_id, seq, holder, currency, amount, at, reference)
VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM store_credit), ?, ?, ?, ?, ?)"""

_CREDIT_ENTRIES: Final = """
SELECT entry_id, holder, currency, amount, at, reference FROM store_credit
WHERE holder = ?
ORDER BY at DESC, entry_id DESC
LIMIT ?"""

# Return papers: a replaced document keeps the position of its first put.
_PUT_DOCUMENT: Final = """
INSERT INTO return_documents (rma_number, filename, order_number, format, media_type, content,
    position)
VALUES (?, ?, ?, ?, ?, ?,
    (SELECT coalesce(max(position), -1) + 1 FROM return_documents WHERE rma_number = ?))
ON CONFLICT (rma_number, filename) DO UPDATE SET
    order_number = excluded.order_number, format = excluded.format,
    media_type = excluded.media_type, content = excluded.content"""

# A handful of rows, read through the primary key; the adapter puts them in position order.
_DOCUMENTS_FOR_RMA: Final = """
SELECT position, order_number, format, media_type, filename, content
FROM return_documents WHERE rma_number = ?"""

#: Every repository query with its name, for tests that check the query plans.
QUERIES: Final = {
    "get_order": _GET_ORDER,
    "get_order_for_contact": _GET_ORDER_FOR_CONTACT,
    "get_lines": _GET_LINES,
    "get_packages": _GET_PACKAGES,
    "recent": _RECENT,
    "search_part": _SEARCH_PART,
    "search_category": _SEARCH_CATEGORY,
    "due": _DUE,
    "pending_count": _PENDING_COUNT,
    "get_message": _GET_MESSAGE,
    "payload": _PAYLOAD,
    "mark_sent": _MARK_SENT,
    "mark_failed": _MARK_FAILED,
    "save_order": _SAVE_ORDER,
    "delete_units": _DELETE_UNITS,
    "delete_packages": _DELETE_PACKAGES,
    "delete_lines": _DELETE_LINES,
    "get_challenge": _GET_CHALLENGE,
    "save_challenge": _SAVE_CHALLENGE,
    "latest_challenge": _LATEST_CHALLENGE,
    "count_tries": _COUNT_TRIES,
    "get_pass": _SELECT_FROM_PASSES,
    "credit_exists": _CREDIT_EXISTS,
    "credit_amounts": _CREDIT_AMOUNTS,
    "append_credit": _APPEND_CREDIT,
    "credit_entries": _CREDIT_ENTRIES,
    "put_document": _PUT_DOCUMENT,
    "documents_for_rma": _DOCUMENTS_FOR_RMA,
}


# --- values <-> columns ------------------------------------------------------------------


def _micros(value: datetime) -> int:
    """Microseconds since the epoch, computed exactly (a float ``timestamp()`` is not)."""
    return (value - _EPOCH) // _MICROSECOND


def _instant(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


# The catalogue has a few hundred categories and a hot set of part numbers and prices, and
# these values are immutable, so one validated instance can serve every row that names it.
# That skips re-running NFKC case folding for each line read; the caches are bounded and
# functools' C implementation is thread-safe.
@functools.lru_cache(maxsize=4096)
def _category(joined: str, key: str) -> CategoryPath:
    return restore(CategoryPath, tuple(joined.split(CATEGORY_SEPARATOR)), key)


@functools.lru_cache(maxsize=16384)
def _part_number(display: str, key: str) -> PartNumber:
    return restore(PartNumber, display, key)


@functools.lru_cache(maxsize=4096)
def _money(amount: str, currency: str) -> Money:
    return restore(Money, Decimal(amount), currency)


# get() is the hot path of find-order. Every row was written by add() or save() from a
# constructed, hence valid, Order, so the readers rebuild values with model.restore(), which
# skips the model's validation (half of find-order's time in Python; bench/RESULTS.md), and
# reuse the stored canonical keys instead of folding again. restore() takes every field in
# the order orderstatus_core.model.RESTORED_FIELDS pins (checked against the model by
# tests/unit/test_restore.py), so a reordered model fails loudly, not silently.


def _order_row(order: Order) -> tuple[Any, ...]:
    """The ``orders`` columns of ``order``, in the parameter order of ``_INSERT_ORDER``."""
    address = order.shipping_address
    phone = order.phone
    return (
        _micros(order.placed_at),
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
        _activity_json(order),
        order.number,
    )


_SPEEDS: Final = {speed.value: speed for speed in ShippingSpeed}


def _activity_json(order: Order) -> str | None:
    """The order's requests, reports and refunds as one JSON text; ``None`` if none."""
    document = dump_activity(order)
    if document is None:
        return None
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def _line(row: Sequence[Any], currency: str) -> OrderLine:
    # The columns of _GET_LINES; row[1] (position) only orders the lines.
    return restore(
        OrderLine,
        row[0],
        _part_number(row[2], row[13]),
        row[3],
        _category(row[4], row[14]),
        row[5],
        row[6],
        _money(row[7], currency),
        _money(row[8], currency),
        bool(row[9]),
        row[10],
        row[11],
        row[12],
    )


def _line_no(row: Sequence[Any]) -> Any:
    return row[0]


def _in_position_order(rows: list[Any], position: int) -> list[Any]:
    """Rows come in primary-key (``line_no``) order; the model's tuple order may differ."""
    previous = -1
    for row in rows:
        if row[position] < previous:
            return sorted(rows, key=lambda r: r[position])
        previous = row[position]
    return rows


def _packages(rows: Iterable[Sequence[Any]]) -> tuple[Package, ...]:
    packages: list[Package] = []
    current: Sequence[Any] | None = None
    units: list[PackedUnits] = []
    for row in rows:
        if current is not None and row[0] != current[0]:
            packages.append(_package(current, units))
            units = []
        current = row
        units.append(restore(PackedUnits, row[8], row[9]))
    if current is not None:
        packages.append(_package(current, units))
    return tuple(packages)


def _package(row: Sequence[Any], units: list[PackedUnits]) -> Package:
    return restore(
        Package,
        row[1],
        row[2],
        tuple(units),
        row[3],
        row[4],
        None if row[5] is None else _instant(row[5]),
        None if row[6] is None else _instant(row[6]),
        None if row[7] is None else _instant(row[7]),
    )


def _translate(error: Exception, doing: str) -> OrderStatusError:
    """The library error for a :mod:`sqlite3` failure; busy and locked mean a lost race."""
    code = getattr(error, "sqlite_errorcode", None)
    if code is not None and code & 0xFF in _BUSY_CODES:
        return ConflictError(
            f"the database stayed busy while {doing} (another writer held it); retry the command"
        )
    return AdapterError(f"SQLite failed while {doing}: {type(error).__name__}: {error}")


# --- connections ---------------------------------------------------------------------------


class _Handle:
    """One connection, the thread it belongs to, and what is known about its schema."""

    __slots__ = ("connection", "owner", "schema_checked")

    def __init__(self, connection: sqlite3.Connection, owner: threading.Thread | None) -> None:
        self.connection = connection
        self.owner = owner
        self.schema_checked = False


# --- the repositories -------------------------------------------------------------------


class _Orders:
    """The :class:`~orderstatus_core.OrderRepository` of one unit of work."""

    def __init__(self, unit: SqliteUnitOfWork) -> None:
        self._unit = unit

    def get(self, number: str) -> Order | None:
        """The order with this canonical number, or ``None``.

        The hot path of find-order: three indexed queries (order row, lines, packages with
        their units) and model objects built straight from the stored canonical columns.
        """
        return self._read(number, _GET_ORDER, (number,))

    def get_for_contact(self, number: str, contact: str) -> Order | None:
        """The order with this number whose email key or phone is ``contact``, or ``None``.

        One indexed statement decides, so an unknown number and a wrong contact cost the
        same; only a match reads the lines and packages (SECURITY A6).
        """
        if type(contact) is not str:
            return None
        return self._read(number, _GET_ORDER_FOR_CONTACT, (number, contact, contact))

    def _read(self, number: str, sql: str, parameters: tuple[object, ...]) -> Order | None:
        if type(number) is not str:
            # SQLite would coerce 123 to '123' through column affinity; memory would not.
            return None
        connection = self._unit._reading()
        key = (number,)
        try:
            row = connection.execute(sql, parameters).fetchone()
            if row is None:
                return None
            lines = connection.execute(_GET_LINES, key).fetchall()
            packages = connection.execute(_GET_PACKAGES, key).fetchall()
        except UnicodeEncodeError:
            return None  # a lone surrogate: no stored number can contain one
        except sqlite3.Error as error:
            raise _translate(error, "reading an order") from error
        currency = row[4]
        phone = row[3]
        # Positional, in RESTORED_FIELDS order; each value comes from its stored canonical
        # column, so nothing is parsed again (EmailAddress gets both forms as stored).
        return restore(
            Order,
            number,
            _instant(row[0]),
            restore(EmailAddress, row[1], row[2]),
            restore(Address, row[5], row[6], row[8], row[10], row[11], row[7], row[9]),
            currency,
            tuple([_line(line, currency) for line in _in_position_order(lines, 1)]),
            _money(row[12], currency),
            _money(row[13], currency),
            None if phone is None else restore(PhoneNumber, phone),
            _packages(packages) if packages else (),
            row[14],
            _SPEEDS[row[15]],
            *load_activity(None if row[16] is None else json.loads(row[16])),
        )

    def add(self, order: Order) -> None:
        """Store a new order; :class:`DuplicateOrderError` if its number is taken.

        Bulk import calls this once per order inside one write unit, so it keeps nothing
        after it returns and sends the child rows with ``executemany``.
        """
        connection = self._unit._writing()
        number = order.number
        try:
            connection.execute(_INSERT_ORDER, _order_row(order))
        except sqlite3.IntegrityError as error:
            if error.sqlite_errorcode == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
                raise DuplicateOrderError(number) from None
            raise _translate(error, f"adding order {number}") from error
        except sqlite3.Error as error:
            raise _translate(error, f"adding order {number}") from error
        try:
            self._insert_children(connection, order)
        except sqlite3.Error as error:
            # The order row is in, its children only partly: this transaction must never
            # commit (SECURITY G1).
            self._unit._broken = True
            raise _translate(error, f"adding order {number}") from error

    def save(self, order: Order) -> None:
        """Replace the stored order of this number: compare-and-set on the version.

        One ``UPDATE ... WHERE number = ? AND version = ?`` decides: if it changes no row,
        another unit saved first (or the number is not stored) and :class:`ConflictError`
        is raised with nothing written. Otherwise the order's lines, packages and units
        are deleted and inserted again from ``order``, in its tuple order, as
        :meth:`add` writes them. A failure after the ``UPDATE`` poisons the unit: its
        commit refuses and rolls back (SECURITY G1).
        """
        connection = self._unit._writing()
        number = order.number
        try:
            cursor = connection.execute(_SAVE_ORDER, (*_order_row(order), order.version - 1))
        except sqlite3.Error as error:
            raise _translate(error, f"saving order {number}") from error
        if cursor.rowcount != 1:
            raise ConflictError(
                f"order {number} changed since it was read (or is not stored); retry"
            )
        key = (number,)
        try:
            connection.execute(_DELETE_UNITS, key)
            connection.execute(_DELETE_PACKAGES, key)
            connection.execute(_DELETE_LINES, key)
            self._insert_children(connection, order)
        except sqlite3.Error as error:
            # The order row has the new version, its children are half replaced.
            self._unit._broken = True
            raise _translate(error, f"saving order {number}") from error

    @staticmethod
    def _insert_children(connection: sqlite3.Connection, order: Order) -> None:
        """Insert the lines, packages and package units of ``order`` (lines first: units
        reference them), each kind with one ``executemany``."""
        number = order.number
        connection.executemany(
            _INSERT_LINE,
            [
                (
                    number,
                    line.line_no,
                    position,
                    line.part_number.display,
                    line.part_number.canonical,
                    line.brand,
                    CATEGORY_SEPARATOR.join(line.category.segments),
                    line.category.key,
                    line.description,
                    line.quantity,
                    str(line.unit_price.amount),
                    str(line.core_charge.amount),
                    line.returnable,
                    line.warranty_months,
                    line.cancelled,
                    line.returned,
                )
                for position, line in enumerate(order.lines)
            ],
        )
        packages = order.packages
        if not packages:
            return
        connection.executemany(
            _INSERT_PACKAGE,
            [
                (
                    number,
                    position,
                    package.package_id,
                    package.warehouse,
                    package.carrier,
                    package.tracking_number,
                    None if package.shipped_at is None else _micros(package.shipped_at),
                    None if package.delivered_at is None else _micros(package.delivered_at),
                    None if package.opened_at is None else _micros(package.opened_at),
                )
                for position, package in enumerate(packages)
            ],
        )
        connection.executemany(
            _INSERT_UNITS,
            [
                (number, package_position, position, units.line_no, units.quantity)
                for package_position, package in enumerate(packages)
                for position, units in enumerate(package.units)
            ],
        )

    def recent(self, email_key: str, limit: int) -> Sequence[OrderHeader]:
        """Up to ``limit`` orders of ``email_key``, newest first (ties: number descending)."""
        connection = self._unit._reading()
        if type(email_key) is not str or limit <= 0:
            return []
        try:
            rows = connection.execute(_RECENT, (email_key, min(limit, _MAX_LIMIT))).fetchall()
        except UnicodeEncodeError:
            return []
        except sqlite3.Error as error:
            raise _translate(error, "listing recent orders") from error
        return [
            OrderHeader(
                number=number,
                placed_at=_instant(placed_at),
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
        connection = self._unit._reading()
        if type(email_key) is not str or limit <= 0:
            return []
        start = _NO_CURSOR if after is None else (_micros(utc(after.placed_at)), after.number)
        sql: str
        parameters: tuple[object, ...]
        if isinstance(query, PartNumberQuery):
            sql = _SEARCH_PART
            parameters = (email_key, *start, query.part_number.canonical)
        elif isinstance(query, CategoryQuery):
            key = query.category.key
            sql = _SEARCH_CATEGORY
            parameters = (email_key, *start, key, key + CATEGORY_SEPARATOR, key + "\x20")
        else:
            raise InvalidFieldError("query", f"unknown search query {type(query).__name__}")
        matches: list[OrderMatch] = []
        try:
            cursor = connection.execute(sql, parameters)
            try:
                matches = self._group(cursor, email_key, limit)
            finally:
                # Stop the statement early: it would otherwise stay active until reused.
                cursor.close()
        except UnicodeEncodeError:
            return []
        except sqlite3.Error as error:
            raise _translate(error, "searching orders") from error
        return matches

    @staticmethod
    def _group(cursor: sqlite3.Cursor, email_key: str, limit: int) -> list[OrderMatch]:
        """Fold (order, line) rows into matches, reading no further than ``limit`` orders."""
        matches: list[OrderMatch] = []
        head: Any = None
        rows: list[Any] = []
        for row in cursor:
            if head is None or row[0] != head[0]:
                if head is not None:
                    matches.append(_match(head, rows, email_key))
                    if len(matches) == limit:
                        return matches
                head, rows = row, []
            rows.append(row[4:])
        if head is not None:
            matches.append(_match(head, rows, email_key))
        return matches


def _match(head: Sequence[Any], rows: list[Any], email_key: str) -> OrderMatch:
    currency = head[3]
    return OrderMatch(
        header=OrderHeader(
            number=head[0],
            placed_at=_instant(head[1]),
            email=restore(EmailAddress, head[2], email_key),
        ),
        # The port promises line_no order (get() keeps the order's own tuple order instead).
        # Rows arrive in primary-key order already, so this sort is a linear check.
        lines=tuple(_line(row, currency) for row in sorted(rows, key=_line_no)),
    )


class _Outbox:
    """The :class:`~orderstatus_core.Outbox` of one unit of work."""

    def __init__(self, unit: SqliteUnitOfWork) -> None:
        self._unit = unit

    def put(self, message: OutboxMessage) -> None:
        """Queue ``message`` in this unit's transaction (SECURITY G4)."""
        connection = self._unit._writing()
        next_attempt = message.next_attempt_at
        try:
            connection.execute(
                _PUT_MESSAGE,
                (
                    message.message_id,
                    _micros(utc(message.created_at)),
                    intent_kind(message.intent),
                    _payload(message.intent),
                    message.attempts,
                    None if next_attempt is None else _micros(utc(next_attempt)),
                    message.last_error,
                ),
            )
        except (sqlite3.Error, UnicodeEncodeError, OverflowError) as error:
            raise _translate(error, "queueing an outbox message") from error

    def due(self, now: datetime, limit: int) -> Sequence[OutboxMessage]:
        """Unsent messages due at ``now``, oldest first (ties by message id)."""
        connection = self._unit._reading()
        if limit <= 0:
            return []
        try:
            rows = connection.execute(_DUE, (_micros(utc(now)), min(limit, _MAX_LIMIT))).fetchall()
        except sqlite3.Error as error:
            raise _translate(error, "reading due outbox messages") from error
        return [_message(row) for row in rows]

    def claim(self, now: datetime, limit: int, lease_until: datetime) -> Sequence[OutboxMessage]:
        """Take due messages for one relay worker until ``lease_until``.

        The write unit holds SQLite's write lock (``BEGIN IMMEDIATE``) from its start, so no
        other worker can read the same due rows before this one's lease is committed.
        """
        self._unit._writing()
        due = self.due(now, limit)
        lease = _micros(utc(lease_until))
        connection = self._unit._writing()
        try:
            connection.executemany(_LEASE_MESSAGE, [(lease, message.message_id) for message in due])
        except sqlite3.Error as error:
            raise _translate(error, "leasing outbox messages") from error
        return [attrs.evolve(message, next_attempt_at=utc(lease_until)) for message in due]

    def get(self, message_id: str) -> OutboxMessage | None:
        """The message with this id, sent or not, or ``None``."""
        connection = self._unit._reading()
        try:
            row = connection.execute(_GET_MESSAGE, (message_id,)).fetchone()
        except (sqlite3.Error, UnicodeEncodeError) as error:
            raise _translate(error, "reading an outbox message") from error
        if row is None:
            return None
        sent_at = None if row[6] is None else _instant(row[6])
        return attrs.evolve(_message(row[:6]), sent_at=sent_at)

    def mark_sent(self, message_id: str, at: datetime) -> None:
        """Record delivery and drop the message's secrets in the same write; the message is
        never due again. Unknown ids are ignored."""
        connection = self._unit._writing()
        try:
            row = connection.execute(_PAYLOAD, (message_id,)).fetchone()
            if row is None:
                return
            payload = _payload(without_secrets(_intent(message_id, row[0])))
            connection.execute(_MARK_SENT, (_micros(utc(at)), payload, message_id))
        except (sqlite3.Error, UnicodeEncodeError) as error:
            raise _translate(error, "marking an outbox message sent") from error

    def mark_failed(self, message_id: str, error: str, retry_at: datetime) -> None:
        """Count a failed attempt and make the message due again at ``retry_at``."""
        connection = self._unit._writing()
        try:
            connection.execute(_MARK_FAILED, (_micros(utc(retry_at)), error, message_id))
        except (sqlite3.Error, UnicodeEncodeError) as failure:
            raise _translate(failure, "marking an outbox message failed") from failure

    def pending_count(self) -> int:
        """How many messages are not yet sent."""
        connection = self._unit._reading()
        try:
            (count,) = connection.execute(_PENDING_COUNT).fetchone()
        except sqlite3.Error as error:
            raise _translate(error, "counting pending outbox messages") from error
        return int(count)

    def purge_sent(self, sent_before: datetime) -> int:
        """Delete the messages sent strictly before ``sent_before``; how many."""
        return _purge(self._unit, _PURGE_SENT, sent_before, "purging sent outbox messages")


def _purge(unit: SqliteUnitOfWork, sql: str, before: datetime, doing: str) -> int:
    connection = unit._writing()
    try:
        return connection.execute(sql, (_micros(utc(before)),)).rowcount
    except sqlite3.Error as error:
        raise _translate(error, doing) from error


def _payload(intent: OutboxItem) -> str:
    return json.dumps(dump_intent(intent), ensure_ascii=False, separators=(",", ":"))


def _intent(message_id: str, payload: str) -> OutboxItem:
    try:
        return load_intent(json.loads(payload))
    except (ValueError, OrderStatusError) as error:
        raise AdapterError(f"outbox message {message_id} is unreadable: {error}") from error


def _message(row: Sequence[Any]) -> OutboxMessage:
    message_id, created_at, payload, attempts, next_attempt_at, last_error = row
    return OutboxMessage(
        message_id=message_id,
        created_at=_instant(created_at),
        intent=_intent(message_id, payload),
        attempts=attempts,
        next_attempt_at=None if next_attempt_at is None else _instant(next_attempt_at),
        last_error=last_error,
    )


_GET_REPLY: Final = (
    "SELECT key, fingerprint, reply, created_at FROM idempotent_replies WHERE key = ?"
)
_PUT_REPLY: Final = """
INSERT INTO idempotent_replies (key, fingerprint, reply, created_at) VALUES (?, ?, ?, ?)
ON CONFLICT (key) DO UPDATE SET
    fingerprint = excluded.fingerprint, reply = excluded.reply, created_at = excluded.created_at"""


class _Replies:
    """The :class:`~orderstatus_core.ports.IdempotencyStore` of one unit of work."""

    def __init__(self, unit: SqliteUnitOfWork) -> None:
        self._unit = unit

    def get(self, key: str) -> IdempotentReply | None:
        """The reply stored under ``key``, or ``None``."""
        connection = self._unit._reading()
        try:
            row = connection.execute(_GET_REPLY, (key,)).fetchone()
        except (sqlite3.Error, UnicodeEncodeError) as error:
            raise _translate(error, "reading an idempotent reply") from error
        if row is None:
            return None
        return IdempotentReply(
            key=row[0], fingerprint=row[1], reply=row[2], created_at=_instant(row[3])
        )

    def put(self, reply: IdempotentReply) -> None:
        """Store ``reply``, replacing an older one under the same key."""
        connection = self._unit._writing()
        row = (reply.key, reply.fingerprint, reply.reply, _micros(reply.created_at))
        try:
            connection.execute(_PUT_REPLY, row)
        except (sqlite3.Error, UnicodeEncodeError) as error:
            raise _translate(error, "storing an idempotent reply") from error

    def purge(self, created_before: datetime) -> int:
        """Delete the replies created strictly before ``created_before``; how many."""
        return _purge(self._unit, _PURGE_REPLIES, created_before, "purging idempotent replies")


class _Passes:
    """The :class:`~orderstatus_core.GuestPassStore` of one unit of work."""

    def __init__(self, unit: SqliteUnitOfWork) -> None:
        self._unit = unit

    def put_challenge(self, challenge: PassChallenge) -> None:
        """Store a new challenge; a stored selector raises :class:`ConflictError`."""
        connection = self._unit._writing()
        try:
            connection.execute(_PUT_CHALLENGE, _challenge_row(challenge))
        except sqlite3.IntegrityError as error:
            raise ConflictError("a guest-pass challenge with this selector is stored") from error
        except (sqlite3.Error, UnicodeEncodeError) as error:
            raise _translate(error, "storing a guest-pass challenge") from error

    def get_challenge(self, selector: str) -> PassChallenge | None:
        """The challenge with this selector, or ``None``."""
        connection = self._unit._reading()
        try:
            row = connection.execute(_GET_CHALLENGE, (selector,)).fetchone()
        except (sqlite3.Error, UnicodeEncodeError) as error:
            raise _translate(error, "reading a guest-pass challenge") from error
        return None if row is None else _challenge(row)

    def save_challenge(self, challenge: PassChallenge) -> None:
        """Replace the stored challenge; an unknown selector raises :class:`ConflictError`."""
        connection = self._unit._writing()
        selector, *fields = _challenge_row(challenge)
        try:
            changed = connection.execute(_SAVE_CHALLENGE, (*fields, selector)).rowcount
        except (sqlite3.Error, UnicodeEncodeError) as error:
            raise _translate(error, "saving a guest-pass challenge") from error
        if changed != 1:
            raise ConflictError("no guest-pass challenge with this selector is stored")

    def latest_challenge(self, order_number: str) -> PassChallenge | None:
        """The newest challenge of the order (latest ``issued_at``, then the last put)."""
        connection = self._unit._reading()
        try:
            row = connection.execute(_LATEST_CHALLENGE, (order_number,)).fetchone()
        except (sqlite3.Error, UnicodeEncodeError) as error:
            raise _translate(error, "reading a guest-pass challenge") from error
        return None if row is None else _challenge(row)

    def record_try(self, order_number: str, selector: str, at: datetime) -> int:
        """Record a try against the challenge; how many it has had, this one included."""
        connection = self._unit._writing()
        try:
            connection.execute(_RECORD_TRY, (order_number, selector, _micros(at)))
            (count,) = connection.execute(_COUNT_TRIES, (order_number, selector)).fetchone()
        except (sqlite3.Error, UnicodeEncodeError) as error:
            raise _translate(error, "recording a guest-pass try") from error
        return int(count)

    def put_pass(self, guest_pass: GuestPass) -> None:
        """Store a new pass; a stored selector raises :class:`ConflictError`."""
        connection = self._unit._writing()
        row = (
            guest_pass.selector,
            guest_pass.validator_hash,
            guest_pass.order_number,
            _micros(guest_pass.issued_at),
            _micros(guest_pass.expires_at),
        )
        try:
            connection.execute(_INSERT_INTO_PASSES, row)
        except sqlite3.IntegrityError as error:
            raise ConflictError("a guest pass with this selector is stored") from error
        except (sqlite3.Error, UnicodeEncodeError) as error:
            raise _translate(error, "storing a guest pass") from error

    def get_pass(self, selector: str) -> GuestPass | None:
        """The pass with this selector, or ``None``."""
        connection = self._unit._reading()
        try:
            row = connection.execute(_SELECT_FROM_PASSES, (selector,)).fetchone()
        except (sqlite3.Error, UnicodeEncodeError) as error:
            raise _translate(error, "reading a guest pass") from error
        if row is None:
            return None
        selector, validator_hash, order_number, issued_at, expires_at = row
        try:
            return GuestPass(
                selector=selector,
                validator_hash=validator_hash,
                order_number=order_number,
                issued_at=_instant(issued_at),
                expires_at=_instant(expires_at),
            )
        except (ValueError, OrderStatusError) as error:
            raise AdapterError(f"a stored guest pass is unreadable: {error}") from error

    def purge_challenges(self, expired_before: datetime) -> int:
        """Delete the challenges expired strictly before ``expired_before``; how many."""
        purged = _purge(self._unit, _PURGE_CHALLENGES, expired_before, "purging challenges")
        _purge(self._unit, _PURGE_TRIES, expired_before, "purging guest-pass tries")
        return purged

    def purge_passes(self, expired_before: datetime) -> int:
        """Delete the passes expired strictly before ``expired_before``; how many."""
        return _purge(self._unit, _PURGE_PASSES, expired_before, "purging guest passes")


def _challenge_row(challenge: PassChallenge) -> tuple[Any, ...]:
    return (
        challenge.selector,
        challenge.order_number,
        challenge.code_hash,
        challenge.link_hash,
        _micros(challenge.issued_at),
        _micros(challenge.expires_at),
        challenge.tries_left,
        int(challenge.used),
    )


def _challenge(row: Sequence[Any]) -> PassChallenge:
    selector, number, code_hash, link_hash, issued_at, expires_at, tries_left, used = row
    try:
        return PassChallenge(
            selector=selector,
            order_number=number,
            code_hash=code_hash,
            link_hash=link_hash,
            issued_at=_instant(issued_at),
            expires_at=_instant(expires_at),
            tries_left=tries_left,
            used=bool(used),
        )
    except (ValueError, OrderStatusError) as error:
        raise AdapterError(f"a stored guest-pass challenge is unreadable: {error}") from error


class _Credit:
    """The :class:`~orderstatus_core.ports.StoreCreditLedger` of one unit of work."""

    def __init__(self, unit: SqliteUnitOfWork) -> None:
        self._unit = unit

    def append(self, entry: CreditEntry) -> bool:
        """Append ``entry`` unless its id is stored (``False``); refuse an entry that would
        take the balance below zero with :class:`InsufficientCreditError`.

        A write unit holds SQLite's write lock from ``BEGIN IMMEDIATE`` on, so no other
        unit can append between the balance read and the insert (SECURITY G2).
        """
        connection = self._unit._writing()
        amount = entry.amount
        row = (
            entry.entry_id,
            entry.holder,
            amount.currency,
            str(amount.amount),
            _micros(utc(entry.at)),
            entry.reference,
        )
        try:
            if connection.execute(_CREDIT_EXISTS, (entry.entry_id,)).fetchone() is not None:
                return False
            balance = _balance(connection, entry.holder, amount.currency)
            if (balance + amount).is_negative:
                raise InsufficientCreditError(
                    str(balance), str(Money.zero(balance.currency) - amount)
                )
            connection.execute(_APPEND_CREDIT, row)
        except (sqlite3.Error, UnicodeEncodeError) as error:
            raise _translate(error, "appending a store-credit entry") from error
        return True

    def balance(self, holder: str, currency: str) -> Money:
        """The sum of the holder's entries in ``currency``; zero when there are none."""
        connection = self._unit._reading()
        try:
            return _balance(connection, holder, currency)
        except UnicodeEncodeError:
            return Money.zero(currency)  # a lone surrogate: no stored holder has one
        except sqlite3.Error as error:
            raise _translate(error, "reading a store-credit balance") from error

    def entries(self, holder: str, limit: int) -> Sequence[CreditEntry]:
        """The holder's ``limit`` newest entries (ties: entry id descending)."""
        connection = self._unit._reading()
        if type(holder) is not str or limit <= 0:
            return []
        try:
            rows = connection.execute(_CREDIT_ENTRIES, (holder, min(limit, _MAX_LIMIT))).fetchall()
        except UnicodeEncodeError:
            return []
        except sqlite3.Error as error:
            raise _translate(error, "listing store-credit entries") from error
        return [_credit_entry(row) for row in rows]


def _balance(connection: sqlite3.Connection, holder: str, currency: str) -> Money:
    rows = connection.execute(_CREDIT_AMOUNTS, (holder, currency)).fetchall()
    return Money.total((_money(amount, currency) for (amount,) in rows), currency)


def _credit_entry(row: Sequence[Any]) -> CreditEntry:
    entry_id, holder, currency, amount, at, reference = row
    try:
        return CreditEntry(
            entry_id=entry_id,
            holder=holder,
            amount=_money(amount, currency),
            at=_instant(at),
            reference=reference,
        )
    except (ValueError, OrderStatusError) as error:
        raise AdapterError(f"store-credit entry {entry_id} is unreadable: {error}") from error


class _Documents:
    """The :class:`~orderstatus_core.ports.ReturnDocumentStore` of one unit of work."""

    def __init__(self, unit: SqliteUnitOfWork) -> None:
        self._unit = unit

    def put(self, stored: StoredDocument) -> None:
        """Keep ``stored``, replacing the RMA's document of the same filename in place."""
        connection = self._unit._writing()
        document = stored.document
        row = (
            stored.rma_number,
            document.filename,
            stored.order_number,
            document.format,
            document.media_type,
            document.content,
            stored.rma_number,
        )
        try:
            connection.execute(_PUT_DOCUMENT, row)
        except (sqlite3.Error, UnicodeEncodeError) as error:
            raise _translate(error, "keeping a return document") from error

    def for_rma(self, rma_number: str) -> Sequence[StoredDocument]:
        """The RMA's documents in the order they were first put."""
        connection = self._unit._reading()
        if type(rma_number) is not str:
            return []
        try:
            rows = connection.execute(_DOCUMENTS_FOR_RMA, (rma_number,)).fetchall()
        except UnicodeEncodeError:
            return []
        except sqlite3.Error as error:
            raise _translate(error, "reading return documents") from error
        rows.sort(key=_first)
        return [
            StoredDocument(
                order_number=order_number,
                rma_number=rma_number,
                document=LabelDocument(fmt, media_type, filename, bytes(content)),
            )
            for _position, order_number, fmt, media_type, filename, content in rows
        ]


def _first(row: Sequence[Any]) -> Any:
    return row[0]


# --- the unit of work ---------------------------------------------------------------------


class SqliteUnitOfWork:
    """One command's transaction on one connection; see :class:`orderstatus_core.UnitOfWork`.

    A read unit (``write=False``) runs in a deferred transaction (``BEGIN``): one snapshot
    from its first read, never a lock that blocks a writer (WAL). A write unit starts with
    ``BEGIN IMMEDIATE`` so a read-then-write can never deadlock or act on stale data.
    After :meth:`commit` or :meth:`rollback` the unit stays usable; its next statement
    starts a new transaction, and leaving the block rolls back whatever is uncommitted.
    """

    def __init__(self, storage: SqliteStorage, write: bool) -> None:
        self._storage = storage
        self._write = write
        self._handle: _Handle | None = None
        self._connection: sqlite3.Connection | None = None
        self._in_transaction = False
        self._broken = False
        self.orders = _Orders(self)
        self.outbox = _Outbox(self)
        self.passes = _Passes(self)
        self.idempotency = _Replies(self)
        self.credit = _Credit(self)
        self.documents = _Documents(self)

    def __enter__(self) -> Self:
        if self._handle is not None:
            raise AdapterError("this unit of work is already open")
        storage = self._storage
        if storage._memory:
            storage._claim_memory_unit(self._write)
        try:
            handle = storage._acquire()
            try:
                storage._check_schema(handle)
                self._begin(handle.connection)
            except BaseException:
                self._in_transaction = False
                storage._release(handle)
                raise
        except BaseException:
            if storage._memory:
                storage._free_memory_unit(self._write)
            raise
        self._handle, self._connection, self._broken = handle, handle.connection, False
        return self

    def _begin(self, connection: sqlite3.Connection) -> None:
        if self._write:
            self._storage._begin_immediate(connection)
        else:
            try:
                connection.execute("BEGIN")
            except sqlite3.Error as error:
                raise _translate(error, "starting a read transaction") from error
        self._in_transaction = True

    def _open_connection(self) -> sqlite3.Connection:
        connection = self._connection
        if connection is None:
            raise AdapterError("the unit of work is not open")
        try:
            active = connection.in_transaction
        except sqlite3.Error as error:  # closed under us by SqliteStorage.close()
            raise _translate(error, "using a unit of work") from error
        if self._in_transaction and not active:
            # SQLite ends a transaction by itself after some errors (disk full, I/O): the
            # writes so far are gone, so the unit must not commit what comes after them.
            self._in_transaction = False
            self._broken = self._write
        return connection

    def _reading(self) -> sqlite3.Connection:
        connection = self._open_connection()
        if not self._in_transaction:
            self._begin(connection)
        return connection

    def _writing(self) -> sqlite3.Connection:
        connection = self._open_connection()
        if not self._write:
            raise AdapterError("this unit of work was opened read-only (write=False)")
        if not self._in_transaction:
            self._begin(connection)
        return connection

    def commit(self) -> None:
        """Make every write of this unit visible at once.

        Refused with :class:`AdapterError` on a read-only unit (as the memory adapter
        does), and after a write failed half-way, in which case the unit rolls back.
        """
        connection = self._open_connection()
        if not self._write:
            raise AdapterError("this unit of work was opened read-only (write=False)")
        if self._broken:
            self.rollback()
            raise AdapterError("an earlier write of this unit failed; everything was rolled back")
        if not self._in_transaction:
            return  # nothing written since the last commit
        try:
            connection.execute("COMMIT")
        except sqlite3.Error as error:
            raise _translate(error, "committing") from error
        self._in_transaction = False

    def rollback(self) -> None:
        """Forget every uncommitted write of this unit (nothing to forget in a read unit)."""
        connection = self._connection
        if connection is None or not self._write:
            return
        self._in_transaction = self._broken = False
        try:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
        except sqlite3.Error as error:
            raise _translate(error, "rolling back") from error

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        handle, connection = self._handle, self._connection
        if handle is None or connection is None:
            return
        self._handle = self._connection = None
        self._in_transaction = self._broken = False
        failure: sqlite3.Error | None = None
        try:
            if connection.in_transaction:
                connection.execute("ROLLBACK")
        except sqlite3.Error as error:
            failure = error
        self._storage._release(handle, reusable=failure is None)
        if self._storage._memory:
            self._storage._free_memory_unit(self._write)
        # After close() the connection is gone, and with it the transaction: nothing to say.
        if failure is not None and exc is None and not self._storage._closed:
            raise _translate(failure, "ending a unit of work") from failure


# --- the storage ---------------------------------------------------------------------------


class SqliteStorage:
    """Orders, outbox, guest passes, store credit and return papers in one SQLite database
    file (or a private in-memory database).

    Open it by URL through the adapter registry (``sqlite:///orders.db``), or directly::

        storage = SqliteStorage.from_url("sqlite:///orders.db")
        storage.migrate()
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(order)
            uow.commit()

    Thread-safe: share one instance; each thread gets its own connection. Opening does
    not touch the schema; run :meth:`migrate` (``orderstatus migrate``) first.
    """

    def __init__(
        self,
        database: str | os.PathLike[str],
        *,
        busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
        begin_retries: int = DEFAULT_BEGIN_RETRIES,
        url: str | None = None,
    ) -> None:
        if not isinstance(busy_timeout_ms, int) or not 0 <= busy_timeout_ms <= 3_600_000:
            raise InvalidFieldError("busy_timeout", "must be 0 to 3600000 milliseconds")
        if not isinstance(begin_retries, int) or not 0 <= begin_retries <= 100:
            raise InvalidFieldError("begin_retries", "must be 0 to 100")
        path = os.fspath(database)
        self._memory = path == ":memory:"
        # Resolved now: connections open lazily, and a later chdir must not move the database.
        self._path = path if self._memory else os.path.abspath(path)
        self._url = url or f"sqlite:///{path}"
        self._timeout = busy_timeout_ms / 1000
        self._begin_retries = begin_retries
        self._local = threading.local()
        self._lock = threading.Lock()
        self._handles: list[_Handle] = []
        self._closed = False
        self._memory_uri: str | None = None
        if self._memory:
            # Each sqlite3 connection to ":memory:" is a database of its own. The memdb VFS
            # (SQLite 3.36+) shares one by name among this process's connections; the random
            # name keeps it private to this storage, and the anchor connection keeps it
            # alive while threads come and go. Shared-cache memory databases were the other
            # option; their table locks fail at once (SQLITE_LOCKED) instead of waiting
            # for the busy timeout, so concurrent threads would see conflicts all the time.
            self._memory_uri = f"file:/orderstatus-{uuid.uuid4().hex}?vfs=memdb"
            self._handles.append(_Handle(self._connect(), owner=None))

    @classmethod
    def from_url(cls, url: str) -> SqliteStorage:
        """Open a storage from a URL, SQLAlchemy style.

        ``sqlite:///orders.db`` is the relative path ``orders.db``, ``sqlite:////abs/x.db``
        the absolute path ``/abs/x.db``, ``sqlite:///:memory:`` (or ``sqlite://``) a new
        private in-memory database. ``?busy_timeout=MILLISECONDS`` changes how long a
        writer waits for another (default 5000).

        An in-memory database has no WAL: while one thread writes, others wait (up to the
        busy timeout) instead of reading the last commit, and one thread cannot nest units
        of work when either writes (:class:`AdapterError`). Use it for tests and demos.
        """
        if not isinstance(url, str):
            raise InvalidUrlError("a SQLite URL must be text")
        scheme, separator, rest = url.partition("://")
        if not separator or scheme.lower() != "sqlite":
            raise InvalidUrlError("a SQLite URL looks like sqlite:///orders.db")
        rest, _mark, query = rest.partition("?")
        host, _slash, path = rest.partition("/")
        if host:
            raise InvalidUrlError(
                "a SQLite URL has no host: sqlite:///relative.db or sqlite:////abs.db"
            )
        options = parse_qs(query, keep_blank_values=True)
        unknown = set(options) - {"busy_timeout"}
        if unknown:
            raise InvalidUrlError(f"unknown SQLite URL option(s) {', '.join(sorted(unknown))}")
        busy_timeout = DEFAULT_BUSY_TIMEOUT_MS
        if "busy_timeout" in options:
            text = options["busy_timeout"][-1]
            if not text.isdigit() or len(text) > 7:
                raise InvalidUrlError("busy_timeout must be a number of milliseconds")
            busy_timeout = int(text)
        path = unquote(path)
        return cls(path or ":memory:", busy_timeout_ms=busy_timeout, url=url)

    @property
    def url(self) -> str:
        """The URL this storage was opened with."""
        return self._url

    def unit_of_work(self, *, write: bool = False) -> SqliteUnitOfWork:
        """A new unit of work; see :class:`orderstatus_core.UnitOfWork`."""
        self._refuse_if_closed()
        return SqliteUnitOfWork(self, write)

    def migrate(self) -> int:
        """Apply every pending migration, one transaction each; return the schema version.

        Idempotent, and safe when several processes migrate at once: each step re-reads
        the version under the write lock. A database newer than this code is refused
        with :class:`SchemaVersionError`.
        """
        handle = self._acquire()
        connection = handle.connection
        try:
            for target, script in enumerate(MIGRATIONS, start=1):
                self._begin_immediate(connection)
                try:
                    version = _user_version(connection)
                    if version > SCHEMA_VERSION:
                        raise SchemaVersionError(self._url, version, SCHEMA_VERSION)
                    if version < target:
                        if callable(script):
                            script(connection)
                        else:
                            for statement in statements(script):
                                connection.execute(statement)
                        if _user_version(connection) != target:
                            raise AdapterError(f"migration {target} did not set its version")
                    connection.execute("COMMIT")
                finally:
                    if connection.in_transaction:
                        connection.execute("ROLLBACK")
            version = _user_version(connection)
            if version > SCHEMA_VERSION:
                raise SchemaVersionError(self._url, version, SCHEMA_VERSION)
            handle.schema_checked = True
            return version
        except sqlite3.Error as error:
            raise _translate(error, "migrating the schema") from error
        finally:
            self._release(handle)

    def close(self) -> None:
        """Close every connection this storage opened; it refuses use afterwards.

        Idempotent. An in-memory database is gone once closed.
        """
        with self._lock:
            self._closed = True
            handles, self._handles = self._handles, []
        for handle in handles:
            handle.connection.close()

    # --- connections, for the units of work ---

    def _connect(self) -> sqlite3.Connection:
        try:
            if self._memory_uri is not None:
                connection = sqlite3.connect(
                    self._memory_uri,
                    uri=True,
                    timeout=self._timeout,
                    isolation_level=None,
                    check_same_thread=False,
                )
            else:
                connection = sqlite3.connect(
                    self._path,
                    timeout=self._timeout,  # sets PRAGMA busy_timeout
                    isolation_level=None,  # we issue BEGIN / COMMIT ourselves
                    # Each connection is used by one thread at a time (thread-local), but
                    # close() must be able to close another thread's connection.
                    check_same_thread=False,
                )
        except sqlite3.Error as error:
            raise _translate(error, f"opening {self._url}") from error
        try:
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA synchronous = NORMAL")
            if self._memory_uri is None:
                (mode,) = connection.execute("PRAGMA journal_mode = WAL").fetchone()
                if str(mode).lower() != "wal":
                    raise AdapterError(f"{self._url}: SQLite refused WAL mode ({mode})")
        except BaseException as error:
            connection.close()
            if isinstance(error, sqlite3.Error):
                raise _translate(error, f"opening {self._url}") from error
            raise
        return connection

    def _acquire(self) -> _Handle:
        """This thread's idle connection, or a new one."""
        self._refuse_if_closed()
        idle: list[_Handle] | None = getattr(self._local, "idle", None)
        if idle is None:
            idle = self._local.idle = []
        if idle:
            return idle.pop()
        self._close_orphans()
        handle = _Handle(self._connect(), owner=threading.current_thread())
        with self._lock:
            closed = self._closed
            if not closed:
                self._handles.append(handle)
        if closed:
            # close() ran while this connection was being opened.
            handle.connection.close()
            self._refuse_if_closed()
        return handle

    def _claim_memory_unit(self, write: bool) -> None:
        """Refuse to nest a write unit on one thread of an in-memory database.

        The memdb VFS locks like a rollback journal, not like WAL: a writer keeps new
        readers out and a reader keeps a writer from committing. Nested on one thread, the
        inner unit would wait for the outer one until the busy timeout ran out; saying so
        at once is kinder. Other threads simply wait their turn.
        """
        units: list[bool] | None = getattr(self._local, "units", None)
        if units is None:
            units = self._local.units = []
        if units and (write or any(units)):
            raise AdapterError(
                "sqlite:///:memory: cannot open a unit of work inside another on the same "
                "thread when either one writes; use a database file for that"
            )
        units.append(write)

    def _free_memory_unit(self, write: bool) -> None:
        units: list[bool] = self._local.units
        units.remove(write)

    def _refuse_if_closed(self) -> None:
        if self._closed:
            raise AdapterError("the storage is closed")

    def _release(self, handle: _Handle, *, reusable: bool = True) -> None:
        """Give a connection back to this thread, or close it if it cannot be trusted."""
        if not reusable or self._closed or handle.connection.in_transaction:
            # A connection that could not roll back is not trusted with another unit.
            self._discard(handle)
            return
        idle: list[_Handle] | None = getattr(self._local, "idle", None)
        if idle is None:
            idle = self._local.idle = []
        # Normally the thread that opened it; if a unit was left on another thread, the
        # connection now belongs to that one (and is closed when that thread ends).
        handle.owner = threading.current_thread()
        idle.append(handle)

    def _discard(self, handle: _Handle) -> None:
        with self._lock:
            if handle in self._handles:
                self._handles.remove(handle)
        handle.connection.close()

    def _close_orphans(self) -> None:
        """Close the connections of threads that have ended.

        A server that starts a thread per request would otherwise keep one open file per
        request it ever served.
        """
        with self._lock:
            orphans = [h for h in self._handles if h.owner is not None and not h.owner.is_alive()]
            for handle in orphans:
                self._handles.remove(handle)
        for handle in orphans:
            handle.connection.close()

    def _check_schema(self, handle: _Handle) -> None:
        """Refuse a database of another schema version; once per connection, then free."""
        if handle.schema_checked:
            return
        try:
            version = _user_version(handle.connection)
        except sqlite3.Error as error:
            raise _translate(error, "reading the schema version") from error
        if version > SCHEMA_VERSION:
            raise SchemaVersionError(self._url, version, SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise SchemaVersionError(self._url, version, SCHEMA_VERSION)
        handle.schema_checked = True

    def _begin_immediate(self, connection: sqlite3.Connection) -> None:
        """``BEGIN IMMEDIATE``, retried with growing pauses, then :class:`ConflictError`.

        SQLite's busy handler already waited ``busy_timeout`` each time; the retries cover
        a writer that keeps the lock a little longer than that (SECURITY G3).
        """
        pause = _RETRY_PAUSE
        for attempt in range(self._begin_retries + 1):
            try:
                connection.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as error:
                conflict = _translate(error, "waiting for the write lock")
                if not isinstance(conflict, ConflictError):
                    raise conflict from error
                if attempt == self._begin_retries:
                    raise conflict from error
                time.sleep(pause)
                pause *= 2
            except sqlite3.Error as error:
                raise _translate(error, "starting a write transaction") from error
            else:
                return


def _user_version(connection: sqlite3.Connection) -> int:
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    return int(version)


@hookimpl
def orderstatus_register_adapters(registry: AdapterRegistry) -> None:
    """``sqlite://`` storage."""
    registry.add_storage("sqlite", SqliteStorage.from_url)
