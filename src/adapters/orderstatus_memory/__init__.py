"""The in-memory adapters: the reference storage and an in-process rate limiter.

``MemoryStorage`` is the model every other storage adapter is compared with: the storage
conformance suite and the lifecycle state machine run against it first. It keeps nothing
after the process ends. ``MemoryRateLimiter`` is the embedded default for one process.
"""

from orderstatus_memory._plugin import orderstatus_register_adapters
from orderstatus_memory.ratelimit import MemoryRateLimiter
from orderstatus_memory.storage import MemoryStorage

__all__ = ["MemoryRateLimiter", "MemoryStorage", "orderstatus_register_adapters"]
