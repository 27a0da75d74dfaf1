"""The profile page (issue 14 items 1 and 2): saved addresses, at most the policy's number,
one address saved once whatever its case or spacing, one default, the addresses of past
orders offered once; the garage, vehicles the store's catalog lists, a bounded number;
everything gone with the account; NotLoggedIn without a session (SECURITY F4, H3)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

from orderstatus_core import (
    AccountDeleted,
    AdapterError,
    Address,
    AddressAlreadySaved,
    AddressBook,
    AddressBookFull,
    AddressNotFound,
    AddressRemoved,
    AddressSaved,
    DefaultAddressChosen,
    Garage,
    GarageFull,
    NotLoggedIn,
    OrderStatus,
    ProfilePolicy,
    SavedAddress,
    ShopperSession,
    Vehicle,
    VehicleAdded,
    VehicleNotFound,
    VehicleNotInCatalog,
    VehicleRemoved,
    hookimpl,
)
from orderstatus_core.services import ServiceContext
from orderstatus_core.services.accounts.orders import join_verified_accounts
from orderstatus_core.testing import FixedClock, fake_context
from orderstatus_core.testing.builders import make_order
from support.accounts import CLIENT, log_in, open_storage, register

JANE = "jane@example.com"
HOME = Address("Jane Roe", "1 Main St", "Springfield", "12345", "US")
WORK = Address("Jane Roe", "200 Industrial Way", "Shelbyville", "54321", "US", line2="Dock 4")
CAR = Vehicle(2019, "Ford", "F-150", "5.0L V8", nickname="Truck", vin="1M8GDM9AXKP042788")


class _SmallProfile:
    @hookimpl
    def orderstatus_profile_policy(self) -> ProfilePolicy:
        return ProfilePolicy(max_addresses=2, max_vehicles=1, reuse_from_orders=2)


@pytest.fixture(params=["memory", "sqlite"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceContext]:
    """A store with Jane registered, on memory or SQLite, whose profile keeps 2 addresses
    and 1 vehicle and offers the addresses of her 2 newest orders."""
    storage = open_storage(request.param, tmp_path)
    context = fake_context(storage, plugins=[_SmallProfile()])
    register(context, JANE)
    yield context
    storage.close()


def _shopper(ctx: ServiceContext) -> ShopperSession:
    return OrderStatus(ctx).shopper(client=CLIENT, session=log_in(ctx, JANE).token)


def _saved_id(answer: object) -> str:
    assert isinstance(answer, AddressSaved), answer
    return answer.address_id


def _add(ctx: ServiceContext, shopper: ShopperSession, address: Address, **kw: bool) -> str:
    """Save ``address`` and move the clock on a second: the book lists oldest first."""
    saved = _saved_id(shopper.add_address(address, **kw))
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(timedelta(seconds=1))
    return saved


def _book(shopper: ShopperSession) -> AddressBook:
    book = shopper.addresses()
    assert isinstance(book, AddressBook), book
    return book


def test_a_saved_address_is_listed_and_can_be_the_default(ctx: ServiceContext) -> None:
    """An added address is in the book; the one added as default is the default."""
    shopper = _shopper(ctx)
    home = _add(ctx, shopper, HOME, default=True)
    work = _add(ctx, shopper, WORK)
    book = _book(shopper)
    assert [(s.address_id, s.address, s.is_default) for s in book.saved] == [
        (home, HOME, True),
        (work, WORK, False),
    ]
    assert book.default is not None
    assert book.default.address_id == home


def test_choosing_a_default_leaves_exactly_one(ctx: ServiceContext) -> None:
    """Choosing another default makes the old one ordinary."""
    shopper = _shopper(ctx)
    home = _add(ctx, shopper, HOME, default=True)
    work = _add(ctx, shopper, WORK)
    assert shopper.choose_default_address(work) == DefaultAddressChosen(address_id=work)
    assert [s.address_id for s in _book(shopper).saved if s.is_default] == [work]
    assert shopper.choose_default_address(home) == DefaultAddressChosen(address_id=home)
    assert [s.address_id for s in _book(shopper).saved if s.is_default] == [home]


def test_adding_a_new_default_replaces_the_old_one(ctx: ServiceContext) -> None:
    """``default=True`` on a second address takes the default from the first."""
    shopper = _shopper(ctx)
    _add(ctx, shopper, HOME, default=True)
    work = _add(ctx, shopper, WORK, default=True)
    assert [s.address_id for s in _book(shopper).saved if s.is_default] == [work]


def test_the_same_address_in_other_case_or_spacing_is_saved_once(ctx: ServiceContext) -> None:
    """Case, runs of spaces and the postal code's spaces do not make a new address."""
    shopper = _shopper(ctx)
    home = _add(ctx, shopper, HOME)
    retyped = Address("JANE  ROE", " 1 main st", "SPRINGFIELD", "123 45", "US")
    assert shopper.add_address(retyped) == AddressAlreadySaved(address_id=home)
    assert len(_book(shopper).saved) == 1


def test_a_fullwidth_lookalike_is_another_address(ctx: ServiceContext) -> None:
    """Compatibility forms are not folded (as look-alike emails are two accounts, A4)."""
    shopper = _shopper(ctx)
    _add(ctx, shopper, HOME)
    lookalike = attrs.evolve(HOME, line1="1 Ｍａｉｎ St")
    _add(ctx, shopper, lookalike)
    assert len(_book(shopper).saved) == 2


def test_the_book_holds_at_most_the_policy_number(ctx: ServiceContext) -> None:
    """One more than ``max_addresses`` is refused and changes nothing."""
    shopper = _shopper(ctx)
    _add(ctx, shopper, HOME)
    _add(ctx, shopper, WORK)
    third = attrs.evolve(HOME, line1="3 Elm St")
    assert shopper.add_address(third) == AddressBookFull(limit=2)
    assert len(_book(shopper).saved) == 2


def test_an_edit_keeps_the_place_and_the_default(ctx: ServiceContext) -> None:
    """An edited address keeps its id, its place and whether it is the default."""
    shopper = _shopper(ctx)
    home = _add(ctx, shopper, HOME, default=True)
    _add(ctx, shopper, WORK)
    moved = attrs.evolve(HOME, line1="9 Oak Ave")
    assert shopper.edit_address(home, moved) == AddressSaved(address_id=home)
    first = _book(shopper).saved[0]
    assert (first.address_id, first.address, first.is_default) == (home, moved, True)


def test_an_edit_into_another_saved_address_is_refused(ctx: ServiceContext) -> None:
    """Editing one address into a copy of another answers the other's id."""
    shopper = _shopper(ctx)
    home = _add(ctx, shopper, HOME)
    work = _add(ctx, shopper, WORK)
    assert shopper.edit_address(work, HOME) == AddressAlreadySaved(address_id=home)
    assert [s.address for s in _book(shopper).saved] == [HOME, WORK]


def test_removing_an_address_frees_its_place(ctx: ServiceContext) -> None:
    """A removed address is gone, the default with it; a second removal finds nothing."""
    shopper = _shopper(ctx)
    home = _add(ctx, shopper, HOME, default=True)
    assert shopper.remove_address(home) == AddressRemoved(address_id=home)
    assert shopper.remove_address(home) == AddressNotFound()
    book = _book(shopper)
    assert book.saved == ()
    assert book.default is None


def test_unknown_and_injected_ids_find_nothing(ctx: ServiceContext) -> None:
    """An id the account does not keep, or text no id can be, changes nothing."""
    shopper = _shopper(ctx)
    _add(ctx, shopper, HOME)
    for typed in ("abcdefghijkl", "' OR 1=1 --", "x'); DROP TABLE saved_addresses; --"):
        assert shopper.remove_address(typed) == AddressNotFound()
        assert shopper.edit_address(typed, WORK) == AddressNotFound()
        assert shopper.choose_default_address(typed) == AddressNotFound()
        assert shopper.remove_vehicle(typed) == VehicleNotFound()
    assert [s.address for s in _book(shopper).saved] == [HOME]


def test_another_accounts_address_is_not_found(ctx: ServiceContext) -> None:
    """Mike cannot edit, remove or choose Jane's address by its id."""
    jane = _shopper(ctx)
    home = _add(ctx, jane, HOME)
    register(ctx, "mike@example.com")
    mike = OrderStatus(ctx).shopper(client=CLIENT, session=log_in(ctx, "mike@example.com").token)
    assert mike.remove_address(home) == AddressNotFound()
    assert mike.edit_address(home, WORK) == AddressNotFound()
    assert mike.choose_default_address(home) == AddressNotFound()
    assert [s.address for s in _book(jane).saved] == [HOME]


def test_past_orders_offer_their_addresses_once(ctx: ServiceContext) -> None:
    """The newest linked orders' addresses not saved yet are offered, each once, newest
    order first; older orders than the policy's number are not read."""
    placed = make_order("100001", email=JANE).placed_at
    orders = [
        make_order("100001", email=JANE, placed_at=placed, shipping_address=WORK),
        make_order("100002", email=JANE, placed_at=placed + timedelta(days=1)),
        make_order(
            "100003",
            email=JANE,
            placed_at=placed + timedelta(days=2),
            shipping_address=attrs.evolve(WORK, city="SHELBYVILLE "),
        ),
    ]
    shopper = _shopper(ctx)
    _add(ctx, shopper, HOME)
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.orders.add_many(orders)
        uow.commit()
    with ctx.storage.unit_of_work(write=True) as uow:
        join_verified_accounts(uow, orders, ctx.clock.now())  # as the import links them
        uow.commit()
    book = _book(shopper)
    # 100003 (WORK typed otherwise) and 100002 (the builder's address) are the newest two.
    assert book.from_orders == (orders[2].shipping_address, orders[1].shipping_address)


def test_the_garage_keeps_the_vehicle_with_its_catalog_id(ctx: ServiceContext) -> None:
    """A listed vehicle goes in with the catalog's id; a removed one goes."""
    shopper = _shopper(ctx)
    added = shopper.add_vehicle(CAR)
    assert isinstance(added, VehicleAdded), added
    assert added.catalog_id.startswith("plausible-")
    garage = shopper.garage()
    assert isinstance(garage, Garage)
    [kept] = garage.vehicles
    assert (kept.vehicle_id, kept.vehicle, kept.catalog_id) == (
        added.vehicle_id,
        CAR,
        added.catalog_id,
    )
    assert shopper.remove_vehicle(added.vehicle_id) == VehicleRemoved(added.vehicle_id)
    assert shopper.garage() == Garage(vehicles=())


def test_the_garage_holds_at_most_the_policy_number(ctx: ServiceContext) -> None:
    """One vehicle more than ``max_vehicles`` is refused."""
    shopper = _shopper(ctx)
    assert isinstance(shopper.add_vehicle(CAR), VehicleAdded)
    assert shopper.add_vehicle(attrs.evolve(CAR, vin=None)) == GarageFull(limit=1)


def test_a_vehicle_the_catalog_does_not_list_is_refused(ctx: ServiceContext) -> None:
    """The default catalog lists no vehicle whose model has no letter or digit."""
    shopper = _shopper(ctx)
    assert shopper.add_vehicle(attrs.evolve(CAR, model="---")) == VehicleNotInCatalog()
    assert shopper.garage() == Garage(vehicles=())


class _Catalog:
    def __init__(self, answer: object = "F150-2019", fail: bool = False) -> None:
        self.answer, self.fail = answer, fail

    def resolve(self, vehicle: Vehicle) -> str | None:
        if self.fail:
            raise AdapterError("the catalog service is down")
        return self.answer  # type: ignore[return-value]  # a wrong answer on purpose

    def close(self) -> None:
        pass


def test_a_stores_catalog_names_the_vehicle(tmp_path: Path) -> None:
    """``vehicle_catalog`` replaces the default; its id is kept."""
    ctx = fake_context(vehicle_catalog=_Catalog())
    register(ctx, JANE)
    assert _shopper(ctx).add_vehicle(CAR) == VehicleAdded(
        vehicle_id=_only_vehicle(ctx), catalog_id="F150-2019"
    )


def _only_vehicle(ctx: ServiceContext) -> str:
    with ctx.storage.unit_of_work() as uow:
        account = uow.accounts.by_email(JANE)
        assert account is not None
        [vehicle] = uow.accounts.garage(account.account_id)
    return vehicle.vehicle_id


@pytest.mark.parametrize("catalog", [_Catalog(fail=True), _Catalog(answer=42), _Catalog("a b")])
def test_a_failing_catalog_raises_and_changes_nothing(catalog: _Catalog) -> None:
    """A catalog that fails or answers something not an id is an AdapterError."""
    ctx = fake_context(vehicle_catalog=catalog)
    register(ctx, JANE)
    shopper = _shopper(ctx)
    with pytest.raises(AdapterError):
        shopper.add_vehicle(CAR)
    assert shopper.garage() == Garage(vehicles=())


def test_deleting_the_account_deletes_its_profile(ctx: ServiceContext) -> None:
    """SECURITY E4, DOMAIN section 2: the saved addresses and the garage go with it."""
    shopper = _shopper(ctx)
    _add(ctx, shopper, HOME)
    assert isinstance(shopper.add_vehicle(CAR), VehicleAdded)
    with ctx.storage.unit_of_work() as uow:
        account = uow.accounts.by_email(JANE)
    assert account is not None
    assert shopper.delete_account() == AccountDeleted()
    with ctx.storage.unit_of_work() as uow:
        assert uow.accounts.saved_addresses(account.account_id) == []
        assert uow.accounts.garage(account.account_id) == []
    assert shopper.addresses() == NotLoggedIn()


def test_every_profile_command_needs_a_session(ctx: ServiceContext) -> None:
    """Without a live session each command answers NotLoggedIn and changes nothing."""
    nobody = OrderStatus(ctx).shopper(client=CLIENT, session=None)
    assert nobody.addresses() == NotLoggedIn()
    assert nobody.add_address(HOME) == NotLoggedIn()
    assert nobody.edit_address("abcdefghijkl", HOME) == NotLoggedIn()
    assert nobody.remove_address("abcdefghijkl") == NotLoggedIn()
    assert nobody.choose_default_address("abcdefghijkl") == NotLoggedIn()
    assert nobody.garage() == NotLoggedIn()
    assert nobody.add_vehicle(CAR) == NotLoggedIn()
    assert nobody.remove_vehicle("abcdefghijkl") == NotLoggedIn()


def test_an_expired_session_cannot_add(ctx: ServiceContext) -> None:
    """A session idle past its time-out answers NotLoggedIn."""
    shopper = _shopper(ctx)
    clock = ctx.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(hours=1))
    assert shopper.add_address(HOME) == NotLoggedIn()
    assert _book(_shopper(ctx)).saved == ()


def test_a_storage_failing_mid_command_changes_nothing(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SECURITY G1: a new default whose write fails after the old default was cleared
    raises the storage's AdapterError, and the old default stays (one unit, rolled back)."""
    shopper = _shopper(ctx)
    home = _add(ctx, shopper, HOME, default=True)
    with ctx.storage.unit_of_work(write=True) as uow:
        store_type = type(uow.accounts)
    real = store_type.put_address

    def failing(self: object, saved: SavedAddress) -> None:
        if saved.is_default:
            raise AdapterError("the database went away")
        real(self, saved)  # type: ignore[arg-type]

    monkeypatch.setattr(store_type, "put_address", failing)
    with pytest.raises(AdapterError, match="went away"):
        shopper.add_address(WORK, default=True)
    monkeypatch.undo()
    book = _book(shopper)
    assert [(s.address_id, s.is_default) for s in book.saved] == [(home, True)]


def test_a_storage_failing_to_read_raises(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A listing the storage cannot read is the storage's AdapterError, not an answer."""
    shopper = _shopper(ctx)
    with ctx.storage.unit_of_work() as uow:
        store_type = type(uow.accounts)

    def failing(self: object, account_id: str) -> list[object]:
        raise AdapterError("the database went away")

    monkeypatch.setattr(store_type, "garage", failing)
    with pytest.raises(AdapterError):
        shopper.garage()
    with pytest.raises(AdapterError):
        shopper.add_vehicle(CAR)
