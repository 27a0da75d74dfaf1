"""PostgreSQL connections: opening by URL, checking a pooled connection, and the one place
psycopg errors are translated.

:func:`translate` turns every psycopg failure into the library's error: lost races
(deadlock, serialization failure, lock timeout) are :class:`TransientConflictError`, a
lost connection and anything else :class:`AdapterError` naming the URL without its
password. The unit of work runs every statement through it.

:class:`PooledConnection` is the class of the pool's connections: psycopg's, plus the
cursors it keeps for the hot reads, and :func:`configure` prepares each new one (its
isolation level and its JSON loader).
"""

from __future__ import annotations

import json
import re
import select
from typing import Any, Final, LiteralString
from urllib.parse import parse_qs, quote, unquote, urlsplit

import attrs
import psycopg
import psycopg_pool
from psycopg import errors as pg_errors
from psycopg.abc import Buffer
from psycopg.adapt import Loader
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from orderstatus_core import AdapterError, InvalidUrlError, TransientConflictError
from orderstatus_core.errors import OrderStatusError

__all__ = [
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_LOCK_TIMEOUT_MS",
    "DEFAULT_POOL_MAX",
    "DEFAULT_POOL_MIN",
    "DEFAULT_POOL_TIMEOUT",
    "SCHEMA_NAME",
    "JsonLoader",
    "PooledConnection",
    "Settings",
    "alive",
    "configure",
    "connection_lost",
    "display_url",
    "first_line",
    "is_race",
    "parse_url",
    "translate",
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

#: A schema name the adapter accepts (identifiers cannot be bound, so they are checked).
SCHEMA_NAME: Final = re.compile(r"[a-z_][a-z0-9_]{0,62}")
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


def is_race(error: BaseException) -> bool:
    return isinstance(error, psycopg.Error) and error.sqlstate in _RACE_STATES


def translate(error: BaseException, doing: str, url: str) -> OrderStatusError:
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
            f"{type(error).__name__}: {first_line(error)}"
        )
    return AdapterError(
        f"PostgreSQL ({url}) failed while {doing}: {type(error).__name__}: {first_line(error)}"
    )


def first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else "no details"


def connection_lost(connection: psycopg.Connection[Any]) -> bool:
    """Whether ``connection`` can no longer be used: closed, or broken (psycopg's
    ``broken`` is a ``closed`` that nobody asked for, so ``closed`` answers both)."""
    return connection.closed


def alive(connection: psycopg.Connection[Any]) -> bool:
    """Whether an idle pooled connection may be used, without a round trip.

    An idle connection of ours receives nothing unasked (no LISTEN, no SET): if its socket
    is readable, the server has sent its goodbye (the FATAL of a terminated backend) or
    closed it. One ``poll`` call, no message to the server. (A server that pushes a notice
    or a parameter change to idle sessions costs at worst one healthy connection, replaced.)
    """
    if connection_lost(connection):
        return False
    try:
        if isinstance(connection, PooledConnection):
            return not connection.socket_readable()
        return not _readable(connection.fileno())
    except (OSError, ValueError, psycopg.Error):
        return False


def _readable(fd: int) -> bool:
    """Whether something waits to be read on ``fd``, without waiting."""
    if hasattr(select, "poll"):  # any descriptor number (select() stops at 1024)
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        return bool(poller.poll(0))
    readable, _w, _x = select.select([fd], [], [], 0)
    return bool(readable)


# --- opening by URL ------------------------------------------------------------------------


@attrs.frozen
class Settings:
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


def parse_url(url: str) -> Settings:
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
    if schema is not None and not SCHEMA_NAME.fullmatch(schema):
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
    return Settings(
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


def display_url(conninfo: str) -> str:
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


# --- the pool's connections ------------------------------------------------------------------


class PooledConnection(psycopg.Connection[Any]):
    """A connection of a storage's pool, which keeps one cursor per hot read statement.

    psycopg makes a new cursor for every ``Connection.execute``, with its own copy of the
    adapters and a new transformer that looks up a loader for each column of the result
    again; on the one-order read of find-order that was a fifth of the client's work
    (``bench/RESULTS.md``). A cursor that runs the *same* query object again keeps its
    transformer, so :meth:`cursor_for` gives each statement (a constant of
    :mod:`orderstatus_postgres._sql`) its own cursor on this connection, made at its first
    use and kept while the pool keeps the connection.

    Only a statement whose rows are fetched at once may run on a kept cursor (the unit's
    ``_row`` and ``_rows``: an order, a search page): the next run of the statement
    replaces the cursor's result, which the cursor holds until then.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._kept: dict[str, psycopg.Cursor[Any]] = {}
        # The socket never changes while the connection lives: one poll object, registered
        # once, answers alive() at each checkout.
        self._poller: Any = None
        if hasattr(select, "poll"):
            self._poller = select.poll()
            self._poller.register(self.fileno(), select.POLLIN)

    def socket_readable(self) -> bool:
        """Whether something waits to be read on this connection's socket (checked
        without waiting; see :func:`alive`)."""
        if self._poller is None:
            return _readable(self.fileno())
        return bool(self._poller.poll(0))

    def cursor_for(self, statement: LiteralString) -> psycopg.Cursor[Any]:
        """The cursor this connection keeps for ``statement``, made at its first use."""
        cursor = self._kept.get(statement)
        if cursor is None:
            cursor = self._kept[statement] = self.cursor()
        return cursor


# The C scanner behind json.loads, without json.loads' checks of its argument's type and
# encoding, which PostgreSQL's json and jsonb text (UTF-8, no leading space) never needs.
_JSON: Final = json.JSONDecoder()


class JsonLoader(Loader):
    """``json`` and ``jsonb`` columns (text format) to Python values, as ``json.loads``
    reads them: the same values, and the same error for text it refuses.

    psycopg's own loader passes the column to ``json.loads``, which first works out the
    encoding of the bytes and skips leading and trailing white space in Python; the server
    sends UTF-8 without either, so this decodes and scans at once, and leaves anything
    else (white space, a byte that is not UTF-8, a malformed document) to ``json.loads``.
    """

    def load(self, data: Buffer) -> Any:
        """The value of one column's text."""
        try:
            text = str(data, "utf-8")
            value, end = _JSON.raw_decode(text)
        except ValueError:  # UnicodeDecodeError, JSONDecodeError: json.loads decides
            return json.loads(bytes(data))
        if end != len(text):
            return json.loads(bytes(data))
        return value


def configure(connection: psycopg.Connection[Any]) -> None:
    """Every new pooled connection: write units begin READ COMMITTED transactions whatever
    the server's default_transaction_isolation (the locks of the units rely on it), and
    ``json``/``jsonb`` columns are read by :class:`JsonLoader`."""
    connection.isolation_level = psycopg.IsolationLevel.READ_COMMITTED
    adapters = connection.adapters
    adapters.register_loader("json", JsonLoader)
    adapters.register_loader("jsonb", JsonLoader)
