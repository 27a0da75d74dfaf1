"""The ``orderstatus`` argument parser: one sub-parser per command, each naming its handler."""

from __future__ import annotations

import argparse
from datetime import date

from orderstatus_core.cli._commands import run_migrate, run_purge, run_relay, run_sample
from orderstatus_core.cli._common import DEFAULT_MAIL, DEFAULT_STORAGE, PROG
from orderstatus_core.cli._demo import run_demo
from orderstatus_core.cli._import import run_import

__all__ = ["build_parser"]


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _day_argument(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date like 2026-12-05: {text!r}") from None


def _add_storage(parser: argparse.ArgumentParser, *, mail: bool) -> None:
    parser.add_argument(
        "--storage",
        metavar="URL",
        default=DEFAULT_STORAGE,
        help=f"where the orders are (default: {DEFAULT_STORAGE})",
    )
    parser.add_argument(
        "--mail",
        metavar="URL",
        default=DEFAULT_MAIL,
        help=f"how mail is delivered (default: {DEFAULT_MAIL}, .eml files in ./mail)"
        if mail
        else argparse.SUPPRESS,
    )


def build_parser() -> argparse.ArgumentParser:
    """The ``orderstatus`` argument parser, with one sub-parser per command."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="The Order Status & Returns area of an online parts store.",
        epilog="URLs: sqlite:///relative.db, sqlite:////absolute.db, memory://, "
        "mailbox:///relative/folder, mailbox:////absolute/folder.",
    )
    commands = parser.add_subparsers(title="commands", dest="command", metavar="COMMAND")
    commands.required = True

    demo = commands.add_parser(
        "demo",
        help="create a demo database and walk through order status, guest actions and returns",
        description="Create (or recreate) DIR/orders.db with sample orders and walk through "
        "the Order Status & Returns area in 15 steps: find-order by email and by phone, a "
        "failed find-order, Order Look-Up, search by part number and by category; a guest "
        "pass, a cancel that the warehouse confirms, a change request and a problem report "
        "decided by customer service; what may come back of an order, a return on the "
        "store's label, and a core return with the shopper's own tracking number refunded "
        "as store credit; and the refunds handed to the payment system. Mail goes to "
        "DIR/mail/; the return labels and instructions (PDF and ZPL, drawn with the labels "
        "extra) go to DIR/returns/.",
    )
    demo.add_argument(
        "--dir",
        default="orderstatus-demo",
        help="folder for the demo database and mail (default: ./orderstatus-demo)",
    )
    demo.set_defaults(handler=run_demo)

    migrate = commands.add_parser(
        "migrate",
        help="create or upgrade the storage schema",
        description="Bring the storage schema up to date and print its version.",
    )
    _add_storage(migrate, mail=False)
    migrate.set_defaults(handler=run_migrate)

    importer = commands.add_parser(
        "import",
        help="import orders from a JSON Lines file",
        description="Import orders, one JSON object a line (the format of "
        "docs/import-format.md), all or nothing: a bad record names its line and field "
        "and nothing is stored. A store without a schema (a new file) is migrated first; "
        "one with an older schema is refused until `orderstatus migrate` upgrades it.",
    )
    importer.add_argument("file", metavar="FILE", help="the JSON Lines file, or - for stdin")
    _add_storage(importer, mail=True)
    importer.set_defaults(handler=run_import)

    sample = commands.add_parser(
        "sample",
        help="write realistic sample orders as JSON Lines",
        description="Write N realistic orders in the import format, placed over the three "
        "years before today: the newest not yet shipped (to cancel), some delivered in the "
        "last weeks (to return), the rest delivered long ago. The same seed and day give the "
        "same file.",
    )
    sample.add_argument("--orders", type=_positive, required=True, metavar="N")
    sample.add_argument(
        "--customers",
        type=_positive,
        metavar="M",
        help="distinct shoppers (default: one per three orders)",
    )
    sample.add_argument("--seed", type=_seed, default=0, metavar="S", help="default: 0")
    sample.add_argument(
        "--today",
        type=_day_argument,
        metavar="DATE",
        help="the day the orders are dated back from, YYYY-MM-DD (default: today, UTC)",
    )
    sample.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")
    sample.set_defaults(handler=run_sample)

    relay = commands.add_parser(
        "relay",
        help="deliver the mail, events and return papers waiting in the outbox",
        description="Deliver every due outbox message: mail through the mail adapter, "
        "return papers through the label maker, events to the installed plugins. Each "
        "failure is one line on stderr (message id, kind, reason); exit status 1 if some "
        "failed (they stay pending and are retried later).",
    )
    _add_storage(relay, mail=True)
    relay.add_argument(
        "--labels",
        metavar="URL",
        help="the label maker of return papers, such as labels://?cost=7.50%%20USD "
        "(without one, return papers stay pending and are reported failed)",
    )
    relay.add_argument(
        "--limit", type=_positive, default=100, metavar="N", help="messages per batch"
    )
    relay.set_defaults(handler=run_relay)

    purge = commands.add_parser(
        "purge",
        help="delete delivered messages, expired guest passes and old replies",
        description="Delete delivered outbox messages, expired guest-pass challenges and "
        "passes, and idempotent replies older than the retention policy keeps them "
        "(the orderstatus_retention_policy hook). Pending mail and live passes stay. Run "
        "it daily.",
    )
    _add_storage(purge, mail=False)
    purge.set_defaults(handler=run_purge)
    return parser
