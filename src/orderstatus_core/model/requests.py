"""What a guest asks of an order, and what the store decided: cancellations, changes,
problem reports, and the refunds they lead to.

All are values kept inside the :class:`~orderstatus_core.model.Order` aggregate, so that
one compare-and-set on the order's version guards a request and the state it depends on
(SECURITY G2): a cancel and a shipment of the same unit can never both succeed.
"""

from __future__ import annotations

import enum
import re
from datetime import datetime
from typing import Any

import attrs

from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.model._checks import count as _count
from orderstatus_core.model._checks import matching, short_id, utc
from orderstatus_core.model._checks import optional_utc as _optional_utc
from orderstatus_core.model._text import bounded_text, check_text, optional_bounded_text
from orderstatus_core.model.address import Address
from orderstatus_core.model.identifiers import PartNumber
from orderstatus_core.model.money import Money

__all__ = [
    "AddressChange",
    "CancelRequest",
    "CancelState",
    "Change",
    "ChangeRequest",
    "ChangeState",
    "LineRemoval",
    "PartSwap",
    "ProblemKind",
    "ProblemReport",
    "ProblemState",
    "QuantityChange",
    "Refund",
    "ReportedUnits",
    "Resolution",
    "ShippingSpeed",
    "SpeedChange",
]

MAX_NOTE = 500
MAX_REPORT_TEXT = 2000

_RMA_OR_REQUEST_ID = re.compile(r"[A-Za-z0-9_-]{1,40}")
_rma_or_request_id = matching(_RMA_OR_REQUEST_ID, "must be 1 to 40 letters, digits, - or _")


def _free_text(_instance: Any, attribute: Any, value: Any) -> None:
    # A report's text may be empty (the kind can say enough) and span lines, but is
    # never unbounded.
    check_text(attribute.name, value, MAX_REPORT_TEXT, allow_empty=True, multiline=True)


# --- cancellations ----------------------------------------------------------------------


class CancelState(enum.StrEnum):
    """Where a request to cancel units in warehouse processing stands."""

    REQUESTED = "requested"
    CONFIRMED = "confirmed"
    REFUSED = "refused"
    #: The package shipped before the warehouse decided: a return of these units is the
    #: store's fault (free label).
    SHIPPED_ANYWAY = "shipped_anyway"


@attrs.frozen
class CancelRequest:
    """A guest's cancel of units already in a package: the warehouse decides."""

    request_id: str = attrs.field(validator=short_id)
    line_no: int = attrs.field(validator=_count(1))
    quantity: int = attrs.field(validator=_count(1))
    package_id: str = attrs.field(validator=short_id)
    requested_at: datetime = attrs.field(converter=utc)
    state: CancelState = CancelState.REQUESTED
    decided_at: datetime | None = attrs.field(default=None, converter=_optional_utc)
    note: str | None = attrs.field(default=None, validator=optional_bounded_text(MAX_NOTE))

    @property
    def open(self) -> bool:
        """True while the warehouse has not decided."""
        return self.state is CancelState.REQUESTED


# --- change requests ----------------------------------------------------------------------


class ShippingSpeed(enum.StrEnum):
    """How fast the remaining units travel."""

    STANDARD = "standard"
    EXPEDITED = "expedited"
    OVERNIGHT = "overnight"


@attrs.frozen
class AddressChange:
    """Ship to another address."""

    address: Address = attrs.field(validator=attrs.validators.instance_of(Address))


@attrs.frozen
class SpeedChange:
    """Ship faster or slower."""

    speed: ShippingSpeed = attrs.field(converter=ShippingSpeed)


@attrs.frozen
class QuantityChange:
    """Fewer units of one line (never more: that is a new order)."""

    line_no: int = attrs.field(validator=_count(1))
    quantity: int = attrs.field(validator=_count(1))


@attrs.frozen
class LineRemoval:
    """Take one line off the order."""

    line_no: int = attrs.field(validator=_count(1))


@attrs.frozen
class PartSwap:
    """Replace a line's part by another part number (the store sets any price change)."""

    line_no: int = attrs.field(validator=_count(1))
    part_number: PartNumber = attrs.field(validator=attrs.validators.instance_of(PartNumber))


#: The typed changes a guest may ask for (a tagged union in JSON, by ``kind``).
Change = AddressChange | SpeedChange | QuantityChange | LineRemoval | PartSwap


class ChangeState(enum.StrEnum):
    """requested, then approved or declined; an approved change is then applied."""

    REQUESTED = "requested"
    APPROVED = "approved"
    DECLINED = "declined"
    APPLIED = "applied"


@attrs.frozen
class ChangeRequest:
    """One typed change and its decision."""

    request_id: str = attrs.field(validator=short_id)
    change: Change
    requested_at: datetime = attrs.field(converter=utc)
    state: ChangeState = ChangeState.REQUESTED
    decided_at: datetime | None = attrs.field(default=None, converter=_optional_utc)
    applied_at: datetime | None = attrs.field(default=None, converter=_optional_utc)
    note: str | None = attrs.field(default=None, validator=optional_bounded_text(MAX_NOTE))


# --- problem reports ---------------------------------------------------------------------


class ProblemKind(enum.StrEnum):
    """What went wrong (DOMAIN.md section 1)."""

    MISSING_ITEM = "missing_item"
    DAMAGED_IN_TRANSIT = "damaged_in_transit"
    WRONG_PART = "wrong_part"
    DEFECTIVE = "defective"
    NOT_DELIVERED = "not_delivered"
    TRACKING_NOT_UPDATING = "tracking_not_updating"
    OTHER = "other"


class Resolution(enum.StrEnum):
    """How the store settled a report."""

    REFUND = "refund"
    REPLACEMENT = "replacement"
    RESHIP = "reship"
    CARRIER_CLAIM = "carrier_claim"


class ProblemState(enum.StrEnum):
    """open, then resolved or rejected."""

    OPEN = "open"
    RESOLVED = "resolved"
    REJECTED = "rejected"


@attrs.frozen
class ReportedUnits:
    """Units of one line a report is about."""

    line_no: int = attrs.field(validator=_count(1))
    quantity: int = attrs.field(validator=_count(1))


@attrs.frozen
class ProblemReport:
    """A guest's report of a problem, with timestamps for service-level tracking."""

    report_id: str = attrs.field(validator=short_id)
    kind: ProblemKind = attrs.field(converter=ProblemKind)
    units: tuple[ReportedUnits, ...]
    text: str = attrs.field(validator=_free_text)
    reported_at: datetime = attrs.field(converter=utc)
    package_id: str | None = attrs.field(
        default=None, validator=attrs.validators.optional(short_id)
    )
    state: ProblemState = ProblemState.OPEN
    resolution: Resolution | None = None
    resolved_at: datetime | None = attrs.field(default=None, converter=_optional_utc)
    note: str | None = attrs.field(default=None, validator=optional_bounded_text(MAX_NOTE))


# --- refunds ------------------------------------------------------------------------------


@attrs.frozen
class Refund:
    """Money the store owes back, by part; the payment itself is the store's business.

    ``reason`` is a stable code: ``cancellation``, ``change``, ``problem_report``,
    ``return``, ``core`` or ``warranty``; ``source_id`` names the request, report or RMA
    package it settles. A return's refund may carry deductions (``label_fee``,
    ``restocking_fee``) and go to store credit (``to_store_credit``) instead of the payment.
    """

    refund_id: str = attrs.field(validator=short_id)
    at: datetime = attrs.field(converter=utc)
    reason: str = attrs.field(validator=bounded_text(32))
    source_id: str = attrs.field(validator=_rma_or_request_id)
    parts: Money
    cores: Money
    shipping: Money
    tax: Money
    #: The units whose price this refund pays back (none for a shipping-only settlement).
    units: tuple[ReportedUnits, ...] = ()
    #: Units whose core deposit this refund pays back: with their price, or alone (a core
    #: return). Refunds recorded before version 0.2 leave it empty.
    core_units: tuple[ReportedUnits, ...] = ()
    label_fee: Money | None = None
    restocking_fee: Money | None = None
    to_store_credit: bool = False

    def __attrs_post_init__(self) -> None:
        if self.deductions.amount > (self.parts + self.cores + self.shipping + self.tax).amount:
            raise InvalidFieldError("label_fee", "deductions exceed what is refunded")

    @property
    def deductions(self) -> Money:
        """The label fee and restocking fee taken off."""
        nothing = Money.zero(self.parts.currency)
        return (self.label_fee or nothing) + (self.restocking_fee or nothing)

    @property
    def total(self) -> Money:
        """Everything owed back, after deductions."""
        return self.parts + self.cores + self.shipping + self.tax - self.deductions
