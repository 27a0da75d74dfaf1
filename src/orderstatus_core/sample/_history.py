"""The generated order history: shoppers, places, packages and tracking numbers over three years."""

from __future__ import annotations

import functools
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from orderstatus_core.sample._catalogue import CataloguePart, money, sample_catalogue

__all__ = ["DEFAULT_UNTIL", "HISTORY", "RECENT_AGES", "generate_orders"]

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


_MASK64 = (1 << 64) - 1
# 12! - 1, a prime: multiplying by it permutes the 900,000,000 nine-digit order numbers.
_NUMBER_STEP = 479_001_599
_NUMBER_SPACE = 900_000_000
_DAY = 86_400
_HOUR = 3_600


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

# The cars the shoppers drive: (make, model, engines, first and last model year), each a
# vehicle a US parts store sells for.
_MODELS: tuple[tuple[str, str, tuple[str, ...], int, int], ...] = (
    ("Ford", "F-150", ("5.0L V8", "3.5L V6 EcoBoost", "2.7L V6 EcoBoost"), 2015, 2023),
    ("Ford", "Escape", ("1.5L L3 Turbo", "2.0L L4 Turbo"), 2017, 2022),
    ("Chevrolet", "Silverado 1500", ("5.3L V8", "6.2L V8", "4.3L V6"), 2014, 2023),
    ("Chevrolet", "Equinox", ("1.5L L4 Turbo",), 2018, 2024),
    ("GMC", "Sierra 1500", ("5.3L V8",), 2014, 2023),
    ("Ram", "1500", ("5.7L V8 Hemi", "3.6L V6"), 2013, 2023),
    ("Dodge", "Grand Caravan", ("3.6L V6",), 2011, 2020),
    ("Jeep", "Wrangler", ("3.6L V6", "2.0L L4 Turbo"), 2012, 2023),
    ("Jeep", "Grand Cherokee", ("3.6L V6", "5.7L V8"), 2014, 2022),
    ("Toyota", "Camry", ("2.5L L4", "3.5L V6"), 2012, 2024),
    ("Toyota", "RAV4", ("2.5L L4",), 2013, 2024),
    ("Toyota", "Tacoma", ("3.5L V6", "2.7L L4"), 2016, 2023),
    ("Honda", "Civic", ("2.0L L4", "1.5L L4 Turbo"), 2016, 2024),
    ("Honda", "Accord", ("1.5L L4 Turbo", "2.0L L4 Turbo"), 2018, 2024),
    ("Honda", "CR-V", ("2.4L L4", "1.5L L4 Turbo"), 2015, 2024),
    ("Nissan", "Altima", ("2.5L L4",), 2013, 2023),
    ("Hyundai", "Elantra", ("2.0L L4",), 2017, 2023),
    ("Kia", "Sorento", ("2.4L L4", "3.3L V6"), 2016, 2020),
    ("Subaru", "Forester", ("2.5L H4",), 2014, 2024),
    ("Mazda", "CX-5", ("2.5L L4",), 2016, 2024),
    ("Volkswagen", "Jetta", ("1.4L L4 Turbo", "1.8L L4 Turbo"), 2015, 2021),
    ("BMW", "330i", ("2.0L L4 Turbo",), 2017, 2023),
    ("Volvo", "XC60", ("2.0L L4 Turbo",), 2018, 2024),
)  # fmt: skip
#: Every year, make, model and engine of ``_MODELS``, as an order line's ``vehicle``.
_FLEET: tuple[dict[str, Any], ...] = tuple(
    {"year": year, "make": make, "model": model, "engine": engine}
    for make, model, engines, first, last in _MODELS
    for engine in engines
    for year in range(first, last + 1)
)
# A line is bought for one of its shopper's cars when its 7-bit roll is below this: 51 of
# 128, two lines in five (the rest are bought for no vehicle in particular).
_FOR_A_CAR = 51
# Salts of the vehicle draws: hashes of their own, so that every other field of a seed's
# orders is what it was before lines had vehicles.
_GARAGE_SALT = 0x6A09E667F3BCC908
_LINE_SALT = 0xBB67AE8584CAA73B

_LINE_COUNTS = (1,) * 40 + (2,) * 25 + (3,) * 15 + (4,) * 10 + (5,) * 6 + (6,) * 4
_QUANTITIES = (1,) * 12 + (2,) * 5 + (4,) * 2 + (3,)


def _mix(value: int) -> int:
    """SplitMix64: a fast, well-spread 64-bit hash of ``value``."""
    value = (value + 0x9E3779B97F4A7C15) & _MASK64
    value = ((value ^ (value >> 30)) * 0xBF58476D1CE4E5B9) & _MASK64
    value = ((value ^ (value >> 27)) * 0x94D049BB133111EB) & _MASK64
    return value ^ (value >> 31)


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


@functools.lru_cache(maxsize=1 << 16)
def _garage(seed: int, index: int) -> tuple[dict[str, Any], ...]:
    """The one or two cars (three shoppers in ten have two) of one customer, from a hash
    of ``(seed, index)`` as :func:`_customer` draws the rest of them."""
    bits = _mix(_mix(seed ^ _GARAGE_SALT) ^ index)
    bits, first = divmod(bits, len(_FLEET))
    bits, second = divmod(bits, len(_FLEET))
    if bits % 10 < 3 and second != first:
        return _FLEET[first], _FLEET[second]
    return (_FLEET[first],)


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

    Each shopper drives one or two cars, and two lines in five are bought for one of them
    (the line's ``vehicle``: year, make, model and engine); the rest for no vehicle in
    particular. The vehicles are drawn from a stream of their own, so every other field
    is what the seed gave before lines had vehicles.

    Order numbers are nine digits and unique within one call (``count`` at most 900
    million). Memory use is constant; the orders are built lazily as they are consumed.
    The dictionaries a shopper's orders share (the address, the vehicles) are one object
    each: copy a record before changing it.
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
    line_stream = _mix(seed ^ _LINE_SALT)
    # The last orders are pulled forward to their RECENT_AGES; both sequences grow, so
    # the orders stay sorted, and a large sample (already that recent) is unchanged.
    floors = [end - int(age.total_seconds()) for age in RECENT_AGES]
    first_floored = count - len(floors)
    for i in range(count):
        placed = start + (i * span) // count + int(rand() * (span / max(count, 1)))
        # The recent orders keep every unit: a cancelled one would leave a sample with
        # nothing to cancel or return in that age (the draws happen all the same, so the
        # rest of the sample is what the seed always gave).
        floored = i >= first_floored
        if floored:
            placed = max(placed, floors[i - first_floored])
        # Squaring skews the choice: a few fleet shops order often, most shoppers rarely.
        who = int(shoppers * rand() ** 1.5)
        email, phone, address, tax_rate = _customer(seed, who)
        cars = _garage(seed, who)
        # 8 bits per line (at most 6 lines): 7 for "bought for a car?", 1 for which car.
        car_rolls = _mix(line_stream + i)
        number = f"{100_000_000 + (offset + i * _NUMBER_STEP) % _NUMBER_SPACE}"

        n_lines = _LINE_COUNTS[int(rand() * len(_LINE_COUNTS))]
        cancel_all = rand() < 0.004 and not floored
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
            car_rolls, car_roll = car_rolls >> 8, car_rolls & 0xFF
            if car_roll & 0x7F < _FOR_A_CAR:
                line["vehicle"] = cars[(car_roll >> 7) % len(cars)]
            subtotal += price * quantity
            cancelled = 0
            if cancel_all:
                cancelled = quantity
            elif rand() < 0.02 and not floored:
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
        record["shipping"] = money(shipping)
        record["tax"] = money(subtotal * tax_rate // 10_000)
        yield record


def _line_template(part: CataloguePart) -> tuple[dict[str, Any], dict[str, Any], int]:
    """The fields of a line that only depend on the part, before and after ``quantity``,
    and the part's price in cents."""
    record = part.line(0, 1)
    head = {key: record[key] for key in ("part_number", "brand", "category", "description")}
    tail = {key: value for key, value in record.items() if key not in head}
    del tail["line_no"], tail["quantity"]
    return head, tail, part.unit_price_cents
