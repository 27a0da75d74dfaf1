"""One call of the Redis limiter is one round trip, however many buckets it decides.

The commands are counted on a real server through a redis-py client whose
``execute_command`` (the one door every command goes through) records each command's name.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import redis

from orderstatus_core import Bucket, Quota
from orderstatus_redis import RedisRateLimiter
from support.redis_support import REDIS_URL

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
CLIENT = Quota(20, timedelta(minutes=1))
SHOPPER = Quota(10, timedelta(minutes=5))


class CountingRedis(redis.Redis):
    """A redis-py client that records the name of every command it sends."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.commands: list[str] = []

    def execute_command(self, *args: Any, **options: Any) -> Any:
        self.commands.append(str(args[0]))
        return super().execute_command(*args, **options)


@pytest.fixture
def client() -> Iterator[CountingRedis]:
    """A counting client on the test server."""
    client = CountingRedis.from_url(REDIS_URL)
    assert isinstance(client, CountingRedis)
    yield client
    client.close()


@pytest.fixture
def counted(client: CountingRedis, redis_prefix: str) -> RedisRateLimiter:
    """A limiter on ``client``, warmed up (its script loaded), no command counted yet."""
    limiter = RedisRateLimiter(client, prefix=redis_prefix, url=REDIS_URL)
    limiter.hit([Bucket("warm-up", CLIENT)], T0)
    client.commands.clear()
    return limiter


def _find_order(n: int) -> list[Bucket]:
    return [
        Bucket("find:client:c", CLIENT),
        Bucket(f"find:id:{n}", SHOPPER),
        Bucket(f"find:order:{n}", SHOPPER),
    ]


def test_a_call_on_three_buckets_is_one_evalsha(
    counted: RedisRateLimiter, client: CountingRedis
) -> None:
    """Each allowed find-order call, three buckets, is one EVALSHA and nothing else."""
    assert all(counted.hit(_find_order(n), T0).allowed for n in range(5))
    assert client.commands == ["EVALSHA"] * 5


def test_a_refused_call_is_one_evalsha_too(
    counted: RedisRateLimiter, client: CountingRedis
) -> None:
    """Refusals cost one round trip each as well, and write nothing."""
    for n in range(CLIENT.limit + 3):
        counted.hit(_find_order(n), T0)
    assert not counted.hit(_find_order(99), T0).allowed
    assert client.commands == ["EVALSHA"] * (CLIENT.limit + 4)


def test_a_call_with_no_buckets_sends_nothing(
    counted: RedisRateLimiter, client: CountingRedis
) -> None:
    """No buckets: allowed without asking Redis."""
    assert counted.hit([], T0).allowed
    assert client.commands == []


def test_a_key_twice_is_refused_before_any_command(
    counted: RedisRateLimiter, client: CountingRedis
) -> None:
    """A repeated key is the caller's mistake, found before anything is sent."""
    with pytest.raises(ValueError, match="twice"):
        counted.hit([Bucket("k", CLIENT), Bucket("k", SHOPPER)], T0)
    assert client.commands == []


def test_a_refused_call_writes_no_key(
    counted: RedisRateLimiter, redis_client: redis.Redis, redis_prefix: str
) -> None:
    """All or nothing in Redis: the buckets that allowed a refused call are not created."""
    for _ in range(SHOPPER.limit):
        counted.hit([Bucket("id", SHOPPER)], T0)
    assert not counted.hit([Bucket("new", CLIENT), Bucket("id", SHOPPER)], T0).allowed
    assert not redis_client.exists(f"{redis_prefix}new")
