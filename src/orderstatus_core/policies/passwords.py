"""Password rules (SECURITY B1, B2) and the cost a password hash must have (B3).

Pure decisions: no I/O. The common-password list and a store's breached-password check are
given to :meth:`PasswordRules.check` by the caller (the shipped list is loaded once by
:func:`orderstatus_core.password_lists.common_passwords`).

**How a password is read.** A password is compared, counted and hashed in one canonical
form: Unicode NFKC (:func:`canonical_password`), as NIST SP 800-63B-4 section 3.1.1.2 asks
of verifiers that accept Unicode. The same password typed on a Mac (decomposed accents) or
with a fullwidth input method still logs in. Length is counted in code points of that form
(NIST: each code point is one character). Nothing else changes it: no trimming, no case
folding, no truncation, and no composition rules (upper case, digits, symbols) are asked
for. Control characters, lone surrogates and unassigned code points are refused as
``not_text``: they cannot be typed reliably, and an unassigned one may normalise
differently once Unicode assigns it.

>>> rules = PasswordRules()
>>> rules.check("correct horse battery staple", common=frozenset())  # never printed
PasswordAccepted(password=<28 characters>)
>>> rules.check("short", common=frozenset()).reason
'too_short'
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Container, Iterable, Mapping
from types import MappingProxyType
from typing import Final

import attrs

__all__ = [
    "ARGON2ID_FLOOR",
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "PASSWORD_REFUSALS",
    "CommonPasswords",
    "HashCost",
    "PasswordAccepted",
    "PasswordRefused",
    "PasswordRules",
    "PasswordVerdict",
    "canonical_password",
    "hash_cost_shortfall",
]

#: The longest password accepted, in code points of its canonical form (SECURITY B1).
MAX_PASSWORD_LENGTH: Final = 128
#: The least a store may set as its minimum length (SECURITY B1).
MIN_PASSWORD_LENGTH: Final = 8
#: The highest minimum a store may set: a range of at least 64 to 128 always stays open
#: (NIST asks verifiers to allow at least 64 characters).
_HIGHEST_MINIMUM = 64
# Beyond this many code points as typed, no normalisation can bring a text back under the
# maximum (NFKC composes at most four code points into one); refused before normalising.
_MAX_TYPED = 8 * MAX_PASSWORD_LENGTH
# Controls (NUL, CR, LF, ESC ...), lone surrogates, unassigned code points.
_NOT_TEXT = frozenset({"Cc", "Cs", "Cn"})

#: Each reason code :meth:`PasswordRules.check` refuses with, and what it means.
PASSWORD_REFUSALS: Final[Mapping[str, str]] = MappingProxyType(
    {
        "not_text": "not text, or holds a control character or an unassigned code point",
        "too_short": "shorter than the store's minimum length",
        "too_long": f"longer than {MAX_PASSWORD_LENGTH} characters",
        "common": "one of the most common passwords",
        "breached": "known from a breach (the store's own check)",
    }
)


def canonical_password(password: str) -> str:
    """The form in which a password is counted, compared and hashed: Unicode NFKC.

    The services hash the canonical form when a password is set and verify the canonical
    form of what is typed at log-in, so both sides always meet.

    >>> canonical_password("cafe\\u0301") == canonical_password("caf\\u00e9") == "caf\\u00e9"
    True
    >>> canonical_password("ＰＡＳＳ")  # fullwidth input
    'PASS'
    """
    return unicodedata.normalize("NFKC", password)


class CommonPasswords:
    """A list of the most common passwords, compared as Django compares them: the
    password's canonical form in lower case, without surrounding whitespace.

    Case-insensitive on purpose: ``Password1`` is as common as ``password1``. Build one
    from the list's lines; the shipped list is
    :func:`orderstatus_core.password_lists.common_passwords`.

    >>> common = CommonPasswords.from_lines(["password1", "qwerty"])
    >>> "PassWord1" in common, "qwerty uiop" in common
    (True, False)
    """

    def __init__(self, words: frozenset[str]) -> None:
        self._words = words

    @classmethod
    def from_lines(cls, lines: Iterable[str]) -> CommonPasswords:
        """The list from its lines, one password each; blank lines are skipped."""
        words = (_common_form(line) for line in lines)
        return cls(frozenset(word for word in words if word))

    def __contains__(self, password: object) -> bool:
        return isinstance(password, str) and _common_form(password) in self._words

    def __len__(self) -> int:
        return len(self._words)


def _common_form(password: str) -> str:
    return canonical_password(password).lower().strip()


@attrs.frozen
class PasswordAccepted:
    """The password may be set. ``password`` is its canonical form: hash this one."""

    password: str

    def __repr__(self) -> str:
        # Never print a password, not even in a test's failure message or a log line.
        return f"PasswordAccepted(password=<{len(self.password)} characters>)"


@attrs.frozen
class PasswordRefused:
    """The password may not be set, for ``reason`` (a key of :data:`PASSWORD_REFUSALS`);
    ``message`` says why in English, for logs and staff, and never repeats the password."""

    reason: str
    message: str


#: What :meth:`PasswordRules.check` answers.
PasswordVerdict = PasswordAccepted | PasswordRefused


def _minimum(_instance: object, attribute: attrs.Attribute[int], value: object) -> None:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"{attribute.name} must be a whole number")
    if not MIN_PASSWORD_LENGTH <= value <= _HIGHEST_MINIMUM:
        raise ValueError(
            f"{attribute.name} must be from {MIN_PASSWORD_LENGTH} to {_HIGHEST_MINIMUM}"
        )


@attrs.frozen
class PasswordRules:
    """What a new password must be (SECURITY B1, B2), as one value a store can override
    through the ``orderstatus_password_rules`` hook.

    Length only: ``min_length`` (default 15, never below 8) to
    :data:`MAX_PASSWORD_LENGTH` code points of the canonical form; not one of the most
    common passwords; not breached, when the store checks that. No composition rules, no
    rotation, no hints (NIST SP 800-63B-4).
    """

    #: The fewest code points a password may have.
    min_length: int = attrs.field(default=15, validator=_minimum)

    def check(
        self,
        password: object,
        *,
        common: Container[str],
        breached: Callable[[str], bool] | None = None,
    ) -> PasswordVerdict:
        """Whether ``password`` may be set: :class:`PasswordAccepted` with its canonical
        form, or :class:`PasswordRefused` with the first reason, in this order:
        ``not_text``, ``too_long``, ``too_short``, ``common``, ``breached``. Never raises
        for what a shopper typed.

        ``common`` holds the refused common passwords (a :class:`CommonPasswords`).
        ``breached`` is the store's check (``BreachedPasswords.is_breached``), asked last
        and only for a password every other rule accepts, so that a refused password
        never leaves the process; its errors are not caught, since a rule that cannot be
        checked must not pass.
        """
        if not isinstance(password, str):
            return _refused("not_text")
        if len(password) > _MAX_TYPED:
            return _refused("too_long")
        if password.isascii():
            # The common case, without a look-up per character: printable ASCII holds no
            # control character, and NFKC leaves it as it is.
            if not password.isprintable():
                return _refused("not_text")
            canonical = password
        elif any(unicodedata.category(char) in _NOT_TEXT for char in password):
            return _refused("not_text")
        else:
            canonical = canonical_password(password)
        if len(canonical) > MAX_PASSWORD_LENGTH:
            return _refused("too_long")
        if len(canonical) < self.min_length:
            return PasswordRefused(
                "too_short", f"shorter than the minimum of {self.min_length} characters"
            )
        if canonical in common:
            return _refused("common")
        if breached is not None and breached(canonical):
            return _refused("breached")
        return PasswordAccepted(canonical)


def _refused(reason: str) -> PasswordRefused:
    return PasswordRefused(reason, PASSWORD_REFUSALS[reason])


# --- what a password hash must cost --------------------------------------------------------


@attrs.frozen
class HashCost:
    """What one password hash costs, as a :class:`~orderstatus_core.ports.PasswordHasher`
    reports it, for a production store to check (:func:`hash_cost_shortfall`).

    For Argon2 the three numbers are its own ``m``, ``t`` and ``p``; another algorithm maps
    its settings onto them as its adapter documents (a test fake reports zeros).
    """

    #: ``"argon2id"`` for the bundled adapter; any other name is not production grade.
    algorithm: str
    #: Memory per hash, in KiB (Argon2's ``m``).
    memory_kib: int
    #: Passes over that memory (Argon2's ``t``).
    time_cost: int
    #: Lanes (Argon2's ``p``).
    parallelism: int


#: The least a production password hash may cost (SECURITY B3, OWASP Password Storage
#: Cheat Sheet): Argon2id with 19 MiB, 2 passes, 1 lane.
ARGON2ID_FLOOR: Final = HashCost("argon2id", memory_kib=19 * 1024, time_cost=2, parallelism=1)


def hash_cost_shortfall(cost: HashCost) -> str | None:
    """Why ``cost`` is too cheap for a production store, or ``None`` if it is not.

    Production needs Argon2id at or above :data:`ARGON2ID_FLOOR` (SECURITY B3); anything
    else is for tests only.

    >>> hash_cost_shortfall(HashCost("argon2id", 65536, 3, 4)) is None
    True
    >>> hash_cost_shortfall(HashCost("argon2id", 8, 1, 1))
    'argon2id with m=8 KiB, t=1, p=1 is below the floor of m=19456 KiB, t=2, p=1'
    """
    floor = ARGON2ID_FLOOR
    if cost.algorithm != floor.algorithm:
        return f"{cost.algorithm!r:.40} is not argon2id"
    if (
        cost.memory_kib < floor.memory_kib
        or cost.time_cost < floor.time_cost
        or cost.parallelism < floor.parallelism
    ):
        return (
            f"argon2id with m={cost.memory_kib} KiB, t={cost.time_cost}, p={cost.parallelism}"
            f" is below the floor of m={floor.memory_kib} KiB, t={floor.time_cost},"
            f" p={floor.parallelism}"
        )
    return None
