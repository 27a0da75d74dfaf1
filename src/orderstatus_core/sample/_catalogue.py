"""The sample catalogue: about 2,000 parts in 46 leaf categories, built from two small tables."""

from __future__ import annotations

import functools
import random
from typing import Any

import attrs

__all__ = ["CataloguePart", "money", "sample_catalogue"]


@attrs.frozen
class CataloguePart:
    """One part of the sample catalogue, with the prices a line of it carries.

    Amounts are in cents (USD) so the generator can add them without ``Decimal``.
    """

    part_number: str
    brand: str
    category: tuple[str, ...]
    description: str
    unit_price_cents: int
    core_charge_cents: int
    returnable: bool
    warranty_months: int

    def line(self, line_no: int, quantity: int) -> dict[str, Any]:
        """A JSON-ready order line of ``quantity`` units of this part."""
        record: dict[str, Any] = {
            "line_no": line_no,
            "part_number": self.part_number,
            "brand": self.brand,
            "category": list(self.category),
            "description": self.description,
            "quantity": quantity,
            "unit_price": money(self.unit_price_cents),
            "core_charge": money(self.core_charge_cents),
        }
        if not self.returnable:
            record["returnable"] = False
        if self.warranty_months:
            record["warranty_months"] = self.warranty_months
        return record


# --- the catalogue ---------------------------------------------------------------------
#
# One leaf category a row: path | part-number prefix and style | positions | price range in
# dollars | core charge range in dollars or "-" | warranty months | brands.
# Styles: "dash" BP-1234, "plain" OF1234, "dotted" TB.265, "spaced" 0 986 049 114 (Bosch).
# A shopper types part numbers with other spacing; the search ignores it.
_LEAF_TABLE = """
Brake & Wheel Hub › Brake Pad | BP dash | FR | 24-89 | - | 24 | Wagner, Akebono, Centric, Raybestos
Brake & Wheel Hub › Rotor | RT dash | FR | 29-139 | - | 12 | Centric, Brembo, Raybestos, ACDelco
Brake & Wheel Hub › Caliper | CC dash | SIDES | 39-159 | 15-45 | 12 | Cardone, Centric, ACDelco
Brake & Wheel Hub › Brake Hose | BH plain | SIDES | 9-39 | - | 12 | Dorman, Centric, Raybestos
Brake & Wheel Hub › Wheel Bearing & Hub | WH plain | FR | 49-189 | - | 36 | Timken, Moog, SKF
Brake & Wheel Hub › Brake Shoe | BS dash | REAR | 19-59 | - | 12 | Wagner, Raybestos
Brake & Wheel Hub › Master Cylinder | MC plain | - | 49-179 | 20-40 | 12 | Cardone, Dorman
Engine › Filter › Oil Filter | OF plain | - | 4-19 | - | 0 | Wix, Mann-Filter, Fram, Mahle
Engine › Filter › Air Filter | AF plain | - | 9-59 | - | 0 | Wix, Mann-Filter, K&N, Fram
Engine › Ignition › Spark Plug | SP plain | - | 3-17 | - | 0 | NGK, Denso, Bosch, Champion
Engine › Ignition › Ignition Coil | IC plain | - | 29-119 | - | 24 | Denso, Delphi, Standard Motor
Engine › Gasket › Valve Cover Gasket | VS dotted | - | 12-59 | - | 0 | Fel-Pro, Victor Reinz, Mahle
Engine › Gasket › Head Gasket | HS dotted | - | 29-149 | - | 0 | Fel-Pro, Victor Reinz, Mahle
Engine › Timing Belt Kit | TB dotted | - | 79-299 | - | 24 | Gates, Aisin, Continental
Engine › Water Pump | WP dash | - | 29-149 | 5-15 | 24 | Aisin, Gates, Airtex
Engine › Motor Mount | MM plain | SIDES | 19-89 | - | 12 | Anchor, Westar, DEA
Charging & Starting › Alternator | AL spaced | - | 119-389 | 25-75 | 24 | Bosch, Denso, Remy
Charging & Starting › Starter Motor | SM spaced | - | 89-299 | 20-60 | 24 | Bosch, Denso, Remy
Charging & Starting › Battery | BT dash | - | 119-279 | 18-22 | 36 | Interstate, Bosch, Exide
Cooling System › Radiator | RD plain | - | 79-349 | - | 12 | Spectra Premium, Denso, TYC
Cooling System › Thermostat | TH dash | - | 9-69 | - | 12 | Stant, Gates, Motorad
Cooling System › Radiator Hose | RH plain | - | 12-49 | - | 12 | Gates, Dayco, Continental
Cooling System › Cooling Fan Assembly | CF plain | - | 69-249 | - | 12 | Dorman, TYC, Four Seasons
Suspension › Strut Assembly | ST plain | SIDES | 49-219 | - | 24 | Monroe, KYB, Bilstein
Suspension › Shock Absorber | SA plain | FR | 24-129 | - | 24 | Monroe, KYB, Bilstein, Gabriel
Suspension › Control Arm | CA dash | SIDES | 39-149 | - | 24 | Moog, Mevotech, Dorman
Suspension › Ball Joint | K plain | FR | 14-69 | - | 24 | Moog, Mevotech, TRW
Suspension › Sway Bar Link | SL plain | SIDES | 9-49 | - | 24 | Moog, Mevotech, Delphi
Suspension › Coil Spring | CS plain | FR | 49-179 | - | 12 | Moog, Eibach, Monroe
Steering › Tie Rod End | ES plain | SIDES | 12-59 | - | 24 | Moog, Mevotech, TRW
Steering › Power Steering Pump | PS dash | - | 59-229 | 15-50 | 12 | Cardone, ACDelco, Atsco
Steering › Rack and Pinion | RP dash | - | 119-449 | 50-150 | 12 | Cardone, Maval, Atsco
Fuel & Air › Fuel Pump | FP plain | - | 59-299 | - | 24 | Bosch, Delphi, Airtex, Denso
Fuel & Air › Fuel Injector | FJ plain | - | 29-149 | 10-30 | 12 | Bosch, Delphi, Standard Motor
Fuel & Air › Mass Air Flow Sensor | MF plain | - | 49-219 | - | 12 | Bosch, Denso, Hitachi
Exhaust & Emission › Oxygen Sensor | OS spaced | - | 24-149 | - | 24 | Bosch, Denso, NTK
Exhaust & Emission › Catalytic Converter | CT plain | - | 149-899 | - | 60 | Walker, MagnaFlow
Exhaust & Emission › Muffler | MU plain | - | 39-199 | - | 24 | Walker, MagnaFlow, Flowmaster
Body & Lamp Assembly › Headlamp Assembly | HL dash | LR | 69-399 | - | 12 | TYC, Depo, Dorman
Body & Lamp Assembly › Mirror | MR plain | LR | 29-159 | - | 12 | Dorman, TYC, Kool Vue
Body & Lamp Assembly › Wiper Blade | WB dash | WIPER | 8-29 | - | 0 | Bosch, Trico, Valeo
Drivetrain › CV Axle | CV dash | SIDES | 49-179 | 10-25 | 12 | GSP, Cardone, TrakMotive
Drivetrain › Clutch Kit | CK dotted | - | 119-499 | - | 12 | Sachs, LuK, Exedy
Heat & Air Conditioning › Compressor | AC dash | - | 179-549 | 25-80 | 12 | Denso, Four Seasons, UAC
Heat & Air Conditioning › Blower Motor | BM plain | - | 39-149 | - | 12 | TYC, Dorman
Heat & Air Conditioning › Cabin Air Filter | CAF plain | - | 9-39 | - | 0 | Bosch, Fram
"""

# What a part of each prefix is; the first of each row names the leaf's first part.
_KIND_TABLE = """
BP: ThermoQuiet Ceramic Brake Pad Set; Semi-Metallic Brake Pad Set; ProACT Ceramic Pads
RT: Premium Brake Rotor; Vented Disc Brake Rotor; Coated Brake Rotor
CC: Remanufactured Caliper w/ Bracket; Loaded Caliper w/ Pads; New Caliper
BH: Hydraulic Brake Hose; Brake Hydraulic Hose
WH: Wheel Bearing & Hub Assembly; Hub Assembly w/ ABS Sensor
BS: Bonded Brake Shoe Set; Riveted Brake Shoes
MC: Remanufactured Brake Master Cylinder; New Master Cylinder
OF: Spin-On Oil Filter; Cartridge Oil Filter
AF: Panel Air Filter; Round Air Filter
SP: Laser Iridium Spark Plug; Double Platinum Spark Plug; Copper Core Spark Plug
IC: Direct Ignition Coil; Coil-on-Plug Ignition Coil
VS: Valve Cover Gasket Set; Valve Cover Gasket w/ Grommets
HS: Multi-Layer Steel Head Gasket; Cylinder Head Gasket Set
TB: Timing Belt Kit w/ Water Pump; Timing Belt Component Kit
WP: Engine Water Pump; Water Pump w/ Gasket
MM: Engine Mount; Transmission Mount
AL: Remanufactured Alternator, 130 Amp; New Alternator, 150 Amp; Reman Alternator, 105 Amp
SM: Remanufactured Starter; New Starter Motor
BT: AGM Battery, Group 48; Flooded Battery, Group 24F; AGM Battery, Group 94R
RD: Aluminum Radiator; Radiator w/ Transmission Cooler
TH: Thermostat w/ Gasket; Thermostat Housing Assembly
RH: Molded Radiator Hose; Upper Radiator Hose; Lower Radiator Hose
CF: Radiator Cooling Fan Assembly; Dual Fan Assembly
ST: Quick-Strut Complete Assembly; Excel-G Strut; Gas Charged Strut
SA: Gas-Magnum Shock Absorber; OESpectrum Shock; Monotube Shock Absorber
CA: Control Arm w/ Ball Joint; Lower Control Arm; Upper Control Arm
K: Problem Solver Ball Joint; Lower Ball Joint; Upper Ball Joint
SL: Sway Bar End Link; Stabilizer Bar Link Kit
CS: Variable Rate Coil Spring Set; Coil Spring
ES: Outer Tie Rod End; Inner Tie Rod End
PS: Remanufactured Power Steering Pump; New Power Steering Pump
RP: Remanufactured Rack and Pinion Assembly; Complete Rack and Pinion Unit
FP: Fuel Pump Module Assembly; Electric Fuel Pump w/ Strainer
FJ: Fuel Injector; Remanufactured Fuel Injector
MF: Mass Air Flow Sensor; MAF Sensor w/ Housing
OS: Upstream Oxygen Sensor; Downstream Oxygen Sensor; Air/Fuel Ratio Sensor
CT: Direct-Fit Catalytic Converter; Universal Catalytic Converter
MU: Quiet-Flow Muffler; Stainless Steel Muffler
HL: Headlamp Assembly; Halogen Headlight Assembly; LED Headlamp Assembly
MR: Power Door Mirror, Heated; Manual Door Mirror
WB: ICON Wiper Blade; Beam Wiper Blade; Conventional Wiper Blade
CV: New CV Axle Shaft Assembly; Remanufactured CV Axle
CK: Clutch Kit w/ Flywheel; Clutch Kit
AC: New A/C Compressor w/ Clutch; Remanufactured A/C Compressor
BM: HVAC Blower Motor w/ Wheel; Blower Motor
CAF: Cabin Air Filter; Activated Charcoal Cabin Filter
"""

_POSITIONS: dict[str, tuple[str, ...]] = {
    "-": ("",),
    "FR": ("Front", "Rear"),
    "REAR": ("Rear",),
    "LR": ("Left", "Right"),
    "SIDES": ("Front Left", "Front Right", "Rear Left", "Rear Right"),
    "WIPER": ("16 in.", "18 in.", "20 in.", "22 in.", "24 in.", "26 in."),
}


@attrs.frozen
class _Leaf:
    path: tuple[str, ...]
    prefix: str
    style: str
    positions: tuple[str, ...]
    price: tuple[int, int]
    core: tuple[int, int] | None
    warranty: int
    brands: tuple[str, ...]
    kinds: tuple[str, ...]


def _range(text: str) -> tuple[int, int]:
    low, _dash, high = text.partition("-")
    return int(low), int(high)


def _leaves() -> list[_Leaf]:
    kinds = {}
    for row in _KIND_TABLE.strip().splitlines():
        prefix, _colon, names = row.partition(":")
        kinds[prefix] = tuple(name.strip() for name in names.split(";"))
    leaves = []
    for row in _LEAF_TABLE.strip().splitlines():
        path, code, positions, price, core, warranty, brands = (c.strip() for c in row.split("|"))
        prefix, style = code.split()
        leaves.append(
            _Leaf(
                path=tuple(segment.strip() for segment in path.split("›")),
                prefix=prefix,
                style=style,
                positions=_POSITIONS[positions],
                price=_range(price),
                core=None if core == "-" else _range(core),
                warranty=int(warranty),
                brands=tuple(brand.strip() for brand in brands.split(",")),
                kinds=kinds[prefix],
            )
        )
    return leaves


_PARTS_PER_LEAF = 45  # 46 leaves x 45 parts: 2,070 part numbers


def _part_number(prefix: str, style: str, serial: int, leaf: int) -> str:
    if style == "dash":
        return f"{prefix}-{serial:04d}"
    if style == "dotted":
        return f"{prefix}.{serial:03d}"
    if style == "spaced":
        # Bosch style; the leaf's number keeps the leaves' serials apart.
        digits = f"0986{leaf:02d}{serial:04d}"
        return f"{digits[0]} {digits[1:4]} {digits[4:7]} {digits[7:]}"
    return f"{prefix}{serial:04d}"


@functools.cache
def sample_catalogue() -> tuple[CataloguePart, ...]:
    """The sample catalogue: 2,070 parts across 46 leaf categories, always the same.

    The first brake pad is ``BP-1234`` (Wagner, front), the part the demo searches for.
    Part numbers are unique by their canonical key (case, spaces, dashes and dots ignored).
    """
    rng = random.Random(20260101)  # noqa: S311 -- sample data, not a secret
    parts: list[CataloguePart] = []
    for number, leaf in enumerate(_leaves()):
        serials = rng.sample(range(100, 9999), _PARTS_PER_LEAF)
        if leaf.prefix == "BP":
            serials[0] = 1234
        for index, serial in enumerate(serials):
            brand = leaf.brands[0] if index == 0 else rng.choice(leaf.brands)
            kind = leaf.kinds[0] if index == 0 else rng.choice(leaf.kinds)
            position = leaf.positions[0] if index == 0 else rng.choice(leaf.positions)
            low, high = leaf.price
            cents = rng.randrange(low * 100, high * 100, 10) + 9
            core_cents = rng.randrange(leaf.core[0], leaf.core[1] + 1) * 100 if leaf.core else 0
            parts.append(
                CataloguePart(
                    part_number=_part_number(leaf.prefix, leaf.style, serial, number),
                    brand=brand,
                    category=leaf.path,
                    description=f"{kind}; {position}" if position else kind,
                    unit_price_cents=cents,
                    core_charge_cents=core_cents,
                    # Special-order and electrical parts are sometimes No Return.
                    returnable=index == 0 or rng.random() >= 0.03,
                    warranty_months=leaf.warranty,
                )
            )
    return tuple(parts)


def money(cents: int) -> str:
    """An amount in cents as the import format writes it: ``"12.49 USD"``."""
    return f"{cents // 100}.{cents % 100:02d} USD"
