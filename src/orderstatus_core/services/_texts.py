"""The shopper's language for a service's answer: one place turns a request's code into texts."""

from __future__ import annotations

from typing import TypeVar, cast

import attrs

from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.i18n import Translator
from orderstatus_core.model.display import Texts
from orderstatus_core.policies.refusals import refusal_text
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.results import (
    ACCOUNT_REFUSALS,
    AccountDeleted,
    AttachCodeSent,
    AttachRefused,
    CaptchaRefused,
    CheckYourMail,
    EmailChanged,
    EmailChangeRequested,
    GuestPassRefused,
    GuestPassRequested,
    LinkRefused,
    LogInRefused,
    NotLoggedIn,
    NoValidPass,
    OrderListRequested,
    OrderNotFound,
    PasswordChanged,
    PasswordNotAccepted,
    PasswordReset,
    PasswordSet,
    ReauthenticationRequired,
    Refused,
    ResetRequested,
    TryLater,
)

__all__ = ["in_language", "shopper_texts"]

T = TypeVar("T")


def shopper_texts(ctx: ServiceContext, language: object) -> Translator:
    """The texts of ``language`` from the store's catalogs (the mail's, so a store's own
    catalog folder translates its pages too).

    A code with no catalog, or not a code at all, reads English (SECURITY A1: the answer
    never depends on it); a value that is not text raises
    :class:`~orderstatus_core.errors.InvalidFieldError`.
    """
    if not isinstance(language, str):
        raise InvalidFieldError("language", "must be a language code such as fi or en-US")
    return ctx.policies.mail_renderer().catalogs.for_shopper(language)


#: The answers whose ``message`` is one of the core's message ids.
_WORDED = (
    OrderNotFound,
    TryLater,
    NoValidPass,
    OrderListRequested,
    GuestPassRequested,
    GuestPassRefused,
    CheckYourMail,
    CaptchaRefused,
    LinkRefused,
    PasswordSet,
    LogInRefused,
    ResetRequested,
    PasswordReset,
    NotLoggedIn,
    ReauthenticationRequired,
    EmailChangeRequested,
    EmailChanged,
    PasswordChanged,
    AccountDeleted,
    AttachCodeSent,
    AttachRefused,
)


def in_language(answer: T, texts: Texts) -> T:
    """``answer`` with its message in ``texts``' language; a value with no message (an
    order found, a page of matches) as it is.

    One place for every service: a :class:`Refused` reads its reason code's text
    (:func:`~orderstatus_core.policies.refusals.refusal_text`), the fixed answers their
    message ids translated, so two answers in one language stay equal (SECURITY A1).
    """
    if isinstance(answer, Refused):
        return cast(T, Refused(answer.reason, refusal_text(texts, answer.reason, answer.message)))
    if isinstance(answer, PasswordNotAccepted):
        words = ACCOUNT_REFUSALS.get(answer.reason, answer.message)
        return cast(T, PasswordNotAccepted(answer.reason, texts.gettext(words)))
    if isinstance(answer, _WORDED):
        return cast(T, attrs.evolve(answer, message=texts.gettext(answer.message)))
    return answer
