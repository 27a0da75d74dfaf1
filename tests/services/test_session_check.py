"""A page view's session check: the session and its account in one read-once unit (one
statement on SQLite), a write only when last-seen is a minute old, nothing kept between
page views (a logged-out session or a deleted account is seen at once), and a storage
failure raised, never answered as "not logged in"."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from orderstatus_core import AccountView, AdapterError, NotLoggedIn, OrderStatus
from orderstatus_core.model.account import hash_session_id
from orderstatus_core.ports import Storage
from orderstatus_core.services import ServiceContext
from orderstatus_core.testing import FixedClock, fake_context
from support.accounts import CLIENT, log_in, open_storage, register

JANE = "jane@example.com"


class _UnitsSeen:
    """A storage that writes down the kind of every unit of work opened through it."""

    def __init__(self, inner: Storage) -> None:
        self.inner = inner
        self.units: list[str] = []
        self.url = inner.url

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> Any:
        self.units.append("write" if write else "read once" if read_once else "read")
        return self.inner.unit_of_work(write=write, read_once=read_once)

    def migrate(self) -> int:
        return self.inner.migrate()

    def close(self) -> None:
        self.inner.close()


class _Unreachable(_UnitsSeen):
    """A storage whose every read-once unit fails, as a database that went away does."""

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> Any:
        if read_once:
            raise AdapterError("the database is unreachable")
        return super().unit_of_work(write=write, read_once=read_once)


@pytest.fixture(params=["memory", "sqlite"])
def storage(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Storage]:
    opened = open_storage(request.param, tmp_path)
    yield opened
    opened.close()


def _jane(storage: Storage) -> tuple[ServiceContext, str]:
    """Jane registered and logged in: the context and her session token."""
    ctx = fake_context(storage)
    register(ctx, JANE)
    return ctx, log_in(ctx, JANE).token


def _advance(ctx: ServiceContext, by: timedelta) -> None:
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(by)


def test_a_page_view_is_one_read_once_unit_and_writes_once_a_minute(storage: Storage) -> None:
    """Within the minute a view opens one read-once unit and nothing else; a minute after
    the last write it adds one write unit (the touch)."""
    ctx, token = _jane(storage)
    seen = _UnitsSeen(storage)
    shopper = OrderStatus(attrs.evolve(ctx, storage=seen)).shopper(client=CLIENT, session=token)
    _advance(ctx, timedelta(seconds=59))
    assert isinstance(shopper.view(), AccountView)
    assert seen.units == ["read once"]
    _advance(ctx, timedelta(seconds=1))
    assert isinstance(shopper.view(), AccountView)
    assert seen.units == ["read once", "read once", "write"]


def test_every_account_page_checks_the_session_in_one_read_once_unit(storage: Storage) -> None:
    """The history page's session check is a read-once unit too (the session alone, no
    account), before the page's own read."""
    ctx, token = _jane(storage)
    seen = _UnitsSeen(storage)
    shopper = OrderStatus(attrs.evolve(ctx, storage=seen)).shopper(client=CLIENT, session=token)
    shopper.history()
    shopper.search(part_number="BP-1234")
    assert seen.units == ["read once", "read", "read once", "read"]


def test_a_page_view_shows_the_account_as_stored_now(storage: Storage) -> None:
    """The account comes from the same read as the session, each view afresh: a language
    changed in the store shows on the next view."""
    ctx, token = _jane(storage)
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=token)
    first = shopper.view()
    assert isinstance(first, AccountView)
    with storage.unit_of_work(write=True) as uow:
        account = uow.accounts.by_email(JANE)
        assert account is not None
        uow.accounts.save(account.with_language("fi"))
        uow.commit()
    again = shopper.view()
    assert isinstance(again, AccountView)
    assert (first.language, again.language) == ("en", "fi")


def test_a_session_of_a_deleted_account_is_not_logged_in(storage: Storage) -> None:
    """Even a session left unended: the account read with it is deleted, so the view
    answers ``NotLoggedIn``; a logged-out session likewise on the next view."""
    ctx, token = _jane(storage)
    other = log_in(ctx, JANE).token
    with storage.unit_of_work(write=True) as uow:
        account = uow.accounts.by_email(JANE)
        assert account is not None
        uow.accounts.save(account.deleted())
        uow.commit()
    assert OrderStatus(ctx).shopper(client=CLIENT, session=token).view() == NotLoggedIn()
    with storage.unit_of_work(write=True) as uow:
        uow.sessions.end(hash_session_id(other), ctx.clock.now())
        uow.commit()
    assert OrderStatus(ctx).shopper(client=CLIENT, session=other).view() == NotLoggedIn()


@pytest.mark.parametrize(
    "session", ["A" * 43, "A" * 5000, "\ud800" * 43, "' OR 1=1 --" + "A" * 40, "é" * 43]
)
def test_a_forged_session_is_not_logged_in(storage: Storage, session: str) -> None:
    """Unknown, too long, a lone surrogate, SQL text: ``NotLoggedIn``, nothing written."""
    ctx, _token = _jane(storage)
    seen = _UnitsSeen(storage)
    shopper = OrderStatus(attrs.evolve(ctx, storage=seen)).shopper(client=CLIENT, session=session)
    assert shopper.view() == NotLoggedIn()
    assert "write" not in seen.units


def test_a_storage_failure_is_raised_not_answered_as_logged_out(storage: Storage) -> None:
    """The session check's read failing raises ``AdapterError``: the shopper is not told
    they are logged out because the database was away."""
    ctx, token = _jane(storage)
    broken = attrs.evolve(ctx, storage=_Unreachable(storage))
    with pytest.raises(AdapterError, match="unreachable"):
        OrderStatus(broken).shopper(client=CLIENT, session=token).view()
