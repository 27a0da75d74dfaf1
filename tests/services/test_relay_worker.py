"""The relay worker loop (``watch_outbox``): batches until stopped, idle back-off, the message
in hand finished and the rest given back; tested without signals and without sleeping."""

from __future__ import annotations

import logging
from typing import Any

import attrs
import pytest

from orderstatus_core import (
    AdapterError,
    InvalidFieldError,
    MailRejectedError,
    OrderListMail,
    OutboxMessage,
    OutgoingMail,
    parse_email,
)
from orderstatus_core.services import ServiceContext, watch_outbox
from orderstatus_core.testing import FailingMailer, FixedClock, RecordingMailer, fake_context

T0 = FixedClock.START


class _Stop:
    """A stop signal whose ``wait`` records how long it was asked to sleep, never sleeps,
    and runs ``on_wait`` (which may set it)."""

    def __init__(self, waits_before_stop: int = 1_000) -> None:
        self.flag = False
        self.waits: list[float] = []
        self.waits_before_stop = waits_before_stop
        self.on_wait: list[Any] = []

    def is_set(self) -> bool:
        return self.flag

    def set(self) -> None:
        self.flag = True

    def wait(self, timeout: float | None = None) -> bool:
        assert timeout is not None
        self.waits.append(timeout)
        if self.on_wait:
            self.on_wait.pop(0)()
        if len(self.waits) >= self.waits_before_stop:
            self.flag = True
        return self.flag


def _mail(message_id: str) -> OutboxMessage:
    intent = OrderListMail(to=parse_email("jane@example.com"), order_numbers=("123456789",))
    return OutboxMessage(message_id, T0, intent)


def _queue(ctx: ServiceContext, *ids: str) -> None:
    with ctx.storage.unit_of_work(write=True) as uow:
        for message_id in ids:
            uow.outbox.put(_mail(message_id))
        uow.commit()


def test_an_idle_worker_waits_half_a_second_doubling_to_the_most() -> None:
    """Nothing due: 0.5, 1, 2 ... seconds, never more than ``idle_max``."""
    stop = _Stop(waits_before_stop=8)
    report = watch_outbox(fake_context(), stop)
    assert stop.waits == [0.5, 1, 2, 4, 8, 16, 30, 30]
    assert (report.sent, report.failed, report.dead) == (0, 0, 0)


def test_work_resets_the_idle_wait_and_is_sent_without_waiting() -> None:
    """A message queued while the worker idles goes out in the next poll, and the wait
    starts again from the first step."""
    ctx = fake_context()
    stop = _Stop(waits_before_stop=5)
    stop.on_wait = [lambda: None, lambda: _queue(ctx, "M1")]
    report = watch_outbox(ctx, stop, idle_first=0.25, idle_max=4)
    assert stop.waits == [0.25, 0.5, 0.25, 0.5, 1]
    assert report.sent == 1


def test_a_stop_finishes_the_message_in_hand_and_gives_back_the_rest() -> None:
    """Stopped while sending the first of three: that one is sent and marked, the other
    two are due again at once for another worker, no attempt counted."""
    stop = _Stop()

    class StoppingMailer(RecordingMailer):
        def send(self, mail: OutgoingMail) -> None:
            super().send(mail)
            stop.set()  # SIGTERM arrives while the mail is in hand

    ctx = fake_context(mailer=StoppingMailer())
    _queue(ctx, "M1", "M2", "M3")
    report = watch_outbox(ctx, stop)
    assert (report.sent, stop.waits) == (1, [])
    with ctx.storage.unit_of_work() as uow:
        due = list(uow.outbox.due(T0, 10))
        sent = uow.outbox.get("M1")
    assert [(m.message_id, m.attempts) for m in due] == [("M2", 0), ("M3", 0)]
    assert sent is not None
    assert sent.sent_at == T0


def test_a_worker_stopped_before_it_starts_does_nothing() -> None:
    """A stop already set: no batch, no wait."""
    stop = _Stop()
    stop.set()
    ctx = fake_context()
    _queue(ctx, "M1")
    assert watch_outbox(ctx, stop).sent == 0
    assert isinstance(ctx.mailer, RecordingMailer)
    assert ctx.mailer.sent == []


def test_each_batch_is_one_line_and_each_failure_one_more(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """INFO per batch with its counts; WARNING per failure saying retry or dead letter,
    with the reason that hides the address."""

    class Mixed(RecordingMailer):
        def send(self, mail: OutgoingMail) -> None:
            if mail.message_id == "M2":
                raise MailRejectedError(f"550 <{mail.to}> unknown")
            super().send(mail)

    ctx = fake_context(mailer=Mixed())
    _queue(ctx, "M1", "M2")
    caplog.set_level(logging.INFO, logger="orderstatus.relay")
    report = watch_outbox(ctx, _Stop(waits_before_stop=1))
    assert (report.sent, report.failed, report.dead) == (1, 1, 1)
    lines = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert lines == [
        (
            "WARNING",
            "relay: 'M2' (order_list) failed, dead letter: "
            "MailRejectedError: 550 <j•••@example.com> unknown",
        ),
        ("INFO", "relay: batch 1: 1 sent, 0 to retry, 1 dead"),
    ]


def test_a_failing_mailer_is_retried_later_not_in_a_tight_loop() -> None:
    """A failed message waits for its retry time; the worker idles meanwhile."""
    mailer = FailingMailer()
    ctx = fake_context(mailer=mailer)
    _queue(ctx, "M1")
    stop = _Stop(waits_before_stop=4)
    report = watch_outbox(ctx, stop)
    assert (report.failed, mailer.calls, stop.waits) == (1, 1, [0.5, 1, 2, 4])


class _FlakyStorage:
    """The memory storage behind a database that is down for the first ``down`` units."""

    def __init__(self, inner: Any, down: int) -> None:
        self.inner, self.down, self.url = inner, down, "flaky://"

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> Any:
        if self.down > 0:
            self.down -= 1
            raise AdapterError("database restarting")
        return self.inner.unit_of_work(write=write, read_once=read_once)

    def migrate(self) -> int:
        return int(self.inner.migrate())

    def close(self) -> None:
        self.inner.close()


def test_a_storage_outage_is_logged_and_waited_out(caplog: pytest.LogCaptureFixture) -> None:
    """The storage failing twice: two ERROR lines, two backed-off waits, then the mail goes
    out; the worker never exits on it."""
    ctx = fake_context()
    _queue(ctx, "M1")
    ctx = attrs.evolve(ctx, storage=_FlakyStorage(ctx.storage, down=2))
    stop = _Stop(waits_before_stop=3)
    caplog.set_level(logging.INFO, logger="orderstatus.relay")
    report = watch_outbox(ctx, stop)
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors == [
        "relay: batch failed, retrying in 0.5 s: database restarting",
        "relay: batch failed, retrying in 1.0 s: database restarting",
    ]
    assert (report.sent, stop.waits) == (1, [0.5, 1, 0.5])


@pytest.mark.parametrize(
    "arguments",
    [
        {"idle_first": 0},
        {"idle_first": -1},
        {"idle_first": "0.5"},
        {"idle_first": 5, "idle_max": 1},
        {"idle_max": 3601},
        {"idle_max": None},
        {"limit": 0},
        {"limit": True},
    ],
)
def test_nonsense_settings_are_refused(arguments: dict[str, Any]) -> None:
    """Idle waits are positive seconds up to an hour, the most not below the first; a
    batch is at least one message."""
    stop = _Stop(waits_before_stop=1)
    with pytest.raises(InvalidFieldError):
        watch_outbox(fake_context(), stop, **arguments)
