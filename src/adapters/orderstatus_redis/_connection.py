"""Opening a ``redis://`` URL: the options every Redis adapter of this package takes.

The rate limiter and the session store read their URLs the same way: a database number as
the path, ``prefix`` for their keys, and redis-py's pool options; anything else is an
:class:`~orderstatus_core.InvalidUrlError`, so a typo never quietly means a default.
"""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import redis
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry

from orderstatus_core import InvalidUrlError

__all__ = ["DEFAULT_PREFIX", "DEFAULT_TIMEOUT", "connect", "redacted"]

#: The key prefix when the URL names none.
DEFAULT_PREFIX: Final = "orderstatus:"
#: Connect and read timeouts, unless the URL sets ``socket_connect_timeout`` or
#: ``socket_timeout``: a rate-limit or session check is on every request's path, so a
#: Redis that stops answering becomes an error quickly instead of holding the request.
DEFAULT_TIMEOUT: Final = 1.0

_MAX_PREFIX = 200

# The options a URL may carry: ``prefix`` is ours, the rest go to redis-py's connection
# pool (https://redis.readthedocs.io/en/stable/connections.html#redis.Redis.from_url).
_POOL_OPTIONS = frozenset(
    {
        "socket_timeout",
        "socket_connect_timeout",
        "socket_keepalive",
        "health_check_interval",
        "max_connections",
        "client_name",
        "protocol",
    }
)


def redacted(url: str) -> str:
    """``url`` with any password replaced by ``***``, for messages and logs."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{hostport}"))


def connect(url: str) -> tuple[redis.Redis, str]:
    """A redis-py client (no connection made yet) and the key prefix for ``url``:
    ``redis://[user:password@]host[:port][/db][?prefix=...]``, or ``rediss://`` for TLS.

    Besides ``prefix``, the URL may set redis-py's pool options ``socket_timeout``,
    ``socket_connect_timeout`` (both default to :data:`DEFAULT_TIMEOUT` seconds),
    ``socket_keepalive``, ``health_check_interval``, ``max_connections``,
    ``client_name``, ``protocol`` and, for ``rediss://``, the ``ssl_*`` options; any
    other option raises :class:`~orderstatus_core.InvalidUrlError`.
    """
    safe = redacted(url)
    try:
        parts = urlsplit(url)
        options = parse_qsl(parts.query, keep_blank_values=True)
    except ValueError as error:
        raise InvalidUrlError(f"not a Redis URL: {safe} ({error})") from None
    if parts.scheme.lower() not in ("redis", "rediss"):
        raise InvalidUrlError(f"not a redis:// or rediss:// URL: {safe}")
    # redis-py quietly uses database 0 for a path it cannot read; a typo must not.
    if parts.path not in ("", "/") and not re.fullmatch(r"/[0-9]{1,5}", parts.path):
        raise InvalidUrlError(f"the path of a Redis URL is a database number: {safe}")
    prefix = DEFAULT_PREFIX
    passed: list[tuple[str, str]] = []
    for name, value in options:
        if name == "prefix":
            prefix = value
        elif name in _POOL_OPTIONS or (
            name.startswith("ssl_") and parts.scheme.lower() == "rediss"
        ):
            passed.append((name, value))
        else:
            raise InvalidUrlError(f"unknown option {name!r} in {safe}")
    if not prefix or len(prefix) > _MAX_PREFIX:
        raise InvalidUrlError(f"prefix must be 1 to {_MAX_PREFIX} characters: {safe}")
    pool_url = urlunsplit(parts._replace(query=urlencode(passed)))
    try:
        client = redis.Redis.from_url(
            pool_url,
            socket_timeout=DEFAULT_TIMEOUT,
            socket_connect_timeout=DEFAULT_TIMEOUT,
            # One quick retry on a new connection for a dropped one; a timeout is not
            # retried (the server is slow or gone, and waiting twice helps nobody).
            retry=Retry(NoBackoff(), 1, supported_errors=(RedisConnectionError,)),
        )
    except ValueError as error:
        raise InvalidUrlError(f"bad Redis URL {safe}: {error}") from None
    return client, prefix
