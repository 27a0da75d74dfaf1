"""``orderstatus import``: JSON Lines into the store, all or nothing, with a progress bar on
a terminal.

The command's arguments are declared in ``_parser.py`` (``build_parser``); a new option adds
its argument there and reads it from ``args`` in :func:`run_import`, where the one call that
stores the records is made.
"""

from __future__ import annotations

import argparse
import os
import stat
import sys
import time
from collections.abc import Callable
from typing import BinaryIO, TextIO

from orderstatus_core.app import OrderStatus
from orderstatus_core.cli._common import open_store, report_error
from orderstatus_core.errors import ImportRecordError, SchemaVersionError
from orderstatus_core.services import read_json_lines

__all__ = ["run_import"]


class _ProgressBar:
    """A one-line ``\\r`` progress bar on a terminal: count, rate and, when the input's size
    is known, the percentage of bytes read."""

    WIDTH = 28
    INTERVAL = 0.1  # seconds between redraws

    def __init__(
        self, stream: TextIO, total_bytes: int | None, position: Callable[[], int] | None
    ) -> None:
        self.stream = stream
        self.total_bytes = total_bytes
        self.position = position
        self.started = time.perf_counter()
        self.drawn_at = 0.0
        self.width = 0

    def update(self, count: int) -> None:
        """Redraw with ``count`` orders imported (at most every :attr:`INTERVAL`)."""
        now = time.perf_counter()
        if now - self.drawn_at < self.INTERVAL:
            return
        self.drawn_at = now
        rate = count / max(now - self.started, 1e-9)
        text = f"{count:,} orders  {rate:,.0f} orders/s"
        if self.total_bytes and self.position is not None:
            try:
                fraction = min(self.position() / self.total_bytes, 1.0)
            except (OSError, ValueError):
                fraction = None
            if fraction is not None:
                filled = int(fraction * self.WIDTH)
                bar = "#" * filled + "-" * (self.WIDTH - filled)
                text = f"[{bar}] {fraction:6.1%}  {text}"
        self.stream.write("\r" + text.ljust(self.width))
        self.stream.flush()
        self.width = len(text)

    def clear(self) -> None:
        """Erase the bar, leaving the cursor at the start of an empty line."""
        if self.width:
            self.stream.write("\r" + " " * self.width + "\r")
            self.stream.flush()
            self.width = 0


def _input_size(stream: BinaryIO) -> int | None:
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


def _create_schema_if_none(desk: OrderStatus) -> int | None:
    """Migrate a store that has no schema yet (a new file); return the new version, or
    ``None`` when the store already had one.

    A store with an older schema is refused as before: upgrading it is ``orderstatus
    migrate``'s deliberate step, since the servers still on the old release stop working.
    """
    try:
        with desk.context.storage.unit_of_work():
            return None
    except SchemaVersionError as error:
        if error.found != 0:
            raise
    return desk.migrate()


def run_import(args: argparse.Namespace) -> int:
    """Import a JSON Lines file all or nothing, creating the schema of a new store first,
    so that a first import is one command."""
    name = "<stdin>" if args.file == "-" else args.file
    stream: BinaryIO = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")  # noqa: SIM115
    try:
        bar: _ProgressBar | None = None
        if sys.stderr.isatty():
            bar = _ProgressBar(sys.stderr, _input_size(stream), stream.tell)
        started = time.perf_counter()
        with open_store(args.storage, args.mail) as desk:
            created = _create_schema_if_none(desk)
            if created is not None:
                print(f"{desk.context.storage.url} had no schema: created version {created}")
            try:
                report = desk.import_orders(
                    read_json_lines(stream), bar.update if bar is not None else None
                )
            except ImportRecordError as error:
                report_error("import", f"{name}: {error}; nothing was imported")
                return 1
            finally:
                if bar is not None:
                    bar.clear()
            url = desk.context.storage.url
    finally:
        if stream is not sys.stdin.buffer:
            stream.close()
    elapsed = time.perf_counter() - started
    rate = report.imported / elapsed if elapsed > 0 else 0.0
    print(
        f"Imported {report.imported:,} orders from {name} into {url} "
        f"in {elapsed:.2f} s ({rate:,.0f} orders/s)"
    )
    return 0
