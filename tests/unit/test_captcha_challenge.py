"""The captcha challenge value: an answer kept only as a salted hash, read in one canonical
way, open up to its expiry (SECURITY C3)."""

from __future__ import annotations

import doctest
import hashlib
from datetime import UTC, datetime, timedelta

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core import CaptchaChallenge, InvalidFieldError
from orderstatus_core.model import captcha
from orderstatus_core.model.captcha import (
    CAPTCHA_TTL,
    MAX_CAPTCHA_ANSWER,
    canonical_captcha_answer,
    hash_captcha_answer,
)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ID = "Kq3v9XcT2bLm8NwR4yZp1A"
ANSWER = "HKM479"


def _challenge(**changes: object) -> CaptchaChallenge:
    challenge = CaptchaChallenge.issue(ID, ANSWER, NOW, image=b"png", audio=b"wav")
    return attrs.evolve(challenge, **changes)


def test_the_module_examples_hold() -> None:
    """The examples in the module's docstrings run as written."""
    failed, attempted = doctest.testmod(captcha)
    assert attempted > 0
    assert failed == 0


def test_a_challenge_lives_ten_minutes_by_default() -> None:
    """Issued now, it expires ten minutes later (SECURITY C3)."""
    challenge = CaptchaChallenge.issue(ID, ANSWER, NOW)
    assert timedelta(minutes=10) == CAPTCHA_TTL
    assert (challenge.issued_at, challenge.expires_at) == (NOW, NOW + CAPTCHA_TTL)


def test_it_is_open_at_its_expiry_and_closed_one_second_later() -> None:
    """Valid at exactly issued + TTL, refused one second later (as SECURITY D3 for tokens)."""
    challenge = _challenge()
    assert challenge.is_open(NOW)
    assert challenge.is_open(NOW + CAPTCHA_TTL)
    assert not challenge.is_open(NOW + CAPTCHA_TTL + timedelta(seconds=1))


def test_the_answer_is_kept_only_as_its_salted_hash() -> None:
    """The stored hash is SHA-256 over the id and the canonical answer, not the answer."""
    challenge = _challenge()
    expected = hashlib.sha256(
        b"orderstatus captcha\x00" + ID.encode() + b"\x00" + b"hkm479"
    ).hexdigest()
    assert challenge.answer_hash == expected
    assert ANSWER.lower() not in repr(challenge).lower()
    assert ANSWER not in str(attrs.asdict(challenge.without_media()))


def test_equal_answers_of_two_challenges_hash_differently() -> None:
    """The id salts the hash: one table cannot serve every challenge."""
    other = CaptchaChallenge.issue("Z" * 22, ANSWER, NOW)
    assert other.answer_hash != _challenge().answer_hash


@pytest.mark.parametrize(
    "typed", ["HKM479", "hkm479", "HkM479", "  HKM479  ", "HKM 479", "H K M 4 7 9", "HKM479\u00a0"]
)
def test_case_and_whitespace_do_not_matter(typed: str) -> None:
    """ASCII letters in any case, whitespace anywhere: the right answer."""
    assert _challenge().accepts(typed)


@pytest.mark.parametrize(
    "typed",
    [
        "HKM478",
        "HKM4790",
        "",
        "   ",
        "ＨＫＭ４７９",  # fullwidth
        "НКМ479",  # Cyrillic capitals
        "HKM479\u200b",  # a zero-width space is not whitespace
        "HKM\x00479",
        "\ud800HKM479",
        "HKM479" + " " * 27,  # 33 code points as typed
        None,
        479,
        b"HKM479",
    ],
    ids=repr,
)
def test_anything_else_is_refused_without_an_error(typed: object) -> None:
    """Wrong, look-alike, over-long or non-text answers: ``False``."""
    assert _challenge().accepts(typed) is False


def test_what_is_stored_checks_like_what_was_issued() -> None:
    """The challenge without its media accepts and refuses the same answers."""
    stored = _challenge().without_media()
    assert (stored.image, stored.audio) == (b"", b"")
    assert stored.accepts("hkm479")
    assert not stored.accepts("hkm478")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("challenge_id", "short"),
        ("challenge_id", "x" * 21),
        ("challenge_id", "has space in it somewhere"),
        ("answer_hash", "HKM479"),
        ("answer_hash", "0" * 63),
        ("image", "not bytes"),
        ("audio", bytearray(b"wav")),
        ("expires_at", NOW),
        ("expires_at", NOW - timedelta(seconds=1)),
    ],
)
def test_a_malformed_challenge_is_refused(field: str, value: object) -> None:
    """Ids under 128 bits, non-hashes, non-bytes media and empty lifetimes are refused."""
    with pytest.raises(InvalidFieldError):
        _challenge(**{field: value})


@pytest.mark.parametrize(
    ("answer", "ttl", "now"),
    [
        ("", CAPTCHA_TTL, NOW),
        ("x" * 33, CAPTCHA_TTL, NOW),
        ("ＡＢＣ", CAPTCHA_TTL, NOW),
        (ANSWER, timedelta(0), NOW),
        (ANSWER, 600, NOW),
        (ANSWER, CAPTCHA_TTL, datetime(2026, 11, 1, 12, 0)),  # naive on purpose
    ],
    ids=["empty", "too long", "not ascii", "no lifetime", "not a timedelta", "naive time"],
)
def test_issue_refuses_what_could_never_be_answered(
    answer: str, ttl: timedelta, now: datetime
) -> None:
    """An answer nobody could type back, a lifetime that is none, a naive time."""
    with pytest.raises(InvalidFieldError):
        CaptchaChallenge.issue(ID, answer, now, ttl)


@given(st.text(max_size=MAX_CAPTCHA_ANSWER))
def test_a_canonical_answer_is_its_own_canonical_form(typed: str) -> None:
    """Reading an answer twice changes nothing: one canonical form."""
    canonical = canonical_captcha_answer(typed)
    if canonical is not None:
        assert canonical_captcha_answer(canonical) == canonical
        assert canonical.isascii()
        assert canonical == canonical.lower()


@given(st.one_of(st.text(max_size=40), st.binary(), st.integers(), st.none()))
def test_accepts_never_raises(typed: object) -> None:
    """Whatever arrives as an answer, ``accepts`` answers a bool."""
    assert _challenge().accepts(typed) in (True, False)


@given(st.text(alphabet="ACFHKMPRWXY0123456789", min_size=1, max_size=MAX_CAPTCHA_ANSWER))
def test_hashes_differ_for_different_answers(answer: str) -> None:
    """Only the canonical answer opens the hash it was made from."""
    challenge = CaptchaChallenge.issue(ID, answer, NOW)
    assert challenge.accepts(answer.lower())
    assert hash_captcha_answer(ID, answer + "X") != challenge.answer_hash
