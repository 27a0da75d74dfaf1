"""The ``orderstatus`` command: demo, migrate, import, sample data, the outbox relay, purge.

::

    orderstatus demo [--dir DIR]
    orderstatus migrate [--storage URL]
    orderstatus import FILE [--storage URL] [--mail URL]
    orderstatus sample --orders N [--customers M] [--seed S] [--today DATE] [-o FILE]
    orderstatus relay [--storage URL] [--mail URL] [--labels URL] [--limit N]
    orderstatus purge [--storage URL]

Exit status: 0 on success, 1 when the command failed (a refused import record, a storage
or mail failure), 2 for a usage error (a bad option, an unknown or malformed URL).
Errors are one line on stderr, never a traceback. Only the standard library is used
here (``argparse``), so the command works with nothing but the package installed.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import stat
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from importlib.util import find_spec
from pathlib import Path
from typing import IO, Any, BinaryIO, TextIO
from urllib.parse import quote

from orderstatus_core.app import OrderStatus
from orderstatus_core.contacts import parse_email
from orderstatus_core.errors import (
    ImportRecordError,
    InvalidTrackingNumberError,
    InvalidUrlError,
    OrderStatusError,
    SchemaVersionError,
    UnknownAdapterError,
)
from orderstatus_core.events import DomainEvent, RefundDue
from orderstatus_core.model import Order
from orderstatus_core.model.order import LineLedger
from orderstatus_core.model.requests import ProblemKind, Refund, Resolution, SpeedChange
from orderstatus_core.model.returns import ReturnKind
from orderstatus_core.model.views import OrderView, PackageView
from orderstatus_core.plugins import hookimpl
from orderstatus_core.policies.cancellation import LineCancellation
from orderstatus_core.policies.returns import ReturnDraft, ReturnOptions, ReturnPlan
from orderstatus_core.sample import DEMO_EMAIL, DEMO_PHONE, demo_orders, generate_orders
from orderstatus_core.services import (
    CancelAnswer,
    ChangeAnswer,
    FindOrderResult,
    GuestPassGranted,
    NoValidPass,
    OrderFound,
    OrderNotFound,
    ProblemAnswer,
    ReturnAnswer,
    ReturnPapers,
    SearchPage,
    TryLater,
    read_json_lines,
)

__all__ = ["DEFAULT_MAIL", "DEFAULT_STORAGE", "build_parser", "main"]

PROG = "orderstatus"
#: Where commands keep orders unless ``--storage`` says otherwise.
DEFAULT_STORAGE = "sqlite:///orders.db"
#: Where commands write mail unless ``--mail`` says otherwise: ``.eml`` files in ``./mail``.
DEFAULT_MAIL = "mailbox:///mail"

_JSON_SEPARATORS = (",", ":")
_SAMPLE_BATCH = 1000
_RELAY_MAX_BATCHES = 100_000


class UsageError(Exception):
    """A command line that names something unusable (a malformed or unknown URL)."""


# --- output helpers ---------------------------------------------------------------------


class _Style:
    """ANSI emphasis for a terminal; plain text everywhere else (pipes, files, NO_COLOR)."""

    def __init__(self, stream: TextIO) -> None:
        isatty = getattr(stream, "isatty", None)
        self.enabled = (
            bool(isatty and isatty())
            and "NO_COLOR" not in os.environ
            and os.environ.get("TERM") != "dumb"
        )

    def _wrap(self, code: str, text: str) -> str:
        return f"\x1b[{code}m{text}\x1b[0m" if self.enabled else text

    def heading(self, text: str) -> str:
        """A section heading."""
        return self._wrap("1;36", text)

    def strong(self, text: str) -> str:
        """Emphasised text."""
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        """Secondary text."""
        return self._wrap("2", text)


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def _day(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d}"


def _ledger_text(ledger: LineLedger) -> str:
    parts = [f"ordered {ledger.ordered}"]
    for label, count in (
        ("cancelled", ledger.cancelled),
        ("awaiting processing", ledger.awaiting),
        ("in processing", ledger.processing),
        ("shipped", ledger.shipped),
        ("delivered", ledger.delivered),
        ("returned", ledger.returned),
    ):
        if count:
            parts.append(f"{label} {count}")
    return " · ".join(parts)


def _package_lines(package: PackageView, style: _Style) -> list[str]:
    units = ", ".join(f"line {line_no} ×{quantity}" for line_no, quantity in package.units)
    if package.shipped_at is None:
        state = "in warehouse processing"
    elif package.delivered_at is None:
        state = f"shipped {_when(package.shipped_at)}, in transit"
    else:
        state = f"shipped {_day(package.shipped_at)}, delivered {_day(package.delivered_at)}"
    rows = [f"    {style.strong(package.package_id)}  from {package.warehouse}  ({units})"]
    if package.carrier and package.tracking_number:
        rows.append(f"      {package.carrier} {package.tracking_number} · {state}")
    else:
        rows.append(f"      {state}")
    if package.tracking_url:
        rows.append(f"      track: {package.tracking_url}")
    return rows


def _view_lines(view: OrderView, style: _Style) -> list[str]:
    """The masked order view as text lines."""
    status = view.status.value.replace("_", " ")
    ship_to = view.ship_to
    place = ", ".join(
        part
        for part in (
            ship_to.name,
            ship_to.street,
            ship_to.city,
            f"{ship_to.region or ''} {ship_to.postal_code}".strip(),
            ship_to.country,
        )
        if part
    )
    rows = [
        f"  Order {style.strong(view.number)}  placed {_when(view.placed_at)}"
        f"  status: {style.strong(status)}",
        f"  Email {view.email}" + (f" · phone {view.phone}" if view.phone else ""),
        f"  Ship to {place}",
        "  Lines:",
    ]
    for line in view.lines:
        core = f" + core charge {line.core_charge}" if line.core_charge.amount else ""
        rows.append(
            f"    {line.line_no}. {style.strong(line.part_number)}  {line.brand}"
            f"  {line.description}"
        )
        rows.append(f"       {line.category}")
        rows.append(f"       {line.quantity} × {line.unit_price}{core}")
        rows.append(f"       {_ledger_text(line.ledger)}")
    if view.packages:
        rows.append("  Packages:")
        for package in view.packages:
            rows.extend(_package_lines(package, style))
    rows.append(
        f"  Subtotal {view.subtotal} · cores {view.core_charges} · shipping {view.shipping}"
        f" · tax {view.tax} · total {style.strong(str(view.total))}"
    )
    return rows


def _answer_lines(result: FindOrderResult, style: _Style) -> list[str]:
    if isinstance(result, OrderFound):
        return _view_lines(result.view, style)
    if isinstance(result, TryLater):
        return [f"  {result.message} (retry in {result.retry_after_seconds} s)"]
    return [f"  {result.message}"]


def _search_lines(page: SearchPage, style: _Style) -> list[str]:
    if not page.matches:
        return ["  No orders found."]
    rows: list[str] = []
    for match in page.matches:
        header = match.header
        rows.append(f"  Order {style.strong(header.number)}  placed {_day(header.placed_at)}")
        for line in match.lines:
            rows.append(
                f"    {line.line_no}. {line.part_number.display}  {line.brand}"
                f"  {line.description}  [{line.category}]"
            )
    if page.next_cursor:
        rows.append(f"  (more: cursor {page.next_cursor})")
    return rows


def _error(command: str, message: str) -> None:
    text = " ".join(str(message).split())  # one line, whatever the message holds
    print(f"{PROG} {command}: {text}", file=sys.stderr)


# --- opening the store ------------------------------------------------------------------


def _open(
    storage: str, mail: str, plugins: Sequence[object] = (), labels: str | None = None
) -> OrderStatus:
    """Open the store; a malformed or unknown URL is a usage error."""
    try:
        return OrderStatus.open(storage, mail, labels=labels, plugins=plugins)
    except UnknownAdapterError as error:
        raise UsageError(str(error)) from None
    except InvalidUrlError as error:
        raise UsageError(f"bad URL: {error}") from None


def _file_url(scheme: str, path: Path) -> str:
    """``scheme:///`` + the absolute path: ``sqlite:////tmp/demo/orders.db``."""
    return f"{scheme}:///{quote(path.resolve().as_posix())}"


# --- demo ----------------------------------------------------------------------------------

_DEMO_ORDER_BY_EMAIL = "301442518"
_DEMO_ORDER_BY_PHONE = "301977206"
_DEMO_OTHER_SHOPPERS_ORDER = "301820664"
_DEMO_UNKNOWN_ORDER = "399999999"
#: Jane's oil-change order of this morning: the guest pass and the cancel.
_DEMO_ORDER_TO_CANCEL = "302105733"
#: Jane's order of an hour ago (added by the demo): the change request.
_DEMO_ORDER_TO_CHANGE = "302117468"
#: Jane's delivered brake order: the problem report.
_DEMO_ORDER_WITH_PROBLEM = "301442518"
#: Jane's order delivered last week (added by the demo): the return with a label.
_DEMO_ORDER_TO_RETURN = "301990352"
#: What a generated return label costs the demo store.
_DEMO_LABEL_COST = "7.50 USD"
_DEMO_BACKGROUND_ORDERS = 240
_DEMO_BACKGROUND_SHOPPERS = 60


_DEMO_MARKER = ".orderstatus-demo"


def _reset_demo_folder(folder: Path) -> tuple[Path, Path]:
    """Empty the demo's database and mail in ``folder``, and only what a demo made.

    A marker file says the folder is the demo's; an ``orders.db`` without it is somebody's
    real data and is left alone (the demo refuses to run there).
    """
    folder.mkdir(parents=True, exist_ok=True)
    database = folder / "orders.db"
    marker = folder / _DEMO_MARKER
    if database.exists() and not marker.exists():
        raise UsageError(f"{database} exists and was not made by the demo; choose another --dir")
    marker.write_text("Made by `orderstatus demo`, which recreates this folder.\n")
    for suffix in ("", "-wal", "-shm", "-journal"):
        (folder / f"orders.db{suffix}").unlink(missing_ok=True)
    mail = folder / "mail"
    if mail.is_dir():
        for old in mail.glob("*.eml"):
            old.unlink()
    papers = folder / "returns"
    if papers.is_dir():
        for old in [*papers.glob("*.pdf"), *papers.glob("*.zpl")]:
            old.unlink()
    return database, mail


def _order_to_change(now: datetime) -> dict[str, Any]:
    """Jane's order of an hour ago that no warehouse has touched: the change request's."""
    placed = (now - timedelta(hours=1)).astimezone(UTC).replace(microsecond=0)
    cooling = ["Cooling System"]
    return {
        "number": _DEMO_ORDER_TO_CHANGE,
        "placed_at": placed.isoformat().replace("+00:00", "Z"),
        "email": DEMO_EMAIL,
        "phone": "+14152739164",
        "shipping_address": {
            "name": "Jane Doe",
            "line1": "1187 Valencia St",
            "line2": "Apt 3",
            "city": "San Francisco",
            "region": "CA",
            "postal_code": "94110",
            "country": "US",
        },
        "currency": "USD",
        "lines": [
            {
                "line_no": 1,
                "part_number": "TH-3320",
                "brand": "Stant",
                "category": [*cooling, "Thermostat"],
                "description": "OE Type Thermostat; 195 F",
                "quantity": 1,
                "unit_price": "14.29 USD",
                "core_charge": "0.00 USD",
            },
            {
                "line_no": 2,
                "part_number": "RH71811",
                "brand": "Gates",
                "category": [*cooling, "Radiator Hose"],
                "description": "Molded Coolant Hose; Upper",
                "quantity": 1,
                "unit_price": "22.49 USD",
                "core_charge": "0.00 USD",
            },
        ],
        "shipping": "9.99 USD",
        "tax": "3.03 USD",
    }


def _order_to_return(now: datetime) -> dict[str, Any]:
    """Jane's order delivered last week: a belt that did not fit goes back on a label."""

    def at(days: int) -> str:
        moment = (now - timedelta(days=days)).astimezone(UTC).replace(microsecond=0)
        return moment.isoformat().replace("+00:00", "Z")

    record = _order_to_change(now)
    engine = ["Engine"]
    record.update(
        number=_DEMO_ORDER_TO_RETURN,
        placed_at=at(12),
        lines=[
            {
                "line_no": 1,
                "part_number": "K060923",
                "brand": "Gates",
                "category": [*engine, "Serpentine Belt"],
                "description": "Micro-V Serpentine Belt",
                "quantity": 1,
                "unit_price": "31.49 USD",
                "core_charge": "0.00 USD",
            },
            {
                "line_no": 2,
                "part_number": "EO-5W30-5",
                "brand": "Mobil 1",
                "category": [*engine, "Motor Oil"],
                "description": "Full Synthetic 5W-30; 5 qt",
                "quantity": 1,
                "unit_price": "28.99 USD",
                "core_charge": "0.00 USD",
                "returnable": False,
            },
        ],
        packages=[
            {
                "package_id": f"{_DEMO_ORDER_TO_RETURN}-1",
                "warehouse": "Louisville, KY",
                "units": [{"line_no": 1, "quantity": 1}, {"line_no": 2, "quantity": 1}],
                "carrier": "UPS",
                "tracking_number": "1Z999AA10123456784",
                "shipped_at": at(11),
                "delivered_at": at(8),
            }
        ],
        shipping="9.99 USD",
        tax="5.21 USD",
    )
    return record


def _demo_records(now: datetime) -> list[dict[str, Any]]:
    """The hand-written cast first, then generated orders of other shoppers."""
    records = [*demo_orders(now), _order_to_change(now), _order_to_return(now)]
    taken = {record["number"] for record in records}
    for record in generate_orders(
        _DEMO_BACKGROUND_ORDERS, _DEMO_BACKGROUND_SHOPPERS, seed=2026, until=now
    ):
        if record["number"] not in taken:
            records.append(record)
    return records


def _read_mail(path: Path) -> tuple[str, str, str]:
    """A mail file's ``To``, ``Subject`` and plain-text body."""
    message = message_from_bytes(path.read_bytes(), policy=default_policy)
    text = ""
    if isinstance(message, EmailMessage):
        body = message.get_body(preferencelist=("plain",))
        if body is not None and isinstance(body, EmailMessage):
            text = body.get_content()
    return str(message["To"]), str(message["Subject"]), text


def _mail_summary(path: Path) -> list[str]:
    to, subject, text = _read_mail(path)
    rows = [f"  To: {to}", f"  Subject: {subject}"]
    if text:
        rows.append("  " + "-" * 40)
        rows.extend(f"  | {row}".rstrip() for row in text.splitlines()[:9])
    return rows


def _mail_files(folder: Path) -> set[Path]:
    return set(folder.glob("*.eml")) if folder.is_dir() else set()


# The line of a guest-pass mail (English) that carries the code.
_MAILED_CODE = re.compile(r"^Your code: (\d{6})\r?$", re.MULTILINE)


class _DemoFailed(OrderStatusError):
    """A step of the demo did not answer what the walkthrough expects (a bug to report)."""


class _PaymentSystem:
    """The demo's stand-in for a store's payment service: an ``orderstatus_domain_event``
    plugin that records each refund the outbox relay hands it, once per event id (the
    relay delivers at least once)."""

    def __init__(self) -> None:
        self.received: dict[str, RefundDue] = {}

    @hookimpl
    def orderstatus_domain_event(self, event_id: str, event: DomainEvent) -> None:
        """Record a refund event; a repeat of an id already seen is dropped."""
        if isinstance(event, RefundDue):
            self.received.setdefault(event_id, event)


def _refund_text(refund: Refund) -> str:
    return (
        f"{refund.refund_id} ({refund.reason.replace('_', ' ')}): parts {refund.parts}"
        f" · cores {refund.cores} · shipping {refund.shipping} · tax {refund.tax}"
        f" · total {refund.total}"
    )


def _cancel_line_text(line: LineCancellation) -> str:
    done = []
    if line.cancelled:
        done.append(f"cancelled {line.cancelled}")
    if line.requested:
        done.append(f"cancel requested {line.requested}")
    if line.refused:
        done.append(f"refused {line.refused}")
    return f"    line {line.line_no}: {', '.join(done)}  [code {line.code}]"


def _ledger_rows(order: Order) -> list[str]:
    return [
        f"    {line.line_no}. {line.part_number.display}"
        f"  {_ledger_text(order.ledger(line.line_no))}"
        for line in order.lines
    ]


def _staff_read(desk: OrderStatus, order_number: str) -> Order:
    """The whole order, as a staff screen reads it (guests only ever see the masked view)."""
    with desk.context.storage.unit_of_work() as uow:
        order = uow.orders.get(order_number)
    if order is None:
        raise _DemoFailed(f"order {order_number} is missing")
    return order


class _GuestActions:
    """Sections 7 to 12 of the demo: Jane acts on her orders with guest passes, the
    warehouse and customer service decide, and the refunds reach the payment system."""

    def __init__(
        self,
        desk: OrderStatus,
        say: Callable[..., None],
        section: Callable[[int, str, str], None],
        mail_folder: Path,
        payments: _PaymentSystem,
        client: str,
    ) -> None:
        self.desk = desk
        self.say = say
        self.section = section
        self.mail_folder = mail_folder
        self.payments = payments
        self.client = client
        self.passes: dict[str, GuestPassGranted] = {}

    def relay(self) -> set[Path]:
        """Run the outbox relay once and say what it delivered; the mail files it wrote."""
        before_mail = _mail_files(self.mail_folder)
        before_events = len(self.payments.received)
        report = self.desk.relay_outbox()
        written = _mail_files(self.mail_folder) - before_mail
        events = len(self.payments.received) - before_events
        detail = ""
        if events:
            detail = f": {len(written)} mail, {events} refund event(s) for the payment system"
        self.say(f"  Outbox relay: {report.sent} sent, {report.failed} failed{detail}")
        return written

    def guest_pass(
        self, order_number: str, *, detailed: bool, identifier: str | None = None
    ) -> GuestPassGranted:
        """Ask for a pass as Jane, read the code from the mail the relay wrote, type it back.
        A pass earned earlier for the order is used again, as the storefront's cookie is."""
        if order_number in self.passes:
            self.say(f"  (the guest pass for order {order_number} from before, still valid)")
            return self.passes[order_number]
        granted = self._earn_pass(order_number, detailed, identifier or DEMO_EMAIL.lower())
        self.passes[order_number] = granted
        return granted

    def _earn_pass(self, order_number: str, detailed: bool, typed_email: str) -> GuestPassGranted:
        desk, say = self.desk, self.say
        if detailed:
            say(f"  > email {typed_email!r}, order number {order_number}: send me a code")
        else:
            say(f"  > a guest pass for order {order_number}, the same way as in section 7")
        answer = desk.request_guest_pass(typed_email, order_number, client=self.client)
        if detailed:
            say(f"  {answer.message}")
        found: tuple[Path, str, str] | None = None
        for path in sorted(self.relay()):
            to, subject, text = _read_mail(path)
            mailed = _MAILED_CODE.search(text)
            if subject.endswith(order_number) and mailed is not None:
                found = (path, to, mailed[1])
        if found is None:
            raise _DemoFailed(f"no code mail for order {order_number} in {self.mail_folder}")
        path, to, code = found
        if detailed:
            say(
                f"  Mail written to {path}",
                f"  To: {to}",
                f"  Subject: Your code for order {order_number}",
            )
            say(f"  > code {code}, typed back from the mail")
        granted = desk.verify_guest_code(order_number, code, client=self.client)
        if not isinstance(granted, GuestPassGranted):
            raise _DemoFailed(f"the mailed code for {order_number} was refused: {granted}")
        expiry = _when(granted.expires_at)
        say(f"  Guest pass for order {granted.order_number}, valid until {expiry}")
        if detailed:
            say("  (the storefront keeps the pass's token in a cookie; it is never printed)")
        else:
            say(f"  (code mailed to {to} in {path.name} and typed back)")
        return granted

    def run(self) -> None:
        """Every section, in order."""
        token = self.pass_section()
        request_id = self.cancel_section(token)
        self.confirm_section(request_id)
        self.change_section()
        self.problem_section()
        self.options_section()
        self.label_return_section()
        self.core_return_section()
        self.refunds_section()

    def pass_section(self) -> str:
        self.section(
            7,
            "A guest pass",
            "To act on an order, she proves she reads its mail: a code sent to the stored address.",
        )
        return self.guest_pass(_DEMO_ORDER_TO_CANCEL, detailed=True).token

    def cancel_section(self, token: str) -> str:
        desk, say, number = self.desk, self.say, _DEMO_ORDER_TO_CANCEL
        self.section(
            8,
            "Cancel with the guest pass",
            "Units not yet in processing go at once; units in a package become a request.",
        )
        package_id = f"{number}-1"
        desk.warehouse.start_processing(number, package_id, "Reno, NV", {2: 1})
        say(
            f"  Meanwhile the warehouse opened package {package_id} at Reno, NV with line 2 ×1:"
            " the air filter is in processing."
        )
        wanted = {1: 1, 2: 1}
        say(f"  > cancel line 1 ×1 and line 2 ×1 of order {number}, with the email alone")
        refused = desk.guest(client=self.client, identifier=DEMO_EMAIL).cancel_order(number, wanted)
        if not isinstance(refused, NoValidPass):
            raise _DemoFailed(f"a cancel without a guest pass answered {refused}")
        say(f"  Refused: {refused.message}")
        say("  > the same cancel, with the guest pass")
        answer = desk.guest(client=self.client, guest_pass=token).cancel_order(number, wanted)
        if not isinstance(answer, CancelAnswer):
            raise _DemoFailed(f"the cancel was not answered: {answer}")
        say(*(_cancel_line_text(line) for line in answer.lines))
        if answer.refund is not None:
            say(f"  Refund due now: {_refund_text(answer.refund)}")
        order = _staff_read(desk, number)
        open_requests = [r for r in order.cancel_requests if r.open]
        if not open_requests:
            raise _DemoFailed(f"order {number} has no open cancel request")
        request = open_requests[0]
        say(
            f"  Cancel request {request.request_id}: line {request.line_no} ×{request.quantity}"
            f" in package {request.package_id}, {request.state.value}; the warehouse decides.",
            *_ledger_rows(order),
        )
        return request.request_id

    def confirm_section(self, request_id: str) -> None:
        desk, say, number = self.desk, self.say, _DEMO_ORDER_TO_CANCEL
        self.section(
            9,
            "The warehouse confirms the cancel request",
            "It takes the units out of the package: now they are cancelled and refunded.",
        )
        say(f"  > desk.warehouse.confirm_cancel({number!r}, {request_id!r})")
        before = {r.refund_id for r in _staff_read(desk, number).refunds}
        order = desk.warehouse.confirm_cancel(number, request_id)
        (request,) = [r for r in order.cancel_requests if r.request_id == request_id]
        say(f"  {request_id}: {request.state.value}; order {number} is now {order.status.value}")
        say(*_ledger_rows(order))
        for refund in order.refunds:
            if refund.refund_id not in before:
                say(f"  Refund due: {_refund_text(refund)}")

    def change_section(self) -> None:
        desk, say, number = self.desk, self.say, _DEMO_ORDER_TO_CHANGE
        self.section(
            10,
            "A change request, approved by customer service",
            "Before the warehouse starts; staff decide, unless a store policy approves at once.",
        )
        token = self.guest_pass(number, detailed=False).token
        say(f"  > ship order {number} expedited instead of standard")
        answer = desk.guest(client=self.client, guest_pass=token).request_change(
            number, SpeedChange("expedited")
        )
        if not isinstance(answer, ChangeAnswer):
            raise _DemoFailed(f"the change request was not answered: {answer}")
        request = answer.request
        say(
            f"  Change request {request.request_id} (shipping speed → expedited):"
            f" {request.state.value}"
        )
        say(f"  > desk.customer_service.approve_change({number!r}, {request.request_id!r})")
        order = desk.customer_service.approve_change(number, request.request_id)
        (decided,) = [r for r in order.change_requests if r.request_id == request.request_id]
        say(
            f"  {decided.request_id}: {decided.state.value}; order {number} now ships "
            f"{order.shipping_speed.value}"
        )

    def problem_section(self) -> None:
        desk, say, number = self.desk, self.say, _DEMO_ORDER_WITH_PROBLEM
        self.section(
            11,
            "A problem report, resolved with a refund",
            "Resolved by refund, replacement, reship or carrier claim, or rejected.",
        )
        token = self.guest_pass(number, detailed=False).token
        text = "One of the two rotors arrived cracked."
        say(f"  > report on order {number}: damaged in transit, line 2 ×1, {text!r}")
        answer = desk.guest(client=self.client, guest_pass=token).report_problem(
            number, ProblemKind.DAMAGED_IN_TRANSIT, {2: 1}, text
        )
        if not isinstance(answer, ProblemAnswer):
            raise _DemoFailed(f"the problem report was not answered: {answer}")
        report = answer.report
        say(
            f"  Report {report.report_id} ({report.kind.value.replace('_', ' ')}):"
            f" {report.state.value} since {_when(report.reported_at)}"
        )
        say(
            f"  > desk.customer_service.resolve_problem({number!r}, {report.report_id!r}, 'refund')"
        )
        order = desk.customer_service.resolve_problem(number, report.report_id, Resolution.REFUND)
        (resolved,) = [r for r in order.problem_reports if r.report_id == report.report_id]
        resolution = resolved.resolution.value if resolved.resolution else "-"
        say(f"  {resolved.report_id}: {resolved.state.value} ({resolution})")
        for refund in order.refunds:
            if refund.source_id == report.report_id:
                say(f"  Refund due: {_refund_text(refund)}")

    def write_papers(self, order_number: str, rma: str, token: str) -> None:
        """Save an RMA package's papers where the shopper can open them."""
        papers = self.desk.guest(client=self.client, guest_pass=token).return_papers(
            order_number, rma
        )
        if not isinstance(papers, ReturnPapers):
            raise _DemoFailed(f"the papers of {rma} were not answered: {papers}")
        if not papers.documents:
            self.say("  (no papers: the label maker needs reportlab, pip install '.[labels]')")
            return
        folder = self.mail_folder.parent / "returns"
        folder.mkdir(exist_ok=True)
        for kept in papers.documents:
            path = folder / kept.document.filename
            path.write_bytes(kept.document.content)
            self.say(f"  Written {path} ({len(kept.document.content):,} bytes)")

    def options_section(self) -> None:
        desk, say, number = self.desk, self.say, _DEMO_ORDER_WITH_PROBLEM
        self.section(
            12,
            "What can come back",
            "Per unit, with a reason code for each refusal: returns, cores, warranty claims.",
        )
        token = self.guest_pass(number, detailed=False).token
        for kind in (ReturnKind.RETURN, ReturnKind.CORE, ReturnKind.WARRANTY):
            options = desk.guest(client=self.client, guest_pass=token).return_options(number, kind)
            if not isinstance(options, ReturnOptions):
                raise _DemoFailed(f"no return options for {number}: {options}")
            say(f"  > what may come back of order {number} as a {kind.value}?")
            for line in options.lines:
                until = f" until {_day(line.until)}" if line.until else ""
                why = "; ".join(f"{r.quantity} {r.code}" for r in line.refusals)
                say(
                    f"    line {line.line_no} {line.part_number}: {line.returnable}{until}"
                    + (f" (not: {why})" if why else "")
                )

    def label_return_section(self) -> None:
        desk, say, number = self.desk, self.say, _DEMO_ORDER_TO_RETURN
        self.section(
            13,
            "A return with a label",
            "Preview, RMA, a 4x6 in PDF and ZPL label and the instructions for the box.",
        )
        # Pass requests are limited to three per email in 15 minutes, and Jane has made
        # them: she asks with her phone number this time.
        say(f"  (Jane asks with her phone number {DEMO_PHONE}: three requests per email")
        say("   in 15 minutes are used up)")
        token = self.guest_pass(number, detailed=False, identifier=DEMO_PHONE).token
        draft = ReturnDraft("return", "does_not_fit", {1: 1})
        say(f"  > return line 1 of order {number}: does not fit, store's label")
        plan = desk.guest(client=self.client, guest_pass=token).preview_return(number, draft)
        if not isinstance(plan, ReturnPlan):
            raise _DemoFailed(f"no preview for {number}: {plan}")
        preview = plan.preview
        say(
            f"  Refund preview: parts {preview.parts} · tax {preview.tax}"
            f" · shipping {preview.shipping} (the shopper's choice)",
            f"                  label −{preview.label_deduction}"
            f" · restocking −{preview.restocking_fee} = {preview.total}",
        )
        answer = desk.guest(client=self.client, guest_pass=token).request_return(number, draft)
        if not isinstance(answer, ReturnAnswer):
            raise _DemoFailed(f"the return was not recorded: {answer}")
        package = answer.request.packages[0]
        say(
            f"  RMA {package.rma_number} to {package.destination.name},"
            f" {package.destination.address.city}: {package.state.value.replace('_', ' ')}"
        )
        self.relay()  # makes the papers and sends the mail they queue
        self.write_papers(number, package.rma_number, token)
        say(
            f"  > desk.warehouse.receive_return({number!r}, {package.rma_number!r}),"
            " then inspect_return and settle_return"
        )
        desk.warehouse.receive_return(number, package.rma_number)
        desk.warehouse.inspect_return(number, package.rma_number, {1: 1})
        order = desk.customer_service.settle_return(number, package.rma_number)
        (refund,) = [r for r in order.refunds if r.source_id == package.rma_number]
        say(f"  Refund due, the preview: {_refund_text(refund)} (label −{refund.label_fee})")

    def core_return_section(self) -> None:
        desk, say, number = self.desk, self.say, _DEMO_ORDER_WITH_PROBLEM
        self.section(
            14,
            "A core return with your own tracking number, as store credit",
            "The old caliper goes back in the new one's box; the deposit becomes store credit.",
        )
        token = self.guest_pass(number, detailed=False).token
        draft = ReturnDraft(
            "core", "core", {3: 1}, ship_by="own_tracking", refund_method="store_credit"
        )
        say(f"  > core return of line 3 of order {number}, shipped by Jane, as store credit")
        answer = desk.guest(client=self.client, guest_pass=token).request_return(number, draft)
        if not isinstance(answer, ReturnAnswer):
            raise _DemoFailed(f"the core return was not recorded: {answer}")
        rma = answer.request.packages[0].rma_number
        say(f"  RMA {rma}: deposit back after inspection {answer.request.preview.total}")
        self.relay()  # makes the papers and sends the mail they queue
        self.write_papers(number, rma, token)
        for typed in ("1Z999AA10123456785", "1Z 999 AA1 01 2345 6784"):
            say(f"  > tracking number {typed!r}")
            try:
                moved = desk.guest(client=self.client, guest_pass=token).enter_return_tracking(
                    number, rma, typed
                )
            except InvalidTrackingNumberError as error:
                say(f"  Refused ({error.code}): {error}")
                continue
            if isinstance(moved, ReturnAnswer):
                package = moved.request.package(rma)
                say(f"  {package.carrier} {package.tracking_number}: {package.state.value}")
        desk.warehouse.receive_return(number, rma)
        desk.warehouse.inspect_return(number, rma, {3: 1})
        desk.customer_service.settle_return(number, rma)
        jane = parse_email(DEMO_EMAIL)
        say(f"  Jane's store credit: {desk.store_credit.balance(jane, 'USD')}")
        for entry in desk.store_credit.history(jane):
            say(f"    {entry.entry_id}  {entry.amount}")

    def refunds_section(self) -> None:
        say = self.say
        self.section(
            15,
            "Refunds for the payment system",
            "Queued with each change; the relay hands them to an orderstatus_domain_event plugin.",
        )
        self.relay()
        received = self.payments.received
        say(f"  The payment system received {len(received)} refund events:")
        for event_id, event in received.items():
            refund = event.refund
            say(
                f"    {event_id}  order {event.order_number}  {refund.refund_id}"
                f" {refund.reason.replace('_', ' ')}  {refund.total}"
            )


def _cmd_demo(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    out = sys.stdout
    style = _Style(out)
    folder = Path(args.dir).expanduser()
    database, mail_folder = _reset_demo_folder(folder)
    storage_url = _file_url("sqlite", database)
    mail_url = _file_url("mailbox", mail_folder)
    now = datetime.now(UTC)
    records = _demo_records(now)
    cast = len(demo_orders(now)) + 2
    client = "demo-terminal"

    def say(*rows: str) -> None:
        for row in rows:
            print(row, file=out)

    def section(number: int, title: str, explanation: str) -> None:
        say("", style.heading(f"{number}. {title}"), style.dim(f"   {explanation}"))

    payments = _PaymentSystem()
    # The label maker draws with reportlab, the `labels` extra: without it the demo still
    # records the returns and says where the papers would be.
    labels = f"labels://?cost={quote(_DEMO_LABEL_COST)}" if find_spec("reportlab") else None
    with _open(storage_url, mail_url, plugins=[payments], labels=labels) as desk:
        version = desk.migrate()
        report = desk.import_orders(json.dumps(record) for record in records)
        say(
            style.heading("orderstatus demo: the Order Status page of a parts store"),
            f"Database: {database} (schema version {version})",
            f"Imported {report.imported} orders: Jane Doe and three other shoppers, plus "
            f"{len(records) - cast} generated ones.",
            f"Mail folder: {mail_folder}",
        )

        section(
            1,
            "Find an order by email",
            "The shopper types her email in any case; it is compared in canonical form.",
        )
        typed_email = "JANE.DOE@Example.COM"
        say(f"  > email {typed_email!r}, order number {_DEMO_ORDER_BY_EMAIL}")
        say(
            *_answer_lines(desk.find_order(typed_email, _DEMO_ORDER_BY_EMAIL, client=client), style)
        )

        section(
            2,
            "Find an order by phone",
            "A phone number typed in national format is compared in E.164 form.",
        )
        say(f"  > phone {DEMO_PHONE!r}, order number {_DEMO_ORDER_BY_PHONE}")
        say(*_answer_lines(desk.find_order(DEMO_PHONE, _DEMO_ORDER_BY_PHONE, client=client), style))

        section(
            3,
            "A failed find-order",
            "A wrong pair and an unknown order get the very same answer.",
        )
        wrong_pair = desk.find_order(typed_email, _DEMO_OTHER_SHOPPERS_ORDER, client=client)
        unknown = desk.find_order(typed_email, _DEMO_UNKNOWN_ORDER, client=client)
        say(f"  > email {typed_email!r}, order number {_DEMO_OTHER_SHOPPERS_ORDER} (not hers)")
        say(*_answer_lines(wrong_pair, style))
        say(f"  > email {typed_email!r}, order number {_DEMO_UNKNOWN_ORDER} (no such order)")
        say(*_answer_lines(unknown, style))
        same = isinstance(wrong_pair, OrderNotFound) and wrong_pair == unknown
        say(f"  Same answer: {'yes' if same else 'NO'}")

        section(
            4,
            "Order Look-Up",
            "The 10 most recent order numbers are mailed to the stored address, not the typed one.",
        )
        before = set(mail_folder.glob("*.eml")) if mail_folder.is_dir() else set()
        lookup = desk.send_order_list("jane.doe@EXAMPLE.com", client=client)
        say("  > email 'jane.doe@EXAMPLE.com', send order list", f"  {lookup.message}")
        relayed = desk.relay_outbox()
        say(f"  Outbox relay: {relayed.sent} sent, {relayed.failed} failed")
        written = sorted(set(mail_folder.glob("*.eml")) - before)
        for path in written:
            say(f"  Mail written to {path}")
            say(*_mail_summary(path))

        section(
            5,
            "Search by part number",
            "Case, spaces, dashes and dots are ignored: 'bp 12.34' finds BP-1234.",
        )
        verified = parse_email(DEMO_EMAIL)  # searching needs a verified email
        say("  > part number 'bp 12.34'")
        say(*_search_lines(desk.search_orders(verified, part_number="bp 12.34"), style))

        section(
            6,
            "Search by category",
            "A parent category finds its children (Brake Pad, Rotor, Caliper ...).",
        )
        say("  > category 'Brake & Wheel Hub'")
        say(*_search_lines(desk.search_orders(verified, category="Brake & Wheel Hub"), style))

        _GuestActions(desk, say, section, mail_folder, payments, client).run()

    elapsed = time.perf_counter() - started
    say(
        "",
        style.heading("Try it yourself"),
        f"  {PROG} relay --storage {storage_url} --mail {mail_url}",
        f"  python examples/wsgi_storefront.py --storage {storage_url}",
        style.dim(f"  (demo finished in {elapsed:.2f} s)"),
    )
    return 0


# --- migrate -------------------------------------------------------------------------------


def _cmd_migrate(args: argparse.Namespace) -> int:
    with _open(args.storage, args.mail) as desk:
        version = desk.migrate()
        print(f"{desk.context.storage.url}: schema version {version}")
    return 0


# --- import --------------------------------------------------------------------------------


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


def _cmd_import(args: argparse.Namespace) -> int:
    name = "<stdin>" if args.file == "-" else args.file
    stream: BinaryIO = sys.stdin.buffer if args.file == "-" else open(args.file, "rb")  # noqa: SIM115
    try:
        bar: _ProgressBar | None = None
        if sys.stderr.isatty():
            bar = _ProgressBar(sys.stderr, _input_size(stream), stream.tell)
        started = time.perf_counter()
        with _open(args.storage, args.mail) as desk:
            created = _create_schema_if_none(desk)
            if created is not None:
                print(f"{desk.context.storage.url} had no schema: created version {created}")
            try:
                report = desk.import_orders(
                    read_json_lines(stream), bar.update if bar is not None else None
                )
            except ImportRecordError as error:
                _error("import", f"{name}: {error}; nothing was imported")
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


def _cmd_sample(args: argparse.Namespace) -> int:
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


def _cmd_relay(args: argparse.Namespace) -> int:
    sent = failed = 0
    with _open(args.storage, args.mail, labels=args.labels) as desk:
        pending = _pending(desk)
        for _batch in range(_RELAY_MAX_BATCHES):
            report = desk.relay_outbox(args.limit)
            sent += report.sent
            failed += report.failed
            # The reason hides the message's secrets and its recipient's address.
            for failure in report.failures:
                _error("relay", f"{failure.message_id} ({failure.kind}): {failure.reason}")
            # Batch after batch while the backlog shrinks: a batch that only failed (its
            # messages wait for their retry time) or found nothing due ends the run.
            left = _pending(desk)
            shrank, pending = left < pending, left
            if pending == 0 or not shrank:
                break
    print(f"Relay: {sent} sent, {failed} failed, {pending} still pending")
    if failed:
        _error("relay", f"{failed} message(s) failed and will be retried later")
        return 1
    return 0


# --- purge ---------------------------------------------------------------------------------


def _cmd_purge(args: argparse.Namespace) -> int:
    with _open(args.storage, args.mail) as desk:
        report = desk.purge()
    print(
        f"Purged: sent messages {report.sent_messages}, guest-pass challenges "
        f"{report.challenges}, guest passes {report.passes}, idempotent replies "
        f"{report.idempotent_replies}"
    )
    return 0


# --- the parser ----------------------------------------------------------------------------


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
    demo.set_defaults(handler=_cmd_demo)

    migrate = commands.add_parser(
        "migrate",
        help="create or upgrade the storage schema",
        description="Bring the storage schema up to date and print its version.",
    )
    _add_storage(migrate, mail=False)
    migrate.set_defaults(handler=_cmd_migrate)

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
    importer.set_defaults(handler=_cmd_import)

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
    sample.set_defaults(handler=_cmd_sample)

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
    relay.set_defaults(handler=_cmd_relay)

    purge = commands.add_parser(
        "purge",
        help="delete delivered messages, expired guest passes and old replies",
        description="Delete delivered outbox messages, expired guest-pass challenges and "
        "passes, and idempotent replies older than the retention policy keeps them "
        "(the orderstatus_retention_policy hook). Pending mail and live passes stay. Run "
        "it daily.",
    )
    _add_storage(purge, mail=False)
    purge.set_defaults(handler=_cmd_purge)
    return parser


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
        _error(command, f"error: {error}")
        return 2
    except OrderStatusError as error:
        _error(command, str(error))
        return 1
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        _error(command, f"{where}{error.strerror or error}")
        return 1
    except KeyboardInterrupt:
        _error(command, "interrupted")
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
