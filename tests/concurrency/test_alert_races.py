"""Issue 14 item 5: the store reporting a part back in stock twice, or from several threads
or processes at once, mails each watcher exactly once; on SQLite the report holds the write
lock from ``BEGIN IMMEDIATE``, and the watches and the outbox change in that one unit."""

from __future__ import annotations

from pathlib import Path

import pytest

from orderstatus_core import OrderStatus
from orderstatus_core.testing import fake_context
from support.accounts import open_storage
from support.alert_races import (
    WATCHERS,
    alerted,
    report_in_processes,
    report_in_threads,
    watchers,
)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_eight_threads_reporting_at_once_mail_each_watcher_once(kind: str, tmp_path: Path) -> None:
    """The counts of the eight reports add up to the watchers; one alert per address."""
    storage = open_storage(kind, tmp_path)
    try:
        addresses = watchers(storage)
        answers = report_in_threads(OrderStatus(fake_context(storage)))
        assert all(isinstance(answer, int) for answer in answers), answers
        assert sum(answers) == WATCHERS  # type: ignore[arg-type]
        assert alerted(storage) == dict.fromkeys(addresses, 1)
    finally:
        storage.close()


def test_four_processes_reporting_at_once_mail_each_watcher_once(tmp_path: Path) -> None:
    """Four processes, each with its own connection to the SQLite file, report at once:
    one alert per address in all."""
    storage = open_storage("sqlite", tmp_path)
    try:
        addresses = watchers(storage)
        url = f"sqlite:///{tmp_path / 'accounts.db'}"
        answers = report_in_processes(url, f"mailbox:///{tmp_path / 'mail'}")
        assert all(isinstance(answer, int) for answer in answers), answers
        assert sum(answers) == WATCHERS  # type: ignore[arg-type]
        assert alerted(storage) == dict.fromkeys(addresses, 1)
    finally:
        storage.close()
