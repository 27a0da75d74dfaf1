"""The argon2:// hasher: Argon2id at or above the floor of SECURITY B3, cheap parameters only
when a test asks for them by name, a rehash when parameters change, and a ``verify`` that
never raises."""

from __future__ import annotations

import subprocess
import sys

import argon2
import pytest
from argon2.exceptions import HashingError

import orderstatus_argon2
from orderstatus_argon2 import Argon2PasswordHasher
from orderstatus_core import (
    AdapterError,
    AdapterRegistry,
    HashCost,
    InvalidFieldError,
    InvalidUrlError,
    WeakPasswordHashingError,
)
from orderstatus_core.policies.passwords import ARGON2ID_FLOOR, hash_cost_shortfall
from orderstatus_core.testing.contracts import PasswordHasherContract

PHRASE = "correct horse battery staple"


class TestCheapArgon2(PasswordHasherContract):
    """``Argon2PasswordHasher.for_tests()`` keeps the PasswordHasher contract."""

    @pytest.fixture
    def password_hasher(self) -> Argon2PasswordHasher:
        """The least Argon2id allows: 8 KiB, 1 pass, 1 lane."""
        return Argon2PasswordHasher.for_tests()

    @pytest.fixture
    def stale_password_hasher(self) -> Argon2PasswordHasher:
        """The store's parameters before it raised the passes."""
        return Argon2PasswordHasher.for_tests(time_cost=2)


def test_the_defaults_are_owasps_configuration_and_not_below_the_floor() -> None:
    """19 MiB, 2 passes, 1 lane (SECURITY B3, issue 13's p = 1), written into the hash."""
    hasher = Argon2PasswordHasher()
    assert hasher.cost == HashCost("argon2id", 19_456, 2, 1)
    assert hash_cost_shortfall(hasher.cost) is None
    stored = hasher.hash(PHRASE)
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert hasher.verify(stored, PHRASE)
    assert not hasher.needs_rehash(stored)


def test_the_floor_itself_is_accepted() -> None:
    """Exactly 19 MiB, 2 passes, 1 lane opens, from a URL too."""
    hasher = Argon2PasswordHasher.from_url("argon2://?m=19456&t=2&p=1")
    assert hasher.cost == ARGON2ID_FLOOR


@pytest.mark.parametrize(
    "url",
    ["argon2://?m=19455&t=2&p=1", "argon2://?m=19456&t=1&p=1", "argon2://?m=8&t=1&p=1"],
)
def test_a_store_cannot_open_cheap_parameters(url: str) -> None:
    """Below the floor is refused with a clear error that names the floor and the way
    tests ask for cheap hashes (SECURITY B3)."""
    with pytest.raises(WeakPasswordHashingError, match=r"floor of m=19456 KiB, t=2, p=1") as err:
        Argon2PasswordHasher.from_url(url)
    assert "for_tests()" in str(err.value)


def test_cheap_parameters_are_for_tests_by_name_and_say_so() -> None:
    """``for_tests()`` makes cheap hashes; its cost still fails the production check."""
    hasher = Argon2PasswordHasher.for_tests()
    assert hasher.cost == HashCost("argon2id", 8, 1, 1)
    assert hash_cost_shortfall(hasher.cost) is not None
    assert hasher.hash(PHRASE).startswith("$argon2id$v=19$m=8,t=1,p=1$")


def test_a_hash_from_the_default_verifies_with_a_cheap_hasher_and_needs_a_rehash() -> None:
    """Parameters are read from the stored hash: changing them never locks anyone out."""
    stored = Argon2PasswordHasher.for_tests(memory_kib=64, time_cost=2).hash(PHRASE)
    current = Argon2PasswordHasher.for_tests()
    assert current.verify(stored, PHRASE)
    assert current.needs_rehash(stored)


@pytest.mark.parametrize("kind", [argon2.Type.I, argon2.Type.D])
def test_an_older_argon2_variant_verifies_and_needs_a_rehash(kind: argon2.Type) -> None:
    """An Argon2i or Argon2d hash (a store's previous library) still logs in, once, and is
    then replaced by Argon2id."""
    old = argon2.PasswordHasher(time_cost=1, memory_cost=8, parallelism=1, type=kind)
    stored = old.hash(PHRASE)
    hasher = Argon2PasswordHasher.for_tests()
    assert hasher.verify(stored, PHRASE)
    assert not hasher.verify(stored, PHRASE.upper())
    assert hasher.needs_rehash(stored)


class _RecordingInner:
    """Stands in for argon2-cffi's hasher and records what it is asked to do."""

    def __init__(self) -> None:
        self.verified: list[str] = []

    def verify(self, stored: str, password: bytes) -> bool:
        self.verified.append(stored)
        return True

    def hash(self, password: bytes) -> str:
        raise HashingError("Memory allocation error")


@pytest.mark.parametrize(
    "stored",
    [
        "$argon2id$v=19$m=4194305,t=1,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
        "$argon2id$v=19$m=64,t=101,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
        "$argon2id$v=19$m=1024,t=1,p=65$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2g",
    ],
    ids=["4 GiB and 1 KiB", "101 passes", "65 lanes"],
)
def test_a_stored_hash_beyond_the_bounds_is_refused_without_hashing(stored: str) -> None:
    """A row written by an attacker cannot make a log-in spend gigabytes or minutes: it is
    ``False`` before Argon2 runs (counted, not timed)."""
    hasher = Argon2PasswordHasher.for_tests()
    inner = _RecordingInner()
    hasher._hasher = inner  # type: ignore[assignment]
    assert hasher.verify(stored, PHRASE) is False
    assert inner.verified == []
    within = stored.replace("m=4194305", "m=64").replace("t=101", "t=1").replace("p=65", "p=1")
    assert hasher.verify(within, PHRASE) is True
    assert inner.verified == [within]


def test_a_failure_of_argon2_itself_is_an_adapter_error() -> None:
    """When Argon2 cannot hash (memory exhausted), the error is an ``AdapterError``."""
    hasher = Argon2PasswordHasher.for_tests()
    hasher._hasher = _RecordingInner()  # type: ignore[assignment]
    with pytest.raises(AdapterError, match="Memory allocation"):
        hasher.hash(PHRASE)


@pytest.mark.parametrize(
    "url",
    [
        "argon2://host",
        "argon2:///path",
        "argon2://?m=lots",
        "argon2://?m=-1",
        "argon2://?t=%EF%BC%93",  # a fullwidth 3
        "argon2://?p=0",
        "argon2://?p=65",
        "argon2://?m=4194305",
        "argon2://?t=101",
        "argon2://?m=123456789012",
        "argon2://?salt=fixed",
    ],
)
def test_a_url_it_cannot_read_is_refused(url: str) -> None:
    """Host, path, words, signs, out-of-bound numbers and unknown keys are refused."""
    with pytest.raises(InvalidUrlError):
        Argon2PasswordHasher.from_url(url)


@pytest.mark.parametrize(
    ("keyword", "value"),
    [("memory_kib", 65536.0), ("time_cost", True), ("parallelism", "4"), ("memory_kib", 0)],
)
def test_a_wrong_keyword_is_refused(keyword: str, value: object) -> None:
    """Numbers are whole numbers within bounds; a bool is not one."""
    with pytest.raises(InvalidFieldError):
        Argon2PasswordHasher(**{keyword: value})  # type: ignore[arg-type]
    with pytest.raises(InvalidFieldError):
        Argon2PasswordHasher.for_tests(**{keyword: value})  # type: ignore[arg-type]


def test_the_plugin_registers_argon2_urls() -> None:
    """``argon2://`` opens the hasher through the registry."""
    registry = AdapterRegistry()
    orderstatus_argon2.orderstatus_register_adapters(registry)
    assert registry.password_hasher_schemes() == ["argon2"]
    hasher = registry.open_password_hasher("argon2://?m=19456&t=2&p=1")
    assert isinstance(hasher, Argon2PasswordHasher)
    hasher.close()


_WITHOUT_PACKAGE = """
import sys
sys.modules["argon2"] = None  # as if argon2-cffi were not installed
from orderstatus_core import AdapterError, AdapterRegistry
import orderstatus_argon2
registry = AdapterRegistry()
orderstatus_argon2.orderstatus_register_adapters(registry)
print("registered")
try:
    registry.open_password_hasher("argon2://")
except AdapterError as error:
    print(error)
"""


def test_without_argon2_cffi_the_plugin_loads_and_names_the_extra() -> None:
    """Loading the plugin needs nothing; opening ``argon2://`` says what to install."""
    result = subprocess.run(
        [sys.executable, "-c", _WITHOUT_PACKAGE],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "registered",
        "the argon2:// password hasher needs argon2-cffi: pip install 'orderstatus-core[argon2]'",
    ]
