"""The warehouse's side of an order: open a package, ship it, mark it delivered.

These are staff commands: they take an order number (not a guest's identifier), work on
the full order and answer the changed :class:`~orderstatus_core.model.Order`. Each runs in
one write unit of work: read, decide, save with compare-and-set, queue mail, commit
(SECURITY G1, G2). A step the order's state does not allow raises
:class:`~orderstatus_core.errors.ActionRefusedError`; a lost race raises
:class:`~orderstatus_core.errors.ConflictError`.
"""

from __future__ import annotations

from collections.abc import Mapping

from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.model import Order
from orderstatus_core.model.fulfilment import (
    deliver_package,
    open_package,
    ship_package,
)
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.staff import decide

__all__ = ["mark_delivered", "ship", "start_processing"]


def start_processing(
    ctx: ServiceContext,
    order_number: str,
    package_id: str,
    warehouse: str,
    units: Mapping[int, int],
    *,
    idempotency_key: str | None = None,
) -> Order:
    """Open package ``package_id`` at ``warehouse`` with ``units`` (line number: quantity).

    From now on those units are *in processing*: a guest's cancel of them becomes a
    request that the warehouse confirms or refuses.
    """
    if not isinstance(units, Mapping):
        raise InvalidFieldError("units", "must map line numbers to quantities")
    return decide(
        ctx,
        order_number,
        lambda order, now: (open_package(order, package_id, warehouse, units, now), None),
        command="start_processing",
        idempotency_key=idempotency_key,
        package=package_id,
        warehouse=warehouse,
        units=dict(units),
    )


def ship(
    ctx: ServiceContext,
    order_number: str,
    package_id: str,
    carrier: str,
    tracking_number: str,
    *,
    idempotency_key: str | None = None,
) -> Order:
    """Ship a package in processing. When it is the order's last, the tracking mail with
    every package goes into the outbox in the same transaction."""
    return decide(
        ctx,
        order_number,
        lambda order, now: (ship_package(order, package_id, carrier, tracking_number, now), None),
        command="ship",
        idempotency_key=idempotency_key,
        package=package_id,
        carrier=carrier,
        tracking_number=tracking_number,
    )


def mark_delivered(
    ctx: ServiceContext, order_number: str, package_id: str, *, idempotency_key: str | None = None
) -> Order:
    """Record the carrier's delivery of a shipped package."""
    return decide(
        ctx,
        order_number,
        lambda order, now: (deliver_package(order, package_id, now), None),
        command="mark_delivered",
        idempotency_key=idempotency_key,
        package=package_id,
    )
