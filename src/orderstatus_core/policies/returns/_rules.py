"""The store's return rules: the policy (windows, fees, destinations, who authorises), the
per-line hooks it wraps (window days, the store's own refusals, routing) and calendar months.

Everything else in :mod:`orderstatus_core.policies.returns` reads the rules through
:class:`ReturnRules`, so a store's hook answer is checked in one place.
"""

from __future__ import annotations

import calendar
import enum
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal

import attrs

from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.model import Address, Order, OrderLine
from orderstatus_core.model._text import bounded_text
from orderstatus_core.model.returns import ReturnDestination, ReturnKind, ReturnReason

__all__ = [
    "EXAMPLE_RETURNS_CENTER",
    "Refuse",
    "ReturnPolicy",
    "ReturnRefusal",
    "ReturnRules",
    "Route",
    "WindowDays",
    "WindowStart",
    "add_months",
    "default_route",
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
