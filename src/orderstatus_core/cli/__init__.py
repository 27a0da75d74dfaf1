"""The ``orderstatus`` command: demo, migrate, import, sample data, the outbox relay and
its dead letters, purge.

::

    orderstatus demo [--dir DIR] [--language fi] [--serve [--port N]]
    orderstatus migrate [--storage URL]
    orderstatus import FILE [--upsert] [--storage URL] [--mail URL]
    orderstatus sample --orders N [--customers M] [--seed S] [--today DATE] [-o FILE]
    orderstatus relay [--storage URL] [--mail URL] [--labels URL] [--limit N]
                      [--watch [--idle-max SECONDS]]
    orderstatus outbox [--storage URL] [--limit N] [--retry ID | --drop ID]
    orderstatus purge [--storage URL]

Exit status: 0 on success, 1 when the command failed (a refused import record, a storage
or mail failure), 2 for a usage error (a bad option, an unknown or malformed URL).
Errors are one line on stderr, never a traceback. Only the standard library is used
here (``argparse``), so the command works with nothing but the package installed.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Sequence

from orderstatus_core.cli._common import DEFAULT_MAIL, DEFAULT_STORAGE, UsageError, report_error
from orderstatus_core.cli._parser import build_parser
from orderstatus_core.errors import OrderStatusError

__all__ = ["DEFAULT_MAIL", "DEFAULT_STORAGE", "build_parser", "main"]


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``orderstatus`` with ``argv`` (default: ``sys.argv[1:]``); return the exit status."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as stop:  # --help, or a usage error argparse already reported
        return stop.code if isinstance(stop.code, int) else 2
    command: str = args.command
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except UsageError as error:
        report_error(command, f"error: {error}")
        return 2
    except OrderStatusError as error:
        report_error(command, str(error))
        return 1
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        report_error(command, f"{where}{error.strerror or error}")
        return 1
    except KeyboardInterrupt:
        report_error(command, "interrupted")
        return 130
