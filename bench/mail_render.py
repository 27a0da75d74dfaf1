"""Time to render one mail (subject, text and HTML) from the templates, per mail kind and
language, against a raw ``str.format`` of the same English text in the same run.

    python bench/mail_render.py [--mails 2000]

Each round renders every kind once with the library (English and Finnish, through the
store's renderer as the relay calls it) and once raw, interleaved, each mail with a
different order number so nothing is cached by input. The first tenth of the rounds warms
up (compiles the templates, reads the catalogs) and is left out. Goal (issue 12 item 8):
p50 ≤ 1 ms per mail.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

import babel
import jinja2

from orderstatus_core.contacts import parse_email
from orderstatus_core.mail import MailRenderer
from orderstatus_core.messages import (
    GuestPassMail,
    MailIntent,
    OrderListMail,
    OutboxMessage,
    ReturnLabelMail,
    ReturnReceivedMail,
    ReturnSettledMail,
    ShipmentNotice,
    TrackingMail,
)
from orderstatus_core.model import Money

TO = parse_email("Jane.Doe@example.com")
AT = datetime(2026, 11, 1, 12, 15, tzinfo=UTC)
LINK = "https://shop.example/order-status/pass?token="


def intents(number: int, language: str) -> dict[str, MailIntent]:
    order = f"{100000000 + number}"
    return {
        "order_list": OrderListMail(TO, (order, f"{number}1", f"{number}2"), language),
        "guest_pass": GuestPassMail(TO, order, "481516", f"{LINK}{number}", AT, language),
        "tracking": TrackingMail(
            TO,
            order,
            (
                ShipmentNotice("P1", "UPS", f"1Z999AA1{number:010d}", "https://ups.example/t"),
                ShipmentNotice("P2", "FedEx", f"{number:012d}"),
            ),
            language,
        ),
        "return_label": ReturnLabelMail(TO, order, (f"RMA-{number}",), True, AT, language),
        "return_received": ReturnReceivedMail(TO, order, f"RMA-{number}", language),
        "return_settled": ReturnSettledMail(
            TO, order, f"RMA-{number}", "refunded", Money("12.50", "EUR"), language
        ),
    }


# The raw floor: the same English text by str.format, with no translation, no escaping
# and no HTML part, and the values written by hand as the library must not.
RAW = {
    "order_list": (
        "Your recent order numbers",
        "Hello,\n\nYou asked for the order numbers placed with this email address. The most "
        "recent, newest first:\n\n{numbers}\n\nEnter one of them with this email address on "
        "the Order Status page to see it.\n\nIf you did not ask for this, you can ignore this "
        "mail.\n\n-- \nThis mail was sent automatically by Example Parts.\n",
    ),
    "guest_pass": (
        "Your code for order {order}",
        "Hello,\n\nSomeone, we hope you, asked to make changes to order {order} on the Order "
        "Status page.\n\nYour code: {code}\n\nOr open this link:\n{link}\n\nThe code and the "
        "link work once, until {expires}.\n\nIf you did not ask for this, you can ignore this "
        "mail: nothing changes without the code.\n\n-- \nThis mail was sent automatically by "
        "Example Parts.\n",
    ),
    "tracking": (
        "Your order {order} has shipped",
        "Hello,\n\nEvery package of your order {order} is on its way:\n\n{packages}\n\nYou can "
        "follow them on the Order Status page with your order number.\n\n-- \nThis mail was "
        "sent automatically by Example Parts.\n",
    ),
    "return_label": (
        "Your return papers for order {order}",
        "Hello,\n\nYour return of order {order} is authorised: RMA {rmas}.\n\nPrint the label "
        "and the instructions on the Order Status page.\n\nPlease send the package by "
        "{ship_by}. Put the instructions in the box; the refund follows when we have "
        "received and inspected it.\n\n-- \nThis mail was sent automatically by Example "
        "Parts.\n",
    ),
    "return_received": (
        "We received your return {rma}",
        "Hello,\n\nWe received return package {rma} of order {order}. We will inspect it and "
        "let you know how it is settled.\n\n-- \nThis mail was sent automatically by Example "
        "Parts.\n",
    ),
    "return_settled": (
        "Your return {rma} is settled",
        "Hello,\n\nReturn package {rma} of order {order}: {amount} is refunded to your "
        "original payment.\n\n-- \nThis mail was sent automatically by Example Parts.\n",
    ),
}


def raw(kind: str, intent: MailIntent) -> tuple[str, str]:
    subject, body = RAW[kind]
    values: dict[str, object] = {"order": getattr(intent, "order_number", "")}
    if isinstance(intent, OrderListMail):
        values["numbers"] = "\n".join(f"  {n}" for n in intent.order_numbers)
    elif isinstance(intent, GuestPassMail):
        values.update(code=intent.code, link=intent.link, expires=intent.expires_at.isoformat())
    elif isinstance(intent, TrackingMail):
        values["packages"] = "\n".join(
            f"  {p.package_id}: {p.carrier} {p.tracking_number}" for p in intent.packages
        )
    elif isinstance(intent, ReturnLabelMail):
        values.update(rmas=", ".join(intent.rma_numbers), ship_by=intent.ship_by.date())
    elif isinstance(intent, ReturnReceivedMail):
        values["rma"] = intent.rma_number
    elif isinstance(intent, ReturnSettledMail):
        values.update(rma=intent.rma_number, amount=f"{intent.amount.amount} EUR")
    return subject.format(**values), body.format(**values)


def timed(call: Callable[[], object]) -> float:
    start = time.perf_counter_ns()
    call()
    return (time.perf_counter_ns() - start) / 1000


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mails", type=int, default=2000, help="rounds per kind and language")
    args = parser.parse_args()
    renderer = MailRenderer.builtin()
    samples: dict[tuple[str, str], list[float]] = {}
    warm = args.mails // 10
    for number in range(args.mails + warm):
        for language in ("en", "fi"):
            for kind, intent in intents(number, language).items():
                message = OutboxMessage(f"m{number}", AT, intent)
                library = timed(lambda message=message: renderer.render(message))
                floor = timed(lambda kind=kind, intent=intent: raw(kind, intent))
                if number >= warm:
                    samples.setdefault((kind, language), []).append(library)
                    if language == "en":
                        samples.setdefault((kind, "raw"), []).append(floor)
    load = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    print(
        f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}, Jinja2 {jinja2.__version__}, "
        f"Babel {babel.__version__}; load average {load}; {args.mails} mails per row"
    )
    print("| mail | en p50 / p99 (µs) | fi p50 / p99 (µs) | raw str.format p50 / p99 (µs) |")
    print("|---|---:|---:|---:|")
    for kind in RAW:
        cells = []
        for column in ("en", "fi", "raw"):
            values = samples[(kind, column)]
            cells.append(f"{statistics.median(values):.1f} / {percentile(values, 0.99):.1f}")
        print(f"| {kind} | {' | '.join(cells)} |")
    every = [
        value for (_, column), values in samples.items() if column != "raw" for value in values
    ]
    print(
        f"All kinds, both languages: p50 {statistics.median(every):.1f} µs, "
        f"p99 {percentile(every, 0.99):.1f} µs (goal: p50 ≤ 1000 µs)"
    )


if __name__ == "__main__":
    main()
