"""Building the shopper's view of an order."""

from __future__ import annotations

from collections.abc import Callable

from orderstatus_core.model import Order
from orderstatus_core.model.views import LineView, OrderView, PackageView, TimelineEntry
from orderstatus_core.policies.masking import mask_address, mask_email, mask_phone

__all__ = ["TrackingUrl", "masked_order_view"]

#: ``(carrier, tracking_number) -> url or None``: the ``orderstatus_tracking_url`` hook.
TrackingUrl = Callable[[str, str], "str | None"]


def _timeline(order: Order) -> tuple[TimelineEntry, ...]:
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
    # Stable sort: events at the same instant keep their natural order (placed first).
    return tuple(sorted(entries, key=lambda entry: entry.at))


def masked_order_view(order: Order, tracking_url: TrackingUrl) -> OrderView:
    """The order as an unverified guest sees it: address, phone and email masked."""
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
        timeline=_timeline(order),
    )
