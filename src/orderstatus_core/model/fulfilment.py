"""The warehouse's steps on an order: open a package, ship it, mark it delivered.

Each function takes an order and returns its next version (:meth:`Order.changed`), or raises
:class:`~orderstatus_core.errors.ActionRefusedError` with a reason code when the step is not
possible in the order's state. Time arrives as an argument; nothing here does I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import attrs

from orderstatus_core.errors import ActionRefusedError
from orderstatus_core.model.order import Order, Package, PackedUnits, utc
from orderstatus_core.model.requests import CancelState

__all__ = ["deliver_package", "fully_shipped", "open_package", "ship_package"]


def _package(order: Order, package_id: str) -> Package:
    try:
        return order.package(package_id)
    except KeyError:
        raise ActionRefusedError(
            "unknown_package", f"order {order.number} has no package {package_id}"
        ) from None


def _replace(order: Order, package: Package) -> tuple[Package, ...]:
    return tuple(package if p.package_id == package.package_id else p for p in order.packages)


def open_package(
    order: Order,
    package_id: str,
    warehouse: str,
    units: Mapping[int, int],
    at: datetime,
) -> Order:
    """Start picking ``units`` (line number to quantity) into a new package.

    Only units that are neither cancelled, in another package, nor shipped can go in
    (``units_unavailable`` otherwise): from now on they are *in processing*, and a cancel
    of them becomes a request the warehouse decides.
    """
    if any(p.package_id == package_id for p in order.packages):
        raise ActionRefusedError(
            "duplicate_package", f"order {order.number} already has a package {package_id}"
        )
    if not units:
        raise ActionRefusedError("empty_package", "a package holds at least one unit")
    for line_no, quantity in units.items():
        if line_no not in order.ledgers:
            raise ActionRefusedError("unknown_line", f"order {order.number} has no line {line_no}")
        awaiting = order.ledger(line_no).awaiting
        if quantity > awaiting:
            raise ActionRefusedError(
                "units_unavailable",
                f"line {line_no} has {awaiting} unit(s) awaiting processing, not {quantity}",
            )
    package = Package(
        package_id=package_id,
        warehouse=warehouse,
        units=tuple(PackedUnits(line_no, quantity) for line_no, quantity in sorted(units.items())),
        opened_at=at,
    )
    return order.changed(packages=(*order.packages, package))


def ship_package(
    order: Order, package_id: str, carrier: str, tracking_number: str, at: datetime
) -> Order:
    """Hand a package in processing to ``carrier`` with ``tracking_number``."""
    package = _package(order, package_id)
    if package.shipped_at is not None:
        raise ActionRefusedError(
            "already_shipped",
            f"package {package_id} shipped at {package.shipped_at:%Y-%m-%d %H:%M}",
        )
    shipped = attrs.evolve(package, carrier=carrier, tracking_number=tracking_number, shipped_at=at)
    # The package left before the warehouse decided a cancel of its units: the shopper
    # keeps the right to a free return of them (DOMAIN.md section 1).
    requests = tuple(
        attrs.evolve(r, state=CancelState.SHIPPED_ANYWAY, decided_at=at)
        if r.open and r.package_id == package_id
        else r
        for r in order.cancel_requests
    )
    return order.changed(packages=_replace(order, shipped), cancel_requests=requests)


def deliver_package(order: Order, package_id: str, at: datetime) -> Order:
    """Record that the carrier delivered a shipped package."""
    package = _package(order, package_id)
    if package.shipped_at is None:
        raise ActionRefusedError("not_shipped", f"package {package_id} has not shipped")
    if package.delivered_at is not None:
        raise ActionRefusedError("already_delivered", f"package {package_id} was delivered")
    if utc(at) < package.shipped_at:
        raise ActionRefusedError("before_shipping", "a package is delivered after it ships")
    return order.changed(packages=_replace(order, attrs.evolve(package, delivered_at=at)))


def fully_shipped(order: Order) -> bool:
    """True when every unit not cancelled has shipped: the moment for the tracking mail."""
    return all(
        ledger.shipped == ledger.ordered - ledger.cancelled for ledger in order.ledgers.values()
    )
