"""``orderstatus demo``: a fresh SQLite store with the demo cast, walked through in 15 steps.

The cast itself (Jane Doe's orders and the other shoppers') lives in
:mod:`orderstatus_core.sample`; this module only drives the store and prints what it answers.

``--language`` is the shopper's language: her mail, her return label and instructions, and
the lines the demo prints as her storefront page would show them (the store's answers and
refusals, the guest pass, the refund preview) come from the catalogs in it, with money and
dates formatted by Babel. The
narration around them (section titles, what she types, staff calls, relay counts, file
paths) is for the developer running the demo and stays in English.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Final, TypeVar
from urllib.parse import quote

import attrs

from orderstatus_core.app import OrderStatus
from orderstatus_core.cli._common import PROG, UsageError, file_url, open_store
from orderstatus_core.cli._demo_accounts import (
    DemoCaptcha,
    account_extras_missing,
    demo_captcha,
    walk_through_accounts,
)
from orderstatus_core.cli._demo_profile import PROFILE_TITLE, DemoStore, walk_through_profile
from orderstatus_core.cli._render import (
    Style,
    answer_lines,
    cancel_line_text,
    day_text,
    ledger_rows,
    mail_summary,
    moment_text,
    read_mail,
    refund_text,
    search_lines,
)
from orderstatus_core.contacts import parse_email
from orderstatus_core.errors import InvalidTrackingNumberError, OrderStatusError
from orderstatus_core.events import DomainEvent, RefundDue
from orderstatus_core.i18n import Catalogs, Translator
from orderstatus_core.model import Order
from orderstatus_core.model.requests import ProblemKind, Resolution, SpeedChange
from orderstatus_core.model.returns import ReturnKind
from orderstatus_core.plugins import hookimpl
from orderstatus_core.policies.lookup import LookupPolicy
from orderstatus_core.policies.returns import ReturnDraft, ReturnOptions, ReturnPlan
from orderstatus_core.sample import (
    DEMO_EMAIL,
    DEMO_PHONE,
    demo_orders,
    demo_walkthrough_orders,
    generate_orders,
)
from orderstatus_core.services import (
    CancelAnswer,
    ChangeAnswer,
    GuestPassGranted,
    NoValidPass,
    OrderNotFound,
    ProblemAnswer,
    ReturnAnswer,
    ReturnPapers,
)

__all__ = ["run_demo"]

_DEMO_ORDER_BY_EMAIL = "301442518"
_DEMO_ORDER_BY_PHONE = "301977206"
_DEMO_OTHER_SHOPPERS_ORDER = "301820664"
_DEMO_UNKNOWN_ORDER = "399999999"
#: Jane's oil-change order of this morning: the guest pass and the cancel.
_DEMO_ORDER_TO_CANCEL = "302105733"
#: Jane's order of an hour ago (``demo_walkthrough_orders``): the change request.
_DEMO_ORDER_TO_CHANGE = "302117468"
#: Jane's delivered brake order: the problem report.
_DEMO_ORDER_WITH_PROBLEM = "301442518"
#: Jane's order delivered last week (``demo_walkthrough_orders``): the return with a label.
_DEMO_ORDER_TO_RETURN = "301990352"
#: What a generated return label costs the demo store.
_DEMO_LABEL_COST = "7.50 USD"
_DEMO_BACKGROUND_ORDERS = 240
_DEMO_BACKGROUND_SHOPPERS = 60


_DEMO_MARKER = ".orderstatus-demo"
#: The shopper's languages the demo offers: those of the core's catalogs.
DEMO_LANGUAGES: Final = ("en", "fi")

#: The walkthrough's sections, in order: title and the one-line explanation under it.
_SECTIONS: Final = (
    (
        "Find an order by email",
        "The shopper types her email in any case; it is compared in canonical form.",
    ),
    (
        "Find an order by phone",
        "A phone number typed in national format is compared in E.164 form.",
    ),
    (
        "A failed find-order",
        "A wrong pair and an unknown order get the very same answer.",
    ),
    (
        "Order Look-Up",
        "The 10 most recent order numbers are mailed to the stored address, not the typed one.",
    ),
    (
        "Search by part number",
        "Case, spaces, dashes and dots are ignored: 'bp 12.34' finds BP-1234.",
    ),
    (
        "Search by category",
        "A parent category finds its children (Brake Pad, Rotor, Caliper ...).",
    ),
    (
        "A guest pass",
        "To act on an order, she proves she reads its mail: a code sent to the stored address.",
    ),
    (
        "Cancel with the guest pass",
        "Units not yet in processing go at once; units in a package become a request.",
    ),
    (
        "The warehouse confirms the cancel request",
        "It takes the units out of the package: now they are cancelled and refunded.",
    ),
    (
        "A change request, approved by customer service",
        "Before the warehouse starts; staff decide, unless a store policy approves at once.",
    ),
    (
        "A problem report, resolved with a refund",
        "Resolved by refund, replacement, reship or carrier claim, or rejected.",
    ),
    (
        "What can come back",
        "Per unit, with a reason code for each refusal: returns, cores, warranty claims.",
    ),
    (
        "A return with a label",
        "Preview, RMA, a 4x6 in PDF and ZPL label and the instructions for the box.",
    ),
    (
        "A core return with your own tracking number, as store credit",
        "The old caliper goes back in the new one's box; the deposit becomes store credit.",
    ),
    (
        "Refunds for the payment system",
        "Queued with each change; the relay hands them to an orderstatus_domain_event plugin.",
    ),
)


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
        for old in [*mail.glob("*.eml"), *mail.glob("*.html")]:
            old.unlink()
    for drawn in ("captcha.png", "captcha.wav"):
        (folder / drawn).unlink(missing_ok=True)
    papers = folder / "returns"
    if papers.is_dir():
        for old in [*papers.glob("*.pdf"), *papers.glob("*.zpl")]:
            old.unlink()
    return database, mail


def _demo_records(now: datetime) -> list[dict[str, Any]]:
    """The hand-written cast first, then generated orders of other shoppers."""
    records = [*demo_orders(now), *demo_walkthrough_orders(now)]
    taken = {record["number"] for record in records}
    for record in generate_orders(
        _DEMO_BACKGROUND_ORDERS, _DEMO_BACKGROUND_SHOPPERS, seed=2026, until=now
    ):
        if record["number"] not in taken:
            records.append(record)
    return records


def _mail_files(folder: Path) -> set[Path]:
    return set(folder.glob("*.eml")) if folder.is_dir() else set()


def _mailed_code(words: Translator) -> re.Pattern[str]:
    """The line of a guest-pass mail that carries the code, in the mail's language."""
    before, _, after = words.gettext("Your code: %(code)s").partition("%(code)s")
    return re.compile(rf"^{re.escape(before)}(\d{{6}}){re.escape(after)}\r?$", re.MULTILINE)


class _ShopperLanguage:
    """The demo store's look-up policy: the defaults, with mail in the shopper's language."""

    def __init__(self, language: str) -> None:
        self.language = language

    @hookimpl
    def orderstatus_lookup_policy(self) -> LookupPolicy:
        """The documented defaults, mail in ``language``."""
        return LookupPolicy(mail_language=self.language)


class _DemoFailed(OrderStatusError):
    """A step of the demo did not answer what the walkthrough expects (a bug to report)."""


_Answer = TypeVar("_Answer")


def _expect(answer: object, kind: type[_Answer], failure: str) -> _Answer:
    """``answer`` when the store gave the ``kind`` of answer the walkthrough expects; any
    other answer stops the demo with ``failure``, since it is a bug to report."""
    if not isinstance(answer, kind):
        raise _DemoFailed(f"{failure}: {answer}")
    return answer


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


def _staff_read(desk: OrderStatus, order_number: str) -> Order:
    """The whole order, as a staff screen reads it (guests only ever see the masked view)."""
    with desk.context.storage.unit_of_work() as uow:
        order = uow.orders.get(order_number)
    if order is None:
        raise _DemoFailed(f"order {order_number} is missing")
    return order


@attrs.define
class _GuestActions:
    """Sections 7 to 15 of the demo: Jane acts on her orders with guest passes, the
    warehouse and customer service decide, and the refunds reach the payment system."""

    desk: OrderStatus
    say: Callable[..., None]
    section: Callable[[int], None]
    mail_folder: Path
    payments: _PaymentSystem
    client: str
    words: Translator
    passes: dict[str, GuestPassGranted] = attrs.field(factory=dict)

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
        answer = desk.request_guest_pass(
            typed_email, order_number, client=self.client, language=self.words.language
        )
        if detailed:
            say(f"  {answer.message}")
        found: tuple[Path, str, str] | None = None
        for path in sorted(self.relay()):
            to, subject, text = read_mail(path)
            mailed = _mailed_code(self.words).search(text)
            if subject.endswith(order_number) and mailed is not None:
                found = (path, to, mailed[1])
        if found is None:
            raise _DemoFailed(f"no code mail for order {order_number} in {self.mail_folder}")
        path, to, code = found
        if detailed:
            subject = self.words.gettext("Your code for order %(order)s")
            say(
                f"  Mail written to {path}",
                f"  To: {to}",
                f"  Subject: {subject % {'order': order_number}}",
            )
            say(f"  > code {code}, typed back from the mail")
        granted = _expect(
            desk.verify_guest_code(
                order_number, code, client=self.client, language=self.words.language
            ),
            GuestPassGranted,
            f"the mailed code for {order_number} was refused",
        )
        shown = self.words.gettext("Guest pass for order %(order)s, valid until %(until)s")
        until = self.words.datetime(granted.expires_at)
        say(f"  {shown % {'order': granted.order_number, 'until': until}}")
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
        self.section(7)
        return self.guest_pass(_DEMO_ORDER_TO_CANCEL, detailed=True).token

    def cancel_section(self, token: str) -> str:
        desk, say, number = self.desk, self.say, _DEMO_ORDER_TO_CANCEL
        self.section(8)
        package_id = f"{number}-1"
        desk.warehouse.start_processing(number, package_id, "Reno, NV", {2: 1})
        say(
            f"  Meanwhile the warehouse opened package {package_id} at Reno, NV with line 2 ×1:"
            " the air filter is in processing."
        )
        wanted = {1: 1, 2: 1}
        say(f"  > cancel line 1 ×1 and line 2 ×1 of order {number}, with the email alone")
        refused = _expect(
            desk.guest(
                client=self.client, language=self.words.language, identifier=DEMO_EMAIL
            ).cancel_order(number, wanted),
            NoValidPass,
            "a cancel without a guest pass was answered",
        )
        say(f"  Refused: {refused.message}")
        say("  > the same cancel, with the guest pass")
        answer = _expect(
            desk.guest(
                client=self.client, language=self.words.language, guest_pass=token
            ).cancel_order(number, wanted),
            CancelAnswer,
            "the cancel was not answered",
        )
        say(*(cancel_line_text(line) for line in answer.lines))
        if answer.refund is not None:
            say(f"  Refund due now: {refund_text(answer.refund)}")
        order = _staff_read(desk, number)
        open_requests = [r for r in order.cancel_requests if r.open]
        if not open_requests:
            raise _DemoFailed(f"order {number} has no open cancel request")
        request = open_requests[0]
        say(
            f"  Cancel request {request.request_id}: line {request.line_no} ×{request.quantity}"
            f" in package {request.package_id}, {request.state.value}; the warehouse decides.",
            *ledger_rows(order),
        )
        return request.request_id

    def confirm_section(self, request_id: str) -> None:
        desk, say, number = self.desk, self.say, _DEMO_ORDER_TO_CANCEL
        self.section(9)
        say(f"  > desk.warehouse.confirm_cancel({number!r}, {request_id!r})")
        before = {r.refund_id for r in _staff_read(desk, number).refunds}
        order = desk.warehouse.confirm_cancel(number, request_id)
        (request,) = [r for r in order.cancel_requests if r.request_id == request_id]
        say(f"  {request_id}: {request.state.value}; order {number} is now {order.status.value}")
        say(*ledger_rows(order))
        for refund in order.refunds:
            if refund.refund_id not in before:
                say(f"  Refund due: {refund_text(refund)}")

    def change_section(self) -> None:
        desk, say, number = self.desk, self.say, _DEMO_ORDER_TO_CHANGE
        self.section(10)
        token = self.guest_pass(number, detailed=False).token
        say(f"  > ship order {number} expedited instead of standard")
        answer = _expect(
            desk.guest(
                client=self.client, language=self.words.language, guest_pass=token
            ).request_change(number, SpeedChange("expedited")),
            ChangeAnswer,
            "the change request was not answered",
        )
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
        self.section(11)
        token = self.guest_pass(number, detailed=False).token
        text = "One of the two rotors arrived cracked."
        say(f"  > report on order {number}: damaged in transit, line 2 ×1, {text!r}")
        answer = _expect(
            desk.guest(
                client=self.client, language=self.words.language, guest_pass=token
            ).report_problem(number, ProblemKind.DAMAGED_IN_TRANSIT, {2: 1}, text),
            ProblemAnswer,
            "the problem report was not answered",
        )
        report = answer.report
        say(
            f"  Report {report.report_id} ({report.kind.value.replace('_', ' ')}):"
            f" {report.state.value} since {moment_text(report.reported_at)}"
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
                say(f"  Refund due: {refund_text(refund)}")

    def settle_return(self, order_number: str, rma: str, units: dict[int, int]) -> Order:
        """The warehouse receives and inspects an RMA package, customer service settles it."""
        self.desk.warehouse.receive_return(order_number, rma)
        self.desk.warehouse.inspect_return(order_number, rma, units)
        return self.desk.customer_service.settle_return(order_number, rma)

    def write_papers(self, order_number: str, rma: str, token: str) -> None:
        """Relay the outbox, which makes an RMA package's papers and sends the mail they
        queue, then save the papers where the shopper can open them."""
        self.relay()
        papers = _expect(
            self.desk.guest(
                client=self.client, language=self.words.language, guest_pass=token
            ).return_papers(order_number, rma),
            ReturnPapers,
            f"the papers of {rma} were not answered",
        )
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
        self.section(12)
        token = self.guest_pass(number, detailed=False).token
        for kind in (ReturnKind.RETURN, ReturnKind.CORE, ReturnKind.WARRANTY):
            options = _expect(
                desk.guest(
                    client=self.client, language=self.words.language, guest_pass=token
                ).return_options(number, kind),
                ReturnOptions,
                f"no return options for {number}",
            )
            say(f"  > what may come back of order {number} as a {kind.value}?")
            for line in options.lines:
                until = f" until {day_text(line.until)}" if line.until else ""
                why = "; ".join(f"{r.quantity} {r.code}" for r in line.refusals)
                say(
                    f"    line {line.line_no} {line.part_number}: {line.returnable}{until}"
                    + (f" (not: {why})" if why else "")
                )

    def label_return_section(self) -> None:
        desk, say, number = self.desk, self.say, _DEMO_ORDER_TO_RETURN
        self.section(13)
        # Pass requests are limited to three per email in 15 minutes, and Jane has made
        # them: she asks with her phone number this time.
        say(f"  (Jane asks with her phone number {DEMO_PHONE}: three requests per email")
        say("   in 15 minutes are used up)")
        token = self.guest_pass(number, detailed=False, identifier=DEMO_PHONE).token
        draft = ReturnDraft("return", "does_not_fit", {1: 1}, language=self.words.language)
        say(f"  > return line 1 of order {number}: does not fit, store's label")
        plan = _expect(
            desk.guest(
                client=self.client, language=self.words.language, guest_pass=token
            ).preview_return(number, draft),
            ReturnPlan,
            f"no preview for {number}",
        )
        preview, _, money = plan.preview, self.words.gettext, self.words.money
        parts = _("Refund preview: parts %(parts)s · tax %(tax)s · shipping %(shipping)s")
        fees = _("label −%(label)s · restocking −%(restocking)s = %(total)s")
        say(
            "  "
            + parts
            % {
                "parts": money(preview.parts),
                "tax": money(preview.tax),
                "shipping": money(preview.shipping),
            },
            "  "
            + fees
            % {
                "label": money(preview.label_deduction),
                "restocking": money(preview.restocking_fee),
                "total": money(preview.total),
            },
            "  (shipping: the shopper's choice)",
        )
        answer = _expect(
            desk.guest(
                client=self.client, language=self.words.language, guest_pass=token
            ).request_return(number, draft),
            ReturnAnswer,
            "the return was not recorded",
        )
        package = answer.request.packages[0]
        say(
            f"  RMA {package.rma_number} to {package.destination.name},"
            f" {package.destination.address.city}: {package.state.value.replace('_', ' ')}"
        )
        self.write_papers(number, package.rma_number, token)
        say(
            f"  > desk.warehouse.receive_return({number!r}, {package.rma_number!r}),"
            " then inspect_return and settle_return"
        )
        order = self.settle_return(number, package.rma_number, {1: 1})
        (refund,) = [r for r in order.refunds if r.source_id == package.rma_number]
        say(f"  Refund due, the preview: {refund_text(refund)} (label −{refund.label_fee})")

    def core_return_section(self) -> None:
        desk, say, number = self.desk, self.say, _DEMO_ORDER_WITH_PROBLEM
        self.section(14)
        token = self.guest_pass(number, detailed=False).token
        draft = ReturnDraft(
            "core",
            "core",
            {3: 1},
            ship_by="own_tracking",
            refund_method="store_credit",
            language=self.words.language,
        )
        say(f"  > core return of line 3 of order {number}, shipped by Jane, as store credit")
        answer = _expect(
            desk.guest(
                client=self.client, language=self.words.language, guest_pass=token
            ).request_return(number, draft),
            ReturnAnswer,
            "the core return was not recorded",
        )
        rma = answer.request.packages[0].rma_number
        say(f"  RMA {rma}: deposit back after inspection {answer.request.preview.total}")
        self.write_papers(number, rma, token)
        for typed in ("1Z999AA10123456785", "1Z 999 AA1 01 2345 6784"):
            say(f"  > tracking number {typed!r}")
            try:
                moved = desk.guest(
                    client=self.client, language=self.words.language, guest_pass=token
                ).enter_return_tracking(number, rma, typed)
            except InvalidTrackingNumberError as error:
                say(f"  Refused ({error.code}): {error}")
                continue
            if isinstance(moved, ReturnAnswer):
                package = moved.request.package(rma)
                say(f"  {package.carrier} {package.tracking_number}: {package.state.value}")
        self.settle_return(number, rma, {3: 1})
        jane = parse_email(DEMO_EMAIL)
        say(f"  Jane's store credit: {desk.store_credit.balance(jane, 'USD')}")
        for entry in desk.store_credit.history(jane):
            say(f"    {entry.entry_id}  {entry.amount}")

    def refunds_section(self) -> None:
        say = self.say
        self.section(15)
        self.relay()
        received = self.payments.received
        say(f"  The payment system received {len(received)} refund events:")
        for event_id, event in received.items():
            refund = event.refund
            say(
                f"    {event_id}  order {event.order_number}  {refund.refund_id}"
                f" {refund.reason.replace('_', ' ')}  {refund.total}"
            )


def _html_beside(mail: Path) -> Path | None:
    """Write the HTML part of ``mail`` to ``<name>.html`` beside it (a browser opens that,
    not an ``.eml``); ``None`` if the mail has no HTML part."""
    message = message_from_bytes(mail.read_bytes(), policy=default_policy)
    html = message.get_body(preferencelist=("html",)) if isinstance(message, EmailMessage) else None
    if not isinstance(html, EmailMessage):
        return None
    path = mail.with_suffix(".html")
    path.write_text(html.get_content(), encoding="utf-8")
    return path


def _mail_lines(mail_folder: Path) -> list[str]:
    """Where the mail is, that each has an HTML part, and how to open one."""
    written = sorted(_mail_files(mail_folder), key=lambda path: path.stat().st_mtime_ns)
    if not written:
        return []
    lines = [
        f"  {len(written)} mails in {mail_folder}, each with a text and an HTML part:",
        "  open an .eml file with a mail program (Thunderbird, Apple Mail, Outlook ...).",
    ]
    html = _html_beside(written[-1])
    if html is not None:
        lines.append(f"  The HTML part of the last one, for a browser: {html}")
    return lines


def run_demo(args: argparse.Namespace) -> int:
    """Recreate the demo folder's store and walk through it, printing each step: the
    quickest way to see what the library does, with nothing but the package installed.
    With ``--serve``, serve the example storefront on the demo data instead."""
    if getattr(args, "serve", False):
        from orderstatus_core.cli._serve import serve_demo

        return serve_demo(args)
    started = time.perf_counter()
    words = Catalogs.builtin().translator(args.language)
    out = sys.stdout
    style = Style(out)
    folder = Path(args.dir).expanduser()
    database, mail_folder = _reset_demo_folder(folder)
    storage_url = file_url("sqlite", database)
    mail_url = file_url("mailbox", mail_folder)
    now = datetime.now(UTC)
    records = _demo_records(now)
    cast = len(demo_orders(now)) + len(demo_walkthrough_orders(now))
    client = "demo-terminal"

    def say(*rows: str) -> None:
        for row in rows:
            print(row, file=out)

    def section(number: int) -> None:
        title, explanation = _SECTIONS[number - 1]
        say("", style.heading(f"{number}. {title}"), style.dim(f"   {explanation}"))

    payments = _PaymentSystem()
    plugins = [payments, _ShopperLanguage(words.language), DemoStore()]
    # The label maker draws with reportlab, the `labels` extra: without it the demo still
    # records the returns and says where the papers would be.
    labels = f"labels://?cost={quote(_DEMO_LABEL_COST)}" if find_spec("reportlab") else None
    # The account part needs the `captcha` and `argon2` extras; without them it is skipped.
    missing = account_extras_missing()
    hook = DemoCaptcha()
    captcha = None if missing else demo_captcha(hook)
    with open_store(storage_url, mail_url, plugins=plugins, labels=labels, captcha=captcha) as desk:
        version = desk.migrate()
        report = desk.import_orders(json.dumps(record) for record in records)
        say(
            style.heading("orderstatus demo: the Order Status page of a parts store"),
            f"Database: {database} (schema version {version})",
            f"Imported {report.imported} orders: Jane Doe and three other shoppers, plus "
            f"{len(records) - cast} generated ones.",
            f"Mail folder: {mail_folder}",
            f"The shopper's language: {words.language} (her mail, papers and storefront lines)",
        )

        language = words.language
        section(1)
        typed_email = "JANE.DOE@Example.COM"
        say(f"  > email {typed_email!r}, order number {_DEMO_ORDER_BY_EMAIL}")
        say(
            *answer_lines(
                desk.find_order(
                    typed_email, _DEMO_ORDER_BY_EMAIL, client=client, language=language
                ),
                style,
            )
        )

        section(2)
        say(f"  > phone {DEMO_PHONE!r}, order number {_DEMO_ORDER_BY_PHONE}")
        say(
            *answer_lines(
                desk.find_order(DEMO_PHONE, _DEMO_ORDER_BY_PHONE, client=client, language=language),
                style,
            )
        )

        section(3)
        wrong_pair = desk.find_order(
            typed_email, _DEMO_OTHER_SHOPPERS_ORDER, client=client, language=language
        )
        unknown = desk.find_order(
            typed_email, _DEMO_UNKNOWN_ORDER, client=client, language=language
        )
        say(f"  > email {typed_email!r}, order number {_DEMO_OTHER_SHOPPERS_ORDER} (not hers)")
        say(*answer_lines(wrong_pair, style))
        say(f"  > email {typed_email!r}, order number {_DEMO_UNKNOWN_ORDER} (no such order)")
        say(*answer_lines(unknown, style))
        same = isinstance(wrong_pair, OrderNotFound) and wrong_pair == unknown
        say(f"  Same answer: {'yes' if same else 'NO'}")

        section(4)
        before = _mail_files(mail_folder)
        lookup = desk.send_order_list("jane.doe@EXAMPLE.com", client=client)
        say("  > email 'jane.doe@EXAMPLE.com', send order list", f"  {lookup.message}")
        relayed = desk.relay_outbox()
        say(f"  Outbox relay: {relayed.sent} sent, {relayed.failed} failed")
        written = sorted(_mail_files(mail_folder) - before)
        for path in written:
            say(f"  Mail written to {path}")
            say(*mail_summary(path))

        section(5)
        verified = parse_email(DEMO_EMAIL)  # searching needs a verified email
        say("  > part number 'bp 12.34'")
        say(*search_lines(desk.search_orders(verified, part_number="bp 12.34"), style))

        section(6)
        say("  > category 'Brake & Wheel Hub'")
        say(*search_lines(desk.search_orders(verified, category="Brake & Wheel Hub"), style))

        _GuestActions(desk, say, section, mail_folder, payments, client, words).run()

        say("", style.heading("The account: sign-up to a password reset"))
        if missing:
            extras = ",".join(missing)
            say(f"  Skipped: install the extras ({PROG}[{extras}]) to see accounts and profiles.")
        else:

            def dim(title: str) -> None:
                say(style.dim(f"   {title}"))

            jane = walk_through_accounts(desk, say, dim, folder, mail_folder, hook, language)
            say("", style.heading(PROFILE_TITLE))
            walk_through_profile(desk, jane, say, dim, mail_folder, style)

    elapsed = time.perf_counter() - started
    say("", style.heading("The mail"), *_mail_lines(mail_folder))
    say(
        "",
        style.heading("Try it yourself"),
        f"  {PROG} demo --serve    (the example storefront in a browser; from the clone's root)",
        f"  {PROG} relay --storage {storage_url} --mail {mail_url}",
        f"  python examples/wsgi_storefront.py --storage {storage_url}",
        style.dim(f"  (demo finished in {elapsed:.2f} s)"),
    )
    return 0
