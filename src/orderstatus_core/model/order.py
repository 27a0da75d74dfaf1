"""The order aggregate: lines, packages and the per-line quantity ledger.

An :class:`Order` is immutable; a change makes a new one with ``attrs.evolve`` and a higher
``version`` (optimistic concurrency, SECURITY G2). Everything that can be computed from
other fields (the ledger's shipped and delivered counts, the status, the totals) is a
property, never a stored field, so it can never disagree with its source.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

import attrs

from orderstatus_core.errors import (
    CurrencyMismatchError,
    InvalidFieldError,
    LedgerError,
)
from orderstatus_core.model._checks import count as _count
from orderstatus_core.model._checks import currency_code, one_entry_per_line, short_id, utc
from orderstatus_core.model._checks import optional_utc as _optional_utc
from orderstatus_core.model._text import bounded_text, optional_bounded_text
from orderstatus_core.model.address import Address
from orderstatus_core.model.identifiers import (
    CategoryPath,
    EmailAddress,
    PartNumber,
    PhoneNumber,
    canonical_order_number,
)
from orderstatus_core.model.money import Money, NotNegativeMoney
from orderstatus_core.model.profile import Vehicle
from orderstatus_core.model.requests import (
    CancelRequest,
    ChangeRequest,
    ProblemReport,
    Refund,
    ShippingSpeed,
)
from orderstatus_core.model.returns import ReturnKind, ReturnRequest

__all__ = [
    "Address",
    "LineLedger",
    "Order",
    "OrderLine",
    "OrderState",
    "Package",
    "PackedUnits",
    "ledgers_of",
    "line_sums",
    "packed_units",
    "state_of",
    "utc",
]

MAX_LINES = 500
MAX_PACKAGES = 200
MAX_WARRANTY_MONTHS = 1200


def _tuple_of_lines(value: Iterable[OrderLine]) -> tuple[OrderLine, ...]:
    return tuple(value)


def _tuple_of_packages(value: Iterable[Package]) -> tuple[Package, ...]:
    return tuple(value)


def _tuple_of_units(value: Iterable[PackedUnits]) -> tuple[PackedUnits, ...]:
    return tuple(value)


def _tuple_of_cancel_requests(value: Iterable[CancelRequest]) -> tuple[CancelRequest, ...]:
    return tuple(value)


def _tuple_of_change_requests(value: Iterable[ChangeRequest]) -> tuple[ChangeRequest, ...]:
    return tuple(value)


def _tuple_of_problem_reports(value: Iterable[ProblemReport]) -> tuple[ProblemReport, ...]:
    return tuple(value)


def _tuple_of_refunds(value: Iterable[Refund]) -> tuple[Refund, ...]:
    return tuple(value)


def _tuple_of_returns(value: Iterable[ReturnRequest]) -> tuple[ReturnRequest, ...]:
    return tuple(value)


_not_negative = NotNegativeMoney()


def _line_vehicle(_instance: object, attribute: Any, value: Any) -> None:
    """A line's vehicle is what the part was bought for: a year, make, model and engine.
    A nickname and a VIN are the shopper's own and stay in the garage, so no order view,
    masked or not, can show them."""
    if value is None:
        return
    if not isinstance(value, Vehicle):
        raise InvalidFieldError(attribute.name, f"must be a Vehicle, not {type(value).__name__}")
    if value.nickname is not None or value.vin is not None:
        raise InvalidFieldError(
            attribute.name,
            "is the year, make, model and engine the part was bought for: no nickname or "
            "VIN (those stay in the shopper's garage)",
        )


@attrs.frozen
class OrderLine:
    """One part on an order: what was bought, how many, at what price.

    ``cancelled`` and ``returned`` are the units taken off this line so far; shipped and
    delivered units are counted from the order's packages. ``vehicle``, when the store
    knows it, is the vehicle the part was bought for: the garage's
    :class:`~orderstatus_core.model.profile.Vehicle` value with its year, make, model and
    engine only (a nickname or a VIN is refused: they are the shopper's, and a line is
    shown to anyone holding the order's look-up pair). An account's history is searchable
    by it.
    """

    line_no: int = attrs.field(validator=_count(1, MAX_LINES))
    part_number: PartNumber = attrs.field(validator=attrs.validators.instance_of(PartNumber))
    brand: str = attrs.field(validator=bounded_text(64))
    category: CategoryPath = attrs.field(validator=attrs.validators.instance_of(CategoryPath))
    description: str = attrs.field(validator=bounded_text(500))
    quantity: int = attrs.field(validator=_count(1))
    unit_price: Money = attrs.field(validator=_not_negative)
    core_charge: Money = attrs.field(validator=_not_negative)
    returnable: bool = attrs.field(default=True, validator=attrs.validators.instance_of(bool))
    warranty_months: int = attrs.field(default=0, validator=_count(0, MAX_WARRANTY_MONTHS))
    cancelled: int = attrs.field(default=0, validator=_count(0))
    returned: int = attrs.field(default=0, validator=_count(0))
    vehicle: Vehicle | None = attrs.field(default=None, validator=_line_vehicle)

    @property
    def subtotal(self) -> Money:
        """Price of all ordered units, cores excluded."""
        return self.unit_price * self.quantity


@attrs.frozen
class PackedUnits:
    """How many units of one line travel in a package."""

    line_no: int = attrs.field(validator=_count(1, MAX_LINES))
    quantity: int = attrs.field(validator=_count(1))


@attrs.frozen
class Package:
    """Units of one or more lines sent together from one warehouse.

    A package without ``shipped_at`` is being picked and packed: its units are *in
    processing*, which is what later decides whether a cancel is immediate.
    """

    package_id: str = attrs.field(validator=short_id)
    warehouse: str = attrs.field(validator=bounded_text(64))
    units: tuple[PackedUnits, ...] = attrs.field(
        converter=_tuple_of_units, validator=one_entry_per_line("a package")
    )
    carrier: str | None = attrs.field(default=None, validator=optional_bounded_text(32))
    tracking_number: str | None = attrs.field(default=None, validator=optional_bounded_text(64))
    shipped_at: datetime | None = attrs.field(default=None, converter=_optional_utc)
    delivered_at: datetime | None = attrs.field(default=None, converter=_optional_utc)
    #: When the warehouse started picking it; ``None`` for packages imported as history.
    opened_at: datetime | None = attrs.field(default=None, converter=_optional_utc)

    def __attrs_post_init__(self) -> None:
        if self.delivered_at is not None and (
            self.shipped_at is None or self.delivered_at < self.shipped_at
        ):
            raise LedgerError("delivered_at", "a package is delivered only after it ships")
        if (
            self.opened_at is not None
            and self.shipped_at is not None
            and self.shipped_at < self.opened_at
        ):
            raise LedgerError("shipped_at", "a package ships only after it was opened")

    def units_of(self, line_no: int) -> int:
        """Units of line ``line_no`` in this package (0 if none)."""
        return sum(u.quantity for u in self.units if u.line_no == line_no)


@attrs.frozen
class LineLedger:
    """Where every unit of one line is. Built by :meth:`Order.ledger`; never stored.

    Invariants (DOMAIN.md section 4): ``cancelled + processing + shipped <= ordered``,
    ``delivered <= shipped``, ``returned <= delivered``.
    """

    ordered: int
    cancelled: int
    processing: int
    shipped: int
    delivered: int
    returned: int

    @property
    def awaiting(self) -> int:
        """Units neither cancelled nor yet in a package: free to cancel or change at once."""
        return self.ordered - self.cancelled - self.processing - self.shipped

    def problems(self) -> Iterator[str]:
        """Yield a sentence for each broken invariant (none for a valid ledger)."""
        yield from _ledger_problems(
            self.ordered,
            self.cancelled,
            self.processing,
            self.shipped,
            self.delivered,
            self.returned,
        )


def _ledger_problems(
    ordered: int, cancelled: int, processing: int, shipped: int, delivered: int, returned: int
) -> list[str]:
    """A sentence for each broken invariant of a line's ledger, from its counts (the rule of
    :meth:`LineLedger.problems`, which :class:`Order` also checks without building one)."""
    problems = []
    if ordered - cancelled - processing - shipped < 0:
        problems.append(
            f"cancelled ({cancelled}) + in processing ({processing}) + shipped "
            f"({shipped}) exceed ordered ({ordered})"
        )
    if delivered > shipped:
        problems.append(f"delivered ({delivered}) exceeds shipped ({shipped})")
    if returned > delivered:
        problems.append(f"returned ({returned}) exceeds delivered ({delivered})")
    return problems


class OrderState(enum.StrEnum):
    """Where an order stands, derived from its ledger."""

    PLACED = "placed"
    PROCESSING = "processing"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


def line_sums(lines: Iterable[OrderLine]) -> tuple[Decimal, Decimal]:
    """The price of every ordered unit of ``lines`` and their core deposits, in one pass.

    The lines must be one order's, so all in its currency (construction proves it), which
    makes plain ``Decimal`` arithmetic safe. :attr:`Order.subtotal` and the order view's
    totals are both this sum.
    """
    parts = cores = Decimal(0)
    for line in lines:
        quantity = line.quantity
        parts += line.unit_price.amount * quantity
        cores += line.core_charge.amount * quantity
    return parts, cores


def packed_units(
    packages: Iterable[Package],
) -> tuple[dict[int, int], dict[int, int], dict[int, int]]:
    """Units of each line number in packages being packed, shipped and delivered, in one
    pass over ``packages``: the counts :func:`ledgers_of` and the order's invariants read."""
    processing: dict[int, int] = {}
    shipped: dict[int, int] = {}
    delivered: dict[int, int] = {}
    for package in packages:
        counter = processing if package.shipped_at is None else shipped
        arrived = package.delivered_at is not None
        for units in package.units:
            line_no, quantity = units.line_no, units.quantity
            counter[line_no] = counter.get(line_no, 0) + quantity
            if arrived:
                delivered[line_no] = delivered.get(line_no, 0) + quantity
    return processing, shipped, delivered


def ledgers_of(lines: Iterable[OrderLine], packages: Iterable[Package]) -> dict[int, LineLedger]:
    """Where every unit of every line is, by line number, in one pass over ``packages``.

    The one ledger rule: :attr:`Order.ledgers` and the order view both ask it.
    """
    processing, shipped, delivered = packed_units(packages)
    # Positional, in field order (ordered, cancelled, processing, shipped, delivered,
    # returned): find-order builds one per line of every order it shows.
    return {
        line.line_no: LineLedger(
            line.quantity,
            line.cancelled,
            processing.get(line.line_no, 0),
            shipped.get(line.line_no, 0),
            delivered.get(line.line_no, 0),
            line.returned,
        )
        for line in lines
    }


def state_of(ledgers: Iterable[LineLedger]) -> OrderState:
    """The status of an order whose lines have ``ledgers``: the one status rule."""
    live = shipped = delivered = processing = 0
    for ledger in ledgers:  # one pass for every count the state needs
        live += ledger.ordered - ledger.cancelled
        shipped += ledger.shipped
        delivered += ledger.delivered
        processing += ledger.processing
    if live == 0:
        return OrderState.CANCELLED
    if shipped == 0:
        return OrderState.PROCESSING if processing else OrderState.PLACED
    if shipped < live:
        return OrderState.PARTIALLY_SHIPPED
    if delivered < live:
        return OrderState.SHIPPED
    return OrderState.DELIVERED


def _mismatch(field: str, money: Money, currency: str) -> CurrencyMismatchError:
    return CurrencyMismatchError(field, f"is in {money.currency}, the order is in {currency}")


def _lines(_instance: Any, attribute: Any, value: tuple[OrderLine, ...]) -> None:
    if not 1 <= len(value) <= MAX_LINES:
        raise InvalidFieldError(attribute.name, f"an order has 1 to {MAX_LINES} lines")


def _packages(_instance: Any, attribute: Any, value: tuple[Package, ...]) -> None:
    if len(value) > MAX_PACKAGES:
        raise InvalidFieldError(attribute.name, f"an order has at most {MAX_PACKAGES} packages")


@attrs.frozen
class Order:
    """An order as the store took it, with everything that has happened to it since.

    Construction checks every invariant; an ``Order`` that exists is consistent.
    """

    number: str = attrs.field(converter=canonical_order_number)
    placed_at: datetime = attrs.field(converter=utc)
    email: EmailAddress = attrs.field(validator=attrs.validators.instance_of(EmailAddress))
    shipping_address: Address = attrs.field(validator=attrs.validators.instance_of(Address))
    currency: str = attrs.field(validator=currency_code)
    lines: tuple[OrderLine, ...] = attrs.field(converter=_tuple_of_lines, validator=_lines)
    shipping: Money = attrs.field(validator=_not_negative)
    tax: Money = attrs.field(validator=_not_negative)
    phone: PhoneNumber | None = attrs.field(
        default=None, validator=attrs.validators.optional(attrs.validators.instance_of(PhoneNumber))
    )
    packages: tuple[Package, ...] = attrs.field(
        default=(), converter=_tuple_of_packages, validator=_packages
    )
    version: int = attrs.field(default=1, validator=_count(1, 2**62))
    shipping_speed: ShippingSpeed = attrs.field(
        default=ShippingSpeed.STANDARD, converter=ShippingSpeed
    )
    cancel_requests: tuple[CancelRequest, ...] = attrs.field(
        default=(), converter=_tuple_of_cancel_requests
    )
    change_requests: tuple[ChangeRequest, ...] = attrs.field(
        default=(), converter=_tuple_of_change_requests
    )
    problem_reports: tuple[ProblemReport, ...] = attrs.field(
        default=(), converter=_tuple_of_problem_reports
    )
    refunds: tuple[Refund, ...] = attrs.field(default=(), converter=_tuple_of_refunds)
    returns: tuple[ReturnRequest, ...] = attrs.field(default=(), converter=_tuple_of_returns)

    def __attrs_post_init__(self) -> None:
        self._check_currencies()
        self._check_references()
        self._check_requests()
        self._check_refunds()
        self._check_ledgers()
        if self.returns:
            self._check_returns()

    def _check_ledgers(self) -> None:
        # From the counts, without the LineLedger objects of `ledgers`: every order built
        # (and every imported one) is checked, few are shown.
        processing, shipped, delivered = packed_units(self.packages)
        for index, line in enumerate(self.lines):
            number = line.line_no
            problems = _ledger_problems(
                line.quantity,
                line.cancelled,
                processing.get(number, 0),
                shipped.get(number, 0),
                delivered.get(number, 0),
                line.returned,
            )
            if problems:
                raise LedgerError(f"lines[{index}]", problems[0])

    def _check_returns(self) -> None:
        ids = [r.return_id for r in self.returns]
        if len(set(ids)) != len(ids):
            raise InvalidFieldError("returns", "two entries share a return_id")
        rmas = [p.rma_number for r in self.returns for p in r.packages]
        if len(set(rmas)) != len(rmas):
            raise InvalidFieldError("returns", "two packages share an RMA number")
        lines = {line.line_no: line for line in self.lines}
        for index, request in enumerate(self.returns):
            for package in request.packages:
                if package.preview.total.currency != self.currency:
                    raise CurrencyMismatchError(
                        f"returns[{index}]", "is not in the order's currency"
                    )
                for units in package.units:
                    if units.line_no not in lines:
                        raise InvalidFieldError(f"returns[{index}]", "names an unknown line")
        for line_no, ledger in self.ledgers.items():
            parts = ledger.returned + self.units_in_open_returns(line_no)
            if parts > ledger.delivered:
                raise LedgerError(
                    f"returns.units[{line_no}]",
                    f"returned ({ledger.returned}) + in open returns exceed delivered "
                    f"({ledger.delivered})",
                )
            cores = self.refunded_cores.get(line_no, 0) + self.units_in_open_returns(
                line_no, ReturnKind.CORE
            )
            if cores > lines[line_no].quantity:
                raise LedgerError(
                    f"returns.cores[{line_no}]",
                    f"core deposits refunded or in open core returns exceed ordered "
                    f"({lines[line_no].quantity})",
                )

    def units_in_open_returns(self, line_no: int, kind: ReturnKind | None = None) -> int:
        """Units of a line on their way back, not yet inspected.

        With ``kind=None``, the parts themselves (returns and warranty claims); with
        ``ReturnKind.CORE``, old parts sent back for their core deposit.
        """
        total = 0
        for request in self.returns:
            is_core = request.kind is ReturnKind.CORE
            if is_core != (kind is ReturnKind.CORE):
                continue
            for package in request.packages:
                if package.state.before_inspection:
                    total += package.units_of(line_no)
        return total

    @property
    def refunded_cores(self) -> dict[int, int]:
        """How many units of each line have had their core deposit refunded (with their
        price, or alone by a core return), from each refund's ``core_units``."""
        counts: dict[int, int] = {}
        for refund in self.refunds:
            for units in refund.core_units:
                counts[units.line_no] = counts.get(units.line_no, 0) + units.quantity
        return counts

    def return_request(self, return_id: str) -> ReturnRequest:
        """The return with this id; ``KeyError`` if there is none."""
        for request in self.returns:
            if request.return_id == return_id:
                return request
        raise KeyError(return_id)

    def rma(self, rma_number: str) -> tuple[ReturnRequest, int]:
        """The return holding RMA package ``rma_number`` and the package's index in it;
        ``KeyError`` if there is none."""
        for request in self.returns:
            for index, package in enumerate(request.packages):
                if package.rma_number == rma_number:
                    return request, index
        raise KeyError(rma_number)

    def _check_currencies(self) -> None:
        currency = self.currency
        for field, money in (("shipping", self.shipping), ("tax", self.tax)):
            if money.currency != currency:
                raise _mismatch(field, money, currency)
        # The field paths are written only for a mismatch: this runs for every order built.
        for index, line in enumerate(self.lines):
            if line.unit_price.currency != currency:
                raise _mismatch(f"lines[{index}].unit_price", line.unit_price, currency)
            if line.core_charge.currency != currency:
                raise _mismatch(f"lines[{index}].core_charge", line.core_charge, currency)

    def _check_references(self) -> None:
        numbers = [line.line_no for line in self.lines]
        if len(set(numbers)) != len(numbers):
            raise InvalidFieldError("lines", "two lines share a line_no")
        known = set(numbers)
        ids = [p.package_id for p in self.packages]
        if len(set(ids)) != len(ids):
            raise InvalidFieldError("packages", "two packages share a package_id")
        for index, package in enumerate(self.packages):
            for units in package.units:
                if units.line_no not in known:
                    raise InvalidFieldError(
                        f"packages[{index}].units", f"names unknown line {units.line_no}"
                    )
            if package.shipped_at is not None and package.shipped_at < self.placed_at:
                raise LedgerError(f"packages[{index}].shipped_at", "is before the order was placed")

    def _check_requests(self) -> None:
        if not (
            self.cancel_requests or self.change_requests or self.problem_reports or self.refunds
        ):
            return  # most orders, and every new one: nothing to check
        lines = {line.line_no for line in self.lines}
        packages = {p.package_id for p in self.packages}
        groups: list[tuple[str, tuple[Any, ...], str]] = [
            ("cancel_requests", self.cancel_requests, "request_id"),
            ("change_requests", self.change_requests, "request_id"),
            ("problem_reports", self.problem_reports, "report_id"),
            ("refunds", self.refunds, "refund_id"),
        ]
        for field, items, id_name in groups:
            ids = [getattr(item, id_name) for item in items]
            if len(set(ids)) != len(ids):
                raise InvalidFieldError(field, f"two entries share a {id_name}")
        for index, request in enumerate(self.cancel_requests):
            if request.line_no not in lines:
                raise InvalidFieldError(f"cancel_requests[{index}]", "names an unknown line")
            # A confirmed request's units have left their package; it may even be gone.
            if request.open and request.package_id not in packages:
                raise InvalidFieldError(f"cancel_requests[{index}]", "names an unknown package")

    def _check_refunds(self) -> None:
        if not self.refunds:
            return
        paid = {
            "parts": self._line_sums[0],
            "cores": self._line_sums[1],
            "shipping": self.shipping.amount,
            "tax": self.tax.amount,
        }
        for part, limit in paid.items():
            refunded = sum((getattr(r, part).amount for r in self.refunds), Decimal(0))
            if refunded > limit:
                raise LedgerError(f"refunds.{part}", f"refunds exceed what was paid ({limit})")
        ordered = {line.line_no: line.quantity for line in self.lines}
        for line_no, count in self.refunded_units.items():
            if count > ordered.get(line_no, 0):
                raise LedgerError(
                    f"refunds.units[{line_no}]",
                    f"{count} units refunded of {ordered.get(line_no, 0)}",
                )
        for line_no, count in self.refunded_cores.items():
            if count > ordered.get(line_no, 0):
                raise LedgerError(
                    f"refunds.core_units[{line_no}]",
                    f"{count} core deposits refunded of {ordered.get(line_no, 0)}",
                )
        for index, refund in enumerate(self.refunds):
            if refund.total.currency != self.currency:
                raise CurrencyMismatchError(f"refunds[{index}]", "is not in the order's currency")

    @property
    def refunded_units(self) -> dict[int, int]:
        """How many units of each line have had their price refunded."""
        counts: dict[int, int] = {}
        for refund in self.refunds:
            for units in refund.units:
                counts[units.line_no] = counts.get(units.line_no, 0) + units.quantity
        return counts

    def changed(self, **fields: Any) -> Order:
        """A copy with ``fields`` replaced and the version one higher, validated again.

        Every change goes through here, so that :meth:`OrderRepository.save` can tell a
        lost race from a win by the version alone (SECURITY G2).
        """
        return attrs.evolve(self, version=self.version + 1, **fields)

    def package(self, package_id: str) -> Package:
        """The package with this id; ``KeyError`` if there is none."""
        for package in self.packages:
            if package.package_id == package_id:
                return package
        raise KeyError(package_id)

    def line(self, line_no: int) -> OrderLine:
        """The line numbered ``line_no``; ``KeyError`` if there is none."""
        for line in self.lines:
            if line.line_no == line_no:
                return line
        raise KeyError(line_no)

    @functools.cached_property
    def ledgers(self) -> Mapping[int, LineLedger]:
        """Where every unit of every line is, by line number (:func:`ledgers_of`)."""
        return ledgers_of(self.lines, self.packages)

    def ledger(self, line_no: int) -> LineLedger:
        """Where every unit of line ``line_no`` is; ``KeyError`` if there is no such line."""
        return self.ledgers[line_no]

    @property
    def status(self) -> OrderState:
        """The order's status, derived from the ledgers of its lines (:func:`state_of`)."""
        return state_of(self.ledgers.values())

    @functools.cached_property
    def _line_sums(self) -> tuple[Decimal, Decimal]:
        return line_sums(self.lines)

    @property
    def subtotal(self) -> Money:
        """Price of all ordered lines, cores, shipping and tax excluded."""
        return Money._trusted(self._line_sums[0], self.currency)

    @property
    def core_charges(self) -> Money:
        """Refundable core deposits over all ordered units."""
        return Money._trusted(self._line_sums[1], self.currency)

    @property
    def total(self) -> Money:
        """What the shopper paid: lines, cores, shipping and tax."""
        parts, cores = self._line_sums
        return Money._trusted(parts + cores + self.shipping.amount + self.tax.amount, self.currency)
