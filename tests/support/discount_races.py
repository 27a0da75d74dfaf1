"""Eight checkouts redeeming one discount code at once, and staff issuing past the bound,
on any storage: the race tests of memory, SQLite and PostgreSQL share these."""

from __future__ import annotations

from collections.abc import Callable

from orderstatus_core import (
    CodeAlreadyUsed,
    CodeIssued,
    CodeRevoked,
    DiscountApplied,
    DiscountCodes,
    Money,
    OrderStatus,
    ProfilePolicy,
    TooManyCodes,
    hookimpl,
)
from orderstatus_core.contacts import parse_email
from orderstatus_core.ports import Storage
from orderstatus_core.services import ServiceContext
from orderstatus_core.testing import fake_context
from orderstatus_core.testing.contracts._support import _together
from support.accounts import CLIENT, log_in, register

THREADS = 8
JANE = "jane@example.com"
SUBTOTAL = Money("80.00", "USD")


class FewCodes:
    """A store whose accounts hold at most 3 open codes."""

    @hookimpl
    def orderstatus_profile_policy(self) -> ProfilePolicy:
        return ProfilePolicy(max_discount_codes=3)


def discount_store(storage: Storage) -> ServiceContext:
    """A context on ``storage`` (migrated, empty) with Jane registered, 3 codes at most."""
    context = fake_context(storage, plugins=[FewCodes()])
    register(context, JANE)
    return context


def at_once(act: Callable[[int], object]) -> list[object]:
    """``act(n)`` in eight threads released by one barrier; the answers (an exception is
    the answer of its thread)."""

    def answer(n: int) -> object:
        try:
            return act(n)
        except Exception as error:  # reported by the caller's assertions, as the answer
            return error

    return _together(THREADS, answer)


def _issued(ctx: ServiceContext) -> str:
    answer = OrderStatus(ctx).discounts.issue(parse_email(JANE), amount=Money("10.00", "USD"))
    assert isinstance(answer, CodeIssued), answer
    return answer.code.code


def _used_codes(ctx: ServiceContext) -> int:
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=log_in(ctx, JANE).token)
    listed = shopper.discount_codes()
    assert isinstance(listed, DiscountCodes), listed
    return sum(entry.code.used_at is not None for entry in listed.codes)


def check_eight_orders_use_one_code_once(ctx: ServiceContext) -> None:
    """Eight checkouts (eight orders) redeem one code at once: one DiscountApplied, seven
    CodeAlreadyUsed, the code used for the winner's order."""
    code = _issued(ctx)
    jane = parse_email(JANE)

    def redeem(n: int) -> object:
        return OrderStatus(ctx).discounts.redeem(code, jane, f"order-{n}", SUBTOTAL)

    answers = at_once(redeem)
    applied = [a for a in answers if isinstance(a, DiscountApplied)]
    assert len(applied) == 1, answers
    assert sum(isinstance(a, CodeAlreadyUsed) for a in answers) == 7, answers
    assert _used_codes(ctx) == 1


def check_one_order_retried_eight_times_is_discounted_once(ctx: ServiceContext) -> None:
    """One checkout retried eight times at once: eight equal DiscountApplied (the repeat is
    idempotent), the code used once."""
    code = _issued(ctx)
    jane = parse_email(JANE)
    answers = at_once(lambda _n: OrderStatus(ctx).discounts.redeem(code, jane, "order-1", SUBTOTAL))
    assert answers == [DiscountApplied(code, Money("10.00", "USD"), "order-1")] * THREADS
    assert _used_codes(ctx) == 1


def check_revoke_and_redeem_never_both_win(ctx: ServiceContext) -> None:
    """Four staff revokes and four checkouts at once: the code ends used or revoked, and
    every answer agrees with which."""
    code = _issued(ctx)
    jane = parse_email(JANE)
    desk = OrderStatus(ctx)

    def act(n: int) -> object:
        if n % 2:
            return desk.discounts.revoke(code)
        return desk.discounts.redeem(code, jane, f"order-{n}", SUBTOTAL)

    answers = at_once(act)
    applied = sum(isinstance(a, DiscountApplied) for a in answers)
    revoked = sum(isinstance(a, CodeRevoked) for a in answers)
    if applied:
        assert applied == 1, answers
        assert sum(isinstance(a, CodeAlreadyUsed) for a in answers) == 7, answers
    else:
        assert revoked == THREADS, answers


def check_eight_issues_stop_at_the_bound(ctx: ServiceContext) -> None:
    """Staff issue eight codes to one account at once: three are issued, five answer
    TooManyCodes."""
    jane = parse_email(JANE)
    answers = at_once(lambda _n: OrderStatus(ctx).discounts.issue(jane, percent=5))
    assert sum(isinstance(a, CodeIssued) for a in answers) == 3, answers
    assert answers.count(TooManyCodes(limit=3)) == 5, answers


__all__ = [
    "at_once",
    "check_eight_issues_stop_at_the_bound",
    "check_eight_orders_use_one_code_once",
    "check_one_order_retried_eight_times_is_discounted_once",
    "check_revoke_and_redeem_never_both_win",
    "discount_store",
]
