"""Where the Redis tests find their server, and URLs for it."""

from __future__ import annotations

import os
from urllib.parse import urlencode

#: The server the tests use.
REDIS_URL = os.environ.get("ORDERSTATUS_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def limiter_url(prefix: str, base: str = REDIS_URL, **options: str) -> str:
    """A ``redis://`` URL for the server at ``base`` with ``prefix`` and further options."""
    return f"{base}?{urlencode({'prefix': prefix, **options})}"
