"""The return rules: what may come back, where it goes, what it pays back, and each step
of an RMA package from request to refund (DOMAIN.md section 3).

Pure functions over the :class:`~orderstatus_core.model.Order` aggregate: time, the
store's rules (:class:`ReturnRules`, built from the ``orderstatus_return_*`` hooks) and
label quotes arrive as arguments. A step that is not possible raises
:class:`~orderstatus_core.errors.ActionRefusedError` with a stable code; what a shopper
cannot return is not an error but a :class:`ReturnRefusal` in :class:`ReturnOptions`, so a
front-end can show *why* next to each part.

The refund of a return is computed once, for the preview, by the same rule as every other
refund (:func:`~orderstatus_core.policies.refunds.refund_for_units`, so it never exceeds
what was paid); the refund finally issued for a fully accepted package is that preview,
capped by what is left to refund and with the label deducted at no more than its quote.
"""

from __future__ import annotations

import calendar
import enum
import re
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import attrs

from orderstatus_core.errors import ActionRefusedError, InvalidFieldError
from orderstatus_core.model import Address, Money, Order, OrderLine
from orderstatus_core.model._text import bounded_text, optional_bounded_text
from orderstatus_core.model.order import utc
from orderstatus_core.model.requests import CancelState, Refund, ReportedUnits
from orderstatus_core.model.returns import (
    Fault,
    RefundMethod,
    RefundPreview,
    ReturnDestination,
    ReturnKind,
    ReturnReason,
    ReturnRequest,
    ReturnUnits,
    RmaPackage,
    RmaState,
    ShipBy,
)
from orderstatus_core.policies.refunds import CENT, refund_for_units

__all__ = [
    "EXAMPLE_RETURNS_CENTER",
    "PlannedPackage",
    "ReturnDraft",
    "ReturnOptions",
    "ReturnPlan",
    "ReturnPolicy",
    "ReturnRefusal",
    "ReturnRules",
    "ReturnableLine",
    "WindowStart",
    "add_months",
    "authorize_return",
    "cancelled_but_shipped",
    "cores_claimed",
    "default_route",
    "deny_return",
    "enter_own_tracking",
    "inspect_package",
    "mark_in_transit",
    "plan_return",
    "receive_package",
    "record_label",
    "request_return",
    "return_options",
    "rma_number",
    "route_units",
    "settle_package",
]


_CODE = re.compile(r"[a-z0-9_]{1,40}")


class WindowStart(enum.StrEnum):
    """Which date the return window counts from."""

    ORDER = "order"
    SHIP = "ship"
    DELIVERY = "delivery"


#: The destination of every return until the store configures its own (as the guest
#: pass's example link base, it is a placeholder a real store must replace).
EXAMPLE_RETURNS_CENTER = ReturnDestination(
    code="returns-center",
    name="Returns Center",
    address=Address(
        name="Example Parts Returns",
        line1="1 Warehouse Way",
        city="Madison",
        region="WI",
        postal_code="53703",
        country="US",
    ),
)


def _whole(low: int, high: int) -> Callable[[object, attrs.Attribute[int], int], None]:
    def check(_instance: object, attribute: attrs.Attribute[int], value: int) -> None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise InvalidFieldError(attribute.name, f"must be a whole number {low} to {high}")

    return check


def _percent(_instance: object, attribute: attrs.Attribute[Decimal], value: Decimal) -> None:
    if not isinstance(value, Decimal) or not Decimal(0) <= value <= Decimal(100):
        raise InvalidFieldError(attribute.name, "must be a Decimal from 0 to 100")


@attrs.frozen
class ReturnPolicy:
    """The store-wide return rules, with DOMAIN.md's defaults.

    ``warehouses`` maps the warehouse names on packages to where their returns go;
    units from any other warehouse go to ``returns_center``. ``staff_authorize`` lists the
    kinds of return that wait for staff before the shopper may ship (by default warranty
    claims); ``ship_within_days`` is how long the shopper has to send a package.
    """

    window_days: int = attrs.field(default=30, validator=_whole(0, 3650))
    window_start: WindowStart = attrs.field(default=WindowStart.SHIP, converter=WindowStart)
    core_window_months: int = attrs.field(default=6, validator=_whole(0, 120))
    restocking_fee_percent: Decimal = attrs.field(default=Decimal(0), validator=_percent)
    returns_center: ReturnDestination = EXAMPLE_RETURNS_CENTER
    warehouses: Mapping[str, ReturnDestination] = attrs.field(factory=dict)
    staff_authorize: frozenset[ReturnKind] = frozenset({ReturnKind.WARRANTY})
    ship_within_days: int = attrs.field(default=14, validator=_whole(1, 365))
    label_carrier: str = "UPS"
    label_service: str = "Ground"
    label_weight_grams: int = 2000


def _refusal_code(_instance: object, attribute: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise InvalidFieldError(attribute.name, "must be 1 to 40 of a-z, 0-9 and _")


@attrs.frozen
class ReturnRefusal:
    """Why some units of a line cannot come back: a stable ``code`` (``window_closed``) and
    a sentence for the shopper. A store's own refusal leaves ``quantity`` at 0; the core
    fills it in."""

    code: str = attrs.field(validator=_refusal_code)
    message: str = attrs.field(validator=bounded_text(300))
    quantity: int = attrs.field(default=0, validator=_whole(0, 100_000))


#: ``(order, line) -> days`` of the return window for this line.
WindowDays = Callable[[Order, OrderLine], int]
#: ``(order, line, kind) -> refusal or None``: the store's own No Return rules.
Refuse = Callable[[Order, OrderLine, ReturnKind], ReturnRefusal | None]
#: ``(order, line, reason, shipped_from) -> destination``: routing.
Route = Callable[[Order, OrderLine, ReturnReason, str], ReturnDestination]


def default_route(policy: ReturnPolicy) -> Route:
    """Routing by the warehouse that shipped the units, else the returns center."""

    def route(
        _order: Order, _line: OrderLine, _reason: ReturnReason, shipped_from: str
    ) -> ReturnDestination:
        return policy.warehouses.get(shipped_from, policy.returns_center)

    return route


@attrs.frozen
class ReturnRules:
    """The rules in force: the policy and the store's per-line hooks."""

    policy: ReturnPolicy = attrs.field(factory=ReturnPolicy)
    window_days: WindowDays | None = None
    refuse: Refuse | None = None
    route: Route | None = None

    def days_for(self, order: Order, line: OrderLine) -> int:
        """The return window of ``line`` in days."""
        return (
            self.policy.window_days if self.window_days is None else self.window_days(order, line)
        )

    def refusal_for(self, order: Order, line: OrderLine, kind: ReturnKind) -> ReturnRefusal | None:
        """The store's own refusal of ``line``, if any."""
        return None if self.refuse is None else self.refuse(order, line, kind)

    def destination(
        self, order: Order, line: OrderLine, reason: ReturnReason, shipped_from: str
    ) -> ReturnDestination:
        """Where units of ``line`` go back to."""
        route = self.route or default_route(self.policy)
        chosen = route(order, line, reason, shipped_from)
        if not isinstance(chosen, ReturnDestination):
            raise InvalidFieldError("destination", "routing must answer a ReturnDestination")
        return chosen


def add_months(moment: datetime, months: int) -> datetime:
    """``moment`` plus calendar months, the day clamped to the month's end (Aug 31 + 6
    months is Feb 28 or 29)."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


@attrs.frozen
class ReturnableLine:
    """One line's answer: how many units may come back, until when, and why not the rest."""

    line_no: int
    part_number: str
    description: str
    returnable: int
    #: The last moment the returnable units may be requested (``None`` if none may).
    until: datetime | None
    refusals: tuple[ReturnRefusal, ...]


@attrs.frozen
class ReturnOptions:
    """What a shopper may return of an order, per line, for one kind of return."""

    order_number: str
    kind: ReturnKind
    lines: tuple[ReturnableLine, ...]

    def returnable(self, line_no: int) -> int:
        """Units of ``line_no`` that may come back (0 for an unknown line)."""
        return next((line.returnable for line in self.lines if line.line_no == line_no), 0)

    def line(self, line_no: int) -> ReturnableLine | None:
        """The answer for ``line_no``, if the order has that line."""
        return next((line for line in self.lines if line.line_no == line_no), None)


def _start(
    order: Order, start: WindowStart, shipped_at: datetime, delivered_at: datetime
) -> datetime:
    if start is WindowStart.ORDER:
        return order.placed_at
    return shipped_at if start is WindowStart.SHIP else delivered_at


def _delivered_batches(order: Order, line_no: int) -> list[tuple[int, datetime, datetime, str]]:
    """``(units, shipped_at, delivered_at, warehouse)`` per delivered package of a line."""
    batches = []
    for package in order.packages:
        units = package.units_of(line_no)
        if units and package.delivered_at is not None and package.shipped_at is not None:
            batches.append((units, package.shipped_at, package.delivered_at, package.warehouse))
    return batches


def cores_claimed(order: Order, line_no: int) -> int:
    """Core deposits of a line paid back, or claimed by a core return not settled yet: its
    old parts on their way back, or inspected and accepted but not refunded. A deposit goes
    back once, so no other core return may claim these."""
    inspected = sum(
        package.accepted.get(line_no, 0)
        for request in order.returns
        if request.kind is ReturnKind.CORE
        for package in request.packages
        if package.state is RmaState.INSPECTED
    )
    open_cores = order.units_in_open_returns(line_no, ReturnKind.CORE)
    return order.refunded_cores.get(line_no, 0) + open_cores + inspected


def _line_options(
    order: Order, line: OrderLine, kind: ReturnKind, rules: ReturnRules, now: datetime
) -> ReturnableLine:
    ledger = order.ledger(line.line_no)
    refusals: list[ReturnRefusal] = []
    live = ledger.ordered - ledger.cancelled
    if live > ledger.delivered:
        refusals.append(
            ReturnRefusal(
                "not_delivered",
                "these units have not been delivered yet (cancel them instead, if possible)",
                live - ledger.delivered,
            )
        )
    batches = _delivered_batches(order, line.line_no)
    delivered = ledger.delivered

    def answer(returnable: int, until: datetime | None) -> ReturnableLine:
        return ReturnableLine(
            line.line_no,
            str(line.part_number),
            line.description,
            returnable,
            until if returnable else None,
            tuple(r for r in refusals if r.quantity > 0),
        )

    store_refusal = rules.refusal_for(order, line, kind)
    if store_refusal is not None and delivered:
        refusals.append(attrs.evolve(store_refusal, quantity=delivered))
        return answer(0, None)

    policy = rules.policy
    in_window = 0
    deadlines: list[datetime] = []
    if kind is ReturnKind.RETURN:
        if not line.returnable:
            refusals.append(
                ReturnRefusal(
                    "no_return_item", "this part cannot be returned (No Return)", delivered
                )
            )
            return answer(0, None)
        days = timedelta(days=rules.days_for(order, line))
        for units, shipped, arrived, _ in batches:
            deadline = _start(order, policy.window_start, shipped, arrived) + days
            if now <= deadline:
                in_window += units
                deadlines.append(deadline)
        closed = ("window_closed", "the return window has closed for these units")
        used = ledger.returned + order.units_in_open_returns(line.line_no)
        used_refusals = [
            ReturnRefusal("already_returned", "these units were returned", ledger.returned),
        ]
    elif kind is ReturnKind.CORE:
        if line.core_charge.amount == 0:
            refusals.append(
                ReturnRefusal("no_core_charge", "this part has no core charge", delivered)
            )
            return answer(0, None)
        for units, shipped, _, _ in batches:
            deadline = add_months(shipped, policy.core_window_months)
            if now <= deadline:
                in_window += units
                deadlines.append(deadline)
        closed = ("core_window_closed", "the core return window has closed for these units")
        refunded = order.refunded_cores.get(line.line_no, 0)
        used = cores_claimed(order, line.line_no)
        used_refusals = [
            ReturnRefusal("core_already_refunded", "these core deposits were refunded", refunded)
        ]
    else:
        if line.warranty_months == 0:
            refusals.append(ReturnRefusal("no_warranty", "this part has no warranty", delivered))
            return answer(0, None)
        days = timedelta(days=rules.days_for(order, line))
        returnable_now = 0
        for units, shipped, arrived, _ in batches:
            if (
                line.returnable
                and now <= _start(order, policy.window_start, shipped, arrived) + days
            ):
                returnable_now += units
                continue
            deadline = add_months(arrived, line.warranty_months)
            if now <= deadline:
                in_window += units
                deadlines.append(deadline)
        refusals.append(
            ReturnRefusal(
                "within_return_window",
                "these units are still within the return window: return them instead",
                returnable_now,
            )
        )
        delivered -= returnable_now
        closed = ("warranty_expired", "the warranty has ended for these units")
        used = ledger.returned + order.units_in_open_returns(line.line_no)
        used_refusals = [
            ReturnRefusal("already_returned", "these units were returned", ledger.returned),
        ]
    refusals.append(ReturnRefusal(*closed, delivered - in_window))
    refusals.extend(used_refusals)
    open_units = used - used_refusals[0].quantity
    refusals.append(
        ReturnRefusal("in_open_return", "these units are in a return already", open_units)
    )
    # Earlier returns are counted against the oldest units first: what is left in the
    # window is what the shopper may still send.
    returnable = max(0, min(in_window, delivered - used))
    return answer(returnable, min(deadlines) if deadlines else None)


def return_options(
    order: Order, kind: ReturnKind, rules: ReturnRules, now: datetime
) -> ReturnOptions:
    """What may come back of each line of ``order`` at ``now`` for ``kind``.

    Units count when delivered; a return counts its window from the policy's start date
    (ship date by default) per package, so units of one line delivered in two packages may
    have two deadlines. Valid at the deadline, closed one microsecond later.
    """
    at = utc(now)
    return ReturnOptions(
        order.number,
        ReturnKind(kind),
        tuple(_line_options(order, line, ReturnKind(kind), rules, at) for line in order.lines),
    )


# --- the shopper's request ------------------------------------------------------------------

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


def cancelled_but_shipped(order: Order, line_no: int) -> int:
    """Units of a line cancelled while packed but shipped anyway, less those already sent
    back for that reason (in a return not rejected): each such unit ships back free once."""
    shipped_anyway = sum(
        r.quantity
        for r in order.cancel_requests
        if r.line_no == line_no and r.state is CancelState.SHIPPED_ANYWAY
    )
    claimed = sum(
        package.units_of(line_no)
        for request in order.returns
        if request.reason is ReturnReason.CANCELLED_BUT_SHIPPED
        for package in request.packages
        if package.state is not RmaState.REJECTED
    )
    return shipped_anyway - claimed


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
) -> Refund:
    """What ``units`` pay back before deductions, with the units whose price and deposit
    it returns: a core return its deposits alone, the others as every refund is reckoned
    (:func:`refund_for_units`)."""
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
        planned.append(
            PlannedPackage(
                destination,
                tuple(ReturnUnits(n, q) for n, q in sorted(units.items())),
                preview,
                quote,
            )
        )
        # The next package is previewed as if this one were paid back already.
        virtual = attrs.evolve(virtual, refunds=(*virtual.refunds, base))
    return ReturnPlan(order.number, draft, tuple(planned))


def rma_number(order: Order, sequence: int) -> str:
    """The RMA number of an order's ``sequence``-th return package: ``R<order>-<n>``.

    Order numbers are unique, so RMA numbers are too, without a counter in storage.
    """
    return f"R{order.number}-{sequence}"


def request_return(
    order: Order, plan: ReturnPlan, return_id: str, policy: ReturnPolicy, now: datetime
) -> tuple[Order, ReturnRequest]:
    """Record ``plan`` as a return on the order, each package with its RMA number.

    Kinds the policy leaves to staff start ``requested``; the others may ship at once.
    """
    if any(r.return_id == return_id for r in order.returns):
        raise ActionRefusedError("duplicate_return", f"return {return_id} exists")
    taken = sum(len(r.packages) for r in order.returns)
    state = (
        RmaState.REQUESTED
        if plan.draft.kind in policy.staff_authorize
        else RmaState.AWAITING_SHIPMENT
    )
    packages = tuple(
        RmaPackage(
            rma_number=rma_number(order, taken + index + 1),
            destination=p.destination,
            units=p.units,
            preview=p.preview,
            state=state,
            label_quote=p.label_quote,
        )
        for index, p in enumerate(plan.packages)
    )
    draft = plan.draft
    request = ReturnRequest(
        return_id=return_id,
        kind=draft.kind,
        reason=draft.reason,
        ship_by=draft.ship_by,
        refund_method=draft.refund_method,
        requested_at=now,
        packages=packages,
        language=draft.language,
        comment=draft.comment,
    )
    return order.changed(returns=(*order.returns, request)), request


# --- the store's steps ------------------------------------------------------------------------


def _find(order: Order, rma: str) -> tuple[ReturnRequest, int, RmaPackage]:
    try:
        request, index = order.rma(rma)
    except KeyError:
        raise ActionRefusedError(
            "unknown_rma", f"order {order.number} has no RMA {str(rma)[:40]}"
        ) from None
    return request, index, request.packages[index]


def _put(
    order: Order, request: ReturnRequest, index: int, package: RmaPackage, **fields: Any
) -> Order:
    packages = list(request.packages)
    packages[index] = attrs.evolve(package, **fields)
    changed = attrs.evolve(request, packages=tuple(packages))
    returns = tuple(changed if r.return_id == request.return_id else r for r in order.returns)
    return order.changed(returns=returns)


def _expect(package: RmaPackage, *states: RmaState) -> None:
    if package.state not in states:
        raise ActionRefusedError(
            f"rma_{package.state.value}",
            f"RMA {package.rma_number} is {package.state.value.replace('_', ' ')}",
        )


def authorize_return(order: Order, rma: str, at: datetime) -> Order:
    """Staff let a package wait for shipment (a warranty claim, by default)."""
    request, index, package = _find(order, rma)
    _expect(package, RmaState.REQUESTED)
    return _put(order, request, index, package, state=RmaState.AWAITING_SHIPMENT)


def deny_return(order: Order, rma: str, at: datetime, note: str | None = None) -> Order:
    """Staff refuse a package still waiting for authorisation; nothing comes back."""
    request, index, package = _find(order, rma)
    _expect(package, RmaState.REQUESTED)
    return _put(order, request, index, package, state=RmaState.REJECTED, settled_at=at, note=note)


def record_label(
    order: Order,
    rma: str,
    carrier: str,
    tracking_number: str | None,
    cost: Money,
    at: datetime,
) -> Order:
    """Record a generated label on its package. A second label (a retried job) keeps the
    first one's record: the order does not change."""
    request, index, package = _find(order, rma)
    if package.label_made_at is not None:
        return order
    return _put(
        order,
        request,
        index,
        package,
        label_cost=cost,
        label_made_at=at,
        carrier=carrier,
        tracking_number=tracking_number,
    )


def enter_own_tracking(
    order: Order, rma: str, carrier: str, tracking_number: str, at: datetime
) -> Order:
    """The shopper shipped the package themselves: it is in transit under their tracking
    number (already parsed and check-digit validated by the caller)."""
    request, index, package = _find(order, rma)
    if request.ship_by is not ShipBy.OWN_TRACKING:
        raise ActionRefusedError("label_provided", f"RMA {rma} travels on the store's label")
    _expect(package, RmaState.AWAITING_SHIPMENT)
    return _put(
        order,
        request,
        index,
        package,
        state=RmaState.IN_TRANSIT,
        carrier=carrier,
        tracking_number=tracking_number,
        shipped_at=at,
    )


def mark_in_transit(order: Order, rma: str, at: datetime) -> Order:
    """The carrier scanned the package's label."""
    request, index, package = _find(order, rma)
    _expect(package, RmaState.AWAITING_SHIPMENT)
    return _put(order, request, index, package, state=RmaState.IN_TRANSIT, shipped_at=at)


def receive_package(order: Order, rma: str, at: datetime) -> Order:
    """The destination received the package. Nothing is refunded yet."""
    request, index, package = _find(order, rma)
    _expect(package, RmaState.AWAITING_SHIPMENT, RmaState.IN_TRANSIT)
    return _put(order, request, index, package, state=RmaState.RECEIVED, received_at=at)


def inspect_package(
    order: Order, rma: str, accepted: Mapping[int, int], at: datetime, note: str | None = None
) -> Order:
    """Accept some units of a received package (line number: quantity; a line left out is
    rejected). Accepted parts count as returned on their lines; nothing accepted rejects
    the package."""
    request, index, package = _find(order, rma)
    _expect(package, RmaState.RECEIVED)
    if not isinstance(accepted, Mapping):
        raise InvalidFieldError("accepted", "must map line numbers to quantities")
    unknown = set(accepted) - {u.line_no for u in package.units}
    if unknown:
        raise ActionRefusedError("unknown_line", f"RMA {rma} holds no line {min(unknown)}")
    units = []
    for u in package.units:
        count = accepted.get(u.line_no, 0)
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= u.quantity:
            raise ActionRefusedError(
                "bad_quantity", f"line {u.line_no}: accept 0 to {u.quantity} units"
            )
        units.append(attrs.evolve(u, accepted=count))
    nothing = not any(u.accepted for u in units)
    state = RmaState.REJECTED if nothing else RmaState.INSPECTED
    changed = _put(
        order,
        request,
        index,
        package,
        units=tuple(units),
        state=state,
        inspected_at=at,
        settled_at=at if nothing else None,
        note=note,
    )
    if request.kind is ReturnKind.CORE:
        return changed
    # The old version is the base: _put bumped the version once, keep it one step.
    lines = tuple(
        attrs.evolve(line, returned=line.returned + accepted.get(line.line_no, 0))
        for line in changed.lines
    )
    return attrs.evolve(changed, lines=lines)


def _capped(order: Order, preview: RefundPreview) -> RefundPreview:
    """``preview`` with each part capped by what is left to refund of it."""
    done = {
        name: sum((getattr(r, name).amount for r in order.refunds), Decimal(0))
        for name in ("parts", "cores", "shipping", "tax")
    }
    paid = {
        "parts": order.subtotal.amount,
        "cores": order.core_charges.amount,
        "shipping": order.shipping.amount,
        "tax": order.tax.amount,
    }
    left = {name: max(Decimal(0), paid[name] - done[name]) for name in paid}
    amounts = {name: min(getattr(preview, name).amount, left[name]) for name in paid}
    gross = sum(amounts.values(), Decimal(0))
    restocking = min(preview.restocking_fee.amount, gross)
    label = min(preview.label_deduction.amount, gross - restocking)
    currency = order.currency
    return RefundPreview(
        Money(amounts["parts"], currency),
        Money(amounts["cores"], currency),
        Money(amounts["shipping"], currency),
        Money(amounts["tax"], currency),
        Money(label, currency),
        Money(restocking, currency),
    )


def settle_package(
    order: Order,
    rma: str,
    refund_id: str,
    at: datetime,
    policy: ReturnPolicy,
    *,
    replace: bool = False,
) -> tuple[Order, Refund | None]:
    """Settle an inspected package: refund (to the payment or to store credit, as the
    shopper chose) or, for a warranty claim with ``replace``, send new parts instead.

    A fully accepted package refunds its preview; a partly accepted one is previewed again
    for the accepted units, and so is one some of whose units' price or deposit went back
    (or was claimed by a core return) since it was requested. The label deduction is never
    more than the quote, nor more than the label finally cost.
    """
    request, index, package = _find(order, rma)
    _expect(package, RmaState.INSPECTED)
    if replace:
        if request.kind is not ReturnKind.WARRANTY:
            raise ActionRefusedError(
                "not_warranty", "only a warranty claim is settled by replacement"
            )
        return _put(order, request, index, package, state=RmaState.REPLACED, settled_at=at), None
    accepted = package.accepted
    quote = package.label_quote
    if quote is not None and package.label_cost is not None:
        quote = min(quote, package.label_cost)
    base = _base_refund(order, request.kind, request.reason, accepted, at, refund_id, rma)
    # The preview was reckoned when the return was requested. Since then another refund
    # may have paid back some of these units' price, or an open core return claimed their
    # deposit: the preview would pay those again (behind the order-wide caps), so the
    # units are reckoned again as they stand now.
    stale = base.parts < package.preview.parts or base.cores < package.preview.cores
    if package.fully_accepted and quote == package.label_quote and not stale:
        preview = package.preview
    else:
        preview = _preview(base, request.kind, request.reason, quote, policy)
    preview = _capped(order, preview)
    refund = attrs.evolve(
        base,
        parts=preview.parts,
        cores=preview.cores,
        shipping=preview.shipping,
        tax=preview.tax,
        core_units=base.core_units if preview.cores.amount else (),
        label_fee=preview.label_deduction if preview.label_deduction.amount else None,
        restocking_fee=preview.restocking_fee if preview.restocking_fee.amount else None,
        to_store_credit=request.refund_method is RefundMethod.STORE_CREDIT,
    )
    state = RmaState.CREDITED if refund.to_store_credit else RmaState.REFUNDED
    changed = _put(order, request, index, package, state=state, settled_at=at, refund_id=refund_id)
    return attrs.evolve(changed, refunds=(*changed.refunds, refund)), refund
