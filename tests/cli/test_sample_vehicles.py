"""The vehicles of the sample data: two lines in five bought for a car of their shopper's,
drawn from the seed without changing anything else the seed gave, valid for the order model,
and kept by an import (memory and SQLite); Jane's walkthrough orders are for her car."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from orderstatus_core import Order, OrderStatus, Vehicle
from orderstatus_core.sample import DEMO_CAR, demo_orders, demo_walkthrough_orders, generate_orders
from orderstatus_core.serialization import converter
from orderstatus_core.testing import RecordingMailer

#: sha256 of ``generate_orders(500, 100, seed=7)`` (one ``json.dumps(sort_keys=True)`` line
#: per record) as the generator wrote it before lines had vehicles: with the vehicles taken
#: out, a seed still gives those bytes.
BEFORE_VEHICLES = "ca63ebcedb1bc4d38ee1405ca6c9d4d0756c88664a97b3409d3b528c0505aa7d"


def structure(record: dict[str, Any]) -> Order:
    """Through JSON text and the import's converter."""
    order: Order = converter.structure(json.loads(json.dumps(record)), Order)
    return order


def _lines(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [line for record in records for line in record["lines"]]


def _car(vehicle: dict[str, Any]) -> tuple[int, str, str, str]:
    return vehicle["year"], vehicle["make"], vehicle["model"], vehicle["engine"]


def test_two_lines_in_five_are_bought_for_a_car() -> None:
    records = list(generate_orders(3000, 600, seed=11))
    lines = _lines(records)
    bought_for = [line["vehicle"] for line in lines if "vehicle" in line]
    assert 0.35 < len(bought_for) / len(lines) < 0.45
    assert set(bought_for[0]) == {"year", "make", "model", "engine"}
    assert len({_car(vehicle) for vehicle in bought_for}) > 100  # many cars, not a few
    assert len({vehicle["make"] for vehicle in bought_for}) >= 10


def test_a_shopper_drives_one_or_two_cars() -> None:
    """The lines of one shopper's orders are bought for at most two cars, and some shoppers
    have two: a search by vehicle finds a shopper's orders for one of them."""
    cars: defaultdict[str, set[tuple[int, str, str, str]]] = defaultdict(set)
    for record in generate_orders(3000, 300, seed=5):
        for line in record["lines"]:
            if "vehicle" in line:
                cars[record["email"]].add(_car(line["vehicle"]))
    assert {len(kept) for kept in cars.values()} == {1, 2}


def test_the_vehicles_are_the_seeds() -> None:
    def drawn(seed: int) -> list[tuple[int, str, str, str] | None]:
        lines = _lines(list(generate_orders(400, seed=seed)))
        return [_car(line["vehicle"]) if "vehicle" in line else None for line in lines]

    assert drawn(3) == drawn(3)
    assert drawn(3) != drawn(4)


def test_a_seed_gives_every_other_field_it_gave_before_lines_had_vehicles() -> None:
    digest = hashlib.sha256()
    for record in generate_orders(500, 100, seed=7):
        for line in record["lines"]:
            line.pop("vehicle", None)
        digest.update(json.dumps(record, sort_keys=True).encode() + b"\n")
    assert digest.hexdigest() == BEFORE_VEHICLES


def test_the_vehicles_are_valid_for_the_order_model() -> None:
    """Through JSON and the import converter; a line's vehicle has no nickname or VIN."""
    for record in generate_orders(1500, seed=2):
        order = structure(record)
        for line, written in zip(order.lines, record["lines"], strict=True):
            if "vehicle" in written:
                assert line.vehicle == Vehicle(*_car(written["vehicle"]))
                assert 2011 <= line.vehicle.year <= 2024
            else:
                assert line.vehicle is None


def test_janes_walkthrough_orders_are_bought_for_her_car() -> None:
    """The demo searches her orders by the car it puts in her garage: the change request's
    thermostat and hose and the belt she returns were bought for it; the library's cast of
    :func:`demo_orders` (the storefront's tests count on it) is bought for no vehicle."""
    now = datetime.now(UTC)
    orders = {o.number: o for o in map(structure, demo_walkthrough_orders(now))}
    car = Vehicle(*DEMO_CAR)
    assert [line.vehicle for line in orders["302117468"].lines] == [car, car]
    assert [line.vehicle for line in orders["301990352"].lines] == [car, None]
    assert not [line for line in _lines(demo_orders(now)) if "vehicle" in line]


@pytest.mark.parametrize("storage", ["memory", "sqlite"])
def test_an_import_keeps_the_vehicles(storage: str, tmp_path: Path) -> None:
    """Imported and read back, every line's vehicle is the one in the file."""
    url = "memory://" if storage == "memory" else f"sqlite:///{(tmp_path / 'o.db').as_posix()}"
    records = list(generate_orders(120, 30, seed=13))
    with OrderStatus.open(storage=url, mail=RecordingMailer()) as desk:
        desk.migrate()
        report = desk.import_orders(json.dumps(record) for record in records)
        assert report.imported == len(records)
        with desk.context.storage.unit_of_work() as uow:
            stored = {r["number"]: uow.orders.get(r["number"]) for r in records}
    for record in records:
        order = stored[record["number"]]
        assert order is not None
        for line, written in zip(order.lines, record["lines"], strict=True):
            expected = Vehicle(*_car(written["vehicle"])) if "vehicle" in written else None
            assert line.vehicle == expected
    assert any(line.vehicle for o in stored.values() if o for line in o.lines)
