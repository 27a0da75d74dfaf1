"""Building the shopper's view of an order."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

from orderstatus_core.model import Money, Order
from orderstatus_core.model.display import (
    cancel_summary,
    change_summary,
    problem_summary,
    timeline_text,
)
from orderstatus_core.model.requests import (
    AddressChange,
    Change,
    LineRemoval,
    QuantityChange,
    SpeedChange,
)
from orderstatus_core.model.views import (
    LineView,
    OrderView,
    PackageView,
    RequestView,
    TimelineEntry,
)
from orderstatus_core.policies.masking import mask_address, mask_email, mask_phone

__all__ = ["TrackingUrl", "masked_order_view"]

#: ``(carrier, tracking_number) -> url or None``: the ``orderstatus_tracking_url`` hook.
TrackingUrl = Callable[[str, str], "str | None"]


def _timeline(order: Order, requests: Sequence[RequestView]) -> tuple[TimelineEntry, ...]:
    entries = [TimelineEntry(order.placed_at, "placed", timeline_text("placed", order.number))]
    for package in order.packages:
        package_id, warehouse = package.package_id, package.warehouse
        if package.opened_at is not None:
            text = timeline_text("processing", package_id, warehouse=warehouse)
            entries.append(TimelineEntry(package.opened_at, "processing", text))
        if package.shipped_at is not None:
            text = timeline_text(
                "shipped", package_id, warehouse=warehouse, carrier=package.carrier
            )
            entries.append(TimelineEntry(package.shipped_at, "shipped", text))
        if package.delivered_at is not None:
            text = timeline_text("delivered", package_id)
            entries.append(TimelineEntry(package.delivered_at, "delivered", text))
    for request in requests:
        entries.append(
            TimelineEntry(request.requested_at, f"{request.kind}_requested", request.summary)
        )
        if request.decided_at is not None:
            kind = f"{request.kind}_{request.state}"
            entries.append(
                TimelineEntry(request.decided_at, kind, timeline_text(kind, request.request_id))
            )
    for refund in order.refunds:
        text = timeline_text("refund", "", amount=refund.total.text)
        entries.append(TimelineEntry(refund.at, "refund", text))
    # Stable sort: events at the same instant keep their natural order (placed first).
    entries.sort(key=_when)
    return tuple(entries)


def _when(entry: TimelineEntry) -> datetime:
    return entry.at


def _part(order: Order, line_no: int) -> str:
    return order.line(line_no).part_number.display


def _change_summary(order: Order, change: Change) -> str:
    if isinstance(change, AddressChange):
        return change_summary("address", detail=change.address.city)
    if isinstance(change, SpeedChange):
        return change_summary("speed", detail=change.speed.value)
    part = _part(order, change.line_no)
    if isinstance(change, QuantityChange):
        return change_summary(
            "quantity", line_no=change.line_no, part_number=part, detail=change.quantity
        )
    if isinstance(change, LineRemoval):
        return change_summary("removal", line_no=change.line_no, part_number=part)
    return change_summary(
        "swap", line_no=change.line_no, part_number=part, detail=change.part_number.display
    )


def _requests(order: Order) -> list[RequestView]:
    # (kind, id, state, asked, summary, decided, note) for each kind of request, so the
    # view is built in one place whatever the request's own field names.
    rows = [
        *(
            (
                "cancel",
                r.request_id,
                r.state,
                r.requested_at,
                cancel_summary(r.quantity, _part(order, r.line_no), r.line_no, r.package_id),
                r.decided_at,
                r.note,
            )
            for r in order.cancel_requests
        ),
        *(
            (
                "change",
                r.request_id,
                r.state,
                r.requested_at,
                _change_summary(order, r.change),
                r.applied_at or r.decided_at,
                r.note,
            )
            for r in order.change_requests
        ),
        *(
            (
                "problem",
                r.report_id,
                r.state,
                r.reported_at,
                problem_summary(r.kind.value, ((u.line_no, u.quantity) for u in r.units)),
                r.resolved_at,
                r.note,
            )
            for r in order.problem_reports
        ),
    ]
    views = [
        RequestView(kind, request_id, state.value, asked, summary, decided, note)
        for kind, request_id, state, asked, summary, decided, note in rows
    ]
    return sorted(views, key=lambda view: view.requested_at)


def masked_order_view(order: Order, tracking_url: TrackingUrl) -> OrderView:
    """The order as an unverified guest sees it: address, phone and email masked.

    Built in one pass over the order's lines and packages, each view value constructed
    once from the values the order already holds (its ledgers are computed once, for the
    status and every line).
    """
    ledgers = order.ledgers
    lines = tuple(
        [
            LineView(
                line.line_no,
                line.part_number.display,
                line.brand,
                str(line.category),
                line.description,
                line.quantity,
                line.unit_price,
                line.core_charge,
                line.returnable,
                line.warranty_months,
                ledgers[line.line_no],
            )
            for line in order.lines
        ]
    )
    packages = tuple(
        [
            PackageView(
                p.package_id,
                p.warehouse,
                p.carrier,
                p.tracking_number,
                tracking_url(p.carrier, p.tracking_number)
                if p.carrier and p.tracking_number
                else None,
                p.shipped_at,
                p.delivered_at,
                tuple([(u.line_no, u.quantity) for u in p.units]),
            )
            for p in order.packages
        ]
    )
    has_requests = order.cancel_requests or order.change_requests or order.problem_reports
    requests = tuple(_requests(order)) if has_requests else ()
    phone = order.phone
    return OrderView(
        number=order.number,
        placed_at=order.placed_at,
        status=order.status,
        email=mask_email(order.email.display),
        phone=None if phone is None else mask_phone(phone.e164),
        ship_to=mask_address(order.shipping_address),
        lines=lines,
        packages=packages,
        subtotal=order.subtotal,
        core_charges=order.core_charges,
        shipping=order.shipping,
        tax=order.tax,
        total=order.total,
        timeline=_timeline(order, requests),
        requests=requests,
        refunded=Money.total((r.total for r in order.refunds), order.currency)
        if order.refunds
        else None,
    )
