"""Realistic sample orders, as JSON-ready dictionaries in the import format.

Used by ``orderstatus sample`` (benchmark data), ``orderstatus demo`` and the tests::

    from orderstatus_core.sample import generate_orders

    for record in generate_orders(1000, customers=300, seed=7):
        out.write(json.dumps(record) + "\\n")

Everything here is deterministic: the same arguments give the same orders, byte for byte,
on every machine and run. The generator streams (constant memory, whatever ``count``) and
is fast enough to write a million orders for a benchmark; it builds plain dictionaries from
pre-built string pools and never constructs model objects. Every record it yields is valid
for :data:`orderstatus_core.serialization.converter` (the tests structure thousands of them
into :class:`~orderstatus_core.model.Order`).

The catalogue (:func:`sample_catalogue`) is a fixed list of about 2,000 parts in 46 leaf
categories of a two- and three-level tree, with brands, descriptions, prices, core charges
and warranties. :func:`demo_orders` adds a small hand-written cast (Jane Doe and friends)
that ``orderstatus demo`` and the example storefront walk through.
"""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import attrs

__all__ = [
    "DEFAULT_UNTIL",
    "DEMO_EMAIL",
    "DEMO_PHONE",
    "RECENT_AGES",
    "CataloguePart",
    "demo_orders",
    "generate_orders",
    "sample_catalogue",
]

#: The instant the generated order history ends at unless ``until`` says otherwise.
#: A fixed date, so that a seed always gives the same file.
DEFAULT_UNTIL: Final = datetime(2026, 11, 1, tzinfo=UTC)

#: How far back the generated history reaches.
HISTORY: Final = timedelta(days=3 * 365)

#: The newest orders of every sample are at least this recent, oldest first, so that a
#: sample ending today has orders to cancel (placed in the last hours, not yet shipped),
#: orders delivered inside a 30-day return window (10 and 20 days old) and past it (45).
RECENT_AGES: Final = (
    timedelta(days=45),
    timedelta(days=20),
    timedelta(days=10),
    timedelta(days=4),
    timedelta(days=1),
    timedelta(hours=2),
    timedelta(minutes=30),
)

#: The demo shopper's email as stored, and her phone number as she types it.
DEMO_EMAIL: Final = "Jane.Doe@example.com"
DEMO_PHONE: Final = "(415) 273-9164"

_MASK64 = (1 << 64) - 1
# 12! - 1, a prime: multiplying by it permutes the 900,000,000 nine-digit order numbers.
_NUMBER_STEP = 479_001_599
_NUMBER_SPACE = 900_000_000
_DAY = 86_400
_HOUR = 3_600


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
            "unit_price": _money(self.unit_price_cents),
            "core_charge": _money(self.core_charge_cents),
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


# --- people and places -------------------------------------------------------------------

# (as written, as it goes into an email address)
_FIRST_NAMES: tuple[tuple[str, str], ...] = tuple(
    (name, ascii_name)
    for name, ascii_name in (
        ("James", "james"), ("Mary", "mary"), ("Robert", "robert"), ("Patricia", "patricia"),
        ("John", "john"), ("Jennifer", "jennifer"), ("Michael", "michael"), ("Linda", "linda"),
        ("David", "david"), ("Elizabeth", "elizabeth"), ("William", "william"),
        ("Barbara", "barbara"),
        ("Richard", "richard"), ("Susan", "susan"), ("Joseph", "joseph"), ("Jessica", "jessica"),
        ("Thomas", "thomas"), ("Sarah", "sarah"), ("Chris", "chris"), ("Karen", "karen"),
        ("Daniel", "daniel"), ("Lisa", "lisa"), ("Matthew", "matthew"), ("Nancy", "nancy"),
        ("Anthony", "anthony"), ("Betty", "betty"), ("Mark", "mark"), ("Sandra", "sandra"),
        ("Steven", "steven"), ("Ashley", "ashley"), ("Paul", "paul"), ("Emily", "emily"),
        ("Andrew", "andrew"), ("Donna", "donna"), ("Joshua", "joshua"), ("Michelle", "michelle"),
        ("Kevin", "kevin"), ("Carol", "carol"), ("Brian", "brian"), ("Amanda", "amanda"),
        ("José", "jose"), ("María", "maria"), ("Zoë", "zoe"), ("Chloé", "chloe"),
        ("Matti", "matti"), ("Aino", "aino"), ("Björn", "bjorn"), ("Søren", "soren"),
        ("Wei", "wei"), ("Mei", "mei"), ("Hiroshi", "hiroshi"), ("Yuki", "yuki"),
        ("Priya", "priya"), ("Arjun", "arjun"), ("Fatima", "fatima"), ("Omar", "omar"),
        ("Kwame", "kwame"), ("Amara", "amara"), ("Dmitri", "dmitri"), ("Olga", "olga"),
        ("Liam", "liam"), ("Noah", "noah"), ("Olivia", "olivia"), ("Emma", "emma"),
    )
)  # fmt: skip

_LAST_NAMES: tuple[tuple[str, str], ...] = (
    ("Smith", "smith"), ("Johnson", "johnson"), ("Williams", "williams"), ("Brown", "brown"),
    ("Jones", "jones"), ("Garcia", "garcia"), ("Miller", "miller"), ("Davis", "davis"),
    ("Rodriguez", "rodriguez"), ("Martinez", "martinez"), ("Hernandez", "hernandez"),
    ("Lopez", "lopez"), ("Gonzalez", "gonzalez"), ("Wilson", "wilson"), ("Anderson", "anderson"),
    ("Thomas", "thomas"), ("Taylor", "taylor"), ("Moore", "moore"), ("Jackson", "jackson"),
    ("Martin", "martin"), ("Lee", "lee"), ("Perez", "perez"), ("Thompson", "thompson"),
    ("White", "white"), ("Harris", "harris"), ("Sanchez", "sanchez"), ("Clark", "clark"),
    ("Ramirez", "ramirez"), ("Lewis", "lewis"), ("Robinson", "robinson"), ("Walker", "walker"),
    ("Young", "young"), ("Allen", "allen"), ("King", "king"), ("Wright", "wright"),
    ("Scott", "scott"), ("Torres", "torres"), ("Nguyen", "nguyen"), ("Hill", "hill"),
    ("Flores", "flores"), ("Green", "green"), ("Adams", "adams"), ("Nelson", "nelson"),
    ("Baker", "baker"), ("Hall", "hall"), ("Rivera", "rivera"), ("Campbell", "campbell"),
    ("Mitchell", "mitchell"), ("Carter", "carter"), ("Roberts", "roberts"), ("O'Brien", "obrien"),
    ("Müller", "mueller"), ("Virtanen", "virtanen"), ("Korhonen", "korhonen"),
    ("Núñez", "nunez"), ("Kowalski", "kowalski"), ("Nakamura", "nakamura"), ("Chen", "chen"),
    ("Patel", "patel"), ("Okafor", "okafor"), ("Dubois", "dubois"), ("Rossi", "rossi"),
    ("Ivanova", "ivanova"), ("Andersson", "andersson"),
)  # fmt: skip

_STREETS = (
    "Maple", "Oak", "Pine", "Cedar", "Elm", "Washington", "Lake", "Hill", "Park", "Main",
    "Sunset", "Lincoln", "Jackson", "Highland", "Ridge", "Valley", "Meadow", "Forest",
    "Church", "Spring", "River", "Willow", "Mill", "Franklin", "Madison", "Walnut",
    "Chestnut", "Cherry", "Dogwood", "Magnolia", "Sycamore", "Adams", "Jefferson", "Center",
)  # fmt: skip
_STREET_KINDS = ("St", "Ave", "Rd", "Blvd", "Dr", "Ln", "Ct", "Way", "Pl", "Ter")
_UNITS = ("Apt 1A", "Apt 2B", "Unit 4", "Suite 210", "Apt 12", "# 305", "Apt 3C", "Unit 7")

# (city, state, ZIP prefix, area codes, sales tax in basis points)
_CITIES: tuple[tuple[str, str, str, tuple[str, ...], int], ...] = (
    ("New York", "NY", "100", ("212", "646", "917"), 888),
    ("Brooklyn", "NY", "112", ("718", "347"), 888),
    ("San Francisco", "CA", "941", ("415", "628"), 863),
    ("Los Angeles", "CA", "900", ("213", "323", "310"), 950),
    ("San Diego", "CA", "921", ("619", "858"), 775),
    ("Chicago", "IL", "606", ("312", "773"), 1025),
    ("Houston", "TX", "770", ("713", "832"), 825),
    ("Dallas", "TX", "752", ("214", "469"), 825),
    ("Austin", "TX", "787", ("512", "737"), 825),
    ("Phoenix", "AZ", "850", ("602", "480"), 860),
    ("Philadelphia", "PA", "191", ("215", "267"), 800),
    ("Seattle", "WA", "981", ("206", "425"), 1025),
    ("Portland", "OR", "972", ("503", "971"), 0),
    ("Denver", "CO", "802", ("303", "720"), 881),
    ("Boston", "MA", "021", ("617", "857"), 625),
    ("Atlanta", "GA", "303", ("404", "678"), 890),
    ("Miami", "FL", "331", ("305", "786"), 700),
    ("Orlando", "FL", "328", ("407", "321"), 650),
    ("Minneapolis", "MN", "554", ("612",), 903),
    ("Detroit", "MI", "482", ("313",), 600),
    ("Columbus", "OH", "432", ("614",), 750),
    ("Nashville", "TN", "372", ("615",), 925),
    ("Charlotte", "NC", "282", ("704", "980"), 725),
    ("Las Vegas", "NV", "891", ("702",), 838),
    ("Salt Lake City", "UT", "841", ("801",), 775),
    ("Kansas City", "MO", "641", ("816",), 885),
    ("St. Louis", "MO", "631", ("314",), 917),
    ("Pittsburgh", "PA", "152", ("412",), 700),
    ("Milwaukee", "WI", "532", ("414",), 550),
    ("Albuquerque", "NM", "871", ("505",), 788),
    ("Boise", "ID", "837", ("208",), 600),
    ("Anchorage", "AK", "995", ("907",), 0),
    ("Honolulu", "HI", "968", ("808",), 450),
    ("Omaha", "NE", "681", ("402",), 700),
    ("Richmond", "VA", "232", ("804",), 600),
    ("Raleigh", "NC", "276", ("919",), 725),
    ("Tucson", "AZ", "857", ("520",), 870),
    ("Spokane", "WA", "992", ("509",), 900),
    ("Madison", "WI", "537", ("608",), 550),
    ("Burlington", "VT", "054", ("802",), 700),
)  # fmt: skip

_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com", "example.us")

# Phone exchanges: 200-999 without N11 service codes and the 555 fiction range.
_EXCHANGES = tuple(f"{n}" for n in range(200, 1000) if n % 100 != 11 and n != 555)

_WAREHOUSES = (
    "Reno, NV",
    "Louisville, KY",
    "Harrisburg, PA",
    "Dallas, TX",
    "Atlanta, GA",
    "Ontario, CA",
    "Chicago, IL",
)
_UPS_SHIPPERS = ("999AA1", "A9430E", "V7E562", "0R4781", "X1W336", "8Y7F21", "F5R910")

_LINE_COUNTS = (1,) * 40 + (2,) * 25 + (3,) * 15 + (4,) * 10 + (5,) * 6 + (6,) * 4
_QUANTITIES = (1,) * 12 + (2,) * 5 + (4,) * 2 + (3,)


def _mix(value: int) -> int:
    """SplitMix64: a fast, well-spread 64-bit hash of ``value``."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


def _money(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d} USD"


@functools.lru_cache(maxsize=4096)
def _date(day: int) -> str:
    return time.strftime("%Y-%m-%dT", time.gmtime(day * _DAY))


def _timestamp(seconds: int) -> str:
    """ISO 8601 in UTC with ``Z``; the date part is cached per day (most of the cost)."""
    day, rest = divmod(seconds, _DAY)
    hour, rest = divmod(rest, _HOUR)
    minute, second = divmod(rest, 60)
    return f"{_date(day)}{hour:02d}:{minute:02d}:{second:02d}Z"


@functools.lru_cache(maxsize=1 << 16)
def _customer(seed: int, index: int) -> tuple[str, str | None, dict[str, str], int]:
    """``(email, phone or None, shipping address, tax rate in basis points)`` of one customer.

    Computed from a hash of ``(seed, index)``: the same customer on every order of theirs,
    without keeping every customer in memory.
    """
    bits = _mix(_mix(seed) ^ index)
    more = _mix(bits)
    bits, first_at = divmod(bits, len(_FIRST_NAMES))
    bits, last_at = divmod(bits, len(_LAST_NAMES))
    bits, city_at = divmod(bits, len(_CITIES))
    bits, street_at = divmod(bits, len(_STREETS))
    bits, kind_at = divmod(bits, len(_STREET_KINDS))
    bits, house = divmod(bits, 9899)
    bits, style = divmod(bits, 4)
    bits, domain_at = divmod(bits, len(_DOMAINS))
    more, exchange_at = divmod(more, len(_EXCHANGES))
    more, subscriber = divmod(more, 10_000)
    more, area_at = divmod(more, 6)
    more, zip_tail = divmod(more, 100)
    more, unit_at = divmod(more, len(_UNITS) * 5)
    more, phone_roll = divmod(more, 10)
    first, first_ascii = _FIRST_NAMES[first_at]
    last, last_ascii = _LAST_NAMES[last_at]
    city, state, zip_prefix, areas, tax = _CITIES[city_at]
    local = (
        f"{first_ascii}.{last_ascii}",
        f"{first_ascii[0]}{last_ascii}",
        f"{first_ascii}_{last_ascii}",
        f"{last_ascii}.{first_ascii}",
    )[style]
    email = f"{local}{index}@{_DOMAINS[domain_at]}"
    # Eight customers in ten give a phone number; every one is a valid US number.
    phone = (
        f"+1{areas[area_at % len(areas)]}{_EXCHANGES[exchange_at]}{subscriber:04d}"
        if phone_roll < 8
        else None
    )
    address = {
        "name": f"{first} {last}",
        "line1": f"{house + 100} {_STREETS[street_at]} {_STREET_KINDS[kind_at]}",
    }
    if unit_at < len(_UNITS):
        address["line2"] = _UNITS[unit_at]
    address["city"] = city
    address["region"] = state
    address["postal_code"] = f"{zip_prefix}{zip_tail:02d}"
    address["country"] = "US"
    return email, phone, address, tax


def _tracking(carrier: str, rng: random.Random, warehouse_at: int) -> str:
    number = int(rng.random() * 1e16)
    if carrier == "UPS":
        return f"1Z{_UPS_SHIPPERS[warehouse_at]}03{number % 100_000_000:08d}"
    if carrier == "USPS":
        return f"9400{number:016d}{warehouse_at}{number % 10}"
    return f"{number % 1_000_000_000_000:012d}"


def generate_orders(
    count: int,
    customers: int | None = None,
    seed: int = 0,
    *,
    until: datetime | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield ``count`` realistic orders as JSON-ready dictionaries in the import format.

    ``customers`` is how many distinct shoppers place them (default: one per three orders);
    some order often, most rarely. ``seed`` makes the sequence reproducible: the same
    arguments always give the same orders. The orders are placed over the three years
    before ``until`` (default :data:`DEFAULT_UNTIL`), oldest first, and their state follows
    their age at ``until``: old orders delivered (a few units cancelled or returned), recent
    ones shipped or in warehouse processing, the newest just placed. The newest orders are
    at least as recent as :data:`RECENT_AGES` says, whatever ``count``: with ``until`` set
    to today, a sample of 7 orders or more has orders to cancel and to return, and orders
    past the return window. (``orderstatus sample`` sets ``until`` to the start of today.)

    Order numbers are nine digits and unique within one call (``count`` at most 900
    million). Memory use is constant; the orders are built lazily as they are consumed.
    """
    if not isinstance(count, int) or count < 0 or count > _NUMBER_SPACE:
        raise ValueError(f"count must be between 0 and {_NUMBER_SPACE}")
    shoppers = max(1, count // 3) if customers is None else customers
    if not isinstance(shoppers, int) or shoppers < 1:
        raise ValueError("customers must be at least 1")
    end = int((until or DEFAULT_UNTIL).timestamp())
    return _generate(count, shoppers, seed, end)


def _generate(count: int, shoppers: int, seed: int, end: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(seed)  # noqa: S311 -- sample data, not a secret
    rand = rng.random
    catalogue = sample_catalogue()
    templates = [_line_template(part) for part in catalogue]
    n_parts = len(templates)
    n_warehouses = len(_WAREHOUSES)
    span = int(HISTORY.total_seconds())
    start = end - span
    offset = _mix(seed) % _NUMBER_SPACE
    # The last orders are pulled forward to their RECENT_AGES; both sequences grow, so
    # the orders stay sorted, and a large sample (already that recent) is unchanged.
    floors = [end - int(age.total_seconds()) for age in RECENT_AGES]
    first_floored = count - len(floors)
    for i in range(count):
        placed = start + (i * span) // count + int(rand() * (span / max(count, 1)))
        if i >= first_floored:
            placed = max(placed, floors[i - first_floored])
        # Squaring skews the choice: a few fleet shops order often, most shoppers rarely.
        who = int(shoppers * rand() ** 1.5)
        email, phone, address, tax_rate = _customer(seed, who)
        number = f"{100_000_000 + (offset + i * _NUMBER_STEP) % _NUMBER_SPACE}"

        n_lines = _LINE_COUNTS[int(rand() * len(_LINE_COUNTS))]
        cancel_all = rand() < 0.004
        lines: list[dict[str, Any]] = []
        # warehouse index -> [(line record, units to ship)]
        groups: dict[int, list[tuple[dict[str, Any], int]]] = {}
        home = int(rand() * n_warehouses)
        subtotal = 0
        seen: set[int] = set()
        for line_no in range(1, n_lines + 1):
            pick = int(rand() * n_parts)
            while pick in seen:
                pick = int(rand() * n_parts)
            seen.add(pick)
            head, tail, price = templates[pick]
            quantity = _QUANTITIES[int(rand() * len(_QUANTITIES))]
            line = {"line_no": line_no, **head, "quantity": quantity, **tail}
            subtotal += price * quantity
            cancelled = 0
            if cancel_all:
                cancelled = quantity
            elif rand() < 0.02:
                cancelled = quantity if quantity == 1 or rand() < 0.5 else 1
            if cancelled:
                line["cancelled"] = cancelled
            lines.append(line)
            if quantity > cancelled:
                warehouse = home if rand() < 0.7 else int(rand() * n_warehouses)
                groups.setdefault(warehouse, []).append((line, quantity - cancelled))

        packages: list[dict[str, Any]] = []
        for k, (warehouse, units) in enumerate(groups.items(), start=1):
            picked = placed + _HOUR + int(rand() * 6 * _HOUR)
            if picked > end:
                continue  # not yet in the warehouse: placed, awaiting processing
            package: dict[str, Any] = {
                "package_id": f"{number}-{k}",
                "warehouse": _WAREHOUSES[warehouse],
                "units": [{"line_no": line["line_no"], "quantity": q} for line, q in units],
            }
            shipped = picked + 2 * _HOUR + int(rand() * 40 * _HOUR)
            if shipped <= end:
                roll = rand()
                carrier = "UPS" if roll < 0.5 else "USPS" if roll < 0.75 else "FedEx"
                package["carrier"] = carrier
                package["tracking_number"] = _tracking(carrier, rng, warehouse)
                package["shipped_at"] = _timestamp(shipped)
                delivered = shipped + _DAY + int(rand() * 5 * _DAY)
                if delivered <= end:
                    package["delivered_at"] = _timestamp(delivered)
                    for line, _units in units:
                        if line.get("returnable", True) and rand() < 0.03:
                            line["returned"] = 1
            packages.append(package)

        shipping = 0 if cancel_all else 699 + 350 * (len(groups) - 1) + int(rand() * 1200)
        record: dict[str, Any] = {
            "number": number,
            "placed_at": _timestamp(placed),
            "email": email,
        }
        if phone is not None:
            record["phone"] = phone
        record["shipping_address"] = address
        record["currency"] = "USD"
        record["lines"] = lines
        if packages:
            record["packages"] = packages
        record["shipping"] = _money(shipping)
        record["tax"] = _money(subtotal * tax_rate // 10_000)
        yield record


def _line_template(part: CataloguePart) -> tuple[dict[str, Any], dict[str, Any], int]:
    """The fields of a line that only depend on the part, before and after ``quantity``,
    and the part's price in cents."""
    record = part.line(0, 1)
    head = {key: record[key] for key in ("part_number", "brand", "category", "description")}
    tail = {key: value for key, value in record.items() if key not in head}
    del tail["line_no"], tail["quantity"]
    return head, tail, part.unit_price_cents


# --- the demo cast -------------------------------------------------------------------------


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

    def at(days: float, hours: float = 0) -> str:
        moment = now - timedelta(days=days, hours=hours)
        return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")

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
