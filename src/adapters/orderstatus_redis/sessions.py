"""Logged-in sessions in Redis, shared by every app server, while orders and accounts stay
in the SQL storage (``OrderStatus.open(..., sessions="redis://...")``).

**What is stored.** One hash per session, ``<prefix>session:<id hash>``, holding the
account id, *remember*, and its five times; the session id itself never reaches Redis,
only its SHA-256 (SECURITY E2). One set per account, ``<prefix>sessions-of:<account id>``,
names its sessions' hashes, so that "end every session of the account" (a reset, a
password change, a deletion: E3) is one script that ends them all at once. Times are
microseconds since 0001-01-01 UTC, written as 18 fixed-width digits: the scripts compare
them as text, never as Lua numbers (doubles, exact only to 2**53).

**Expiry.** The times are the authority: the core checks the absolute expiry, the idle
time-out and the end on every read (E1), exactly as for a SQL storage, so a key that
outlives its session logs nobody in. The key's TTL only makes sure Redis forgets it: it
lives for the session's lifetime (``expires_at - created_at``, measured from when it is
stored, so the app servers' and Redis's clocks need not agree) plus :data:`KEY_GRACE`, the
default retention of expired sessions. The purge works as on SQL (it scans the session
keys), but a store need not run it for the sessions: at worst an idle or ended session's
key stays until its TTL.

**One unit of work, two stores.** See :class:`RedisSessionStore`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Final, Self

import redis
from redis.exceptions import RedisError

from orderstatus_core import AdapterError, ConflictError
from orderstatus_core.model.account import Account, AccountSession, oldest_first
from orderstatus_core.model.order import utc
from orderstatus_core.model.session_check import SessionCheck
from orderstatus_core.model.session_rules import checked_moment
from orderstatus_core.ports import (
    AccountStore,
    CaptchaStore,
    GuestPassStore,
    IdempotencyStore,
    OrderRepository,
    Outbox,
    ReturnDocumentStore,
    Storage,
    StoreCreditLedger,
    UnitOfWork,
)
from orderstatus_redis._connection import DEFAULT_PREFIX, connect, redacted

__all__ = ["KEY_GRACE", "RedisSessionStore"]

#: How much longer than its lifetime a session's key lives in Redis: the retention of
#: expired sessions (a day), so that an ended session can still be read back meanwhile.
KEY_GRACE: Final = timedelta(days=1)

_MICROSECOND = timedelta(microseconds=1)
_MILLISECOND = timedelta(milliseconds=1)
_EPOCH = datetime(1, 1, 1, tzinfo=UTC)
_HASH = re.compile(r"[0-9a-f]{64}")
_ACCOUNT_ID = re.compile(r"[A-Za-z0-9_-]{8,64}")
_FIELDS = ("account", "remember", "created", "seen", "expires", "reauth", "ended")
_SCAN_BATCH = 500

# The times compared as text: 18 fixed-width digits, split in two halves that Lua's
# doubles hold exactly.
_BEFORE = """
local function before(a, b)
  local x, y = tonumber(string.sub(a, 1, 9)), tonumber(string.sub(b, 1, 9))
  if x ~= y then return x < y end
  return tonumber(string.sub(a, 10)) < tonumber(string.sub(b, 10))
end
"""

# KEYS[1] the account's set; ARGV[1] the prefix of session keys. Returns, per live key of
# the set, its hash and then its seven fields.
READ_ACCOUNT_SCRIPT: Final = """
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local row = redis.call('HMGET', ARGV[1] .. id,
    'account', 'remember', 'created', 'seen', 'expires', 'reauth', 'ended')
  if row[1] then
    out[#out + 1] = id
    for k = 1, 7 do out[#out + 1] = row[k] end
  end
end
return out
"""

# KEYS: session keys. Returns seven fields per key, '' for a key that is gone.
READ_MANY_SCRIPT: Final = """
local out = {}
for i = 1, #KEYS do
  local row = redis.call('HMGET', KEYS[i],
    'account', 'remember', 'created', 'seen', 'expires', 'reauth', 'ended')
  for k = 1, 7 do out[#out + 1] = row[k] or '' end
end
return out
"""

# ARGV[1] the key prefix, then the changes of one unit of work, in order:
#   put id account remember created seen expires reauth ended ttl_ms
#   touch id at | end id at | end_all account at keep ('' for none)
#   purge id expired_before idle_before | drop id
# First every put is checked: one over a stored id refuses the whole change before anything
# is written ({'conflict', id}). Then each change is applied with the same rule as the SQL
# stores' statements (touch forward only, end once, end_all spares ``keep``, purge only
# what can never log in again); Redis runs a script with nothing in between.
APPLY_SCRIPT: Final = (
    _BEFORE
    + """
local P = ARGV[1]
local function skey(id) return P .. 'session:' .. id end
local function akey(account) return P .. 'sessions-of:' .. account end
local width = {put = 10, touch = 3, ['end'] = 3, end_all = 4, purge = 4, drop = 2}
local function end_one(key, at)
  if redis.call('HGET', key, 'ended') == '' then redis.call('HSET', key, 'ended', at) end
end
local i = 2
while i <= #ARGV do
  local op = ARGV[i]
  if not width[op] then return redis.error_reply('unknown session change ' .. op) end
  if op == 'put' and redis.call('EXISTS', skey(ARGV[i + 1])) == 1 then
    return {'conflict', ARGV[i + 1]}
  end
  i = i + width[op]
end
i = 2
while i <= #ARGV do
  local op = ARGV[i]
  if op == 'put' then
    local id, account, ttl = ARGV[i + 1], ARGV[i + 2], ARGV[i + 9]
    redis.call('HSET', skey(id), 'account', account, 'remember', ARGV[i + 3],
      'created', ARGV[i + 4], 'seen', ARGV[i + 5], 'expires', ARGV[i + 6],
      'reauth', ARGV[i + 7], 'ended', ARGV[i + 8])
    redis.call('PEXPIRE', skey(id), ttl)
    redis.call('SADD', akey(account), id)
    if redis.call('PTTL', akey(account)) < tonumber(ttl) then
      redis.call('PEXPIRE', akey(account), ttl)
    end
  elseif op == 'touch' then
    local key, at = skey(ARGV[i + 1]), ARGV[i + 2]
    local row = redis.call('HMGET', key, 'seen', 'ended')
    if row[1] and row[2] == '' and before(row[1], at) then
      redis.call('HSET', key, 'seen', at)
    end
  elseif op == 'end' then
    end_one(skey(ARGV[i + 1]), ARGV[i + 2])
  elseif op == 'end_all' then
    local set, at, keep = akey(ARGV[i + 1]), ARGV[i + 2], ARGV[i + 3]
    for _, id in ipairs(redis.call('SMEMBERS', set)) do
      if redis.call('EXISTS', skey(id)) == 0 then
        redis.call('SREM', set, id)
      elseif id ~= keep then
        end_one(skey(id), at)
      end
    end
  elseif op == 'purge' then
    local id, expired, idle = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3]
    local row = redis.call('HMGET', skey(id), 'account', 'remember', 'seen', 'expires', 'ended')
    if row[1] and (before(row[4], expired) or (row[5] ~= '' and before(row[5], expired))
        or (row[2] == '0' and before(row[3], idle))) then
      redis.call('DEL', skey(id))
      redis.call('SREM', akey(row[1]), id)
    end
  elseif op == 'drop' then
    local account = redis.call('HGET', skey(ARGV[i + 1]), 'account')
    redis.call('DEL', skey(ARGV[i + 1]))
    if account then redis.call('SREM', akey(account), ARGV[i + 1]) end
  end
  i = i + width[op]
end
return {'ok'}
"""
)


def _text(at: datetime) -> str:
    return f"{(utc(at) - _EPOCH) // _MICROSECOND:018d}"


def _moment(text: str) -> datetime:
    return _EPOCH + int(text) * _MICROSECOND


def _row(session: AccountSession) -> list[str]:
    ended = "" if session.ended_at is None else _text(session.ended_at)
    lifetime = max(session.expires_at - session.created_at, timedelta(0))
    ttl = -(-(lifetime + KEY_GRACE) // _MILLISECOND)
    return [
        session.id_hash,
        session.account_id,
        "1" if session.remember else "0",
        _text(session.created_at),
        _text(session.last_seen_at),
        _text(session.expires_at),
        _text(session.reauthenticated_at),
        ended,
        str(ttl),
    ]


def _session(id_hash: str, fields: Sequence[Any]) -> AccountSession:
    account, remember, created, seen, expires, reauth, ended = (
        value.decode() if isinstance(value, bytes) else value for value in fields
    )
    return AccountSession(
        id_hash=id_hash,
        account_id=account,
        remember=remember == "1",
        created_at=_moment(created),
        last_seen_at=_moment(seen),
        expires_at=_moment(expires),
        reauthenticated_at=_moment(reauth),
        ended_at=_moment(ended) if ended else None,
    )


def _glob(text: str) -> str:
    """``text`` as a literal in a ``SCAN MATCH`` pattern."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


class RedisSessionStore:
    """Sessions in one Redis, for every app server of a store; thread-safe and
    process-safe. Opened by :meth:`from_url`; nothing connects until the first session
    is read or written.

    :meth:`with_storage` wraps the SQL storage: its units of work answer ``uow.sessions``
    from here, and everything else from the storage. Within a unit, session reads go to
    Redis (one round trip: checking a session on a page view is one ``HMGET``) and writes
    are kept in the unit, which answers as the SQL stores do (``touch`` / ``end``: whether
    it changed; ``end_all``: how many). :meth:`UnitOfWork.commit` then writes them to
    Redis in one script, **before** the storage commits and while the unit still holds the
    storage's locks (the account's row on PostgreSQL, the write lock on SQLite), so the
    session changes of two commands on one account reach Redis in the order their
    transactions commit. What this guarantees:

    - A unit left without commit, or rolled back, writes nothing to Redis.
    - A Redis failure at commit (down, a time-out) raises
      :class:`~orderstatus_core.AdapterError` and the storage rolls back: a password reset
      or change, or a deletion, is never committed while the account's sessions stay live;
      the shopper sees an error and tries again (the reset link is still unused).
    - The storage's commit failing after Redis took the changes leaves the ended sessions
      ended (their holders log in again: the safe side) and deletes the sessions the unit
      started (their ids were never handed to anyone). If Redis fails at that moment too,
      those orphans live only until their TTL, unreachable without their ids.
    - ``end_all`` ends, in Redis, every session of the account's set when it commits,
      also one started by another server since the unit read the set.
    - The answers (``touch``, ``end``: whether it changed; ``end_all``: how many) are the
      unit's view, exact where the storage's locks order the units (SQLite's write lock,
      the account's row lock on PostgreSQL). Two PostgreSQL units ending one session
      without holding its account's lock (two log-outs at once) may both answer ``True``;
      Redis keeps the first end time, and the only trace is a second log-out line in the
      security log.

    Redis keeps the sessions as durably as it is configured to (RDB / AOF). The
    session keys of one change are touched by one script, so use one Redis (or a
    primary with replicas), not a Redis Cluster.
    """

    def __init__(self, client: redis.Redis, *, prefix: str = DEFAULT_PREFIX, url: str) -> None:
        self._client = client
        self._apply = client.register_script(APPLY_SCRIPT)  # local: only hashes the text
        self._read_account = client.register_script(READ_ACCOUNT_SCRIPT)
        self._read_many = client.register_script(READ_MANY_SCRIPT)
        self._closed = False
        #: The key prefix of every key this store writes.
        self.prefix = prefix
        #: The URL it was opened with, any password removed.
        self.url = redacted(url)

    @classmethod
    def from_url(cls, url: str) -> RedisSessionStore:
        """``redis://[user:password@]host[:port][/db][?prefix=...]``, or ``rediss://`` for
        TLS, with the options of :class:`~orderstatus_redis.RedisRateLimiter`; an unknown
        one raises :class:`~orderstatus_core.InvalidUrlError`."""
        client, prefix = connect(url)
        return cls(client, prefix=prefix, url=url)

    def with_storage(self, storage: Storage) -> Storage:
        """``storage``, whose units keep their sessions in this Redis."""
        return _StorageWithRedisSessions(storage, self)

    def close(self) -> None:
        """Close the connections. The store is unusable afterwards."""
        self._closed = True
        self._client.close()

    # --- what a unit of work calls ---------------------------------------------------------

    def get(self, id_hash: str) -> AccountSession | None:
        """The stored session with this id hash, or ``None`` (a text that is no hash too)."""
        if not isinstance(id_hash, str) or not _HASH.fullmatch(id_hash):
            return None
        fields = self._call(self._client.hmget, self._session_key(id_hash), _FIELDS)
        return None if fields[0] is None else self._read(id_hash, fields)

    def of_account(self, account_id: str) -> list[AccountSession]:
        """Every stored session of the account, ended or not, in no order."""
        if not isinstance(account_id, str) or not _ACCOUNT_ID.fullmatch(account_id):
            return []
        rows = self._call(
            self._read_account,
            keys=[self._account_key(account_id)],
            args=[self.prefix + "session:"],
        )
        return [
            self._read(_str(rows[start]), rows[start + 1 : start + 8])
            for start in range(0, len(rows), 8)
        ]

    def purgeable(self, expired_before: datetime, idle_before: datetime) -> list[AccountSession]:
        """The stored sessions that can never log in again (the rule of
        :meth:`SessionStore.purge <orderstatus_core.SessionStore.purge>`): one ``SCAN`` over
        the session keys, in batches."""
        expired, idle = utc(expired_before), utc(idle_before)
        return [s for s in self._every_session() if _purgeable(s, expired, idle)]

    def write(self, changes: Sequence[str]) -> None:
        """Apply one unit's changes (``APPLY_SCRIPT``'s arguments), all in one script.

        A put over a stored id raises :class:`~orderstatus_core.ConflictError` and writes
        nothing; a Redis failure raises :class:`~orderstatus_core.AdapterError`."""
        if not changes:
            return
        answer = self._call(self._apply, keys=[], args=[self.prefix, *changes])
        if _str(answer[0]) == "conflict":
            raise ConflictError("a session with this id is already stored")

    # --- below -------------------------------------------------------------------------------

    def _every_session(self) -> Iterator[AccountSession]:
        start = self.prefix + "session:"
        keys: list[str] = []
        for key in self._call(
            lambda: list(self._client.scan_iter(match=_glob(start) + "*", count=_SCAN_BATCH))
        ):
            keys.append(_str(key))
        for first in range(0, len(keys), _SCAN_BATCH):
            batch = keys[first : first + _SCAN_BATCH]
            rows = self._call(self._read_many, keys=batch, args=[])
            for n, key in enumerate(batch):
                fields = rows[7 * n : 7 * n + 7]
                if _str(fields[0]):  # '' for a key that expired since the scan
                    yield self._read(key[len(start) :], fields)

    def _read(self, id_hash: str, fields: Sequence[Any]) -> AccountSession:
        try:
            return _session(id_hash, fields)
        except (ValueError, TypeError) as error:
            raise AdapterError(
                f"Redis session store at {self.url}: a stored session cannot be read "
                f"({type(error).__name__})"
            ) from error

    def _session_key(self, id_hash: str) -> str:
        return f"{self.prefix}session:{id_hash}"

    def _account_key(self, account_id: str) -> str:
        return f"{self.prefix}sessions-of:{account_id}"

    def _call(self, call: Any, *args: Any, **kwargs: Any) -> Any:
        if self._closed:
            raise AdapterError(f"the Redis session store at {self.url} is closed")
        try:
            return call(*args, **kwargs)
        except RedisError as error:
            raise AdapterError(
                f"Redis session store at {self.url}: {type(error).__name__}: {error}"
            ) from error


def _str(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _purgeable(session: AccountSession, expired: datetime, idle: datetime) -> bool:
    return (
        session.expires_at < expired
        or (session.ended_at is not None and session.ended_at < expired)
        or (not session.remember and session.last_seen_at < idle)
    )


class _UnitSessions:
    """``uow.sessions`` of one unit: reads from Redis, writes kept until the unit commits.

    ``_view`` holds what this unit changed (``None``: purged), so a unit reads its own
    writes; ``_changes`` the same writes as the script's arguments, in order."""

    def __init__(
        self,
        store: RedisSessionStore,
        write: bool,
        unit: _UnitWithRedisSessions,
    ) -> None:
        self._store = store
        self._writable = write
        # The unit: it counts a read-once unit's one read and reads the account of
        # get_with_account from the storage.
        self._unit = unit
        self._view: dict[str, AccountSession | None] = {}
        self._changes: list[str] = []
        self._started: list[str] = []

    def put(self, session: AccountSession) -> None:
        self._check_writable()
        if self._get(session.id_hash) is not None:
            raise ConflictError("a session with this id is already stored")
        self._view[session.id_hash] = session
        self._changes += ["put", *_row(session)]
        self._started.append(session.id_hash)

    def get(self, id_hash: str) -> AccountSession | None:
        self._unit.reading_sessions()
        return self._get(id_hash)

    def get_with_account(self, id_hash: str) -> tuple[AccountSession, Account | None] | None:
        """The session from Redis, then its account from the storage: two stores, so two
        reads, but one read of the unit (a read-once unit allows it as its one read)."""
        self._unit.reading_sessions()
        session = self._get(id_hash)
        if session is None:
            return None
        return session, self._unit.account_for_session(session.account_id)

    def open_sessions(self, account_id: str) -> list[AccountSession]:
        """The account's sessions not ended, as Redis holds them and this unit changed
        them, oldest first."""
        self._unit.reading_sessions()
        mine = self._of_account(account_id)
        return oldest_first(session for session in mine.values() if session.ended_at is None)

    def _of_account(self, account_id: str) -> dict[str, AccountSession]:
        """The account's sessions by id hash, as Redis holds them and this unit changed
        them (written, ended or purged)."""
        mine = {session.id_hash: session for session in self._store.of_account(account_id)}
        for id_hash, seen in self._view.items():
            if seen is None:
                mine.pop(id_hash, None)
            elif seen.account_id == account_id:
                mine[id_hash] = seen
        return mine

    def check(
        self,
        id_hash: str,
        now: datetime,
        *,
        idle_timeout: timedelta,
        touch_interval: timedelta,
    ) -> SessionCheck | None:
        """The page view's check of the session and its account, read as
        :meth:`get_with_account` reads them and decided by the session rules
        (:meth:`SessionCheck.at`)."""
        checked_moment(now, idle_timeout, touch_interval)  # bad input: refused before reading
        found = self.get_with_account(id_hash)
        if found is None:
            return None
        return SessionCheck.at(
            *found, now, idle_timeout=idle_timeout, touch_interval=touch_interval
        )

    def _get(self, id_hash: str) -> AccountSession | None:
        if isinstance(id_hash, str) and id_hash in self._view:
            return self._view[id_hash]
        return self._store.get(id_hash)

    def touch(self, id_hash: str, at: datetime) -> bool:
        self._check_writable()
        session = self._get(id_hash)
        if session is None or session.ended_at is not None or not session.last_seen_at < utc(at):
            return False
        self._view[id_hash] = session.touched(at)
        self._changes += ["touch", id_hash, _text(at)]
        return True

    def end(self, id_hash: str, at: datetime) -> bool:
        self._check_writable()
        session = self._get(id_hash)
        if session is None or session.ended_at is not None:
            return False
        self._view[id_hash] = session.ended(at)
        self._changes += ["end", id_hash, _text(at)]
        return True

    def end_all(self, account_id: str, at: datetime, *, keep: str | None = None) -> int:
        self._check_writable()
        if not isinstance(account_id, str) or not _ACCOUNT_ID.fullmatch(account_id):
            return 0
        mine = self._of_account(account_id)
        ended = 0
        for id_hash, session in mine.items():
            if id_hash != keep and session.ended_at is None:
                self._view[id_hash] = session.ended(at)
                ended += 1
        kept = keep if isinstance(keep, str) and _HASH.fullmatch(keep) else ""
        self._changes += ["end_all", account_id, _text(at), kept]
        return ended

    def purge(self, expired_before: datetime, idle_before: datetime) -> int:
        self._check_writable()
        expired, idle = utc(expired_before), utc(idle_before)
        old = {s.id_hash: s for s in self._store.purgeable(expired, idle)}
        for id_hash, seen in self._view.items():
            if seen is not None and _purgeable(seen, expired, idle):
                old[id_hash] = seen
            elif id_hash in old:
                del old[id_hash]
        for id_hash in old:
            self._view[id_hash] = None
            self._changes += ["purge", id_hash, _text(expired), _text(idle)]
        return len(old)

    def write_to_redis(self) -> list[str]:
        """Apply the unit's changes (see :meth:`RedisSessionStore.write`); the ids of the
        sessions it started."""
        changes, started = self._changes, self._started
        self._store.write(changes)
        self.forget()
        return started

    def drop(self, id_hashes: Sequence[str]) -> None:
        """Delete sessions this unit started, whose storage commit failed."""
        changes: list[str] = []
        for id_hash in id_hashes:
            changes += ["drop", id_hash]
        self._store.write(changes)

    def forget(self) -> None:
        self._view, self._changes, self._started = {}, [], []

    def _check_writable(self) -> None:
        if not self._writable:
            raise AdapterError("this unit of work is read-only: sessions are not written")


class _UnitWithRedisSessions:
    """A unit of the SQL storage whose ``sessions`` live in Redis.

    A read unit opens its storage unit only when something other than the sessions is
    read, so checking a session on a page view is one Redis round trip and no SQL; a
    write unit opens it at once, since its locks order the session writes."""

    def __init__(
        self, storage: Storage, store: RedisSessionStore, write: bool, read_once: bool
    ) -> None:
        if write and read_once:
            raise AdapterError("a unit of work cannot both write and read once (read_once=True)")
        self._storage = storage
        self._write = write
        self._read_once = read_once
        # A read-once unit's one read: through the sessions (Redis) or the storage.
        self._read_sessions = False
        self._inner: UnitOfWork | None = None
        self._sessions = _UnitSessions(store, write, self)

    def _unit(self) -> UnitOfWork:
        if self._read_once and self._read_sessions:
            raise self._second_read()
        return self._open()

    def _open(self) -> UnitOfWork:
        if self._inner is None:
            self._inner = self._storage.unit_of_work(
                write=self._write, read_once=self._read_once
            ).__enter__()
        return self._inner

    def reading_sessions(self) -> None:
        """A read of the sessions: in a read-once unit, its one read (the storage's unit,
        once opened, has had or will have the other)."""
        if self._read_once:
            if self._read_sessions or self._inner is not None:
                raise self._second_read()
            self._read_sessions = True

    def account_for_session(self, account_id: str) -> Account | None:
        """The account of a session read from Redis, read in the storage's unit (its one
        read there, in a read-once unit)."""
        return self._open().accounts.get(account_id)

    @staticmethod
    def _second_read() -> AdapterError:
        return AdapterError(
            "this unit of work reads once (read_once=True) and has read: a second read "
            "would see another moment of the stores"
        )

    @property
    def orders(self) -> OrderRepository:
        return self._unit().orders

    @property
    def outbox(self) -> Outbox:
        return self._unit().outbox

    @property
    def idempotency(self) -> IdempotencyStore:
        return self._unit().idempotency

    @property
    def passes(self) -> GuestPassStore:
        return self._unit().passes

    @property
    def credit(self) -> StoreCreditLedger:
        return self._unit().credit

    @property
    def documents(self) -> ReturnDocumentStore:
        return self._unit().documents

    @property
    def accounts(self) -> AccountStore:
        return self._unit().accounts

    @property
    def sessions(self) -> _UnitSessions:
        return self._sessions

    @property
    def captchas(self) -> CaptchaStore:
        return self._unit().captchas

    def __enter__(self) -> Self:
        if self._write:
            self._unit()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._sessions.forget()
        self._read_sessions = False
        inner, self._inner = self._inner, None
        if inner is not None:
            inner.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        # Redis first, under the storage's locks: a failure here rolls the command back.
        started = self._sessions.write_to_redis()
        try:
            self._unit().commit()
        except BaseException as error:
            if started:
                try:
                    self._sessions.drop(started)
                except AdapterError as also:
                    error.add_note(f"deleting the sessions it started failed too: {also}")
            raise

    def rollback(self) -> None:
        self._sessions.forget()
        if self._inner is not None:
            self._inner.rollback()


class _StorageWithRedisSessions:
    """The SQL storage with its sessions in Redis (:meth:`RedisSessionStore.with_storage`)."""

    def __init__(self, storage: Storage, store: RedisSessionStore) -> None:
        self._storage = storage
        self._store = store

    @property
    def url(self) -> str:
        return self._storage.url

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> UnitOfWork:
        return _UnitWithRedisSessions(self._storage, self._store, write, read_once)

    def migrate(self) -> int:
        return self._storage.migrate()

    def close(self) -> None:
        self._storage.close()
