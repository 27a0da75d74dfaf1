"""Spawned worker processes released together: the one way the race tests start their
processes, collect what each reports, and make sure none outlives its test.

A race needs its parties to act at one moment and each to report how it ended. The
processes are ``spawn``\\ ed (not forked: a fork would copy the parent's open connections and
locks), so a worker's ``target`` must be defined at module level; it gets the shared
:attr:`SpawnedWorkers.barrier` and :attr:`SpawnedWorkers.results` queue among its arguments,
where its module expects them::

    with spawned_workers(parties=2) as race:
        race.start(target, [(url, race.barrier, race.results) for _ in range(2)])
        answers = race.collect(2)
        assert race.join() == [0, 0]

Leaving the block, however it is left (a failed assertion, a timeout while collecting),
kills every worker still alive, so a hung race fails its test instead of the whole run.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

#: How long a collector waits for one report, and a join for one process, in seconds.
REPORT_PATIENCE = 120.0
JOIN_PATIENCE = 60.0


class SpawnedWorkers:
    """The barrier and results queue of one race, and the processes started on them."""

    def __init__(self, parties: int) -> None:
        context = multiprocessing.get_context("spawn")
        self._context = context
        #: Every party (a process, or a thread of the test itself) waits here before it acts.
        self.barrier = context.Barrier(parties)
        #: What the workers report, one item per report.
        self.results: Any = context.Queue()
        self.processes: list[Any] = []

    def start(
        self,
        target: Callable[..., object],
        arguments: Sequence[tuple[Any, ...]],
        names: Sequence[str] | None = None,
    ) -> None:
        """Start one process per entry of ``arguments``, each running ``target(*entry)``."""
        for index, args in enumerate(arguments):
            name = None if names is None else names[index]
            process = self._context.Process(target=target, args=args, name=name)
            self.processes.append(process)
            process.start()

    def collect(self, count: int, timeout: float = REPORT_PATIENCE) -> list[Any]:
        """The next ``count`` reports, in the order they arrive."""
        return [self.results.get(timeout=timeout) for _ in range(count)]

    def join(self, timeout: float = JOIN_PATIENCE) -> list[int | None]:
        """Wait for every process to end; their exit codes (``None`` for one still running)."""
        for process in self.processes:
            process.join(timeout=timeout)
        return [process.exitcode for process in self.processes]

    def close(self) -> None:
        """Kill whatever is still alive and close the queue."""
        for process in self.processes:
            if process.is_alive():
                process.kill()
                process.join()
        self.results.close()


@contextmanager
def spawned_workers(parties: int) -> Iterator[SpawnedWorkers]:
    """A race of ``parties`` parties; on leaving, no worker process is left alive."""
    workers = SpawnedWorkers(parties)
    try:
        yield workers
    finally:
        workers.close()
