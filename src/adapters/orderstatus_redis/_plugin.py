from __future__ import annotations

from orderstatus_core import AdapterRegistry, hookimpl
from orderstatus_redis.ratelimit import RedisRateLimiter

__all__ = ["orderstatus_register_adapters"]


@hookimpl
def orderstatus_register_adapters(registry: AdapterRegistry) -> None:
    """``redis://`` and ``rediss://`` (TLS) rate limiters."""
    registry.add_rate_limiter("redis", RedisRateLimiter.from_url)
    registry.add_rate_limiter("rediss", RedisRateLimiter.from_url)
