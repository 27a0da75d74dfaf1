"""The SQLite storage adapter: the embedded default, stdlib :mod:`sqlite3` only.

It behaves like the reference :class:`orderstatus_memory.MemoryStorage` (same ordering,
same errors) and keeps SECURITY G1-G4: one transaction per unit of work, write units take
the write lock up front with ``BEGIN IMMEDIATE``, WAL and a busy timeout so that readers
and writers of a file database never block each other and writers queue, and "database is
locked" never reaches the caller raw (it becomes :class:`ConflictError`). ``save`` is a
compare-and-set on ``orders.version`` (SECURITY G2): a change built from a stale read
changes no row and raises :class:`ConflictError` with nothing written.

The adapter is cut like the PostgreSQL one: the SQL in :mod:`orderstatus_sqlite._sql`
(constant text, every value a bound parameter, which also lets :mod:`sqlite3` reuse each
prepared statement from its cache), values to parameters in :mod:`orderstatus_sqlite._rows`,
connections (one per thread) and the one error-translation point in
:mod:`orderstatus_sqlite.connections`, the ports in :mod:`orderstatus_sqlite._repositories`;
rows are read back by the shared :mod:`orderstatus_sql.rows`, and :meth:`SqliteStorage.migrate`
uses the shared runner of :mod:`orderstatus_sql.migrations`.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any, Final, Self, TypeVar
from urllib.parse import parse_qs, unquote

from orderstatus_core import (
    AdapterError,
    AdapterRegistry,
    InvalidUrlError,
    hookimpl,
)
from orderstatus_core.errors import OrderStatusError
from orderstatus_core.model.order import utc
from orderstatus_sql import migrations as runner
from orderstatus_sqlite._repositories import (
    CURSOR,
    Accounts,
    Captchas,
    Credit,
    Documents,
    Orders,
    Outbox,
    Passes,
    Replies,
    Sessions,
)
from orderstatus_sqlite._rows import micros
from orderstatus_sqlite._sql import QUERIES
from orderstatus_sqlite.connections import (
    DEFAULT_BEGIN_RETRIES,
    DEFAULT_BUSY_TIMEOUT_MS,
    Handle,
    ThreadConnections,
    translate,
    user_version,
)
from orderstatus_sqlite.migrations import MIGRATIONS, SCHEMA_VERSION, statements

__all__ = [
    "DEFAULT_BEGIN_RETRIES",
    "DEFAULT_BUSY_TIMEOUT_MS",
    "QUERIES",
    "SqliteStorage",
    "SqliteUnitOfWork",
    "orderstatus_register_adapters",
]

_T = TypeVar("_T")
# What running a statement can raise: SQLite's own errors, and a value the driver cannot
# bind (a lone surrogate in text, an integer beyond 64 bits).
_FAILURES: Final = (sqlite3.Error, UnicodeEncodeError, OverflowError)


# --- the unit of work ---------------------------------------------------------------------


class SqliteUnitOfWork:
    """One command's transaction on one connection; see :class:`orderstatus_core.UnitOfWork`.

    A read unit (``write=False``) runs in a deferred transaction (``BEGIN``): one snapshot
    from its first read, never a lock that blocks a writer (WAL). A write unit starts with
    ``BEGIN IMMEDIATE`` so a read-then-write can never deadlock or act on stale data.
    After :meth:`commit` or :meth:`rollback` the unit stays usable; its next statement
    starts a new transaction, and leaving the block rolls back whatever is uncommitted.

    A read-once unit (``read_once=True``) begins no transaction: its one statement runs in
    autocommit, where SQLite reads it in an implicit read transaction of its own (every
    part of a ``UNION ALL`` or a subquery sees the same WAL end mark, held until the
    statement is reset), and its cursor is closed before the answer is returned, so no
    snapshot outlives the read. A second statement raises :class:`AdapterError` before it
    runs: it would read a later snapshot than the first.
    """

    # The state of a unit not yet open, as class defaults: a unit is made per request
    # (every page view's session check), and each one only sets what differs.
    _statements = 0
    _handle: Handle | None = None
    _connection: sqlite3.Connection | None = None
    _control: sqlite3.Cursor | None = None
    _in_transaction = False
    _broken = False

    def __init__(self, storage: SqliteStorage, write: bool, read_once: bool = False) -> None:
        if write and read_once:
            raise AdapterError("a read-once unit of work cannot write (write=True)")
        self._storage = storage
        self._write = write
        self._read_once = read_once

    # A repository is a view of its unit (it holds nothing but the unit), made on each
    # read: nothing to keep, so nothing to drop when the unit ends, and no reference
    # cycle between them for the garbage collector (one unit per request).

    @property
    def orders(self) -> Orders:
        """The orders, as this unit sees them."""
        return Orders(self)

    @property
    def outbox(self) -> Outbox:
        """The outbox, in this unit's transaction."""
        return Outbox(self)

    @property
    def passes(self) -> Passes:
        """Guest-pass challenges and passes."""
        return Passes(self)

    @property
    def idempotency(self) -> Replies:
        """Stored replies by idempotency key."""
        return Replies(self)

    @property
    def credit(self) -> Credit:
        """The store-credit ledger."""
        return Credit(self)

    @property
    def documents(self) -> Documents:
        """Return papers."""
        return Documents(self)

    @property
    def accounts(self) -> Accounts:
        """Accounts, their tokens, linked orders and security log."""
        return Accounts(self)

    @property
    def sessions(self) -> Sessions:
        """Logged-in sessions."""
        return Sessions(self)

    @property
    def captchas(self) -> Captchas:
        """Captcha challenges waiting for their answer."""
        return Captchas(self)

    def __enter__(self) -> Self:
        if self._handle is not None:
            raise AdapterError("this unit of work is already open")
        storage = self._storage
        if storage._memory:
            storage._claim_memory_unit(self._write)
        try:
            handle = storage._acquire()
            self._control = handle.control
            try:
                if not handle.schema_checked:
                    storage._check_schema(handle)
                if not self._read_once:
                    self._begin(handle.connection)
            except BaseException:
                self._in_transaction = False
                self._control = None
                storage._release(handle)
                raise
        except BaseException:
            if storage._memory:
                storage._free_memory_unit(self._write)
            raise
        self._handle, self._connection, self._broken = handle, handle.connection, False
        self._statements = 0
        return self

    def _begin(self, connection: sqlite3.Connection) -> None:
        if self._write:
            self._storage._begin_immediate(connection)
        else:
            control = self._control
            try:
                if control is None:
                    connection.execute("BEGIN")
                else:
                    control.execute("BEGIN")
            except sqlite3.Error as error:
                raise translate(error, "starting a read transaction") from error
        self._in_transaction = True

    def _open_connection(self) -> sqlite3.Connection:
        connection = self._connection
        if connection is None:
            raise AdapterError("the unit of work is not open")
        try:
            active = connection.in_transaction
        except sqlite3.Error as error:  # closed under us by SqliteStorage.close()
            raise translate(error, "using a unit of work") from error
        if self._in_transaction and not active:
            # SQLite ends a transaction by itself after some errors (disk full, I/O): the
            # writes so far are gone, so the unit must not commit what comes after them.
            self._in_transaction = False
            self._broken = self._write
        return connection

    def _reading(self) -> sqlite3.Connection:
        connection = self._open_connection()
        if not self._in_transaction and not self._read_once:
            self._begin(connection)
        return connection

    def _writing(self) -> sqlite3.Connection:
        connection = self._open_connection()
        if not self._write:
            raise AdapterError("this unit of work was opened read-only (write=False)")
        if not self._in_transaction:
            self._begin(connection)
        return connection

    # --- running statements: the one place a sqlite3 failure is translated ---

    def _fetch(
        self,
        read: Callable[[sqlite3.Cursor], _T],
        sql: str,
        parameters: Sequence[object],
        doing: str,
        *,
        write: bool = False,
        duplicate: Callable[[], OrderStatusError] | None = None,
        partial: bool = False,
    ) -> _T:
        """Run one statement of this unit and ``read`` its cursor.

        A failure becomes the library's error (:func:`~orderstatus_sqlite.connections.translate`;
        a primary-key or unique violation ``duplicate()`` if given). ``partial``: the statement
        continues a write that is already half done, so a failure poisons the unit (its
        commit refuses and rolls back, SECURITY G1).
        """
        if self._read_once and not write:
            return self._fetch_once(read, sql, parameters, doing)
        connection = self._writing() if write else self._reading()
        try:
            return read(connection.execute(sql, parameters))
        except _FAILURES as error:
            if partial:
                self._broken = True
            raise translate(error, doing, duplicate) from error

    def _fetch_once(
        self,
        read: Callable[[sqlite3.Cursor], _T],
        sql: str,
        parameters: Sequence[object],
        doing: str,
    ) -> _T:
        """The one statement of a read-once unit, in autocommit; its cursor closed after.

        No transaction to begin or to find broken (``_reading``): only the unit must be
        open. A connection closed under it by ``SqliteStorage.close()`` fails in
        ``execute``, translated as every failure here is."""
        connection = self._connection
        if connection is None:
            raise AdapterError("the unit of work is not open")
        if self._statements:
            raise AdapterError(
                "this unit of work reads once (read_once=True) and has read: a second "
                "statement would read another snapshot; open a unit for both reads"
            )
        self._statements = 1
        try:
            cursor = connection.execute(sql, parameters)
            try:
                return read(cursor)
            finally:
                cursor.close()  # reset now: no read transaction outlives the statement
        except _FAILURES as error:
            raise translate(error, doing) from error

    def _many(
        self,
        sql: str,
        rows: list[tuple[Any, ...]],
        doing: str,
        *,
        partial: bool = True,
    ) -> None:
        """Run one write statement for each of ``rows``; see :meth:`_fetch`."""
        connection = self._writing()
        try:
            connection.executemany(sql, rows)
        except _FAILURES as error:
            if partial:
                self._broken = True
            raise translate(error, doing) from error

    def _purge(self, sql: str, before: datetime, doing: str) -> int:
        """Run a purge of what is older than ``before``; how many rows it deleted."""
        return self._fetch(CURSOR, sql, (micros(utc(before)),), doing, write=True).rowcount

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
            raise translate(error, "committing") from error
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
            raise translate(error, "rolling back") from error

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        handle, connection = self._handle, self._connection
        if handle is None or connection is None:
            return
        self._handle = self._connection = self._control = None
        self._in_transaction = self._broken = False
        failure: sqlite3.Error | None = None
        try:
            if connection.in_transaction:
                handle.control.execute("ROLLBACK")
        except sqlite3.Error as error:
            failure = error
        self._storage._release(handle, reusable=failure is None)
        if self._storage._memory:
            self._storage._free_memory_unit(self._write)
        # After close() the connection is gone, and with it the transaction: nothing to say.
        if failure is not None and exc is None and not self._storage._closed:
            raise translate(failure, "ending a unit of work") from failure


# --- the storage ---------------------------------------------------------------------------


class SqliteStorage(ThreadConnections):
    """Orders, outbox, guest passes, store credit, return papers, accounts, sessions and
    captcha challenges in one SQLite database file (or a private in-memory database).

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
        super().__init__(
            database, busy_timeout_ms=busy_timeout_ms, begin_retries=begin_retries, url=url
        )

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
            # isdigit() alone takes "²", which int() refuses, and "٣", which it reads as 3.
            if not (text.isascii() and text.isdigit()) or len(text) > 7:
                raise InvalidUrlError("busy_timeout must be a number of milliseconds")
            busy_timeout = int(text)
        path = unquote(path)
        return cls(path or ":memory:", busy_timeout_ms=busy_timeout, url=url)

    @property
    def url(self) -> str:
        """The URL this storage was opened with."""
        return self._url

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> SqliteUnitOfWork:
        """A new unit of work; see :class:`orderstatus_core.UnitOfWork` and, for
        ``read_once`` (one statement in autocommit, no ``BEGIN``),
        :meth:`orderstatus_core.Storage.unit_of_work`."""
        if self._closed:
            self._refuse_if_closed()
        return SqliteUnitOfWork(self, write, read_once)

    def migrate(self) -> int:
        """Apply every pending migration, one transaction each; return the schema version.

        Idempotent, and safe when several processes migrate at once: each step re-reads
        the version under the write lock. A database newer than this code is refused
        with :class:`SchemaVersionError`.
        """
        handle = self._acquire()
        try:
            migrator = _Migrator(self, handle.connection)
            version = runner.migrate(migrator, self._url, len(MIGRATIONS), SCHEMA_VERSION)
            handle.schema_checked = True
            return version
        except sqlite3.Error as error:
            raise translate(error, "migrating the schema") from error
        finally:
            self._release(handle)

    def _check_schema(self, handle: Handle) -> None:
        """Refuse a database of another schema version; once per connection, then free."""
        if handle.schema_checked:
            return
        try:
            version = user_version(handle.connection)
        except sqlite3.Error as error:
            raise translate(error, "reading the schema version") from error
        runner.check_version(self._url, version, SCHEMA_VERSION)
        handle.schema_checked = True


class _Migrator:
    """This adapter's side of the shared migration runner: ``BEGIN IMMEDIATE`` is the
    migration lock, ``PRAGMA user_version`` the version, each script or Python step of
    :data:`~orderstatus_sqlite.migrations.MIGRATIONS` sets it itself."""

    def __init__(self, storage: SqliteStorage, connection: sqlite3.Connection) -> None:
        self._storage = storage
        self._connection = connection

    @contextlib.contextmanager
    def migration_transaction(self) -> Iterator[None]:
        connection = self._connection
        self._storage._begin_immediate(connection)
        try:
            yield
            connection.execute("COMMIT")
        finally:
            if connection.in_transaction:
                connection.execute("ROLLBACK")

    def schema_version(self) -> int:
        return user_version(self._connection)

    def apply_migration(self, target: int) -> None:
        connection = self._connection
        script = MIGRATIONS[target - 1]
        if callable(script):
            script(connection)
        else:
            for statement in statements(script):
                connection.execute(statement)
        if user_version(connection) != target:
            raise AdapterError(f"migration {target} did not set its version")


@hookimpl
def orderstatus_register_adapters(registry: AdapterRegistry) -> None:
    """``sqlite://`` storage."""
    registry.add_storage("sqlite", SqliteStorage.from_url)
