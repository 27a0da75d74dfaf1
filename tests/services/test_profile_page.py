"""The whole Profile page in one call (issue 14 item 11): ``shopper.profile()`` answers each
list exactly as the call of the same name does, with one session check and one read unit;
NotLoggedIn without a live session, whatever the cookie holds; a failing storage or a
damaged row is an AdapterError, never a page with a list missing."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from orderstatus_core import (
    AccountDeleted,
    AdapterError,
    CodeStatus,
    InvalidFieldError,
    LanguageChanged,
    Money,
    NotLoggedIn,
    OrderStatus,
)
from orderstatus_core.services import ServiceContext
from orderstatus_core.services.accounts import profile_page
from orderstatus_core.testing import fake_context
from support.accounts import CLIENT, log_in, open_storage, register
from support.data_export import HOME, JANE, WATCHED, advance, stored_holder
from support.profile_page import the_page_is_the_separate_calls


@pytest.fixture(params=["memory", "sqlite"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceContext]:
    storage = open_storage(request.param, tmp_path)
    yield fake_context(storage)
    storage.close()


def test_the_page_holds_every_list_as_its_own_call_answers(ctx: ServiceContext) -> None:
    """An account with one of everything: each part of the page is the separate call's
    answer, and holds what was stored."""
    holder = stored_holder(ctx)
    page = the_page_is_the_separate_calls(holder.shopper)
    assert [saved.address for saved in page.addresses.saved] == [HOME]
    assert len(page.addresses.from_orders) == 1  # the linked order's address, not saved
    assert [car.vehicle_id for car in page.garage.vehicles] == [holder.vehicle_id]
    assert page.store_credit.balances == (Money("12.50", "USD"),)
    assert [listed.code.code for listed in page.discount_codes.codes] == [holder.code]
    assert [watch.part_number.display for watch in page.part_watches.watches] == [WATCHED]
    assert page.mail_preferences.subscribed == ("newsletter",)
    assert page.language == "en"


def test_an_empty_profile_is_every_list_empty(ctx: ServiceContext) -> None:
    """A new account: every list empty, as each call answers it."""
    register(ctx, JANE)
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=log_in(ctx, JANE).token)
    page = the_page_is_the_separate_calls(shopper)
    assert page.addresses.saved == page.addresses.from_orders == ()
    assert page.garage.vehicles == page.part_watches.watches == page.discount_codes.codes == ()
    assert page.store_credit.balances == page.store_credit.entries == ()
    assert page.mail_preferences.subscribed == ()


def test_the_page_follows_the_language_and_the_codes_status_now(ctx: ServiceContext) -> None:
    """The account's language as chosen; a code past its expiry is listed expired, as the
    codes' own call lists it at the same time."""
    holder = stored_holder(ctx)
    assert holder.shopper.set_language("fi") == LanguageChanged(language="fi")
    advance(ctx, timedelta(days=91))  # past the code's 90 days; the session is kept alive
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=log_in(ctx, JANE).token)
    page = the_page_is_the_separate_calls(shopper)
    assert page.language == "fi"
    assert [listed.status for listed in page.discount_codes.codes] == [CodeStatus.EXPIRED]


def test_another_account_sees_only_its_own(ctx: ServiceContext) -> None:
    """Two accounts: each page lists its holder's things only (SECURITY A1)."""
    stored_holder(ctx)
    advance(ctx, timedelta(seconds=1))  # John's verification mail is the newest
    john = stored_holder(ctx, "john@example.com", order="700000002")
    page = the_page_is_the_separate_calls(john.shopper)
    assert [car.vehicle_id for car in page.garage.vehicles] == [john.vehicle_id]
    assert [listed.code.code for listed in page.discount_codes.codes] == [john.code]


@pytest.mark.parametrize(
    "session",
    [
        None,
        "",
        "x" * 43,  # shaped like a session id, never issued
        "'; DROP TABLE account_sessions; --" + "A" * 20,
        "A" * 10_000,
        "\ud800" * 43,  # a lone surrogate: no stored id can have one
        "Ａ" * 43,  # fullwidth look-alikes of an id's characters
    ],
    ids=["none", "empty", "unknown", "injection", "too-long", "surrogates", "fullwidth"],
)
def test_no_live_session_is_not_logged_in_as_every_call_answers(
    ctx: ServiceContext, session: str | None
) -> None:
    """Without a live session the page answers the NotLoggedIn a list's call answers (in
    the page's language), and reads nothing of any account."""
    stored_holder(ctx)
    for language in (None, "fi"):
        shopper = OrderStatus(ctx).shopper(client=CLIENT, session=session, language=language)
        answer = shopper.profile()
        assert isinstance(answer, NotLoggedIn), answer
        assert answer == shopper.garage() == shopper.discount_codes()


def test_a_logged_out_or_deleted_account_is_not_logged_in(ctx: ServiceContext) -> None:
    """The session's end and the account's deletion show on the very next page."""
    holder = stored_holder(ctx)
    other = OrderStatus(ctx).shopper(client=CLIENT, session=log_in(ctx, JANE).token)
    holder.shopper.log_out()
    assert isinstance(holder.shopper.profile(), NotLoggedIn)
    the_page_is_the_separate_calls(other)
    fresh = OrderStatus(ctx).shopper(client=CLIENT, session=log_in(ctx, JANE).token)
    assert fresh.delete_account() == AccountDeleted()
    assert isinstance(fresh.profile(), NotLoggedIn)
    assert isinstance(other.profile(), NotLoggedIn)


@pytest.mark.parametrize("proof", ["203.0.113.9", None, 42, {"client": CLIENT}])
def test_a_proof_that_is_no_shopper_proof_is_refused(ctx: ServiceContext, proof: Any) -> None:
    """The service takes a ShopperProof only (as every account command)."""
    with pytest.raises(InvalidFieldError, match="proof"):
        profile_page(ctx, proof)


# --- the work it does, and its storage failing ------------------------------------------------


@attrs.define
class _Watched:
    """A port of a unit: counts each call by name and raises AdapterError on ``failing``."""

    port: Any
    calls: list[str]
    failing: str | None

    def __getattr__(self, name: str) -> Any:
        found = getattr(self.port, name)
        if not callable(found):
            return found

        def call(*arguments: Any, **options: Any) -> Any:
            self.calls.append(name)
            if name == self.failing:
                raise AdapterError(f"{name} failed (the test's storage)")
            return found(*arguments, **options)

        return call


@attrs.define
class _CountingStorage:
    """A storage that records each unit of work opened (its options) and the port calls
    made in it, and fails the port call named ``failing``."""

    storage: Any
    failing: str | None = None
    units: list[tuple[dict[str, bool], list[str]]] = attrs.field(factory=list)

    @contextmanager
    def unit_of_work(self, **options: bool) -> Iterator[Any]:
        calls: list[str] = []
        self.units.append((options, calls))
        with self.storage.unit_of_work(**options) as uow:
            yield _Unit(uow, calls, self.failing)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.storage, name)


class _Unit:
    def __init__(self, uow: Any, calls: list[str], failing: str | None) -> None:
        self._uow = uow
        self.accounts = _Watched(uow.accounts, calls, failing)
        self.credit = _Watched(uow.credit, calls, failing)
        self.sessions = _Watched(uow.sessions, calls, failing)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._uow, name)


def _counted(ctx: ServiceContext, failing: str | None = None) -> tuple[Any, _CountingStorage]:
    """A shopper of a stored holder on a counting storage (the fixed clock stays within
    the session's touch minute, so the page writes nothing)."""
    holder = stored_holder(ctx)
    counting = _CountingStorage(ctx.storage, failing)
    shopper = OrderStatus(attrs.evolve(ctx, storage=counting)).shopper(
        client=CLIENT, session=holder.shopper.proof.session
    )
    return shopper, counting


#: The port calls of the page's read unit, in order: one statement each (the credit: the
#: account's own key, its orders' keys, then a balance and the entries per holder).
_PAGE_READS = (
    "saved_addresses",
    "order_addresses",
    "garage",
    "get",
    "linked_email_keys",
    "balances",
    "entries",
    "discount_codes",
    "part_watches",
    "mail_subscriptions",
)


def test_one_session_check_and_one_read_unit(ctx: ServiceContext) -> None:
    """The page opens two units: the lean session check (one read) and one read unit with
    one port call per list; six calls of separate pages open twelve."""
    shopper, counting = _counted(ctx)
    the_page = shopper.profile()
    assert counting.units == [
        ({"read_once": True}, ["check"]),
        ({}, list(_PAGE_READS)),
    ]
    assert not any(options.get("write") for options, _calls in counting.units)
    counting.units.clear()
    the_page_is_the_separate_calls(shopper)
    assert len(counting.units) == 2 + 2 * 6 + 1  # the page, six calls, check()
    assert shopper.profile() == the_page


@pytest.mark.parametrize("failing", ["check", *_PAGE_READS])
def test_a_failing_read_fails_the_page(ctx: ServiceContext, failing: str) -> None:
    """Whichever read fails, the page raises the storage's AdapterError (never a page with
    a list left out) and writes nothing."""
    shopper, counting = _counted(ctx, failing)
    with pytest.raises(AdapterError, match=failing):
        shopper.profile()
    assert not any(options.get("write") for options, _calls in counting.units)


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE saved_addresses SET saved_at = 'soon'",
        "UPDATE garage_vehicles SET added_at = 'soon'",
        "UPDATE store_credit SET at = 'soon'",
        "UPDATE discount_codes SET issued_at = 'soon'",
        "UPDATE part_watches SET watched_at = 'soon'",
        "UPDATE mail_subscriptions SET subscribed_at = 'soon'",
        "UPDATE accounts SET state = 'frozen'",
    ],
)
def test_a_damaged_row_fails_the_page_on_sqlite(tmp_path: Path, statement: str) -> None:
    """A row spoiled behind the adapter's back (a time that is no number, a state the
    model has not) is an AdapterError for the page, as for the list's own call: the
    restored rows are not validated again, but what would be misread is refused."""
    storage = open_storage("sqlite", tmp_path)
    try:
        holder = stored_holder(fake_context(storage))
        connection = sqlite3.connect(tmp_path / "accounts.db")
        with connection:  # commits; the connection is closed below
            connection.execute(statement)
        connection.close()
        with pytest.raises(AdapterError):
            holder.shopper.profile()
    finally:
        storage.close()
