"""Sign-up and verification (DOMAIN.md section 2, SECURITY A5, A6, C3, D1-D3, F1).

1. :func:`new_captcha`: a captcha image (and its audio) for the sign-up form, stored
   single use; new images are rate-limited per client.
2. :func:`sign_up`: the email and the captcha's answer. The challenge is used up whatever
   the answer; a solved one queues a :class:`~orderstatus_core.messages.SignUpRequest`,
   the same for a new address and one with an account, and the answer is
   :class:`CheckYourMail` either way (A1, A5, A6). The relay decides
   (:func:`decide_sign_up`): a new address gets an unverified account and a verification
   link [24 h, single use]; an address with an active account gets an "already
   registered" notice, to its stored address.
3. :func:`verify_email`: the link verifies the address; every order placed with it joins
   the account now, never before (F1); the answer carries the token of the set-password
   step.
4. :func:`set_password`: the new password under the store's rules; it never logs in.
"""

from __future__ import annotations

import re
from typing import TypeVar

from orderstatus_core.contacts import parse_email
from orderstatus_core.messages import (
    AccountVerificationMail,
    AlreadyRegisteredMail,
    SignUpRequest,
)
from orderstatus_core.model.account import (
    Account,
    AccountState,
    SecurityEventKind,
    StoredCaptcha,
    TokenPurpose,
    failure_key,
)
from orderstatus_core.model.captcha import is_captcha_id
from orderstatus_core.services._limits import check_limits
from orderstatus_core.services._texts import in_language, shopper_texts
from orderstatus_core.services._unit import write_unit
from orderstatus_core.services.accounts._common import (
    account_client,
    issue_link,
    join_orders,
    link_attempt,
    new_account_id,
    new_password,
    peek_token,
    record,
    require_captcha,
    require_hasher,
    take_token,
)
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.effects import queue
from orderstatus_core.services.results import (
    CaptchaIssued,
    CaptchaRefused,
    CaptchaResult,
    CheckYourMail,
    EmailVerified,
    LinkRefused,
    PasswordNotAccepted,
    PasswordReset,
    PasswordSet,
    SetPasswordResult,
    SignUpResult,
    TryLater,
    VerifyEmailResult,
)

__all__ = [
    "decide_sign_up",
    "new_captcha",
    "set_password",
    "sign_up",
    "verify_email",
]

_CHECK_YOUR_MAIL = CheckYourMail()
_CAPTCHA_REFUSED = CaptchaRefused()
_LINK_REFUSED = LinkRefused()
_ACCOUNT_LANGUAGE = re.compile(r"[a-z]{2,3}(?:_[A-Z]{2})?")


def new_captcha(ctx: ServiceContext, *, client: str) -> CaptchaResult:
    """A new captcha challenge for the sign-up form (the first one, or *new image*).

    Stored single use with the policy's lifetime [10 min] (SECURITY C3): only its id,
    answer hash and times, never the media, which the answer carries once. New images are
    limited per client (:class:`TryLater`). Without a captcha configured, raises
    :class:`~orderstatus_core.errors.AdapterError`; a failing captcha or storage raises
    and stores nothing.
    """
    client = account_client(client)
    captcha = require_captcha(ctx)
    policy = ctx.policies.account_policy()
    now = ctx.clock.now()
    refused = check_limits(
        ctx.rate_limiter, now, "captcha", client=(client, policy.captcha_per_client)
    )
    if refused is not None:
        return refused
    challenge = captcha.issue(now)
    stored = StoredCaptcha.of(challenge, ttl=policy.captcha_ttl)
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.captchas.put(stored)
        uow.commit()
    return CaptchaIssued(
        challenge_id=stored.challenge_id,
        expires_at=stored.expires_at,
        image=challenge.image,
        audio=challenge.audio,
    )


def sign_up(
    ctx: ServiceContext,
    email: str,
    *,
    challenge_id: str,
    answer: str,
    client: str,
    language: str = "en",
) -> SignUpResult:
    """Sign up with ``email``, proving a person with the captcha ``challenge_id``'s
    ``answer``.

    The challenge is used up by this call, right or wrong (single use, SECURITY C3); a
    wrong, expired, used or unknown one answers :class:`CaptchaRefused` (show a new
    image). A solved one queues a sign-up request for the relay and answers
    :class:`CheckYourMail`, whether or not the address has an account (A1, A5): the same
    calls and writes either way (A6). Verification mail is limited to one per address
    every 180 s, and sign-ups per client (:class:`TryLater`).

    ``email`` that is not an email address raises
    :class:`~orderstatus_core.errors.InvalidIdentifierError` and changes nothing. The
    answer and the mail are in ``language`` (English for a code with no catalog).
    """
    client = account_client(client)
    texts = shopper_texts(ctx, language)
    captcha = require_captcha(ctx)
    address = parse_email(email)
    policy = ctx.policies.account_policy()
    refused = check_limits(
        ctx.rate_limiter, ctx.clock.now(), "sign-up", client=(client, policy.sign_up_per_client)
    )
    if refused is not None:
        return in_language(refused, texts)
    mail_language = texts.language if _ACCOUNT_LANGUAGE.fullmatch(texts.language) else "en"
    with write_unit(ctx) as locked:
        uow, now = locked.uow, locked.now
        stored = uow.captchas.consume(challenge_id, now) if is_captcha_id(challenge_id) else None
        # The adapter checks the answer against the challenge as issued; a failing
        # adapter raises here and the challenge stays unused (nothing half done).
        if stored is None or not captcha.check(stored.challenge(), answer):
            uow.commit()
            return in_language(_CAPTCHA_REFUSED, texts)
        refused = check_limits(
            ctx.rate_limiter,
            now,
            "verification-mail",
            account=(address.canonical, policy.verification_mail_per_account),
        )
        if refused is None:
            queue(uow, SignUpRequest(address, mail_language), now)
        uow.commit()
    return in_language(refused or _CHECK_YOUR_MAIL, texts)


def decide_sign_up(ctx: ServiceContext, message_id: str, request: SignUpRequest) -> None:
    """Carry out a sign-up request (the relay calls this), in one unit of work.

    A new address gets an unverified account and its verification link; an unverified
    account gets a new link (to its stored address); an active account gets the "already
    registered" notice instead (SECURITY A5). Each is recorded in the security log. The
    request is marked done in the same transaction, so a relay that runs it twice never
    mails twice.
    """
    with write_unit(ctx) as locked:
        uow, now = locked.uow, locked.now
        account = uow.accounts.by_email(request.email.canonical)
        if account is None:
            account = Account.sign_up(
                new_account_id(), request.email, now, language=request.language
            )
            uow.accounts.add(account)
            record(uow, SecurityEventKind.SIGNED_UP, now, account=account)
        else:
            record(uow, SecurityEventKind.SIGN_UP_REPEATED, now, account=account)
        # Mail for an account is in its preferred language (issue 14 item 7): a new
        # account's is the sign-up page's, kept above.
        if account.state is AccountState.UNVERIFIED:
            issued = issue_link(ctx, uow, account, TokenPurpose.VERIFY_EMAIL, now, "verify")
            mail: AccountVerificationMail | AlreadyRegisteredMail = AccountVerificationMail(
                to=account.email,
                link=issued.link,
                expires_at=issued.token.expires_at,
                language=account.language,
            )
        else:
            mail = AlreadyRegisteredMail(to=account.email, language=account.language)
        queue(uow, mail, now)
        uow.outbox.mark_sent(message_id, now)
        uow.commit()


def verify_email(
    ctx: ServiceContext, token: str, *, client: str, language: str = "en"
) -> VerifyEmailResult:
    """Follow the verification link (its ``?token=`` value).

    A live link [24 h, single use] verifies the address, and every stored order placed
    with it joins the account now (SECURITY F1); the answer :class:`EmailVerified` carries
    the token of the set-password step. A wrong, used, expired or malformed link answers
    :class:`LinkRefused`; tries are limited per client.
    """
    client, texts, refused = link_attempt(ctx, client, language)
    if refused is not None:
        return in_language(refused, texts)
    with write_unit(ctx) as locked:
        uow, now = locked.uow, locked.now
        taken = take_token(uow, token, TokenPurpose.VERIFY_EMAIL, now)
        if taken is None:
            return in_language(_LINK_REFUSED, texts)
        _token, account = taken
        verified = account.verified(now)
        if verified != account:
            uow.accounts.save(verified)
            record(uow, SecurityEventKind.EMAIL_VERIFIED, now, account=verified, client=client)
        join_orders(uow, verified, now)
        issued = issue_link(ctx, uow, verified, TokenPurpose.SET_PASSWORD, now, "verify")
        uow.commit()
    return EmailVerified(token=issued.text, expires_at=issued.token.expires_at)


def set_password(
    ctx: ServiceContext, token: str, password: str, *, client: str, language: str = "en"
) -> SetPasswordResult:
    """Set the first password with the token of :class:`EmailVerified`.

    The password must pass the store's rules, the common list and its breach check
    (:class:`PasswordNotAccepted` otherwise, and the token stays usable); it is hashed
    once and the token is spent. Setting a password never logs in: the shopper logs in
    with it (:class:`PasswordSet`). A wrong, used or expired token answers
    :class:`LinkRefused`.
    """
    return set_password_by_link(
        ctx,
        token,
        password,
        purpose=TokenPurpose.SET_PASSWORD,
        done=PasswordSet(),
        client=client,
        language=language,
    )


_Done = TypeVar("_Done", PasswordSet, PasswordReset)


def set_password_by_link(
    ctx: ServiceContext,
    token: str,
    password: str,
    *,
    purpose: TokenPurpose,
    done: _Done,
    client: str,
    language: str,
) -> _Done | PasswordNotAccepted | LinkRefused | TryLater:
    """The shared steps of setting a password by a link (set-password and reset): the
    rules, the token, one hash outside the write lock, then spend the token and store the
    password in one unit. A reset also ends every session and cancels a pending email
    change (SECURITY E3)."""
    hasher = require_hasher(ctx)
    client, texts, refused = link_attempt(ctx, client, language)
    if refused is not None:
        return in_language(refused, texts)
    with ctx.storage.unit_of_work() as uow:
        opened = peek_token(uow, token, purpose, ctx.clock.now())
    if opened is None:
        return in_language(_LINK_REFUSED, texts)
    accepted = new_password(ctx, password)
    if isinstance(accepted, PasswordNotAccepted):
        return in_language(accepted, texts)
    # Hashed before the write unit: Argon2 takes tens of milliseconds, and no lock waits.
    password_hash = hasher.hash(accepted)
    with write_unit(ctx) as locked:
        uow, now = locked.uow, locked.now
        taken = take_token(uow, token, purpose, now)
        if taken is None:
            return in_language(_LINK_REFUSED, texts)
        _token, account = taken
        uow.accounts.save(account.with_password(password_hash, now))
        uow.accounts.clear_failed_logins(failure_key(account.email_key))
        if purpose is TokenPurpose.RESET_PASSWORD:
            uow.sessions.end_all(account.account_id, now)
            uow.accounts.end_tokens(
                account.account_id,
                (TokenPurpose.CHANGE_EMAIL, TokenPurpose.RESET_PASSWORD),
                now,
            )
            kind = SecurityEventKind.PASSWORD_RESET
        else:
            kind = SecurityEventKind.PASSWORD_SET
        record(uow, kind, now, account=account, client=client)
        uow.commit()
    return in_language(done, texts)
