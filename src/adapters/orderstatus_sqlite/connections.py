"""SQLite connections: one per thread, and the one place SQLite errors are translated.

Connections are opened lazily, one per thread, and kept for the thread's lifetime; a
second unit opened while the first is still open on the same thread gets its own
connection, because one SQLite connection holds one transaction. They are opened with
``check_same_thread=False`` only so that :meth:`ThreadConnections.close` (and the clean-up
of ended threads) can close them from another thread; while in use, a connection belongs to
exactly one thread.

:func:`translate` is the one place a :mod:`sqlite3` failure becomes a library error: busy
and locked mean a lost race (:class:`ConflictError`, "retry the command"), anything else
is :class:`AdapterError`. The units of work run every statement through it.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable
from typing import Final

from orderstatus_core import AdapterError, ConflictError, InvalidFieldError
from orderstatus_core.errors import OrderStatusError

__all__ = [
    "DEFAULT_BEGIN_RETRIES",
    "DEFAULT_BUSY_TIMEOUT_MS",
    "Handle",
    "ThreadConnections",
    "translate",
    "user_version",
]

#: How long a connection waits for another writer's lock before SQLite gives up.
DEFAULT_BUSY_TIMEOUT_MS: Final = 5000
#: How many more times ``BEGIN IMMEDIATE`` is tried after a busy timeout ran out.
DEFAULT_BEGIN_RETRIES: Final = 3
_RETRY_PAUSE = 0.05  # seconds; doubled after each retry
_BUSY_CODES: Final = frozenset({sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED})
_DUPLICATE_CODES: Final = frozenset(
    {sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY, sqlite3.SQLITE_CONSTRAINT_UNIQUE}
)


def translate(
    error: BaseException, doing: str, duplicate: Callable[[], OrderStatusError] | None = None
) -> OrderStatusError:
    """The library error for a failure of :mod:`sqlite3` while ``doing`` something.

    Busy and locked mean a lost race: :class:`ConflictError`. A primary-key or unique
    violation is the error ``duplicate`` makes when the caller gives it (a taken order number,
    selector; made only then, since building an error costs more than the write).
    Anything else, including a value the driver cannot bind (a lone surrogate, an integer
    beyond 64 bits), is :class:`AdapterError`.
    """
    if isinstance(error, OrderStatusError):
        return error
    code = getattr(error, "sqlite_errorcode", None)
    if duplicate is not None and code in _DUPLICATE_CODES:
        return duplicate()
    if code is not None and code & 0xFF in _BUSY_CODES:
        return ConflictError(
            f"the database stayed busy while {doing} (another writer held it); retry the command"
        )
    return AdapterError(f"SQLite failed while {doing}: {type(error).__name__}: {error}")


def user_version(connection: sqlite3.Connection) -> int:
    """The schema version SQLite keeps in the database header."""
    (version,) = connection.execute("PRAGMA user_version").fetchone()
    return int(version)


class Handle:
    """One connection, the thread it belongs to, and what is known about its schema.

    ``control`` is a cursor kept for the statements that start and end a unit's
    transaction: ``connection.execute`` makes a new cursor each time, which costs about a
    third of running ``BEGIN`` or ``ROLLBACK`` (two of them in every unit of work).
    """

    __slots__ = ("connection", "control", "owner", "schema_checked")

    def __init__(self, connection: sqlite3.Connection, owner: threading.Thread | None) -> None:
        self.connection = connection
        self.control = connection.cursor()
        self.owner = owner
        self.schema_checked = False


class _IdleHandles(list[Handle]):
    """One thread's idle connections, and that thread, looked up once when the list is made
    (``threading.current_thread()`` on every release was a measurable part of each unit)."""

    __slots__ = ("thread",)

    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.current_thread()


def _whole(value: object) -> bool:
    """An ``int`` that is not a ``bool`` (``True`` is not a number of milliseconds)."""
    return isinstance(value, int) and not isinstance(value, bool)


class ThreadConnections:
    """The connections of one database: one idle stack per thread, all closed at once."""

    def __init__(
        self,
        database: str | os.PathLike[str],
        *,
        busy_timeout_ms: int,
        begin_retries: int,
        url: str | None,
    ) -> None:
        if not _whole(busy_timeout_ms) or not 0 <= busy_timeout_ms <= 3_600_000:
            raise InvalidFieldError("busy_timeout", "must be 0 to 3600000 milliseconds")
        if not _whole(begin_retries) or not 0 <= begin_retries <= 100:
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
        self._handles: list[Handle] = []
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
            self._handles.append(Handle(self._connect(), owner=None))

    def close(self) -> None:
        """Close every connection this storage opened; it refuses use afterwards.

        Idempotent. An in-memory database is gone once closed.
        """
        with self._lock:
            self._closed = True
            handles, self._handles = self._handles, []
        for handle in handles:
            handle.connection.close()

    def _connect(self) -> sqlite3.Connection:
        target = self._path if self._memory_uri is None else self._memory_uri
        try:
            connection = sqlite3.connect(
                target,
                uri=self._memory_uri is not None,
                timeout=self._timeout,  # sets PRAGMA busy_timeout
                isolation_level=None,  # we issue BEGIN / COMMIT ourselves
                # Each connection is used by one thread at a time (thread-local), but
                # close() must be able to close another thread's connection.
                check_same_thread=False,
            )
        except sqlite3.Error as error:
            raise translate(error, f"opening {self._url}") from error
        try:
            connection.execute("PRAGMA foreign_keys = ON")
            connection.execute("PRAGMA synchronous = NORMAL")
            # No memory map (mmap_size) and the default page cache, on purpose. In WAL mode
            # a read transaction that finds another connection's commit drops its whole page
            # cache and unmaps its whole map (pager.c, pagerBeginReadTransaction), so in a
            # store that writes (mail queued, passes, sessions) neither stays warm. Measured
            # by bench/page_cache.py (bench/RESULTS.md, 2026-12-07): a map made find-order's
            # read 4-10 us faster alone, but a write beside a second connection 60 % slower;
            # a 64 MiB cache was slower at 1M orders; 8 and 16 KiB pages were slower too.
            if self._memory_uri is None:
                (mode,) = connection.execute("PRAGMA journal_mode = WAL").fetchone()
                if str(mode).lower() != "wal":
                    raise AdapterError(f"{self._url}: SQLite refused WAL mode ({mode})")
        except BaseException as error:
            connection.close()
            if isinstance(error, sqlite3.Error):
                raise translate(error, f"opening {self._url}") from error
            raise
        return connection

    def _acquire(self) -> Handle:
        """This thread's idle connection, or a new one."""
        if self._closed:  # checked again here: close() may have run since unit_of_work()
            self._refuse_if_closed()
        idle = self._idle()
        if idle:
            return idle.pop()
        self._close_orphans()
        handle = Handle(self._connect(), owner=idle.thread)
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

    def _release(self, handle: Handle, *, reusable: bool = True) -> None:
        """Give a connection back to this thread, or close it if it cannot be trusted."""
        if not reusable or self._closed or handle.connection.in_transaction:
            # A connection that could not roll back is not trusted with another unit.
            self._discard(handle)
            return
        idle = self._idle()
        # Normally the thread that opened it; if a unit was left on another thread, the
        # connection now belongs to that one (and is closed when that thread ends).
        handle.owner = idle.thread
        idle.append(handle)

    def _idle(self) -> _IdleHandles:
        """This thread's idle connections (made at its first unit)."""
        idle: _IdleHandles | None = getattr(self._local, "idle", None)
        if idle is None:
            idle = self._local.idle = _IdleHandles()
        return idle

    def _discard(self, handle: Handle) -> None:
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
                conflict = translate(error, "waiting for the write lock")
                if not isinstance(conflict, ConflictError) or attempt == self._begin_retries:
                    raise conflict from error
                time.sleep(pause)
                pause *= 2
            except sqlite3.Error as error:
                raise translate(error, "starting a write transaction") from error
            else:
                return
