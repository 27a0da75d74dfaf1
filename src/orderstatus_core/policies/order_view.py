"""Building the shopper's view of an order."""

from __future__ import annotations

from orderstatus_core.model import Order
from orderstatus_core.model.display import Phrase, Texts
from orderstatus_core.model.requests import (
    AddressChange,
    Change,
    LineRemoval,
    QuantityChange,
    SpeedChange,
)
from orderstatus_core.model.views import OrderView, RequestView, TrackingUrl
from orderstatus_core.policies.masking import mask_address, mask_email, mask_phone

__all__ = ["TrackingUrl", "masked_order_view"]


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

    One object graph with the order: the view holds the order's own lines and packages
    and works out the status, the lines' ledgers, the packages' tracking pages (by
    ``tracking_url``), the totals and the timeline by the order's own rules when they are
    first read. Only the masked parts are written now, so the view never holds the
    unmasked ones (SECURITY F3); requests, rarer, are summed up here too, since a change
    request may hold an address.
    """
    requests: tuple[RequestView, ...] = ()
    if order.cancel_requests or order.change_requests or order.problem_reports:
        requests = tuple(_requests(order, texts))
    phone = order.phone
    return OrderView(
        order.number,
        order.placed_at,
        mask_email(order.email.display),
        None if phone is None else mask_phone(phone.e164),
        mask_address(order.shipping_address),
        order.currency,
        order.lines,
        order.packages,
        order.shipping,
        order.tax,
        requests,
        order.refunds,
        texts=texts,
        tracking_rule=tracking_url,
    )
