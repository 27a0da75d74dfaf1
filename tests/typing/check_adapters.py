"""The bundled adapters and the testing fakes satisfy their ports: checked by mypy, never run.

Ports are ``typing.Protocol`` classes, so conformance is structural; these assignments make
mypy prove it for every bundled adapter and every fake a user's tests may pass in.
"""

from __future__ import annotations

from orderstatus_argon2 import Argon2PasswordHasher
from orderstatus_captcha import DrawnCaptcha
from orderstatus_core import (
    BreachedPasswords,
    Captcha,
    Clock,
    Mailer,
    NoBreachedPasswords,
    PasswordHasher,
    PlausibleVehicles,
    RateLimiter,
    ServiceContext,
    Storage,
    SystemClock,
    VehicleCatalog,
)
from orderstatus_core.testing import (
    CountingPasswordHasher,
    CountingRateLimiter,
    FailingMailer,
    FixedClock,
    RecordingCaptcha,
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
    captcha: Captcha = DrawnCaptcha.from_url("captcha://")
    hasher: PasswordHasher = Argon2PasswordHasher.from_url("argon2://")
    breaches: BreachedPasswords = NoBreachedPasswords()
    vehicles: VehicleCatalog = PlausibleVehicles()
    del memory, sqlite, mailer, limiter, shared, clock, captcha, hasher, breaches, vehicles


def check_testing_fakes() -> None:
    clock: Clock = FixedClock()
    recording: Mailer = RecordingMailer()
    failing: Mailer = FailingMailer()
    counting: RateLimiter = CountingRateLimiter(MemoryRateLimiter())
    context: ServiceContext = fake_context(clock=FixedClock())
    captcha: Captcha = RecordingCaptcha()
    hasher: PasswordHasher = CountingPasswordHasher()
    cheap: PasswordHasher = Argon2PasswordHasher.for_tests()
    del clock, recording, failing, counting, context, captcha, hasher, cheap
