"""What every account use case shares: ports that must be configured, the proof of a
logged-in shopper, mailed tokens, the password rules, the dummy hash, the security log
and the orders that join an account.

Every secret is drawn here, from :mod:`secrets`, and handed to the pure model; only
hashes are stored (SECURITY D1, E2).
"""

from __future__ import annotations

import secrets
import threading
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import attrs

from orderstatus_core.errors import AdapterError, InvalidFieldError
from orderstatus_core.i18n import Translator
from orderstatus_core.model import EmailAddress
from orderstatus_core.model.account import (
    Account,
    AccountSession,
    AccountState,
    AccountToken,
    LinkedBy,
    OrderLink,
    SecurityEvent,
    SecurityEventKind,
    TokenPurpose,
    hash_session_id,
    is_secret_id,
)
from orderstatus_core.password_lists import common_passwords
from orderstatus_core.policies.accounts import AccountPolicy, account_link
from orderstatus_core.policies.limits import Quota
from orderstatus_core.policies.masking import mask_email
from orderstatus_core.policies.passwords import PasswordAccepted, PasswordRefused
from orderstatus_core.ports import Captcha, PasswordHasher, UnitOfWork
from orderstatus_core.services._limits import check_limits
from orderstatus_core.services._texts import shopper_texts
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.guest_pass import _new_selector, _new_validator, _split_token
from orderstatus_core.services.proof import client_key
from orderstatus_core.services.results import (
    NotLoggedIn,
    PasswordNotAccepted,
    ReauthenticationRequired,
    TryLater,
)

__all__ = [
    "IssuedLink",
    "LiveSession",
    "ShopperProof",
    "account_client",
    "account_unit",
    "as_if_found",
    "checked_shopper",
    "dummy_hash",
    "issue_link",
    "join_orders",
    "limited_session",
    "link_attempt",
    "link_unlinked_orders",
    "live_session",
    "new_account_id",
    "new_password",
    "new_session_id",
    "peek_token",
    "prepare_accounts",
    "recent_session",
    "record",
    "require_captcha",
    "require_hasher",
    "session_texts",
    "take_token",
    "touch_session",
]

#: How many orders one batch links when an address is verified (SECURITY F1).
_LINK_BATCH = 200


def account_client(client: object) -> str:
    """``client`` as the rate limits and the security log name the caller: its IP address
    as the front-end saw it, 1 to 200 characters.

    A value shaped like a session id or a link token (22 or more URL-safe base64
    characters) is refused: the security log keeps the client, and must never keep a
    secret (SECURITY C4).
    """
    client = client_key(client)
    if is_secret_id(client):
        raise InvalidFieldError(
            "client", "must name the caller (an IP address), never a session id or token"
        )
    return client


def _check_client(_instance: Any, _attribute: Any, value: Any) -> None:
    account_client(value)


def _check_session(_instance: Any, _attribute: Any, value: Any) -> None:
    # A malformed session is not an error (the shopper is simply not logged in); a value
    # that is not text is the caller's bug.
    if value is not None and not isinstance(value, str):
        raise InvalidFieldError("session", "must be the session cookie's text or None")


def _check_language(_instance: Any, _attribute: Any, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise InvalidFieldError("language", "must be a language code such as fi or en-US")


@attrs.frozen
class ShopperProof:
    """Who is asking (``client``, their IP address) and the session they show (the token
    of :class:`~orderstatus_core.LoggedIn`, from the session cookie), and the language the
    page named, if it named one. Built once per request (``desk.shopper(...)``); the
    session is left out of ``repr`` (SECURITY C4).

    ``language`` ``None`` (the default) answers in the account's preferred language, and
    in English without a live session; a code answers in that language, whatever the
    account prefers (:func:`session_texts`)."""

    client: str = attrs.field(validator=_check_client)
    session: str | None = attrs.field(default=None, repr=False, validator=_check_session)
    language: str | None = attrs.field(default=None, validator=_check_language)


def checked_shopper(proof: object) -> ShopperProof:
    """``proof`` if it is a :class:`ShopperProof`; anything else is refused first."""
    if not isinstance(proof, ShopperProof):
        raise InvalidFieldError("proof", "must be a ShopperProof")
    return proof


def require_captcha(ctx: ServiceContext) -> Captcha:
    """The store's captcha, or :class:`AdapterError`: sign-up needs one (SECURITY C3)."""
    if ctx.captcha is None:
        raise AdapterError(
            "sign-up needs a captcha: OrderStatus.open(captcha='captcha://') or a plugin's"
        )
    return ctx.captcha


def require_hasher(ctx: ServiceContext) -> PasswordHasher:
    """The store's password hasher, or :class:`AdapterError`."""
    if ctx.password_hasher is None:
        raise AdapterError(
            "accounts need a password hasher: OrderStatus.open(password_hasher='argon2://')"
        )
    return ctx.password_hasher


_DUMMY_LOCK = threading.Lock()
_DUMMIES: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()


def dummy_hash(hasher: PasswordHasher) -> str:
    """A real hash of a random password, made once per hasher with that very hasher.

    A log-in with an unknown email, or for an account that cannot log in (unverified,
    locked, no password yet), verifies against it, so that every attempt costs exactly
    one hash (SECURITY A2). The composition root makes it at start-up
    (:func:`prepare_accounts`); nobody can know its password.
    """
    with _DUMMY_LOCK:
        made = _DUMMIES.get(hasher)
        if made is None:
            made = hasher.hash(secrets.token_urlsafe(32))
            _DUMMIES[hasher] = made
        return made


# A stored account nobody can log in to, read only by as_if_found().
_DUMMY_AT = datetime(2026, 1, 1, tzinfo=UTC)
_DUMMY_ACCOUNT = (
    Account.sign_up(
        "dummy-account-never-stored", EmailAddress("n@example.com", "n@example.com"), _DUMMY_AT
    )
    .verified(_DUMMY_AT)
    .with_password("dummy$" + "0" * 96, _DUMMY_AT)
)


def as_if_found() -> Account:
    """Build a dummy account the way a storage builds an account it read: every check of
    the model on every field, the address included. A log-in that found no account does
    this, so that it costs what reading a found one costs (SECURITY A6), as it verifies
    the dummy hash (A2); with a fast hasher, building the account read is most of what
    else a known address costs. The account is never stored, compared or answered."""
    dummy = _DUMMY_ACCOUNT
    email = EmailAddress(dummy.email.display, dummy.email.canonical)
    return attrs.evolve(dummy, email=email)


def prepare_accounts(ctx: ServiceContext) -> None:
    """Make the dummy hash of the context's hasher now, at start-up, so that no log-in
    pays for it (:func:`dummy_hash`). Nothing without a hasher."""
    if ctx.password_hasher is not None:
        dummy_hash(ctx.password_hasher)


def new_account_id() -> str:
    """A new account id: 96 random bits, 16 URL-safe characters."""
    return secrets.token_urlsafe(12)


def new_session_id() -> str:
    """A new session id: 256 random bits (SECURITY E2)."""
    return secrets.token_urlsafe(32)


@attrs.frozen
class IssuedLink:
    """A stored link token: the text the shopper carries (``selector.validator``), the
    mailed link built from it, and the token as stored."""

    text: str = attrs.field(repr=False)
    link: str = attrs.field(repr=False)
    token: AccountToken


def issue_link(
    ctx: ServiceContext,
    uow: UnitOfWork,
    account: Account,
    purpose: TokenPurpose,
    now: datetime,
    page: str,
    *,
    payload: str | None = None,
) -> IssuedLink:
    """Store a new link token for ``account``: its lifetime is the policy's for
    ``purpose``, and its link is built from the policy's ``link_base`` only (SECURITY
    D4)."""
    policy = ctx.policies.account_policy()
    ttl = {
        TokenPurpose.VERIFY_EMAIL: policy.verification_ttl,
        TokenPurpose.SET_PASSWORD: policy.verification_ttl,
        TokenPurpose.RESET_PASSWORD: policy.reset_ttl,
        TokenPurpose.CHANGE_EMAIL: policy.email_change_ttl,
    }[purpose]
    selector, validator = _new_selector(), _new_validator()
    token = AccountToken.issue(selector, validator, account, purpose, now, ttl, payload=payload)
    uow.accounts.put_token(token)
    text = f"{selector}.{validator}"
    return IssuedLink(text, account_link(policy.link_base, page, text), token)


def take_token(
    uow: UnitOfWork, text: object, purpose: TokenPurpose, now: datetime
) -> tuple[AccountToken, Account] | None:
    """Spend the link token ``text`` for ``purpose`` at ``now``, in the caller's write
    unit: the token and its account, or ``None`` for anything that does not open it
    (malformed, unknown, another purpose, wrong validator, used, expired, from an earlier
    credential epoch, the account deleted). Of two units racing, only one spends it."""
    parts = _split_token(text)
    if parts is None:
        return None
    selector, validator = parts
    token = uow.accounts.get_token(selector)
    if token is None or token.purpose is not purpose:
        return None
    account = uow.accounts.get(token.account_id)
    if account is None or not token.accepts(validator, account, now):
        return None
    if not uow.accounts.use_token(selector, now):
        return None
    return token, account


def peek_token(
    uow: UnitOfWork, text: object, purpose: TokenPurpose, now: datetime
) -> Account | None:
    """The account the link token ``text`` would open for ``purpose`` at ``now``, without
    spending it (a read before slow work such as hashing a new password)."""
    parts = _split_token(text)
    if parts is None:
        return None
    selector, validator = parts
    token = uow.accounts.get_token(selector)
    if token is None or token.purpose is not purpose:
        return None
    account = uow.accounts.get(token.account_id)
    if account is None or not token.accepts(validator, account, now):
        return None
    return account


def new_password(ctx: ServiceContext, password: object) -> str | PasswordNotAccepted:
    """The canonical form of a new password that the store's rules, the shipped common
    list and the store's breach check accept, or the refusal (SECURITY B1, B2). A breach
    check that cannot answer raises :class:`AdapterError`: nothing passes unchecked."""
    breached = ctx.breached_passwords
    verdict = ctx.policies.password_rules().check(
        password,
        common=common_passwords(),
        breached=None if breached is None else breached.is_breached,
    )
    if isinstance(verdict, PasswordRefused):
        return PasswordNotAccepted(verdict.reason, verdict.message)
    assert isinstance(verdict, PasswordAccepted)
    return verdict.password


def record(
    uow: UnitOfWork,
    kind: SecurityEventKind,
    now: datetime,
    *,
    account: Account | None = None,
    email: EmailAddress | str | None = None,
    client: str | None = None,
) -> None:
    """Append a line to the security log: the account, its email masked, the client, never
    a secret (SECURITY C4)."""
    shown = email if email is not None else (account.email if account is not None else None)
    display = shown.display if isinstance(shown, EmailAddress) else shown
    masked = mask_email(display) if display and "@" in display else None
    uow.accounts.record_event(
        SecurityEvent(
            kind=kind,
            at=now,
            account_id=None if account is None else account.account_id,
            masked_email=masked,
            client=client,
        )
    )


def join_orders(uow: UnitOfWork, account: Account, now: datetime) -> int:
    """Link every stored order whose email key is the account's verified one and that
    joined no account (SECURITY F1); answer how many. Only for an active account: an
    unverified address links nothing (account pre-hijacking)."""
    if account.state is not AccountState.ACTIVE:
        return 0
    return link_unlinked_orders(uow, account.account_id, account.email_key, now)


def link_unlinked_orders(uow: UnitOfWork, account_id: str, email_key: str, now: datetime) -> int:
    """Link every stored order of ``email_key`` that joined no account to the verified
    account ``account_id``, batch after batch; answer how many. The caller has proven the
    account verified and active in ``uow`` (SECURITY F1)."""
    linked = 0
    while True:
        batch = uow.accounts.unlinked_orders(email_key, _LINK_BATCH)
        for header in batch:
            link = OrderLink(account_id, header.number, now, LinkedBy.VERIFIED_EMAIL)
            linked += uow.accounts.link_order(link)
        if len(batch) < _LINK_BATCH:
            return linked


@attrs.frozen
class LiveSession:
    """A session that logs its holder in now, with its id's hash and, when asked for, its
    account as read with it (``None`` if not asked for or not stored; not locked: a command
    that changes the account reads it again in its write unit)."""

    session: AccountSession
    id_hash: str
    account: Account | None = None


def live_session(
    ctx: ServiceContext, proof: ShopperProof, *, with_account: bool = False, worded: bool = True
) -> LiveSession | None:
    """The live session the shopper shows, or ``None``: one read by the primary key (with
    ``with_account``, the session and its account in that one read), and a write of the
    last-seen time only when it is at least the policy's interval old (a minute), so a
    page view does not write on every request. A ``proof`` that names no language reads the
    account too (:func:`session_texts` answers in its language), unless the command's
    answers for a live session carry no text (``worded=False``: an address book, a page
    of orders)."""
    token = proof.session
    if not is_secret_id(token):
        return None
    assert isinstance(token, str)
    id_hash = hash_session_id(token)
    policy = ctx.policies.account_policy()
    account: Account | None = None
    # Without a language from the page the answer is in the account's (session_texts):
    # read it with the session, in the same one read.
    with_account = with_account or (worded and proof.language is None)
    with ctx.storage.unit_of_work(read_once=True) as uow:
        if with_account:
            found = uow.sessions.get_with_account(id_hash)
            session, account = (None, None) if found is None else found
        else:
            session = uow.sessions.get(id_hash)
    now = ctx.clock.now()
    if session is None or not session.is_live(now, idle_timeout=policy.idle_timeout):
        return None
    if session.needs_touch(now, interval=policy.touch_interval):
        touch_session(ctx, id_hash, now)
        session = session.touched(now)
    return LiveSession(session, id_hash, account)


def touch_session(ctx: ServiceContext, id_hash: str, now: datetime) -> None:
    """Write the session's last-seen time, in a write unit of its own: only when the read
    said it is due (``needs_touch``: at most once a minute), so a page view does not
    write on every request."""
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.sessions.touch(id_hash, now)
        uow.commit()


@contextmanager
def account_unit(
    ctx: ServiceContext, account_id: str
) -> Iterator[tuple[UnitOfWork, Account | None, datetime]]:
    """A write unit holding the account's lock (read first), and the time read after it
    (SECURITY G6). The account is ``None`` when it is gone or deleted."""
    with ctx.storage.unit_of_work(write=True) as uow:
        account = uow.accounts.get(account_id)
        now = ctx.clock.now()
        yield uow, (account if account is not None and account.is_live else None), now


def session_texts(ctx: ServiceContext, proof: ShopperProof, live: LiveSession | None) -> Translator:
    """The texts a logged-in shopper's answers are in: the language the page named
    (``proof.language``) if it named one, else the preferred language of the live
    session's account, else (no live session) English. One place decides it for every
    account command."""
    if proof.language is not None:
        return shopper_texts(ctx, proof.language)
    if live is not None and live.account is not None:
        return shopper_texts(ctx, live.account.language)
    return shopper_texts(ctx, "en")


def limited_session(
    ctx: ServiceContext,
    proof: ShopperProof,
    action: str,
    per_client: Callable[[AccountPolicy], Quota],
    per_account: Callable[[AccountPolicy], Quota] | None = None,
) -> tuple[LiveSession | NotLoggedIn | TryLater, Translator]:
    """The preamble of a logged-in command that is rate limited: the live session of
    ``proof`` (:func:`live_session`), then one attempt at ``action`` counted for the
    client and, with ``per_account``, for the session's account, with the quotas these
    pick from the account policy (SECURITY C1); with the shopper's texts
    (:func:`session_texts`).

    :class:`NotLoggedIn` without a live session (nothing is counted), :class:`TryLater`
    when a limit refused; the caller puts either in the texts' language.
    """
    live = live_session(ctx, proof)
    texts = session_texts(ctx, proof, live)
    if live is None:
        return NotLoggedIn(), texts
    policy = ctx.policies.account_policy()
    scopes = {"client": (proof.client, per_client(policy))}
    if per_account is not None:
        scopes["account"] = (live.session.account_id, per_account(policy))
    refused = check_limits(ctx.rate_limiter, ctx.clock.now(), action, **scopes)
    return (live if refused is None else refused), texts


def recent_session(
    ctx: ServiceContext, proof: ShopperProof
) -> tuple[LiveSession | NotLoggedIn | ReauthenticationRequired, Translator]:
    """The preamble of a command that needs the password typed within the policy's window
    (SECURITY E4: changing the password, deleting the account, the data export): the live
    session of ``proof`` (:func:`live_session`) whose password was typed recently enough,
    or why not, with the shopper's texts (:func:`session_texts`) for the answer."""
    live = live_session(ctx, proof)
    texts = session_texts(ctx, proof, live)
    if live is None:
        return NotLoggedIn(), texts
    window = ctx.policies.account_policy().reauthentication_window
    if not live.session.recently_authenticated(ctx.clock.now(), window=window):
        return ReauthenticationRequired(), texts
    return live, texts


def link_attempt(
    ctx: ServiceContext, client: object, language: object
) -> tuple[str, Translator, TryLater | None]:
    """The preamble of following a mailed link (verification, set-password, reset, email
    change): ``client`` checked (:func:`account_client`), the texts of ``language``, and
    one try counted for the client in the ``account-link`` limit: the client, the texts
    and :class:`TryLater` when the limit refused (else ``None``)."""
    client = account_client(client)
    texts = shopper_texts(ctx, language)
    policy = ctx.policies.account_policy()
    refused = check_limits(
        ctx.rate_limiter, ctx.clock.now(), "account-link", client=(client, policy.token_per_client)
    )
    return client, texts, refused
