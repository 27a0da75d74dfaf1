"""Forgot password and reset (SECURITY A1, A4, A6, C1, C2, D2, D3, E3).

:func:`forgot_password` answers the same for every address and queues the same request
(A1, A6); the relay (:func:`decide_reset`) mails a reset link [1 h, single use] to the
stored address of an active account, and nothing otherwise. :func:`reset_password` sets
the new password, ends every session and cancels a pending email change (E3); it never
logs in, and it opens an account that failed log-ins had locked (C2). A lock-out never
blocks any of this: its rate-limit buckets are the reset's own.
"""

from __future__ import annotations

from orderstatus_core.contacts import email_key
from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.messages import PasswordResetMail, PasswordResetRequest
from orderstatus_core.model.account import AccountState, SecurityEventKind, TokenPurpose
from orderstatus_core.services._limits import check_limits
from orderstatus_core.services._texts import in_language, shopper_texts
from orderstatus_core.services._unit import write_unit
from orderstatus_core.services.accounts._common import account_client, issue_link, record
from orderstatus_core.services.accounts.signup import _ACCOUNT_LANGUAGE, set_password_by_link
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.effects import queue
from orderstatus_core.services.results import (
    ForgotPasswordResult,
    PasswordReset,
    ResetPasswordResult,
    ResetRequested,
)

__all__ = ["decide_reset", "forgot_password", "reset_password"]

_REQUESTED = ResetRequested()


def forgot_password(
    ctx: ServiceContext, email: str, *, client: str, language: str = "en"
) -> ForgotPasswordResult:
    """*Forgot password*: mail a reset link to the account of ``email``, if there is one.

    The answer is :class:`ResetRequested` for every address, malformed ones included, and
    every well-formed one queues the same request in one write unit (SECURITY A1, A6);
    the relay decides whether a link goes out (:func:`decide_reset`). Limited per client
    and per normalised email with allauth's numbers (:class:`TryLater`, C1), in buckets of
    their own, so a log-in lock-out never blocks a reset (C2). ``email`` that is not text
    raises :class:`~orderstatus_core.errors.InvalidFieldError`.
    """
    client = account_client(client)
    texts = shopper_texts(ctx, language)
    if not isinstance(email, str):
        raise InvalidFieldError("email", f"must be text, not {type(email).__name__}")
    policy = ctx.policies.account_policy()
    key = email_key(email)
    refused = check_limits(
        ctx.rate_limiter,
        ctx.clock.now(),
        "reset",
        client=(client, policy.reset_per_client),
        account=(key or email.strip().casefold(), policy.reset_per_account),
    )
    if refused is not None:
        return in_language(refused, texts)
    if key is not None:
        mail_language = texts.language if _ACCOUNT_LANGUAGE.fullmatch(texts.language) else "en"
        with write_unit(ctx) as locked:
            queue(locked.uow, PasswordResetRequest(key, mail_language), locked.now)
            locked.uow.commit()
    return in_language(_REQUESTED, texts)


def decide_reset(ctx: ServiceContext, message_id: str, request: PasswordResetRequest) -> None:
    """Carry out a reset request (the relay calls this), in one unit of work: an active
    account of the key gets a reset link at its stored address (SECURITY A4), recorded in
    the security log; any other key, nothing. The request is marked done in the same
    transaction."""
    with write_unit(ctx) as locked:
        uow, now = locked.uow, locked.now
        account = uow.accounts.by_email(request.account_email_key)
        if account is not None and account.state is AccountState.ACTIVE:
            issued = issue_link(ctx, uow, account, TokenPurpose.RESET_PASSWORD, now, "reset")
            mail = PasswordResetMail(
                to=account.email,
                link=issued.link,
                expires_at=issued.token.expires_at,
                # The account's preferred language, not the forgot-password page's
                # (issue 14 item 7); the page's is kept for nothing else.
                language=account.language,
            )
            queue(uow, mail, now)
            record(uow, SecurityEventKind.RESET_REQUESTED, now, account=account)
        uow.outbox.mark_sent(message_id, now)
        uow.commit()


def reset_password(
    ctx: ServiceContext, token: str, password: str, *, client: str, language: str = "en"
) -> ResetPasswordResult:
    """Choose a new password with the reset link's token [1 h, single use].

    The password must pass the store's rules (:class:`PasswordNotAccepted`, and the link
    stays usable); then it is set, the failed log-ins start from zero (a locked account
    opens, SECURITY C2), every session of the account ends, every earlier link dies and a
    pending email change is cancelled (D2, E3). It never logs in (:class:`PasswordReset`).
    A wrong, used or expired token answers :class:`LinkRefused`.
    """
    return set_password_by_link(
        ctx,
        token,
        password,
        purpose=TokenPurpose.RESET_PASSWORD,
        done=PasswordReset(),
        client=client,
        language=language,
    )
