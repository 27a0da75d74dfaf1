"""Log-in, sessions and log-out (SECURITY A1, A2, B3, C1, C2, C4, E1-E3).

* :func:`log_in`: one answer for every refusal (unknown email, wrong password, unverified,
  locked: A1); the password hash runs exactly once per attempt, also when there is no
  account to check against (A2: a dummy hash of the same hasher); a stale hash is
  replaced (B3); a new session id of 256 bits, stored hashed (E2), lasting 14 days with
  *keep me logged in* or 12 hours and 30 minutes idle without (E1). Failures are counted
  per address (its :func:`~orderstatus_core.model.account.failure_key`), with an account
  or without, so that a known and an unknown address do the same work (A6); 100 in a row
  lock the account until a reset (C2); attempts are limited per client and per normalised
  email (C1).
* :func:`reauthenticate`: the password again, for the changes that need it (E4); a new
  session id replaces the old one (E2).
* :func:`log_out`: ends the session on the server (E3).
* :func:`view_account`: the account page, after the one-read session check.
"""

from __future__ import annotations

from datetime import datetime
from operator import attrgetter

import attrs

from orderstatus_core.contacts import email_key
from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.model.account import (
    Account,
    AccountSession,
    AccountState,
    SecurityEventKind,
    failure_key,
    hash_session_id,
    is_secret_id,
)
from orderstatus_core.policies.accounts import AccountPolicy
from orderstatus_core.policies.passwords import MAX_PASSWORD_LENGTH, canonical_password
from orderstatus_core.ports import PasswordHasher, UnitOfWork
from orderstatus_core.services._limits import check_limits
from orderstatus_core.services._texts import in_language, shopper_texts
from orderstatus_core.services._unit import write_unit
from orderstatus_core.services.accounts._common import (
    LiveSession,
    ShopperProof,
    account_client,
    as_if_found,
    checked_shopper,
    dummy_hash,
    limited_session,
    live_session,
    new_session_id,
    record,
    require_hasher,
    session_texts,
    touch_session,
)
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.results import (
    AccountView,
    AccountViewResult,
    LoggedIn,
    LoggedOut,
    LogInRefused,
    LogInResult,
    NotLoggedIn,
    ReauthenticateResult,
    SessionCheckResult,
    SignedIn,
)

__all__ = ["log_in", "log_out", "reauthenticate", "view_account"]

_REFUSED = LogInRefused()
_NOT_LOGGED_IN = NotLoggedIn()
# Beyond this many code points as typed, no password can be right (the rules refuse
# longer ones); it is still verified, as an empty one, so that the attempt costs a hash.
_MAX_TYPED = 8 * MAX_PASSWORD_LENGTH


def _typed_password(password: object) -> str:
    if not isinstance(password, str):
        raise InvalidFieldError("password", f"must be text, not {type(password).__name__}")
    return canonical_password(password) if len(password) <= _MAX_TYPED else ""


def _can_log_in(account: Account | None, failures: int, policy: AccountPolicy) -> bool:
    """Whether ``account`` may log in: active, with a password, and fewer failed log-ins
    than the lock's number (C2): ``failures`` counted under its address, plus any the
    account row kept from before the count moved there."""
    return (
        account is not None
        and account.state is AccountState.ACTIVE
        and account.password_hash is not None
        and account.failed_logins + failures < policy.max_failed_logins
    )


def _verify_once(
    hasher: PasswordHasher,
    account: Account | None,
    failures: int,
    typed: str,
    policy: AccountPolicy,
) -> bool:
    """One hash, whatever the account: its own when it can log in, else the dummy's
    (SECURITY A2). Whether the password opens the account."""
    usable = _can_log_in(account, failures, policy)
    stored = account.password_hash if usable and account is not None else None
    right = hasher.verify(stored if stored is not None else dummy_hash(hasher), typed)
    return right and usable


def log_in(
    ctx: ServiceContext,
    email: str,
    password: str,
    *,
    remember: bool = False,
    client: str,
    language: str = "en",
) -> LogInResult:
    """Log in with ``email`` and ``password``; with ``remember`` (*keep me logged in*) the
    session lasts 14 days from now and is never extended, otherwise 12 hours at most and
    30 minutes idle (the account policy's numbers).

    :class:`LoggedIn` carries the new session token for the cookie. Every refusal is the
    one :class:`LogInRefused`: an unknown or malformed email, a wrong password, an
    unverified, password-less or locked account (SECURITY A1); each costs exactly one
    password hash (A2). Attempts are limited per client and per normalised email
    (:class:`TryLater`, C1); 100 consecutive failures lock the account until a password
    reset (C2), which a lock never blocks. ``password`` or ``remember`` of a wrong type
    raise :class:`~orderstatus_core.errors.InvalidFieldError`.
    """
    client = account_client(client)
    texts = shopper_texts(ctx, language)
    if not isinstance(email, str):
        raise InvalidFieldError("email", f"must be text, not {type(email).__name__}")
    if not isinstance(remember, bool):
        raise InvalidFieldError("remember", "must be True or False")
    typed = _typed_password(password)
    hasher = require_hasher(ctx)
    policy = ctx.policies.account_policy()
    key = email_key(email)
    refused = check_limits(
        ctx.rate_limiter,
        ctx.clock.now(),
        "log-in",
        client=(client, policy.login_per_client),
        account=(key or email.strip().casefold(), policy.login_per_account),
    )
    if refused is not None:
        return in_language(refused, texts)
    # Failures are counted under the address's hash whether or not an account has it, and
    # every attempt reads the account and that count alike (SECURITY A6). Text that is no
    # address is looked up by that hash, which no email key equals: the same statement,
    # and the typed text never reaches the database.
    counted = failure_key(key if key is not None else email.strip().casefold())
    lookup = key if key is not None else counted
    with ctx.storage.unit_of_work() as uow:
        account = uow.accounts.by_email(lookup)
        failures = uow.accounts.failed_logins(counted)
    if account is None:
        as_if_found()  # what building the account read costs a known address (A6)
    # Verified outside any write unit: a slow hash holds no lock.
    right = _verify_once(hasher, account, failures, typed, policy)
    with write_unit(ctx) as locked:
        uow, now = locked.uow, locked.now
        answer: LogInResult = _REFUSED
        if right and account is not None:
            # Read again under the lock: the password, the state and the count may have
            # changed since; only a log-in that opens reads them (a refusal needs nothing
            # more, so an address with an account and one without do the same work).
            current = uow.accounts.by_email(lookup)
            failures = uow.accounts.failed_logins(counted)
            if (
                current is not None
                and current.account_id == account.account_id
                and current.password_hash == account.password_hash
                and _can_log_in(current, failures, policy)
            ):
                answer = _start_session(ctx, uow, current, failures, typed, remember, now, client)
            account = current
        if answer is _REFUSED:
            _count_failure(uow, account, key, counted, now, client, policy)
        uow.commit()
    return in_language(answer, texts)


def _start_session(
    ctx: ServiceContext,
    uow: UnitOfWork,
    account: Account,
    failures: int,
    typed: str,
    remember: bool,
    now: datetime,
    client: str,
) -> LoggedIn:
    hasher = require_hasher(ctx)
    policy = ctx.policies.account_policy()
    if failures:
        uow.accounts.clear_failed_logins(failure_key(account.email_key))
    after = account.logged_in()
    assert account.password_hash is not None
    if hasher.needs_rehash(account.password_hash):
        # Parameters grew since it was made (SECURITY B3): the one extra hash of a log-in.
        after = after.rehashed(hasher.hash(typed))
    if after != account:
        uow.accounts.save(attrs.evolve(after, version=account.version + 1))
    session_id = new_session_id()
    lifetime = policy.remember_lifetime if remember else policy.session_lifetime
    session = AccountSession.start(
        session_id, account.account_id, now, remember=remember, lifetime=lifetime
    )
    uow.sessions.put(session)
    record(uow, SecurityEventKind.LOGGED_IN, now, account=account, client=client)
    return LoggedIn(token=session_id, expires_at=session.expires_at, remember=remember)


def _count_failure(
    uow: UnitOfWork,
    account: Account | None,
    key: str | None,
    counted: str | None,
    now: datetime,
    client: str,
    policy: AccountPolicy,
) -> None:
    """Count a failed log-in under ``counted`` (the address's failure key) and log it
    (SECURITY C2, C4): the same upsert and the same log lines whether or not an account
    has the address (A6). The count that reaches the lock's number logs the lock-out,
    for an address without an account too: it stays locked if one is made for it, until
    its password is set."""
    holder = account if account is not None and account.is_live else None
    total = 0 if counted is None else uow.accounts.count_failed_login(counted, now)
    if holder is not None:
        total += holder.failed_logins
    kinds = [SecurityEventKind.LOGIN_FAILED]
    if total == policy.max_failed_logins:
        kinds.append(SecurityEventKind.LOCKED_OUT)
    for kind in kinds:
        # The holder's line names the account; another's shows the typed address masked.
        record(uow, kind, now, account=holder, email=None if holder else key, client=client)


def _failures_of(uow: UnitOfWork, account: Account | None) -> int:
    """The failed log-ins counted under ``account``'s address (none without an account)."""
    return 0 if account is None else uow.accounts.failed_logins(failure_key(account.email_key))


def reauthenticate(ctx: ServiceContext, proof: ShopperProof, password: str) -> ReauthenticateResult:
    """Type the password again, before changing the email or password or deleting the
    account (SECURITY E4): for the policy's window [5 min] those commands are allowed.

    :class:`LoggedIn` carries a *new* session token that replaces the old one, which ends
    (E2): set it as the cookie. A wrong password is :class:`LogInRefused` and counts as a
    failed log-in (C2); limited like log-in (:class:`TryLater`); without a live session,
    :class:`NotLoggedIn`. Each attempt costs exactly one hash.
    """
    proof = checked_shopper(proof)
    typed = _typed_password(password)
    hasher = require_hasher(ctx)
    live, texts = limited_session(
        ctx, proof, "log-in", attrgetter("login_per_client"), attrgetter("login_per_account")
    )
    if not isinstance(live, LiveSession):
        return in_language(live, texts)
    policy = ctx.policies.account_policy()
    account_id = live.session.account_id
    with ctx.storage.unit_of_work() as uow:
        account = uow.accounts.get(account_id)
        failures = _failures_of(uow, account)
    right = _verify_once(hasher, account, failures, typed, policy)
    with write_unit(ctx) as locked:
        uow, now = locked.uow, locked.now
        current = uow.accounts.get(account_id)
        failures = _failures_of(uow, current)
        session = uow.sessions.get(live.id_hash)
        live_now = session is not None and session.is_live(now, idle_timeout=policy.idle_timeout)
        if not live_now or session is None:
            return in_language(_NOT_LOGGED_IN, texts)
        still = (
            current is not None
            and account is not None
            and current.password_hash == account.password_hash
            and _can_log_in(current, failures, policy)
        )
        if not (right and still and current is not None):
            counted = None if current is None else failure_key(current.email_key)
            _count_failure(uow, current, None, counted, now, proof.client, policy)
            uow.commit()
            return in_language(_REFUSED, texts)
        if failures:
            uow.accounts.clear_failed_logins(failure_key(current.email_key))
        if current.failed_logins:
            uow.accounts.save(current.logged_in())
        session_id = new_session_id()
        uow.sessions.end(live.id_hash, now)
        renewed = session.reauthenticated(session_id, now)
        uow.sessions.put(renewed)
        record(uow, SecurityEventKind.REAUTHENTICATED, now, account=current, client=proof.client)
        uow.commit()
    return LoggedIn(token=session_id, expires_at=renewed.expires_at, remember=renewed.remember)


def log_out(ctx: ServiceContext, proof: ShopperProof) -> LoggedOut:
    """End the session on the server (SECURITY E3): the token never logs in again. The
    answer is :class:`LoggedOut` also for a session that had ended or never existed."""
    proof = checked_shopper(proof)
    token = proof.session
    if isinstance(token, str) and token:
        id_hash = hash_session_id(token)
        with write_unit(ctx) as locked:
            uow, now = locked.uow, locked.now
            session = uow.sessions.get(id_hash)
            if session is not None and uow.sessions.end(id_hash, now):
                account = uow.accounts.get(session.account_id)
                record(uow, SecurityEventKind.LOGGED_OUT, now, account=account, client=proof.client)
            uow.commit()
    return LoggedOut()


def check_session(ctx: ServiceContext, proof: ShopperProof) -> SessionCheckResult:
    """The check every page view makes first: who is logged in (:class:`SignedIn`), or
    :class:`NotLoggedIn` (no session, unknown, logged out, idle too long, expired, or its
    account deleted).

    One read that decides (:meth:`SessionStore.check
    <orderstatus_core.ports.SessionStore.check>`: on SQL, one statement comparing the
    session's stored instants with now, and reading its account's state and language), and
    a write of the last-seen time only when it is a minute old. Nothing is kept between
    requests, so a log-out, a reset or a deletion shows on the very next page view. The
    account page reads the whole account (:func:`view_account`)."""
    proof = checked_shopper(proof)
    token = proof.session
    if is_secret_id(token):
        assert isinstance(token, str)
        id_hash = hash_session_id(token)
        policy = ctx.policies.account_policy()
        with ctx.storage.unit_of_work(read_once=True) as uow:
            # The clock is read inside the unit (SECURITY G6). A read-once check takes no
            # lock, so there is nothing to wait for before reading it; its one statement
            # then runs after it, so an end, a log-out or a deletion committed before the
            # statement is seen. The touch that may follow is conditional on its own
            # (not ended, not already later).
            now = ctx.clock.now()
            found = uow.sessions.check(
                id_hash,
                now,
                idle_timeout=policy.idle_timeout,
                touch_interval=policy.touch_interval,
            )
        if found is not None:
            if found.touch_due:
                touch_session(ctx, id_hash, now)
            return SignedIn(found.account_id, found.language, found.expires_at, found.remember)
    return in_language(_NOT_LOGGED_IN, session_texts(ctx, proof, None))


def view_account(ctx: ServiceContext, proof: ShopperProof) -> AccountViewResult:
    """The account page: the holder's address, preferred language and times, and when the
    session ends; :class:`NotLoggedIn` without a live session."""
    proof = checked_shopper(proof)
    live = live_session(ctx, proof, with_account=True)
    texts = session_texts(ctx, proof, live)
    if live is None:
        return in_language(_NOT_LOGGED_IN, texts)
    account = live.account  # read with the session, in its snapshot
    if account is None or not account.is_live:
        return in_language(_NOT_LOGGED_IN, texts)
    return AccountView(
        email=account.email,
        language=account.language,
        created_at=account.created_at,
        verified_at=account.verified_at,
        password_changed_at=account.password_changed_at,
        session_expires_at=live.session.expires_at,
        remember=live.session.remember,
    )
