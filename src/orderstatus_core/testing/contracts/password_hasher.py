"""The conformance suite of password hashers; see :mod:`orderstatus_core.testing.contracts`.

Every rule is one the :class:`~orderstatus_core.ports.PasswordHasher` docstrings state:
what was hashed verifies and nothing else does, no truncation, no folding, no
normalisation of its own, a fresh salt per hash, a ``verify`` that never raises, and a
rehash when the parameters changed. Whether the hash is expensive enough is the
production check's business (:func:`~orderstatus_core.policies.passwords.hash_cost_shortfall`),
not this suite's: run it with cheap parameters.
"""

from __future__ import annotations

from typing import ClassVar

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.policies.passwords import HashCost
from orderstatus_core.ports import PasswordHasher
from orderstatus_core.testing.contracts._support import _PROPERTY, declared_fixture

__all__ = ["PasswordHasherContract"]

_HASHER_HOW = (
    "a PasswordHasher for each test, with cheap parameters so the suite runs in seconds.\n"
    "Define it in your test class, e.g.\n"
    "    @pytest.fixture\n"
    "    def password_hasher(self):\n"
    "        return MyHasher.for_tests()"
)
_STALE_HASHER_HOW = (
    "a hasher of the same kind as `password_hasher` with other parameters (what the store\n"
    "used before): its hashes must verify with `password_hasher` and need a rehash. Define\n"
    "it in your test class, or set `supports_rehash = False` for a hasher without\n"
    "parameters, e.g.\n"
    "    @pytest.fixture\n"
    "    def stale_password_hasher(self):\n"
    "        return MyHasher.for_tests(rounds=1)"
)

_PHRASE = "correct horse battery staple"
# Passwords the core may hand over: canonical (NFKC) text of 1 to 128 code points.
_PASSWORDS = [
    _PHRASE,
    "Pässwörd mit Umlauten ja ß",
    "salasana: äiti ja isä, 🚗 ja 🔧",
    "密码很长而且很难猜到吧对不对",
    " leading and trailing spaces ",
    "x" * 128,
]
_TEXT = st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=128)


class PasswordHasherContract:
    """The :class:`~orderstatus_core.PasswordHasher` contract: what was hashed verifies,
    and nothing else; ``verify`` never raises; stale parameters ask for a rehash.

    Needs a fixture ``password_hasher`` (cheap parameters are fine, and faster) and, while
    :attr:`supports_rehash` is on, ``stale_password_hasher``: the same kind of hasher with
    other parameters.
    """

    #: The hasher has parameters, and hashes made with other ones need a rehash.
    supports_rehash: ClassVar[bool] = True

    @pytest.fixture
    def password_hasher(self, request: pytest.FixtureRequest) -> PasswordHasher:
        """Declared here so that a suite without one fails with how to write it."""
        hasher: PasswordHasher = declared_fixture(request, "password_hasher", _HASHER_HOW)
        return hasher

    def _stale(self, request: pytest.FixtureRequest) -> PasswordHasher:
        if not self.supports_rehash:
            pytest.skip(f"{type(self).__name__}: the hasher has no parameters (supports_rehash)")
        hasher: PasswordHasher = declared_fixture(
            request, "stale_password_hasher", _STALE_HASHER_HOW
        )
        return hasher

    @pytest.mark.parametrize("password", _PASSWORDS, ids=range(len(_PASSWORDS)))
    def test_a_hashed_password_verifies(
        self, password_hasher: PasswordHasher, password: str
    ) -> None:
        """Whatever text was hashed verifies against its hash."""
        assert password_hasher.verify(password_hasher.hash(password), password) is True

    @pytest.mark.parametrize(
        "typed",
        [
            "correct horse battery stapl",
            "correct horse battery staplE",
            "Correct horse battery staple",
            "correct horse battery staple ",
            " correct horse battery staple",
            "correct  horse battery staple",
            "",
        ],
        ids=repr,
    )
    def test_a_wrong_password_is_refused(self, password_hasher: PasswordHasher, typed: str) -> None:
        """One character more, less or in other case is another password."""
        assert password_hasher.verify(password_hasher.hash(_PHRASE), typed) is False

    def test_nothing_is_truncated(self, password_hasher: PasswordHasher) -> None:
        """Passwords that differ only after 72 bytes (bcrypt's limit) or in their last code
        point differ."""
        stored = password_hasher.hash("ä" * 40 + "a")  # 81 bytes
        assert password_hasher.verify(stored, "ä" * 40 + "b") is False
        stored = password_hasher.hash("x" * 127 + "a")
        assert password_hasher.verify(stored, "x" * 127 + "b") is False
        assert password_hasher.verify(stored, "x" * 127) is False

    def test_nothing_is_normalised_or_folded_again(self, password_hasher: PasswordHasher) -> None:
        """The hasher hashes the code points it is given: the composed and decomposed
        ``é`` differ, and so do fullwidth and ASCII (normalising is the core's job, once)."""
        stored = password_hasher.hash("caf\u00e9 au lait tous les jours")
        assert password_hasher.verify(stored, "cafe\u0301 au lait tous les jours") is False
        stored = password_hasher.hash("PASS phrase of mine")
        assert password_hasher.verify(stored, "ＰＡＳＳ phrase of mine") is False

    def test_every_hash_has_its_own_salt(self, password_hasher: PasswordHasher) -> None:
        """Two hashes of one password differ, and both verify."""
        first, second = password_hasher.hash(_PHRASE), password_hasher.hash(_PHRASE)
        assert first != second
        assert password_hasher.verify(first, _PHRASE)
        assert password_hasher.verify(second, _PHRASE)

    def test_the_hash_is_printable_ascii_without_the_password(
        self, password_hasher: PasswordHasher
    ) -> None:
        """The stored form is printable ASCII that a column can hold, and never contains
        the password."""
        stored = password_hasher.hash(_PHRASE)
        assert isinstance(stored, str)
        assert stored.isascii()
        assert stored.isprintable()
        assert _PHRASE not in stored
        assert "horse" not in stored

    @pytest.mark.parametrize(
        "stored",
        ["", " ", "garbage", "$argon2id$", "$2b$12$abc", "x" * 10_000, "\x00", "\ud800"],
        ids=repr,
    )
    def test_an_unreadable_stored_hash_is_false_never_an_error(
        self, password_hasher: PasswordHasher, stored: str
    ) -> None:
        """``verify`` answers ``False`` for a stored value it cannot read, and
        ``needs_rehash`` asks for a new one."""
        assert password_hasher.verify(stored, _PHRASE) is False
        assert password_hasher.needs_rehash(stored) is True

    def test_a_damaged_hash_is_false(self, password_hasher: PasswordHasher) -> None:
        """A real hash cut short, lengthened or with one character changed does not
        verify, and never raises."""
        stored = password_hasher.hash(_PHRASE)
        last = "A" if stored[-1] != "A" else "B"
        for damaged in (stored[:-1], stored + "A", stored[:-1] + last, stored.upper()):
            assert password_hasher.verify(damaged, _PHRASE) is False

    @pytest.mark.parametrize("stored", [None, 42, b"$argon2id$", ["hash"]], ids=repr)
    def test_a_stored_value_that_is_not_text_is_false(
        self, password_hasher: PasswordHasher, stored: object
    ) -> None:
        """A stored value of the wrong type: ``False`` and a rehash, never an error."""
        assert password_hasher.verify(stored, _PHRASE) is False  # type: ignore[arg-type]
        assert password_hasher.needs_rehash(stored) is True  # type: ignore[arg-type]

    @pytest.mark.parametrize("typed", [None, 42, _PHRASE.encode(), [_PHRASE], "\ud800"])
    def test_a_typed_password_that_is_not_text_is_false(
        self, password_hasher: PasswordHasher, typed: object
    ) -> None:
        """Not text, the right password as bytes included, or text with a lone surrogate:
        ``False``, never an error."""
        assert password_hasher.verify(password_hasher.hash(_PHRASE), typed) is False

    @pytest.mark.parametrize("password", [None, 42, b"bytes", "\ud800 lone surrogate"])
    def test_hashing_what_is_not_text_raises_invalid_field_error(
        self, password_hasher: PasswordHasher, password: object
    ) -> None:
        """``hash`` refuses what it cannot hash as UTF-8 text, as bad input."""
        with pytest.raises(InvalidFieldError):
            password_hasher.hash(password)  # type: ignore[arg-type]

    def test_a_fresh_hash_needs_no_rehash(self, password_hasher: PasswordHasher) -> None:
        """What ``hash`` makes now is current."""
        assert password_hasher.needs_rehash(password_hasher.hash(_PHRASE)) is False

    def test_a_hash_with_stale_parameters_verifies_and_needs_a_rehash(
        self, password_hasher: PasswordHasher, request: pytest.FixtureRequest
    ) -> None:
        """A hash made with the store's old parameters still logs in, and asks for a new
        hash (SECURITY B3); the other way round too."""
        stale = self._stale(request)
        old = stale.hash(_PHRASE)
        assert password_hasher.verify(old, _PHRASE) is True
        assert password_hasher.verify(old, "wrong") is False
        assert password_hasher.needs_rehash(old) is True
        assert stale.needs_rehash(password_hasher.hash(_PHRASE)) is True

    def test_the_cost_is_described(self, password_hasher: PasswordHasher) -> None:
        """``cost`` describes the hash for the production check."""
        cost = password_hasher.cost
        assert isinstance(cost, HashCost)
        assert isinstance(cost.algorithm, str)
        assert cost.algorithm

    @_PROPERTY
    @given(password=_TEXT, other=_TEXT)
    def test_any_text_verifies_and_any_other_does_not(
        self, password_hasher: PasswordHasher, password: str, other: str
    ) -> None:
        """For any text of 1 to 128 code points: its hash verifies it and nothing else."""
        stored = password_hasher.hash(password)
        assert password_hasher.verify(stored, password) is True
        assert password_hasher.verify(stored, other) is (other == password)

    def test_close_can_be_called(self, password_hasher: PasswordHasher) -> None:
        """``close`` releases what the hasher holds without error."""
        password_hasher.close()
