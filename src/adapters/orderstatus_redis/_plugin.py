from __future__ import annotations

from typing import TYPE_CHECKING

from orderstatus_core import AdapterError, AdapterRegistry, hookimpl

if TYPE_CHECKING:
    from orderstatus_redis.ratelimit import RedisRateLimiter
    from orderstatus_redis.sessions import RedisSessionStore

__all__ = ["open_rate_limiter", "open_session_store", "orderstatus_register_adapters"]

_INSTALL = "pip install 'orderstatus-core[redis]'"


def open_rate_limiter(url: str) -> RedisRateLimiter:
    """Open a ``redis://`` limiter, importing redis-py only now.

    Every installed plugin is loaded whenever a store opens; a store that never uses Redis
    must not need the ``redis`` package for that.
    """
    try:
        from orderstatus_redis.ratelimit import RedisRateLimiter
    except ImportError as error:
        raise AdapterError(
            f"the redis:// rate limiter needs the redis package: {_INSTALL}"
        ) from error
    return RedisRateLimiter.from_url(url)


def open_session_store(url: str) -> RedisSessionStore:
    """Open ``redis://`` sessions, importing redis-py only now (as :func:`open_rate_limiter`)."""
    try:
        from orderstatus_redis.sessions import RedisSessionStore
    except ImportError as error:
        raise AdapterError(f"redis:// sessions need the redis package: {_INSTALL}") from error
    return RedisSessionStore.from_url(url)


@hookimpl
def orderstatus_register_adapters(registry: AdapterRegistry) -> None:
    """``redis://`` and ``rediss://`` (TLS) rate limiters and session stores."""
    for scheme in ("redis", "rediss"):
        registry.add_rate_limiter(scheme, open_rate_limiter)
        registry.add_session_store(scheme, open_session_store)
