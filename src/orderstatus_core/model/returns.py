"""Returns: what a shopper sends back, where it goes, and what the store decided.

A :class:`ReturnRequest` is one shopper's return of some units of an order, for one reason.
Routing splits it into :class:`RmaPackage` values, one per destination, each with its own
RMA number, papers (a label or the shopper's own tracking number) and state::

    requested -> awaiting_shipment -> in_transit -> received -> inspected -> refunded
                                                                          -> credited
                                                                          -> replaced
                                                             -> rejected  (nothing accepted)

A package may be received before it is seen in transit (the carrier's scan is optional),
and receiving never refunds by itself: the refund follows inspection (DOMAIN.md section 3).
Which step may start from which state is one table, kept beside the steps that consult it:
:data:`~orderstatus_core.policies.returns.RMA_TRANSITIONS`.

Like the other requests, returns live inside the :class:`~orderstatus_core.model.Order`
aggregate, so one compare-and-set guards a return and the units it takes (SECURITY G2):
two returns racing for the same delivered unit can never both succeed.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import attrs

from orderstatus_core.errors import InvalidFieldError, NegativeQuantityError
from orderstatus_core.model._checks import count as _count
from orderstatus_core.model._checks import matching, one_entry_per_line, short_id, utc
from orderstatus_core.model._checks import optional_utc as _optional_utc
from orderstatus_core.model._text import bounded_text, optional_bounded_text
from orderstatus_core.model.address import Address
from orderstatus_core.model.money import Money

__all__ = [
    "Fault",
    "RefundMethod",
    "RefundPreview",
    "ReturnDestination",
    "ReturnKind",
    "ReturnReason",
    "ReturnRequest",
    "ReturnUnits",
    "RmaPackage",
    "RmaState",
    "ShipBy",
]

_RMA = re.compile(r"[A-Z0-9][A-Z0-9-]{2,39}")
_CODE = re.compile(r"[a-z0-9_-]{1,32}")
#: A return holds at most this many RMA packages (one per destination).
MAX_RMA_PACKAGES = 20

_rma = matching(_RMA, "must be 3 to 40 capital letters, digits and -")
_code = matching(_CODE, "must be 1 to 32 of a-z, 0-9, _ and -")


def _money(_instance: Any, attribute: Any, value: Any) -> None:
    if not isinstance(value, Money):
        raise InvalidFieldError(attribute.name, f"must be Money, not {type(value).__name__}")
    if value.is_negative:
        raise NegativeQuantityError(attribute.name, "must not be negative")


def _optional_money(instance: Any, attribute: Any, value: Any) -> None:
    if value is not None:
        _money(instance, attribute, value)


class Fault(enum.StrEnum):
    """Who pays for a return (DOMAIN.md section 3)."""

    #: Original shipping refunded, label free.
    STORE = "store"
    #: Original shipping kept, a generated label's cost deducted, restocking fee by policy.
    SHOPPER = "shopper"


class ReturnReason(enum.StrEnum):
    """Why units come back; the reason decides who pays (:attr:`fault`)."""

    WRONG_PART_SHIPPED = "wrong_part_shipped"
    DAMAGED_IN_SHIPPING = "damaged_in_shipping"
    DEFECTIVE = "defective"
    MISSING_PIECES = "missing_pieces"
    #: The shopper cancelled, but the package left before the warehouse could stop it.
    CANCELLED_BUT_SHIPPED = "cancelled_but_shipped"
    ORDERED_WRONG_PART = "ordered_wrong_part"
    NO_LONGER_NEEDED = "no_longer_needed"
    DOES_NOT_FIT = "does_not_fit"
    #: The old part of a core exchange, sent back in the new part's box.
    CORE = "core"

    @property
    def fault(self) -> Fault:
        """Whose fault the return is."""
        return Fault.STORE if self in _STORE_FAULT else Fault.SHOPPER


_STORE_FAULT = frozenset(
    {
        ReturnReason.WRONG_PART_SHIPPED,
        ReturnReason.DAMAGED_IN_SHIPPING,
        ReturnReason.DEFECTIVE,
        ReturnReason.MISSING_PIECES,
        ReturnReason.CANCELLED_BUT_SHIPPED,
    }
)


class ReturnKind(enum.StrEnum):
    """What sort of return: a return within the window, a core, or a warranty claim."""

    RETURN = "return"
    CORE = "core"
    WARRANTY = "warranty"


class RefundMethod(enum.StrEnum):
    """Where the money goes."""

    ORIGINAL_PAYMENT = "original_payment"
    STORE_CREDIT = "store_credit"


class ShipBy(enum.StrEnum):
    """How the package travels: a label the store generates, or the shopper's own shipment
    (they enter its tracking number)."""

    LABEL = "label"
    OWN_TRACKING = "own_tracking"


class RmaState(enum.StrEnum):
    """Where one RMA package stands (see the module docstring for the order)."""

    REQUESTED = "requested"
    AWAITING_SHIPMENT = "awaiting_shipment"
    IN_TRANSIT = "in_transit"
    RECEIVED = "received"
    INSPECTED = "inspected"
    REFUNDED = "refunded"
    CREDITED = "credited"
    REPLACED = "replaced"
    REJECTED = "rejected"

    @property
    def open(self) -> bool:
        """True until the package is settled (refunded, credited, replaced or rejected)."""
        return self not in _SETTLED

    @property
    def before_inspection(self) -> bool:
        """True while its units are on their way back: they count as in an open return."""
        return self in _BEFORE_INSPECTION


_SETTLED = frozenset({RmaState.REFUNDED, RmaState.CREDITED, RmaState.REPLACED, RmaState.REJECTED})
_BEFORE_INSPECTION = frozenset(
    {RmaState.REQUESTED, RmaState.AWAITING_SHIPMENT, RmaState.IN_TRANSIT, RmaState.RECEIVED}
)


@attrs.frozen
class ReturnDestination:
    """Where returned units go: a warehouse or a supplier, chosen by routing.

    ``code`` is stable and machine-readable (``"main-warehouse"``, ``"supplier-acme"``);
    units routed to the same code travel in one package.
    """

    code: str = attrs.field(validator=_code)
    name: str = attrs.field(validator=bounded_text(100))
    address: Address = attrs.field(validator=attrs.validators.instance_of(Address))


@attrs.frozen
class ReturnUnits:
    """Units of one line in an RMA package; ``accepted`` is set by inspection.

    ``deposits`` is how many of these units' core deposits the package's preview pays
    back: the return claimed them when it was requested, so no other return may (a deposit
    goes back once, to the return that claimed it first). It is ``None`` on returns
    recorded before returns kept their claims: those claim nothing ahead and are reckoned
    again at settlement.
    """

    line_no: int = attrs.field(validator=_count(1))
    quantity: int = attrs.field(validator=_count(1))
    accepted: int | None = attrs.field(default=None, validator=attrs.validators.optional(_count(0)))
    deposits: int | None = attrs.field(default=None, validator=attrs.validators.optional(_count(0)))

    def __attrs_post_init__(self) -> None:
        if self.accepted is not None and self.accepted > self.quantity:
            raise InvalidFieldError("accepted", f"{self.accepted} accepted of {self.quantity}")
        if self.deposits is not None and self.deposits > self.quantity:
            raise InvalidFieldError("deposits", f"{self.deposits} deposits of {self.quantity}")


@attrs.frozen
class RefundPreview:
    """What a return would pay back, shown before the shopper commits, by part.

    ``label_deduction`` is the quoted cost of a generated label when the shopper's choice
    is the reason; ``restocking_fee`` the store's fee on the parts' price. :attr:`total`
    never goes below zero: the deductions are capped by what they are taken from.
    """

    parts: Money = attrs.field(validator=_money)
    cores: Money = attrs.field(validator=_money)
    shipping: Money = attrs.field(validator=_money)
    tax: Money = attrs.field(validator=_money)
    label_deduction: Money = attrs.field(validator=_money)
    restocking_fee: Money = attrs.field(validator=_money)

    def __attrs_post_init__(self) -> None:
        if self.gross < self.label_deduction + self.restocking_fee:
            raise InvalidFieldError("label_deduction", "deductions exceed what is refunded")

    @property
    def gross(self) -> Money:
        """Before deductions: parts, cores, shipping and tax."""
        return self.parts + self.cores + self.shipping + self.tax

    @property
    def total(self) -> Money:
        """What the shopper gets back."""
        return self.gross - self.label_deduction - self.restocking_fee

    @classmethod
    def sum(cls, previews: Iterable[RefundPreview]) -> RefundPreview:
        """The part-by-part sum of one or more previews in one currency."""
        first, *rest = previews
        for preview in rest:
            first = first + preview
        return first

    def __add__(self, other: RefundPreview) -> RefundPreview:
        return RefundPreview(
            self.parts + other.parts,
            self.cores + other.cores,
            self.shipping + other.shipping,
            self.tax + other.tax,
            self.label_deduction + other.label_deduction,
            self.restocking_fee + other.restocking_fee,
        )


def _tuple_of_units(value: Iterable[ReturnUnits]) -> tuple[ReturnUnits, ...]:
    return tuple(value)


@attrs.frozen
class RmaPackage:
    """One box going back to one destination, under one RMA number.

    ``preview`` is this package's share of the request's refund preview; the refund issued
    after inspection equals it when every unit is accepted. ``label_quote`` is what the
    preview deducted for a generated label (``None`` when no label is deducted);
    ``label_cost`` what the label finally cost, once made. ``tracking_number`` is the
    label's or the shopper's.
    """

    rma_number: str = attrs.field(validator=_rma)
    destination: ReturnDestination = attrs.field(
        validator=attrs.validators.instance_of(ReturnDestination)
    )
    units: tuple[ReturnUnits, ...] = attrs.field(
        converter=_tuple_of_units, validator=one_entry_per_line("an RMA package")
    )
    preview: RefundPreview = attrs.field(validator=attrs.validators.instance_of(RefundPreview))
    state: RmaState = attrs.field(default=RmaState.AWAITING_SHIPMENT, converter=RmaState)
    label_quote: Money | None = attrs.field(default=None, validator=_optional_money)
    label_cost: Money | None = attrs.field(default=None, validator=_optional_money)
    label_made_at: datetime | None = attrs.field(default=None, converter=_optional_utc)
    carrier: str | None = attrs.field(default=None, validator=optional_bounded_text(32))
    tracking_number: str | None = attrs.field(default=None, validator=optional_bounded_text(40))
    shipped_at: datetime | None = attrs.field(default=None, converter=_optional_utc)
    received_at: datetime | None = attrs.field(default=None, converter=_optional_utc)
    inspected_at: datetime | None = attrs.field(default=None, converter=_optional_utc)
    settled_at: datetime | None = attrs.field(default=None, converter=_optional_utc)
    refund_id: str | None = attrs.field(default=None, validator=attrs.validators.optional(short_id))
    note: str | None = attrs.field(default=None, validator=optional_bounded_text(500))

    def units_of(self, line_no: int) -> int:
        """Units of line ``line_no`` in this package (0 if none)."""
        return sum(u.quantity for u in self.units if u.line_no == line_no)

    @property
    def accepted(self) -> dict[int, int]:
        """Accepted units by line (empty before inspection)."""
        return {u.line_no: u.accepted for u in self.units if u.accepted}

    @property
    def fully_accepted(self) -> bool:
        """Inspection accepted every unit."""
        return all(u.accepted == u.quantity for u in self.units)


def _tuple_of_packages(value: Iterable[RmaPackage]) -> tuple[RmaPackage, ...]:
    return tuple(value)


def _packages(_instance: Any, attribute: Any, value: tuple[RmaPackage, ...]) -> None:
    if not 1 <= len(value) <= MAX_RMA_PACKAGES:
        raise InvalidFieldError(attribute.name, f"a return has 1 to {MAX_RMA_PACKAGES} packages")
    numbers = [p.rma_number for p in value]
    if len(set(numbers)) != len(numbers):
        raise InvalidFieldError(attribute.name, "two packages share an RMA number")


@attrs.frozen
class ReturnRequest:
    """A shopper's return of units of one order, for one reason, split by destination.

    ``ship_by`` says whether the store makes labels or the shopper ships on their own;
    ``refund_method`` whether the money goes back to the original payment or to store
    credit; ``language`` is the language of the papers (``"en"``, ``"fi"``).
    """

    return_id: str = attrs.field(validator=short_id)
    kind: ReturnKind = attrs.field(converter=ReturnKind)
    reason: ReturnReason = attrs.field(converter=ReturnReason)
    ship_by: ShipBy = attrs.field(converter=ShipBy)
    refund_method: RefundMethod = attrs.field(converter=RefundMethod)
    requested_at: datetime = attrs.field(converter=utc)
    packages: tuple[RmaPackage, ...] = attrs.field(
        converter=_tuple_of_packages, validator=_packages
    )
    language: str = attrs.field(default="en", validator=bounded_text(8))
    comment: str | None = attrs.field(default=None, validator=optional_bounded_text(500))

    @property
    def preview(self) -> RefundPreview:
        """The whole request's refund preview: the sum over its packages."""
        return RefundPreview.sum(p.preview for p in self.packages)

    def package(self, rma_number: str) -> RmaPackage:
        """The package with this RMA number; ``KeyError`` if there is none."""
        for package in self.packages:
            if package.rma_number == rma_number:
                return package
        raise KeyError(rma_number)
