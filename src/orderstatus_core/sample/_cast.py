"""The demo's hand-written cast: Jane Doe, three other shoppers, and their orders.

Every order that ``orderstatus demo``, the example storefront and the tests walk through is
written here once, with the same few helpers, so that Jane's address or a part cannot
differ between the orders the library ships and the ones the demo adds.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta
from typing import Any, Final

__all__ = ["DEMO_CAR", "DEMO_EMAIL", "DEMO_PHONE", "demo_orders", "demo_walkthrough_orders"]

#: The demo shopper's email as stored, and her phone number as she types it.
DEMO_EMAIL: Final = "Jane.Doe@example.com"
DEMO_PHONE: Final = "(415) 273-9164"
#: Her car: year, make, model and engine, as the lines bought for it carry them (the demo
#: puts it in her garage with a nickname and a VIN).
DEMO_CAR: Final = (2016, "Subaru", "Outback", "2.5L H4")


def _ago(now: datetime, days: float, hours: float = 0) -> str:
    """The import format's timestamp of ``days`` and ``hours`` before ``now``, to the second."""
    moment = now - timedelta(days=days, hours=hours)
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _shoppers() -> tuple[dict[str, Any], ...]:
    """Jane, Matti, Carlos and Priya: contact and address, new dictionaries on every call
    (a caller may change the records it is given)."""
    jane = {
        "email": DEMO_EMAIL,
        "phone": "+14152739164",
        "shipping_address": {
            "name": "Jane Doe",
            "line1": "1187 Valencia St",
            "line2": "Apt 3",
            "city": "San Francisco",
            "region": "CA",
            "postal_code": "94110",
            "country": "US",
        },
    }
    matti = {
        "email": "matti.virtanen@example.fi",
        "phone": "+358401234567",
        "shipping_address": {
            "name": "Matti Virtanen",
            "line1": "Mannerheimintie 12 B 7",
            "city": "Helsinki",
            "postal_code": "00100",
            "country": "FI",
        },
    }
    carlos = {
        "email": "carlos.ruiz@example.net",
        "phone": "+13057841290",
        "shipping_address": {
            "name": "Carlos Ruiz",
            "line1": "2750 SW 27th Ave",
            "city": "Miami",
            "region": "FL",
            "postal_code": "33133",
            "country": "US",
        },
    }
    priya = {
        "email": "priya.shah@example.org",
        "shipping_address": {
            "name": "Priya Shah",
            "line1": "405 W Superior St",
            "city": "Chicago",
            "region": "IL",
            "postal_code": "60654",
            "country": "US",
        },
    }
    return jane, matti, carlos, priya


def _line(
    line_no: int,
    part: tuple[str, str, str, str],
    quantity: int,
    price: str,
    core: str = "0.00",
    **extra: Any,
) -> dict[str, Any]:
    part_number, brand, category, description = part
    record: dict[str, Any] = {
        "line_no": line_no,
        "part_number": part_number,
        "brand": brand,
        "category": category.split(" › "),
        "description": description,
        "quantity": quantity,
        "unit_price": f"{price} USD",
        "core_charge": f"{core} USD",
    }
    record.update(extra)
    return record


def _for_the_car() -> dict[str, Any]:
    """An order line's ``vehicle``: Jane's car (a new dictionary on every call)."""
    year, make, model, engine = DEMO_CAR
    return {"year": year, "make": make, "model": model, "engine": engine}


def _package(
    package_id: str,
    warehouse: str,
    units: dict[int, int],
    shipment: tuple[str, str, str] | None = None,
    delivered_at: str | None = None,
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "package_id": package_id,
        "warehouse": warehouse,
        "units": [{"line_no": line_no, "quantity": q} for line_no, q in units.items()],
    }
    if shipment is not None:
        record["carrier"], record["tracking_number"], record["shipped_at"] = shipment
    if delivered_at is not None:
        record["delivered_at"] = delivered_at
    return record


def _order(
    number: str,
    placed_at: str,
    who: dict[str, Any],
    lines: list[dict[str, Any]],
    packages: list[dict[str, Any]],
    shipping: str,
    tax: str,
) -> dict[str, Any]:
    record: dict[str, Any] = {"number": number, "placed_at": placed_at, **who, "currency": "USD"}
    record["lines"] = lines
    if packages:
        record["packages"] = packages
    record["shipping"] = f"{shipping} USD"
    record["tax"] = f"{tax} USD"
    return record


_BRAKE = "Brake & Wheel Hub"
_REAR_PADS = ("BP-0923", "Akebono", f"{_BRAKE} › Brake Pad", "ProACT Ceramic Pads; Rear")
_HUB = ("WH513274", "Timken", f"{_BRAKE} › Wheel Bearing & Hub", "Wheel Bearing & Hub Assembly")
_FRONT_PADS = ("BP-1234", "Wagner", f"{_BRAKE} › Brake Pad", "ThermoQuiet Ceramic Brake Pad Set")
_ROTOR = ("RT-5580", "Centric", f"{_BRAKE} › Rotor", "Premium Brake Rotor; Front")
_CALIPER = ("CC-4471", "Cardone", f"{_BRAKE} › Caliper", "Remanufactured Caliper; Front Left")
_ALTERNATOR = (
    "0 986 049 114",
    "Bosch",
    "Charging & Starting › Alternator",
    "Remanufactured Alternator, 130 Amp",
)
_WIPER = ("WB-2614", "Bosch", "Body & Lamp Assembly › Wiper Blade", "ICON Wiper Blade; 26 in.")
_PLUG = ("ILZKR7B11", "NGK", "Engine › Ignition › Spark Plug", "Laser Iridium Spark Plug")
_CABIN = ("CAF1743", "Mann-Filter", "Heat & Air Conditioning › Cabin Air Filter", "Cabin Filter")
_OIL = ("OF5151", "Wix", "Engine › Filter › Oil Filter", "Spin-On Oil Filter")
_AIR = ("AF2417", "Mann-Filter", "Engine › Filter › Air Filter", "Panel Air Filter")
_STARTER = ("0 986 023 250", "Bosch", "Charging & Starting › Starter Motor", "Reman Starter")
_STRUT_L = ("ST172385", "Monroe", "Suspension › Strut Assembly", "Quick-Strut; Front Left")
_STRUT_R = ("ST172386", "Monroe", "Suspension › Strut Assembly", "Quick-Strut; Front Right")
_JOINT = ("K80673", "Moog", "Suspension › Ball Joint", "Problem Solver Ball Joint; Front")
_TIMING = ("TB.265", "Gates", "Engine › Timing Belt Kit", "Timing Belt Kit w/ Water Pump")
_THERMOSTAT = ("TH-7241", "Stant", "Cooling System › Thermostat", "Thermostat w/ Gasket")
_OE_THERMOSTAT = ("TH-3320", "Stant", "Cooling System › Thermostat", "OE Type Thermostat; 195 F")
_UPPER_HOSE = ("RH71811", "Gates", "Cooling System › Radiator Hose", "Molded Coolant Hose; Upper")
_BELT = ("K060923", "Gates", "Engine › Serpentine Belt", "Micro-V Serpentine Belt")
_MOTOR_OIL = ("EO-5W30-5", "Mobil 1", "Engine › Motor Oil", "Full Synthetic 5W-30; 5 qt")


def demo_orders(now: datetime) -> list[dict[str, Any]]:
    """A small hand-written cast of orders, timed relative to ``now``, for the demo.

    Jane Doe (:data:`DEMO_EMAIL`, phone :data:`DEMO_PHONE`) has four orders:

    * ``298310447``, brakes delivered last year;
    * ``301442518``, brakes delivered six weeks ago in two packages (``BP-1234`` pads, a
      pair of rotors and a caliper with a core charge);
    * ``301977206``, two days old: an alternator (core charge) in warehouse processing,
      wipers and plugs shipped, and a cabin filter line cancelled;
    * ``302105733``, an oil-change order placed this morning.

    Three other shoppers have an order each. The records are in the import format.
    """

    at = functools.partial(_ago, now)
    jane, matti, carlos, priya = _shoppers()
    return [
        _order(
            "298310447",
            at(400),
            jane,
            [
                _line(1, _REAR_PADS, 1, "44.79"),
                _line(2, _HUB, 1, "118.49", warranty_months=36),
            ],
            [
                _package(
                    "298310447-1",
                    "Louisville, KY",
                    {1: 1, 2: 1},
                    ("UPS", "1Z999AA10123456784", at(399)),
                    at(396),
                ),
            ],
            "9.99",
            "13.72",
        ),
        _order(
            "301442518",
            at(45),
            jane,
            [
                _line(1, _FRONT_PADS, 1, "38.79", warranty_months=24),
                _line(2, _ROTOR, 2, "41.99", warranty_months=12),
                _line(3, _CALIPER, 1, "54.79", "30.00", warranty_months=12),
            ],
            [
                _package(
                    "301442518-1",
                    "Louisville, KY",
                    {1: 1, 2: 2},
                    ("UPS", "1ZA9430E0312345671", at(44, 6)),
                    at(41),
                ),
                _package(
                    "301442518-2",
                    "Reno, NV",
                    {3: 1},
                    ("USPS", "9400111899223197428490", at(43)),
                    at(39),
                ),
            ],
            "14.48",
            "15.39",
        ),
        _order(
            "301977206",
            at(2, 5),
            jane,
            [
                _line(1, _ALTERNATOR, 1, "168.79", "45.00", warranty_months=24),
                _line(2, _WIPER, 2, "24.99"),
                _line(3, _PLUG, 4, "12.49"),
                _line(4, _CABIN, 1, "21.99", cancelled=1),
            ],
            [
                _package(
                    "301977206-1", "Reno, NV", {2: 2, 3: 4}, ("FedEx", "794611111118", at(1, 2))
                ),
                _package("301977206-2", "Harrisburg, PA", {1: 1}),
            ],
            "18.97",
            "22.10",
        ),
        _order(
            "302105733",
            at(0, 3),
            jane,
            [_line(1, _OIL, 1, "8.49"), _line(2, _AIR, 1, "19.99")],
            [],
            "7.99",
            "2.45",
        ),
        _order(
            "301655092",
            at(20),
            matti,
            [_line(1, _STARTER, 1, "142.89", "35.00", warranty_months=24)],
            [
                _package(
                    "301655092-1",
                    "Harrisburg, PA",
                    {1: 1},
                    ("DHL", "1234567890", at(19)),
                    at(12),
                )
            ],
            "49.99",
            "0.00",
        ),
        _order(
            "301820664",
            at(6),
            carlos,
            [
                _line(1, _STRUT_L, 1, "139.99", warranty_months=24),
                _line(2, _STRUT_R, 1, "139.99", warranty_months=24),
                _line(3, _JOINT, 2, "34.79", warranty_months=24),
            ],
            [
                _package(
                    "301820664-1",
                    "Atlanta, GA",
                    {1: 1, 2: 1},
                    ("UPS", "1Z8Y7F210398765432", at(5)),
                    at(2),
                ),
                _package(
                    "301820664-2",
                    "Dallas, TX",
                    {3: 2},
                    ("USPS", "9405511899562143987210", at(4, 12)),
                ),
            ],
            "21.98",
            "24.09",
        ),
        _order(
            "302088815",
            at(0, 20),
            priya,
            [
                _line(1, _TIMING, 1, "189.79", warranty_months=24),
                _line(2, _THERMOSTAT, 1, "14.29", warranty_months=12),
            ],
            [_package("302088815-1", "Chicago, IL", {1: 1, 2: 1})],
            "9.99",
            "20.91",
        ),
    ]


def demo_walkthrough_orders(now: datetime) -> list[dict[str, Any]]:
    """Jane's two further orders that ``orderstatus demo`` adds to :func:`demo_orders` for
    its walkthrough, timed relative to ``now``:

    * ``302117468``, placed an hour ago and untouched by any warehouse (a thermostat and an
      upper hose, both bought for her car, :data:`DEMO_CAR`): the change request;
    * ``301990352``, delivered last week (a serpentine belt bought for her car that did
      not fit, and motor oil that is No Return): the return on the store's label.

    They stay out of :func:`demo_orders`, whose four orders of Jane's the example storefront
    and its tests count on.
    """
    at = functools.partial(_ago, now)
    jane = _shoppers()[0]
    return [
        _order(
            "302117468",
            at(0, 1),
            jane,
            [
                _line(1, _OE_THERMOSTAT, 1, "14.29", vehicle=_for_the_car()),
                _line(2, _UPPER_HOSE, 1, "22.49", vehicle=_for_the_car()),
            ],
            [],
            "9.99",
            "3.03",
        ),
        _order(
            "301990352",
            at(12),
            jane,
            [
                _line(1, _BELT, 1, "31.49", vehicle=_for_the_car()),
                _line(2, _MOTOR_OIL, 1, "28.99", returnable=False),
            ],
            [
                _package(
                    "301990352-1",
                    "Louisville, KY",
                    {1: 1, 2: 1},
                    ("UPS", "1Z999AA10123456784", at(11)),
                    at(8),
                )
            ],
            "9.99",
            "5.21",
        ),
    ]
