"""``orderstatus relay --watch`` as real processes, for the worker tests on SQLite and
PostgreSQL: the test plugin installed as an entry point, workers started, stopped and
killed, mail queued and deliveries counted."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import defaultdict
from email.parser import BytesParser
from email.policy import default
from pathlib import Path
from typing import IO

import orderstatus_core
import support
from orderstatus_core import OrderListMail, OrderStatus, OutboxMessage, parse_email
from orderstatus_core.testing import FixedClock

_SRC = Path(orderstatus_core.__file__).resolve().parents[1]
_TESTS = Path(support.__file__).resolve().parents[1]


def install_test_plugin(folder: Path, *, short_lease: bool) -> Path:
    """A folder to put on ``PYTHONPATH`` that installs :mod:`support.counting_mailer` as an
    ``orderstatus`` entry point (and its one-second lease when ``short_lease``), the way
    pip installs a store's plugin."""
    info = folder / "orderstatus_relay_test_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: orderstatus-relay-test-plugin\nVersion: 1.0\n"
    )
    points = ["[orderstatus]", "counting = support.counting_mailer"]
    if short_lease:
        points.append("short_lease = support.counting_mailer:SHORT_LEASE")
    (info / "entry_points.txt").write_text("\n".join(points) + "\n")
    return folder


class RelayWorker:
    """One ``orderstatus relay --watch`` process delivering to ``counting://`` mail."""

    def __init__(self, storage_url: str, mail: Path, plugin_path: Path, log: Path) -> None:
        paths = [plugin_path, _TESTS, _SRC, _SRC / "adapters"]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(str(p) for p in paths)}
        command = [
            sys.executable,
            "-m",
            "orderstatus_core.cli",
            "relay",
            "--watch",
            "--storage",
            storage_url,
            "--mail",
            f"counting://{mail.resolve().as_posix()}",
            "--limit",
            "5",
            "--idle-max",
            "0.5",
        ]
        self._log: IO[bytes] = log.open("ab")
        self.process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self._log, text=True, env=env
        )

    def wait_ready(self) -> None:
        """Block until the worker says it watches the outbox."""
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        assert line.startswith("Relay watching"), line

    def stop(self, number: int = signal.SIGTERM) -> tuple[int, str]:
        """Send ``number`` and wait: the exit status and what it printed last."""
        self.process.send_signal(number)
        out, _ = self.process.communicate(timeout=60)
        self._log.close()
        return self.process.returncode, out.strip()

    def kill(self) -> None:
        """SIGKILL: no handler runs, whatever the worker was doing."""
        self.process.kill()
        self.process.communicate(timeout=60)
        self._log.close()


def queue_order_lists(desk: OrderStatus, ids: list[str]) -> None:
    """Put one Order Look-Up mail per id in the outbox, in one transaction."""
    intent = OrderListMail(to=parse_email("jane@example.com"), order_numbers=("123456789",))
    with desk.context.storage.unit_of_work(write=True) as uow:
        for message_id in ids:
            uow.outbox.put(OutboxMessage(message_id, FixedClock.START, intent))
        uow.commit()


def pending(desk: OrderStatus) -> int:
    """How many messages still wait for delivery."""
    with desk.context.storage.unit_of_work() as uow:
        return uow.outbox.pending_count()


def wait_until_delivered(desk: OrderStatus, timeout: float = 60.0) -> None:
    """Poll until nothing is pending (the workers' lease may have to end first)."""
    deadline = time.monotonic() + timeout
    while pending(desk):
        assert time.monotonic() < deadline, f"{pending(desk)} still pending"
        time.sleep(0.1)


def deliveries(folder: Path) -> dict[str, list[str]]:
    """Message id to the ``Message-ID`` header of each delivered copy, from every worker's
    folder (a file left half-written in a writing folder is no delivery)."""
    copies: dict[str, list[str]] = defaultdict(list)
    for path in folder.rglob("*.eml"):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        with path.open("rb") as file:
            header = BytesParser(policy=default).parse(file, headersonly=True)["Message-ID"]
        copies[path.name.split(".")[0]].append(str(header))
    return dict(copies)


def workers_that_delivered(folder: Path) -> int:
    """How many worker processes wrote at least one mail."""
    return sum(1 for sub in folder.iterdir() if any(sub.glob("*.eml"))) if folder.exists() else 0


def workers(storage_url: str, tmp_path: Path, count: int, plugins: Path) -> list[RelayWorker]:
    """``count`` workers on ``storage_url``, each ready; mail under ``tmp_path / "mail"``."""
    started = [
        RelayWorker(storage_url, tmp_path / "mail", plugins, tmp_path / f"worker{i}.log")
        for i in range(count)
    ]
    for worker in started:
        worker.wait_ready()
    return started


def check_exactly_once(storage_url: str, desk: OrderStatus, tmp_path: Path) -> None:
    """Three workers, 100 messages queued while they watch: each delivered once, the
    work shared, every worker exiting 0 on SIGTERM with its totals."""
    plugins = install_test_plugin(tmp_path / "plugins", short_lease=False)
    sharing = workers(storage_url, tmp_path, 3, plugins)
    ids = [f"m{index:03}" for index in range(100)]
    queue_order_lists(desk, ids)
    wait_until_delivered(desk)
    stopped = [worker.stop() for worker in sharing]
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
        killed = workers(storage_url, tmp_path, 2, plugins)
        for worker in killed:
            time.sleep(chance.uniform(0.0, 0.3))
            worker.kill()
        interrupted += pending(desk) > 0
    finishers = workers(storage_url, tmp_path, 2, plugins)
    wait_until_delivered(desk)
    assert [worker.stop()[0] for worker in finishers] == [0, 0]
    copies = deliveries(tmp_path / "mail")
    assert sorted(copies) == ids
    for message_id, headers in copies.items():
        assert len(set(headers)) == 1, (message_id, headers)
        assert message_id in headers[0]
    assert interrupted > 0
