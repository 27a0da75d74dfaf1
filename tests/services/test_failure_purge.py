"""The purge forgets the failed log-in counts nobody needs (issue 13, SECURITY C2, D5): a count
below the lock is gone ``failure_memory`` after its last failure and not a second sooner; a
count at the lock stays until its recovery; the store's policy sets the time."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

from orderstatus_core import (
    AccountPolicy,
    AdapterError,
    LoggedIn,
    LogInRefused,
    OrderStatus,
    Quota,
    hookimpl,
)
from orderstatus_core.model.account import failure_key
from orderstatus_core.services import ServiceContext
from orderstatus_core.testing import FixedClock, fake_context
from orderstatus_memory.storage import _Accounts as MemoryAccounts
from support.accounts import CLIENT, PASSWORD, open_storage, register

JANE = "jane@example.com"
_MONTH = timedelta(days=30)
_SECOND = timedelta(seconds=1)


class _Lenient:
    """Rate limits out of the way, so that the lock can be reached in one test."""

    @hookimpl
    def orderstatus_account_policy(self) -> AccountPolicy:
        wide = Quota(1000, timedelta(minutes=1))
        return attrs.evolve(AccountPolicy(), login_per_client=wide, login_per_account=wide)


class _ForgetInADay(_Lenient):
    """A store that keeps counts for one day."""

    @hookimpl
    def orderstatus_account_policy(self) -> AccountPolicy:
        return attrs.evolve(super().orderstatus_account_policy(), failure_memory=timedelta(days=1))


@pytest.fixture(params=["memory", "sqlite"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceContext]:
    """A store with Jane registered, its limits lenient, on memory or SQLite."""
    storage = open_storage(request.param, tmp_path)
    context = fake_context(storage, plugins=[_Lenient()])
    register(context, JANE)
    try:
        yield context
    finally:
        storage.close()


def _fail(ctx: ServiceContext, email: str, times: int) -> None:
    desk = OrderStatus(ctx)
    for _ in range(times):
        assert desk.log_in(email, "not the password at all", client=CLIENT) == LogInRefused()


def _counted(ctx: ServiceContext, email: str) -> int:
    with ctx.storage.unit_of_work() as uow:
        return uow.accounts.failed_logins(failure_key(email))


def _advance(ctx: ServiceContext, by: timedelta) -> None:
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(by)


def test_a_count_goes_a_second_after_its_memory_not_at_it(ctx: ServiceContext) -> None:
    """A made-up address's count and a known one's stay at 30 days after their last
    failure and are gone a second later; the report says how many."""
    _fail(ctx, "made.up@example.com", 3)
    _fail(ctx, JANE, 99)
    _advance(ctx, _MONTH)
    assert OrderStatus(ctx).purge().failed_logins == 0
    assert (_counted(ctx, "made.up@example.com"), _counted(ctx, JANE)) == (3, 99)
    _advance(ctx, _SECOND)
    assert OrderStatus(ctx).purge().failed_logins == 2
    assert (_counted(ctx, "made.up@example.com"), _counted(ctx, JANE)) == (0, 0)


def test_a_forgotten_count_starts_again_below_the_lock(ctx: ServiceContext) -> None:
    """What forgetting means (docs/accounts.md): 99 failures, a quiet month, then the
    account is open to 99 more tries before the 100th locks it."""
    _fail(ctx, JANE, 99)
    _advance(ctx, _MONTH + _SECOND)
    OrderStatus(ctx).purge()
    _fail(ctx, JANE, 99)
    assert isinstance(OrderStatus(ctx).log_in(JANE, PASSWORD, client=CLIENT), LoggedIn)
    _fail(ctx, JANE, 100)
    assert OrderStatus(ctx).log_in(JANE, PASSWORD, client=CLIENT) == LogInRefused()


def test_a_locked_address_stays_locked_whatever_its_age(ctx: ServiceContext) -> None:
    """SECURITY C2: the 100th failure locks until a recovery; a year of purges forgets
    the count below the lock of another address, never this one."""
    _fail(ctx, JANE, 100)
    _fail(ctx, "made.up@example.com", 1)
    _advance(ctx, 365 * timedelta(days=1))
    assert OrderStatus(ctx).purge().failed_logins == 1
    assert _counted(ctx, JANE) == 100
    assert OrderStatus(ctx).log_in(JANE, PASSWORD, client=CLIENT) == LogInRefused()


def test_a_failure_since_keeps_the_count(ctx: ServiceContext) -> None:
    """The memory runs from the last failure, not the first."""
    _fail(ctx, JANE, 5)
    _advance(ctx, _MONTH)
    _fail(ctx, JANE, 1)
    _advance(ctx, _SECOND)
    assert OrderStatus(ctx).purge().failed_logins == 0
    assert _counted(ctx, JANE) == 6


def test_the_store_policy_sets_the_memory() -> None:
    """A store's ``orderstatus_account_policy`` of one day: gone at a day and a second."""
    ctx = fake_context(plugins=[_ForgetInADay()])
    _fail(ctx, "made.up@example.com", 2)
    _advance(ctx, timedelta(days=1))
    assert OrderStatus(ctx).purge().failed_logins == 0
    _advance(ctx, _SECOND)
    assert OrderStatus(ctx).purge().failed_logins == 1


@pytest.mark.parametrize(
    "memory",
    [timedelta(0), -_SECOND, timedelta(days=3650, seconds=1), timedelta.max, 30, "30 days"],
    ids=repr,
)
def test_a_memory_that_is_no_lifetime_is_refused(memory: object) -> None:
    """Zero, negative, longer than ten years (a purge subtracts it from the time) or not a
    ``timedelta`` at all: refused, naming the field; ten years is accepted."""
    with pytest.raises(ValueError, match="failure_memory"):
        AccountPolicy(failure_memory=memory)  # type: ignore[arg-type]
    assert AccountPolicy(failure_memory=timedelta(days=3650)).failure_memory.days == 3650


class _Confused:
    @hookimpl
    def orderstatus_account_policy(self) -> AccountPolicy:
        return attrs.evolve(AccountPolicy(), failure_memory=timedelta(0))


def test_a_hook_answering_no_lifetime_fails() -> None:
    """A store plugin's policy with a memory of zero never reaches a purge."""
    with pytest.raises(ValueError, match="failure_memory"):
        fake_context(plugins=[_Confused()])


def test_a_failing_storage_purges_nothing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """When forgetting fails, the purge raises ``AdapterError`` and its one transaction
    deletes nothing, the old count included."""
    storage = open_storage("memory", tmp_path)
    ctx = fake_context(storage, plugins=[_Lenient()])
    _fail(ctx, "made.up@example.com", 1)
    _advance(ctx, _MONTH + _SECOND)

    def down(self: MemoryAccounts, last_before: object, below: object) -> int:
        raise AdapterError("the database is unreachable")

    monkeypatch.setattr(MemoryAccounts, "forget_failed_logins", down)
    with pytest.raises(AdapterError, match="unreachable"):
        OrderStatus(ctx).purge()
    assert _counted(ctx, "made.up@example.com") == 1
