"""Fixtures for the Redis adapter tests: a real Redis, a fresh key prefix per run.

The server is ``ORDERSTATUS_TEST_REDIS_URL`` (default ``redis://127.0.0.1:6379/0``). If it
does not answer, every test that needs it is skipped with the reason, except under
``CI=true``, where an unreachable server is a failure (``.ci/run`` starts one). All keys of
a run start with ``orderstatus-test:<random>:`` and each test adds its own number, so runs
and tests never see each other's keys; the run's keys are deleted at its end.
"""

from __future__ import annotations

import itertools
import os
import uuid
from collections.abc import Iterator

import pytest
import redis

from orderstatus_redis import RedisRateLimiter, RedisSessionStore
from support.redis_support import REDIS_URL, limiter_url

_tests = itertools.count(1)


@pytest.fixture(scope="session")
def redis_client() -> Iterator[redis.Redis]:
    """A plain redis-py client on the test server, for looking at keys; skips without one."""
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    try:
        client.ping()
    except redis.RedisError as error:
        client.close()
        reason = f"Redis is not reachable at {REDIS_URL} ({error}); start redis-server"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{reason} (CI=true: a missing server is a failure)", pytrace=False)
        pytest.skip(reason)
    yield client
    client.close()


@pytest.fixture(scope="session")
def run_prefix(redis_client: redis.Redis) -> Iterator[str]:
    """This run's key prefix; every key under it is deleted when the run ends."""
    prefix = f"orderstatus-test:{uuid.uuid4().hex[:12]}:"
    yield prefix
    keys = list(redis_client.scan_iter(match=prefix + "*", count=1000))
    for start in range(0, len(keys), 500):
        redis_client.delete(*keys[start : start + 500])


@pytest.fixture
def redis_prefix(run_prefix: str) -> str:
    """This test's own key prefix, inside the run's."""
    return f"{run_prefix}{next(_tests)}:"


@pytest.fixture
def redis_limiter(redis_prefix: str) -> Iterator[RedisRateLimiter]:
    """A limiter on the test server with this test's prefix, closed after the test."""
    limiter = RedisRateLimiter.from_url(limiter_url(redis_prefix))
    yield limiter
    limiter.close()


@pytest.fixture
def redis_sessions(redis_prefix: str) -> Iterator[RedisSessionStore]:
    """A session store on the test server with this test's prefix, closed after the test."""
    store = RedisSessionStore.from_url(limiter_url(redis_prefix))
    yield store
    store.close()
