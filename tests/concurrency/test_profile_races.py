"""SECURITY G2 for the profile: eight tabs saving at once never pass the bound, never save
one address twice and never leave two defaults; each command is one write unit holding
the account's lock (on SQLite, the write lock from ``BEGIN IMMEDIATE``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orderstatus_core.services import ServiceContext
from support.accounts import open_storage
from support.profile_races import (
    check_eight_addresses_fill_the_book,
    check_eight_cars_fill_the_garage,
    check_one_address_typed_eight_ways_is_saved_once,
    profile_store,
)


@pytest.fixture(params=["memory", "sqlite"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceContext]:
    """Jane registered, her profile bounded at 3 addresses and 3 vehicles."""
    storage = open_storage(request.param, tmp_path)
    yield profile_store(storage)
    storage.close()


def test_eight_different_addresses_at_once_fill_the_book_exactly(ctx: ServiceContext) -> None:
    """Three are saved, five answer AddressBookFull; every one as the default leaves one."""
    check_eight_addresses_fill_the_book(ctx)


def test_one_address_typed_eight_ways_at_once_is_saved_once(ctx: ServiceContext) -> None:
    """One AddressSaved; the seven others name its id."""
    check_one_address_typed_eight_ways_is_saved_once(ctx)


def test_eight_cars_at_once_fill_the_garage_exactly(ctx: ServiceContext) -> None:
    """Three are added, five answer GarageFull."""
    check_eight_cars_fill_the_garage(ctx)
