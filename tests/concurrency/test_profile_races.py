"""SECURITY G2 for the profile: eight tabs saving at once never pass the bound, never save
one address twice and never leave two defaults; each command is one write unit holding
the account's lock (on SQLite, the write lock from ``BEGIN IMMEDIATE``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

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
from orderstatus_core.services import ServiceContext
from orderstatus_core.testing import fake_context
from support.accounts import CLIENT, log_in, open_storage, register

THREADS = 8


class _Small:
    @hookimpl
    def orderstatus_profile_policy(self) -> ProfilePolicy:
        return ProfilePolicy(max_addresses=3, max_vehicles=3)


@pytest.fixture(params=["memory", "sqlite"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceContext]:
    """Jane registered, her profile bounded at 3 addresses and 3 vehicles."""
    storage = open_storage(request.param, tmp_path)
    context = fake_context(storage, plugins=[_Small()])
    register(context, "jane@example.com")
    yield context
    storage.close()


def _together(ctx: ServiceContext, act: Callable[[ShopperSession, int], object]) -> list[object]:
    """``act`` in eight threads (eight tabs of one session) released by one barrier; the
    answers."""
    session = log_in(ctx, "jane@example.com").token
    barrier = threading.Barrier(THREADS)
    answers: list[object] = [None] * THREADS

    def run(n: int) -> None:
        shopper = OrderStatus(ctx).shopper(client=CLIENT, session=session)
        barrier.wait()
        try:
            answers[n] = act(shopper, n)
        except Exception as error:  # reported below, as the answer
            answers[n] = error

    threads = [threading.Thread(target=run, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


def _book(ctx: ServiceContext) -> AddressBook:
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=log_in(ctx, "jane@example.com").token)
    book = shopper.addresses()
    assert isinstance(book, AddressBook)
    return book


def test_eight_different_addresses_at_once_fill_the_book_exactly(ctx: ServiceContext) -> None:
    """Three are saved, five answer AddressBookFull; every one as the default leaves one."""

    def save(shopper: ShopperSession, n: int) -> object:
        address = Address("Jane Roe", f"{n} Main St", "Springfield", "12345", "US")
        return shopper.add_address(address, default=True)

    answers = _together(ctx, save)
    assert sum(isinstance(a, AddressSaved) for a in answers) == 3, answers
    assert sum(isinstance(a, AddressBookFull) for a in answers) == 5, answers
    book = _book(ctx)
    assert len(book.saved) == 3
    assert sum(saved.is_default for saved in book.saved) == 1


def test_one_address_typed_eight_ways_at_once_is_saved_once(ctx: ServiceContext) -> None:
    """One AddressSaved; the seven others name its id."""

    def save(shopper: ShopperSession, n: int) -> object:
        spaced = " " * (n % 3)
        address = Address(
            f"JANE{spaced} ROE", "1 main st" if n % 2 else "1 Main St", "x", "1", "US"
        )
        return shopper.add_address(address)

    answers = _together(ctx, save)
    saved = [a for a in answers if isinstance(a, AddressSaved)]
    assert len(saved) == 1, answers
    assert answers.count(AddressAlreadySaved(address_id=saved[0].address_id)) == 7, answers
    assert len(_book(ctx).saved) == 1


def test_eight_cars_at_once_fill_the_garage_exactly(ctx: ServiceContext) -> None:
    """Three are added, five answer GarageFull."""
    car = Vehicle(2019, "Ford", "F-150", "5.0L V8")
    answers = _together(ctx, lambda shopper, _n: shopper.add_vehicle(car))
    assert sum(isinstance(a, VehicleAdded) for a in answers) == 3, answers
    assert answers.count(GarageFull(limit=3)) == 5, answers
