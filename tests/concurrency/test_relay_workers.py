"""``orderstatus relay --watch`` workers as real processes on one SQLite database: each
message delivered exactly once when none is killed, at least once (same Message-ID on every
copy) when workers are SIGKILLed at random moments, and a clean exit on SIGTERM or SIGINT."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from orderstatus_core import OrderStatus
from orderstatus_core.testing import RecordingMailer
from orderstatus_core.testing.contracts._support import examples
from support.relay_processes import (
    check_exactly_once,
    check_nothing_lost,
    install_test_plugin,
    workers,
)


@pytest.fixture
def storage_url(tmp_path: Path) -> str:
    """A migrated SQLite database of its own."""
    url = f"sqlite:///{(tmp_path / 'orders.db').as_posix()}"
    with OrderStatus.open(storage=url, mail=RecordingMailer()) as desk:
        desk.migrate()
    return url


@pytest.fixture
def desk(storage_url: str) -> Iterator[OrderStatus]:
    """The test's own view of the database, to queue mail and watch the backlog."""
    with OrderStatus.open(storage=storage_url, mail=RecordingMailer()) as opened:
        yield opened


def test_workers_deliver_each_message_exactly_once(
    storage_url: str, desk: OrderStatus, tmp_path: Path
) -> None:
    """SQLite: N workers, M messages, no kill: exactly once."""
    check_exactly_once(storage_url, desk, tmp_path)


@pytest.mark.slow
def test_workers_killed_at_random_lose_nothing(
    storage_url: str, desk: OrderStatus, tmp_path: Path
) -> None:
    """SQLite: eight rounds of two workers SIGKILLed (a third as many under ``ci-quick``, as
    the examples of a property test), then two finishers: nothing lost."""
    check_nothing_lost(storage_url, desk, tmp_path, rounds=examples(8))


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_stop_signal_ends_an_idle_worker_with_status_0(
    storage_url: str, tmp_path: Path, number: int
) -> None:
    """An idle worker stops at once on SIGTERM or SIGINT, exit status 0, its totals last."""
    plugins = install_test_plugin(tmp_path / "plugins", short_lease=False)
    (worker,) = workers(storage_url, tmp_path, 1, plugins)
    code, out = worker.stop(number)
    assert (code, out.splitlines()[-1]) == (0, "Relay stopped: 0 sent, 0 failed, 0 dead")
