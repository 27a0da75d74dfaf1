"""The captcha and password-hasher suites: the shipped fakes keep them, and each rule fails
for an adapter that breaks it (a suite that cannot fail proves nothing)."""

from __future__ import annotations

import doctest
import hashlib
import secrets
import threading
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from orderstatus_core import CaptchaChallenge, HashCost, InvalidFieldError
from orderstatus_core.model.captcha import hash_captcha_answer
from orderstatus_core.policies.passwords import hash_cost_shortfall
from orderstatus_core.ports import Captcha, PasswordHasher
from orderstatus_core.testing import (
    CaptchaContract,
    CountingPasswordHasher,
    PasswordHasherContract,
    RecordingCaptcha,
    fakes,
)
from orderstatus_core.testing.contracts import CaptchaAnswer

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)


class TestRecordingCaptcha(CaptchaContract):
    """The shipped fake captcha keeps the contract its users rely on."""

    @pytest.fixture
    def captcha(self) -> RecordingCaptcha:
        """A fresh fake."""
        return RecordingCaptcha()

    @pytest.fixture
    def captcha_answer(self, captcha: RecordingCaptcha) -> CaptchaAnswer:
        """The fake knows its answers."""
        return captcha.answer_for


class TestCountingPasswordHasher(PasswordHasherContract):
    """The shipped counting hasher keeps the contract its users rely on."""

    @pytest.fixture
    def password_hasher(self) -> CountingPasswordHasher:
        """A fresh counting hasher."""
        return CountingPasswordHasher()

    @pytest.fixture
    def stale_password_hasher(self) -> CountingPasswordHasher:
        """The same, under an older version of its parameters."""
        return CountingPasswordHasher(version=0)


def test_the_fakes_examples_hold() -> None:
    """The examples in the fakes' docstrings run as written."""
    failed, attempted = doctest.testmod(fakes)
    assert attempted > 0
    assert failed == 0


def test_the_counting_hasher_counts_every_hash_and_verify() -> None:
    """Each ``hash`` and ``verify`` is one unit of work, even a ``verify`` of an unreadable
    hash; ``needs_rehash`` hashes nothing and is not counted (SECURITY A2)."""
    hasher = CountingPasswordHasher()
    stored = hasher.hash("correct horse battery staple")
    hasher.verify(stored, "wrong")
    hasher.verify("not a hash", "correct horse battery staple")
    hasher.needs_rehash(stored)
    assert hasher.calls == ["hash", "verify", "verify"]
    assert (hasher.work, hasher.count("hash"), hasher.count("verify")) == (3, 1, 2)
    hasher.reset()
    assert hasher.work == 0


def test_the_counting_hasher_counts_from_many_threads() -> None:
    """Calls from threads racing (a web server) are all counted."""
    hasher = CountingPasswordHasher()
    stored = hasher.hash("correct horse battery staple")
    start = threading.Barrier(8)

    def log_in() -> None:
        start.wait()
        for _ in range(50):
            hasher.verify(stored, "correct horse battery staple")

    workers = [threading.Thread(target=log_in) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert hasher.count("verify") == 400


def test_the_fakes_are_refused_by_the_production_check() -> None:
    """A production store that checks its hasher's cost refuses the counting one."""
    assert hash_cost_shortfall(CountingPasswordHasher().cost) is not None


@pytest.mark.parametrize("version", [-1, 10_000, True, "1"])
def test_the_counting_hasher_refuses_a_nonsense_version(version: object) -> None:
    """Its version is a whole number from 0 to 9999."""
    with pytest.raises(InvalidFieldError):
        CountingPasswordHasher(version=version)  # type: ignore[arg-type]


def test_the_recording_captcha_records_issues_and_checks() -> None:
    """What a service test reads back: the challenges issued and each check's outcome."""
    captcha = RecordingCaptcha()
    first, second = captcha.issue(NOW), captcha.issue(NOW)
    captcha.check(first, captcha.answer_for(second.challenge_id))
    captcha.check(second, captcha.answer_for(second.challenge_id))
    assert captcha.issued == [first, second]
    assert captcha.checks == [(first.challenge_id, False), (second.challenge_id, True)]
    with pytest.raises(KeyError):
        captcha.answer_for("someone-elses-challenge")


# --- captchas that break a rule ----------------------------------------------------------


class _Honest:
    """Just enough of a captcha: fixed answers, checked through the model."""

    def __init__(self) -> None:
        self.answers: dict[str, str] = {}

    def _answer(self) -> str:
        return "".join(secrets.choice("HKMPRWXY34679") for _ in range(6))

    def _id(self, answer: str) -> str:
        return secrets.token_urlsafe(16)

    def issue(self, now: datetime) -> CaptchaChallenge:
        answer = self._answer()
        challenge_id = self._id(answer)
        self.answers[challenge_id] = answer
        return CaptchaChallenge.issue(challenge_id, answer, now, image=b"i", audio=b"a")

    def check(self, challenge: CaptchaChallenge, answer: object) -> bool:
        if not isinstance(challenge, CaptchaChallenge):
            raise InvalidFieldError("challenge", "must be a CaptchaChallenge")
        return challenge.accepts(answer)

    def close(self) -> None:
        pass


class _AcceptsAnything(_Honest):
    def check(self, challenge: CaptchaChallenge, answer: object) -> bool:
        return True


class _AnswerInTheId(_Honest):
    def _id(self, answer: str) -> str:
        return answer + secrets.token_urlsafe(16)


class _FoldsUnicode(_Honest):
    def check(self, challenge: CaptchaChallenge, answer: object) -> bool:
        text = unicodedata.normalize("NFKC", answer) if isinstance(answer, str) else answer
        return challenge.accepts(text)


class _RaisesOnNonText(_Honest):
    def check(self, challenge: CaptchaChallenge, answer: object) -> bool:
        return challenge.accepts(answer.upper())  # type: ignore[attr-defined]


class _CaseSensitive(_Honest):
    def check(self, challenge: CaptchaChallenge, answer: object) -> bool:
        return answer == self.answers.get(challenge.challenge_id)


class _ShortIds(_Honest):
    counter = 0

    def issue(self, now: datetime) -> CaptchaChallenge:
        challenge = super().issue(now)
        self.counter += 1
        return CaptchaChallenge(
            ("c" * 21) + str(self.counter % 2),
            hash_captcha_answer(("c" * 21) + str(self.counter % 2), "x"),
            challenge.issued_at,
            challenge.expires_at,
        )


class _NoAudio(_Honest):
    def issue(self, now: datetime) -> CaptchaChallenge:
        challenge = super().issue(now)
        return CaptchaChallenge(
            challenge.challenge_id,
            challenge.answer_hash,
            challenge.issued_at,
            challenge.expires_at,
            image=challenge.image,
        )


_CAPTCHAS = CaptchaContract()


def _answers(captcha: _Honest) -> CaptchaAnswer:
    return captcha.answers.__getitem__


def test_the_minimal_captcha_keeps_every_rule() -> None:
    """The honest baseline passes the rules the broken ones below fail."""
    captcha = _Honest()
    _CAPTCHAS.test_a_wrong_answer_is_refused(captcha, "WRONG1")
    _CAPTCHAS.test_the_answer_is_kept_only_as_a_hash(captcha, _answers(captcha))
    _CAPTCHAS.test_look_alikes_from_other_scripts_are_refused(captcha, _answers(captcha))
    _CAPTCHAS.test_what_is_not_text_is_refused(captcha, None)
    _CAPTCHAS.test_case_and_spaces_do_not_matter(captcha, _answers(captcha))
    _CAPTCHAS.test_a_challenge_has_a_fresh_id_of_at_least_128_bits(captcha)
    _CAPTCHAS.test_a_challenge_carries_an_image_and_a_recording(captcha)


@pytest.mark.parametrize(
    ("captcha", "rule"),
    [
        (_AcceptsAnything(), lambda c: _CAPTCHAS.test_a_wrong_answer_is_refused(c, "WRONG1")),
        (
            _AnswerInTheId(),
            lambda c: _CAPTCHAS.test_the_answer_is_kept_only_as_a_hash(c, _answers(c)),
        ),
        (
            _FoldsUnicode(),
            lambda c: _CAPTCHAS.test_look_alikes_from_other_scripts_are_refused(c, _answers(c)),
        ),
        (_CaseSensitive(), lambda c: _CAPTCHAS.test_case_and_spaces_do_not_matter(c, _answers(c))),
        (_ShortIds(), _CAPTCHAS.test_a_challenge_has_a_fresh_id_of_at_least_128_bits),
        (_NoAudio(), _CAPTCHAS.test_a_challenge_carries_an_image_and_a_recording),
    ],
    ids=[
        "accepts-anything",
        "answer-in-id",
        "folds-unicode",
        "case-sensitive",
        "short-ids",
        "no-audio",
    ],
)
def test_a_captcha_breaking_a_rule_fails_the_contract(
    captcha: Captcha, rule: Callable[[Captcha], None]
) -> None:
    """Each broken captcha fails the rule it breaks."""
    with pytest.raises(AssertionError):
        rule(captcha)


def test_a_captcha_raising_on_non_text_fails_the_contract() -> None:
    """``check(challenge, None)`` must answer ``False``, not raise."""
    with pytest.raises(AttributeError):
        _CAPTCHAS.test_what_is_not_text_is_refused(_RaisesOnNonText(), None)


# --- hashers that break a rule -----------------------------------------------------------


class _Sha256:
    """Just enough of a hasher: salted SHA-256, checked with care."""

    name = "sha256"

    def __init__(self, rounds: int = 1) -> None:
        self.rounds = rounds

    @property
    def cost(self) -> HashCost:
        return HashCost(self.name, 0, self.rounds, 1)

    def _digest(self, salt: str, password: str) -> str:
        data = password.encode("utf-8")
        for _ in range(self.rounds):
            data = hashlib.sha256(salt.encode() + data).digest()
        return data.hex()

    def _salt(self) -> str:
        return secrets.token_hex(8)

    def hash(self, password: str) -> str:
        if not isinstance(password, str):
            raise InvalidFieldError("password", "must be text")
        try:
            password.encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidFieldError("password", "is not valid text") from None
        salt = self._salt()
        return f"{self.name}${self.rounds}${salt}${self._digest(salt, password)}"

    def verify(self, stored: str, password: object) -> bool:
        parts = stored.split("$") if isinstance(stored, str) else []
        if len(parts) != 4 or parts[0] != self.name or not isinstance(password, str):
            return False
        try:
            return secrets.compare_digest(
                type(self)(int(parts[1]))._digest(parts[2], password), parts[3]
            )
        except (ValueError, UnicodeEncodeError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        parts = stored.split("$") if isinstance(stored, str) else []
        return len(parts) != 4 or parts[0] != self.name or parts[1] != str(self.rounds)

    def close(self) -> None:
        pass


class _Truncates(_Sha256):
    def _digest(self, salt: str, password: str) -> str:
        return super()._digest(salt, password.encode("utf-8")[:72].decode("utf-8", "ignore"))


class _Folds(_Sha256):
    def _digest(self, salt: str, password: str) -> str:
        return super()._digest(salt, password.lower())


class _Normalises(_Sha256):
    def _digest(self, salt: str, password: str) -> str:
        return super()._digest(salt, unicodedata.normalize("NFKC", password))


class _Unsalted(_Sha256):
    def _salt(self) -> str:
        return "0" * 16


class _RaisesOnGarbage(_Sha256):
    def verify(self, stored: str, password: object) -> bool:
        _name, _rounds, salt, digest = stored.split("$")
        return secrets.compare_digest(self._digest(salt, str(password)), digest)


class _NeverRehashes(_Sha256):
    def needs_rehash(self, stored: str) -> bool:
        return False


_HASHERS = PasswordHasherContract()
_REHASH_REQUEST = type("R", (), {"getfixturevalue": lambda self, name: _Sha256(rounds=2)})()


def test_the_minimal_hasher_keeps_every_rule() -> None:
    """The honest baseline passes the rules the broken ones below fail."""
    hasher = _Sha256()
    _HASHERS.test_nothing_is_truncated(hasher)
    _HASHERS.test_a_wrong_password_is_refused(hasher, "Correct horse battery staple")
    _HASHERS.test_nothing_is_normalised_or_folded_again(hasher)
    _HASHERS.test_every_hash_has_its_own_salt(hasher)
    _HASHERS.test_an_unreadable_stored_hash_is_false_never_an_error(hasher, "garbage")
    _HASHERS.test_a_hash_with_stale_parameters_verifies_and_needs_a_rehash(
        hasher,
        _REHASH_REQUEST,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("hasher", "rule"),
    [
        (_Truncates(), _HASHERS.test_nothing_is_truncated),
        (
            _Folds(),
            lambda h: _HASHERS.test_a_wrong_password_is_refused(h, "Correct horse battery staple"),
        ),
        (_Normalises(), _HASHERS.test_nothing_is_normalised_or_folded_again),
        (_Unsalted(), _HASHERS.test_every_hash_has_its_own_salt),
        (
            _NeverRehashes(),
            lambda h: _HASHERS.test_a_hash_with_stale_parameters_verifies_and_needs_a_rehash(
                h, _REHASH_REQUEST
            ),
        ),
    ],
    ids=["truncates", "folds-case", "normalises", "unsalted", "never-rehashes"],
)
def test_a_hasher_breaking_a_rule_fails_the_contract(
    hasher: PasswordHasher, rule: Callable[[PasswordHasher], None]
) -> None:
    """Each broken hasher fails the rule it breaks."""
    with pytest.raises(AssertionError):
        rule(hasher)


def test_a_hasher_raising_on_garbage_fails_the_contract() -> None:
    """``verify("garbage", ...)`` must answer ``False``, not raise."""
    with pytest.raises(ValueError, match="unpack"):
        _HASHERS.test_an_unreadable_stored_hash_is_false_never_an_error(
            _RaisesOnGarbage(), "garbage"
        )


def test_a_refused_issue_uses_up_no_answer() -> None:
    """A naive time is refused before an answer is drawn: the next challenge is still
    answered by ``ANSWER1``."""
    captcha = RecordingCaptcha()
    with pytest.raises(InvalidFieldError):
        captcha.issue(datetime(2026, 11, 1, 12, 0))  # naive on purpose
    challenge = captcha.issue(NOW)
    assert captcha.answer_for(challenge.challenge_id) == "ANSWER1"
    assert captcha.issued == [challenge]
