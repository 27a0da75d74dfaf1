"""Closing the store closes its Redis rate limiter: no connection outlives ``desk.close()``."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

import pytest
import redis

from orderstatus_core import AdapterError, Bucket, OrderStatus, Quota
from orderstatus_core.testing import FixedClock, RecordingMailer
from orderstatus_redis import RedisRateLimiter
from support.redis_support import limiter_url


def _connections(client: redis.Redis, name: str) -> int:
    return sum(1 for entry in client.client_list() if entry.get("name") == name)


def _connections_once_closed(client: redis.Redis, name: str, within: float = 5.0) -> int:
    """:func:`_connections` once Redis has taken note of closed sockets: a client's close
    reaches the server's event loop a moment later, so a ``CLIENT LIST`` sent at once may
    still name it (seen once in a full run). A connection left open stays counted."""
    deadline = time.monotonic() + within
    while (count := _connections(client, name)) and time.monotonic() < deadline:
        time.sleep(0.01)
    return count


def test_closing_the_store_closes_the_redis_connections(
    redis_client: redis.Redis, redis_prefix: str
) -> None:
    """The limiter opened from ``rate_limits=`` holds a connection while the store is open;
    ``desk.close()`` drops it, and the limiter refuses further hits."""
    name = f"orderstatus-close-{uuid.uuid4().hex[:8]}"
    clock = FixedClock()
    desk = OrderStatus.open(
        storage="memory://",
        mail=RecordingMailer(),
        rate_limits=limiter_url(redis_prefix, client_name=name),
        clock=clock,
    )
    limiter = desk.context.rate_limiter
    assert limiter.hit([Bucket("probe", Quota(5, timedelta(minutes=1)))], clock.now()).allowed
    assert _connections(redis_client, name) == 1
    desk.close()
    assert _connections_once_closed(redis_client, name) == 0
    with pytest.raises(AdapterError, match="closed"):
        limiter.hit([Bucket("probe", Quota(5, timedelta(minutes=1)))], clock.now())


def test_a_limiter_passed_in_stays_open(redis_client: redis.Redis, redis_prefix: str) -> None:
    """An object the caller passed is the caller's to close: ``desk.close()`` leaves it."""
    name = f"orderstatus-keep-{uuid.uuid4().hex[:8]}"
    limiter = RedisRateLimiter.from_url(limiter_url(redis_prefix, client_name=name))
    clock = FixedClock()
    try:
        with OrderStatus.open(
            storage="memory://", mail=RecordingMailer(), rate_limits=limiter, clock=clock
        ):
            assert limiter.hit(
                [Bucket("probe", Quota(5, timedelta(minutes=1)))], clock.now()
            ).allowed
        assert limiter.hit([Bucket("probe", Quota(5, timedelta(minutes=1)))], clock.now()).allowed
        assert _connections(redis_client, name) == 1
    finally:
        limiter.close()
