"""Building the shopper's view of an order."""

from __future__ import annotations

import operator
from collections.abc import Callable, Iterator, Sequence
from typing import Final

from orderstatus_core.model import Money, Order
from orderstatus_core.model.display import Phrase, Texts
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


def _request_entries(requests: Sequence[RequestView], texts: Texts) -> Iterator[TimelineEntry]:
    for request in requests:
        kind = f"{request.kind}_requested"
        yield TimelineEntry(request.requested_at, kind, request.about, texts=texts)
        if request.decided_at is not None:
            kind = f"{request.kind}_{request.state}"
            about = Phrase("decided", (request.request_id, request.state))
            yield TimelineEntry(request.decided_at, kind, about, texts=texts)


#: A timeline entry's sort key: when it happened.
_WHEN: Final = operator.attrgetter("at")


def _part(order: Order, line_no: int) -> str:
    return order.line(line_no).part_number.display


def _change_summary(order: Order, change: Change) -> Phrase:
    if isinstance(change, AddressChange):
        # The new address's city, never more of it: the view is shown unverified.
        return Phrase("change_address", (change.address.city,))
    if isinstance(change, SpeedChange):
        return Phrase("change_speed", (change.speed.value,))
    part = _part(order, change.line_no)
    if isinstance(change, QuantityChange):
        return Phrase("change_quantity", (change.line_no, part, change.quantity))
    if isinstance(change, LineRemoval):
        return Phrase("change_removal", (change.line_no, part))
    return Phrase("change_swap", (change.line_no, part, change.part_number.display))


def _requests(order: Order, texts: Texts) -> list[RequestView]:
    # (kind, id, state, asked, summary, decided, note) for each kind of request, so the
    # view is built in one place whatever the request's own field names.
    rows = [
        *(
            (
                "cancel",
                r.request_id,
                r.state,
                r.requested_at,
                Phrase("cancel", (r.quantity, _part(order, r.line_no), r.line_no, r.package_id)),
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
                Phrase(
                    "problem",
                    (r.kind.value, tuple([(u.line_no, u.quantity) for u in r.units])),
                ),
                r.resolved_at,
                r.note,
            )
            for r in order.problem_reports
        ),
    ]
    views = [
        RequestView(kind, request_id, state.value, asked, about, decided, note, texts=texts)
        for kind, request_id, state, asked, about, decided, note in rows
    ]
    return sorted(views, key=lambda view: view.requested_at)


def masked_order_view(order: Order, tracking_url: TrackingUrl, texts: Texts) -> OrderView:
    """The order as an unverified guest sees it: address, phone and email masked, its
    texts in the language of ``texts`` (written when read, not here).

    Built in one pass over the order's lines and packages, each view value constructed
    once from the values the order already holds (its ledgers are computed once, for the
    status and every line); a package's timeline entries are written in the same pass as
    its view.
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
                texts=texts,
            )
            for line in order.lines
        ]
    )
    number, placed_at = order.number, order.placed_at
    timeline = [TimelineEntry(placed_at, "placed", Phrase("placed", (number,)), texts=texts)]
    packages = []
    for package in order.packages:
        package_id, warehouse = package.package_id, package.warehouse
        carrier, tracking_number = package.carrier, package.tracking_number
        shipped_at, delivered_at = package.shipped_at, package.delivered_at
        packages.append(
            PackageView(
                package_id,
                warehouse,
                carrier,
                tracking_number,
                tracking_url(carrier, tracking_number) if carrier and tracking_number else None,
                shipped_at,
                delivered_at,
                tuple([(units.line_no, units.quantity) for units in package.units]),
                texts=texts,
            )
        )
        if package.opened_at is not None:
            about = Phrase("processing", (package_id, warehouse))
            timeline.append(TimelineEntry(package.opened_at, "processing", about, texts=texts))
        if shipped_at is not None:
            about = Phrase("shipped", (package_id, warehouse, carrier))
            timeline.append(TimelineEntry(shipped_at, "shipped", about, texts=texts))
        if delivered_at is not None:
            about = Phrase("delivered", (package_id,))
            timeline.append(TimelineEntry(delivered_at, "delivered", about, texts=texts))
    requests: tuple[RequestView, ...] = ()
    if order.cancel_requests or order.change_requests or order.problem_reports:
        requests = tuple(_requests(order, texts))
        timeline.extend(_request_entries(requests, texts))
    refunds = order.refunds
    for refund in refunds:
        about = Phrase("refund", (refund.total,))
        timeline.append(TimelineEntry(refund.at, "refund", about, texts=texts))
    # Stable sort: events at the same instant keep their natural order (placed first).
    timeline.sort(key=_WHEN)
    phone = order.phone
    return OrderView(
        number,
        placed_at,
        order.status,
        mask_email(order.email.display),
        None if phone is None else mask_phone(phone.e164),
        mask_address(order.shipping_address),
        lines,
        tuple(packages),
        order.subtotal,
        order.core_charges,
        order.shipping,
        order.tax,
        order.total,
        tuple(timeline),
        requests,
        Money.total((r.total for r in refunds), order.currency) if refunds else None,
        texts=texts,
    )
