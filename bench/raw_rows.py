"""A JSON Lines order record as the rows a hand-written loader writes: the raw side of the
import comparisons (``run.py``, ``postgres.py``, ``import_speed.py``).

Standard library only, so a raw loader measured in a process of its own carries none of
the library's modules in its memory or start-up.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = [
    "SEPARATOR",
    "amount",
    "micros",
    "moment",
    "part_key",
    "record_rows",
    "vehicle_columns",
]

SEPARATOR = "\x1f"  # between the segments of a stored category (and its key)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_PART_NOISE = str.maketrans("", "", " \t-.\u00a0")


def micros(text: str | None) -> int | None:
    """ISO text (``...Z``) as microseconds since the epoch, exactly (SQLite's column)."""
    if text is None:
        return None
    return (datetime.fromisoformat(text) - _EPOCH) // _MICROSECOND


def moment(text: str | None) -> datetime | None:
    """ISO text as an aware datetime (PostgreSQL's column)."""
    return None if text is None else datetime.fromisoformat(text)


def amount(text: str) -> str:
    """``"39.29 USD"`` -> ``"39.29"``."""
    return text.partition(" ")[0]


def part_key(text: str) -> str:
    """The stored key of a part number (case, spaces, dashes and dots ignored)."""
    return text.translate(_PART_NOISE).lower()


def vehicle_columns(vehicle: dict[str, Any] | None) -> tuple[str | None, str | None]:
    """A line's ``vehicle`` and ``vehicle_key`` columns as a hand-written loader writes them:
    year, make, model and engine joined by :data:`SEPARATOR`, and the same with each name's
    white space made one space and lowered (the sample's names are ASCII); ``NULL`` for a
    line bought for no vehicle."""
    if vehicle is None:
        return None, None
    names = (vehicle["make"], vehicle["model"], vehicle["engine"])
    year = str(vehicle["year"])
    return (
        SEPARATOR.join((year, *names)),
        SEPARATOR.join((year, *(" ".join(name.split()).lower() for name in names))),
    )


def record_rows(
    record: dict[str, Any], moment: Callable[[str | None], Any], money: Callable[[str], Any]
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """A JSON record's rows as a hand-written loader builds them (no validation): the
    columns the library writes, in the order of its ``COPY`` statements, an order line's
    vehicle included (the raw side once left it out, and with it the partial index
    ``order_lines_by_vehicle`` that two lines in five enter)."""
    number = record["number"]
    address = record["shipping_address"]
    email = record["email"]
    order = (
        number,
        moment(record["placed_at"]),
        email,
        email.lower(),
        record.get("phone"),
        record["currency"],
        address["name"],
        address["line1"],
        address.get("line2"),
        address["city"],
        address.get("region"),
        address.get("postal_code"),
        address["country"],
        money(record["shipping"]),
        money(record["tax"]),
        record.get("shipping_speed", "standard"),
    )
    lines = [
        (
            number,
            line["line_no"],
            position,
            line["part_number"],
            part_key(line["part_number"]),
            line["brand"],
            SEPARATOR.join(line["category"]),
            SEPARATOR.join(segment.lower() for segment in line["category"]),
            line["description"],
            line["quantity"],
            money(line["unit_price"]),
            money(line.get("core_charge", "0.00 X")),
            line.get("returnable", True),
            line.get("warranty_months", 0),
            line.get("cancelled", 0),
            line.get("returned", 0),
            *vehicle_columns(line.get("vehicle")),
        )
        for position, line in enumerate(record["lines"])
    ]
    packages = [
        (
            number,
            position,
            package["package_id"],
            package["warehouse"],
            package.get("carrier"),
            package.get("tracking_number"),
            moment(package.get("shipped_at")),
            moment(package.get("delivered_at")),
            moment(package.get("opened_at")),
        )
        for position, package in enumerate(record.get("packages", ()))
    ]
    units = [
        (number, position, unit_position, unit["line_no"], unit["quantity"])
        for position, package in enumerate(record.get("packages", ()))
        for unit_position, unit in enumerate(package["units"])
    ]
    return order, lines, packages, units
