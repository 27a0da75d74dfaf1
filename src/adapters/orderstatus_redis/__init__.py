"""The Redis adapter: rate limits shared by every process and server of a store.

``redis://host:6379/0`` (or ``rediss://`` for TLS) opens a :class:`RedisRateLimiter`;
``?prefix=shop:`` namespaces its keys (default ``orderstatus:``). It runs the same
algorithm as the in-process ``memory://`` limiter, atomically in Redis, so behind a load
balancer a client's budget is one budget whichever server answers. Nothing connects until
the first hit. See the *Deploying at scale* page of the documentation.
"""

from orderstatus_redis._plugin import orderstatus_register_adapters
from orderstatus_redis.ratelimit import RedisRateLimiter

__all__ = ["RedisRateLimiter", "orderstatus_register_adapters"]
