"""The ``orderstatus`` argument parser: one sub-parser per command, each naming its handler."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import date
from typing import Final

from orderstatus_core.cli._commands import run_migrate, run_purge, run_relay, run_sample
from orderstatus_core.cli._common import DEFAULT_MAIL, DEFAULT_STORAGE, PROG
from orderstatus_core.cli._demo import DEMO_LANGUAGES, run_demo
from orderstatus_core.cli._import import run_import
from orderstatus_core.cli._outbox import run_outbox

__all__ = ["build_parser"]


def _whole_number(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _positive(text: str) -> int:
    value = _whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text!r}")
    return value


def _port(text: str) -> int:
    value = _whole_number(text)
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"not a port from 1 to 65535: {text!r}")
    return value


def _idle_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not 0.5 <= value <= 3600:  # also refuses nan and inf
        raise argparse.ArgumentTypeError(f"must be from 0.5 to 3600 seconds: {text!r}")
    return value


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


#: Each command's line in ``orderstatus --help`` and its description in ``orderstatus COMMAND
#: --help``, apart from the options so that ``build_parser`` reads as the list of commands.
_TEXTS: Final = {
    "demo": (
        "create a demo database and walk through order status, guest actions, returns, "
        "accounts and profiles",
        "Create (or recreate) DIR/orders.db with sample orders and walk through "
        "the Order Status & Returns area in 15 steps: find-order by email and by phone, a "
        "failed find-order, Order Look-Up, search by part number and by category; a guest "
        "pass, a cancel that the warehouse confirms, a change request and a problem report "
        "decided by customer service; what may come back of an order, a return on the "
        "store's label, and a core return with the shopper's own tracking number refunded "
        "as store credit; and the refunds handed to the payment system. With the captcha "
        "and argon2 extras, an account (sign-up with a captcha, the mailed link, log-in, a "
        "password reset) and its profile: the address of her past orders saved for reuse, "
        "her car in the garage, her orders searched by that car, a part reported back in "
        "stock twice (one alert mail), and a store mail left by its one-click unsubscribe "
        "link. Mail goes to DIR/mail/; the return labels and instructions (PDF and ZPL, "
        "drawn with the labels extra) go to DIR/returns/.",
    ),
    "migrate": (
        "create or upgrade the storage schema",
        "Bring the storage schema up to date and print its version.",
    ),
    "import": (
        "import orders from a JSON Lines file",
        "Import orders, one JSON object a line (the format of "
        "docs/import-format.md), all or nothing: a bad record names its line and field "
        "and nothing is stored. A store without a schema (a new file) is migrated first; "
        "one with an older schema is refused until `orderstatus migrate` upgrades it.",
    ),
    "sample": (
        "write realistic sample orders as JSON Lines",
        "Write N realistic orders in the import format, placed over the three "
        "years before today: the newest not yet shipped (to cancel), some delivered in the "
        "last weeks (to return), the rest delivered long ago; two lines in five bought for "
        "one of their shopper's cars. The same seed and day give the same file.",
    ),
    "relay": (
        "deliver the mail, events and return papers waiting in the outbox",
        "Deliver every due outbox message: mail through the mail adapter, "
        "return papers through the label maker, events to the installed plugins. Each "
        "failure is one line on stderr (message id, kind, reason); exit status 1 if some "
        "failed (they stay pending and are retried later, or became dead letters: see "
        "`orderstatus outbox`). With --watch, run as a worker until SIGTERM or SIGINT: "
        "one log line per batch on stderr, a wait of 0.5 s doubling up to --idle-max "
        "while nothing is due, and exit status 0 once the message in hand is done.",
    ),
    "outbox": (
        "list pending mail and dead letters; retry or drop one",
        "List the messages waiting for delivery and the dead letters (id, kind, attempts, "
        "next attempt or when it died, masked recipient, last error), oldest first. "
        "--retry ID makes a dead letter due again now; --drop ID deletes an undelivered "
        "message. Exit status 1 for an id that is not there.",
    ),
    "purge": (
        "delete delivered messages, expired guest passes and old replies",
        "Delete delivered outbox messages, expired guest-pass challenges and "
        "passes, and idempotent replies older than the retention policy keeps them "
        "(the orderstatus_retention_policy hook). Pending mail and live passes stay. Run "
        "it daily.",
    ),
}


def _command(
    commands: argparse._SubParsersAction[argparse.ArgumentParser],
    name: str,
    handler: Callable[[argparse.Namespace], int],
) -> argparse.ArgumentParser:
    """Add the sub-parser of ``name``, with its texts and the handler ``main`` calls."""
    help_text, description = _TEXTS[name]
    command = commands.add_parser(name, help=help_text, description=description)
    command.set_defaults(handler=handler)
    return command


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

    demo = _command(commands, "demo", run_demo)
    demo.add_argument(
        "--dir",
        default="orderstatus-demo",
        help="folder for the demo database and mail (default: ./orderstatus-demo)",
    )
    demo.add_argument(
        "--language",
        choices=DEMO_LANGUAGES,
        default="en",
        help="the shopper's language: her mail, return papers and storefront lines "
        "(default: en; the narration stays English)",
    )
    demo.add_argument(
        "--serve",
        action="store_true",
        help="instead of the walkthrough, serve the example storefront on the demo data at "
        "http://127.0.0.1:PORT (needs the storefront extra and a clone's examples/)",
    )
    demo.add_argument(
        "--port",
        type=_port,
        default=8000,
        help="the port of --serve (default: 8000)",
    )

    migrate = _command(commands, "migrate", run_migrate)
    _add_storage(migrate, mail=False)

    importer = _command(commands, "import", run_import)
    importer.add_argument("file", metavar="FILE", help="the JSON Lines file, or - for stdin")
    importer.add_argument(
        "--upsert",
        action="store_true",
        help="create new orders and update stored ones, one order at a time; a record the "
        "library must refuse is reported and the rest go on (docs/import-format.md)",
    )
    _add_storage(importer, mail=True)

    sample = _command(commands, "sample", run_sample)
    sample.add_argument("--orders", type=_positive, required=True, metavar="N")
    sample.add_argument(
        "--customers",
        type=_positive,
        metavar="M",
        help="distinct shoppers (default: one per three orders)",
    )
    sample.add_argument("--seed", type=_whole_number, default=0, metavar="S", help="default: 0")
    sample.add_argument(
        "--today",
        type=_day_argument,
        metavar="DATE",
        help="the day the orders are dated back from, YYYY-MM-DD (default: today, UTC)",
    )
    sample.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of stdout")

    relay = _command(commands, "relay", run_relay)
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
    relay.add_argument(
        "--watch",
        action="store_true",
        help="keep relaying until SIGTERM or SIGINT (a worker for systemd or a container)",
    )
    relay.add_argument(
        "--idle-max",
        type=_idle_seconds,
        default=30.0,
        metavar="SECONDS",
        help="with --watch: the longest wait between polls of an idle outbox (default: 30)",
    )

    outbox = _command(commands, "outbox", run_outbox)
    _add_storage(outbox, mail=False)
    outbox.add_argument(
        "--limit", type=_positive, default=50, metavar="N", help="entries per list (default 50)"
    )
    chosen = outbox.add_mutually_exclusive_group()
    chosen.add_argument("--retry", metavar="ID", help="make the dead letter ID due again now")
    chosen.add_argument("--drop", metavar="ID", help="delete the undelivered message ID")

    purge = _command(commands, "purge", run_purge)
    _add_storage(purge, mail=False)
    return parser
