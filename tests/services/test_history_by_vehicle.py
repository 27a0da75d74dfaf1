"""The account's history searched by vehicle (issue 14 item 3): by a year, make and model
(an engine optional) or by a garage vehicle's id, case and spacing folded as the garage
folds them; only the account's linked orders; bad input a typed error that reads nothing;
NotLoggedIn without a session; a failing storage raises."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from orderstatus_core import (
    AdapterError,
    FieldTooLongError,
    InvalidFieldError,
    NotLoggedIn,
    OrderStatus,
    SearchPage,
    ShopperSession,
    ValidationError,
    Vehicle,
    VehicleAdded,
    VehicleQuery,
)
from orderstatus_core.model import Order
from orderstatus_core.services import ServiceContext
from orderstatus_core.testing import FixedClock, fake_context
from orderstatus_core.testing.builders import PLACED_AT, line, make_order
from support.accounts import CLIENT, log_in, open_storage, register

JANE = "jane@example.com"
MIKE = "mike@example.com"
TRUCK = Vehicle(2019, "Ford", "F-150", "5.0L V8")
TRUCK_AS_TYPED = Vehicle(2019, "FORD", " f-150", "5.0l  v8")
OTHER_ENGINE = Vehicle(2019, "Ford", "F-150", "3.5L V6")
SEDAN = Vehicle(2012, "Toyota", "Camry", "2.5L I4")
IN_THE_GARAGE = Vehicle(2019, "ford", "F-150", "5.0L V8", nickname="Truck", vin="1M8GDM9AXKP042788")


def _order(number: str, email: str, hours: int, *vehicles: Vehicle | None) -> Order:
    lines = [
        line(line_no, f"BP-{line_no}", vehicle=vehicle)
        for line_no, vehicle in enumerate(vehicles, start=1)
    ]
    return make_order(number, email, placed_at=PLACED_AT + timedelta(hours=hours), lines=lines)


@pytest.fixture(params=["memory", "sqlite"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceContext]:
    """Jane's five orders (bought for her truck, typed two ways, its other engine, a sedan,
    nothing in particular) and Mike's truck order, then both registered: the orders join
    their accounts on verification."""
    storage = open_storage(request.param, tmp_path)
    context = fake_context(storage)
    with storage.unit_of_work(write=True) as uow:
        uow.orders.add(_order("700001", JANE, 1, TRUCK, SEDAN))
        uow.orders.add(_order("700002", JANE, 2, None))
        uow.orders.add(_order("700003", JANE, 3, OTHER_ENGINE))
        uow.orders.add(_order("700004", JANE, 4, SEDAN, TRUCK_AS_TYPED))
        uow.orders.add(_order("700005", JANE, 5, SEDAN))
        uow.orders.add(_order("700006", MIKE, 6, TRUCK))
        uow.commit()
    register(context, JANE)
    # The next verification mail is the newest by the clock, not by chance.
    assert isinstance(context.clock, FixedClock)
    context.clock.advance(timedelta(seconds=1))
    register(context, MIKE)
    yield context
    storage.close()


def _shopper(ctx: ServiceContext, email: str = JANE) -> ShopperSession:
    return OrderStatus(ctx).shopper(client=CLIENT, session=log_in(ctx, email).token)


def _found(answer: object) -> list[tuple[str, list[int]]]:
    assert isinstance(answer, SearchPage), answer
    return [(m.header.number, [ln.line_no for ln in m.lines]) for m in answer.matches]


def _garage_id(shopper: ShopperSession, vehicle: Vehicle = IN_THE_GARAGE) -> str:
    added = shopper.add_vehicle(vehicle)
    assert isinstance(added, VehicleAdded), added
    return added.vehicle_id


def test_a_year_make_and_model_finds_the_lines_of_each_engine(ctx: ServiceContext) -> None:
    """Without an engine, every engine of the year, make and model, typed in any case and
    spacing, newest first, each order with only its matching lines."""
    found = _shopper(ctx).search(vehicle=VehicleQuery(2019, "ford", "F-150"))
    assert _found(found) == [("700004", [2]), ("700003", [1]), ("700001", [1])]


def test_an_engine_narrows_the_search_to_it(ctx: ServiceContext) -> None:
    """With an engine, only that engine's lines."""
    found = _shopper(ctx).search(vehicle=VehicleQuery(2019, "Ford", "F-150", "5.0L V8"))
    assert _found(found) == [("700004", [2]), ("700001", [1])]


def test_a_garage_vehicle_finds_the_lines_of_its_year_make_model_and_engine(
    ctx: ServiceContext,
) -> None:
    """A garage vehicle's id searches by its year, make, model and engine (its nickname
    and VIN are never compared); the matching lines carry the vehicle as stored."""
    shopper = _shopper(ctx)
    found = shopper.search(vehicle_id=_garage_id(shopper))
    assert _found(found) == [("700004", [2]), ("700001", [1])]
    assert isinstance(found, SearchPage)
    assert found.matches[1].lines[0].vehicle == TRUCK


def test_another_shoppers_orders_of_the_same_vehicle_are_never_found(
    ctx: ServiceContext,
) -> None:
    """Mike's truck order is his: Jane's search finds only hers, and his only his."""
    query = VehicleQuery.of(TRUCK)
    assert [n for n, _ in _found(_shopper(ctx).search(vehicle=query))] == ["700004", "700001"]
    assert _found(_shopper(ctx, MIKE).search(vehicle=query)) == [("700006", [1])]


def test_a_garage_id_the_account_does_not_hold_finds_nothing(ctx: ServiceContext) -> None:
    """Another account's vehicle, a removed one, and text that cannot be an id answer an
    empty page, as an unknown part number does."""
    mikes = _garage_id(_shopper(ctx, MIKE))
    shopper = _shopper(ctx)
    removed = _garage_id(shopper)
    shopper.remove_vehicle(removed)
    for vehicle_id in (mikes, removed, "no such id!", "'; DROP TABLE garage_vehicles; --"):
        assert shopper.search(vehicle_id=vehicle_id) == SearchPage(matches=(), next_cursor=None)


def test_look_alike_names_are_other_vehicles(ctx: ServiceContext) -> None:
    """Only case and spacing fold: a fullwidth make, a model without its dash and an engine
    that is the start of another find nothing."""
    shopper = _shopper(ctx)
    for query in (
        VehicleQuery(2019, "Ｆｏｒｄ", "F-150"),
        VehicleQuery(2019, "Ford", "F150"),
        VehicleQuery(2019, "Ford", "F-150", "5.0L"),
        VehicleQuery(2019, "Ford", "F-1"),
    ):
        assert _found(shopper.search(vehicle=query)) == [], query


def test_the_search_pages_with_its_cursor(ctx: ServiceContext) -> None:
    """``page_size`` and ``next_cursor`` page the vehicle search as the others."""
    shopper = _shopper(ctx)
    query = VehicleQuery(2019, "Ford", "F-150")
    first = shopper.search(vehicle=query, page_size=2)
    assert isinstance(first, SearchPage)
    assert [m.header.number for m in first.matches] == ["700004", "700003"]
    assert first.next_cursor is not None
    rest = shopper.search(vehicle=query, page_size=2, cursor=first.next_cursor)
    assert _found(rest) == [("700001", [1])]
    assert isinstance(rest, SearchPage)
    assert rest.next_cursor is None


def test_without_a_session_the_answer_is_not_logged_in(ctx: ServiceContext) -> None:
    """No session, no search (and no garage read)."""
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=None)
    assert shopper.search(vehicle=VehicleQuery.of(TRUCK)) == NotLoggedIn()
    assert shopper.search(vehicle_id="Abcdefgh12345678") == NotLoggedIn()


@pytest.mark.parametrize(
    "terms",
    [
        {},
        {"part_number": "BP-1", "vehicle": VehicleQuery.of(TRUCK)},
        {"category": "Brake", "vehicle_id": "Abcdefgh12345678"},
        {"vehicle": VehicleQuery.of(TRUCK), "vehicle_id": "Abcdefgh12345678"},
    ],
)
def test_exactly_one_kind_of_search_is_asked_for(
    ctx: ServiceContext, terms: dict[str, object]
) -> None:
    """None, or two at once, is an InvalidFieldError."""
    with pytest.raises(InvalidFieldError):
        _shopper(ctx).search(**terms)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("terms", "error"),
    [
        ({"vehicle": TRUCK}, InvalidFieldError),
        ({"vehicle": {"year": 2019, "make": "Ford", "model": "F-150"}}, InvalidFieldError),
        ({"vehicle": "2019 Ford F-150"}, InvalidFieldError),
        ({"vehicle_id": 12345678}, InvalidFieldError),
        ({"vehicle_id": "A" * 65}, FieldTooLongError),
    ],
)
def test_a_search_of_the_wrong_type_or_too_long_is_refused(
    ctx: ServiceContext, terms: dict[str, object], error: type[Exception]
) -> None:
    """A vehicle that is no VehicleQuery, a garage id that is not text or longer than any
    id: a typed error before anything is read."""
    shopper = _shopper(ctx)
    with pytest.raises(error):
        shopper.search(**terms)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("fields", "error"),
    [
        ((2019, "F" * 41, "F-150"), FieldTooLongError),
        ((2019, "Ford", "F" * 61), FieldTooLongError),
        ((2019, "Ford", "F-150", "V" * 61), FieldTooLongError),
        (("2019", "Ford", "F-150"), InvalidFieldError),
        ((True, "Ford", "F-150"), InvalidFieldError),
        ((1885, "Ford", "F-150"), InvalidFieldError),
        ((2101, "Ford", "F-150"), InvalidFieldError),
        ((2019, "Ford\x00", "F-150"), InvalidFieldError),
        ((2019, "Ford", "F-150\u202e"), InvalidFieldError),
        ((2019, "Ford", "\ud800"), InvalidFieldError),
        ((2019, "  ", "F-150"), InvalidFieldError),
        ((2019, "Ford", "F-150", ""), InvalidFieldError),
        ((2019, None, "F-150"), InvalidFieldError),
    ],
)
def test_a_vehicle_query_is_checked_as_the_garage_checks_a_vehicle(
    fields: tuple[object, ...], error: type[ValidationError]
) -> None:
    """Too long, the wrong type, out of range, control or bidi characters, a lone
    surrogate, blank: each a typed error of the ValidationError tree."""
    with pytest.raises(error):
        VehicleQuery(*fields)  # type: ignore[arg-type]


def test_injection_text_is_searched_as_text(ctx: ServiceContext) -> None:
    """A query of SQL or pattern syntax is a name like any other: it finds nothing here."""
    shopper = _shopper(ctx)
    for text in ("' OR '1'='1", "%", "_", "F-150' --"):
        assert _found(shopper.search(vehicle=VehicleQuery(2019, text, text))) == []


def test_a_failing_storage_raises_its_error(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search the storage cannot run, or a garage it cannot read, is the storage's
    AdapterError, never an empty page."""
    shopper = _shopper(ctx)
    vehicle_id = _garage_id(shopper)
    with ctx.storage.unit_of_work() as uow:
        store_type = type(uow.accounts)

    def failing(self: object, *arguments: object) -> list[object]:
        raise AdapterError("the database went away")

    monkeypatch.setattr(store_type, "search_linked", failing)
    with pytest.raises(AdapterError):
        shopper.search(vehicle=VehicleQuery.of(TRUCK))
    monkeypatch.undo()
    monkeypatch.setattr(store_type, "garage", failing)
    with pytest.raises(AdapterError):
        shopper.search(vehicle_id=vehicle_id)
