"""Choosing Redis for the sessions by URL (``sessions=``), its bad URLs, and key prefixes
that keep stores apart, even a prefix full of glob characters."""

from __future__ import annotations

from datetime import timedelta

import pytest
import redis

from orderstatus_core import (
    AdapterError,
    UnknownAdapterError,
)
from orderstatus_core.bootstrap import bootstrap
from orderstatus_core.model.account import AccountSession
from orderstatus_core.ports import Storage
from orderstatus_core.testing import FixedClock, RecordingMailer
from orderstatus_memory import MemoryStorage
from orderstatus_redis import RedisSessionStore
from support.redis_support import limiter_url

_START = FixedClock.START


def _session(letter: str, *, lifetime: timedelta = timedelta(hours=12)) -> AccountSession:
    return AccountSession.start(letter * 22, "acct-0001", _START, remember=False, lifetime=lifetime)


def _put(storage: Storage, session: AccountSession) -> None:
    with storage.unit_of_work(write=True) as uow:
        uow.sessions.put(session)
        uow.commit()


def test_the_sessions_url_puts_the_sessions_in_redis_and_close_closes_it(
    redis_prefix: str, redis_client: redis.Redis
) -> None:
    """``bootstrap(sessions="redis://...")`` wraps the storage; ``ctx.close`` closes the
    session store it opened, after which it refuses to work."""
    storage = MemoryStorage()
    storage.migrate()
    ctx = bootstrap(
        storage=storage,
        mail=RecordingMailer(),
        sessions=limiter_url(redis_prefix),
        clock=FixedClock(),
    )
    [shared] = [r for r in ctx.opened if isinstance(r, RedisSessionStore)]
    session = _session("a")
    _put(ctx.storage, session)
    assert redis_client.exists(f"{redis_prefix}session:{session.id_hash}") == 1
    with storage.unit_of_work() as uow:
        assert uow.sessions.get(session.id_hash) is None  # not in the storage
    ctx.close()
    with pytest.raises(AdapterError, match="closed"):
        shared.get(session.id_hash)
    storage.close()


def test_a_session_store_object_passed_in_stays_the_callers(redis_prefix: str) -> None:
    """An object, not a URL: used, not closed with the context."""
    store = RedisSessionStore.from_url(limiter_url(redis_prefix))
    ctx = bootstrap(storage="memory://", mail=RecordingMailer(), sessions=store)
    ctx.close()
    assert store.get("0" * 64) is None  # still open
    store.close()


def test_an_unknown_sessions_scheme_names_the_installed_ones() -> None:
    """``sessions="nope://"`` fails at start-up with the schemes that exist."""
    with pytest.raises(UnknownAdapterError, match=r"session store .*redis://"):
        bootstrap(storage="memory://", mail=RecordingMailer(), sessions="nope://x")


def test_a_password_in_the_url_is_never_shown() -> None:
    """The store's ``url`` and its errors carry ``***`` for the password."""
    store = RedisSessionStore.from_url(
        "redis://shop:s3cret@127.0.0.1:1/0?socket_connect_timeout=0.2"
    )
    assert store.url == "redis://shop:***@127.0.0.1:1/0?socket_connect_timeout=0.2"
    with pytest.raises(AdapterError) as raised:
        store.get("0" * 64)
    assert "s3cret" not in str(raised.value)
    store.close()


def test_stores_under_other_prefixes_never_see_each_others_sessions(
    redis_prefix: str,
) -> None:
    """A prefix full of glob characters matches only itself: the purge of ``shop*:``
    scans its own keys and leaves ``shopX:``'s expired session alone."""
    globby = RedisSessionStore.from_url(limiter_url(redis_prefix + "shop*?[x]\\:"))
    plain = RedisSessionStore.from_url(limiter_url(redis_prefix + "shopX:"))
    try:
        mine, theirs = globby.with_storage(MemoryStorage()), plain.with_storage(MemoryStorage())
        expired = _session("a", lifetime=timedelta(seconds=1))
        _put(theirs, expired)
        with mine.unit_of_work() as uow:
            assert uow.sessions.get(expired.id_hash) is None
        with mine.unit_of_work(write=True) as uow:
            assert uow.sessions.purge(_START + timedelta(days=1), _START + timedelta(days=1)) == 0
            assert uow.sessions.end_all("acct-0001", _START) == 0
            uow.commit()
        with theirs.unit_of_work() as uow:
            assert uow.sessions.get(expired.id_hash) == expired
    finally:
        globby.close()
        plain.close()


@pytest.mark.parametrize(
    "account_id",
    ["acct*", "acct-0001 ", "acct-0001\x00", "acct-\ud800-0001", "a" * 65, "short", 42],
)
def test_an_account_id_that_cannot_be_one_ends_nothing(
    redis_sessions: RedisSessionStore, account_id: object
) -> None:
    """A glob, a NUL, a lone surrogate, the wrong length or type: 0, and Redis untouched."""
    storage = redis_sessions.with_storage(MemoryStorage())
    _put(storage, _session("a"))
    with storage.unit_of_work(write=True) as uow:
        assert uow.sessions.end_all(account_id, _START) == 0  # type: ignore[arg-type]
        uow.commit()
    assert redis_sessions.of_account("acct-0001")[0].ended_at is None
