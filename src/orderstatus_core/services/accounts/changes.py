"""Changes of email and password, and deletion (SECURITY B4, D2, E3, E4, F1).

Each needs the password typed within the policy's window [5 min] (E4:
:func:`~orderstatus_core.services.accounts.login.reauthenticate`), so a session left open
on a shared computer cannot take the account over.

* :func:`change_email`: a link to the *new* address confirms it [24 h]; the old address
  gets a notice at once. :func:`confirm_email_change` (anonymous: the link is the proof)
  makes the change, kills every earlier link (D2) and joins the orders of the new address
  (F1).
* :func:`change_password`: ends every other session and every link, a pending email change
  included (E3).
* :func:`delete_account`: ends every session and token, unlinks the orders (the store
  keeps them) and deletes the saved addresses, the garage and the unused discount codes
  (a used one is kept for the store's accounting, detached from the account).
"""

from __future__ import annotations

from orderstatus_core.contacts import parse_email
from orderstatus_core.messages import AlreadyRegisteredMail, EmailChangeMail, EmailChangeNotice
from orderstatus_core.model.account import SecurityEventKind, TokenPurpose, failure_key
from orderstatus_core.policies.masking import mask_email
from orderstatus_core.services._limits import check_limits
from orderstatus_core.services._texts import in_language
from orderstatus_core.services._unit import write_unit
from orderstatus_core.services.accounts._common import (
    LiveSession,
    ShopperProof,
    account_unit,
    checked_shopper,
    issue_link,
    join_orders,
    link_attempt,
    live_session,
    new_password,
    recent_session,
    record,
    require_hasher,
    session_texts,
    take_token,
)
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.effects import queue
from orderstatus_core.services.results import (
    AccountDeleted,
    ChangeEmailResult,
    ChangePasswordResult,
    ConfirmEmailResult,
    DeleteAccountResult,
    EmailChanged,
    EmailChangeRequested,
    LinkRefused,
    NotLoggedIn,
    PasswordChanged,
    PasswordNotAccepted,
    ReauthenticationRequired,
)

__all__ = ["change_email", "change_password", "confirm_email_change", "delete_account"]

_NOT_LOGGED_IN = NotLoggedIn()
_REAUTHENTICATE = ReauthenticationRequired()
_LINK_REFUSED = LinkRefused()
#: Every purpose of a token: the deletion ends them all.
_ALL_PURPOSES = tuple(TokenPurpose)


def change_email(ctx: ServiceContext, proof: ShopperProof, new_email: str) -> ChangeEmailResult:
    """Ask to change the account's email to ``new_email``.

    Needs the password typed within the window (:class:`ReauthenticationRequired`,
    SECURITY E4). A confirmation link goes to the new address (only the newest request's
    link works) and a notice, with the new address masked, to the old one. When the new
    address has an account of its own, that account's address gets the "already
    registered" notice instead of a link, and the answer is the same
    :class:`EmailChangeRequested`. Limited per account (:class:`TryLater`). ``new_email``
    that is not an address raises
    :class:`~orderstatus_core.errors.InvalidIdentifierError` and changes nothing.
    """
    proof = checked_shopper(proof)
    address = parse_email(new_email)
    live = live_session(ctx, proof)
    texts = session_texts(ctx, proof, live)
    if live is None:
        return in_language(_NOT_LOGGED_IN, texts)
    policy = ctx.policies.account_policy()
    now = ctx.clock.now()
    if not live.session.recently_authenticated(now, window=policy.reauthentication_window):
        return in_language(_REAUTHENTICATE, texts)
    account_id = live.session.account_id
    refused = check_limits(
        ctx.rate_limiter,
        now,
        "email-change",
        account=(account_id, policy.email_change_per_account),
    )
    if refused is not None:
        return in_language(refused, texts)
    with account_unit(ctx, account_id) as (uow, account, now):
        if account is None:
            return in_language(_NOT_LOGGED_IN, texts)
        language = account.language
        uow.accounts.end_tokens(account_id, (TokenPurpose.CHANGE_EMAIL,), now)
        holder = uow.accounts.by_email(address.canonical)
        if holder is None:
            issued = issue_link(
                ctx,
                uow,
                account,
                TokenPurpose.CHANGE_EMAIL,
                now,
                "confirm-email",
                payload=address.display,
            )
            confirm: EmailChangeMail | AlreadyRegisteredMail = EmailChangeMail(
                to=address, link=issued.link, expires_at=issued.token.expires_at, language=language
            )
        else:
            # Never a link to an address another account holds, and the mail goes to
            # that account's stored address, not the typed text (SECURITY A4, A5).
            confirm = AlreadyRegisteredMail(to=holder.email, language=language)
        queue(uow, confirm, now)
        notice = EmailChangeNotice(
            to=account.email, new_email=mask_email(address.display), language=language
        )
        queue(uow, notice, now)
        record(
            uow,
            SecurityEventKind.EMAIL_CHANGE_REQUESTED,
            now,
            account=account,
            client=proof.client,
        )
        uow.commit()
    return in_language(EmailChangeRequested(), texts)


def confirm_email_change(
    ctx: ServiceContext, token: str, *, client: str, language: str = "en"
) -> ConfirmEmailResult:
    """Follow the link mailed to the new address: the account's email becomes it.

    Every earlier link of the account dies (SECURITY D2), and the stored orders of the new
    address join the account (F1). A wrong, used, expired or cancelled link (a password
    change or reset cancels it, E3), or a new address that another account took in the
    meantime, answers :class:`LinkRefused`.
    """
    client, texts, refused = link_attempt(ctx, client, language)
    if refused is not None:
        return in_language(refused, texts)
    with write_unit(ctx) as locked:
        uow, now = locked.uow, locked.now
        taken = take_token(uow, token, TokenPurpose.CHANGE_EMAIL, now)
        if taken is None:
            return in_language(_LINK_REFUSED, texts)
        spent, account = taken
        assert spent.payload is not None
        address = parse_email(spent.payload)
        holder = uow.accounts.by_email(address.canonical)
        if holder is not None and holder.account_id != account.account_id:
            uow.commit()  # the link is spent either way
            return in_language(_LINK_REFUSED, texts)
        changed = account.with_email(address, now)
        uow.accounts.save(changed)
        join_orders(uow, changed, now)
        record(uow, SecurityEventKind.EMAIL_CHANGED, now, account=changed, client=client)
        uow.commit()
    return in_language(EmailChanged(), texts)


def change_password(
    ctx: ServiceContext, proof: ShopperProof, new_password_text: str
) -> ChangePasswordResult:
    """Set a new password (SECURITY B4, E4: the current one typed within the window).

    Refused by the store's rules: :class:`PasswordNotAccepted`, nothing changed. Done:
    every other session ends (this one stays), every link dies and a pending email
    change is cancelled (E3, D2).
    """
    proof = checked_shopper(proof)
    hasher = require_hasher(ctx)
    live, texts = recent_session(ctx, proof)
    if not isinstance(live, LiveSession):
        return in_language(live, texts)
    accepted = new_password(ctx, new_password_text)
    if isinstance(accepted, PasswordNotAccepted):
        return in_language(accepted, texts)
    password_hash = hasher.hash(accepted)
    account_id = live.session.account_id
    with account_unit(ctx, account_id) as (uow, account, now):
        if account is None:
            return in_language(_NOT_LOGGED_IN, texts)
        uow.accounts.save(account.with_password(password_hash, now))
        uow.accounts.clear_failed_logins(failure_key(account.email_key))
        uow.sessions.end_all(account_id, now, keep=live.id_hash)
        uow.accounts.end_tokens(account_id, _ALL_PURPOSES, now)
        record(uow, SecurityEventKind.PASSWORD_CHANGED, now, account=account, client=proof.client)
        uow.commit()
    return in_language(PasswordChanged(), texts)


def delete_account(ctx: ServiceContext, proof: ShopperProof) -> DeleteAccountResult:
    """Delete the account (SECURITY E4: the password typed within the window).

    Every session (this one too) and every token end, the saved addresses, the garage and
    the unused discount codes are deleted (a used code is kept, detached, for the store's
    accounting), and the orders are unlinked: the store keeps them for its records. The
    address may sign up again.
    """
    proof = checked_shopper(proof)
    live, texts = recent_session(ctx, proof)
    if not isinstance(live, LiveSession):
        return in_language(live, texts)
    account_id = live.session.account_id
    with account_unit(ctx, account_id) as (uow, account, now):
        if account is None:
            return in_language(_NOT_LOGGED_IN, texts)
        uow.accounts.save(account.deleted())
        uow.sessions.end_all(account_id, now)
        uow.accounts.end_tokens(account_id, _ALL_PURPOSES, now)
        uow.accounts.unlink_all(account_id)
        uow.accounts.forget_profile(account_id)
        uow.accounts.forget_discount_codes(account_id)
        record(uow, SecurityEventKind.ACCOUNT_DELETED, now, account=account, client=proof.client)
        uow.commit()
    return in_language(AccountDeleted(), texts)
