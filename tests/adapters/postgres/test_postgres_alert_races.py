"""Issue 14 item 5 on PostgreSQL: reports of one part back in stock racing from threads or
processes mail each watcher exactly once; the report's one ``DELETE ... RETURNING`` locks
each watch it takes, and a racing report finds it gone when the lock is released."""

from __future__ import annotations

from pathlib import Path

from orderstatus_core import OrderStatus
from orderstatus_core.testing import fake_context
from orderstatus_postgres import PostgresStorage
from support.alert_races import (
    WATCHERS,
    alerted,
    report_in_processes,
    report_in_threads,
    watchers,
)


def test_eight_threads_reporting_at_once_mail_each_watcher_once(
    pg_storage: PostgresStorage,
) -> None:
    """The counts of the eight reports add up to the watchers; one alert per address."""
    addresses = watchers(pg_storage)
    answers = report_in_threads(OrderStatus(fake_context(pg_storage)))
    assert all(isinstance(answer, int) for answer in answers), answers
    assert sum(answers) == WATCHERS  # type: ignore[arg-type]
    assert alerted(pg_storage) == dict.fromkeys(addresses, 1)


def test_four_processes_reporting_at_once_mail_each_watcher_once(
    pg_storage: PostgresStorage, pg_url: str, tmp_path: Path
) -> None:
    """Four processes, each with its own pool on the schema, report at once."""
    addresses = watchers(pg_storage)
    answers = report_in_processes(pg_url, f"mailbox:///{tmp_path / 'mail'}")
    assert all(isinstance(answer, int) for answer in answers), answers
    assert sum(answers) == WATCHERS  # type: ignore[arg-type]
    assert alerted(pg_storage) == dict.fromkeys(addresses, 1)
