"""The captcha challenge: a picture and a recording of a few characters, and what a shopper
must type back.

A :class:`CaptchaChallenge` is a value. It carries a public id (the *selector*, at least 128
bits from the adapter's :mod:`secrets`), the answer **only as a hash** salted with that id
(SECURITY C3), its lifetime, and the media a page shows: a PNG image and, for people who
cannot read it, a WAV recording of the same characters spoken. The core keeps the id, the
hash and the times; the media are shown once and never stored.

What a shopper types is read in one canonical way (:func:`canonical_captcha_answer`) before
it is hashed: whitespace anywhere is dropped and ASCII letters are folded to lower case.
Nothing else is folded, so a fullwidth ``Ｋ`` or a Cyrillic ``К`` never passes for ``K``.

The model draws no randomness and reads no clock (DESIGN.md rule 1): the adapter passes in
the id, the answer and the time.

>>> from datetime import UTC, datetime, timedelta
>>> now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
>>> challenge = CaptchaChallenge.issue("c" * 22, "HKM479", now, timedelta(minutes=10))
>>> challenge.accepts(" hkm 479 "), challenge.accepts("HKM478")
(True, False)
>>> challenge.is_open(now + timedelta(minutes=10)), challenge.is_open(now + timedelta(minutes=11))
(True, False)
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

__all__ = [
    "CAPTCHA_TTL",
    "MAX_CAPTCHA_ANSWER",
    "CaptchaChallenge",
    "canonical_captcha_answer",
    "hash_captcha_answer",
    "is_captcha_id",
]

#: How long a challenge is good for unless its adapter says otherwise (SECURITY C3).
CAPTCHA_TTL = timedelta(minutes=10)
#: The longest typed answer that is read at all; anything longer is simply wrong.
MAX_CAPTCHA_ANSWER = 32

# URL-safe base64 of at least 16 random bytes (``secrets.token_urlsafe(16)``): 128 bits.
_CAPTCHA_ID = re.compile(r"[A-Za-z0-9_-]{22,128}")
_HASH = re.compile(r"[0-9a-f]{64}")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def is_captcha_id(text: object) -> bool:
    """Whether ``text`` can be a challenge id: 22 to 128 URL-safe base64 characters
    (at least 128 bits)."""
    return isinstance(text, str) and _CAPTCHA_ID.fullmatch(text) is not None


def canonical_captcha_answer(answer: object) -> str | None:
    """The one form in which a typed answer is compared, or ``None`` for what can never be
    right: not text, longer than :data:`MAX_CAPTCHA_ANSWER` code points as typed, empty,
    or holding anything but printable ASCII once whitespace is dropped.

    Whitespace is dropped anywhere (people type ``HKM 479``, phones add a trailing space)
    and only ASCII letters are folded to lower case, so that a look-alike from another
    script stays different.

    >>> canonical_captcha_answer("  HkM 479\\u00a0")
    'hkm479'
    >>> canonical_captcha_answer("ＨＫＭ４７９") is None  # fullwidth is not ASCII
    True
    """
    if not isinstance(answer, str) or len(answer) > MAX_CAPTCHA_ANSWER:
        return None
    compact = "".join(answer.split())
    if not compact or not compact.isascii() or not compact.isprintable():
        return None
    return compact.translate(_ASCII_LOWER)


def hash_captcha_answer(challenge_id: str, answer: str) -> str:
    """The stored form of an answer: hex SHA-256 of its canonical form, salted with the
    challenge's id.

    The salt makes equal answers of two challenges differ and rules out one table for all
    challenges. A few characters from a small alphabet cannot be made strong by any hash;
    what protects a challenge is that it is used once, lives minutes, and that new ones are
    rate-limited. ``answer`` that has no canonical form hashes like no typed text can.
    """
    canonical = canonical_captcha_answer(answer)
    # "\x00" can never be part of a canonical answer, so an unreadable one matches nothing.
    text = "\x00" if canonical is None else canonical
    salted = b"orderstatus captcha\x00" + challenge_id.encode() + b"\x00" + text.encode()
    return hashlib.sha256(salted).hexdigest()


def _check_id(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not is_captcha_id(value):
        raise InvalidFieldError(attribute.name, "is not a challenge id (22+ URL-safe base64)")


def _check_hash(_instance: object, attribute: attrs.Attribute[str], value: object) -> None:
    if not isinstance(value, str) or _HASH.fullmatch(value) is None:
        raise InvalidFieldError(attribute.name, "is not a hex SHA-256 hash")


def _check_expiry(instance: CaptchaChallenge, _attribute: object, value: Any) -> None:
    if isinstance(value, datetime) and value <= instance.issued_at:
        raise InvalidFieldError("expires_at", "must be after issued_at")


def _check_media(_instance: object, attribute: attrs.Attribute[bytes], value: object) -> None:
    if not isinstance(value, bytes):
        raise InvalidFieldError(attribute.name, f"must be bytes, not {type(value).__name__}")


@attrs.frozen
class CaptchaChallenge:
    """One captcha, as issued: the public id, the answer's hash, the lifetime and the media.

    ``image`` is a PNG and ``audio`` a WAV of the same characters spoken; both are empty for
    a challenge rebuilt from storage (:meth:`without_media`) and for a hosted widget, whose
    page draws the provider's own widget instead. Build one with :meth:`issue`.
    """

    #: The public id (selector): stored in clear, sent with the form, the hash's salt.
    challenge_id: str = attrs.field(validator=_check_id)
    #: :func:`hash_captcha_answer` of the answer; the answer itself is never kept.
    answer_hash: str = attrs.field(validator=_check_hash, repr=False)
    issued_at: datetime = attrs.field(converter=utc)
    #: The last moment an answer is accepted (valid at exactly ``expires_at``).
    expires_at: datetime = attrs.field(converter=utc, validator=_check_expiry)
    #: The characters drawn, as a PNG image; ``b""`` when not carried.
    image: bytes = attrs.field(default=b"", validator=_check_media, repr=False)
    #: The characters spoken, as a WAV recording; ``b""`` when not carried.
    audio: bytes = attrs.field(default=b"", validator=_check_media, repr=False)

    @classmethod
    def issue(
        cls,
        challenge_id: str,
        answer: str,
        now: datetime,
        ttl: timedelta = CAPTCHA_TTL,
        *,
        image: bytes = b"",
        audio: bytes = b"",
    ) -> CaptchaChallenge:
        """A new challenge whose right answer is ``answer``, issued at ``now`` for ``ttl``.

        ``challenge_id`` and ``answer`` come from :mod:`secrets`; only the id is kept as
        given. An answer without a canonical form (see :func:`canonical_captcha_answer`)
        could never be typed back, and raises :class:`InvalidFieldError`.
        """
        if canonical_captcha_answer(answer) is None:
            raise InvalidFieldError("answer", "must be 1 to 32 printable ASCII characters")
        if not isinstance(ttl, timedelta) or ttl <= timedelta(0):
            raise InvalidFieldError("ttl", "must be a positive timedelta")
        if not is_captcha_id(challenge_id):
            raise InvalidFieldError("challenge_id", "is not a challenge id (22+ URL-safe base64)")
        issued_at = utc(now)
        return cls(
            challenge_id=challenge_id,
            answer_hash=hash_captcha_answer(challenge_id, answer),
            issued_at=issued_at,
            expires_at=issued_at + ttl,
            image=image,
            audio=audio,
        )

    def accepts(self, answer: object) -> bool:
        """Whether ``answer`` is this challenge's answer, compared as hashes in constant
        time; never raises. Says nothing of expiry or use: see :meth:`is_open`."""
        typed = answer if isinstance(answer, str) else ""
        computed = hash_captcha_answer(self.challenge_id, typed)
        same = hmac.compare_digest(self.answer_hash.encode(), computed.encode())
        return same and canonical_captcha_answer(answer) is not None

    def is_open(self, now: datetime) -> bool:
        """Whether an answer may still be accepted at ``now``: up to and including
        ``expires_at``. Single use is the store's to enforce."""
        return utc(now) <= self.expires_at

    def without_media(self) -> CaptchaChallenge:
        """This challenge as a store keeps it: id, hash and times, no image or audio."""
        return attrs.evolve(self, image=b"", audio=b"")
