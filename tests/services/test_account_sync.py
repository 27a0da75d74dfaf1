"""Orders that the import or the sync brings later for a verified address join its account
(SECURITY F1), never an unverified one's; an order whose email the store changes follows
its new address; the purge removes expired account tokens, sessions and captchas
(SECURITY D5)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import pytest

from orderstatus_core import AdapterError, ImportRecordError, OrderStatus
from orderstatus_core.model import Order
from orderstatus_core.model.account import LinkedBy, OrderLink
from orderstatus_core.services import ServiceContext, join_verified_addresses
from orderstatus_core.services.importing import IMPORT_BATCH
from orderstatus_core.services.sync import upsert_order
from orderstatus_core.testing import FixedClock, fake_context
from orderstatus_core.testing.builders import make_order
from orderstatus_memory.storage import _Accounts, _Orders
from support.accounts import log_in, open_storage, register, sign_up, solve_captcha
from support.feeds import record_of

JANE = "jane@example.com"


def _linked(ctx: ServiceContext, number: str) -> bool:
    with ctx.storage.unit_of_work() as uow:
        return uow.accounts.order_link(number) is not None


def _holder(ctx: ServiceContext, number: str) -> str | None:
    with ctx.storage.unit_of_work() as uow:
        link = uow.accounts.order_link(number)
    return None if link is None else link.account_id


def _account_of(ctx: ServiceContext, email: str) -> str:
    with ctx.storage.unit_of_work() as uow:
        account = uow.accounts.by_email(email)
    assert account is not None
    return account.account_id


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_an_imported_order_joins_a_verified_account_only(kind: str, tmp_path: Path) -> None:
    """The import links the orders of Jane's verified address (whatever its case), in
    every batch, and never a stranger's nor an unverified sign-up's (SECURITY F1)."""
    with closing(open_storage(kind, tmp_path)) as storage:
        ctx = fake_context(storage)
        register(ctx, JANE)
        sign_up(ctx, "mike@example.com")
        strangers = [
            record_of(make_order(f"3{n:05}", email="anna@example.com")) for n in range(450)
        ]
        lines = [
            *strangers,
            record_of(make_order("200001", email="JANE@example.com")),
            record_of(make_order("200002", email="mike@example.com")),
            record_of(make_order("200003", email=JANE)),
        ]
        assert OrderStatus(ctx).import_orders(lines).imported == 453
        assert _holder(ctx, "200001") == _holder(ctx, "200003") == _account_of(ctx, JANE)
        assert not _linked(ctx, "200002")
        assert not _linked(ctx, "300000")


def test_an_import_that_fails_links_nothing() -> None:
    """A bad record after Jane's order rolls the whole import back, links included."""
    ctx = fake_context()
    register(ctx, JANE)
    lines = [record_of(make_order("200001", email=JANE)), "{not json"]
    with pytest.raises(ImportRecordError):
        OrderStatus(ctx).import_orders(lines)
    assert not _linked(ctx, "200001")


@pytest.mark.parametrize("read", ["verified_accounts", "unlinked_orders"])
def test_an_import_whose_account_read_fails_stores_nothing(
    read: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The storage failing to answer the verified accounts, or a verified address's
    unlinked orders, fails the import as it is: no order and no link is kept."""
    ctx = fake_context()
    register(ctx, JANE)

    def refuse(*_arguments: object) -> object:
        raise AdapterError("the database went away")

    monkeypatch.setattr(_Accounts, read, refuse)
    with pytest.raises(AdapterError, match="went away"):
        OrderStatus(ctx).import_orders([record_of(make_order("200001", email=JANE))])
    with ctx.storage.unit_of_work() as uow:
        assert uow.orders.get("200001") is None
    assert not _linked(ctx, "200001")


def test_an_import_reads_the_verified_accounts_once_after_its_last_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Three batches, then one read of the verified accounts with every address of the
    file once: the import's join is at its end, so a storage that locks addresses holds
    them only from there to the commit."""
    ctx = fake_context()
    register(ctx, JANE)
    steps: list[object] = []
    add_many, read = _Orders.add_many, _Accounts.verified_accounts

    def adding(self: _Orders, orders: Sequence[Order]) -> None:
        steps.append(len(orders))
        add_many(self, orders)

    def reading(self: _Accounts, keys: Collection[str]) -> Mapping[str, str]:
        steps.append(frozenset(keys))
        return read(self, keys)

    monkeypatch.setattr(_Orders, "add_many", adding)
    monkeypatch.setattr(_Accounts, "verified_accounts", reading)
    lines = [
        record_of(make_order(f"3{n:05}", email=f"shopper{n % 7}@example.com")) for n in range(450)
    ]
    lines.insert(3, record_of(make_order("200001", email="Jane@Example.com")))
    assert OrderStatus(ctx).import_orders(lines).imported == 451
    addresses = frozenset({JANE, *(f"shopper{n}@example.com" for n in range(7))})
    assert steps == [IMPORT_BATCH, IMPORT_BATCH, 51, addresses]
    assert _holder(ctx, "200001") == _account_of(ctx, JANE)


@pytest.mark.parametrize("kind", ["memory", "sqlite"])
def test_joining_addresses_links_only_verified_ones_and_refuses_no_text(
    kind: str, tmp_path: Path
) -> None:
    """``join_verified_addresses`` links the unlinked orders of a verified address, batch
    after batch (more than one batch of them), and nothing for an unverified sign-up, an
    unknown address or text no email key can be (too long, NUL, a lone surrogate, an
    injection): those find no account, as a look-up does."""
    with closing(open_storage(kind, tmp_path)) as storage:
        ctx = fake_context(storage)
        register(ctx, JANE)
        sign_up(ctx, "mike@example.com")
        jane_orders = [make_order(f"4{n:05}", email=JANE) for n in range(205)]
        with ctx.storage.unit_of_work(write=True) as uow:
            uow.orders.add_many([*jane_orders, make_order("200002", email="mike@example.com")])
            uow.commit()
        keys = {
            JANE,
            "mike@example.com",
            "nobody@example.com",
            "x" * 10_000 + "@example.com",
            "nul\x00@example.com",
            "lone\ud800@example.com",
            "' OR 1=1 --@example.com",
        }
        with ctx.storage.unit_of_work(write=True) as uow:
            assert join_verified_addresses(uow, keys, ctx.clock.now()) == 205
            assert join_verified_addresses(uow, set(), ctx.clock.now()) == 0
            uow.commit()
        assert {_holder(ctx, order.number) for order in jane_orders} == {_account_of(ctx, JANE)}
        assert not _linked(ctx, "200002")


def test_an_order_follows_the_email_the_store_gives_it() -> None:
    """An order belongs to the account of its stored email (SECURITY F1): changed to
    Mike's verified address it moves to Mike's account; changed to an address with no
    verified account it leaves Mike's, and joins no unverified sign-up's."""
    ctx = fake_context()
    assert isinstance(ctx.clock, FixedClock)
    register(ctx, JANE)
    # The helpers take the newest verification mail: one sign-up per instant.
    ctx.clock.advance(timedelta(seconds=1))
    register(ctx, "mike@example.com")
    ctx.clock.advance(timedelta(seconds=1))
    sign_up(ctx, "anna@example.com")
    jane, mike = _account_of(ctx, JANE), _account_of(ctx, "mike@example.com")
    assert upsert_order(ctx, make_order("200001", email=JANE)) == "created"
    assert _holder(ctx, "200001") == jane
    assert upsert_order(ctx, make_order("200001", email="mike@example.com")) == "updated"
    assert _holder(ctx, "200001") == mike
    assert upsert_order(ctx, make_order("200001", email="anna@example.com")) == "updated"
    assert _holder(ctx, "200001") is None


def test_an_attached_order_leaves_its_account_when_its_email_changes() -> None:
    """A code proved control of the order's old address, not of the new one: the
    attachment goes with the address (as an open guest-pass code does)."""
    ctx = fake_context()
    register(ctx, JANE)
    jane = _account_of(ctx, JANE)
    assert upsert_order(ctx, make_order("200001", email="work@example.com")) == "created"
    with ctx.storage.unit_of_work(write=True) as uow:
        at = ctx.clock.now()
        uow.accounts.link_order(OrderLink(jane, "200001", at, LinkedBy.CODE))
        uow.commit()
    assert upsert_order(ctx, make_order("200001", email="other@example.com")) == "updated"
    assert not _linked(ctx, "200001")


def test_an_upserted_order_joins_a_verified_account_but_never_an_unverified_one() -> None:
    """SECURITY F1: an unverified sign-up (account pre-hijacking) links nothing."""
    ctx = fake_context()
    register(ctx, JANE)
    sign_up(ctx, "mike@example.com")
    assert upsert_order(ctx, make_order("200003", email=JANE)) == "created"
    assert upsert_order(ctx, make_order("200004", email="mike@example.com")) == "created"
    assert _linked(ctx, "200003")
    assert not _linked(ctx, "200004")


def test_the_purge_removes_expired_tokens_sessions_and_captchas() -> None:
    """SECURITY D5: a day after expiry they are gone; a live session stays."""
    ctx = fake_context()
    register(ctx, JANE)
    log_in(ctx, JANE)
    solve_captcha(ctx)
    remembered = log_in(ctx, JANE, remember=True)
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(timedelta(days=2, seconds=1))
    report = OrderStatus(ctx).purge()
    assert report.account_tokens >= 2  # the verification and set-password links
    assert report.sessions == 1  # the plain one; keep-me-logged-in lives 14 days
    assert report.captchas == 2
    view = OrderStatus(ctx).shopper(client="203.0.113.9", session=remembered.token).view()
    assert view.__class__.__name__ == "AccountView"
