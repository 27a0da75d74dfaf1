"""Order sync: merge what the store's order system sends into the stored order, or refuse.

The store's system keeps changing an order after the first import (a price corrected, a
line added, a package shipped from its warehouse). The library keeps records of its own on
the same order (requests, returns, refunds, the units cancelled and returned). An update
takes each field from the side that owns it (:data:`OWNERSHIP`, shown in
``docs/import-format.md``) and is refused, with a stable reason code, when the store's
record contradicts what the library has recorded: a line with an open return cannot
vanish, a price that a refund was computed from cannot move.

Pure: no clock, no storage. The service (:mod:`orderstatus_core.services.sync`) reads the
stored order in a write unit, asks :func:`merge_order`, and saves the answer with the
order's version.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import attrs

from orderstatus_core.errors import ValidationError
from orderstatus_core.model import Order, OrderLine, Package
from orderstatus_core.model.requests import (
    AddressChange,
    CancelRequest,
    CancelState,
    ChangeState,
)
from orderstatus_core.model.returns import ReturnKind

__all__ = ["LIBRARY_FIELDS", "OWNERSHIP", "SYNC_REASONS", "SyncRefused", "merge_order"]

#: Who owns each field of an order once it is stored, and what an update does with it.
#: ``docs/import-format.md`` shows this table; a test checks that both agree.
OWNERSHIP: dict[str, str] = {
    "placed_at": "store",
    "email": "store",
    "phone": "store",
    "shipping_address": "store",
    "currency": "store",
    "lines": "store",
    "shipping": "store",
    "tax": "store",
    "packages": "store",
    "shipping_speed": "library",
    "cancel_requests": "library",
    "change_requests": "library",
    "problem_reports": "library",
    "refunds": "library",
    "returns": "library",
    "version": "library",
}

#: The fields whose stored value an update always keeps, whatever the record says.
LIBRARY_FIELDS = frozenset(name for name, owner in OWNERSHIP.items() if owner == "library")

#: Every reason an update is refused for, with the sentence a member of staff reads.
SYNC_REASONS: dict[str, str] = {
    "currency_changed": "an order's currency never changes",
    "address_after_shipment": "the shipping address cannot change once a package shipped",
    "address_locked": "the guest asked for an address change; the library's address stands",
    "line_in_use": "a line the library holds records of cannot be removed",
    "quantity_below_used": "a line cannot have fewer units than are already accounted for",
    "part_locked": "a line's part cannot change once its units are packed or in a request",
    "price_locked": "a price cannot change once a refund or request was based on it",
    "package_history": "a package's shipment and delivery times cannot be rewritten",
    "invalid": "the updated order would break one of the order's rules",
}


@attrs.frozen
class SyncRefused:
    """Why an update of a stored order was not applied; nothing of it was stored.

    ``reason`` is a key of :data:`SYNC_REASONS`; ``field`` is the path in the record
    (``$.lines[1].quantity``), written like an import error's.
    """

    reason: str
    field: str
    message: str


def merge_order(stored: Order, incoming: Order, at: datetime) -> Order | SyncRefused:
    """The stored order updated from ``incoming``, the store's latest record of it, or why not.

    The answer keeps ``stored.version``: compare it with ``stored`` to tell an update from
    a record that changes nothing (the service then writes nothing, so a repeated record is
    idempotent). Fields the library owns (:data:`LIBRARY_FIELDS`, a line's ``cancelled``
    and ``returned``, a stored package's units) are kept from ``stored``; a stored package
    that the record leaves out is kept, and a shipment or delivery time is never cleared.

    A package the record ships while a guest's cancel of its units waits for the warehouse
    settles that request as the library's own shipment does: *shipped anyway*, decided at
    ``at`` (when the library learnt it), so the shopper keeps a free return.
    """
    refusal = next(_refusals(stored, incoming), None)
    if refusal is not None:
        return refusal
    fields = {name: getattr(incoming, name) for name in OWNERSHIP if name not in LIBRARY_FIELDS}
    try:
        fields["lines"] = tuple(_merged_line(stored, line) for line in incoming.lines)
        fields["packages"] = packages = _merged_packages(stored, incoming)
        fields["cancel_requests"] = _shipped_anyway(stored, packages, at)
        return attrs.evolve(stored, **fields)
    except ValidationError as error:
        return SyncRefused("invalid", f"$.{error.field}" if error.field else "$", error.message)


def _refusals(stored: Order, incoming: Order) -> Iterator[SyncRefused]:
    if incoming.currency != stored.currency:
        yield SyncRefused(
            "currency_changed",
            "$.currency",
            f"the order is in {stored.currency}; {SYNC_REASONS['currency_changed']}",
        )
    if incoming.shipping_address != stored.shipping_address:
        if any(p.shipped_at is not None for p in stored.packages):
            yield _refused("address_after_shipment", "$.shipping_address")
        if any(
            isinstance(r.change, AddressChange) and r.state is not ChangeState.DECLINED
            for r in stored.change_requests
        ):
            yield _refused("address_locked", "$.shipping_address")
    if stored.refunds:
        for name in ("shipping", "tax"):
            if getattr(incoming, name) != getattr(stored, name):
                yield _refused("price_locked", f"$.{name}")
    kept = {line.line_no for line in incoming.lines}
    for line in stored.lines:
        if line.line_no not in kept and (_units_used(stored, line) or _named(stored, line)):
            yield SyncRefused(
                "line_in_use",
                "$.lines",
                f"line {line.line_no} is missing from the record; {SYNC_REASONS['line_in_use']}",
            )
    for index, line in enumerate(incoming.lines):
        try:
            old = stored.line(line.line_no)
        except KeyError:
            continue
        yield from _line_refusals(stored, old, line, f"$.lines[{index}]")
    yield from _package_refusals(stored, incoming)


def _refused(reason: str, field: str) -> SyncRefused:
    return SyncRefused(reason, field, SYNC_REASONS[reason])


def _line_refusals(
    stored: Order, old: OrderLine, new: OrderLine, path: str
) -> Iterator[SyncRefused]:
    used = _units_used(stored, old)
    if new.quantity < used:
        yield SyncRefused(
            "quantity_below_used",
            f"{path}.quantity",
            f"{used} units of line {old.line_no} are cancelled, packed, shipped, returned "
            f"or refunded; {SYNC_REASONS['quantity_below_used']}",
        )
    named = _named(stored, old)
    if new.part_number != old.part_number and (used or named):
        yield _refused("part_locked", f"{path}.part_number")
    if named:
        for name in ("unit_price", "core_charge"):
            if getattr(new, name) != getattr(old, name):
                yield _refused("price_locked", f"{path}.{name}")


def _units_used(order: Order, line: OrderLine) -> int:
    """The fewest units the line can have: every unit the library or the warehouse
    accounts for (cancelled, packed, shipped, refunded, on its way back)."""
    ledger = order.ledger(line.line_no)
    cores = order.refunded_cores.get(line.line_no, 0)
    return max(
        ledger.cancelled + ledger.processing + ledger.shipped,
        order.refunded_units.get(line.line_no, 0),
        cores + order.units_in_open_returns(line.line_no, ReturnKind.CORE),
    )


def _named(order: Order, line: OrderLine) -> bool:
    """Whether a record the library owns (a request, a report, a refund, a return) names
    the line: what it recorded was based on the line's part and price."""
    n = line.line_no
    changes = (getattr(r.change, "line_no", None) for r in order.change_requests)
    refunded = (u.line_no for r in order.refunds for u in (*r.units, *r.core_units))
    return (
        any(r.line_no == n for r in order.cancel_requests)
        or n in changes
        or any(u.line_no == n for p in order.problem_reports for u in p.units)
        or n in refunded
        or any(p.units_of(n) for r in order.returns for p in r.packages)
    )


def _package_refusals(stored: Order, incoming: Order) -> Iterator[SyncRefused]:
    known = {package.package_id: package for package in stored.packages}
    for index, new in enumerate(incoming.packages):
        old = known.get(new.package_id)
        if old is None:
            continue
        for name in ("shipped_at", "delivered_at"):
            was, now = getattr(old, name), getattr(new, name)
            if was is not None and now is not None and now != was:
                yield SyncRefused(
                    "package_history",
                    f"$.packages[{index}].{name}",
                    f"package {old.package_id} has {name} {was.isoformat()}; "
                    f"{SYNC_REASONS['package_history']}",
                )


def _shipped_anyway(
    stored: Order, packages: tuple[Package, ...], at: datetime
) -> tuple[CancelRequest, ...]:
    shipped = {p.package_id for p in packages if p.shipped_at is not None}
    return tuple(
        attrs.evolve(r, state=CancelState.SHIPPED_ANYWAY, decided_at=at)
        if r.open and r.package_id in shipped
        else r
        for r in stored.cancel_requests
    )


def _merged_line(stored: Order, line: OrderLine) -> OrderLine:
    # The units taken off a line are the library's count; a line new to the order has none.
    try:
        old = stored.line(line.line_no)
    except KeyError:
        return attrs.evolve(line, cancelled=0, returned=0)
    return attrs.evolve(line, cancelled=old.cancelled, returned=old.returned)


def _merged_packages(stored: Order, incoming: Order) -> tuple[Package, ...]:
    """Stored packages in their order, each updated from the record when it names it, then
    the record's new packages. What a package holds stays as the library recorded it (a
    confirmed cancel takes units out); a shipment or delivery time is only ever added."""
    sent = {package.package_id: package for package in incoming.packages}
    merged = [
        old if (new := sent.get(old.package_id)) is None else _merged_package(old, new)
        for old in stored.packages
    ]
    known = {package.package_id for package in stored.packages}
    return (*merged, *(p for p in incoming.packages if p.package_id not in known))


def _merged_package(old: Package, new: Package) -> Package:
    return attrs.evolve(
        old,
        warehouse=new.warehouse,
        carrier=new.carrier if new.carrier is not None else old.carrier,
        tracking_number=new.tracking_number
        if new.tracking_number is not None
        else old.tracking_number,
        shipped_at=old.shipped_at or new.shipped_at,
        delivered_at=old.delivered_at or new.delivered_at,
        opened_at=old.opened_at or new.opened_at,
    )
