"""The PostgreSQL storage adapter: psycopg 3 with a psycopg_pool connection pool.

It behaves like the reference :class:`orderstatus_memory.MemoryStorage` (same answers,
same ordering, same errors) and keeps SECURITY G1-G4 the way PostgreSQL does it.

**Connections.** One :class:`psycopg_pool.ConnectionPool` per storage, opened by
:meth:`PostgresStorage.from_url` (which fails within ``connect_timeout`` seconds, naming
the URL without its password, when the server is unreachable). A unit of work takes a
connection from the pool when it is entered and gives it back when it is left, always
outside a transaction: between commands no connection is ``idle in transaction``. Every
session runs with ``TimeZone=UTC`` and, with ``?schema=``, that schema alone on its
``search_path``. Each pooled connection keeps a cursor for each statement that reads an
order or a search page, so psycopg adapts that result's columns once per connection
instead of once per read, and reads ``json``/``jsonb`` with the adapter's loader
(:class:`~orderstatus_postgres.connections.PooledConnection`).

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

Advisory locks belong to the database, so their first key is the schema's own
(:attr:`PostgresStorage.locks`): stores on two schemas of one database never wait on, or
deadlock with, each other's locks.

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

import contextlib
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Final, LiteralString, Self

import psycopg
import psycopg_pool
from psycopg import errors as pg_errors
from psycopg import sql as pg_sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.pq import TransactionStatus

from orderstatus_core import AdapterError, ConflictError, InvalidFieldError
from orderstatus_postgres import _sql
from orderstatus_postgres._locks import LockSpace, lock_space
from orderstatus_postgres._repositories import (
    Accounts,
    Captchas,
    Credit,
    Documents,
    Orders,
    Outbox,
    Passes,
    Replies,
    Sessions,
    one,
)
from orderstatus_postgres.connections import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_LOCK_TIMEOUT_MS,
    DEFAULT_POOL_MAX,
    DEFAULT_POOL_MIN,
    DEFAULT_POOL_TIMEOUT,
    SCHEMA_NAME,
    PooledConnection,
    alive,
    configure,
    connection_lost,
    display_url,
    first_line,
    is_race,
    parse_url,
    translate,
)
from orderstatus_postgres.migrations import (
    MIGRATION_LOCK,
    MIGRATIONS,
    SCHEMA_VERSION,
    VERSION_TABLE,
)
from orderstatus_sql import migrations as runner

# The DEFAULT_* settings live in orderstatus_postgres.connections (imported here for the
# signatures below, and still importable from here).
__all__ = [
    "READ_RETRIES",
    "PostgresStorage",
    "PostgresUnitOfWork",
    "parse_url",
]

#: How many more times a read statement runs after a serialization failure or deadlock.
READ_RETRIES: Final = 3
_RETRY_PAUSE = 0.01  # seconds, doubled after each retry
# libpq's transaction status as an int (``connection.info.transaction_status`` builds an
# info object and an enum member on every call, a tenth of a unit's own work).
_IDLE: Final = int(TransactionStatus.IDLE)
# The name tests and tools have used for the URL parser.
_parse_url = parse_url


# --- the unit of work ---------------------------------------------------------------------


def _aborted_error() -> AdapterError:
    """The error of a statement sent after PostgreSQL aborted the unit's transaction."""
    return AdapterError(
        "an earlier statement of this unit failed and PostgreSQL aborted its "
        "transaction; roll back (or leave the unit) and retry the command"
    )


class PostgresUnitOfWork:
    """One command's work on one pooled connection; see :class:`orderstatus_core.UnitOfWork`.

    A read unit runs each statement in autocommit (one statement, one transaction); a
    write unit is one READ COMMITTED transaction from its first statement to
    :meth:`commit` or :meth:`rollback`, after which the unit stays usable and its next
    statement begins a new transaction. Leaving the block rolls back whatever is
    uncommitted and gives the connection back to the pool, idle.

    A read-once unit (``read_once=True``) is a read unit whose one statement is already
    its own transaction here, so it costs nothing more; a second statement raises
    :class:`AdapterError` before it is sent, as on every storage.
    """

    def __init__(self, storage: PostgresStorage, write: bool, read_once: bool = False) -> None:
        if write and read_once:
            raise AdapterError("a read-once unit of work cannot write (write=True)")
        self._storage = storage
        self._write = write
        self._read_once = read_once
        self._statements = 0
        self._connection: PooledConnection | None = None
        self._open = False
        self._aborted = False

    @property
    def locks(self) -> LockSpace:
        """The namespaces of the advisory locks this unit takes: its store's schema's."""
        return self._storage.locks

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
        if self._open:
            raise AdapterError("this unit of work is already open")
        storage = self._storage
        self._connection = storage._checkout(write=self._write)
        self._open, self._aborted = True, False
        if not storage._schema_checked:  # once per storage; every later unit skips it
            self._check_schema()
        self._statements = 0
        return self

    def _check_schema(self) -> None:
        # The schema check (two statements) is not the unit's read: a read-once unit that
        # is a new storage's first must not count it as its one read.
        read_once, self._read_once = self._read_once, False
        try:
            self._storage._check_schema(self)
        except BaseException:
            self.__exit__(None, None, None)
            raise
        finally:
            self._read_once = read_once

    # --- running statements ---

    def _require_open(self) -> PooledConnection:
        connection = self._connection
        if not self._open or connection is None:
            raise AdapterError("the unit of work is not open")
        return connection

    def _require_writable(self) -> None:
        self._require_open()
        if not self._write:
            raise AdapterError("this unit of work was opened read-only (write=False)")

    def _row(self, sql: LiteralString, parameters: Any, doing: str) -> Any | None:
        """Run one reading statement of this unit, as :meth:`_run` does; its first row, or
        ``None``.

        It runs on the cursor its connection keeps for ``sql``
        (:meth:`PooledConnection.cursor_for`), whose adaptation psycopg reuses from the
        last run: the hot reads (an order with its lines and packages, a search page) go
        through here or :meth:`_rows`.
        """
        return self._run(sql, parameters, doing, kept=True).fetchone()

    def _rows(self, sql: LiteralString, parameters: Any, doing: str) -> list[Any]:
        """:meth:`_row` for a statement of many rows (a search page): all of them."""
        return self._run(sql, parameters, doing, kept=True).fetchall()

    def _run(
        self,
        sql: LiteralString,
        parameters: Any,
        doing: str,
        write: bool = False,
        kept: bool = False,
    ) -> psycopg.Cursor[Any]:
        """Run one statement of this unit, in its transaction if it writes; the cursor.

        A read unit's statement that lost a race (40001, 40P01) is run again, at most
        READ_RETRIES times; nothing else is ever sent twice. ``kept``: on the connection's
        kept cursor for ``sql``, whose rows the caller fetches before anything else runs
        (:meth:`_row`).
        """
        if write:
            self._require_writable()
        connection = self._require_open()
        if self._read_once:
            if self._statements:
                raise AdapterError(
                    "this unit of work reads once (read_once=True) and has read: a second "
                    "statement would read another snapshot; open a unit for both reads"
                )
            self._statements = 1
        if not self._write and connection_lost(connection):
            # A read unit holds no transaction: its next read may simply use a new connection.
            connection = self._replace_connection()
        if self._aborted:
            raise _aborted_error()
        races = 0
        while True:
            try:
                # In a write unit psycopg sends BEGIN with the first statement of each
                # transaction (the connection is out of autocommit), in the same round trip.
                if kept:
                    cursor = connection.cursor_for(sql).execute(sql, parameters)
                else:
                    cursor = connection.execute(sql, parameters)
            except psycopg.Error as error:
                if connection_lost(connection):
                    self._aborted = self._write
                elif not self._write and is_race(error) and races < READ_RETRIES:
                    # A read unit's statement is a transaction of its own: run it again.
                    races += 1
                    time.sleep(_RETRY_PAUSE * 2 ** (races - 1))
                    continue
                elif self._write:
                    # PostgreSQL aborted the transaction: nothing more can be done in it.
                    self._aborted = True
                raise translate(error, doing, self._storage.url) from error
            return cursor

    def _copy_in(
        self,
        copies: Sequence[tuple[LiteralString, Iterable[Sequence[Any]]]],
        doing: str,
        key: str,
    ) -> None:
        """``COPY ... FROM STDIN`` each ``(statement, rows)`` of ``copies`` in turn, in this
        unit's transaction, with no savepoint (each would be a subtransaction, and an import
        sends hundreds of batches: past 64 in one transaction, PostgreSQL's snapshots of
        every other session overflow to its subtransaction log).

        A row that repeats the unique key named ``key`` (a constraint name) was stored by
        another unit after the caller looked for it: PostgreSQL has aborted the transaction,
        so this is a :class:`ConflictError` (retry the command) and the unit cannot commit.
        Any other failure aborts it too, as in :meth:`_run`.
        """
        self._require_writable()
        connection = self._require_open()
        if self._aborted:
            raise _aborted_error()
        try:
            with connection.cursor() as cursor:
                for statement, rows in copies:
                    with cursor.copy(statement) as copy:
                        for row in rows:
                            copy.write_row(row)
        except psycopg.Error as error:
            # PostgreSQL aborted the transaction (or the connection is gone with it).
            self._aborted = True
            if (
                isinstance(error, pg_errors.UniqueViolation)
                and error.diag.constraint_name == key
                and not connection_lost(connection)
            ):
                raise ConflictError(
                    f"another unit stored one of the same numbers while {doing}; nothing of "
                    "this unit is kept: retry the command"
                ) from error
            raise translate(error, doing, self._storage.url) from error

    def _replace_connection(self) -> PooledConnection:
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
        if connection.pgconn.transaction_status == _IDLE:
            return  # nothing written since the last commit
        try:
            connection.commit()
        except psycopg.Error as error:
            if connection_lost(connection):
                self._aborted = True
                raise AdapterError(
                    f"the PostgreSQL connection to {self._storage.url} failed while "
                    "committing: the transaction was most likely rolled back, but "
                    f"PostgreSQL could not confirm it ({first_line(error)})"
                ) from error
            raise translate(error, "committing", self._storage.url) from error

    def rollback(self) -> None:
        """Forget every uncommitted write of this unit (nothing to forget in a read unit).

        On a lost connection there is nothing to send: PostgreSQL has already rolled the
        transaction back, and the unit goes on with a new connection.
        """
        connection = self._require_open()
        if not self._write:
            return
        self._aborted = False
        if not connection_lost(connection):
            try:
                connection.rollback()
            except psycopg.Error as error:
                if not connection_lost(connection):
                    raise translate(error, "rolling back", self._storage.url) from error
            else:
                return
        self._replace_connection()

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        connection = self._connection
        if not self._open or connection is None:
            return
        self._open = False
        self._connection = None
        self._aborted = False
        failure: psycopg.Error | None = None
        if not connection_lost(connection) and connection.pgconn.transaction_status != _IDLE:
            try:
                connection.rollback()
            except psycopg.Error as error:
                failure = error
        self._storage._checkin(connection)
        # A lost connection took its transaction with it: nothing to report.
        if failure is not None and exc is None and not connection_lost(connection):
            raise translate(failure, "ending a unit of work", self._storage.url) from failure


# --- the storage ---------------------------------------------------------------------------


class PostgresStorage:
    """Orders, outbox, guest passes, idempotent replies, store credit, return papers,
    accounts, sessions and captcha challenges in a PostgreSQL database.

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
        if schema is not None and not SCHEMA_NAME.fullmatch(schema):
            raise InvalidFieldError("schema", "must be a lower-case PostgreSQL name")
        if not 0 <= pool_min <= pool_max or pool_max < 1:
            raise InvalidFieldError("pool_max", "must be at least 1 and at least pool_min")
        if not 0 < pool_timeout <= 3600 or not 0 < connect_timeout <= 3600:
            raise InvalidFieldError("timeout", "must be 1 to 3600 seconds")
        if not isinstance(lock_timeout_ms, int) or not 0 <= lock_timeout_ms <= 3_600_000:
            raise InvalidFieldError("lock_timeout", "must be 0 to 3600000 milliseconds")
        try:
            self._url = url or display_url(conninfo)
        except psycopg.ProgrammingError as error:
            raise InvalidFieldError("conninfo", f"not a libpq connection string: {error}") from None
        self._schema = schema
        self._locks = lock_space(schema)
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
                f"cannot connect to PostgreSQL at {self._url}: {first_line(error)}"
            ) from None
        self._pool: psycopg_pool.ConnectionPool[PooledConnection] = psycopg_pool.ConnectionPool(
            self._conninfo,
            connection_class=PooledConnection,
            min_size=pool_min,
            max_size=pool_max,
            timeout=pool_timeout,
            kwargs={"autocommit": True, "prepare_threshold": prepare_threshold},
            configure=configure,
            name=f"orderstatus-{id(self):x}",
            open=False,
        )
        try:
            self._pool.open(wait=pool_min > 0, timeout=float(connect_timeout) + 1)
        except psycopg.Error as error:
            self._pool.close()
            raise AdapterError(
                f"cannot open a pool of connections to PostgreSQL at {self._url}: "
                f"{first_line(error)}"
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
        settings = parse_url(url)
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

    @property
    def locks(self) -> LockSpace:
        """The first keys of this store's advisory locks, its schema's own: stores on two
        schemas of one database never wait on each other's locks (the default path keeps
        the namespaces the adapter always used; see :mod:`orderstatus_postgres._locks`)."""
        return self._locks

    def __repr__(self) -> str:
        return f"PostgresStorage({self._url!r})"

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> PostgresUnitOfWork:
        """A new unit of work; see :class:`orderstatus_core.UnitOfWork` and the module
        docstring for what read and write units lock, and
        :meth:`orderstatus_core.Storage.unit_of_work` for ``read_once``."""
        if self._closed:
            raise AdapterError("the storage is closed")
        return PostgresUnitOfWork(self, write, read_once)

    def migrate(self) -> int:
        """Apply every pending migration, one transaction each; return the schema version.

        Idempotent, and safe when several processes migrate at once: each step holds an
        advisory lock while it reads the version and applies what is missing. Creates the
        ``schema`` of the URL if it does not exist. A schema newer than this code is
        refused with :class:`SchemaVersionError` and left alone.
        """
        connection = self._checkout()
        migrator = _Migrator(connection)
        try:
            with migrator.migration_transaction():
                self._create_schema_and_version_table(connection)
            version = runner.migrate(migrator, self._url, len(MIGRATIONS), SCHEMA_VERSION)
            self._schema_checked = version == SCHEMA_VERSION
            return version
        except psycopg.Error as error:
            raise translate(error, "migrating the schema", self._url) from error
        finally:
            self._checkin(connection)

    def _create_schema_and_version_table(self, connection: psycopg.Connection[Any]) -> None:
        schema = self._schema
        if schema is not None:
            row = connection.execute(
                "SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)
            ).fetchone()
            if row is None:
                # The name was checked against SCHEMA_NAME; identifiers cannot be bound.
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

    def _checkout(self, *, write: bool = False) -> PooledConnection:
        """A pooled connection: in autocommit for a read unit, out of it for a write unit
        (psycopg then begins a READ COMMITTED transaction with the first statement)."""
        if self._closed:
            raise AdapterError("the storage is closed")
        for _attempt in range(self._pool_max + 1):
            try:
                connection = self._pool.getconn(timeout=self._pool_timeout)
            except psycopg.Error as error:
                raise translate(error, "waiting for a connection", self._url) from error
            if alive(connection):
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
                raise translate(error, "preparing a connection", self._url) from error
        return connection

    def _checkin(self, connection: PooledConnection) -> None:
        """Give a connection back, idle and in autocommit; the pool discards one that is
        closed or broken."""
        if not connection.autocommit and not connection_lost(connection):
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
        (exists,) = one(unit._run(_sql.VERSION_TABLE_EXISTS, None, "reading the schema version"))
        version = 0
        if exists:
            (version,) = one(unit._run(_sql.CURRENT_VERSION, None, "reading the schema version"))
        runner.check_version(self._url, version, SCHEMA_VERSION)
        self._schema_checked = True


class _Migrator:
    """This adapter's side of the shared migration runner: an advisory lock is the
    migration lock, the highest row of ``orderstatus_schema`` the version, and the runner
    records each migration there."""

    def __init__(self, connection: psycopg.Connection[Any]) -> None:
        self._connection = connection

    @contextlib.contextmanager
    def migration_transaction(self) -> Iterator[None]:
        connection = self._connection
        with connection.transaction():
            connection.execute("SET LOCAL lock_timeout = 0")  # another migrator may be slow
            connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
            yield

    def schema_version(self) -> int:
        row = self._connection.execute(_sql.CURRENT_VERSION).fetchone()
        return 0 if row is None else int(row[0])

    def apply_migration(self, target: int) -> None:
        connection = self._connection
        migration = MIGRATIONS[target - 1]
        for statement in migration.statements:
            connection.execute(_literal(statement))
        if migration.step is not None:
            migration.step(connection)
        connection.execute(
            "INSERT INTO orderstatus_schema (version, description) VALUES (%s, %s)",
            (target, migration.description),
        )


def _literal(statement: str) -> LiteralString:
    # Migration statements are constants of this package, never built from input.
    return statement
