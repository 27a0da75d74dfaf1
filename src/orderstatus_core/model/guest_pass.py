"""The guest pass: proof that a guest controls the email address stored with an order.

Two values, both immutable:

* a :class:`PassChallenge` is what a guest asks for: a 6-digit code and a link, mailed to
  the order's stored address, good for a few minutes and a few tries, used once;
* a :class:`GuestPass` is what a right code or link earns: a token that lets the guest act
  on that one order (cancel, change, report a problem, return) for a while.

Every secret is split in two parts (SECURITY D1): a *selector*, stored in clear, finds the
row; a *validator* is stored only as its SHA-256 hash and compared in constant time. The
model never makes randomness or reads a clock: the service draws the selectors, validators
and code from :mod:`secrets` and passes them in, with the time (DESIGN.md rule 1).

A moment is inside a lifetime up to and including ``expires_at``: valid at exactly
issued + TTL, refused one second later (SECURITY D3).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from datetime import datetime, timedelta
from typing import Any

import attrs

from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.model._checks import utc
from orderstatus_core.model._text import bounded_text

__all__ = [
    "CODE_DIGITS",
    "MAX_TRIES",
    "ChallengeAttempt",
    "GuestPass",
    "PassChallenge",
    "hash_code",
    "hash_validator",
    "is_code",
    "is_token_part",
]

#: Digits in a mailed code.
CODE_DIGITS = 6
#: Most tries a challenge may allow.
MAX_TRIES = 10

_CODE = re.compile(r"[0-9]{6}")
# URL-safe base64 (``secrets.token_urlsafe``), ASCII only: 16 to 128 characters.
_TOKEN_PART = re.compile(r"[A-Za-z0-9_-]{16,128}")
_HASH = re.compile(r"[0-9a-f]{64}")
_MAX_ORDER_NUMBER = 32


def is_code(text: object) -> bool:
    """Whether ``text`` is exactly six ASCII digits (``'١٢٣٤٥٦'`` is not)."""
    return isinstance(text, str) and _CODE.fullmatch(text) is not None


def is_token_part(text: object) -> bool:
    """Whether ``text`` can be a selector or validator: 16 to 128 URL-safe base64 characters."""
    return isinstance(text, str) and _TOKEN_PART.fullmatch(text) is not None


def hash_validator(validator: str) -> str:
    """The stored form of a link or pass validator: hex SHA-256.

    A validator carries at least 128 random bits, so a plain fast hash is enough: nobody
    can search that space, and the hash only has to keep a database reader from using what
    they read.
    """
    return hashlib.sha256(b"orderstatus guest-pass validator\x00" + validator.encode()).hexdigest()


def hash_code(selector: str, code: str) -> str:
    """The stored form of a mailed code: hex SHA-256, salted with its challenge's selector.

    The salt makes equal codes of two challenges differ in storage and rules out a table
    computed once for all codes. It cannot make a 6-digit code strong: a million guesses
    against one stolen row take a moment offline. The real bound is online: a challenge
    allows only a few tries, lives a few minutes and is mailed only to the stored address,
    and requests and tries are rate-limited.
    """
    salted = b"orderstatus guest-pass code\x00" + selector.encode() + b"\x00" + code.encode()
    return hashlib.sha256(salted).hexdigest()


def _same_hash(stored: str, computed: str) -> bool:
    return hmac.compare_digest(stored.encode(), computed.encode())


def _check_selector(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not is_token_part(value):
        raise InvalidFieldError(attribute.name, "is not a selector (URL-safe base64)")


def _check_hash(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or _HASH.fullmatch(value) is None:
        raise InvalidFieldError(attribute.name, "is not a hex SHA-256 hash")


def _check_tries(_instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= MAX_TRIES:
        raise InvalidFieldError(attribute.name, f"must be a whole number from 0 to {MAX_TRIES}")


def _check_lifetime(instance: PassChallenge | GuestPass, _attribute: object, value: Any) -> None:
    if isinstance(value, datetime) and value < instance.issued_at:
        raise InvalidFieldError("expires_at", "must not be before issued_at")


def _check_ttl(ttl: timedelta) -> None:
    if not isinstance(ttl, timedelta) or ttl <= timedelta(0):
        raise InvalidFieldError("ttl", "must be a positive timedelta")


@attrs.frozen
class ChallengeAttempt:
    """What one try at a challenge did: the challenge as it is now, and whether it passed."""

    challenge: PassChallenge
    accepted: bool


@attrs.frozen
class PassChallenge:
    """A mailed code and link that a guest may exchange once for a :class:`GuestPass`.

    Only hashes are kept: ``code_hash`` (see :func:`hash_code`) and ``link_hash`` (see
    :func:`hash_validator`). Every try at it, right or wrong, is counted by the store
    (:meth:`~orderstatus_core.ports.GuestPassStore.record_try`), and the count is given to
    :meth:`try_code` and :meth:`try_link`: past ``tries_left`` tries, or once it has been
    used, or after ``expires_at``, nothing opens it any more. Build one with :meth:`issue`.

    >>> from datetime import UTC, datetime, timedelta
    >>> now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    >>> challenge = PassChallenge.issue(
    ...     "s" * 22, "123456789", "042917", "v" * 43, now, timedelta(minutes=15), tries=3
    ... )
    >>> challenge.try_code("000000", now, tried=1).accepted
    False
    >>> challenge.try_code("042917", now, tried=2).accepted
    True
    >>> challenge.try_code("042917", now, tried=4).accepted  # after three wrong tries
    False
    """

    #: Finds the row; stored in clear, and the salt of the code's hash.
    selector: str = attrs.field(validator=_check_selector)
    #: The canonical number of the one order it is for.
    order_number: str = attrs.field(validator=bounded_text(_MAX_ORDER_NUMBER))
    code_hash: str = attrs.field(validator=_check_hash, repr=False)
    link_hash: str = attrs.field(validator=_check_hash, repr=False)
    issued_at: datetime = attrs.field(converter=utc)
    expires_at: datetime = attrs.field(converter=utc, validator=_check_lifetime)
    #: How many tries it allows (the store counts the tries made at it).
    tries_left: int = attrs.field(validator=_check_tries)
    #: Exchanged for a pass, or replaced by a newer challenge for the same order.
    used: bool = attrs.field(default=False, validator=attrs.validators.instance_of(bool))

    @classmethod
    def issue(
        cls,
        selector: str,
        order_number: str,
        code: str,
        link_validator: str,
        now: datetime,
        ttl: timedelta,
        *,
        tries: int,
    ) -> PassChallenge:
        """A new challenge for ``order_number``, issued at ``now`` and good for ``ttl``.

        ``selector``, ``code`` and ``link_validator`` come from :mod:`secrets`; only
        ``selector`` is kept as given.
        """
        if not is_token_part(selector):
            raise InvalidFieldError("selector", "is not a selector (URL-safe base64)")
        if not is_code(code):
            raise InvalidFieldError("code", f"must be {CODE_DIGITS} ASCII digits")
        if not is_token_part(link_validator):
            raise InvalidFieldError("link_validator", "is not a validator (URL-safe base64)")
        _check_ttl(ttl)
        if not isinstance(tries, int) or isinstance(tries, bool) or not 1 <= tries <= MAX_TRIES:
            raise InvalidFieldError("tries", f"must be a whole number from 1 to {MAX_TRIES}")
        issued_at = utc(now)
        return cls(
            selector=selector,
            order_number=order_number,
            code_hash=hash_code(selector, code),
            link_hash=hash_validator(link_validator),
            issued_at=issued_at,
            expires_at=issued_at + ttl,
            tries_left=tries,
        )

    def is_open(self, now: datetime) -> bool:
        """Whether a right code or link would still be accepted at ``now``."""
        return not self.used and self.tries_left > 0 and utc(now) <= self.expires_at

    def try_code(self, code: str, now: datetime, *, tried: int) -> ChallengeAttempt:
        """Try a typed code at ``now``. See :meth:`try_link` for what a try does."""
        right = is_code(code) and _same_hash(self.code_hash, hash_code(self.selector, code))
        return self._try(right, now, tried)

    def try_link(self, validator: str, now: datetime, *, tried: int) -> ChallengeAttempt:
        """Try the validator of a followed link at ``now``, as the ``tried``-th try at this
        challenge (this one included).

        An open challenge, a try within ``tries_left`` and a right secret: accepted, and the
        challenge is used. Anything else is refused and changes nothing: a wrong secret
        only counts, in the store's tally of tries. A closed challenge (used, expired)
        refuses everything.
        """
        right = is_token_part(validator) and _same_hash(self.link_hash, hash_validator(validator))
        return self._try(right, now, tried)

    def _try(self, right: bool, now: datetime, tried: int) -> ChallengeAttempt:
        # The hash is computed and compared before the state is looked at, so an open and
        # a closed challenge cost the same work.
        if right and self.is_open(now) and tried <= self.tries_left:
            return ChallengeAttempt(attrs.evolve(self, used=True), accepted=True)
        return ChallengeAttempt(self, accepted=False)

    def superseded(self) -> PassChallenge:
        """This challenge closed because a newer one was mailed for the same order."""
        return self if self.used else attrs.evolve(self, used=True)


@attrs.frozen
class GuestPass:
    """Proof, until ``expires_at``, that a guest controls the stored email of one order.

    The guest holds ``selector.validator``; only the selector and ``validator_hash`` are
    kept. Build one with :meth:`issue` and check a presented token with :meth:`admits`.
    """

    selector: str = attrs.field(validator=_check_selector)
    validator_hash: str = attrs.field(validator=_check_hash, repr=False)
    #: The canonical number of the one order it opens.
    order_number: str = attrs.field(validator=bounded_text(_MAX_ORDER_NUMBER))
    issued_at: datetime = attrs.field(converter=utc)
    expires_at: datetime = attrs.field(converter=utc, validator=_check_lifetime)

    @classmethod
    def issue(
        cls,
        selector: str,
        validator: str,
        order_number: str,
        now: datetime,
        ttl: timedelta,
    ) -> GuestPass:
        """A new pass for ``order_number``, issued at ``now`` and good for ``ttl``."""
        if not is_token_part(validator):
            raise InvalidFieldError("validator", "is not a validator (URL-safe base64)")
        _check_ttl(ttl)
        issued_at = utc(now)
        return cls(
            selector=selector,
            validator_hash=hash_validator(validator),
            order_number=order_number,
            issued_at=issued_at,
            expires_at=issued_at + ttl,
        )

    def admits(self, validator: str, order_number: str, now: datetime) -> bool:
        """Whether ``validator`` opens this pass for the canonical ``order_number`` at ``now``."""
        if not is_token_part(validator) or not isinstance(order_number, str):
            return False
        right = _same_hash(self.validator_hash, hash_validator(validator))
        same_order = hmac.compare_digest(
            self.order_number.encode(), order_number.encode("utf-8", "surrogatepass")
        )
        return right and same_order and self.issued_at <= utc(now) <= self.expires_at
