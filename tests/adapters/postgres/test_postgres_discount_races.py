"""A discount code is used once on PostgreSQL (issue 14 item 4, SECURITY G2): the
conditional update's row lock makes one of eight racing checkouts win under read
committed; the account's row lock (``get ... FOR UPDATE``) keeps staff within the bound."""

from __future__ import annotations

import pytest

from orderstatus_core.services import ServiceContext
from orderstatus_postgres import PostgresStorage
from support.discount_races import (
    check_eight_issues_stop_at_the_bound,
    check_eight_orders_use_one_code_once,
    check_one_order_retried_eight_times_is_discounted_once,
    check_revoke_and_redeem_never_both_win,
    discount_store,
)


@pytest.fixture
def ctx(pg_storage: PostgresStorage) -> ServiceContext:
    """Jane registered on the session's schema; accounts hold at most 3 open codes."""
    return discount_store(pg_storage)


def test_eight_orders_at_once_use_one_code_once(ctx: ServiceContext) -> None:
    """One DiscountApplied, seven CodeAlreadyUsed (none a ConflictError)."""
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
