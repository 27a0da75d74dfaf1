"""Reset, changes of email and password, deletion, attaching an order, the history: the
same answer to forgot-password for every address (A1), reset links [1 h, single use]
(D3) ending every session and a pending email change (E3), the password within 5 minutes
before a change (E4), new addresses confirmed before they count (F1), codes to an order's
stored address (F2, A4)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from orderstatus_core import (
    AccountDeleted,
    AccountView,
    AttachCodeSent,
    AttachRefused,
    EmailChanged,
    EmailChangeRequested,
    HistoryPage,
    LinkRefused,
    LoggedIn,
    LogInRefused,
    NotLoggedIn,
    OrderAttached,
    OrderStatus,
    PasswordChanged,
    PasswordReset,
    ReauthenticationRequired,
    ResetRequested,
    SearchPage,
)
from orderstatus_core.messages import (
    AttachCodeMail,
    EmailChangeMail,
    EmailChangeNotice,
    PasswordResetMail,
)
from orderstatus_core.services import ServiceContext
from orderstatus_core.testing import FixedClock, fake_context
from orderstatus_core.testing.builders import make_order
from support.accounts import (
    CLIENT,
    PASSWORD,
    log_in,
    mail_of,
    open_storage,
    register,
    reset_token,
    token_of,
)

JANE = "jane@example.com"
NEW_PASSWORD = "another quite long password"


@pytest.fixture(params=["memory", "sqlite"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceContext]:
    """A store with Jane registered and two of her orders, on memory or SQLite."""
    storage = open_storage(request.param, tmp_path)
    context = fake_context(storage)
    with context.storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order("100001", email=JANE))
        uow.orders.add(make_order("100002", email="mike@example.com", phone="+14155552671"))
        uow.commit()
    register(context, JANE)
    yield context
    storage.close()


def _clock(ctx: ServiceContext) -> FixedClock:
    assert isinstance(ctx.clock, FixedClock)
    return ctx.clock


def test_forgot_password_answers_alike_and_mails_only_an_account(ctx: ServiceContext) -> None:
    """SECURITY A1: the same answer for an account, a stranger and a malformed address;
    only the account's stored address gets a link."""
    desk = OrderStatus(ctx)
    answers = {
        desk.forgot_password(typed, client=CLIENT)
        for typed in (JANE, "nobody@example.com", "not an address", "")
    }
    assert answers == {ResetRequested()}
    [mail] = mail_of(ctx, PasswordResetMail)
    assert isinstance(mail, PasswordResetMail)
    assert mail.to.display == JANE


def test_a_reset_ends_every_session_and_never_logs_in(ctx: ServiceContext) -> None:
    """SECURITY E3: both sessions end, remember-me included; the answer is no session."""
    plain, remembered = log_in(ctx, JANE), log_in(ctx, JANE, remember=True)
    answer = OrderStatus(ctx).reset_password(reset_token(ctx, JANE), NEW_PASSWORD, client=CLIENT)
    assert answer == PasswordReset()
    for session in (plain, remembered):
        assert OrderStatus(ctx).shopper(client=CLIENT, session=session.token).view() == (
            NotLoggedIn()
        )
    assert OrderStatus(ctx).log_in(JANE, PASSWORD, client=CLIENT) == LogInRefused()
    assert isinstance(OrderStatus(ctx).log_in(JANE, NEW_PASSWORD, client=CLIENT), LoggedIn)


@pytest.mark.parametrize(
    ("late", "works"), [(timedelta(hours=1), True), (timedelta(hours=1, seconds=1), False)]
)
def test_a_reset_link_lives_one_hour_and_works_once(
    ctx: ServiceContext, late: timedelta, works: bool
) -> None:
    """SECURITY D3 at TTL and TTL + 1 s; D2 single use."""
    token = reset_token(ctx, JANE)
    _clock(ctx).advance(late)
    desk = OrderStatus(ctx)
    first = desk.reset_password(token, NEW_PASSWORD, client=CLIENT)
    assert (first == PasswordReset()) is works
    assert desk.reset_password(token, NEW_PASSWORD + "x", client=CLIENT) == LinkRefused()


def _reauthenticated(ctx: ServiceContext) -> str:
    token = log_in(ctx, JANE).token
    answer = OrderStatus(ctx).shopper(client=CLIENT, session=token).reauthenticate(PASSWORD)
    assert isinstance(answer, LoggedIn)
    assert answer.token != token  # SECURITY E2: a new id
    return answer.token


def test_changes_need_the_password_within_five_minutes(ctx: ServiceContext) -> None:
    """SECURITY E4: at 5 min the change goes on; at 5 min 1 s it asks again."""
    token = log_in(ctx, JANE).token
    _clock(ctx).advance(timedelta(minutes=5, seconds=1))
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=token)
    assert shopper.change_password(NEW_PASSWORD) == ReauthenticationRequired()
    assert shopper.change_email("new@example.com") == ReauthenticationRequired()
    assert shopper.delete_account() == ReauthenticationRequired()
    fresh = _reauthenticated(ctx)
    _clock(ctx).advance(timedelta(minutes=5))
    assert (
        OrderStatus(ctx).shopper(client=CLIENT, session=fresh).change_password(NEW_PASSWORD)
        == PasswordChanged()
    )


def test_a_new_email_counts_only_once_confirmed_and_the_old_one_is_told(
    ctx: ServiceContext,
) -> None:
    """The link goes to the new address, the notice (masked) to the old; the orders of the
    new address join at confirmation (F1)."""
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=_reauthenticated(ctx))
    assert shopper.change_email("mike@example.com") == EmailChangeRequested()
    [link] = mail_of(ctx, EmailChangeMail)
    [notice] = mail_of(ctx, EmailChangeNotice)
    assert isinstance(link, EmailChangeMail)
    assert isinstance(notice, EmailChangeNotice)
    assert link.to.display == "mike@example.com"
    assert (notice.to.display, notice.new_email) == (JANE, "m•••@example.com")
    view = shopper.view()
    assert isinstance(view, AccountView)
    assert view.email.display == JANE
    assert OrderStatus(ctx).confirm_email_change(token_of(link.link), client=CLIENT) == (
        EmailChanged()
    )
    history = shopper.history()
    assert isinstance(history, HistoryPage)
    assert {h.number for h in history.orders} == {"100001", "100002"}


def test_a_password_change_cancels_a_pending_email_change(ctx: ServiceContext) -> None:
    """SECURITY E3, D2: the confirmation link dies with the password change."""
    fresh = _reauthenticated(ctx)
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=fresh)
    shopper.change_email("new@example.com")
    [link] = mail_of(ctx, EmailChangeMail)
    assert isinstance(link, EmailChangeMail)
    other = log_in(ctx, JANE)
    assert shopper.change_password(NEW_PASSWORD) == PasswordChanged()
    assert OrderStatus(ctx).confirm_email_change(token_of(link.link), client=CLIENT) == (
        LinkRefused()
    )
    assert isinstance(shopper.view(), AccountView)  # this session stays
    assert OrderStatus(ctx).shopper(client=CLIENT, session=other.token).view() == NotLoggedIn()


def test_deletion_ends_everything_and_unlinks_the_orders(ctx: ServiceContext) -> None:
    """SECURITY E4: sessions and links end; the orders stay for the store, unlinked."""
    fresh = _reauthenticated(ctx)
    reset = reset_token(ctx, JANE)
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=fresh)
    assert shopper.delete_account() == AccountDeleted()
    assert shopper.view() == NotLoggedIn()
    assert OrderStatus(ctx).reset_password(reset, NEW_PASSWORD, client=CLIENT) == LinkRefused()
    assert OrderStatus(ctx).log_in(JANE, PASSWORD, client="198.51.100.2") == LogInRefused()
    with ctx.storage.unit_of_work() as uow:
        assert uow.orders.get("100001") is not None
        assert uow.accounts.order_link("100001") is None


def test_an_order_with_another_email_attaches_by_the_code_mailed_to_it(
    ctx: ServiceContext,
) -> None:
    """SECURITY F2, A4: the code goes to the order's stored address; typed, it links."""
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=log_in(ctx, JANE).token)
    sent = shopper.attach_order("100002", "+1 415 555 2671")
    assert isinstance(sent, AttachCodeSent)
    [mail] = mail_of(ctx, AttachCodeMail)
    assert isinstance(mail, AttachCodeMail)
    assert mail.to.display == "mike@example.com"
    assert shopper.confirm_attach(sent.attach_id, mail.code) == OrderAttached("100002")
    found = shopper.search(part_number="BP-1234")
    assert isinstance(found, SearchPage)


def test_attach_codes_allow_three_tries(ctx: ServiceContext) -> None:
    """Tries are bounded: after three wrong codes the right one fails too."""
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=log_in(ctx, JANE).token)
    sent = shopper.attach_order("100002", "mike@example.com")
    assert isinstance(sent, AttachCodeSent)
    [mail] = mail_of(ctx, AttachCodeMail)
    assert isinstance(mail, AttachCodeMail)
    wrong = "000000" if mail.code != "000000" else "111111"
    for _ in range(3):
        assert shopper.confirm_attach(sent.attach_id, wrong) == AttachRefused()
    assert shopper.confirm_attach(sent.attach_id, mail.code) == AttachRefused()


def test_a_wrong_pair_sends_no_code_and_answers_alike(ctx: ServiceContext) -> None:
    """The same answer shape for a wrong contact; nothing is mailed."""
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=log_in(ctx, JANE).token)
    sent = shopper.attach_order("100002", "jane@example.com")
    assert isinstance(sent, AttachCodeSent)
    assert mail_of(ctx, AttachCodeMail) == []
    assert shopper.confirm_attach(sent.attach_id, "123456") == AttachRefused()


def test_the_history_pages_newest_first(ctx: ServiceContext) -> None:
    """Every linked order, newest first, with a cursor for the next page."""
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=log_in(ctx, JANE).token)
    page = shopper.history(page_size=1)
    assert isinstance(page, HistoryPage)
    assert [h.number for h in page.orders] == ["100001"]
    assert page.next_cursor is None
