"""SECURITY G2 for the profile on PostgreSQL: eight tabs saving at once are serialized by
the account's row lock (``get`` reads it ``FOR UPDATE`` in a write unit), so they never
pass the bound, save one address twice or leave two defaults."""

from __future__ import annotations

import pytest

from orderstatus_core.services import ServiceContext
from orderstatus_postgres import PostgresStorage
from support.profile_races import (
    check_eight_addresses_fill_the_book,
    check_eight_cars_fill_the_garage,
    check_one_address_typed_eight_ways_is_saved_once,
    profile_store,
)


@pytest.fixture
def ctx(pg_storage: PostgresStorage) -> ServiceContext:
    """Jane registered on the session's schema, her profile bounded at 3 and 3."""
    return profile_store(pg_storage)


def test_eight_different_addresses_at_once_fill_the_book_exactly(ctx: ServiceContext) -> None:
    """Three are saved, five answer AddressBookFull; one default is left."""
    check_eight_addresses_fill_the_book(ctx)


def test_one_address_typed_eight_ways_at_once_is_saved_once(ctx: ServiceContext) -> None:
    """One AddressSaved; the seven others name its id (none is a ConflictError)."""
    check_one_address_typed_eight_ways_is_saved_once(ctx)


def test_eight_cars_at_once_fill_the_garage_exactly(ctx: ServiceContext) -> None:
    """Three are added, five answer GarageFull."""
    check_eight_cars_fill_the_garage(ctx)
