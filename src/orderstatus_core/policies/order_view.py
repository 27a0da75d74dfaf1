"""Building the shopper's view of an order."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from orderstatus_core.model import Money, Order
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
    entries = [TimelineEntry(order.placed_at, "placed", f"Order {order.number} placed")]
    for package in order.packages:
        via = f" by {package.carrier}" if package.carrier else ""
        if package.opened_at is not None:
            entries.append(
                TimelineEntry(
                    package.opened_at,
                    "processing",
                    f"Package {package.package_id} in processing at {package.warehouse}",
                )
            )
        if package.shipped_at is not None:
            entries.append(
                TimelineEntry(
                    package.shipped_at,
                    "shipped",
                    f"Package {package.package_id} shipped from {package.warehouse}{via}",
                )
            )
        if package.delivered_at is not None:
            entries.append(
                TimelineEntry(
                    package.delivered_at, "delivered", f"Package {package.package_id} delivered"
                )
            )
    for request in requests:
        entries.append(
            TimelineEntry(request.requested_at, f"{request.kind}_requested", request.summary)
        )
        if request.decided_at is not None:
            entries.append(
                TimelineEntry(
                    request.decided_at,
                    f"{request.kind}_{request.state}",
                    f"{request.request_id} {request.state.replace('_', ' ')}",
                )
            )
    for refund in order.refunds:
        entries.append(TimelineEntry(refund.at, "refund", f"Refund of {refund.total} due"))
    # Stable sort: events at the same instant keep their natural order (placed first).
    return tuple(sorted(entries, key=lambda entry: entry.at))


def _part(order: Order, line_no: int) -> str:
    return order.line(line_no).part_number.display


def _change_summary(order: Order, change: Change) -> str:
    if isinstance(change, AddressChange):
        return f"Ship to another address in {change.address.city}"
    if isinstance(change, SpeedChange):
        return f"Ship {change.speed.value}"
    if isinstance(change, QuantityChange):
        return f"Line {change.line_no} ({_part(order, change.line_no)}): {change.quantity} unit(s)"
    if isinstance(change, LineRemoval):
        return f"Remove line {change.line_no} ({_part(order, change.line_no)})"
    return f"Line {change.line_no}: {_part(order, change.line_no)} → {change.part_number}"


def _requests(order: Order) -> list[RequestView]:
    views = [
        RequestView(
            kind="cancel",
            request_id=r.request_id,
            state=r.state.value,
            requested_at=r.requested_at,
            summary=(
                f"Cancel {r.quantity} × {_part(order, r.line_no)} (line {r.line_no}) "
                f"in package {r.package_id}"
            ),
            decided_at=r.decided_at,
            note=r.note,
        )
        for r in order.cancel_requests
    ]
    views += [
        RequestView(
            kind="change",
            request_id=r.request_id,
            state=r.state.value,
            requested_at=r.requested_at,
            summary=_change_summary(order, r.change),
            decided_at=r.applied_at or r.decided_at,
            note=r.note,
        )
        for r in order.change_requests
    ]
    views += [
        RequestView(
            kind="problem",
            request_id=r.report_id,
            state=r.state.value,
            requested_at=r.reported_at,
            summary=r.kind.value.replace("_", " ").capitalize()
            + "".join(f", {u.quantity} × line {u.line_no}" for u in r.units),
            decided_at=r.resolved_at,
            note=r.note,
        )
        for r in order.problem_reports
    ]
    return sorted(views, key=lambda view: view.requested_at)


def masked_order_view(order: Order, tracking_url: TrackingUrl) -> OrderView:
    """The order as an unverified guest sees it: address, phone and email masked."""
    requests = tuple(_requests(order))
    lines = tuple(
        LineView(
            line_no=line.line_no,
            part_number=line.part_number.display,
            brand=line.brand,
            category=str(line.category),
            description=line.description,
            quantity=line.quantity,
            unit_price=line.unit_price,
            core_charge=line.core_charge,
            returnable=line.returnable,
            warranty_months=line.warranty_months,
            ledger=order.ledger(line.line_no),
        )
        for line in order.lines
    )
    packages = tuple(
        PackageView(
            package_id=p.package_id,
            warehouse=p.warehouse,
            carrier=p.carrier,
            tracking_number=p.tracking_number,
            tracking_url=(
                tracking_url(p.carrier, p.tracking_number)
                if p.carrier and p.tracking_number
                else None
            ),
            shipped_at=p.shipped_at,
            delivered_at=p.delivered_at,
            units=tuple((u.line_no, u.quantity) for u in p.units),
        )
        for p in order.packages
    )
    return OrderView(
        number=order.number,
        placed_at=order.placed_at,
        status=order.status,
        email=mask_email(order.email.display),
        phone=mask_phone(order.phone.e164) if order.phone else None,
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
