"""The account commands with their sessions in Redis and the account in SQLite: the SQL
stores' properties (E1-E3) hold, and a failure of either store at each step never leaves a
live session after a reset, a password change or a deletion (the ordering promised by
``RedisSessionStore``: session writes reach Redis before the storage commits)."""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
import redis

from orderstatus_core import (
    AccountDeleted,
    AccountView,
    AdapterError,
    LoggedIn,
    LoggedOut,
    NotLoggedIn,
    OrderStatus,
    PasswordChanged,
    PasswordReset,
)
from orderstatus_core.model.account import AccountSession, hash_session_id
from orderstatus_core.ports import Storage, UnitOfWork
from orderstatus_core.services import ServiceContext
from orderstatus_core.testing import FixedClock, fake_context
from orderstatus_memory import MemoryStorage
from orderstatus_redis import RedisSessionStore
from orderstatus_redis.sessions import APPLY_SCRIPT, KEY_GRACE, READ_ACCOUNT_SCRIPT
from orderstatus_sqlite import SqliteStorage
from support.accounts import CLIENT, PASSWORD, log_in, register, reset_token
from support.redis_support import REDIS_URL

JANE = "jane@example.com"
NEW_PASSWORD = "another quite long password"
# Redis names a script by the SHA-1 of its text (EVALSHA); no security rests on it.
_APPLY = hashlib.sha1(APPLY_SCRIPT.encode(), usedforsecurity=False).hexdigest()
_READ_ACCOUNT = hashlib.sha1(READ_ACCOUNT_SCRIPT.encode(), usedforsecurity=False).hexdigest()

#: Each Redis step of the account commands, by the command that carries it.
STEPS: dict[str, Callable[[tuple[Any, ...]], bool]] = {
    "read a session": lambda args: args[0] == "HMGET",
    "read an account's sessions": lambda args: args[0] == "EVALSHA" and args[1] == _READ_ACCOUNT,
    "write the unit's changes": lambda args: args[0] == "EVALSHA" and args[1] == _APPLY,
}


class FailingRedis(redis.Redis):
    """A real client that fails the commands ``failing`` picks, as a Redis gone away."""

    def __init__(self, url: str) -> None:
        super().__init__(connection_pool=redis.ConnectionPool.from_url(url))
        self.failing: Callable[[tuple[Any, ...]], bool] = lambda args: False

    def execute_command(self, *args: Any, **options: Any) -> Any:
        if self.failing(args):
            raise redis.ConnectionError("Redis went away (test)")
        return super().execute_command(*args, **options)


class _Unit:
    """A storage unit whose commit fails while its storage is told so."""

    def __init__(self, owner: CommitFails, inner: UnitOfWork) -> None:
        self._owner = owner
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def __enter__(self) -> _Unit:
        self._inner.__enter__()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._inner.__exit__(exc_type, exc, tb)

    def commit(self) -> None:
        if self._owner.failing:
            raise AdapterError("the database went away at commit (test)")
        self._inner.commit()


class CommitFails:
    """A SQLite storage whose commits fail while ``failing`` is set."""

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self.failing = False
        self.units = 0

    @property
    def url(self) -> str:
        return self._storage.url

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> Any:
        self.units += 1
        return _Unit(self, self._storage.unit_of_work(write=write, read_once=read_once))

    def migrate(self) -> int:
        return self._storage.migrate()

    def close(self) -> None:
        self._storage.close()


@pytest.fixture
def sql(tmp_path: Path) -> Iterator[CommitFails]:
    """A migrated SQLite storage whose commits can be made to fail."""
    storage = SqliteStorage.from_url(f"sqlite:///{tmp_path / 'accounts.db'}")
    storage.migrate()
    yield CommitFails(storage)
    storage.close()


@pytest.fixture
def flaky(redis_prefix: str, redis_client: redis.Redis) -> Iterator[FailingRedis]:
    """A client on the test server whose commands can be made to fail."""
    client = FailingRedis(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def sessions(flaky: FailingRedis, redis_prefix: str) -> RedisSessionStore:
    """The session store under test, on the failing client."""
    return RedisSessionStore(flaky, prefix=redis_prefix, url=REDIS_URL)


@pytest.fixture
def ctx(sql: CommitFails, sessions: RedisSessionStore) -> ServiceContext:
    """A store on SQLite with its sessions in Redis, Jane registered."""
    context = fake_context(sessions.with_storage(sql))
    register(context, JANE)
    return context


def _desk(ctx: ServiceContext) -> OrderStatus:
    return OrderStatus(ctx)


def _view(ctx: ServiceContext, token: str) -> object:
    return _desk(ctx).shopper(client=CLIENT, session=token).view()


def _clock(ctx: ServiceContext) -> FixedClock:
    assert isinstance(ctx.clock, FixedClock)
    return ctx.clock


def _stored(sessions: RedisSessionStore, token: str) -> AccountSession | None:
    return sessions.get(hash_session_id(token))


# --- the SQL stores' properties -------------------------------------------------------------


def test_a_session_lives_in_redis_only_as_the_hash_of_its_id(
    ctx: ServiceContext,
    sessions: RedisSessionStore,
    redis_client: redis.Redis,
    redis_prefix: str,
    tmp_path: Path,
) -> None:
    """SECURITY E2: Redis holds the id's hash and never the id; SQLite holds no session."""
    token = log_in(ctx, JANE).token
    everything = b""
    for key in redis_client.scan_iter(match=redis_prefix + "*"):
        everything += key + b"".join(
            redis_client.hvals(key) if redis_client.type(key) == b"hash" else []
        )
        everything += b"".join(
            redis_client.smembers(key) if redis_client.type(key) == b"set" else []
        )
    assert hash_session_id(token).encode() in everything
    assert token.encode() not in everything
    # closing(): a connection's own `with` ends a transaction, never the connection.
    with closing(sqlite3.connect(tmp_path / "accounts.db")) as db:
        assert db.execute("SELECT count(*) FROM account_sessions").fetchone() == (0,)


def test_a_sessions_key_lives_for_its_lifetime_and_a_day(
    ctx: ServiceContext, redis_client: redis.Redis, redis_prefix: str
) -> None:
    """The TTL is the backstop (lifetime + KEY_GRACE), measured from storing, so a fake
    clock in the past does not expire it; the account's set lives at least as long."""
    token = log_in(ctx, JANE, remember=True).token
    key = f"{redis_prefix}session:{hash_session_id(token)}"
    lifetime = timedelta(days=14) + KEY_GRACE
    assert lifetime - timedelta(seconds=5) < timedelta(milliseconds=redis_client.pttl(key))
    assert redis_client.pttl(key) <= lifetime // timedelta(milliseconds=1)
    [account_set] = redis_client.scan_iter(match=redis_prefix + "sessions-of:*")
    assert redis_client.pttl(account_set) >= redis_client.pttl(key) - 1000


def test_expiry_is_checked_on_the_stored_times(ctx: ServiceContext) -> None:
    """SECURITY E1: a plain session lives 30 idle minutes, no second more, though its key
    is still in Redis; a kept one its 14 days."""
    plain, kept = log_in(ctx, JANE), log_in(ctx, JANE, remember=True)
    _clock(ctx).advance(timedelta(minutes=30))
    assert isinstance(_view(ctx, plain.token), AccountView)
    _clock(ctx).advance(timedelta(minutes=30, seconds=1))
    assert _view(ctx, plain.token) == NotLoggedIn()
    _clock(ctx).set(kept.expires_at)
    assert isinstance(_view(ctx, kept.token), AccountView)
    _clock(ctx).advance(timedelta(seconds=1))
    assert _view(ctx, kept.token) == NotLoggedIn()


def test_a_page_view_writes_the_last_seen_time_at_most_once_a_minute(
    ctx: ServiceContext, sessions: RedisSessionStore
) -> None:
    """59 s after log-in nothing is written; at 60 s the time moves, and only forward."""
    answer = log_in(ctx, JANE)
    start = _clock(ctx).now()
    _clock(ctx).advance(timedelta(seconds=59))
    _view(ctx, answer.token)
    stored = _stored(sessions, answer.token)
    assert stored is not None
    assert stored.last_seen_at == start
    _clock(ctx).advance(timedelta(seconds=1))
    _view(ctx, answer.token)
    stored = _stored(sessions, answer.token)
    assert stored is not None
    assert stored.last_seen_at == start + timedelta(minutes=1)


def test_log_out_ends_the_session_in_redis(
    ctx: ServiceContext, sessions: RedisSessionStore
) -> None:
    """SECURITY E3: the token never logs in again, on any server."""
    token = log_in(ctx, JANE).token
    assert _desk(ctx).shopper(client=CLIENT, session=token).log_out() == LoggedOut()
    stored = _stored(sessions, token)
    assert stored is not None
    assert stored.ended_at == _clock(ctx).now()
    assert _view(ctx, token) == NotLoggedIn()


def test_a_reset_ends_every_session_of_the_account(ctx: ServiceContext) -> None:
    """SECURITY E3: plain and kept sessions end with a reset."""
    plain, kept = log_in(ctx, JANE), log_in(ctx, JANE, remember=True)
    assert _desk(ctx).reset_password(reset_token(ctx, JANE), NEW_PASSWORD, client=CLIENT) == (
        PasswordReset()
    )
    assert [_view(ctx, s.token) for s in (plain, kept)] == [NotLoggedIn(), NotLoggedIn()]


def test_a_password_change_keeps_only_the_session_making_it(ctx: ServiceContext) -> None:
    """SECURITY E3: the other sessions end, this one stays; a deletion then ends it too."""
    other = log_in(ctx, JANE)
    fresh = _desk(ctx).shopper(client=CLIENT, session=log_in(ctx, JANE).token)
    renewed = fresh.reauthenticate(PASSWORD)
    assert isinstance(renewed, LoggedIn)
    shopper = _desk(ctx).shopper(client=CLIENT, session=renewed.token)
    assert shopper.change_password(NEW_PASSWORD) == PasswordChanged()
    assert _view(ctx, other.token) == NotLoggedIn()
    assert isinstance(shopper.view(), AccountView)
    assert shopper.delete_account() == AccountDeleted()
    assert shopper.view() == NotLoggedIn()


def test_end_all_also_ends_a_session_another_server_started_meanwhile(
    sql: CommitFails, sessions: RedisSessionStore
) -> None:
    """The unit read the account's sessions; another server logs in before it commits:
    Redis ends that session too, since the script ends the whole set at commit."""
    storage = sessions.with_storage(sql)
    other_server = sessions.with_storage(MemoryStorage())
    first, late = (
        AccountSession.start(
            c * 22, "acct-0001", FixedClock.START, remember=False, lifetime=timedelta(hours=12)
        )
        for c in "ab"
    )
    with storage.unit_of_work(write=True) as uow:
        uow.sessions.put(first)
        uow.commit()
    with storage.unit_of_work(write=True) as uow:
        assert uow.sessions.end_all("acct-0001", FixedClock.START) == 1
        with other_server.unit_of_work(write=True) as elsewhere:
            elsewhere.sessions.put(late)
            elsewhere.commit()
        uow.commit()
    assert [sessions.get(s.id_hash) for s in (first, late)] == [
        first.ended(FixedClock.START),
        late.ended(FixedClock.START),
    ]


def test_a_read_unit_opens_its_sql_unit_only_for_more_than_sessions(
    sql: CommitFails, sessions: RedisSessionStore
) -> None:
    """Checking a session is one Redis read and no SQL; reading an account then opens
    the storage's unit, once; a write unit opens it at once (its locks order the writes)."""
    storage = sessions.with_storage(sql)
    with storage.unit_of_work() as uow:
        assert uow.sessions.get("0" * 64) is None
        assert sql.units == 0
        assert uow.accounts.get("acct-0001") is None
        assert uow.orders.get("100001") is None
        assert sql.units == 1
    with storage.unit_of_work(write=True):
        assert sql.units == 2


# --- Redis failing at each step ------------------------------------------------------------


@pytest.mark.parametrize("step", ["read an account's sessions", "write the unit's changes"])
def test_a_reset_that_cannot_end_the_sessions_fails_and_changes_nothing(
    ctx: ServiceContext, flaky: FailingRedis, step: str
) -> None:
    """Redis down while a reset ends the sessions: an error, the password unchanged, the
    sessions as they were and the link still good; once Redis is back the same link
    resets and ends them. A committed reset never leaves a live session."""
    session = log_in(ctx, JANE)
    token = reset_token(ctx, JANE)
    flaky.failing = STEPS[step]
    with pytest.raises(AdapterError, match="Redis session store"):
        _desk(ctx).reset_password(token, NEW_PASSWORD, client=CLIENT)
    flaky.failing = lambda args: False
    assert isinstance(_view(ctx, session.token), AccountView)
    assert isinstance(log_in(ctx, JANE, PASSWORD), LoggedIn)
    assert _desk(ctx).reset_password(token, NEW_PASSWORD, client=CLIENT) == PasswordReset()
    assert _view(ctx, session.token) == NotLoggedIn()


@pytest.mark.parametrize("step", ["read an account's sessions", "write the unit's changes"])
def test_a_deletion_that_cannot_end_the_sessions_fails_and_changes_nothing(
    ctx: ServiceContext, flaky: FailingRedis, step: str
) -> None:
    """The same for deleting the account: nothing deleted while its sessions stay live."""
    renewed = (
        _desk(ctx).shopper(client=CLIENT, session=log_in(ctx, JANE).token).reauthenticate(PASSWORD)
    )
    assert isinstance(renewed, LoggedIn)
    shopper = _desk(ctx).shopper(client=CLIENT, session=renewed.token)
    flaky.failing = STEPS[step]
    with pytest.raises(AdapterError):
        shopper.delete_account()
    flaky.failing = lambda args: False
    assert isinstance(shopper.view(), AccountView)
    assert shopper.delete_account() == AccountDeleted()
    assert shopper.view() == NotLoggedIn()


@pytest.mark.parametrize("step", ["read a session", "write the unit's changes"])
def test_a_log_in_redis_cannot_store_fails_loudly_and_starts_nothing(
    ctx: ServiceContext,
    flaky: FailingRedis,
    redis_client: redis.Redis,
    redis_prefix: str,
    step: str,
) -> None:
    """No session, no half log-in: an error the storefront shows, then a log-in works."""
    flaky.failing = STEPS[step]
    with pytest.raises(AdapterError):
        _desk(ctx).log_in(JANE, PASSWORD, client=CLIENT)
    flaky.failing = lambda args: False
    assert list(redis_client.scan_iter(match=redis_prefix + "session:*")) == []
    assert isinstance(log_in(ctx, JANE), LoggedIn)


@pytest.mark.parametrize("step", ["read a session", "write the unit's changes"])
def test_a_log_out_redis_cannot_record_fails_loudly(
    ctx: ServiceContext, flaky: FailingRedis, step: str
) -> None:
    """The shopper sees an error, not a log-out that did not happen; the next one works."""
    token = log_in(ctx, JANE).token
    flaky.failing = STEPS[step]
    with pytest.raises(AdapterError):
        _desk(ctx).shopper(client=CLIENT, session=token).log_out()
    flaky.failing = lambda args: False
    assert _desk(ctx).shopper(client=CLIENT, session=token).log_out() == LoggedOut()
    assert _view(ctx, token) == NotLoggedIn()


@pytest.mark.parametrize("step", ["read a session", "write the unit's changes"])
def test_a_page_view_without_redis_fails_loudly(
    ctx: ServiceContext, flaky: FailingRedis, step: str
) -> None:
    """Checking the session (or writing its last-seen time) with Redis down is an
    ``AdapterError``, never a page shown as someone."""
    token = log_in(ctx, JANE).token
    _clock(ctx).advance(timedelta(minutes=1))  # a touch is due
    flaky.failing = STEPS[step]
    with pytest.raises(AdapterError):
        _view(ctx, token)


# --- the storage failing after Redis took the changes ---------------------------------------


def test_a_reset_whose_storage_commit_fails_leaves_the_sessions_ended(
    ctx: ServiceContext, sql: CommitFails
) -> None:
    """Redis ended the sessions, then the database failed: the holders are logged out
    (the safe side), the password is unchanged and the link still resets."""
    session = log_in(ctx, JANE)
    token = reset_token(ctx, JANE)
    sql.failing = True
    with pytest.raises(AdapterError, match="database went away"):
        _desk(ctx).reset_password(token, NEW_PASSWORD, client=CLIENT)
    sql.failing = False
    assert _view(ctx, session.token) == NotLoggedIn()
    assert _desk(ctx).reset_password(token, NEW_PASSWORD, client=CLIENT) == PasswordReset()


def test_a_log_in_whose_storage_commit_fails_leaves_no_session(
    ctx: ServiceContext, sql: CommitFails, redis_client: redis.Redis, redis_prefix: str
) -> None:
    """The session Redis stored is deleted again: its id was never handed to anyone."""
    sql.failing = True
    with pytest.raises(AdapterError, match="database went away"):
        _desk(ctx).log_in(JANE, PASSWORD, client=CLIENT)
    sql.failing = False
    assert list(redis_client.scan_iter(match=redis_prefix + "session:*")) == []


def test_both_failing_at_commit_raises_the_storage_error_with_a_note(
    ctx: ServiceContext, sql: CommitFails, flaky: FailingRedis
) -> None:
    """Redis took the new session, the database failed, then Redis failed too: the
    database's error, noting the session left to its TTL (unreachable without its id)."""
    writes = iter([False, True])

    def second_write(args: tuple[Any, ...]) -> bool:
        return STEPS["write the unit's changes"](args) and next(writes)

    sql.failing = True
    flaky.failing = second_write
    with pytest.raises(AdapterError, match="database went away") as raised:
        _desk(ctx).log_in(JANE, PASSWORD, client=CLIENT)
    assert any("deleting the sessions it started failed" in n for n in raised.value.__notes__)


def test_a_session_redis_cannot_read_back_is_an_adapter_error(
    ctx: ServiceContext, redis_client: redis.Redis, redis_prefix: str
) -> None:
    """A damaged stored session (a time that is not a number) is reported, not guessed."""
    token = log_in(ctx, JANE).token
    redis_client.hset(f"{redis_prefix}session:{hash_session_id(token)}", "seen", "yesterday")
    with pytest.raises(AdapterError, match="cannot be read"):
        _view(ctx, token)


def test_a_closed_store_refuses_to_work(sessions: RedisSessionStore) -> None:
    """After ``close`` every read and write is an ``AdapterError`` naming the store."""
    sessions.close()
    with pytest.raises(AdapterError, match="closed"):
        sessions.get("0" * 64)
