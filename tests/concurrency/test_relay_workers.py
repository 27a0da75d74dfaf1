"""``orderstatus relay --watch`` workers as real processes on one SQLite database: each
message delivered exactly once when none is killed, at least once (same Message-ID on every
copy) when workers are SIGKILLed at random moments, and a clean exit on SIGTERM or SIGINT."""

from __future__ import annotations

import random
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from orderstatus_core import OrderStatus
from orderstatus_core.testing import RecordingMailer
from support.relay_processes import (
    RelayWorker,
    deliveries,
    install_test_plugin,
    pending,
    queue_order_lists,
    wait_until_delivered,
    workers_that_delivered,
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


def _workers(storage_url: str, tmp_path: Path, count: int, plugins: Path) -> list[RelayWorker]:
    workers = [
        RelayWorker(storage_url, tmp_path / "mail", plugins, tmp_path / f"worker{i}.log")
        for i in range(count)
    ]
    for worker in workers:
        worker.wait_ready()
    return workers


def check_exactly_once(storage_url: str, desk: OrderStatus, tmp_path: Path) -> None:
    """Three workers, 100 messages queued while they watch: each delivered once, the
    work shared, every worker exiting 0 on SIGTERM with its totals."""
    plugins = install_test_plugin(tmp_path / "plugins", short_lease=False)
    workers = _workers(storage_url, tmp_path, 3, plugins)
    ids = [f"m{index:03}" for index in range(100)]
    queue_order_lists(desk, ids)
    wait_until_delivered(desk)
    stopped = [worker.stop() for worker in workers]
    assert [code for code, _out in stopped] == [0, 0, 0]
    assert all(out.splitlines()[-1].startswith("Relay stopped: ") for _code, out in stopped)
    copies = deliveries(tmp_path / "mail")
    assert {i: len(c) for i, c in copies.items()} == dict.fromkeys(ids, 1)
    assert workers_that_delivered(tmp_path / "mail") >= 2


def check_nothing_lost(storage_url: str, desk: OrderStatus, tmp_path: Path, rounds: int) -> None:
    """Each round queues 20 messages and SIGKILLs its two workers at random moments while
    they deliver; two finishers then deliver what is left once the one-second leases end.
    Every message arrives at least once, each copy under the same Message-ID, naming its
    message; and the kills did cut work short (the test is not vacuous)."""
    plugins = install_test_plugin(tmp_path / "plugins", short_lease=True)
    chance = random.Random(12)
    ids: list[str] = []
    interrupted = 0
    for round_number in range(rounds):
        batch = [f"r{round_number:02}m{index:02}" for index in range(20)]
        ids += batch
        queue_order_lists(desk, batch)
        workers = _workers(storage_url, tmp_path, 2, plugins)
        for worker in workers:
            time.sleep(chance.uniform(0.0, 0.3))
            worker.kill()
        interrupted += pending(desk) > 0
    finishers = _workers(storage_url, tmp_path, 2, plugins)
    wait_until_delivered(desk)
    assert [worker.stop()[0] for worker in finishers] == [0, 0]
    copies = deliveries(tmp_path / "mail")
    assert sorted(copies) == ids
    for message_id, headers in copies.items():
        assert len(set(headers)) == 1, (message_id, headers)
        assert message_id in headers[0]
    assert interrupted > 0


def test_workers_deliver_each_message_exactly_once(
    storage_url: str, desk: OrderStatus, tmp_path: Path
) -> None:
    """SQLite: N workers, M messages, no kill: exactly once."""
    check_exactly_once(storage_url, desk, tmp_path)


@pytest.mark.slow
def test_workers_killed_at_random_lose_nothing(
    storage_url: str, desk: OrderStatus, tmp_path: Path
) -> None:
    """SQLite: ten rounds of two workers SIGKILLed, then two finishers: nothing lost."""
    check_nothing_lost(storage_url, desk, tmp_path, rounds=10)


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_a_stop_signal_ends_an_idle_worker_with_status_0(
    storage_url: str, tmp_path: Path, number: int
) -> None:
    """An idle worker stops at once on SIGTERM or SIGINT, exit status 0, its totals last."""
    plugins = install_test_plugin(tmp_path / "plugins", short_lease=False)
    (worker,) = _workers(storage_url, tmp_path, 1, plugins)
    code, out = worker.stop(number)
    assert (code, out.splitlines()[-1]) == (0, "Relay stopped: 0 sent, 0 failed, 0 dead")
