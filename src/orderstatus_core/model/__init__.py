"""The domain model: pure values and aggregates, no I/O, no clock, no randomness.

Imports only the standard library, attrs and :mod:`orderstatus_core.errors` (checked by
``tests/unit/test_layering.py``).
"""

from orderstatus_core.model.alerts import PartWatch
from orderstatus_core.model.discounts import DiscountCode
from orderstatus_core.model.identifiers import (
    CategoryPath,
    EmailAddress,
    PartNumber,
    PhoneNumber,
    canonical_order_number,
    category_segment_key,
    part_number_key,
)
from orderstatus_core.model.money import Money
from orderstatus_core.model.order import (
    Address,
    LineLedger,
    Order,
    OrderLine,
    OrderState,
    Package,
    PackedUnits,
)
from orderstatus_core.model.profile import GarageVehicle, SavedAddress, Vehicle
from orderstatus_core.model.restore import RESTORED_FIELDS, restorer
from orderstatus_core.model.session_check import SessionCheck

__all__ = [
    "RESTORED_FIELDS",
    "Address",
    "CategoryPath",
    "DiscountCode",
    "EmailAddress",
    "GarageVehicle",
    "LineLedger",
    "Money",
    "Order",
    "OrderLine",
    "OrderState",
    "Package",
    "PackedUnits",
    "PartNumber",
    "PartWatch",
    "PhoneNumber",
    "SavedAddress",
    "SessionCheck",
    "Vehicle",
    "canonical_order_number",
    "category_segment_key",
    "part_number_key",
    "restorer",
]
