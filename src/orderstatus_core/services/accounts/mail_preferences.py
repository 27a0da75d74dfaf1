"""Mail preferences and the preferred language (issue 14 items 6 and 7, RFC 8058,
SECURITY D, F4, H3).

* :func:`mail_preferences`, :func:`set_mail_preferences`: the topics of store mail the
  account gets, out of the profile policy's ``mail_topics``; none until asked (opt-in).
  Order and security mail are no topic and always go out.
* :func:`queue_store_mail`: the store's own mail of one topic (its template, in each
  account's language) queued in the outbox for every active subscribed account, each
  with its one-click unsubscribe link, so that the ``List-Unsubscribe`` and
  ``List-Unsubscribe-Post`` headers are always right.
* :func:`unsubscribe`: follow that link, without logging in (RFC 8058 one-click: the
  storefront calls it on the link's POST). The token is an HMAC over the account id and
  topic (:mod:`orderstatus_core.model.mail_preferences`); it unsubscribes and does
  nothing else.
* :func:`set_language`: the account's preferred language, one the store has catalogs
  for. Its mail follows it, and so do its pages unless the page names a language
  (:func:`~orderstatus_core.services.accounts._common.session_texts`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime

from orderstatus_core.errors import (
    AdapterError,
    FieldTooLongError,
    InvalidFieldError,
    UnknownLanguageError,
    UnknownMailTopicError,
)
from orderstatus_core.messages import StoreMail
from orderstatus_core.model.mail_preferences import (
    MailSubscription,
    check_topic,
    read_unsubscribe_token,
    unsubscribe_token,
)
from orderstatus_core.policies.accounts import account_link
from orderstatus_core.ports import AccountStore
from orderstatus_core.services._unit import write_unit
from orderstatus_core.services.accounts._common import ShopperProof, checked_shopper
from orderstatus_core.services.accounts.profile import _changing, _reading
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.effects import queue
from orderstatus_core.services.preference_results import (
    LanguageChanged,
    MailPreferences,
    MailPreferencesResult,
    SetLanguageResult,
    StoreMailQueued,
    Unsubscribed,
    UnsubscribeRefused,
    UnsubscribeResult,
)

__all__ = [
    "mail_preferences",
    "queue_store_mail",
    "read_mail_preferences",
    "set_language",
    "set_mail_preferences",
    "unsubscribe",
]

_REFUSED = UnsubscribeRefused()
_MAX_LANGUAGE = 35
_MAX_TOKEN_TEXT = 2000
# A store template's name: a file name under mail/store/, never a path (no "/" or "..").
_TEMPLATE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
# Subscribers read per statement while store mail is queued.
_PAGE = 500


def _store_topic(ctx: ServiceContext, topic: object, field: str = "topic") -> str:
    """``topic`` if the store has it (the profile policy's ``mail_topics``)."""
    topic = check_topic(topic, field)
    topics = ctx.policies.profile_policy().mail_topics
    if topic not in topics:
        raise UnknownMailTopicError(field, f"must be one of {', '.join(topics)}")
    return topic


def read_mail_preferences(
    store: AccountStore, account_id: str, topics: tuple[str, ...]
) -> MailPreferences:
    """The account's :class:`MailPreferences` out of the store's ``topics``, in the
    caller's unit (the preferences' read, their change's answer and the profile page's)."""
    kept = {subscription.topic for subscription in store.mail_subscriptions(account_id)}
    # A topic the store no longer has is not shown (and no store mail of it can be queued).
    return MailPreferences(subscribed=tuple(t for t in topics if t in kept), topics=topics)


def mail_preferences(ctx: ServiceContext, proof: ShopperProof) -> MailPreferencesResult:
    """The store mail the account gets (:class:`MailPreferences`): the topics it
    subscribed to, out of every topic the store has."""
    proof = checked_shopper(proof)
    topics = ctx.policies.profile_policy().mail_topics
    return _reading(
        ctx, proof, lambda store, account_id: read_mail_preferences(store, account_id, topics)
    )


def set_mail_preferences(
    ctx: ServiceContext, proof: ShopperProof, topics: Mapping[str, bool]
) -> MailPreferencesResult:
    """Subscribe to (``True``) or unsubscribe from (``False``) the store mail of each
    topic named in ``topics`` (``{"newsletter": True, "offers": False}``); a topic not
    named stays as it was. Answers the new :class:`MailPreferences`.

    A topic the store does not have raises
    :class:`~orderstatus_core.errors.UnknownMailTopicError`, a value that is not
    ``True`` or ``False`` :class:`~orderstatus_core.errors.InvalidFieldError`, before
    anything changes. Subscribing twice keeps the first subscription's time.
    """
    proof = checked_shopper(proof)
    if not isinstance(topics, Mapping):
        raise InvalidFieldError("topics", "must map each topic to True or False")
    offered = ctx.policies.profile_policy().mail_topics
    if len(topics) > len(offered):
        raise FieldTooLongError("topics", f"names at most the store's {len(offered)} topics")
    wanted: dict[str, bool] = {}
    for topic, on in topics.items():
        checked = _store_topic(ctx, topic, "topics")
        if not isinstance(on, bool):
            raise InvalidFieldError(f"topics.{checked}", "must be True or False")
        wanted[checked] = on

    def change(store: AccountStore, account_id: str, now: datetime) -> MailPreferences:
        for topic, on in wanted.items():
            if on:
                store.subscribe(MailSubscription(account_id, topic, now))
            else:
                store.unsubscribe(account_id, topic)
        return read_mail_preferences(store, account_id, offered)

    return _changing(ctx, proof, change)


def _known_language(ctx: ServiceContext, language: object) -> str:
    if not isinstance(language, str):
        raise InvalidFieldError("language", f"must be text, not {type(language).__name__}")
    if len(language) > _MAX_LANGUAGE:
        raise FieldTooLongError("language", f"must be at most {_MAX_LANGUAGE} characters")
    known = ctx.policies.mail_renderer().languages()
    if language not in known:
        raise UnknownLanguageError("language", f"must be one of {', '.join(sorted(known))}")
    return language


def set_language(ctx: ServiceContext, proof: ShopperProof, language: str) -> SetLanguageResult:
    """Make ``language`` the account's preferred language (:class:`LanguageChanged`): the
    code of one of the store's catalogs (``en``, ``fi``, and any a store adds through its
    mail templates). Every mail for the account is written in it from now on, and every
    answer of its session unless the page names a language.

    Another code raises :class:`~orderstatus_core.errors.UnknownLanguageError` and
    changes nothing.
    """
    proof = checked_shopper(proof)
    chosen = _known_language(ctx, language)

    def change(store: AccountStore, account_id: str, _now: datetime) -> LanguageChanged:
        account = store.get(account_id)
        if account is not None and account.language != chosen:
            store.save(account.with_language(chosen))
        return LanguageChanged(language=chosen)

    return _changing(ctx, proof, change)


def _unsubscribe_key(ctx: ServiceContext) -> bytes | None:
    return ctx.policies.profile_policy().unsubscribe_key


def unsubscribe(ctx: ServiceContext, token: str) -> UnsubscribeResult:
    """Follow a one-click unsubscribe link (its ``token``), without logging in: the
    account it was made for gets no more store mail of its topic (:class:`Unsubscribed`).

    The answer depends on the token alone, never on what is stored (SECURITY A1): a
    valid link of a deleted account, or of one already unsubscribed, answers the same
    :class:`Unsubscribed`; anything the store's key did not sign (or no key configured)
    answers :class:`UnsubscribeRefused`. A ``token`` that is not text raises
    :class:`~orderstatus_core.errors.InvalidFieldError`. Call it on the link's POST
    (RFC 8058), never on a GET: mail scanners follow links.
    """
    if not isinstance(token, str):
        raise InvalidFieldError("token", f"must be text, not {type(token).__name__}")
    if len(token) > _MAX_TOKEN_TEXT:
        raise FieldTooLongError("token", f"must be at most {_MAX_TOKEN_TEXT} characters")
    key = _unsubscribe_key(ctx)
    read = None if key is None else read_unsubscribe_token(key, token)
    if read is None:
        return _REFUSED
    account_id, topic = read
    with write_unit(ctx) as locked:
        locked.uow.accounts.unsubscribe(account_id, topic)
        locked.uow.commit()
    return Unsubscribed(topic=topic)


def queue_store_mail(ctx: ServiceContext, topic: str, template: str) -> StoreMailQueued:
    """Queue the store's mail ``template`` (``mail/store/<template>.txt`` and ``.html``
    from the store's mail templates, extending ``mail/store_mail.txt`` and ``.html``) for
    every active account subscribed to ``topic``: one :class:`~orderstatus_core.messages.StoreMail`
    each, in the account's preferred language, with its one-click unsubscribe link, in one
    transaction (all or none). The relay sends them with the ``List-Unsubscribe`` headers.

    A topic the store does not have raises
    :class:`~orderstatus_core.errors.UnknownMailTopicError`; a template name that is not
    1 to 64 of ``a-z``, ``0-9``, ``_`` and ``-``
    :class:`~orderstatus_core.errors.InvalidFieldError`; a template that is missing or
    broken :class:`~orderstatus_core.errors.MailTemplateError`;
    a store without an ``unsubscribe_key`` in its profile policy
    :class:`~orderstatus_core.errors.AdapterError`. Each call queues again: call it once
    per mailing.
    """
    topic = _store_topic(ctx, topic)
    if not isinstance(template, str) or not _TEMPLATE.fullmatch(template):
        raise InvalidFieldError("template", "must be 1 to 64 of a-z, 0-9, _ and -")
    key = _unsubscribe_key(ctx)
    if key is None:
        raise AdapterError(
            "store mail needs an unsubscribe key: ProfilePolicy(unsubscribe_key=...) from the "
            "orderstatus_profile_policy hook"
        )
    ctx.policies.mail_renderer().check_store_mail(template)
    link_base = ctx.policies.account_policy().link_base
    queued = 0
    with write_unit(ctx) as locked:
        uow, now = locked.uow, locked.now
        after: str | None = None
        while True:
            page = uow.accounts.subscribers(topic, after, _PAGE)
            for account in page:
                link = account_link(
                    link_base, "unsubscribe", unsubscribe_token(key, account.account_id, topic)
                )
                mail = StoreMail(account.email, topic, template, link, account.language)
                queue(uow, mail, now)
            queued += len(page)
            if len(page) < _PAGE:
                break
            after = page[-1].account_id
        uow.commit()
    return StoreMailQueued(topic=topic, queued=queued)
