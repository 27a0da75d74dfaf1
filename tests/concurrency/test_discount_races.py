"""A discount code is used once (issue 14 item 4, SECURITY G2): checkouts racing with one
code, a retried checkout, a revoke racing with a checkout and staff issuing past the bound,
on memory and SQLite (whose write unit holds the write lock from ``BEGIN IMMEDIATE``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from orderstatus_core.services import ServiceContext
from support.accounts import open_storage
from support.discount_races import (
    check_eight_issues_stop_at_the_bound,
    check_eight_orders_use_one_code_once,
    check_one_order_retried_eight_times_is_discounted_once,
    check_revoke_and_redeem_never_both_win,
    discount_store,
)


@pytest.fixture(params=["memory", "sqlite"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceContext]:
    """Jane registered; accounts hold at most 3 open codes."""
    storage = open_storage(request.param, tmp_path)
    yield discount_store(storage)
    storage.close()


def test_eight_orders_at_once_use_one_code_once(ctx: ServiceContext) -> None:
    """One DiscountApplied, seven CodeAlreadyUsed."""
    check_eight_orders_use_one_code_once(ctx)


def test_one_order_retried_at_once_is_discounted_once(ctx: ServiceContext) -> None:
    """Eight equal DiscountApplied; the code is used once."""
    check_one_order_retried_eight_times_is_discounted_once(ctx)


def test_a_revoke_and_a_checkout_never_both_win(ctx: ServiceContext) -> None:
    """The code ends used or revoked, and every answer agrees."""
    check_revoke_and_redeem_never_both_win(ctx)


def test_eight_issues_at_once_stop_at_the_bound(ctx: ServiceContext) -> None:
    """Three codes issued, five TooManyCodes."""
    check_eight_issues_stop_at_the_bound(ctx)
