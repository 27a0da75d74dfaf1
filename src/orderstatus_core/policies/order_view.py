"""Building the shopper's view of an order."""

from __future__ import annotations

from collections.abc import Callable, Sequence

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
        for kind, at in (
            ("processing", package.opened_at),
            ("shipped", package.shipped_at),
            ("delivered", package.delivered_at),
        ):
            if at is not None:
                text = timeline_text(
                    kind, package.package_id, warehouse=package.warehouse, carrier=package.carrier
                )
                entries.append(TimelineEntry(at, kind, text))
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
    return tuple(sorted(entries, key=lambda entry: entry.at))


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
