"""Argon2id password hashes with argon2-cffi."""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qs, urlsplit

import argon2
from argon2.exceptions import HashingError, InvalidHashError, VerificationError

from orderstatus_core import (
    AdapterError,
    HashCost,
    InvalidFieldError,
    InvalidUrlError,
    WeakPasswordHashingError,
)
from orderstatus_core.policies.passwords import hash_cost_shortfall

__all__ = ["DEFAULT_MEMORY_KIB", "DEFAULT_PARALLELISM", "DEFAULT_TIME_COST", "Argon2PasswordHasher"]

# OWASP's Password Storage Cheat Sheet's Argon2id configuration, the one SECURITY B3 and
# issue 13 name: one lane, so a log-in costs one core however many the server has, and the
# work per hash is the same on a laptop and on a 64-core box.
#: 19 MiB ...
DEFAULT_MEMORY_KIB: Final = 19 * 1024
#: ... 2 passes ...
DEFAULT_TIME_COST: Final = 2
#: ... 1 lane.
DEFAULT_PARALLELISM: Final = 1

# Bounds on what this adapter makes, and on what it reads from a stored hash before
# spending memory and time on it: a row written by an attacker with m=4 TiB must not
# take the server down.
_MAX_MEMORY_KIB = 4 * 1024 * 1024
_MAX_TIME_COST = 100
_MAX_PARALLELISM = 64
_URL_KEYS = {"m": "memory_kib", "t": "time_cost", "p": "parallelism"}


class Argon2PasswordHasher:
    """A :class:`~orderstatus_core.PasswordHasher` making Argon2id hashes (SECURITY B3).

    The defaults are OWASP's Argon2id configuration: ``memory_kib=19456`` (19 MiB),
    ``time_cost=2``, ``parallelism=1``, a 16-byte salt from the system's random
    source and a 32-byte hash, stored in the PHC string form
    (``$argon2id$v=19$m=19456,t=2,p=1$salt$hash``) that carries its own parameters.

    Parameters below the production floor (19 MiB, 2 passes, 1 lane) raise
    :class:`~orderstatus_core.WeakPasswordHashingError`. Tests that want cheap hashes ask
    for them by name, with :meth:`for_tests`: nothing in a URL or a keyword of the
    constructor can make a store's hasher cheap by mistake, and the cheap hasher's
    :attr:`cost` still says what it is.
    """

    def __init__(
        self,
        *,
        memory_kib: int = DEFAULT_MEMORY_KIB,
        time_cost: int = DEFAULT_TIME_COST,
        parallelism: int = DEFAULT_PARALLELISM,
    ) -> None:
        self._set_up(memory_kib, time_cost, parallelism)
        shortfall = hash_cost_shortfall(self.cost)
        if shortfall is not None:
            raise WeakPasswordHashingError(
                f"{shortfall} (SECURITY B3); tests use Argon2PasswordHasher.for_tests()"
            )

    @classmethod
    def for_tests(
        cls, *, memory_kib: int = 8, time_cost: int = 1, parallelism: int = 1
    ) -> Argon2PasswordHasher:
        """A hasher with cheap parameters (by default the least Argon2 allows), for tests
        only: a hash takes microseconds instead of a tenth of a second. Its :attr:`cost`
        fails :func:`~orderstatus_core.policies.passwords.hash_cost_shortfall`, so a
        production check refuses it."""
        hasher = cls.__new__(cls)
        hasher._set_up(memory_kib, time_cost, parallelism)
        return hasher

    def _set_up(self, memory_kib: int, time_cost: int, parallelism: int) -> None:
        _check_whole("parallelism", parallelism, 1, _MAX_PARALLELISM)
        # Argon2 needs at least 8 KiB per lane.
        _check_whole("memory_kib", memory_kib, 8 * parallelism, _MAX_MEMORY_KIB)
        _check_whole("time_cost", time_cost, 1, _MAX_TIME_COST)
        self._cost = HashCost("argon2id", memory_kib, time_cost, parallelism)
        self._hasher = argon2.PasswordHasher(
            time_cost=time_cost,
            memory_cost=memory_kib,
            parallelism=parallelism,
            hash_len=32,
            salt_len=16,
            type=argon2.Type.ID,
        )

    @classmethod
    def from_url(cls, url: str) -> Argon2PasswordHasher:
        """``argon2://`` with optional ``m`` (KiB), ``t`` and ``p``:
        ``argon2://?m=65536&t=3&p=4``. Cheap parameters raise
        :class:`~orderstatus_core.WeakPasswordHashingError`."""
        parts = urlsplit(url)
        if parts.netloc or parts.path not in ("", "/"):
            raise InvalidUrlError("an argon2 URL has no host or path: argon2://?m=65536&t=3&p=4")
        query = parse_qs(parts.query, keep_blank_values=True)
        unknown = sorted(set(query) - set(_URL_KEYS))
        if unknown:
            raise InvalidUrlError(f"unknown argon2 URL parameter {unknown[0][:20]!r}")
        given: dict[str, int] = {}
        for key, name in _URL_KEYS.items():
            if key in query:
                text = query[key][-1].strip()
                if not text.isascii() or not text.isdigit() or len(text) > 8:
                    raise InvalidUrlError(f"argon2 URL {key} must be a whole number")
                given[name] = int(text)
        try:
            return cls(**given)
        except InvalidFieldError as error:
            raise InvalidUrlError(f"argon2 URL: {error}") from None

    @property
    def cost(self) -> HashCost:
        """Argon2id with this hasher's ``m``, ``t`` and ``p``."""
        return self._cost

    def hash(self, password: str) -> str:
        """A new Argon2id hash of ``password`` (as UTF-8), with a fresh salt."""
        if not isinstance(password, str):
            raise InvalidFieldError("password", f"must be text, not {type(password).__name__}")
        try:
            encoded = password.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidFieldError("password", "is not valid Unicode text") from None
        try:
            return self._hasher.hash(encoded)
        except HashingError as error:
            raise AdapterError(f"Argon2 could not hash: {error}") from error

    def verify(self, stored: object, password: object) -> bool:
        """Whether ``password`` matches ``stored``; ``False`` for anything unreadable,
        and for a stored hash whose parameters exceed this adapter's bounds (64 lanes,
        100 passes, 4 GiB), without hashing."""
        if not isinstance(stored, str) or not isinstance(password, str):
            return False
        try:
            encoded = password.encode("utf-8")
            parameters = argon2.extract_parameters(stored)
        except (UnicodeEncodeError, InvalidHashError, ValueError):
            return False
        if (
            parameters.memory_cost > _MAX_MEMORY_KIB
            or parameters.time_cost > _MAX_TIME_COST
            or parameters.parallelism > _MAX_PARALLELISM
        ):
            return False
        try:
            return self._hasher.verify(stored, encoded)
        except (VerificationError, InvalidHashError, ValueError):
            return False

    def needs_rehash(self, stored: object) -> bool:
        """Whether ``stored`` differs from what :meth:`hash` makes now in type, version,
        ``m``, ``t``, ``p``, salt or hash length; ``True`` for an unreadable one."""
        if not isinstance(stored, str):
            return True
        try:
            return self._hasher.check_needs_rehash(stored)
        except (InvalidHashError, ValueError):
            return True

    def close(self) -> None:
        """Nothing to release."""


def _check_whole(field: str, value: object, low: int, high: int) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise InvalidFieldError(field, f"must be a whole number from {low} to {high}")
