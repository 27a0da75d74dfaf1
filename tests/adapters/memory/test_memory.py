"""The bundled memory adapters pass the storage and rate-limiter conformance suites."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from orderstatus_core.testing.contract import RateLimiterContract, StorageContract
from orderstatus_memory import MemoryRateLimiter, MemoryStorage


class TestMemoryStorage(StorageContract):
    """``memory://`` storage keeps every storage contract."""

    @pytest.fixture
    def storage(self) -> Iterator[MemoryStorage]:
        """A new, empty memory storage."""
        storage = MemoryStorage.from_url("memory://")
        storage.migrate()
        yield storage
        storage.close()


class TestMemoryRateLimiter(RateLimiterContract):
    """``memory://`` rate limiting keeps every rate-limiter contract."""

    @pytest.fixture
    def rate_limiter(self) -> MemoryRateLimiter:
        """A new memory rate limiter."""
        return MemoryRateLimiter.from_url("memory://")
