"""Accounts: a shopper's account and what the storage keeps beside it.

Six immutable values (DOMAIN.md section 2, SECURITY B to F):

* an :class:`Account`: the email it signed up with, its state (unverified, active,
  deleted), its password hash, the consecutive failed log-ins, and a *credential epoch*
  that every password or email change and the deletion move on;
* an :class:`AccountToken`: a mailed link or code for one purpose of one account (verify
  the email, set or reset the password, confirm a new email, attach an order);
* an :class:`AccountSession`: a logged-in browser, found by the hash of its id;
* an :class:`OrderLink`: an order that joined the account, and how;
* a :class:`SecurityEvent`: one line of the account's security log, with no secret in it;
* a :class:`StoredCaptcha`: a captcha challenge as the core keeps it until its one answer
  (what the captcha adapter issued, never its media, and when it was used).

The model never makes randomness or reads a clock (DESIGN.md rule 1): the service draws
ids, selectors, validators and codes from :mod:`secrets` and passes them in with the time,
and every lifetime and limit arrives as an argument (the policies own the numbers).

A moment is inside a lifetime up to and including its end: a token is valid at exactly
issued + TTL and refused one second later (SECURITY D3), and so are sessions and captchas.
"""

from __future__ import annotations

import enum
import hashlib
import hmac
import re
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, TypeVar

import attrs

from orderstatus_core.errors import InvalidFieldError, ValidationError
from orderstatus_core.model._checks import PatternRule, count, matching, optional_utc, utc
from orderstatus_core.model._text import check_text
from orderstatus_core.model.captcha import CaptchaChallenge
from orderstatus_core.model.guest_pass import is_code, is_token_part
from orderstatus_core.model.identifiers import EmailAddress, canonical_order_number
from orderstatus_core.model.session_rules import (
    not_negative as _not_negative,
)
from orderstatus_core.model.session_rules import session_is_live, session_needs_touch

__all__ = [
    "Account",
    "AccountSession",
    "AccountState",
    "AccountToken",
    "LinkedBy",
    "OrderLink",
    "SecurityEvent",
    "SecurityEventKind",
    "StoredCaptcha",
    "TokenPurpose",
    "failure_key",
    "hash_session_id",
    "hash_token_secret",
    "is_secret_id",
    "oldest_first",
]

_MAX_COUNTER = 2**62
_MAX_PASSWORD_HASH = 512
_MAX_CLIENT = 200
_MAX_MASKED_EMAIL = 260

# URL-safe base64 of at least 128 random bits (``secrets.token_urlsafe(16)`` is 22
# characters): a session id or a link validator (SECURITY D1, E2).
_SECRET_ID = re.compile(r"[A-Za-z0-9_-]{22,128}")
_HASH = re.compile(r"[0-9a-f]{64}")
# A password hash as a hasher writes it (PHC strings such as "$argon2id$v=19$m=..."):
# printable ASCII without spaces.
_PASSWORD_HASH = re.compile(rf"[!-~]{{1,{_MAX_PASSWORD_HASH}}}")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:_[A-Z]{2})?")
# What ``policies.masking.mask_email`` makes: at most the first character, the mask, the
# domain. A whole address can never pass for it (SECURITY C4).
_MASKED_EMAIL = re.compile(r"[^@\s]?•••@[^@\s]+")


def is_secret_id(text: object) -> bool:
    """Whether ``text`` can be a session id or a link validator: 22 to 128 URL-safe base64
    characters, at least 128 bits when drawn by ``secrets.token_urlsafe``."""
    return isinstance(text, str) and _SECRET_ID.fullmatch(text) is not None


def _digest(label: bytes, *parts: str) -> str:
    data = label + b"\x00" + b"\x00".join(part.encode() for part in parts)
    return hashlib.sha256(data).hexdigest()


def hash_token_secret(selector: str, secret: str) -> str:
    """The stored form of an account token's validator or code: hex SHA-256, salted with
    the token's selector.

    A validator carries at least 128 random bits, so a fast hash is enough to keep a
    database reader from using what they read. A 6-digit code cannot be made strong by
    any hash; it is bounded online instead (a few tries, a short life, mailed only to the
    stored address), as the guest pass's code is.
    """
    return _digest(b"orderstatus account token", selector, secret)


def hash_session_id(session_id: str) -> str:
    """The stored form of a session id: hex SHA-256 (SECURITY E2). The id carries at least
    128 random bits, so the hash alone finds the row and a reader of the table cannot
    log in with what they read."""
    # _digest's bytes for one part, written out: this runs on every page view.
    return hashlib.sha256(_SESSION_LABEL + session_id.encode()).hexdigest()


# Short, so that the label and a minted id (``secrets.token_urlsafe(32)``: 43 characters)
# make 54 bytes, one SHA-256 block (55 at most; the former 28-byte label took two, about
# 3,500 more instructions on every page view); still a label of its own, apart from the
# other hashes' (domain separation).
_SESSION_LABEL = b"os-session\x00"


def failure_key(identifier: str) -> str:
    """The key failed log-ins are counted under (SECURITY C2, A6): hex SHA-256 of the
    typed address's email key (or, for text that is no address, of its folded form), so
    that an address with an account and one without are counted alike, and the table of
    counts lists no address in clear.

    Unsalted and unkeyed, so a reader of the table can confirm a guessed address, as
    they can from the security log's masked one; it cannot list them.

    >>> failure_key("jane@example.com") == failure_key("jane@example.com")
    True
    >>> len(failure_key("\\udcff not an address"))
    64
    """
    data = b"orderstatus failed log-ins\x00" + identifier.encode("utf-8", "surrogatepass")
    return hashlib.sha256(data).hexdigest()


def _same_hash(stored: str, computed: str) -> bool:
    return hmac.compare_digest(stored.encode(), computed.encode())


_Member = TypeVar("_Member", bound=enum.StrEnum)


def _member(kind: type[_Member], field: str, value: object) -> _Member:
    """``value`` as a member of ``kind``; an unknown one is :class:`InvalidFieldError`."""
    try:
        return kind(value)  # type: ignore[arg-type]  # anything else is refused here
    except ValueError:
        names = ", ".join(member.value for member in kind)
        raise InvalidFieldError(field, f"must be one of {names}") from None


def _bool(_instance: object, attribute: attrs.Attribute[bool], value: object) -> None:
    if not isinstance(value, bool):
        raise InvalidFieldError(attribute.name, "must be True or False")


def _positive_ttl(name: str, value: object) -> timedelta:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise InvalidFieldError(name, "must be a positive timedelta")
    return value


#: An account id: opaque, drawn by the service, safe in a URL and a log line.
# Annotated: the profile and the order model import it while mypy is still inferring this
# module (the model's modules import each other through the package).
_account_id: PatternRule = matching(
    re.compile(r"[A-Za-z0-9_-]{8,64}"), "must be 8 to 64 letters, digits, - or _"
)
_hash = matching(_HASH, "is not a hex SHA-256 hash")
_selector = matching(re.compile(r"[A-Za-z0-9_-]{16,128}"), "is not a selector (URL-safe base64)")


# --- the account -----------------------------------------------------------------------------


class AccountState(enum.StrEnum):
    """Where an account stands."""

    #: Signed up; the email is not yet proven. Nothing is linked to it (SECURITY F1).
    UNVERIFIED = "unverified"
    #: The email is verified.
    ACTIVE = "active"
    #: Deleted by its holder: no log-in, no token, no session, no linked order. Its email
    #: may sign up again.
    DELETED = "deleted"


def _email_address(_instance: object, attribute: Any, value: Any) -> None:
    if not isinstance(value, EmailAddress):
        raise InvalidFieldError(attribute.name, "must be an EmailAddress (see parse_email)")


def _account_state(value: object) -> AccountState:
    return _member(AccountState, "state", value)


def _optional_password_hash(_instance: object, attribute: Any, value: object) -> None:
    if value is not None and (not isinstance(value, str) or not _PASSWORD_HASH.fullmatch(value)):
        raise InvalidFieldError(
            attribute.name, f"must be 1 to {_MAX_PASSWORD_HASH} printable ASCII characters"
        )


def _language(_instance: object, attribute: Any, value: object) -> None:
    if not isinstance(value, str) or not _LANGUAGE.fullmatch(value):
        raise InvalidFieldError(attribute.name, "must be a language code such as en or fi")


@attrs.frozen
class Account:
    """A shopper's account. Build a new one with :meth:`sign_up`; every change makes a new
    value with a version one higher, so that :meth:`AccountStore.save
    <orderstatus_core.ports.AccountStore.save>` can tell a lost race by the version alone
    (SECURITY G2).

    ``email`` is the address as typed at sign-up (or confirmed by a change), validated like
    an order's; :attr:`email_key` is the key the order side finds orders by, so the orders
    of a verified address can join the account (SECURITY F1).

    >>> from datetime import UTC, datetime
    >>> from orderstatus_core.contacts import parse_email
    >>> now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    >>> account = Account.sign_up("acct-0001", parse_email("Jane@Example.com"), now)
    >>> account.state, account.email_key, account.version
    (<AccountState.UNVERIFIED: 'unverified'>, 'jane@example.com', 1)
    >>> account.verified(now).state
    <AccountState.ACTIVE: 'active'>
    """

    account_id: str = attrs.field(validator=_account_id)
    email: EmailAddress = attrs.field(validator=_email_address)
    state: AccountState = attrs.field(converter=_account_state)
    created_at: datetime = attrs.field(converter=utc)
    #: The shopper's preferred language for mail and pages.
    language: str = attrs.field(default="en", validator=_language)
    #: What the password hasher made; ``None`` until a password is set.
    password_hash: str | None = attrs.field(
        default=None, validator=_optional_password_hash, repr=False
    )
    verified_at: datetime | None = attrs.field(default=None, converter=optional_utc)
    password_changed_at: datetime | None = attrs.field(default=None, converter=optional_utc)
    #: Failed log-ins the account row counted before they were counted per address
    #: (:func:`failure_key`, SECURITY A6); the log-in adds both for the lock (C2), and a
    #: success or a new password starts them again from zero. New failures never add here.
    failed_logins: int = attrs.field(default=0, validator=count(0, _MAX_COUNTER))
    #: Moves on at every password or email change and at deletion; a token keeps the epoch
    #: it was issued in and dies when they differ (SECURITY D2).
    credential_epoch: int = attrs.field(default=0, validator=count(0, _MAX_COUNTER))
    version: int = attrs.field(default=1, validator=count(1, _MAX_COUNTER))

    def __attrs_post_init__(self) -> None:
        if self.verified_at is not None and self.verified_at < self.created_at:
            raise InvalidFieldError("verified_at", "must not be before created_at")
        if self.state is AccountState.ACTIVE and self.verified_at is None:
            raise InvalidFieldError("verified_at", "an active account has a verified email")
        if self.state is AccountState.UNVERIFIED and self.verified_at is not None:
            raise InvalidFieldError("verified_at", "an unverified account has none")
        if self.password_hash is not None and self.password_changed_at is None:
            raise InvalidFieldError("password_changed_at", "a set password has its time")

    @classmethod
    def sign_up(
        cls, account_id: str, email: EmailAddress, now: datetime, *, language: str = "en"
    ) -> Account:
        """A new, unverified account for ``email``, created at ``now``."""
        return cls(account_id, email, AccountState.UNVERIFIED, now, language)

    @property
    def email_key(self) -> str:
        """The canonical key of :attr:`email` (:func:`orderstatus_core.email_key`)."""
        return self.email.canonical

    @property
    def is_live(self) -> bool:
        """Whether the account exists for its holder: not deleted."""
        return self.state is not AccountState.DELETED

    def is_locked(self, max_failures: int) -> bool:
        """Whether ``max_failures`` consecutive failed log-ins have locked it: then only a
        password reset opens it again, and a lock never blocks the reset (SECURITY C2)."""
        return self.failed_logins >= max_failures

    def changed(self, **fields: Any) -> Account:
        """A copy with ``fields`` replaced and the version one higher, validated again."""
        return attrs.evolve(self, version=self.version + 1, **fields)

    def _live(self, doing: str) -> None:
        if self.state is AccountState.DELETED:
            raise InvalidFieldError("state", f"a deleted account cannot {doing}")

    def verified(self, now: datetime) -> Account:
        """The email proven at ``now`` (the mailed link followed). An active account is
        answered as it is: verifying twice changes nothing."""
        self._live("be verified")
        if self.state is AccountState.ACTIVE:
            return self
        return self.changed(state=AccountState.ACTIVE, verified_at=utc(now))

    def with_password(self, password_hash: str, now: datetime) -> Account:
        """A new password hash, set, changed or reset at ``now``: the failed log-ins start
        again from zero (the recovery of SECURITY C2) and every earlier token dies (D2)."""
        self._live("set a password")
        return self.changed(
            password_hash=password_hash,
            password_changed_at=utc(now),
            failed_logins=0,
            credential_epoch=self.credential_epoch + 1,
        )

    def rehashed(self, password_hash: str) -> Account:
        """The same password under a new hash (parameters grew stale, SECURITY B3): no
        token dies, the change time stays."""
        self._live("rehash a password")
        return self.changed(password_hash=password_hash)

    def with_email(self, email: EmailAddress, now: datetime) -> Account:
        """The new ``email``, proven at ``now``: every earlier token dies (SECURITY D2)."""
        self._live("change its email")
        return self.changed(
            email=email,
            state=AccountState.ACTIVE,
            verified_at=utc(now),
            credential_epoch=self.credential_epoch + 1,
        )

    def with_language(self, language: str) -> Account:
        """The holder's preferred language changed."""
        return self.changed(language=language)

    def login_failed(self) -> Account:
        """One more consecutive failed log-in."""
        return self.changed(failed_logins=self.failed_logins + 1)

    def logged_in(self) -> Account:
        """A successful log-in: the failures start again from zero. The account as it is
        when there were none, so a log-in writes the account only after a failure."""
        return self if self.failed_logins == 0 else self.changed(failed_logins=0)

    def deleted(self) -> Account:
        """Deleted by its holder: the password hash is dropped and every token dies."""
        if self.state is AccountState.DELETED:
            return self
        return self.changed(
            state=AccountState.DELETED,
            password_hash=None,
            credential_epoch=self.credential_epoch + 1,
        )


# --- tokens ----------------------------------------------------------------------------------


class TokenPurpose(enum.StrEnum):
    """What a mailed account token is for; a token does only that (SECURITY D2)."""

    VERIFY_EMAIL = "verify_email"
    SET_PASSWORD = "set_password"  # noqa: S105 -- a name, not a password
    RESET_PASSWORD = "reset_password"  # noqa: S105 -- a name, not a password
    #: Its payload is the new email address, as typed.
    CHANGE_EMAIL = "change_email"
    #: Its payload is the canonical number of the order to attach (SECURITY F2).
    ATTACH_ORDER = "attach_order"


def _token_purpose(value: object) -> TokenPurpose:
    return _member(TokenPurpose, "purpose", value)


def _check_payload(token: AccountToken) -> None:
    payload, purpose = token.payload, token.purpose
    if purpose is TokenPurpose.CHANGE_EMAIL:
        text = check_text("payload", payload, 254)
        local, at, domain = text.rpartition("@")
        if not (at and local and domain) or len(text.split()) != 1:
            raise InvalidFieldError("payload", "must be the new email address")
    elif purpose is TokenPurpose.ATTACH_ORDER:
        try:
            canonical = isinstance(payload, str) and canonical_order_number(payload) == payload
        except ValidationError:
            canonical = False
        if not canonical:
            raise InvalidFieldError("payload", "must be a canonical order number")
    elif payload is not None:
        raise InvalidFieldError("payload", f"a {purpose.value} token carries none")


@attrs.frozen
class AccountToken:
    """A mailed link or code that lets its holder do one thing for one account, once.

    The holder keeps ``selector.validator`` (a link) or a 6-digit code; the store keeps the
    selector in clear, to find the row, and only the hash of the secret (SECURITY D1),
    compared in constant time. Build one with :meth:`issue`, check one with :meth:`accepts`.

    A token is alive while it is unused, within its lifetime, and issued in the account's
    current credential epoch: a password or email change, a reset and the deletion all
    move the epoch on, so every token issued before dies at once (SECURITY D2), whatever
    the store still holds.

    >>> from datetime import UTC, datetime, timedelta
    >>> from orderstatus_core.contacts import parse_email
    >>> now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    >>> account = Account.sign_up("acct-0001", parse_email("jane@example.com"), now)
    >>> token = AccountToken.issue(
    ...     "s" * 22, "v" * 43, account, TokenPurpose.VERIFY_EMAIL, now, timedelta(hours=24)
    ... )
    >>> token.accepts("v" * 43, account, now + timedelta(hours=24))
    True
    >>> token.accepts("v" * 43, account, now + timedelta(hours=24, seconds=1))
    False
    """

    #: Finds the row; stored in clear, and the salt of the secret's hash.
    selector: str = attrs.field(validator=_selector)
    secret_hash: str = attrs.field(validator=_hash, repr=False)
    account_id: str = attrs.field(validator=_account_id)
    purpose: TokenPurpose = attrs.field(converter=_token_purpose)
    issued_at: datetime = attrs.field(converter=utc)
    expires_at: datetime = attrs.field(converter=utc)
    #: The account's credential epoch when the token was issued.
    credential_epoch: int = attrs.field(validator=count(0, _MAX_COUNTER))
    #: A 6-digit code typed by the holder, rather than a link's validator.
    by_code: bool = attrs.field(default=False, validator=_bool)
    #: The new email (``change_email``) or the order number (``attach_order``).
    payload: str | None = attrs.field(default=None)
    used_at: datetime | None = attrs.field(default=None, converter=optional_utc)
    #: Tries at the secret so far, counted by the store (a code allows only a few).
    tries: int = attrs.field(default=0, validator=count(0, _MAX_COUNTER))

    def __attrs_post_init__(self) -> None:
        if self.expires_at < self.issued_at:
            raise InvalidFieldError("expires_at", "must not be before issued_at")
        if self.used_at is not None and self.used_at < self.issued_at:
            raise InvalidFieldError("used_at", "must not be before issued_at")
        _check_payload(self)

    @classmethod
    def issue(
        cls,
        selector: str,
        secret: str,
        account: Account,
        purpose: TokenPurpose,
        now: datetime,
        ttl: timedelta,
        *,
        payload: str | None = None,
    ) -> AccountToken:
        """A new token for ``account``, issued at ``now`` and good for ``ttl``.

        ``secret`` is a link's validator (:func:`is_secret_id`: at least 128 bits) or a
        6-digit code; only its hash is kept. ``selector`` and ``secret`` come from
        :mod:`secrets`.
        """
        if not is_token_part(selector):
            raise InvalidFieldError("selector", "is not a selector (URL-safe base64)")
        by_code = is_code(secret)
        if not by_code and not is_secret_id(secret):
            raise InvalidFieldError("secret", "must be a 6-digit code or a 128-bit validator")
        if not isinstance(account, Account):
            raise InvalidFieldError("account", "must be an Account")
        account._live("be issued a token")
        _positive_ttl("ttl", ttl)
        issued_at = utc(now)
        return cls(
            selector=selector,
            secret_hash=hash_token_secret(selector, secret),
            account_id=account.account_id,
            purpose=purpose,
            issued_at=issued_at,
            expires_at=issued_at + ttl,
            credential_epoch=account.credential_epoch,
            by_code=by_code,
            payload=payload,
        )

    def is_alive(self, account: Account, now: datetime) -> bool:
        """Whether the token still works for ``account`` at ``now``: unused, between its
        issue and its expiry (both included), for this very account, not deleted, in the
        account's current credential epoch (SECURITY D2, D3)."""
        moment = utc(now)
        return (
            self.used_at is None
            and self.issued_at <= moment <= self.expires_at
            and account.account_id == self.account_id
            and account.state is not AccountState.DELETED
            and account.credential_epoch == self.credential_epoch
        )

    def accepts(
        self, secret: str, account: Account, now: datetime, *, max_tries: int | None = None
    ) -> bool:
        """Whether ``secret`` opens this token for ``account`` at ``now``.

        The hash is computed and compared first, whatever the token's state, so a dead and
        a live token cost the same work. A code token also needs its :attr:`tries` (counted
        by the store before this check, this try included) within ``max_tries``, which it
        must be given; a link's validator is never guessed, so its tries are not counted.
        """
        if self.by_code and (not isinstance(max_tries, int) or max_tries < 1):
            raise InvalidFieldError("max_tries", "a code token is checked against its tries")
        right = isinstance(secret, str) and _same_hash(
            self.secret_hash, hash_token_secret(self.selector, secret)
        )
        within = max_tries is None or self.tries <= max_tries
        return right and within and self.is_alive(account, now)

    def used(self, at: datetime) -> AccountToken:
        """The token spent at ``at``."""
        return attrs.evolve(self, used_at=utc(at))


# --- sessions --------------------------------------------------------------------------------


@attrs.frozen
class AccountSession:
    """A logged-in browser. The browser holds the session id (at least 128 random bits, a
    new one at every log-in and re-authentication: SECURITY E2); the store keeps only its
    hash, :attr:`id_hash`.

    A session ends at :attr:`expires_at` whatever happens (14 days for *keep me logged in*,
    12 hours otherwise: no sliding renewal), after an idle time for a plain session (30
    minutes), and at log-out (SECURITY E1, E3). The numbers are the policies'; the checks
    take them as arguments. Build one with :meth:`start`.

    >>> from datetime import UTC, datetime, timedelta
    >>> now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    >>> plain = AccountSession.start("i" * 22, "acct-0001", now, remember=False,
    ...                              lifetime=timedelta(hours=12))
    >>> plain.is_live(now + timedelta(minutes=30), idle_timeout=timedelta(minutes=30))
    True
    >>> plain.is_live(now + timedelta(minutes=31), idle_timeout=timedelta(minutes=30))
    False
    """

    id_hash: str = attrs.field(validator=_hash)
    account_id: str = attrs.field(validator=_account_id)
    #: *Keep me logged in*: no idle time-out, only the absolute expiry.
    remember: bool = attrs.field(validator=_bool)
    created_at: datetime = attrs.field(converter=utc)
    last_seen_at: datetime = attrs.field(converter=utc)
    #: The absolute end, fixed at log-in; never moved.
    expires_at: datetime = attrs.field(converter=utc)
    #: When the holder last typed the password (at log-in, or again: SECURITY E4).
    reauthenticated_at: datetime = attrs.field(converter=utc)
    ended_at: datetime | None = attrs.field(default=None, converter=optional_utc)

    def __attrs_post_init__(self) -> None:
        for name in ("last_seen_at", "expires_at", "reauthenticated_at"):
            if getattr(self, name) < self.created_at:
                raise InvalidFieldError(name, "must not be before created_at")
        if self.ended_at is not None and self.ended_at < self.created_at:
            raise InvalidFieldError("ended_at", "must not be before created_at")

    @classmethod
    def start(
        cls,
        session_id: str,
        account_id: str,
        now: datetime,
        *,
        remember: bool,
        lifetime: timedelta,
    ) -> AccountSession:
        """A session logged in at ``now`` that ends ``lifetime`` later at the latest.
        ``session_id`` comes from :mod:`secrets` (:func:`is_secret_id`) and is not kept."""
        if not is_secret_id(session_id):
            raise InvalidFieldError("session_id", "must be at least 128 bits, URL-safe base64")
        _positive_ttl("lifetime", lifetime)
        started = utc(now)
        return cls(
            id_hash=hash_session_id(session_id),
            account_id=account_id,
            remember=remember,
            created_at=started,
            last_seen_at=started,
            expires_at=started + lifetime,
            reauthenticated_at=started,
        )

    def is_live(self, now: datetime, *, idle_timeout: timedelta) -> bool:
        """Whether the session still logs its holder in at ``now``: not ended, not past
        its expiry, and, for a plain session, seen within ``idle_timeout`` (each bound
        included)."""
        return session_is_live(self, now, idle_timeout)

    def needs_touch(self, now: datetime, *, interval: timedelta) -> bool:
        """Whether a page view at ``now`` should write the last-seen time: only when the
        stored one is ``interval`` old or more, so checking a session on every request does
        not write on every request (a minute by default)."""
        return session_needs_touch(self, now, interval)

    def touched(self, now: datetime) -> AccountSession:
        """Seen at ``now`` (never moved back)."""
        moment = utc(now)
        return self if moment <= self.last_seen_at else attrs.evolve(self, last_seen_at=moment)

    def recently_authenticated(self, now: datetime, *, window: timedelta) -> bool:
        """Whether the password was typed within ``window`` before ``now`` (SECURITY E4:
        changing the email or password and deleting the account need it, 5 minutes)."""
        _not_negative("window", window)
        return timedelta(0) <= utc(now) - self.reauthenticated_at <= window

    def reauthenticated(self, session_id: str, now: datetime) -> AccountSession:
        """The session that replaces this one after the holder typed the password again at
        ``now``: a new id (SECURITY E2), the same expiry. The service ends this one."""
        if not is_secret_id(session_id):
            raise InvalidFieldError("session_id", "must be at least 128 bits, URL-safe base64")
        moment = utc(now)
        return attrs.evolve(
            self,
            id_hash=hash_session_id(session_id),
            last_seen_at=max(moment, self.last_seen_at),
            reauthenticated_at=moment,
            ended_at=None,
        )

    def ended(self, now: datetime) -> AccountSession:
        """Logged out at ``now`` (an ended session stays ended)."""
        return self if self.ended_at is not None else attrs.evolve(self, ended_at=utc(now))


def oldest_first(sessions: Iterable[AccountSession]) -> list[AccountSession]:
    """``sessions`` in the order :meth:`SessionStore.open_sessions
    <orderstatus_core.ports.SessionStore.open_sessions>` answers them: oldest
    ``created_at`` first, ties by ``id_hash``."""
    return sorted(sessions, key=lambda session: (session.created_at, session.id_hash))


# --- order links -----------------------------------------------------------------------------


class LinkedBy(enum.StrEnum):
    """How an order joined an account."""

    #: Its email is the account's, verified (SECURITY F1).
    VERIFIED_EMAIL = "verified_email"
    #: The holder typed a code mailed to the order's own address (SECURITY F2).
    CODE = "code"


def _linked_by(value: object) -> LinkedBy:
    return _member(LinkedBy, "linked_by", value)


@attrs.frozen
class OrderLink:
    """An order that joined an account. An order joins one account at most."""

    account_id: str = attrs.field(validator=_account_id)
    #: The canonical order number.
    order_number: str = attrs.field(
        validator=matching(re.compile(r"[A-Z0-9]{1,32}"), "must be a canonical order number")
    )
    linked_at: datetime = attrs.field(converter=utc)
    linked_by: LinkedBy = attrs.field(converter=_linked_by)


# --- the security log ------------------------------------------------------------------------


class SecurityEventKind(enum.StrEnum):
    """What a line of the security log records (SECURITY C4)."""

    SIGNED_UP = "signed_up"
    #: A sign-up with an email that has an account: the notice went there instead (A5).
    SIGN_UP_REPEATED = "sign_up_repeated"
    EMAIL_VERIFIED = "email_verified"
    LOGGED_IN = "logged_in"
    LOGIN_FAILED = "login_failed"
    LOCKED_OUT = "locked_out"
    LOGGED_OUT = "logged_out"
    REAUTHENTICATED = "reauthenticated"
    PASSWORD_SET = "password_set"  # noqa: S105 -- a name, not a password
    RESET_REQUESTED = "reset_requested"
    PASSWORD_RESET = "password_reset"  # noqa: S105 -- a name, not a password
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 -- a name, not a password
    EMAIL_CHANGE_REQUESTED = "email_change_requested"
    EMAIL_CHANGED = "email_changed"
    ORDER_ATTACHED = "order_attached"
    ACCOUNT_DELETED = "account_deleted"
    #: The holder downloaded their data (issue 14 item 8).
    DATA_EXPORTED = "data_exported"


def _event_kind(value: object) -> SecurityEventKind:
    return _member(SecurityEventKind, "kind", value)


def _optional_account_id(instance: object, attribute: Any, value: object) -> None:
    if value is not None:
        _account_id(instance, attribute, value)


def _masked_email(_instance: object, attribute: Any, value: object) -> None:
    if value is None:
        return
    check_text(attribute.name, value, _MAX_MASKED_EMAIL)
    if not isinstance(value, str) or not _MASKED_EMAIL.fullmatch(value):
        raise InvalidFieldError(attribute.name, "must be masked, as j•••@example.com")


def _client(_instance: object, attribute: Any, value: object) -> None:
    if value is not None:
        check_text(attribute.name, value, _MAX_CLIENT)


@attrs.frozen
class SecurityEvent:
    """One line of the security log: what happened, when, to which account, from which
    client; the email only masked (``j•••@example.com``) and never a password, token or
    code (SECURITY C4). ``account_id`` is ``None`` for a failed log-in with an email that
    has no account; the holder reads the lines of their own account."""

    kind: SecurityEventKind = attrs.field(converter=_event_kind)
    at: datetime = attrs.field(converter=utc)
    account_id: str | None = attrs.field(default=None, validator=_optional_account_id)
    #: As :func:`orderstatus_core.policies.masking.mask_email` shows it.
    masked_email: str | None = attrs.field(default=None, validator=_masked_email)
    #: The caller, as the rate limits name it (an IP address, say): 1 to 200 characters.
    client: str | None = attrs.field(default=None, validator=_client)


# --- captcha challenges ----------------------------------------------------------------------


def _check_captcha_expiry(instance: StoredCaptcha, _attribute: object, value: Any) -> None:
    if isinstance(value, datetime) and value < instance.issued_at:
        raise InvalidFieldError("expires_at", "must not be before issued_at")


def _check_captcha_use(instance: StoredCaptcha, _attribute: object, value: Any) -> None:
    if isinstance(value, datetime) and value < instance.issued_at:
        raise InvalidFieldError("used_at", "must not be before issued_at")


_challenge_id = matching(_SECRET_ID, "is not a challenge id (22+ URL-safe base64)")


@attrs.frozen
class StoredCaptcha:
    """A captcha challenge as the core keeps it while the shopper answers: what the captcha
    adapter issued (its public id, the hash of its answer, its times; never the image or
    the audio) and when it was used (SECURITY C3).

    The answer is checked by the captcha adapter against the challenge rebuilt from these
    fields; hashing and reading a typed answer are the captcha model's, in one place. The
    store hands a challenge out once (:meth:`CaptchaStore.consume
    <orderstatus_core.ports.CaptchaStore.consume>`), right or wrong, so an image is
    answered once, and never after ``expires_at``.
    """

    #: The public id the page carries (at least 128 bits); the answer hash's salt.
    challenge_id: str = attrs.field(validator=_challenge_id)
    #: The answer's hash as the captcha adapter made it; the answer is never kept.
    answer_hash: str = attrs.field(validator=_hash, repr=False)
    issued_at: datetime = attrs.field(converter=utc)
    #: The last moment an answer is taken (valid at exactly ``expires_at``).
    expires_at: datetime = attrs.field(converter=utc, validator=_check_captcha_expiry)
    used_at: datetime | None = attrs.field(
        default=None, converter=optional_utc, validator=_check_captcha_use
    )

    @classmethod
    def of(cls, challenge: CaptchaChallenge, *, ttl: timedelta | None = None) -> StoredCaptcha:
        """What the core keeps of a challenge the captcha adapter issued: its id, answer
        hash and times, never its media. ``ttl`` (the store's policy) may end it sooner
        than the adapter's own lifetime, never later."""
        if not isinstance(challenge, CaptchaChallenge):
            raise InvalidFieldError("challenge", "must be a CaptchaChallenge")
        expires_at = challenge.expires_at
        if ttl is not None:
            expires_at = min(expires_at, challenge.issued_at + _positive_ttl("ttl", ttl))
        return cls(challenge.challenge_id, challenge.answer_hash, challenge.issued_at, expires_at)

    def challenge(self) -> CaptchaChallenge:
        """The challenge rebuilt without media, for :meth:`Captcha.check
        <orderstatus_core.ports.Captcha.check>` (expiry and use are the core's to check)."""
        # A challenge ends strictly after it starts; one stored with no lifetime left
        # (issued and expiring in the same instant) is rebuilt a microsecond long.
        expires_at = max(self.expires_at, self.issued_at + timedelta(microseconds=1))
        return CaptchaChallenge(self.challenge_id, self.answer_hash, self.issued_at, expires_at)

    def is_open(self, now: datetime) -> bool:
        """Whether an answer may still be taken at ``now``: unused, not expired."""
        return self.used_at is None and utc(now) <= self.expires_at
