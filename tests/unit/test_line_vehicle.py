"""An order line's vehicle (issue 14 item 3): the garage's Vehicle value with its year, make,
model and engine only; one normal form (vehicle_key) for the garage's catalog default, the
line and the search; shown by the order view in the shopper's language."""

from __future__ import annotations

import hashlib

import attrs
import pytest
from hypothesis import given

from orderstatus_core import (
    Catalogs,
    InvalidFieldError,
    OrderFound,
    PlausibleVehicles,
    Vehicle,
    VehicleQuery,
    vehicle_key,
)
from orderstatus_core.model import OrderLine
from orderstatus_core.serialization import converter
from orderstatus_core.services import find_order
from orderstatus_core.testing import fake_context
from orderstatus_core.testing.builders import line, make_order
from orderstatus_core.testing.strategies import line_vehicles, order_lines

EN = Catalogs.builtin().translator("en")
FI = Catalogs.builtin().translator("fi")
TRUCK = Vehicle(2019, "Ford", "F-150", "5.0L V8")


def test_a_line_keeps_the_vehicle_it_was_bought_for() -> None:
    """The vehicle is optional: a line without one is as it always was."""
    assert line().vehicle is None
    assert line(vehicle=TRUCK).vehicle == TRUCK


@pytest.mark.parametrize(
    "vehicle",
    [
        attrs.evolve(TRUCK, nickname="Truck"),
        attrs.evolve(TRUCK, vin="1M8GDM9AXKP042788"),
        "2019 Ford F-150",
        {"year": 2019, "make": "Ford", "model": "F-150", "engine": "5.0L V8"},
    ],
)
def test_a_lines_vehicle_is_a_vehicle_without_nickname_or_vin(vehicle: object) -> None:
    """A nickname and a VIN stay in the shopper's garage; anything but a Vehicle is refused
    too, each with an InvalidFieldError naming the field."""
    with pytest.raises(InvalidFieldError) as refused:
        line(vehicle=vehicle)
    assert refused.value.field == "vehicle"


def test_the_normal_form_folds_case_and_spacing_only() -> None:
    """Case and runs of white space fold (NFC first); a fullwidth make stays another."""
    retyped = Vehicle(2019, "FORD", " f-150 ", "5.0l   V8")
    assert vehicle_key(retyped) == vehicle_key(TRUCK) == "2019\x1fford\x1ff-150\x1f5.0l v8"
    assert vehicle_key(Vehicle(2019, "Ｆｏｒｄ", "F-150", "5.0L V8")) != vehicle_key(TRUCK)
    composed = Vehicle(2019, "Citro\u00ebn", "C4", "1.6")
    decomposed = Vehicle(2019, "Citroe\u0308n", "C4", "1.6")
    assert vehicle_key(composed) == vehicle_key(decomposed)


def test_the_catalog_default_keeps_its_ids() -> None:
    """PlausibleVehicles now hashes vehicle_key, which is the text it hashed before: the
    ids of vehicles already in garages do not change."""
    before = hashlib.sha256(b"2019\x1fford\x1ff-150\x1f5.0l v8").hexdigest()[:32]
    assert PlausibleVehicles().resolve(TRUCK) == f"plausible-{before}"


@given(line_vehicles())
def test_a_query_for_a_vehicle_matches_it_with_and_without_its_engine(vehicle: Vehicle) -> None:
    """Whatever the script, a query built from a vehicle matches it, and so does the same
    query without the engine."""
    assert VehicleQuery.of(vehicle).matches(vehicle)
    assert VehicleQuery(vehicle.year, vehicle.make, vehicle.model).matches(vehicle)
    assert not VehicleQuery.of(vehicle).matches(None)


@given(order_lines())
def test_a_line_round_trips_through_the_converter(drawn: OrderLine) -> None:
    """The JSON form of a line, vehicle or none, structures back to the same line."""
    assert converter.structure(converter.unstructure(drawn), OrderLine) == drawn


@pytest.mark.parametrize(
    ("texts", "expected"),
    [(EN, "Vehicle: 2019 Ford F-150 5.0L V8"), (FI, "Ajoneuvo: 2019 Ford F-150 5.0L V8")],
)
def test_the_order_view_shows_a_lines_vehicle_in_the_shoppers_language(
    texts: object, expected: str
) -> None:
    """A guest's (masked) view shows the vehicle of a line that has one, and nothing for
    a line without one; the year is never grouped (2 019)."""
    ctx = fake_context()
    order = make_order("123456789", lines=[line(1, vehicle=TRUCK), line(2, "R-77")])
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.orders.add(order)
        uow.commit()
    language = "fi" if texts is FI else "en"
    found = find_order(ctx, "jane.doe@example.com", "123456789", client="c", language=language)
    assert isinstance(found, OrderFound), found
    first, second = found.view.lines
    assert first.vehicle == TRUCK
    assert first.vehicle_text == expected
    assert (second.vehicle, second.vehicle_text) == (None, None)
