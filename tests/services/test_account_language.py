"""The preferred language (issue 14 item 7): a shopper chooses one of the store's catalog
languages; every mail the library writes for the account follows it (reset, email change,
attach code, store mail), and so does every answer of the session unless the page names a
language. An unknown language is a typed error that changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from orderstatus_core import (
    AccountView,
    AdapterError,
    AttachCodeSent,
    EmailChangeRequested,
    FieldTooLongError,
    InvalidFieldError,
    LanguageChanged,
    LoggedIn,
    MailTemplates,
    NotLoggedIn,
    OrderStatus,
    ProfilePolicy,
    ReauthenticationRequired,
    ShopperSession,
    StoreMail,
    UnknownLanguageError,
    hookimpl,
)
from orderstatus_core.messages import (
    AttachCodeMail,
    EmailChangeMail,
    EmailChangeNotice,
    PasswordResetMail,
)
from orderstatus_core.services import ServiceContext
from orderstatus_core.testing import FixedClock, fake_context, queued_mail
from orderstatus_core.testing.builders import make_order
from support.accounts import CLIENT, PASSWORD, log_in, mail_of, open_storage, register

JANE = "jane@example.com"
_FINNISH_REAUTHENTICATE = "Anna salasanasi uudelleen jatkaaksesi."
_STORE_TEXT = """{% extends "mail/store_mail.txt" %}
{% block subject %}{{ _("Hello,") }}{% endblock %}
{% block body %}-{% endblock %}
"""


class _Store:
    """A store that sends a newsletter and reads Swedish too (its own catalog)."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    @hookimpl
    def orderstatus_profile_policy(self) -> ProfilePolicy:
        return ProfilePolicy(unsubscribe_key=b"k" * 32)

    @hookimpl
    def orderstatus_mail_templates(self) -> MailTemplates:
        return MailTemplates(templates=self.folder / "templates", catalogs=self.folder / "locale")


def _store_files(root: Path) -> Path:
    store = root / "templates" / "mail" / "store"
    store.mkdir(parents=True)
    (store / "news.txt").write_text(_STORE_TEXT, encoding="utf-8")
    (store / "news.html").write_text(
        '{% extends "mail/store_mail.html" %}{% block content %}-{% endblock %}', encoding="utf-8"
    )
    po = root / "locale" / "sv" / "LC_MESSAGES" / "orderstatus.po"
    po.parent.mkdir(parents=True)
    po.write_text(
        'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
        'msgid "Hello,"\nmsgstr "Hej,"\n',
        encoding="utf-8",
    )
    return root


@pytest.fixture(params=["memory", "sqlite"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceContext]:
    """A store with Jane registered (in English) and an order of Mike's she may attach."""
    storage = open_storage(request.param, tmp_path)
    context = fake_context(storage, plugins=[_Store(_store_files(tmp_path / "store"))])
    with context.storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order("100002", email="mike@example.com", phone="+14155552671"))
        uow.commit()
    register(context, JANE)
    yield context
    storage.close()


def _shopper(ctx: ServiceContext, language: str | None = None) -> ShopperSession:
    token = log_in(ctx, JANE).token
    return OrderStatus(ctx).shopper(client=CLIENT, session=token, language=language)


def _finnish(ctx: ServiceContext) -> None:
    assert _shopper(ctx).set_language("fi") == LanguageChanged(language="fi")


def _view(shopper: ShopperSession) -> AccountView:
    page = shopper.view()
    assert isinstance(page, AccountView), page
    return page


def test_the_chosen_language_is_kept_and_shown(ctx: ServiceContext) -> None:
    """``set_language`` keeps it; the account page shows it in every later session."""
    assert _view(_shopper(ctx)).language == "en"
    _finnish(ctx)
    assert _view(_shopper(ctx)).language == "fi"


def test_a_stores_own_catalog_language_can_be_chosen(ctx: ServiceContext) -> None:
    """The languages are the store's catalogs: Swedish, from the store's folder, too."""
    assert _shopper(ctx).set_language("sv") == LanguageChanged(language="sv")
    assert _view(_shopper(ctx)).language == "sv"


@pytest.mark.parametrize(
    ("language", "error"),
    [
        ("de", UnknownLanguageError),
        ("FI", UnknownLanguageError),
        ("fi-FI", UnknownLanguageError),
        ("ｆｉ", UnknownLanguageError),  # fullwidth look-alike
        ("fi'; DROP TABLE accounts; --", UnknownLanguageError),
        ("fi\r\nBcc: x@example.com", UnknownLanguageError),
        ("", UnknownLanguageError),
        ("f" * 36, FieldTooLongError),
        (None, InvalidFieldError),
        (["fi"], InvalidFieldError),
    ],
)
def test_an_unknown_language_is_refused_and_changes_nothing(
    ctx: ServiceContext, language: object, error: type[Exception]
) -> None:
    """SECURITY H3: a typed error naming the field; the account keeps its language."""
    with pytest.raises(error) as refused:
        _shopper(ctx).set_language(language)  # type: ignore[arg-type]
    assert getattr(refused.value, "field", None) == "language"
    assert _view(_shopper(ctx)).language == "en"


def test_choosing_a_language_needs_a_session(ctx: ServiceContext) -> None:
    """Without a live session: NotLoggedIn, nothing changed."""
    nobody = OrderStatus(ctx).shopper(client=CLIENT, session=None)
    assert nobody.set_language("fi") == NotLoggedIn()
    assert _view(_shopper(ctx)).language == "en"


def test_a_storage_failing_to_save_changes_nothing(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The storage's AdapterError reaches the caller; the language stays."""
    shopper = _shopper(ctx)
    with ctx.storage.unit_of_work(write=True) as uow:
        store_type = type(uow.accounts)

    def failing(self: object, account: object) -> None:
        raise AdapterError("the database went away")

    monkeypatch.setattr(store_type, "save", failing)
    with pytest.raises(AdapterError, match="went away"):
        shopper.set_language("fi")
    monkeypatch.undo()
    assert _view(_shopper(ctx)).language == "en"


# --- precedence -------------------------------------------------------------------------------


def test_answers_follow_the_account_unless_the_page_names_a_language(
    ctx: ServiceContext,
) -> None:
    """A page that names no language gets the account's (Finnish); a page that names one
    gets that one; without a session the answer is English."""
    _finnish(ctx)
    own, english = _shopper(ctx), _shopper(ctx, "en")
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(timedelta(minutes=6))  # past the log-in's re-authentication window
    assert own.change_email("new@example.com") == ReauthenticationRequired(
        message=_FINNISH_REAUTHENTICATE
    )
    assert english.change_email("new@example.com") == ReauthenticationRequired()
    nobody = OrderStatus(ctx).shopper(client=CLIENT, session=None)
    assert nobody.view() == NotLoggedIn()


# --- mail -------------------------------------------------------------------------------------


def test_a_reset_mail_follows_the_account_not_the_forgot_password_page(
    ctx: ServiceContext,
) -> None:
    """The forgot-password page is anonymous and may be English: the link still goes out
    in the account's language."""
    _finnish(ctx)
    OrderStatus(ctx).forgot_password(JANE, client=CLIENT, language="en")
    [mail] = mail_of(ctx, PasswordResetMail)
    assert isinstance(mail, PasswordResetMail)
    assert mail.language == "fi"


def test_email_change_mail_follows_the_account(ctx: ServiceContext) -> None:
    """The confirmation link and the notice to the old address, in the account's
    language, even from a page in English."""
    _finnish(ctx)
    answer = _shopper(ctx, "en").reauthenticate(PASSWORD)
    assert isinstance(answer, LoggedIn)
    english_page = OrderStatus(ctx).shopper(client=CLIENT, session=answer.token, language="en")
    assert english_page.change_email("new@example.com") == EmailChangeRequested()
    languages = {
        m.language for m in mail_of(ctx, EmailChangeMail) + mail_of(ctx, EmailChangeNotice)
    }
    assert languages == {"fi"}


def test_an_attach_code_follows_the_account(ctx: ServiceContext) -> None:
    """The code mailed to the order's address is in the account holder's language."""
    _finnish(ctx)
    assert isinstance(_shopper(ctx, "en").attach_order("100002", "+1 415 555 2671"), AttachCodeSent)
    [mail] = mail_of(ctx, AttachCodeMail)
    assert isinstance(mail, AttachCodeMail)
    assert mail.language == "fi"


def test_store_mail_follows_each_account(ctx: ServiceContext) -> None:
    """Store mail is queued in each subscriber's language and rendered in it."""
    shopper = _shopper(ctx)
    shopper.set_mail_preferences({"newsletter": True})
    shopper.set_language("sv")
    OrderStatus(ctx).queue_store_mail("newsletter", "news")
    [mail] = [m for m in queued_mail(ctx) if isinstance(m, StoreMail)]
    assert mail.language == "sv"
    [rendered] = [
        ctx.policies.mail_renderer().render(message)
        for message in _pending(ctx)
        if isinstance(message.intent, StoreMail)
    ]
    assert (rendered.subject, rendered.language) == ("Hej,", "sv")


def _pending(ctx: ServiceContext) -> list:  # type: ignore[type-arg]
    with ctx.storage.unit_of_work() as uow:
        return list(uow.outbox.pending(100))
