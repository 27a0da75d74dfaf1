"""The small commands: ``migrate``, ``sample``, ``relay`` and ``purge``."""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import IO, Any

from orderstatus_core.app import OrderStatus
from orderstatus_core.cli._common import open_store, report_error
from orderstatus_core.cli._outbox import watch
from orderstatus_core.sample import generate_orders

__all__ = ["run_migrate", "run_purge", "run_relay", "run_sample"]

_JSON_SEPARATORS = (",", ":")
_SAMPLE_BATCH = 1000
_RELAY_MAX_BATCHES = 100_000


def run_migrate(args: argparse.Namespace) -> int:
    """Bring the schema up to date on purpose: the one step that may stop servers still
    running an older release, so no other command upgrades a schema."""
    with open_store(args.storage, args.mail) as desk:
        version = desk.migrate()
        print(f"{desk.context.storage.url}: schema version {version}")
    return 0


# --- sample --------------------------------------------------------------------------------


def _write_sample(records: Iterable[dict[str, Any]], out: IO[bytes]) -> int:
    dumps = json.JSONEncoder(ensure_ascii=False, separators=_JSON_SEPARATORS).encode
    written = 0
    batch: list[str] = []
    for record in records:
        batch.append(dumps(record))
        if len(batch) == _SAMPLE_BATCH:
            out.write(("\n".join(batch) + "\n").encode("utf-8"))
            written += len(batch)
            batch.clear()
    if batch:
        out.write(("\n".join(batch) + "\n").encode("utf-8"))
        written += len(batch)
    out.flush()
    return written


def run_sample(args: argparse.Namespace) -> int:
    """Write generated orders in the import format, for benchmarks and trials; the real
    date is read here, at the edge, so the generator stays deterministic."""
    # The real date is read here, at the edge; the generator only knows the day it is given.
    today: date = args.today or datetime.now(UTC).date()
    until = datetime(today.year, today.month, today.day, tzinfo=UTC)
    records = generate_orders(args.orders, args.customers, args.seed, until=until)
    started = time.perf_counter()
    if args.output in (None, "-"):
        sys.stdout.flush()
        try:
            _write_sample(records, sys.stdout.buffer)
        except BrokenPipeError:
            # The reader went away (``| head``): stop quietly, as Unix tools do.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            return 1
        return 0
    with open(args.output, "wb") as out:
        written = _write_sample(records, out)
    elapsed = time.perf_counter() - started
    rate = written / elapsed if elapsed > 0 else 0.0
    print(
        f"Wrote {written:,} orders to {args.output} in {elapsed:.2f} s ({rate:,.0f} orders/s)",
        file=sys.stderr,
    )
    return 0


# --- relay ---------------------------------------------------------------------------------


def _pending(desk: OrderStatus) -> int:
    with desk.context.storage.unit_of_work() as uow:
        return uow.outbox.pending_count()


def run_relay(args: argparse.Namespace) -> int:
    """Deliver what the outbox holds, batch after batch while the backlog shrinks, and
    exit 1 when something failed, so a cron job or a supervisor notices. With
    ``--watch``, run as a worker until SIGTERM or SIGINT instead."""
    if args.watch:
        return watch(args)
    sent = failed = dead = 0
    with open_store(args.storage, args.mail, labels=args.labels) as desk:
        pending = _pending(desk)
        for _batch in range(_RELAY_MAX_BATCHES):
            report = desk.relay_outbox(args.limit)
            sent += report.sent
            failed += report.failed
            dead += report.dead
            # The reason hides the message's secrets and its recipient's address.
            for failure in report.failures:
                what = " [dead letter]" if failure.dead else ""
                report_error(
                    "relay", f"{failure.message_id} ({failure.kind}){what}: {failure.reason}"
                )
            # Batch after batch while the backlog shrinks: a batch that only failed (its
            # messages wait for their retry time) or found nothing due ends the run.
            left = _pending(desk)
            shrank, pending = left < pending, left
            if pending == 0 or not shrank:
                break
    print(f"Relay: {sent} sent, {failed} failed, {pending} still pending")
    if dead:
        report_error("relay", f"{dead} message(s) moved to dead letters (orderstatus outbox)")
    if failed > dead:
        report_error("relay", f"{failed - dead} message(s) failed and will be retried later")
    return 1 if failed else 0


# --- purge ---------------------------------------------------------------------------------


def run_purge(args: argparse.Namespace) -> int:
    """Delete what the retention policy no longer keeps; meant for a daily timer."""
    with open_store(args.storage, args.mail) as desk:
        report = desk.purge()
    print(
        f"Purged: sent messages {report.sent_messages}, guest-pass challenges "
        f"{report.challenges}, guest passes {report.passes}, idempotent replies "
        f"{report.idempotent_replies}, failed log-in counts {report.failed_logins}"
    )
    return 0
