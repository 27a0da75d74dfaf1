"""Availability alerts (issue 14 item 5): a logged-in shopper watches a part, at most the
policy's number, each part once whatever its spelling; the store reports it back in stock
and each watcher is mailed once, at the account's current address, however often the part
is reported; a watch fires once; the account's deletion removes its watches; bad input is
a typed error that changes nothing (SECURITY D4, F4, H3)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderstatus_core import (
    AccountDeleted,
    AdapterError,
    FieldTooLongError,
    InvalidFieldError,
    LanguageChanged,
    NotLoggedIn,
    OrderStatus,
    PartAlertsSent,
    PartBackInStockMail,
    PartNotWatched,
    PartWatched,
    PartWatches,
    ProfilePolicy,
    ShopperSession,
    ValidationError,
    WatchListFull,
    WatchRemoved,
    email_key,
    hookimpl,
)
from orderstatus_core.messages import OutboxMessage
from orderstatus_core.services import ServiceContext
from orderstatus_core.testing import FailingMailer, FixedClock, fake_context, queued_mail
from support.accounts import CLIENT, log_in, open_storage, register

JANE = "jane@example.com"
JOHN = "john@example.com"


class _FewWatches:
    @hookimpl
    def orderstatus_profile_policy(self) -> ProfilePolicy:
        return ProfilePolicy(max_part_watches=2)


@pytest.fixture(params=["memory", "sqlite"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceContext]:
    """A store with Jane and John registered, on memory or SQLite, where an account
    watches at most 2 parts."""
    storage = open_storage(request.param, tmp_path)
    context = fake_context(storage, plugins=[_FewWatches()])
    register(context, JANE)
    _later(context)  # the helper reads the newest verification mail
    register(context, JOHN)
    yield context
    storage.close()


def _shopper(ctx: ServiceContext, email: str = JANE, language: str = "en") -> ShopperSession:
    token = log_in(ctx, email).token
    return OrderStatus(ctx).shopper(client=CLIENT, session=token, language=language)


def _watches(shopper: ShopperSession) -> list[str]:
    answer = shopper.part_watches()
    assert isinstance(answer, PartWatches), answer
    return [watch.part_number.display for watch in answer.watches]


def _alerts(ctx: ServiceContext) -> list[PartBackInStockMail]:
    return [mail for mail in queued_mail(ctx) if isinstance(mail, PartBackInStockMail)]


def _later(ctx: ServiceContext) -> None:
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(timedelta(seconds=1))


def _outbox(ctx: ServiceContext) -> list[OutboxMessage]:
    with ctx.storage.unit_of_work() as uow:
        return list(uow.outbox.pending(10_000))


def test_a_watched_part_is_listed_oldest_first_as_typed(ctx: ServiceContext) -> None:
    """Watches are listed oldest first, as typed."""
    shopper = _shopper(ctx, language="fi")
    assert shopper.watch_part("BP-1234") == PartWatched(part_number="BP-1234")
    _later(ctx)
    assert shopper.watch_part("51 12.7") == PartWatched(part_number="51 12.7")
    assert _watches(shopper) == ["BP-1234", "51 12.7"]


@pytest.mark.parametrize("spelling", ["bp 12.34", " BP1234 ", "ＢＰ－１２３４"])
def test_a_part_is_watched_once_whatever_its_spelling(ctx: ServiceContext, spelling: str) -> None:
    """Case, spaces, dashes, dots and fullwidth forms fold as an order line's part number
    does: the second watch answers ``already`` and the first stays."""
    shopper = _shopper(ctx)
    shopper.watch_part("BP-1234")
    assert shopper.watch_part(spelling) == PartWatched(part_number=spelling, already=True)
    assert _watches(shopper) == ["BP-1234"]


def test_a_lookalike_in_another_script_is_another_part(ctx: ServiceContext) -> None:
    """Cyrillic В and Р are not Latin B and P: a confusable is a part of its own."""
    shopper = _shopper(ctx)
    shopper.watch_part("BP-1234")
    assert shopper.watch_part("ВР-1234") == PartWatched(part_number="ВР-1234")
    assert len(_watches(shopper)) == 2


def test_an_account_watches_at_most_the_policy_number(ctx: ServiceContext) -> None:
    """A watch beyond ``max_part_watches`` is refused and changes nothing; a removal
    frees a place."""
    shopper = _shopper(ctx)
    shopper.watch_part("BP-1")
    shopper.watch_part("BP-2")
    assert shopper.watch_part("BP-3") == WatchListFull(limit=2)
    assert _watches(shopper) == ["BP-1", "BP-2"]
    assert shopper.unwatch_part("bp1") == WatchRemoved(part_number="bp1")
    assert shopper.watch_part("BP-3") == PartWatched(part_number="BP-3")


def test_unwatching_a_part_not_watched_changes_nothing(ctx: ServiceContext) -> None:
    """An unknown part, or another account's, is PartNotWatched."""
    _shopper(ctx, JOHN).watch_part("BP-9")
    shopper = _shopper(ctx)
    shopper.watch_part("BP-1")
    assert shopper.unwatch_part("BP-9") == PartNotWatched()
    assert _watches(shopper) == ["BP-1"]
    assert len(_watches(_shopper(ctx, JOHN))) == 1


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("B" * 65, FieldTooLongError),
        ("", InvalidFieldError),
        ("  -.. ", ValidationError),
        ("BP\u202e1234", InvalidFieldError),
        ("BP\r\nBcc: all@example.com", InvalidFieldError),
        ("BP\ud8001234", InvalidFieldError),
        (1234, InvalidFieldError),
        (None, InvalidFieldError),
        (b"BP-1234", InvalidFieldError),
    ],
    ids=["too-long", "empty", "only-noise", "bidi", "crlf", "surrogate", "int", "none", "bytes"],
)
def test_bad_part_numbers_are_typed_errors_that_change_nothing(
    ctx: ServiceContext, typed: object, error: type[Exception]
) -> None:
    """Every command refuses a part number an order line could not hold, with the field
    named, before anything is read or written."""
    shopper = _shopper(ctx)
    shopper.watch_part("BP-1")
    desk = OrderStatus(ctx)
    for command in (shopper.watch_part, shopper.unwatch_part, desk.catalog.part_back_in_stock):
        with pytest.raises(error) as raised:
            command(typed)  # type: ignore[operator]
        assert isinstance(raised.value, ValidationError)
        assert raised.value.field.startswith("part_number")
    assert _watches(shopper) == ["BP-1"]
    assert _alerts(ctx) == []


def test_injection_text_is_only_a_part_number(ctx: ServiceContext) -> None:
    """SQL or markup in a part number is stored, listed and mailed as text."""
    shopper = _shopper(ctx)
    hostile = "x'); DELETE FROM part_watches; --<b>"
    assert shopper.watch_part(hostile) == PartWatched(part_number=hostile)
    _later(ctx)
    shopper.watch_part("BP-1")
    assert _watches(shopper) == [hostile, "BP-1"]
    assert OrderStatus(ctx).catalog.part_back_in_stock(hostile).alerts == 1
    assert [mail.part_number for mail in _alerts(ctx)] == [hostile]
    assert _watches(shopper) == ["BP-1"]


def test_each_watcher_is_mailed_once_and_the_watch_is_gone(ctx: ServiceContext) -> None:
    """Back in stock: one mail per watcher, to the account's address, in the account's
    preferred language (not the page's), linking only to the account area; the watches
    of that part are gone, the others stay; a second report mails no one."""
    jane, john = _shopper(ctx, JANE), _shopper(ctx, JOHN, "fi")
    assert jane.set_language("fi") == LanguageChanged(language="fi")
    jane.watch_part("BP-1234")
    jane.watch_part("BP-9")
    john.watch_part("bp 12.34")
    desk = OrderStatus(ctx)
    assert desk.catalog.part_back_in_stock("BP1234") == PartAlertsSent("BP1234", alerts=2)
    mails = sorted(_alerts(ctx), key=lambda mail: mail.to.canonical)
    assert [(m.to.canonical, m.part_number, m.language) for m in mails] == [
        (JANE, "BP-1234", "fi"),
        (JOHN, "bp 12.34", "en"),
    ]
    link = ctx.policies.account_policy().link_base + "/alerts"
    assert {mail.link for mail in mails} == {link}
    assert _watches(jane) == ["BP-9"]
    assert _watches(john) == []
    assert desk.catalog.part_back_in_stock("BP-1234") == PartAlertsSent("BP-1234", alerts=0)
    assert len(_alerts(ctx)) == 2


@pytest.mark.parametrize(("before", "after"), [("en", "fi"), ("fi", "en")])
def test_an_account_that_switches_language_gets_the_alert_in_the_new_one(
    ctx: ServiceContext, before: str, after: str
) -> None:
    """The alert follows the account's preferred language when it is sent, not the one
    it had (nor the page's) when the part was watched (docs/profile.md "Language")."""
    shopper = _shopper(ctx, language=before)
    assert shopper.set_language(before) == LanguageChanged(language=before)
    shopper.watch_part("BP-1234")
    _later(ctx)
    assert shopper.set_language(after) == LanguageChanged(language=after)
    desk = OrderStatus(ctx)
    assert desk.catalog.part_back_in_stock("BP-1234").alerts == 1
    assert [(mail.to.canonical, mail.language) for mail in _alerts(ctx)] == [(JANE, after)]
    desk.relay_outbox()
    [sent] = [m for m in ctx.mailer.sent if "BP-1234" in m.subject]  # type: ignore[attr-defined]
    assert sent.language == after


def test_a_part_watched_again_after_its_alert_alerts_again(ctx: ServiceContext) -> None:
    """A watch fires once; the shopper who watches the part again hears of the next
    time too (the re-arm is theirs)."""
    shopper = _shopper(ctx)
    desk = OrderStatus(ctx)
    shopper.watch_part("BP-1")
    desk.catalog.part_back_in_stock("BP-1")
    assert shopper.watch_part("BP-1") == PartWatched(part_number="BP-1")
    assert desk.catalog.part_back_in_stock("BP-1").alerts == 1
    assert len(_alerts(ctx)) == 2


def test_the_alert_goes_out_through_the_relay_rendered(ctx: ServiceContext) -> None:
    """The relay renders the alert in the account's language and the mailer sends it."""
    shopper = _shopper(ctx)
    shopper.set_language("fi")
    shopper.watch_part("BP-1234")
    desk = OrderStatus(ctx)
    desk.catalog.part_back_in_stock("BP-1234")
    desk.relay_outbox()
    [mail] = [m for m in ctx.mailer.sent if "BP-1234" in m.subject]  # type: ignore[attr-defined]
    assert mail.to == JANE
    assert mail.subject == "Osa BP-1234 on taas varastossa"
    assert mail.language == "fi"
    assert "https://shop.example/account/alerts" in mail.text


def test_deleting_the_account_removes_its_watches(ctx: ServiceContext) -> None:
    """A deleted account keeps no watch, and the report mails it nothing."""
    shopper = _shopper(ctx)
    shopper.watch_part("BP-1")
    with ctx.storage.unit_of_work() as uow:
        account = uow.accounts.by_email(email_key(JANE))
    assert account is not None
    assert shopper.delete_account() == AccountDeleted()
    with ctx.storage.unit_of_work() as uow:
        assert list(uow.accounts.part_watches(account.account_id)) == []
    assert OrderStatus(ctx).catalog.part_back_in_stock("BP-1").alerts == 0
    assert _alerts(ctx) == []


def test_every_alert_command_needs_a_session(ctx: ServiceContext) -> None:
    """Without a live session each shopper command is NotLoggedIn and changes nothing."""
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=None)
    assert shopper.watch_part("BP-1") == NotLoggedIn()
    assert shopper.part_watches() == NotLoggedIn()
    assert shopper.unwatch_part("BP-1") == NotLoggedIn()
    assert OrderStatus(ctx).catalog.part_back_in_stock("BP-1").alerts == 0


def test_an_expired_session_cannot_watch(ctx: ServiceContext) -> None:
    """A session past its idle timeout watches nothing."""
    shopper = _shopper(ctx)
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(timedelta(hours=1))
    assert shopper.watch_part("BP-1") == NotLoggedIn()
    assert _watches(_shopper(ctx)) == []


def test_a_storage_failing_after_queueing_the_alerts_changes_nothing(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SECURITY G1, G4: when the storage fails after it queued the alerts and took the
    watches, the report raises the storage's error and commits nothing; the next report
    mails all."""
    _shopper(ctx).watch_part("BP-1")
    _shopper(ctx, JOHN).watch_part("BP-1")
    with ctx.storage.unit_of_work(write=True) as uow:
        store_type = type(uow.accounts)
    real = store_type.queue_part_alerts

    def failing(self: object, *args: object) -> int:
        real(self, *args)  # type: ignore[arg-type]
        raise AdapterError("the database went away")

    monkeypatch.setattr(store_type, "queue_part_alerts", failing)
    desk = OrderStatus(ctx)
    with pytest.raises(AdapterError, match="went away"):
        desk.catalog.part_back_in_stock("BP-1")
    monkeypatch.undo()
    assert _alerts(ctx) == []
    assert desk.catalog.part_back_in_stock("BP-1").alerts == 2


def test_a_storage_failing_to_queue_the_alerts_raises(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A report the storage cannot carry out is its AdapterError, not an answer."""
    _shopper(ctx).watch_part("BP-1")
    with ctx.storage.unit_of_work(write=True) as uow:
        store_type = type(uow.accounts)

    def failing(self: object, *args: object) -> int:
        raise AdapterError("the database went away")

    monkeypatch.setattr(store_type, "queue_part_alerts", failing)
    with pytest.raises(AdapterError):
        OrderStatus(ctx).catalog.part_back_in_stock("BP-1")
    monkeypatch.undo()
    assert OrderStatus(ctx).catalog.part_back_in_stock("BP-1").alerts == 1


def test_a_mail_server_down_keeps_the_alert_for_a_retry(tmp_path: Path) -> None:
    """With the mailer failing, the alert stays in the outbox (due later), and the watch
    is gone: the retry, not a second report, delivers it."""
    storage = open_storage("sqlite", tmp_path)
    mailer = FailingMailer()
    ctx = fake_context(storage, mailer=mailer)
    try:
        register(ctx, JANE)
        _shopper(ctx).watch_part("BP-1")
        desk = OrderStatus(ctx)
        desk.catalog.part_back_in_stock("BP-1")
        desk.relay_outbox()
        assert any("BP-1" in mail.subject for mail in mailer.attempted)
        waiting = [m for m in _outbox(ctx) if isinstance(m.intent, PartBackInStockMail)]
        assert len(waiting) == 1
        assert waiting[0].attempts == 1
        assert desk.catalog.part_back_in_stock("BP-1").alerts == 0
    finally:
        storage.close()


def test_any_input_as_a_part_number_is_a_watch_or_a_validation_error() -> None:
    """Whatever is typed (any text, bytes, numbers, None), ``watch_part`` answers a watch
    of exactly that text or raises the ValidationError tree, never anything else."""
    storage = open_storage("memory", Path())
    ctx = fake_context(storage, plugins=[_FewWatches()])
    register(ctx, JANE)
    shopper = _shopper(ctx)

    @given(typed=st.one_of(st.text(max_size=80), st.binary(max_size=8), st.integers(), st.none()))
    @settings(max_examples=150, deadline=None)
    def check(typed: object) -> None:
        try:
            answered = shopper.watch_part(typed)  # type: ignore[arg-type]
        except ValidationError:
            return
        assert isinstance(answered, PartWatched | WatchListFull), answered
        if isinstance(answered, PartWatched):
            assert answered.part_number == typed
            shopper.unwatch_part(typed)  # type: ignore[arg-type]

    check()
    storage.close()
