"""Opening the Redis limiter by URL: options, key prefixes, passwords kept out of messages.

None of these needs a server: opening connects nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from importlib.metadata import entry_points

import pytest

import orderstatus_redis
from orderstatus_core import InvalidUrlError, get_plugin_manager
from orderstatus_core.plugins import Hooks
from orderstatus_redis import RedisRateLimiter, RedisSessionStore
from orderstatus_redis.ratelimit import DEFAULT_PREFIX, redacted


def test_importing_and_opening_connect_nothing() -> None:
    """A URL naming no running server opens fine; only a hit would connect."""
    limiter = RedisRateLimiter.from_url("redis://127.0.0.1:1/0")
    assert limiter.url == "redis://127.0.0.1:1/0"
    limiter.close()


def test_the_prefix_defaults_to_orderstatus_and_is_read_from_the_url() -> None:
    """``?prefix=`` namespaces the keys; percent-escapes are read."""
    assert RedisRateLimiter.from_url("redis://localhost").prefix == DEFAULT_PREFIX
    assert RedisRateLimiter.from_url("redis://localhost/2?prefix=shop%3A1%3A").prefix == "shop:1:"


@pytest.mark.parametrize(
    "url",
    [
        "redis://localhost/0?prefix=",
        f"redis://localhost/0?prefix={'p' * 201}",
        "redis://localhost/0?prefx=typo:",
        "redis://localhost/0?ssl_certfile=x.pem",  # TLS options only with rediss://
        "redis://localhost/notanumber",
        "redis://localhost/0;DROP",
        "redis://localhost:99999999/0",
        "memory://",
    ],
)
@pytest.mark.parametrize(
    "opener", [RedisRateLimiter.from_url, RedisSessionStore.from_url], ids=["limiter", "sessions"]
)
def test_a_url_the_limiter_cannot_read_is_an_invalid_url(
    opener: Callable[[str], object], url: str
) -> None:
    """An unknown option, an empty or too long prefix, a bad database or port:
    ``InvalidUrlError``, for the rate limiter and the session store alike."""
    with pytest.raises(InvalidUrlError):
        opener(url)


def test_pool_options_from_the_url_are_passed_on() -> None:
    """redis-py's own options (timeouts, pool size) may be set in the URL."""
    limiter = RedisRateLimiter.from_url(
        "redis://localhost/0?socket_timeout=0.25&max_connections=7&prefix=p:"
    )
    pool = limiter._client.connection_pool
    assert pool.connection_kwargs["socket_timeout"] == 0.25
    assert pool.max_connections == 7


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://:s3cret@cache:6379/0", "redis://:***@cache:6379/0"),
        (
            "rediss://shop:s3cret@cache.example/1?prefix=a:",
            "rediss://shop:***@cache.example/1?prefix=a:",
        ),
        ("redis://cache:6379/0", "redis://cache:6379/0"),
    ],
)
def test_the_url_is_shown_without_its_password(url: str, shown: str) -> None:
    """``limiter.url`` and error messages carry ``***`` for a password."""
    assert redacted(url) == shown
    assert RedisRateLimiter.from_url(url).url == shown


def test_a_bad_option_message_hides_the_password() -> None:
    """Even the message of a URL that is refused leaves the password out."""
    with pytest.raises(InvalidUrlError) as refused:
        RedisRateLimiter.from_url("redis://:s3cret@cache/0?bogus=1")
    assert "s3cret" not in str(refused.value)
    assert ":***@cache" in str(refused.value)


def test_the_plugin_registers_redis_and_rediss() -> None:
    """The module is a plugin: both schemes open a ``RedisRateLimiter``."""
    manager = get_plugin_manager(load_entrypoints=False, plugins=[orderstatus_redis])
    registry = Hooks(manager).adapter_registry()
    assert {"redis", "rediss"} <= set(registry.rate_limiter_schemes())
    assert isinstance(registry.open_rate_limiter("REDIS://localhost/0"), RedisRateLimiter)
    assert isinstance(registry.open_rate_limiter("rediss://localhost/0"), RedisRateLimiter)


def test_the_installed_package_declares_the_entry_point() -> None:
    """``pip install orderstatus-core[redis]`` is all a store needs for ``redis://``."""
    names = {point.name: point.value for point in entry_points(group="orderstatus")}
    if "redis" not in names:
        stale = "the installed metadata has no redis entry point: reinstall (pip install -e .)"
        if os.environ.get("CI") == "true":
            pytest.fail(stale)
        pytest.skip(stale)
    assert names["redis"] == "orderstatus_redis"
    registry = Hooks(get_plugin_manager()).adapter_registry()
    assert "redis" in registry.rate_limiter_schemes()


def test_importing_and_opening_never_touch_the_network() -> None:
    """In a fresh interpreter whose sockets refuse to connect, importing the plugin and
    opening a limiter both work: nothing connects before the first hit."""
    code = (
        "import socket\n"
        "def refuse(*args, **kwargs):\n"
        "    raise AssertionError('a connection was attempted')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "import orderstatus_redis\n"
        "limiter = orderstatus_redis.RedisRateLimiter.from_url('redis://127.0.0.1:6379/0')\n"
        "limiter.close()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
