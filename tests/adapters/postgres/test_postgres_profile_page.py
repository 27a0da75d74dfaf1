"""The whole Profile page on PostgreSQL (issue 14 item 11): each list as its own call
answers it, and nothing of another account."""

from __future__ import annotations

from datetime import timedelta

from orderstatus_core import Money, NotLoggedIn
from orderstatus_core.testing import fake_context
from orderstatus_postgres import PostgresStorage
from support.data_export import HOME, advance, stored_holder
from support.profile_page import the_page_is_the_separate_calls


def test_the_page_on_postgres_is_the_separate_calls(pg_storage: PostgresStorage) -> None:
    """Two holders: John's page holds John's address, car, credit, code, watch and topic,
    each equal to its own call; after his log-out it is NotLoggedIn."""
    ctx = fake_context(pg_storage)
    stored_holder(ctx)
    advance(ctx, timedelta(seconds=1))  # John's verification mail is the newest
    john = stored_holder(ctx, "john@example.com", order="700000002")
    page = the_page_is_the_separate_calls(john.shopper)
    assert [saved.address for saved in page.addresses.saved] == [HOME]
    assert [car.vehicle_id for car in page.garage.vehicles] == [john.vehicle_id]
    assert page.store_credit.balances == (Money("12.50", "USD"),)
    assert [listed.code.code for listed in page.discount_codes.codes] == [john.code]
    assert len(page.part_watches.watches) == 1
    assert page.mail_preferences.subscribed == ("newsletter",)
    john.shopper.log_out()
    assert isinstance(john.shopper.profile(), NotLoggedIn)
