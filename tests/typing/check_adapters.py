"""The bundled adapters satisfy their ports: checked by mypy, never run.

Ports are ``typing.Protocol`` classes, so conformance is structural; these assignments make
mypy prove it for every bundled adapter.
"""

from __future__ import annotations

from orderstatus_core import Clock, Mailer, RateLimiter, Storage, SystemClock
from orderstatus_mailbox import MailboxMailer
from orderstatus_memory import MemoryRateLimiter, MemoryStorage


def check_ports() -> None:
    storage: Storage = MemoryStorage()
    mailer: Mailer = MailboxMailer("mail")
    limiter: RateLimiter = MemoryRateLimiter()
    clock: Clock = SystemClock()
    del storage, mailer, limiter, clock
