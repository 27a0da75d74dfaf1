"""The bundled adapters and the testing fakes satisfy their ports: checked by mypy, never run.

Ports are ``typing.Protocol`` classes, so conformance is structural; these assignments make
mypy prove it for every bundled adapter and every fake a user's tests may pass in.
"""

from __future__ import annotations

from orderstatus_core import Clock, Mailer, RateLimiter, ServiceContext, Storage, SystemClock
from orderstatus_core.testing import (
    CountingRateLimiter,
    FailingMailer,
    FixedClock,
    RecordingMailer,
    fake_context,
)
from orderstatus_mailbox import MailboxMailer
from orderstatus_memory import MemoryRateLimiter, MemoryStorage
from orderstatus_redis import RedisRateLimiter
from orderstatus_sqlite import SqliteStorage


def check_bundled_adapters() -> None:
    memory: Storage = MemoryStorage()
    sqlite: Storage = SqliteStorage.from_url("sqlite:///orders.db")
    mailer: Mailer = MailboxMailer("mail")
    limiter: RateLimiter = MemoryRateLimiter()
    shared: RateLimiter = RedisRateLimiter.from_url("redis://localhost")
    clock: Clock = SystemClock()
    del memory, sqlite, mailer, limiter, shared, clock


def check_testing_fakes() -> None:
    clock: Clock = FixedClock()
    recording: Mailer = RecordingMailer()
    failing: Mailer = FailingMailer()
    counting: RateLimiter = CountingRateLimiter(MemoryRateLimiter())
    context: ServiceContext = fake_context(clock=FixedClock())
    del clock, recording, failing, counting, context
