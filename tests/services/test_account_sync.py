"""Orders that the sync brings later for a verified address join its account (SECURITY
F1), never an unverified one's; the purge removes expired account tokens, sessions and captchas
(SECURITY D5)."""

from __future__ import annotations

from datetime import timedelta

from orderstatus_core import OrderStatus
from orderstatus_core.services import ServiceContext
from orderstatus_core.services.sync import upsert_order
from orderstatus_core.testing import FixedClock, fake_context
from orderstatus_core.testing.builders import make_order
from support.accounts import log_in, register, sign_up, solve_captcha

JANE = "jane@example.com"


def _linked(ctx: ServiceContext, number: str) -> bool:
    with ctx.storage.unit_of_work() as uow:
        return uow.accounts.order_link(number) is not None


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
