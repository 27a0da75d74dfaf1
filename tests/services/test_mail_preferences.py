"""Mail preferences (issue 14 item 6, RFC 8058): store mail is opt-in per topic; the store
queues it through the library, each mail with its account's one-click unsubscribe link and
the List-Unsubscribe headers; the link works without logging in, does nothing else, and
outlives an email change; a forged one changes nothing. Bad input is a typed error that
changes nothing; a failing storage raises and changes nothing."""

from __future__ import annotations

import email.policy
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.parser import BytesParser
from pathlib import Path

import attrs
import pytest

from orderstatus_core import (
    AccountDeleted,
    AdapterError,
    EmailChanged,
    EmailChangeRequested,
    FieldTooLongError,
    InvalidFieldError,
    LoggedIn,
    MailPreferences,
    MailTemplateError,
    MailTemplates,
    NotLoggedIn,
    OrderStatus,
    ProfilePolicy,
    ShopperSession,
    StoreMail,
    StoreMailQueued,
    UnknownMailTopicError,
    Unsubscribed,
    UnsubscribeRefused,
    compose_message,
    hookimpl,
)
from orderstatus_core.messages import EmailChangeMail
from orderstatus_core.model.mail_preferences import unsubscribe_token
from orderstatus_core.services import ServiceContext
from orderstatus_core.testing import FixedClock, RecordingMailer, fake_context, queued_mail
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
JOHN = "john@example.com"
KEY = b"k" * 32
_STORE_TEXT = """{% extends "mail/store_mail.txt" %}
{% block subject %}Spring sale{% endblock %}
{% block body %}Brake pads at half price.{% endblock %}
"""
_STORE_HTML = """{% extends "mail/store_mail.html" %}
{% block content %}<p>Brake pads at half price.</p>{% endblock %}
"""


class _Store:
    """A store with an unsubscribe key and its own ``spring-sale`` mail."""

    def __init__(self, folder: Path, key: bytes | None = KEY) -> None:
        self.folder = folder
        self.key = key

    @hookimpl
    def orderstatus_profile_policy(self) -> ProfilePolicy:
        return ProfilePolicy(unsubscribe_key=self.key)

    @hookimpl
    def orderstatus_mail_templates(self) -> MailTemplates:
        return MailTemplates(templates=self.folder)


def _templates(tmp_path: Path) -> Path:
    store = tmp_path / "templates" / "mail" / "store"
    store.mkdir(parents=True)
    (store / "spring-sale.txt").write_text(_STORE_TEXT, encoding="utf-8")
    (store / "spring-sale.html").write_text(_STORE_HTML, encoding="utf-8")
    return tmp_path / "templates"


@pytest.fixture(params=["memory", "sqlite"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceContext]:
    """A store with Jane and John registered, on memory or SQLite, that can send store
    mail."""
    storage = open_storage(request.param, tmp_path)
    context = fake_context(storage, plugins=[_Store(_templates(tmp_path))])
    register(context, JANE)
    # The support helpers read the newest verification mail: John's must come later.
    assert isinstance(context.clock, FixedClock)
    context.clock.advance(timedelta(seconds=1))
    register(context, JOHN)
    yield context
    storage.close()


def _shopper(ctx: ServiceContext, email: str = JANE) -> ShopperSession:
    return OrderStatus(ctx).shopper(client=CLIENT, session=log_in(ctx, email).token)


def _account_id(ctx: ServiceContext, email: str = JANE) -> str:
    with ctx.storage.unit_of_work() as uow:
        account = uow.accounts.by_email(email)
    assert account is not None
    return account.account_id


def _store_mail(ctx: ServiceContext) -> list[StoreMail]:
    return [mail for mail in queued_mail(ctx) if isinstance(mail, StoreMail)]


def _prefs(shopper: ShopperSession) -> MailPreferences:
    answer = shopper.mail_preferences()
    assert isinstance(answer, MailPreferences), answer
    return answer


# --- preferences -----------------------------------------------------------------------------


def test_a_new_account_gets_no_store_mail(ctx: ServiceContext) -> None:
    """Opt-in: no topic is subscribed until the shopper asks; every topic is offered."""
    assert _prefs(_shopper(ctx)) == MailPreferences(subscribed=(), topics=("newsletter", "offers"))
    assert OrderStatus(ctx).queue_store_mail("newsletter", "spring-sale") == StoreMailQueued(
        topic="newsletter", queued=0
    )


def test_subscribing_and_unsubscribing_by_topic(ctx: ServiceContext) -> None:
    """Named topics change, the others stay; subscribing twice is one subscription."""
    shopper = _shopper(ctx)
    both = shopper.set_mail_preferences({"newsletter": True, "offers": True})
    assert both == MailPreferences(("newsletter", "offers"), ("newsletter", "offers"))
    assert shopper.set_mail_preferences({"newsletter": True}) == both
    answer = shopper.set_mail_preferences({"offers": False})
    assert answer == MailPreferences(("newsletter",), ("newsletter", "offers"))
    assert isinstance(answer, MailPreferences)
    assert answer.is_subscribed("newsletter")
    assert not answer.is_subscribed("offers")
    assert _prefs(shopper) == answer


@pytest.mark.parametrize(
    ("topics", "error"),
    [
        ({"racing": True}, UnknownMailTopicError),
        ({"Newsletter": True}, InvalidFieldError),
        ({"ｎｅｗｓｌｅｔｔｅｒ": True}, InvalidFieldError),  # fullwidth look-alike
        ({"newsletter'; DROP TABLE accounts; --": True}, InvalidFieldError),
        ({"n" * 65: True}, FieldTooLongError),
        ({"newsletter": "yes"}, InvalidFieldError),
        ({"newsletter": 1}, InvalidFieldError),
        ({7: True}, InvalidFieldError),
        ({"newsletter": True, "offers": True, "racing": True}, FieldTooLongError),
        (["newsletter"], InvalidFieldError),
        ("newsletter", InvalidFieldError),
    ],
)
def test_bad_preferences_are_refused_and_change_nothing(
    ctx: ServiceContext, topics: object, error: type[Exception]
) -> None:
    """SECURITY H3, F4: a typed error before anything is written, even beside a good
    topic in the same call."""
    shopper = _shopper(ctx)
    with pytest.raises(error):
        shopper.set_mail_preferences(topics)  # type: ignore[arg-type]
    if isinstance(topics, dict):
        with pytest.raises(error):
            shopper.set_mail_preferences({"offers": True, **topics})
    assert _prefs(shopper).subscribed == ()


def test_preferences_need_a_session(ctx: ServiceContext) -> None:
    """Without a live session: NotLoggedIn, nothing changed."""
    nobody = OrderStatus(ctx).shopper(client=CLIENT, session=None)
    assert nobody.mail_preferences() == NotLoggedIn()
    assert nobody.set_mail_preferences({"newsletter": True}) == NotLoggedIn()
    assert OrderStatus(ctx).queue_store_mail("newsletter", "spring-sale").queued == 0


def test_a_storage_failing_mid_command_changes_nothing(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SECURITY G1: a second topic whose write fails raises the storage's AdapterError,
    and the first topic's write is rolled back with it."""
    shopper = _shopper(ctx)
    with ctx.storage.unit_of_work(write=True) as uow:
        store_type = type(uow.accounts)
    real = store_type.subscribe

    def failing(self: object, subscription: object) -> bool:
        if getattr(subscription, "topic", None) == "offers":
            raise AdapterError("the database went away")
        return real(self, subscription)  # type: ignore[arg-type]

    monkeypatch.setattr(store_type, "subscribe", failing)
    with pytest.raises(AdapterError, match="went away"):
        shopper.set_mail_preferences({"newsletter": True, "offers": True})
    monkeypatch.undo()
    assert _prefs(shopper).subscribed == ()


# --- store mail and its link -------------------------------------------------------------------


def test_store_mail_goes_to_each_subscriber_once_with_its_own_link(ctx: ServiceContext) -> None:
    """One StoreMail per subscribed account of the topic, to its stored address, with a
    link of its own account and topic built from the configured base (SECURITY D4)."""
    _shopper(ctx, JANE).set_mail_preferences({"newsletter": True})
    _shopper(ctx, JOHN).set_mail_preferences({"offers": True})
    queued = OrderStatus(ctx).queue_store_mail("newsletter", "spring-sale")
    assert queued == StoreMailQueued(topic="newsletter", queued=1)
    [mail] = _store_mail(ctx)
    assert mail.to.display == JANE
    assert (mail.topic, mail.template, mail.language) == ("newsletter", "spring-sale", "en")
    expected = unsubscribe_token(KEY, _account_id(ctx), "newsletter")
    assert mail.unsubscribe_url == f"https://shop.example/account/unsubscribe?token={expected}"


def test_the_sent_store_mail_carries_the_one_click_headers(ctx: ServiceContext) -> None:
    """RFC 8058: List-Unsubscribe with the HTTPS link and List-Unsubscribe-Post; the text
    and the HTML show the link too; once delivered, the outbox keeps no link (D5)."""
    _shopper(ctx).set_mail_preferences({"offers": True})
    OrderStatus(ctx).queue_store_mail("offers", "spring-sale")
    [mail] = _store_mail(ctx)
    OrderStatus(ctx).relay_outbox()
    assert isinstance(ctx.mailer, RecordingMailer)
    [sent] = [m for m in ctx.mailer.sent if m.subject == "Spring sale"]
    assert sent.unsubscribe_url == mail.unsubscribe_url
    assert mail.unsubscribe_url in sent.text
    assert mail.unsubscribe_url.replace("&", "&amp;") in sent.html
    composed = compose_message(sent, "shop@shop.example", date=datetime(2026, 12, 6, tzinfo=UTC))
    message = BytesParser(policy=email.policy.default).parsebytes(composed.data)
    assert message["List-Unsubscribe"] == f"<{mail.unsubscribe_url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with ctx.storage.unit_of_work() as uow:
        delivered = uow.outbox.get(sent.message_id)
    assert delivered is not None
    assert isinstance(delivered.intent, StoreMail)
    assert delivered.intent.unsubscribe_url == ""


def test_security_mail_goes_out_without_any_subscription(ctx: ServiceContext) -> None:
    """Order and security mail are no topic: an account subscribed to nothing still gets
    its reset link, while store mail never reaches it."""
    assert _prefs(_shopper(ctx)).subscribed == ()
    assert reset_token(ctx, JANE)
    assert OrderStatus(ctx).queue_store_mail("offers", "spring-sale").queued == 0
    assert _store_mail(ctx) == []


def test_unsubscribing_works_without_logging_in_and_only_for_its_topic(
    ctx: ServiceContext,
) -> None:
    """The link's token stops that topic of that account, nothing else; following it
    again (a mail program's retry) answers the same."""
    _shopper(ctx, JANE).set_mail_preferences({"newsletter": True, "offers": True})
    _shopper(ctx, JOHN).set_mail_preferences({"newsletter": True})
    OrderStatus(ctx).queue_store_mail("newsletter", "spring-sale")
    jane = next(m for m in _store_mail(ctx) if m.to.display == JANE)
    desk = OrderStatus(ctx)
    assert desk.unsubscribe(token_of(jane.unsubscribe_url)) == Unsubscribed(topic="newsletter")
    assert desk.unsubscribe(token_of(jane.unsubscribe_url)) == Unsubscribed(topic="newsletter")
    assert _prefs(_shopper(ctx, JANE)).subscribed == ("offers",)
    assert _prefs(_shopper(ctx, JOHN)).subscribed == ("newsletter",)


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # one character of the MAC
        lambda t: t.replace(".newsletter.", ".offers."),  # another topic, same MAC
        lambda t: "x" + t,  # another account id
        lambda t: t[: len(t) // 2],  # cut short
        lambda t: t + "'; DELETE FROM mail_subscriptions; --",
        lambda t: t.replace("e", "е"),  # Cyrillic look-alike
        lambda t: "",
        lambda t: "\ud800",
    ],
)
def test_a_forged_or_damaged_link_is_refused_and_changes_nothing(
    ctx: ServiceContext, forge: object
) -> None:
    """Only a token the store's key signed unsubscribes (SECURITY D1: unguessable)."""
    _shopper(ctx).set_mail_preferences({"newsletter": True, "offers": True})
    token = unsubscribe_token(KEY, _account_id(ctx), "newsletter")
    assert callable(forge)
    assert OrderStatus(ctx).unsubscribe(forge(token)) == UnsubscribeRefused()
    assert _prefs(_shopper(ctx)).subscribed == ("newsletter", "offers")


def test_a_link_signed_with_another_key_is_refused(ctx: ServiceContext) -> None:
    """A token made with any other key, or a store with no key at all, unsubscribes no one."""
    _shopper(ctx).set_mail_preferences({"newsletter": True})
    other = unsubscribe_token(b"o" * 32, _account_id(ctx), "newsletter")
    assert OrderStatus(ctx).unsubscribe(other) == UnsubscribeRefused()
    keyless = attrs.evolve(ctx, policies=fake_context(ctx.storage).policies)
    good = unsubscribe_token(KEY, _account_id(ctx), "newsletter")
    assert OrderStatus(keyless).unsubscribe(good) == UnsubscribeRefused()
    assert _prefs(_shopper(ctx)).subscribed == ("newsletter",)


@pytest.mark.parametrize(("token", "error"), [(None, InvalidFieldError), (7, InvalidFieldError)])
def test_a_token_that_is_not_text_is_refused(
    ctx: ServiceContext, token: object, error: type[Exception]
) -> None:
    """A value that is not text is the caller's bug; an over-long one is refused too."""
    with pytest.raises(error):
        OrderStatus(ctx).unsubscribe(token)  # type: ignore[arg-type]
    with pytest.raises(FieldTooLongError):
        OrderStatus(ctx).unsubscribe("a" * 5000)


def test_the_link_outlives_an_email_change(ctx: ServiceContext) -> None:
    """Decided: the token names the account, not the address, so a newsletter's link
    mailed before the change still stops that newsletter after it."""
    shopper = _shopper(ctx)
    shopper.set_mail_preferences({"newsletter": True})
    OrderStatus(ctx).queue_store_mail("newsletter", "spring-sale")
    [before] = _store_mail(ctx)
    changing = _reauthenticated(ctx)
    assert changing.change_email("jane.new@example.com") == EmailChangeRequested()
    link = mail_of(ctx, EmailChangeMail)[-1]
    assert isinstance(link, EmailChangeMail)
    assert OrderStatus(ctx).confirm_email_change(token_of(link.link), client=CLIENT) == (
        EmailChanged()
    )
    assert OrderStatus(ctx).unsubscribe(token_of(before.unsubscribe_url)) == Unsubscribed(
        topic="newsletter"
    )
    assert _prefs(_shopper(ctx, "jane.new@example.com")).subscribed == ()


def _reauthenticated(ctx: ServiceContext) -> ShopperSession:
    shopper = _shopper(ctx)
    answer = shopper.reauthenticate(PASSWORD)
    assert isinstance(answer, LoggedIn), answer
    return OrderStatus(ctx).shopper(client=CLIENT, session=answer.token)


def test_deleting_the_account_deletes_its_subscriptions(ctx: ServiceContext) -> None:
    """The subscriptions go with the account; its old link then answers as any valid one
    (SECURITY A1: the answer tells nothing about the account) and changes nothing."""
    account_id = _account_id(ctx)
    _shopper(ctx).set_mail_preferences({"newsletter": True})
    assert _reauthenticated(ctx).delete_account() == AccountDeleted()
    with ctx.storage.unit_of_work() as uow:
        assert list(uow.accounts.mail_subscriptions(account_id)) == []
    assert OrderStatus(ctx).queue_store_mail("newsletter", "spring-sale").queued == 0
    token = unsubscribe_token(KEY, account_id, "newsletter")
    assert OrderStatus(ctx).unsubscribe(token) == Unsubscribed(topic="newsletter")


@pytest.mark.parametrize(
    ("topic", "template", "error"),
    [
        ("racing", "spring-sale", UnknownMailTopicError),
        ("newsletter", "../layout", InvalidFieldError),
        ("newsletter", "Spring-Sale", InvalidFieldError),
        ("newsletter", "spring-sale\r\nBcc: x@example.com", InvalidFieldError),
        ("newsletter", "autumn-sale", MailTemplateError),
        ("newsletter", 7, InvalidFieldError),
    ],
)
def test_bad_store_mail_is_refused_and_queues_nothing(
    ctx: ServiceContext, topic: str, template: object, error: type[Exception]
) -> None:
    """An unknown topic, a template name that could be a path or a header, or a
    template the store does not have: a typed error, nothing queued."""
    _shopper(ctx).set_mail_preferences({"newsletter": True})
    with pytest.raises(error):
        OrderStatus(ctx).queue_store_mail(topic, template)  # type: ignore[arg-type]
    assert _store_mail(ctx) == []


def test_a_store_without_a_key_cannot_queue_store_mail(tmp_path: Path) -> None:
    """Without ``unsubscribe_key`` no store mail can carry a link: AdapterError."""
    context = fake_context(plugins=[_Store(_templates(tmp_path), key=None)])
    register(context, JANE)
    with pytest.raises(AdapterError, match="unsubscribe key"):
        OrderStatus(context).queue_store_mail("newsletter", "spring-sale")
