"""The cost of reading the account's language for an order's mail (issue 14 item 7), on
SQLite: the warehouse's ``ship`` of an order's last package (the tracking mail is queued in
its unit) and the relay's decision of a guest-pass request (the code's mail is queued in
its unit), each with the read (``after``, this branch) and without it (``before``: the
language as it was, the request's or the store's, through a stand-in for
``order_mail_language`` that reads nothing), in one run.

The two sides alternate call by call, the side that goes first swapping every pair (ABBA),
each call on its own order of one store: ``--background`` generated orders, ``--orders``
target orders of two lines packed in one package, and a verified account for every other
target's address (half of them Finnish, half English), plus ``--accounts`` other accounts,
so that the read finds an account for half the calls and none for the rest. The first
tenth of each side's calls warms up and is left out.

**Same answers first.** Before timing, a sample of targets runs on both sides and the
queued mail is compared field by field: equal for the targets without an account; for
those with one, equal but for the language, which is the account's with the read and the
store's (``en``) without it. Any other difference stops the run (exit status 1).

With ``--count-instructions`` (and under callgrind, as ``bench/instructions.py``
explains) only the named side of the named path runs inside ``itertools.starmap``:

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=starmap_next \\
        --callgrind-out-file=/tmp/cg.out python bench/mail_language.py --orders 400 \\
        --count-instructions ship:after
    callgrind_annotate /tmp/cg.out | grep 'PROGRAM TOTALS'   # divide by the calls counted

    PYTHONPATH=src:src/adapters python bench/mail_language.py --orders 2000
"""

from __future__ import annotations

import argparse
import collections
import itertools
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import attrs

from orderstatus_core import OrderStatus, parse_email
from orderstatus_core.messages import GuestPassRequest, MailIntent, OutboxMessage
from orderstatus_core.model.account import Account
from orderstatus_core.sample import generate_orders
from orderstatus_core.services import ServiceContext, effects, guest_pass
from orderstatus_core.services import ship as ship_package
from orderstatus_core.services.guest_pass import decide_guest_pass

sys.path.insert(0, str(Path(__file__).parent))
from commands import FIRST_NUMBER, _email, _lines, _record

PATHS = ("ship", "guest-pass")
SIDES = ("before", "after")
CHECKED = 20


def _without_the_read(uow: object, to: object, number: object, otherwise: str) -> str:
    """The language as it was before this branch: the request's or the store's."""
    return otherwise


@contextmanager
def side(name: str) -> Iterator[None]:
    """Run the services with (``after``) or without (``before``) the language read."""
    if name == "after":
        yield
        return
    real = effects.order_mail_language, guest_pass.order_mail_language
    effects.order_mail_language = _without_the_read  # type: ignore[assignment]
    guest_pass.order_mail_language = _without_the_read  # type: ignore[assignment]
    try:
        yield
    finally:
        effects.order_mail_language, guest_pass.order_mail_language = real


def build(db: Path, background: int, orders: int, accounts: int) -> list[int]:
    """The store; answers the target order numbers."""
    numbers = list(range(FIRST_NUMBER, FIRST_NUMBER + orders))
    with OrderStatus.open(storage=f"sqlite:///{db}", mail=f"mailbox:///{db.parent}/mail") as desk:
        desk.migrate()
        desk.import_orders(_lines(iter(generate_orders(background, seed=1))))
        desk.import_orders(_lines(_record(n, packed=True) for n in numbers))
        at = datetime(2026, 11, 1, tzinfo=UTC)
        storage = desk.context.storage
        holders = [
            (f"acct-bench-{n}", _email(n), "fi" if n % 4 == 0 else "en")
            for n in numbers
            if n % 2 == 0
        ]
        holders += [(f"acct-other-{i}", f"other{i}@example.com", "fi") for i in range(accounts)]
        with storage.unit_of_work(write=True) as uow:
            for account_id, email, language in holders:
                signed = Account.sign_up(account_id, parse_email(email), at, language=language)
                uow.accounts.add(signed.verified(at))
            uow.commit()
    return numbers


def _queued(ctx: ServiceContext, number: int) -> list[MailIntent]:
    """The mail queued for the order ``number``, oldest first, and taken out of the way."""
    mail: list[MailIntent] = []
    with ctx.storage.unit_of_work(write=True) as uow:
        for message in uow.outbox.pending(10_000):
            intent = message.intent
            if getattr(intent, "order_number", None) == str(number):
                mail.append(intent)  # type: ignore[arg-type]
            uow.outbox.mark_sent(message.message_id, ctx.clock.now())
        uow.commit()
    return mail


def _pass_request(ctx: ServiceContext, number: int) -> tuple[str, GuestPassRequest]:
    """A guest-pass request for the order, queued as the request path queues it."""
    request = GuestPassRequest(str(number), _email(number), "en")
    message = OutboxMessage(message_id=uuid.uuid4().hex, created_at=ctx.clock.now(), intent=request)
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.outbox.put(message)
        uow.commit()
    return message.message_id, request


def calls(ctx: ServiceContext, path: str) -> Callable[[int], Callable[[], object]]:
    """The timed call of ``path`` for an order (its set-up done untimed)."""
    if path == "ship":
        return lambda n: lambda: ship_package(ctx, str(n), "P1", "UPS", f"1Z{n:016d}")

    def deciding(n: int) -> Callable[[], object]:
        message_id, request = _pass_request(ctx, n)
        return lambda: decide_guest_pass(ctx, message_id, request)

    return deciding


#: What differs between two mails of one order by design: a new code and link, and the
#: code's expiry (the real clock).
_FRESH = {"code": "", "link": "", "expires_at": datetime(2026, 1, 1, tzinfo=UTC)}


def _comparable(mail: list[MailIntent], language: str) -> list[MailIntent]:
    """``mail`` in ``language``, with what is fresh each time left out."""
    return [
        attrs.evolve(m, language=language, **{k: v for k, v in _FRESH.items() if hasattr(m, k)})  # type: ignore[misc]
        for m in mail
    ]


def check(before: ServiceContext, after: ServiceContext, path: str, targets: list[int]) -> None:
    """Each target on both sides, each on its own copy of the store: the same mail, but
    for the language of an address with an account (the account's after, ``en`` before)."""
    for number in targets:
        with side("before"):
            calls(before, path)(number)()
        calls(after, path)(number)()
        old, new = _queued(before, number), _queued(after, number)
        expected = "fi" if number % 4 == 0 else "en"
        if [getattr(m, "language", None) for m in old + new] != ["en", expected]:
            raise SystemExit(f"{path}: order {number}: {old!r} / {new!r}")
        if _comparable(old, expected) != _comparable(new, expected):
            raise SystemExit(f"{path}: order {number}: {old!r} / {new!r}")


def timed(ctx: ServiceContext, path: str, targets: list[int]) -> dict[str, list[float]]:
    """Microseconds per call of each side, ABBA, the warm-up left out."""
    call = calls(ctx, path)
    spent: dict[str, list[float]] = {"before": [], "after": []}
    for index, (first, second) in enumerate(zip(targets[0::2], targets[1::2], strict=False)):
        order = SIDES if index % 2 == 0 else SIDES[::-1]
        for name, number in zip(order, (first, second), strict=True):
            run = call(number)
            with side(name):
                began = time.perf_counter_ns()
                run()
                spent[name].append((time.perf_counter_ns() - began) / 1000)
        if index % 50 == 49:
            _queued(ctx, -1)  # keep the outbox short, untimed
    warm = len(spent["before"]) // 10
    return {name: values[warm:] for name, values in spent.items()}


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


def counted(ctx: ServiceContext, what: str, targets: list[int]) -> None:
    """Run every call of one path and side; only those of ``what`` inside ``starmap``."""
    path, name = what.split(":")
    call = calls(ctx, path)
    with side(name):
        for number in targets[:50]:
            call(number)()
        runs = [call(number) for number in targets[50:]]
        collections.deque(itertools.starmap(lambda run: run(), ((r,) for r in runs)), maxlen=0)
    print(f"{what}: {len(runs)} calls counted")


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orders", type=int, default=2000, help="target orders per path")
    parser.add_argument("--background", type=int, default=10_000)
    parser.add_argument("--accounts", type=int, default=2000, help="other accounts")
    parser.add_argument("--count-instructions", metavar="PATH:SIDE", default=None)
    arguments = parser.parse_args()
    load_before = os.getloadavg()
    began = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "orders.db"
        numbers = build(db, arguments.background, 2 * arguments.orders, arguments.accounts)
        copy = Path(folder) / "copy.db"
        copy.write_bytes(db.read_bytes())
        mail = f"mailbox:///{folder}/mail"
        split = {"ship": numbers[: arguments.orders], "guest-pass": numbers[arguments.orders :]}
        with (
            OrderStatus.open(storage=f"sqlite:///{db}", mail=mail) as desk,
            OrderStatus.open(storage=f"sqlite:///{copy}", mail=mail) as other,
        ):
            ctx = desk.context
            if arguments.count_instructions:
                path = arguments.count_instructions.split(":")[0]
                counted(ctx, arguments.count_instructions, split[path])
                return 0
            rows = []
            for path in PATHS:
                check(other.context, ctx, path, split[path][:CHECKED])
                spent = timed(ctx, path, split[path][CHECKED:])
                p50 = {name: statistics.median(values) for name, values in spent.items()}
                rows.append(
                    f"| {path} | {p50['before']:.0f} / {_p(spent['before'], 99):.0f} "
                    f"| {p50['after']:.0f} / {_p(spent['after'], 99):.0f} "
                    f"| {p50['after'] / p50['before']:.3f}x | {len(spent['after'])} |"
                )
    print(
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"{began:%Y-%m-%d %H:%M} UTC, load before {load_before}, after {os.getloadavg()}"
    )
    print("| path | before p50 / p99 (µs) | after p50 / p99 (µs) | after / before p50 | calls |")
    print("|---|---:|---:|---:|---:|")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
