"""The shopper's return before it is recorded: the draft (the only input taken from them),
its units checked and routed to destinations, and the refund preview per package.

The refund reckoning here (:func:`_base_refund`, :func:`_preview`) serves the settlement
of an RMA package too, so a preview and the refund that follows it never differ in rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal

import attrs

from orderstatus_core.errors import ActionRefusedError, InvalidFieldError
from orderstatus_core.model import Money, Order
from orderstatus_core.model._text import optional_bounded_text
from orderstatus_core.model.requests import Refund, ReportedUnits
from orderstatus_core.model.returns import (
    Fault,
    RefundMethod,
    RefundPreview,
    ReturnDestination,
    ReturnKind,
    ReturnReason,
    ReturnUnits,
    ShipBy,
)
from orderstatus_core.policies.refunds import CENT, refund_for_units
from orderstatus_core.policies.returns._eligibility import cancelled_but_shipped, return_options
from orderstatus_core.policies.returns._rules import ReturnPolicy, ReturnRules

__all__ = ["PlannedPackage", "ReturnDraft", "ReturnPlan", "plan_return", "route_units"]


_KIND_REASONS: Mapping[ReturnKind, frozenset[ReturnReason]] = {
    ReturnKind.RETURN: frozenset(ReturnReason) - {ReturnReason.CORE},
    ReturnKind.CORE: frozenset({ReturnReason.CORE}),
    ReturnKind.WARRANTY: frozenset({ReturnReason.DEFECTIVE}),
}


def _units(value: object) -> tuple[tuple[int, int], ...]:
    if isinstance(value, tuple) and all(isinstance(p, tuple) and len(p) == 2 for p in value):
        value = dict(value)  # the checked form itself, as attrs.evolve passes it back
    if not isinstance(value, Mapping) or not 1 <= len(value) <= 500:
        raise InvalidFieldError("units", "name 1 to 500 lines as {line number: quantity}")
    checked = []
    for line_no, quantity in value.items():
        for number in (line_no, quantity):
            if (
                isinstance(number, bool)
                or not isinstance(number, int)
                or not 1 <= number <= 100_000
            ):
                raise InvalidFieldError("units", f"{str(number)[:40]!r} is not a count")
        checked.append((line_no, quantity))
    return tuple(sorted(checked))


@attrs.frozen
class ReturnDraft:
    """What a shopper asks to send back: the only input a return takes from them (F4).

    ``units`` maps line numbers to quantities. Prices, destinations, states and label
    fields are never part of it: the store's rules decide those.
    """

    kind: ReturnKind = attrs.field(converter=ReturnKind)
    reason: ReturnReason = attrs.field(converter=ReturnReason)
    units: tuple[tuple[int, int], ...] = attrs.field(converter=_units)
    ship_by: ShipBy = attrs.field(default=ShipBy.LABEL, converter=ShipBy)
    refund_method: RefundMethod = attrs.field(
        default=RefundMethod.ORIGINAL_PAYMENT, converter=RefundMethod
    )
    language: str = attrs.field(default="en")
    comment: str | None = attrs.field(default=None, validator=optional_bounded_text(500))

    @property
    def pays_for_label(self) -> bool:
        """The store makes the label and the shopper's choice is the reason: its cost comes
        off the refund."""
        return self.ship_by is ShipBy.LABEL and self.reason.fault is Fault.SHOPPER

    def __attrs_post_init__(self) -> None:
        if self.reason not in _KIND_REASONS[self.kind]:
            raise InvalidFieldError(
                "reason", f"{self.reason.value} is not a reason for a {self.kind.value}"
            )
        if self.language not in ("en", "fi"):
            raise InvalidFieldError("language", "must be en or fi")


@attrs.frozen
class PlannedPackage:
    """One package of a return plan: where it goes, what is in it, what it pays back."""

    destination: ReturnDestination
    units: tuple[ReturnUnits, ...]
    preview: RefundPreview
    label_quote: Money | None


@attrs.frozen
class ReturnPlan:
    """The refund preview the shopper sees before committing, per package and in total."""

    order_number: str
    draft: ReturnDraft
    packages: tuple[PlannedPackage, ...]

    @property
    def preview(self) -> RefundPreview:
        """The whole return's preview."""
        return RefundPreview.sum(p.preview for p in self.packages)


def route_units(
    order: Order, draft: ReturnDraft, rules: ReturnRules, now: datetime
) -> dict[ReturnDestination, dict[int, int]]:
    """Check ``draft`` against what may come back, then group its units by destination.

    Raises :class:`ActionRefusedError` with the first refusal's code when a line asks for
    more than may come back.
    """
    options = return_options(order, draft.kind, rules, now)
    routes: dict[ReturnDestination, dict[int, int]] = {}
    for line_no, quantity in draft.units:
        answer = options.line(line_no)
        if answer is None:
            raise ActionRefusedError("unknown_line", f"order {order.number} has no line {line_no}")
        if quantity > answer.returnable:
            first = answer.refusals[0] if answer.refusals else None
            raise ActionRefusedError(
                first.code if first else "nothing_to_return",
                f"line {line_no}: {answer.returnable} unit(s) may come back, not {quantity}"
                + (f" ({first.message})" if first else ""),
            )
        if draft.reason is ReturnReason.CANCELLED_BUT_SHIPPED and quantity > cancelled_but_shipped(
            order, line_no
        ):
            raise ActionRefusedError(
                "not_cancelled",
                f"line {line_no}: only units cancelled after they were packed ship back free",
            )
        line = order.line(line_no)
        shipped_from = next(
            (
                p.warehouse
                for p in reversed(order.packages)
                if p.units_of(line_no) and p.delivered_at
            ),
            "",
        )
        destination = rules.destination(order, line, draft.reason, shipped_from)
        routes.setdefault(destination, {})[line_no] = quantity
    return routes


def _restocking(parts: Decimal, percent: Decimal) -> Decimal:
    return (parts * percent / 100).quantize(CENT, ROUND_HALF_EVEN)


def _base_refund(
    order: Order,
    kind: ReturnKind,
    reason: ReturnReason,
    units: Mapping[int, int],
    at: datetime,
    refund_id: str = "preview",
    source_id: str = "preview",
    claimed_deposits: Mapping[int, int] | None = None,
) -> Refund:
    """What ``units`` pay back before deductions, with the units whose price and deposit
    it returns: a core return its deposits alone, the others as every refund is reckoned
    (:func:`refund_for_units`), with the deposits the return claimed if it did."""
    if kind is not ReturnKind.CORE:
        return refund_for_units(
            order,
            units,
            # A warranty claim comes long after delivery: the original shipping stays.
            include_shipping=reason.fault is Fault.STORE and kind is ReturnKind.RETURN,
            refund_id=refund_id,
            reason=kind.value,
            source_id=source_id,
            at=at,
            claimed_deposits=claimed_deposits,
        )
    done = order.refunded_cores
    deposits = {}
    for line_no, quantity in units.items():
        line = order.line(line_no)
        free = min(quantity, line.quantity - done.get(line_no, 0))
        if free > 0 and line.core_charge.amount:
            deposits[line_no] = free
    cores = sum((order.line(n).core_charge.amount * q for n, q in deposits.items()), Decimal(0))
    already = sum((r.cores.amount for r in order.refunds), Decimal(0))
    nothing = Money.zero(order.currency)
    return Refund(
        refund_id=refund_id,
        at=at,
        reason=kind.value,
        source_id=source_id,
        parts=nothing,
        cores=Money(min(cores, order.core_charges.amount - already), order.currency),
        shipping=nothing,
        tax=nothing,
        core_units=tuple(ReportedUnits(n, q) for n, q in sorted(deposits.items())),
    )


def _preview(
    base: Refund,
    kind: ReturnKind,
    reason: ReturnReason,
    label_quote: Money | None,
    policy: ReturnPolicy,
) -> RefundPreview:
    """``base`` with the deductions the reason calls for, capped so the total is never
    below zero."""
    currency = base.parts.currency
    parts, cores = base.parts.amount, base.cores.amount
    shipping, tax = base.shipping.amount, base.tax.amount
    gross = parts + cores + shipping + tax
    restocking = Decimal(0)
    if reason.fault is Fault.SHOPPER and kind is ReturnKind.RETURN:
        restocking = min(gross, _restocking(parts, policy.restocking_fee_percent))
    label = Decimal(0)
    if label_quote is not None:
        label = min(label_quote.amount, gross - restocking)
    return RefundPreview(
        Money(parts, currency),
        Money(cores, currency),
        Money(shipping, currency),
        Money(tax, currency),
        Money(label, currency),
        Money(restocking, currency),
    )


def plan_return(
    order: Order,
    draft: ReturnDraft,
    rules: ReturnRules,
    label_quotes: Mapping[str, Money],
    now: datetime,
    *,
    routes: Mapping[ReturnDestination, Mapping[int, int]] | None = None,
) -> ReturnPlan:
    """The packages and refund preview of ``draft``, without changing anything.

    ``label_quotes`` gives, by destination code, what a generated label would cost; it is
    deducted only when the draft :attr:`~ReturnDraft.pays_for_label`. ``routes`` is what
    :func:`route_units` answered for this draft, when the caller asked already (to quote
    the labels); otherwise it is asked here. Packages are previewed one after another, each
    counting the ones before it as paid back, so the sum never exceeds what was paid.
    """
    if routes is None:
        routes = route_units(order, draft, rules, now)
    planned: list[PlannedPackage] = []
    virtual = order
    deduct_label = draft.pays_for_label
    for destination in sorted(routes, key=lambda d: d.code):
        units = routes[destination]
        quote = label_quotes.get(destination.code) if deduct_label else None
        if deduct_label and quote is None:
            raise InvalidFieldError("label_quotes", f"no quote for {destination.code}")
        base = _base_refund(
            virtual, draft.kind, draft.reason, units, now, f"plan{len(virtual.refunds)}"
        )
        preview = _preview(base, draft.kind, draft.reason, quote, rules.policy)
        # The package claims the deposits its preview pays back (cores_claimed).
        deposits = {u.line_no: u.quantity for u in base.core_units}
        planned.append(
            PlannedPackage(
                destination,
                tuple(
                    ReturnUnits(n, q, deposits=deposits.get(n, 0)) for n, q in sorted(units.items())
                ),
                preview,
                quote,
            )
        )
        # The next package is previewed as if this one were paid back already.
        virtual = attrs.evolve(virtual, refunds=(*virtual.refunds, base))
    return ReturnPlan(order.number, draft, tuple(planned))
