"""What only a shared limiter can do, and what happens when Redis fails.

Two spawned processes share one budget; keys expire by themselves; an unreachable or
failing Redis is an ``AdapterError`` naming the URL (never its password), and find-order
raises it instead of running without limits; a dropped connection is replaced.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta

import pytest
import redis

import support.redis_workers as redis_workers
from orderstatus_core import AdapterError, Bucket, OrderFound, Quota, TryLater
from orderstatus_core.services import ServiceContext, find_order
from orderstatus_core.testing import fake_context
from orderstatus_core.testing.builders import make_order
from orderstatus_redis import RedisRateLimiter, ratelimit
from orderstatus_redis.ratelimit import CLOCK_SLACK
from support.redis_proxy import RedisProxy
from support.redis_support import limiter_url
from support.spawned import spawned_workers

T0 = redis_workers.T0
MINUTE = Quota(10, timedelta(minutes=1))


def _spawn_hammers(url: str, key: str, hits: list[int]) -> list[tuple[int, int | str]]:
    """Run one spawned process per entry of ``hits``, released together; their answers."""
    with spawned_workers(len(hits)) as race:
        race.start(
            redis_workers.hammer,
            [(url, key, count, race.barrier, race.results) for count in hits],
        )
        answers = race.collect(len(hits), timeout=60)
        race.join()
    return answers


def test_two_processes_hammering_one_key_share_one_budget(redis_prefix: str) -> None:
    """Two processes, 50 hits each at the same moment on one key with a limit of 10:
    exactly 10 are allowed in all."""
    answers = _spawn_hammers(limiter_url(redis_prefix), "shared", [50, 50])
    assert len({pid for pid, _ in answers}) == 2
    allowed = [count for _, count in answers]
    assert all(isinstance(count, int) for count in allowed), allowed
    assert sum(allowed) == MINUTE.limit  # type: ignore[arg-type]


def test_what_one_process_spent_another_process_cannot_spend(
    redis_prefix: str, redis_limiter: RedisRateLimiter
) -> None:
    """This process takes 6 of 10 hits; a process started afterwards gets the other 4."""
    assert all(redis_limiter.hit([Bucket("budget", MINUTE)], T0).allowed for _ in range(6))
    [(_, allowed)] = _spawn_hammers(limiter_url(redis_prefix), "budget", [20])
    assert allowed == 4
    assert not redis_limiter.hit([Bucket("budget", MINUTE)], T0).allowed


def test_a_key_lives_for_its_period_and_a_little_slack(
    redis_limiter: RedisRateLimiter, redis_client: redis.Redis, redis_prefix: str
) -> None:
    """Every key is namespaced and gets a TTL of the period plus :data:`CLOCK_SLACK`; a
    refused hit writes nothing, so it does not make the key live longer."""
    quota = Quota(2, timedelta(seconds=30))
    redis_limiter.hit([Bucket("find:client:abc", quota)], T0)
    key = f"{redis_prefix}find:client:abc"
    assert redis_client.exists(key)
    first = redis_client.pttl(key)
    assert (quota.period - timedelta(seconds=1)) / timedelta(milliseconds=1) < first
    assert first <= (quota.period + CLOCK_SLACK) / timedelta(milliseconds=1)
    redis_limiter.hit([Bucket("find:client:abc", quota)], T0)
    value = redis_client.get(key)
    time.sleep(0.01)
    assert not redis_limiter.hit([Bucket("find:client:abc", quota)], T0).allowed
    assert redis_client.get(key) == value
    assert redis_client.pttl(key) < first
    assert redis_client.keys("find:client:abc") == []  # nothing outside the prefix


def test_an_idle_key_is_gone_by_itself(
    redis_limiter: RedisRateLimiter,
    redis_client: redis.Redis,
    redis_prefix: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With no slack, a key of a 50 ms quota has left Redis 200 ms later."""
    monkeypatch.setattr(ratelimit, "CLOCK_SLACK", timedelta(0))
    redis_limiter.hit([Bucket("short", Quota(1, timedelta(milliseconds=50)))], T0)
    assert redis_client.exists(f"{redis_prefix}short")
    time.sleep(0.2)
    assert not redis_client.exists(f"{redis_prefix}short")


def test_an_unreachable_redis_is_an_adapter_error_naming_the_url() -> None:
    """Nothing listens on port 1: the hit raises ``AdapterError`` with the URL, password
    hidden."""
    limiter = RedisRateLimiter.from_url("redis://shop:s3cret@127.0.0.1:1/0?prefix=x:")
    with pytest.raises(AdapterError) as failed:
        limiter.hit([Bucket("key", MINUTE)], T0)
    message = str(failed.value)
    assert "redis://shop:***@127.0.0.1:1/0" in message
    assert "s3cret" not in message
    assert "s3cret" not in repr(failed.value.__cause__)


@pytest.fixture
def proxy(redis_client: redis.Redis) -> Iterator[RedisProxy]:
    """A proxy in front of the test server, taken down by the test when it wants."""
    kwargs = redis_client.connection_pool.connection_kwargs
    proxy = RedisProxy((kwargs.get("host", "127.0.0.1"), kwargs.get("port", 6379)))
    proxy.up()
    yield proxy
    proxy.down()


def _context_with_jane(limiter: RedisRateLimiter) -> ServiceContext:
    ctx = fake_context(rate_limiter=limiter)
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order())
        uow.commit()
    return ctx


def test_redis_failing_mid_run_fails_find_order_instead_of_running_unlimited(
    proxy: RedisProxy, redis_prefix: str
) -> None:
    """Find-order works through Redis; Redis goes away: the next find-order raises the
    adapter error (it does not answer unlimited); Redis is back: the pool reconnects."""
    limiter = RedisRateLimiter.from_url(limiter_url(redis_prefix, base=proxy.url))
    ctx = _context_with_jane(limiter)
    assert isinstance(find_order(ctx, "jane.doe@example.com", "123456789", client="c"), OrderFound)
    proxy.down()
    with pytest.raises(AdapterError) as failed:
        find_order(ctx, "jane.doe@example.com", "123456789", client="c")
    assert proxy.url in str(failed.value)
    proxy.up()
    assert isinstance(find_order(ctx, "jane.doe@example.com", "123456789", client="c"), OrderFound)
    limiter.close()


def test_a_redis_that_stops_answering_times_out_as_an_adapter_error(
    proxy: RedisProxy, redis_prefix: str
) -> None:
    """A server that accepts but never answers: the URL's ``socket_timeout`` ends the wait
    with an ``AdapterError``, once (a timeout is not retried)."""
    limiter = RedisRateLimiter.from_url(limiter_url(redis_prefix, proxy.url, socket_timeout="0.2"))
    proxy.stalled = True
    with pytest.raises(AdapterError, match="Timeout"):
        limiter.hit([Bucket("key", MINUTE)], T0)
    limiter.close()


def test_a_killed_connection_is_replaced_and_the_budget_kept(
    redis_prefix: str, redis_client: redis.Redis
) -> None:
    """``CLIENT KILL`` of every connection of the limiter: the next hit reconnects, and
    the hits counted before still count."""
    name = f"orderstatus-test-{redis_prefix.split(':')[1]}"
    limiter = RedisRateLimiter.from_url(limiter_url(redis_prefix, client_name=name))
    assert all(limiter.hit([Bucket("kill", MINUTE)], T0).allowed for _ in range(7))
    ours = [c["id"] for c in redis_client.client_list() if c.get("name") == name]
    assert ours
    for client_id in ours:
        redis_client.client_kill_filter(_id=client_id)
    assert [limiter.hit([Bucket("kill", MINUTE)], T0).allowed for _ in range(4)] == [True] * 3 + [
        False
    ]
    limiter.close()


def test_a_closed_limiter_refuses_to_count(redis_limiter: RedisRateLimiter) -> None:
    """After ``close()`` every hit is an ``AdapterError``, and find-order raises it."""
    ctx = _context_with_jane(redis_limiter)
    redis_limiter.close()
    with pytest.raises(AdapterError, match="closed"):
        find_order(ctx, "jane.doe@example.com", "123456789", client="c")


def test_find_order_limits_a_client_across_two_limiters(redis_prefix: str) -> None:
    """Two app servers (two limiters, two contexts) on one Redis: a client's guesses on
    one count on the other, so the limit is not per server."""
    servers = [
        _context_with_jane(RedisRateLimiter.from_url(limiter_url(redis_prefix))) for _ in range(2)
    ]
    answers = [
        find_order(servers[attempt % 2], "jane.doe@example.com", f"9{attempt:08}", client="c")
        for attempt in range(60)
    ]
    first_refusal = next(i for i, answer in enumerate(answers) if isinstance(answer, TryLater))
    alone = fake_context()
    solo = [
        find_order(alone, "jane.doe@example.com", f"9{attempt:08}", client="c")
        for attempt in range(60)
    ]
    assert first_refusal == next(i for i, answer in enumerate(solo) if isinstance(answer, TryLater))
