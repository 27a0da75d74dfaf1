"""An order's mail follows the preferred language of the account its address belongs to,
or that the order joined (issue 14 item 7): the tracking mail, the Order Look-Up list, the
guest-pass code, a return's papers and its steps. Without such an account the mail is in
the page's language, else the store's ``mail_language``; an unverified or deleted account
has no say; the page's answer stays in the page's language; a storage failing while the
language is read fails the whole unit, and nothing is queued."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from orderstatus_core import (
    AdapterError,
    GuestPassRequested,
    LanguageChanged,
    LookupPolicy,
    OrderListRequested,
    OrderStatus,
    ReturnAnswer,
    ReturnDraft,
    TrackingMail,
)
from orderstatus_core.contacts import parse_email
from orderstatus_core.messages import (
    GuestPassMail,
    GuestPassRequest,
    MailIntent,
    OrderListMail,
    ReturnReceivedMail,
    ReturnSettledMail,
)
from orderstatus_core.model.account import Account, LinkedBy, OrderLink
from orderstatus_core.services import (
    GuestProof,
    ServiceContext,
    inspect_return,
    mark_return_in_transit,
    receive_return,
    relay_outbox,
    request_guest_pass,
    request_return,
    send_order_list,
    settle_return,
    ship,
    start_processing,
)
from orderstatus_core.testing import FixedClock, RecordingLabelMaker, fake_context, queued_mail
from orderstatus_core.testing.builders import line, make_order, package
from support.accounts import CLIENT, log_in, mail_of, open_storage, outbox, register
from support.store_plugins import NoGuestPass

JANE = "jane.doe@example.com"
JANE_PHONE = "+14155552671"
MIKE = "mike@example.com"
DELIVERED = "123456789"  # delivered five days ago: it may come back
WAITING = "223456789"  # not shipped yet
MIKES = "323456789"  # Mike's, attached to Jane's account with a code
UPS = "1Z999AA10123456784"
GUEST = GuestProof(client="c", identifier=JANE)


def _orders() -> list[object]:
    placed = FixedClock.START - timedelta(days=10)
    delivered = package(
        "P1",
        [(1, 1)],
        placed_at=placed,
        shipped_after=timedelta(days=1),
        delivered_after=timedelta(days=5),
    )
    return [
        make_order(DELIVERED, JANE, placed_at=placed, lines=[line(1)], packages=[delivered]),
        make_order(WAITING, JANE, placed_at=placed + timedelta(days=1), lines=[line(1)]),
        make_order(MIKES, MIKE, phone=None, placed_at=placed, lines=[line(1)]),
    ]


def _store(kind: str, tmp_path: Path, policy: LookupPolicy | None = None) -> ServiceContext:
    context = fake_context(open_storage(kind, tmp_path), policy=policy, plugins=[NoGuestPass()])
    with context.storage.unit_of_work(write=True) as uow:
        for order in _orders():
            uow.orders.add(order)  # type: ignore[arg-type]
        uow.commit()
    return context


@pytest.fixture(params=["memory", "sqlite"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceContext]:
    """Jane's delivered and waiting orders and Mike's, on each bundled storage; guests
    act with the look-up pair; no account yet."""
    context = _store(request.param, tmp_path)
    yield context
    context.storage.close()


def _holder(
    ctx: ServiceContext, language: str, *, verified: bool = True, email: str = JANE
) -> Account:
    """An account for ``email`` in ``language``, stored as it is."""
    now = ctx.clock.now()
    account = Account.sign_up("acct-0001", parse_email(email), now, language=language)
    account = account.verified(now) if verified else account
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.accounts.add(account)
        uow.commit()
    return account


def _deleted(ctx: ServiceContext, account: Account) -> None:
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.accounts.save(account.deleted())
        uow.commit()


def _attached(ctx: ServiceContext, account: Account, number: str) -> None:
    with ctx.storage.unit_of_work(write=True) as uow:
        assert uow.accounts.link_order(
            OrderLink(account.account_id, number, ctx.clock.now(), LinkedBy.CODE)
        )
        uow.commit()


def _ship(ctx: ServiceContext) -> None:
    start_processing(ctx, WAITING, "P1", "Columbus, OH", {1: 1})
    ship(ctx, WAITING, "P1", "UPS", UPS)


def _language(ctx: ServiceContext, kind: type[MailIntent]) -> str:
    [mail] = mail_of(ctx, kind)
    language = getattr(mail, "language")  # noqa: B009 -- every mail intent has one
    assert isinstance(language, str)
    return language


def _fail_language_reads(ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch) -> None:
    with ctx.storage.unit_of_work() as uow:
        store_type = type(uow.accounts)

    def failing(self: object, email_key: str, order_number: str | None = None) -> str | None:
        raise AdapterError("the database went away")

    monkeypatch.setattr(store_type, "preferred_language", failing)


# --- the tracking mail ------------------------------------------------------------------------


def test_the_tracking_mail_follows_the_language_the_shopper_chose(ctx: ServiceContext) -> None:
    """Jane chooses Finnish on her account page: the tracking mail of her order is queued
    and rendered in Finnish."""
    register(ctx, JANE)
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=log_in(ctx, JANE).token)
    assert shopper.set_language("fi") == LanguageChanged(language="fi")
    _ship(ctx)
    assert _language(ctx, TrackingMail) == "fi"
    relay_outbox(ctx)
    [sent] = [m for m in ctx.mailer.sent if m.subject.startswith("Tilauksesi")]  # type: ignore[attr-defined]
    assert (sent.subject, sent.language) == (f"Tilauksesi {WAITING} on lähetetty", "fi")


def test_without_an_account_the_tracking_mail_is_in_the_stores_language(tmp_path: Path) -> None:
    """No account: the store's ``mail_language``, as before; an account's own choice wins
    over the store's."""
    finnish_store = _store("sqlite", tmp_path, LookupPolicy(mail_language="fi"))
    try:
        _ship(finnish_store)
        assert _language(finnish_store, TrackingMail) == "fi"
    finally:
        finnish_store.storage.close()
    english_store = _store("memory", tmp_path)
    _ship(english_store)
    assert _language(english_store, TrackingMail) == "en"
    chosen = _store("memory", tmp_path, LookupPolicy(mail_language="fi"))
    _holder(chosen, "en")
    _ship(chosen)
    assert _language(chosen, TrackingMail) == "en"


@pytest.mark.parametrize("state", ["unverified", "deleted"])
def test_an_unverified_or_deleted_account_has_no_say(ctx: ServiceContext, state: str) -> None:
    """Before verification (SECURITY F1) and after deletion, the account's language is
    not used: the store's English."""
    account = _holder(ctx, "fi", verified=state != "unverified")
    if state == "deleted":
        _deleted(ctx, account)
    _ship(ctx)
    assert _language(ctx, TrackingMail) == "en"


def test_a_failing_language_read_fails_the_shipment_and_queues_nothing(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The storage's AdapterError reaches the warehouse; the package is not shipped and
    no mail waits."""
    _holder(ctx, "fi")
    start_processing(ctx, WAITING, "P1", "Columbus, OH", {1: 1})
    _fail_language_reads(ctx, monkeypatch)
    with pytest.raises(AdapterError, match="went away"):
        ship(ctx, WAITING, "P1", "UPS", UPS)
    monkeypatch.undo()
    with ctx.storage.unit_of_work() as uow:
        stored = uow.orders.get(WAITING)
    assert stored is not None
    assert stored.package("P1").shipped_at is None
    assert list(outbox(ctx)) == []


# --- Order Look-Up and the guest pass -----------------------------------------------------------


def test_the_order_list_follows_the_account_and_the_answer_the_page(ctx: ServiceContext) -> None:
    """An English page asks for Jane's order numbers: the answer is the page's, the same
    as for a stranger; the list goes out in Jane's Finnish."""
    _holder(ctx, "fi")
    assert send_order_list(ctx, JANE, client="c", language="en") == OrderListRequested()
    assert (
        send_order_list(ctx, "nobody@example.com", client="c", language="en")
        == OrderListRequested()
    )
    assert _language(ctx, OrderListMail) == "fi"


@pytest.mark.parametrize(("page", "mailed"), [("fi", "fi"), (None, "en")])
def test_without_an_account_the_order_list_is_in_the_pages_language(
    ctx: ServiceContext, page: str | None, mailed: str
) -> None:
    """No account: the page's language, or the store's without one, as before."""
    send_order_list(ctx, JANE, client="c", language=page)
    assert _language(ctx, OrderListMail) == mailed


@pytest.mark.parametrize("identifier", [JANE, JANE_PHONE])
def test_the_guest_pass_follows_the_account_and_the_answer_the_page(
    ctx: ServiceContext, identifier: str
) -> None:
    """By email or by phone, from an English page: the code goes out in Finnish; the
    answer is the page's English."""
    _holder(ctx, "fi")
    answer = request_guest_pass(ctx, identifier, DELIVERED, client="c", language="en")
    assert answer == GuestPassRequested()
    assert _language(ctx, GuestPassMail) == "fi"


def test_an_attached_order_mails_in_its_accounts_language(ctx: ServiceContext) -> None:
    """Mike's order joined Jane's account with a code: its mail, to Mike's address, is in
    Jane's language; Mike's own account, once verified, would come first."""
    _attached(ctx, _holder(ctx, "fi"), MIKES)
    request_guest_pass(ctx, MIKE, MIKES, client="c")
    assert _language(ctx, GuestPassMail) == "fi"


def test_without_an_account_the_guest_pass_is_in_the_pages_language(ctx: ServiceContext) -> None:
    """No account (an unverified one has no say): the page's Finnish, as before."""
    _holder(ctx, "en", verified=False)
    request_guest_pass(ctx, JANE, DELIVERED, client="c", language="fi")
    assert _language(ctx, GuestPassMail) == "fi"


def test_a_failing_language_read_leaves_the_request_to_the_next_relay(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The relay's unit fails as a whole: no code issued, no mail; the request waits and
    the next relay mails it in the account's language."""
    _holder(ctx, "fi")
    request_guest_pass(ctx, JANE, DELIVERED, client="c", language="en")
    _fail_language_reads(ctx, monkeypatch)
    relay_outbox(ctx)
    monkeypatch.undo()
    assert [type(m.intent) for m in outbox(ctx)] == [GuestPassRequest]
    with ctx.storage.unit_of_work() as uow:
        assert uow.passes.latest_challenge(DELIVERED) is None
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(timedelta(minutes=2))  # past the first retry
    assert _language(ctx, GuestPassMail) == "fi"


# --- returns ----------------------------------------------------------------------------------


def _return(ctx: ServiceContext) -> str:
    """Jane returns her part from an English page, on the store's label: its RMA number."""
    draft = ReturnDraft("return", "defective", {1: 1}, language="en")
    answer = request_return(ctx, GUEST, DELIVERED, draft)
    assert isinstance(answer, ReturnAnswer), answer
    [rma] = answer.request.packages
    return rma.rma_number


def _languages_mailed(ctx: ServiceContext) -> dict[str, str]:
    relay_outbox(ctx)
    return {m.subject: m.language for m in ctx.mailer.sent}  # type: ignore[attr-defined]


def test_a_returns_papers_and_mail_follow_the_account(ctx: ServiceContext) -> None:
    """The label's instructions and every mail of the return, from the papers to the
    refund, are in Finnish, though the return was asked for from an English page."""
    _holder(ctx, "fi")
    rma = _return(ctx)
    relay_outbox(ctx)
    maker = ctx.label_maker
    assert isinstance(maker, RecordingLabelMaker)
    papers = [
        r.language
        for (call, _), r in zip(maker.calls, maker.requests, strict=True)
        if call != "quote"
    ]
    assert papers == ["fi", "fi"]
    mark_return_in_transit(ctx, DELIVERED, rma)
    receive_return(ctx, DELIVERED, rma)
    inspect_return(ctx, DELIVERED, rma, {1: 1})
    settle_return(ctx, DELIVERED, rma)
    waiting = [m.intent for m in outbox(ctx)]
    assert sorted(
        (type(i).__name__, i.language)
        for i in waiting
        if isinstance(i, ReturnReceivedMail | ReturnSettledMail)
    ) == [("ReturnReceivedMail", "fi"), ("ReturnSettledMail", "fi")]
    mailed = _languages_mailed(ctx)
    assert mailed[f"Palautuksesi paperit tilaukselle {DELIVERED}"] == "fi"  # the label's mail
    assert len(mailed) == 3
    assert set(_languages_mailed(ctx).values()) == {"fi"}


def test_without_an_account_a_return_keeps_the_pages_language(ctx: ServiceContext) -> None:
    """A deleted account has no say: the papers and mail are in the return's English."""
    _deleted(ctx, _holder(ctx, "fi"))
    rma = _return(ctx)
    relay_outbox(ctx)
    maker = ctx.label_maker
    assert isinstance(maker, RecordingLabelMaker)
    assert {r.language for r in maker.requests} == {"en"}
    receive_return(ctx, DELIVERED, rma)
    assert set(_languages_mailed(ctx).values()) == {"en"}


def test_a_failing_language_read_makes_no_papers_and_fails_the_step(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The papers' job fails before the label is bought and stays pending; a staff step
    whose mail cannot learn its language raises and changes nothing."""
    _holder(ctx, "fi")
    rma = _return(ctx)
    _fail_language_reads(ctx, monkeypatch)
    relay_outbox(ctx)
    maker = ctx.label_maker
    assert isinstance(maker, RecordingLabelMaker)
    assert maker.made("label") == []
    assert maker.made("instructions") == []
    mark_return_in_transit(ctx, DELIVERED, rma)
    with pytest.raises(AdapterError, match="went away"):
        receive_return(ctx, DELIVERED, rma)
    monkeypatch.undo()
    with ctx.storage.unit_of_work() as uow:
        order = uow.orders.get(DELIVERED)
        assert order is not None
        assert uow.documents.for_rma(rma) == []
    request, index = order.rma(rma)
    assert request.packages[index].state.value == "in_transit"
    assert not [m for m in queued_mail(ctx) if isinstance(m, ReturnReceivedMail)]
