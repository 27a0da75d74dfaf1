from __future__ import annotations

from typing import TYPE_CHECKING

from orderstatus_core import AdapterError, AdapterRegistry, hookimpl

if TYPE_CHECKING:
    from orderstatus_redis.ratelimit import RedisRateLimiter

__all__ = ["open_rate_limiter", "orderstatus_register_adapters"]


def open_rate_limiter(url: str) -> RedisRateLimiter:
    """Open a ``redis://`` limiter, importing redis-py only now.

    Every installed plugin is loaded whenever a store opens; a store that never uses Redis
    must not need the ``redis`` package for that.
    """
    try:
        from orderstatus_redis.ratelimit import RedisRateLimiter
    except ImportError as error:
        raise AdapterError(
            "the redis:// rate limiter needs the redis package: "
            "pip install 'orderstatus-core[redis]'"
        ) from error
    return RedisRateLimiter.from_url(url)


@hookimpl
def orderstatus_register_adapters(registry: AdapterRegistry) -> None:
    """``redis://`` and ``rediss://`` (TLS) rate limiters."""
    registry.add_rate_limiter("redis", open_rate_limiter)
    registry.add_rate_limiter("rediss", open_rate_limiter)
