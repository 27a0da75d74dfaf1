"""``orderstatus outbox`` (pending mail and dead letters) and ``orderstatus relay --watch``
(the worker a process supervisor runs)."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import select
import signal
import sys
from collections.abc import Iterator
from datetime import datetime
from types import FrameType

from orderstatus_core.cli._common import open_store, report_error
from orderstatus_core.services import OutboxEntry

__all__ = ["SignalStop", "run_outbox", "watch"]


# --- orderstatus outbox --------------------------------------------------------------------


def run_outbox(args: argparse.Namespace) -> int:
    """List pending messages and dead letters, or retry or drop one by id."""
    with open_store(args.storage, args.mail) as desk:
        # (the id given, the command, what a missing id is, what was done), per action.
        actions = (
            (args.retry, desk.retry_message, "dead letter", "due again now, attempts from 0"),
            (args.drop, desk.drop_message, "undelivered message", "dropped"),
        )
        for message_id, command, wanted, done in actions:
            if message_id is None:
                continue
            if not command(message_id):
                report_error("outbox", f"no {wanted} with id {_shown(message_id)}")
                return 1
            print(f"{_shown(message_id)}: {done}")
            return 0
        listing = desk.list_outbox(args.limit)
    print(f"Pending: {listing.pending_count}")
    for entry in listing.pending:
        print(_line(entry, "next", entry.next_attempt_at))
    # The dead letters are listed up to the limit; more may wait beyond it.
    more = " or more" if len(listing.dead) == args.limit else ""
    print(f"Dead letters: {len(listing.dead)}{more}")
    for entry in listing.dead:
        print(_line(entry, "dead since", entry.dead_at))
    return 0


def _line(entry: OutboxEntry, when: str, moment: datetime | None) -> str:
    at = "now" if moment is None else moment.isoformat(timespec="seconds")
    error = "" if entry.last_error is None else f"  error: {_shown(entry.last_error)}"
    return (
        f"  {_shown(entry.message_id)}  {entry.kind}  attempts {entry.attempts}  {when} {at}"
        f"  to {_shown(entry.recipient)}{error}"
    )


def _shown(text: str) -> str:
    """``text`` safe for a terminal: control and format characters (an escape sequence, a
    bidi override from a hostile id or a server's echo) printed as ``\\u`` escapes."""
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in text)


# --- orderstatus relay --watch -------------------------------------------------------------


class SignalStop:
    """The stop signal of a watching relay: set by SIGTERM or SIGINT.

    The handlers only set a flag: a signal never interrupts a mail in hand. An idle wait
    is a ``select`` on the interpreter's wake-up pipe (``signal.set_wakeup_fd``), so a
    signal ends it at once, and no lock is ever taken inside a handler.
    """

    def __init__(self) -> None:
        self._set = False
        self._read, self._write = os.pipe()
        for end in (self._read, self._write):
            os.set_blocking(end, False)

    def is_set(self) -> bool:
        """Whether a stop signal arrived."""
        return self._set

    def set(self) -> None:
        """Stop after the message in hand."""
        self._set = True

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep up to ``timeout`` seconds, less if a signal arrives; whether stopped."""
        if not self._set:
            select.select([self._read], [], [], timeout)
            with contextlib.suppress(BlockingIOError):
                os.read(self._read, 512)
        return self._set

    @contextlib.contextmanager
    def installed(self) -> Iterator[SignalStop]:
        """Handle SIGTERM and SIGINT while the block runs, then put back what was there."""

        def handle(signum: int, frame: FrameType | None) -> None:
            self.set()

        previous = {number: signal.signal(number, handle) for number in _STOP_SIGNALS}
        previous_fd = signal.set_wakeup_fd(self._write, warn_on_full_buffer=False)
        try:
            yield self
        finally:
            signal.set_wakeup_fd(previous_fd)
            for number, handler in previous.items():
                signal.signal(number, handler)
            os.close(self._read)
            os.close(self._write)


_STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def watch(args: argparse.Namespace) -> int:
    """Relay until SIGTERM or SIGINT, one log line per batch on stderr; exit 0 once the
    message in hand is done."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
    relay_logger = logging.getLogger("orderstatus.relay")
    relay_logger.addHandler(handler)
    relay_logger.setLevel(logging.INFO)
    try:
        # Handled from the start: a stop while the store opens ends the worker cleanly too.
        with (
            SignalStop().installed() as stop,
            open_store(args.storage, args.mail, labels=args.labels) as desk,
        ):
            print(f"Relay watching {desk.context.storage.url}", flush=True)
            report = desk.watch_outbox(stop, limit=args.limit, idle_max=args.idle_max)
    finally:
        relay_logger.removeHandler(handler)
    print(f"Relay stopped: {report.sent} sent, {report.failed} failed, {report.dead} dead")
    return 0
