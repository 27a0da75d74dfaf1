"""A page view's session check (``shopper.check()``) and the account page
(``shopper.view()``): the session and its account in one read-once unit (one statement on
SQLite), a write only when last-seen is a minute old, nothing kept between page views (a
logged-out session or a deleted account is seen at once), and a storage failure raised,
never answered as "not logged in". Each test runs both commands: they decide alike."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import attrs
import pytest

from orderstatus_core import (
    AccountView,
    AdapterError,
    NotLoggedIn,
    OrderStatus,
    ShopperSession,
    SignedIn,
)
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


class _TouchFails(_UnitsSeen):
    """A storage whose every write unit fails: the touch of a page view cannot be written."""

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> Any:
        if write:
            raise AdapterError("the database is read-only now")
        return super().unit_of_work(write=write, read_once=read_once)


#: Both page commands: the lean check and the account page, with the answer each gives.
_PAGES = {"check": SignedIn, "view": AccountView}


@pytest.fixture(params=sorted(_PAGES))
def page(request: pytest.FixtureRequest) -> str:
    """The command under test: ``check`` or ``view``."""
    return str(request.param)


def _open(shopper: ShopperSession, page: str) -> object:
    answer: object = shopper.check() if page == "check" else shopper.view()
    return answer


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


def test_a_page_view_is_one_read_once_unit_and_writes_once_a_minute(
    storage: Storage, page: str
) -> None:
    """Within the minute a view opens one read-once unit and nothing else; a minute after
    the last write it adds one write unit (the touch)."""
    ctx, token = _jane(storage)
    seen = _UnitsSeen(storage)
    shopper = OrderStatus(attrs.evolve(ctx, storage=seen)).shopper(client=CLIENT, session=token)
    _advance(ctx, timedelta(seconds=59))
    assert isinstance(_open(shopper, page), _PAGES[page])
    assert seen.units == ["read once"]
    _advance(ctx, timedelta(seconds=1))
    assert isinstance(_open(shopper, page), _PAGES[page])
    assert seen.units == ["read once", "read once", "write"]
    with storage.unit_of_work() as uow:
        stored = uow.sessions.get(hash_session_id(token))
    assert stored is not None
    assert stored.last_seen_at == ctx.clock.now()


def test_every_account_page_checks_the_session_in_one_read_once_unit(storage: Storage) -> None:
    """The history page's session check is a read-once unit too (the session alone, no
    account), before the page's own read."""
    ctx, token = _jane(storage)
    seen = _UnitsSeen(storage)
    shopper = OrderStatus(attrs.evolve(ctx, storage=seen)).shopper(client=CLIENT, session=token)
    shopper.history()
    shopper.search(part_number="BP-1234")
    assert seen.units == ["read once", "read", "read once", "read"]


def test_a_page_view_shows_the_account_as_stored_now(storage: Storage, page: str) -> None:
    """The account comes from the same read as the session, each view afresh: a language
    changed in the store shows on the next view."""
    ctx, token = _jane(storage)
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=token)
    first = _open(shopper, page)
    assert isinstance(first, AccountView | SignedIn)
    with storage.unit_of_work(write=True) as uow:
        account = uow.accounts.by_email(JANE)
        assert account is not None
        uow.accounts.save(account.with_language("fi"))
        uow.commit()
    again = _open(shopper, page)
    assert isinstance(again, AccountView | SignedIn)
    assert (first.language, again.language) == ("en", "fi")


def test_a_session_of_a_deleted_account_is_not_logged_in(storage: Storage, page: str) -> None:
    """Even a session left unended: the account read with it is deleted, so the view
    answers ``NotLoggedIn``; a logged-out session likewise on the next view."""
    ctx, token = _jane(storage)
    other = log_in(ctx, JANE).token
    with storage.unit_of_work(write=True) as uow:
        account = uow.accounts.by_email(JANE)
        assert account is not None
        uow.accounts.save(account.deleted())
        uow.commit()
    assert _open(OrderStatus(ctx).shopper(client=CLIENT, session=token), page) == NotLoggedIn()
    with storage.unit_of_work(write=True) as uow:
        uow.sessions.end(hash_session_id(other), ctx.clock.now())
        uow.commit()
    assert _open(OrderStatus(ctx).shopper(client=CLIENT, session=other), page) == NotLoggedIn()


@pytest.mark.parametrize(
    "session", ["A" * 43, "A" * 5000, "\ud800" * 43, "' OR 1=1 --" + "A" * 40, "é" * 43]
)
def test_a_forged_session_is_not_logged_in(storage: Storage, session: str, page: str) -> None:
    """Unknown, too long, a lone surrogate, SQL text: ``NotLoggedIn``, nothing written."""
    ctx, _token = _jane(storage)
    seen = _UnitsSeen(storage)
    shopper = OrderStatus(attrs.evolve(ctx, storage=seen)).shopper(client=CLIENT, session=session)
    assert _open(shopper, page) == NotLoggedIn()
    assert "write" not in seen.units


def test_a_storage_failure_is_raised_not_answered_as_logged_out(
    storage: Storage, page: str
) -> None:
    """The session check's read failing raises ``AdapterError``: the shopper is not told
    they are logged out because the database was away; so does a due touch that cannot be
    written (the idle time-out must count from a written time, not a forgotten one)."""
    ctx, token = _jane(storage)
    broken = attrs.evolve(ctx, storage=_Unreachable(storage))
    with pytest.raises(AdapterError, match="unreachable"):
        _open(OrderStatus(broken).shopper(client=CLIENT, session=token), page)
    _advance(ctx, timedelta(minutes=1))
    stuck = attrs.evolve(ctx, storage=_TouchFails(storage))
    with pytest.raises(AdapterError, match="read-only"):
        _open(OrderStatus(stuck).shopper(client=CLIENT, session=token), page)


def test_the_check_answers_who_is_logged_in(storage: Storage) -> None:
    """``SignedIn`` names the account as stored (its id and language) and the session's
    expiry; no address, no secret, nothing of the token in its ``repr``."""
    ctx, token = _jane(storage)
    who = OrderStatus(ctx).shopper(client=CLIENT, session=token, language="fi").check()
    with storage.unit_of_work() as uow:
        account = uow.accounts.by_email(JANE)
        session = uow.sessions.get(hash_session_id(token))
    assert account is not None
    assert session is not None
    assert who == SignedIn(account.account_id, "en", session.expires_at, session.remember)
    assert token not in repr(who)
    assert JANE not in repr(who)


def test_the_check_ends_where_the_session_ends(storage: Storage) -> None:
    """A plain session: live at exactly 30 minutes idle, not a second later; a remembered
    one outlives idleness and ends at its absolute expiry, included, never moved by a
    touch (SECURITY E1)."""
    ctx = fake_context(storage)
    register(ctx, JANE)
    plain = log_in(ctx, JANE).token
    kept = log_in(ctx, JANE, remember=True)
    desk = OrderStatus(ctx)
    _advance(ctx, timedelta(minutes=30))
    assert isinstance(desk.shopper(client=CLIENT, session=plain).check(), SignedIn)
    _advance(ctx, timedelta(minutes=30, seconds=1))
    assert desk.shopper(client=CLIENT, session=plain).check() == NotLoggedIn()
    assert isinstance(desk.shopper(client=CLIENT, session=kept.token).check(), SignedIn)
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.set(kept.expires_at)
    who = desk.shopper(client=CLIENT, session=kept.token).check()
    assert isinstance(who, SignedIn)
    assert who.session_expires_at == kept.expires_at
    ctx.clock.set(kept.expires_at + timedelta(seconds=1))
    assert desk.shopper(client=CLIENT, session=kept.token).check() == NotLoggedIn()


def test_not_logged_in_reads_in_the_shoppers_language(storage: Storage) -> None:
    """The refusal is the same value ``view()`` answers, in the language asked for."""
    ctx, _token = _jane(storage)
    desk = OrderStatus(ctx)
    for language in ("fi", "en"):
        stale = desk.shopper(client=CLIENT, session="A" * 43, language=language)
        assert stale.check() == stale.view()
    assert desk.shopper(client=CLIENT, language="fi").check() != NotLoggedIn()
