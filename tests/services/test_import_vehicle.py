"""The import format's optional vehicle per line (issue 14 item 3): a file written before it
imports unchanged, a line's vehicle is kept by every store and followed by an upsert, and a
vehicle a line may not carry is refused at its path with nothing stored."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orderstatus_core import ImportRecordError, OrderStatus, Vehicle
from orderstatus_core.ports import Storage
from orderstatus_core.services import read_json_lines
from orderstatus_core.testing import fake_context
from support.accounts import open_storage

# A record exactly as docs/import-format.md wrote it before lines had a vehicle: the bytes
# of an old feed, not a dump of today's model.
OLD_FILE = b"""\
{"number": "123456789", "placed_at": "2026-11-01T10:00:00Z", "email": "Jane.Doe@Example.com", \
"phone": "+14155552671", "shipping_address": {"name": "Jane Doe", "line1": "1 Main St", \
"city": "Springfield", "region": "IL", "postal_code": "62701", "country": "US"}, \
"currency": "USD", "lines": [{"line_no": 1, "part_number": "BP-1234", "brand": "Wagner", \
"category": ["Brake & Wheel Hub", "Brake Pad"], "description": "Ceramic brake pad set, front", \
"quantity": 2, "unit_price": "24.99 USD", "core_charge": "0.00 USD"}, {"line_no": 2, \
"part_number": "ALT-5678", "brand": "Bosch", "category": "Electrical \xe2\x80\xba Alternator", \
"description": "Remanufactured alternator", "quantity": 1, "unit_price": "129.00 USD", \
"core_charge": "25.00 USD", "warranty_months": 12}], "shipping": "9.95 USD", \
"tax": "12.40 USD", "packages": [{"package_id": "P1", "warehouse": "Chicago IL", \
"units": [{"line_no": 1, "quantity": 2}], "carrier": "UPS", \
"tracking_number": "1Z999AA10123456784", "shipped_at": "2026-11-02T15:30:00Z"}]}
"""

TRUCK = {"year": 2019, "make": "Ford", "model": "F-150", "engine": "5.0L V8"}


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    opened = open_storage(request.param, tmp_path)
    yield opened
    opened.close()


def _record(**line_fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = json.loads(OLD_FILE)
    record["lines"][0].update(line_fields)
    return record


def _vehicles(storage: Storage, number: str = "123456789") -> list[Vehicle | None]:
    with storage.unit_of_work() as uow:
        order = uow.orders.get(number)
    assert order is not None
    return [line.vehicle for line in order.lines]


def test_a_file_of_the_old_format_imports_unchanged(storage: Storage) -> None:
    """Every line of a feed written before vehicles is a line bought for no vehicle in
    particular; the order is otherwise what the file says."""
    desk = OrderStatus(fake_context(storage))
    report = desk.import_orders(read_json_lines(io.BytesIO(OLD_FILE)))
    assert report.imported == 1
    assert _vehicles(storage) == [None, None]
    with storage.unit_of_work() as uow:
        order = uow.orders.get("123456789")
    assert order is not None
    assert [line.part_number.display for line in order.lines] == ["BP-1234", "ALT-5678"]
    assert order.lines[1].warranty_months == 12


def test_a_lines_vehicle_is_imported_and_kept(storage: Storage) -> None:
    """A line's vehicle comes back from the store as it was written; ``null`` is none."""
    record = _record(vehicle=TRUCK)
    record["lines"][1]["vehicle"] = None
    OrderStatus(fake_context(storage)).import_orders([json.dumps(record)])
    assert _vehicles(storage) == [Vehicle(2019, "Ford", "F-150", "5.0L V8"), None]


@pytest.mark.parametrize(
    ("vehicle", "path", "message"),
    [
        ({**TRUCK, "vin": "1M8GDM9AXKP042788"}, "$.lines[0].vehicle", "no nickname or VIN"),
        ({**TRUCK, "nickname": "Truck"}, "$.lines[0].vehicle", "no nickname or VIN"),
        ({**TRUCK, "colour": "red"}, "$.lines[0].vehicle", "unknown field(s) colour"),
        ({**TRUCK, "year": 1885}, "$.lines[0].vehicle.year", "must be between 1886 and 2100"),
        ({**TRUCK, "make": "F" * 41}, "$.lines[0].vehicle.make", "must be at most 40"),
        ({**TRUCK, "model": "F-150\u202e"}, "$.lines[0].vehicle.model", "refused character"),
        ({"year": 2019, "make": "Ford", "model": "F-150"}, "$.lines[0].vehicle.engine", "missing"),
    ],
)
def test_a_vehicle_a_line_may_not_carry_is_refused_and_nothing_is_stored(
    storage: Storage, vehicle: dict[str, Any], path: str, message: str
) -> None:
    """A nickname or a VIN (the shopper's, kept in the garage), an unknown key, a year out
    of range, an over-long or unclean name, a missing engine: the line's path, the reason,
    and the whole import kept out."""
    desk = OrderStatus(fake_context(storage))
    with pytest.raises(ImportRecordError) as refused:
        desk.import_orders([json.dumps(_record(vehicle=vehicle))])
    assert (refused.value.line, refused.value.field) == (1, path)
    assert message in refused.value.message
    with storage.unit_of_work() as uow:
        assert uow.orders.get("123456789") is None


def test_an_upsert_follows_the_records_vehicle(storage: Storage) -> None:
    """The vehicle is the store's field: a record adds it, the same record again changes
    nothing, a record without it takes it away."""
    desk = OrderStatus(fake_context(storage))
    desk.import_orders([OLD_FILE.decode()])
    with_truck = json.dumps(_record(vehicle=TRUCK))
    assert desk.upsert_orders([with_truck]).updated == ("123456789",)
    assert _vehicles(storage)[0] == Vehicle(2019, "Ford", "F-150", "5.0L V8")
    assert desk.upsert_orders([with_truck]).unchanged == ("123456789",)
    assert desk.upsert_orders([OLD_FILE.decode()]).updated == ("123456789",)
    assert _vehicles(storage) == [None, None]


def test_an_upsert_refuses_a_vehicle_with_a_vin_as_an_invalid_record(storage: Storage) -> None:
    """The sync feed reads a line's vehicle as import does; the stored order stays."""
    desk = OrderStatus(fake_context(storage))
    desk.import_orders([OLD_FILE.decode()])
    record = _record(vehicle={**TRUCK, "vin": "1M8GDM9AXKP042788"})
    [refusal] = desk.upsert_orders([json.dumps(record)]).refused
    assert (refusal.reason, refusal.field) == ("invalid_record", "$.lines[0].vehicle")
    assert _vehicles(storage) == [None, None]
