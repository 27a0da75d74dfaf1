"""The Redis adapter: rate limits shared by every process and server of a store.

``redis://host:6379/0`` (or ``rediss://`` for TLS) opens a :class:`RedisRateLimiter`;
``?prefix=shop:`` namespaces its keys (default ``orderstatus:``). It runs the same
algorithm as the in-process ``memory://`` limiter, atomically in Redis, so behind a load
balancer a client's budget is one budget whichever server answers. Nothing connects until
the first hit.

The same URL as ``sessions=`` opens a :class:`RedisSessionStore`: the shoppers' logged-in
sessions in Redis, shared by every app server, while orders and accounts stay in the SQL
storage. See the *Deploying at scale* page of the documentation.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from orderstatus_redis._plugin import orderstatus_register_adapters

if TYPE_CHECKING:
    from orderstatus_redis.ratelimit import RedisRateLimiter
    from orderstatus_redis.sessions import RedisSessionStore

__all__ = ["RedisRateLimiter", "RedisSessionStore", "orderstatus_register_adapters"]


def __getattr__(name: str) -> Any:
    # redis-py is an optional dependency: import it when the limiter is first asked for,
    # never when the plugin is loaded.
    if name == "RedisRateLimiter":
        from orderstatus_redis.ratelimit import RedisRateLimiter

        return RedisRateLimiter
    if name == "RedisSessionStore":
        from orderstatus_redis.sessions import RedisSessionStore

        return RedisSessionStore
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
