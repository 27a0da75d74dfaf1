"""Eight tabs of one shopper's session acting at once on the profile, on any storage: the
race tests of SQLite, memory and PostgreSQL share these."""

from __future__ import annotations

import threading
from collections.abc import Callable

from orderstatus_core import (
    Address,
    AddressAlreadySaved,
    AddressBook,
    AddressBookFull,
    AddressSaved,
    GarageFull,
    OrderStatus,
    ProfilePolicy,
    ShopperSession,
    Vehicle,
    VehicleAdded,
    hookimpl,
)
from orderstatus_core.ports import Storage
from orderstatus_core.services import ServiceContext
from orderstatus_core.testing import fake_context
from support.accounts import CLIENT, log_in, register

THREADS = 8
JANE = "jane@example.com"


class SmallProfile:
    """A store whose profiles keep 3 addresses and 3 vehicles."""

    @hookimpl
    def orderstatus_profile_policy(self) -> ProfilePolicy:
        return ProfilePolicy(max_addresses=3, max_vehicles=3)


def profile_store(storage: Storage) -> ServiceContext:
    """A context on ``storage`` (migrated, empty) with Jane registered, profiles small."""
    context = fake_context(storage, plugins=[SmallProfile()])
    register(context, JANE)
    return context


def together(ctx: ServiceContext, act: Callable[[ShopperSession, int], object]) -> list[object]:
    """``act`` in eight threads (eight tabs of one session) released by one barrier; the
    answers (an exception is the answer of its thread)."""
    session = log_in(ctx, JANE).token
    barrier = threading.Barrier(THREADS)
    answers: list[object] = [None] * THREADS

    def run(n: int) -> None:
        shopper = OrderStatus(ctx).shopper(client=CLIENT, session=session)
        barrier.wait()
        try:
            answers[n] = act(shopper, n)
        except Exception as error:  # reported by the caller's assertions, as the answer
            answers[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def address_book(ctx: ServiceContext) -> AddressBook:
    """Jane's address book, read in a new session."""
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=log_in(ctx, JANE).token)
    book = shopper.addresses()
    assert isinstance(book, AddressBook), book
    return book


def check_eight_addresses_fill_the_book(ctx: ServiceContext) -> None:
    """Eight different addresses, each as the default, at once: three are saved, five
    answer AddressBookFull, one default is left."""

    def save(shopper: ShopperSession, n: int) -> object:
        address = Address("Jane Roe", f"{n} Main St", "Springfield", "12345", "US")
        return shopper.add_address(address, default=True)

    answers = together(ctx, save)
    assert sum(isinstance(a, AddressSaved) for a in answers) == 3, answers
    assert sum(isinstance(a, AddressBookFull) for a in answers) == 5, answers
    book = address_book(ctx)
    assert len(book.saved) == 3
    assert sum(saved.is_default for saved in book.saved) == 1


def check_one_address_typed_eight_ways_is_saved_once(ctx: ServiceContext) -> None:
    """One address typed eight ways at once: one AddressSaved, seven name its id."""

    def save(shopper: ShopperSession, n: int) -> object:
        name = "JANE" + " " * (n % 3 + 1) + "ROE"
        line1 = "1 main st" if n % 2 else "1 Main St"
        return shopper.add_address(Address(name, line1, "x", "1", "US"))

    answers = together(ctx, save)
    saved = [a for a in answers if isinstance(a, AddressSaved)]
    assert len(saved) == 1, answers
    assert answers.count(AddressAlreadySaved(address_id=saved[0].address_id)) == 7, answers
    assert len(address_book(ctx).saved) == 1


def check_eight_cars_fill_the_garage(ctx: ServiceContext) -> None:
    """Eight cars at once: three are added, five answer GarageFull."""
    car = Vehicle(2019, "Ford", "F-150", "5.0L V8")
    answers = together(ctx, lambda shopper, _n: shopper.add_vehicle(car))
    assert sum(isinstance(a, VehicleAdded) for a in answers) == 3, answers
    assert answers.count(GarageFull(limit=3)) == 5, answers


__all__ = [
    "address_book",
    "check_eight_addresses_fill_the_book",
    "check_eight_cars_fill_the_garage",
    "check_one_address_typed_eight_ways_is_saved_once",
    "profile_store",
    "together",
]
