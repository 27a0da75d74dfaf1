"""How the commands print what the store answers: order views, search pages, refunds,
ledgers and mail, in plain text with ANSI emphasis on a terminal."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import TextIO

from orderstatus_core.model import Order
from orderstatus_core.model.order import LineLedger
from orderstatus_core.model.requests import Refund
from orderstatus_core.model.views import OrderView, PackageView
from orderstatus_core.policies.cancellation import LineCancellation
from orderstatus_core.services import FindOrderResult, OrderFound, SearchPage, TryLater

__all__ = [
    "Style",
    "answer_lines",
    "cancel_line_text",
    "day_text",
    "ledger_rows",
    "ledger_text",
    "mail_summary",
    "moment_text",
    "package_lines",
    "read_mail",
    "refund_text",
    "search_lines",
    "view_lines",
]


class Style:
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


def moment_text(moment: datetime | None) -> str:
    """A moment in UTC to the minute, ``-`` for none: one zone for every line the demo prints."""
    return "-" if moment is None else f"{moment.astimezone(UTC):%Y-%m-%d %H:%M} UTC"


def day_text(moment: datetime) -> str:
    """The UTC day of a moment, where the minute would only crowd the line."""
    return f"{moment.astimezone(UTC):%Y-%m-%d}"


def ledger_text(ledger: LineLedger) -> str:
    """Where a line's units are, naming only the states that hold some."""
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


def package_lines(package: PackageView, style: Style) -> list[str]:
    """A package as text lines: its units, where it is, and the carrier's tracking link,
    in the view's own words (the shopper's language)."""
    rows = [
        f"    {style.strong(package.package_id)}  from {package.warehouse}  ({package.units_text})"
    ]
    if package.carrier and package.tracking_number:
        rows.append(f"      {package.carrier} {package.tracking_number} · {package.state_text}")
    else:
        rows.append(f"      {package.state_text}")
    if package.tracking_url:
        rows.append(f"      track: {package.tracking_url}")
    return rows


def view_lines(view: OrderView, style: Style) -> list[str]:
    """The masked order view as text lines. The values are the view's own texts, in the
    language it was asked in; the few labels around them are the demo's narration."""
    rows = [
        f"  Order {style.strong(view.number)}  placed {view.placed_text}"
        f"  status: {style.strong(view.status_text)}",
        f"  Email {view.email}" + (f" · phone {view.phone}" if view.phone else ""),
        f"  Ship to {view.ship_to.text}",
        "  Lines:",
    ]
    for line in view.lines:
        core = f" + core charge {line.core_charge_text}" if line.core_charge.amount else ""
        rows.append(
            f"    {line.line_no}. {style.strong(line.part_number)}  {line.brand}"
            f"  {line.description}"
        )
        rows.append(f"       {line.category}")
        rows.append(f"       {line.quantity} × {line.unit_price_text}{core}")
        rows.append(f"       {line.quantity_text}")
    if view.packages:
        rows.append("  Packages:")
        for package in view.packages:
            rows.extend(package_lines(package, style))
    rows.append(
        f"  Subtotal {view.subtotal_text} · cores {view.core_charges_text}"
        f" · shipping {view.shipping_text} · tax {view.tax_text}"
        f" · total {style.strong(view.total_text)}"
    )
    return rows


def answer_lines(result: FindOrderResult, style: Style) -> list[str]:
    """A find-order answer as text lines: the view when found, else the answer's message."""
    if isinstance(result, OrderFound):
        return view_lines(result.view, style)
    if isinstance(result, TryLater):
        return [f"  {result.message} (retry in {result.retry_after_seconds} s)"]
    return [f"  {result.message}"]


def search_lines(page: SearchPage, style: Style) -> list[str]:
    """A page of search results as text lines, with the cursor of the next page if any."""
    if not page.matches:
        return ["  No orders found."]
    rows: list[str] = []
    for match in page.matches:
        header = match.header
        rows.append(f"  Order {style.strong(header.number)}  placed {day_text(header.placed_at)}")
        for line in match.lines:
            rows.append(
                f"    {line.line_no}. {line.part_number.display}  {line.brand}"
                f"  {line.description}  [{line.category}]"
            )
    if page.next_cursor:
        rows.append(f"  (more: cursor {page.next_cursor})")
    return rows


def read_mail(path: Path) -> tuple[str, str, str]:
    """A mail file's ``To``, ``Subject`` and plain-text body."""
    message = message_from_bytes(path.read_bytes(), policy=default_policy)
    text = ""
    if isinstance(message, EmailMessage):
        body = message.get_body(preferencelist=("plain",))
        if body is not None and isinstance(body, EmailMessage):
            text = body.get_content()
    return str(message["To"]), str(message["Subject"]), text


def mail_summary(path: Path) -> list[str]:
    """A mail file as the demo shows it: recipient, subject and the start of its text."""
    to, subject, text = read_mail(path)
    rows = [f"  To: {to}", f"  Subject: {subject}"]
    if text:
        rows.append("  " + "-" * 40)
        rows.extend(f"  | {row}".rstrip() for row in text.splitlines()[:9])
    return rows


def refund_text(refund: Refund) -> str:
    """A refund on one line, with the parts of its total a payment system books apart."""
    return (
        f"{refund.refund_id} ({refund.reason.replace('_', ' ')}): parts {refund.parts}"
        f" · cores {refund.cores} · shipping {refund.shipping} · tax {refund.tax}"
        f" · total {refund.total}"
    )


def cancel_line_text(line: LineCancellation) -> str:
    """What a cancel did to one line: cancelled, requested or refused, and the reason code."""
    done = []
    if line.cancelled:
        done.append(f"cancelled {line.cancelled}")
    if line.requested:
        done.append(f"cancel requested {line.requested}")
    if line.refused:
        done.append(f"refused {line.refused}")
    return f"    line {line.line_no}: {', '.join(done)}  [code {line.code}]"


def ledger_rows(order: Order) -> list[str]:
    """Each line's ledger, as a staff screen shows the whole order."""
    return [
        f"    {line.line_no}. {line.part_number.display}  {ledger_text(order.ledger(line.line_no))}"
        for line in order.lines
    ]
