from __future__ import annotations

from orderstatus_core import AdapterRegistry, hookimpl
from orderstatus_memory.ratelimit import MemoryRateLimiter
from orderstatus_memory.storage import MemoryStorage

__all__ = ["orderstatus_register_adapters"]


@hookimpl
def orderstatus_register_adapters(registry: AdapterRegistry) -> None:
    """``memory://`` storage and rate limiter."""
    registry.add_storage("memory", MemoryStorage.from_url)
    registry.add_rate_limiter("memory", MemoryRateLimiter.from_url)
