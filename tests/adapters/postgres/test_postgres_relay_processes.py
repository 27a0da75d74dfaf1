"""``orderstatus relay --watch`` workers as real processes on one PostgreSQL schema: each
message delivered exactly once when none is killed, at least once under the same Message-ID
when workers are SIGKILLed at random moments."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orderstatus_core import OrderStatus
from orderstatus_core.testing import RecordingMailer
from support.relay_processes import check_exactly_once, check_nothing_lost


@pytest.fixture
def desk(pg_url: str) -> Iterator[OrderStatus]:
    """The test's own view of the schema, to queue mail and watch the backlog."""
    with OrderStatus.open(storage=pg_url, mail=RecordingMailer()) as opened:
        yield opened


def test_workers_deliver_each_message_exactly_once(
    pg_url: str, desk: OrderStatus, tmp_path: Path
) -> None:
    """PostgreSQL: three workers, 100 messages, no kill: exactly once (SKIP LOCKED)."""
    check_exactly_once(pg_url, desk, tmp_path)


@pytest.mark.slow
def test_workers_killed_at_random_lose_nothing(
    pg_url: str, desk: OrderStatus, tmp_path: Path
) -> None:
    """PostgreSQL: three rounds of two workers SIGKILLed, then two finishers: nothing lost."""
    check_nothing_lost(pg_url, desk, tmp_path, rounds=3)
