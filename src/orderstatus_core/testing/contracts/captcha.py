"""The conformance suite of captchas; see :mod:`orderstatus_core.testing.contracts`.

Every rule is one the :class:`~orderstatus_core.ports.Captcha` docstrings state: fresh
128-bit ids, the answer kept only as a hash, a lifetime, answers read once and canonically,
and a check that works on the challenge as the core stores it (without media). What the
picture and the recording look like is the adapter's own business and its own tests'.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import ClassVar

import attrs
import pytest

from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.model.captcha import CaptchaChallenge, is_captcha_id
from orderstatus_core.ports import Captcha
from orderstatus_core.testing.contracts._support import declared_fixture

__all__ = ["CaptchaAnswer", "CaptchaContract"]

#: The type of the ``captcha_answer`` fixture of :class:`CaptchaContract`.
CaptchaAnswer = Callable[[str], str]

_NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

_CAPTCHA = (
    "a Captcha for each test, built with its test hook so that `captcha_answer` can tell\n"
    "each challenge's answer. Define it in your test class, e.g.\n"
    "    @pytest.fixture\n"
    "    def captcha(self, answers):\n"
    "        return MyCaptcha(on_issue=answers.__setitem__)"
)
_CAPTCHA_ANSWER = (
    "a callable answering the right answer of a challenge the `captcha` fixture issued,\n"
    "by its id (what a shopper would type), e.g.\n"
    "    @pytest.fixture\n"
    "    def answers(self):\n"
    "        return {}\n"
    "    @pytest.fixture\n"
    "    def captcha_answer(self, answers):\n"
    "        return answers.__getitem__"
)

# Cyrillic and Greek capitals that look like Latin ones, and fullwidth forms.
_LOOK_ALIKES = str.maketrans(
    "ABCEHKMOPTXY0123456789",
    "АВСЕНКМОРТХҮ０１２３４５６７８９",
)

# Every printable ASCII character has a fullwidth twin 0xFEE0 above it.
_FULLWIDTH = {code: code + 0xFEE0 for code in range(0x21, 0x7F)}


def _flip_case(answer: str) -> str:
    return answer.swapcase() if answer.swapcase() != answer else answer


class CaptchaContract:
    """The :class:`~orderstatus_core.Captcha` contract: challenges with fresh ids and an
    answer kept only as its hash, answers read in one canonical way, and nothing else
    accepted.

    Needs the fixtures ``captcha`` and ``captcha_answer`` (the adapter's test hook: each
    challenge's right answer by its id). Capabilities: :attr:`typed_answers` and
    :attr:`draws_media`, both on; a hosted captcha whose answer is the provider's token
    and whose page draws the provider's widget turns both off.
    """

    #: The answer is text a shopper types, read canonically and compared with the hash.
    typed_answers: ClassVar[bool] = True
    #: Each challenge carries its media: a PNG image and a WAV recording.
    draws_media: ClassVar[bool] = True

    @pytest.fixture
    def captcha(self, request: pytest.FixtureRequest) -> Captcha:
        """Declared here so that a suite without one fails with how to write it."""
        captcha: Captcha = declared_fixture(request, "captcha", _CAPTCHA)
        return captcha

    @pytest.fixture
    def captcha_answer(self, request: pytest.FixtureRequest) -> CaptchaAnswer:
        """Declared here so that a suite without one fails with how to write it."""
        answer: CaptchaAnswer = declared_fixture(request, "captcha_answer", _CAPTCHA_ANSWER)
        return answer

    def _typed(self) -> None:
        if not self.typed_answers:
            pytest.skip(f"{type(self).__name__}: answers are not typed (typed_answers)")

    def test_a_challenge_has_a_fresh_id_of_at_least_128_bits(self, captcha: Captcha) -> None:
        """Each challenge's id is new and long enough to be a 128-bit selector."""
        ids = [captcha.issue(_NOW).challenge_id for _ in range(5)]
        assert len(set(ids)) == len(ids)
        assert all(is_captcha_id(challenge_id) for challenge_id in ids)

    def test_a_challenge_lives_from_now_for_a_while(self, captcha: Captcha) -> None:
        """A challenge is issued at the time given and expires later, within an hour."""
        challenge = captcha.issue(_NOW)
        assert challenge.issued_at == _NOW
        assert _NOW < challenge.expires_at <= _NOW + timedelta(hours=1)

    def test_the_right_answer_is_accepted(
        self, captcha: Captcha, captcha_answer: CaptchaAnswer
    ) -> None:
        """What the hook says is the answer solves the challenge."""
        challenge = captcha.issue(_NOW)
        assert captcha.check(challenge, captcha_answer(challenge.challenge_id)) is True

    def test_the_challenge_as_stored_is_enough_to_check(
        self, captcha: Captcha, captcha_answer: CaptchaAnswer
    ) -> None:
        """The core keeps only id, hash and times: a challenge rebuilt from them checks
        the same, right and wrong answers alike (the port keeps no state)."""
        challenge = captcha.issue(_NOW)
        stored = challenge.without_media()
        rebuilt = CaptchaChallenge(
            stored.challenge_id, stored.answer_hash, stored.issued_at, stored.expires_at
        )
        answer = captcha_answer(challenge.challenge_id)
        assert captcha.check(rebuilt, answer) is True
        assert captcha.check(rebuilt, answer + "X") is False

    def test_case_and_spaces_do_not_matter(
        self, captcha: Captcha, captcha_answer: CaptchaAnswer
    ) -> None:
        """The answer in other case, with spaces around and between, is accepted."""
        self._typed()
        challenge = captcha.issue(_NOW)
        answer = captcha_answer(challenge.challenge_id)
        for typed in (answer.lower(), answer.upper(), _flip_case(answer), f"  {answer}\t"):
            assert captcha.check(challenge, typed) is True, typed
        assert captcha.check(challenge, " ".join(answer) + "\u00a0") is True

    @pytest.mark.parametrize(
        "wrong",
        ["", " ", "WRONG1", "\x00", "' OR 1=1 --", "<script>", "x" * 33, "\ud800", "A\u200bB"],
        ids=repr,
    )
    def test_a_wrong_answer_is_refused(self, captcha: Captcha, wrong: str) -> None:
        """Empty, wrong, over-long, injected or broken text: ``False``, never an error."""
        challenge = captcha.issue(_NOW)
        assert captcha.check(challenge, wrong) is False

    @pytest.mark.parametrize("typed", [None, 42, b"ANSWER", ["ANSWER"], 4.2], ids=repr)
    def test_what_is_not_text_is_refused(self, captcha: Captcha, typed: object) -> None:
        """An answer that is not text is ``False``, never an error."""
        challenge = captcha.issue(_NOW)
        assert captcha.check(challenge, typed) is False

    def test_the_right_answer_padded_past_32_characters_is_refused(
        self, captcha: Captcha, captcha_answer: CaptchaAnswer
    ) -> None:
        """More than 32 characters as typed are not read at all, even around the answer."""
        self._typed()
        challenge = captcha.issue(_NOW)
        answer = captcha_answer(challenge.challenge_id)
        assert captcha.check(challenge, answer + " " * (33 - len(answer))) is False

    def test_look_alikes_from_other_scripts_are_refused(
        self, captcha: Captcha, captcha_answer: CaptchaAnswer
    ) -> None:
        """Only ASCII is folded: fullwidth forms and Cyrillic or Greek look-alikes of the
        answer's characters never match."""
        self._typed()
        challenge = captcha.issue(_NOW)
        answer = captcha_answer(challenge.challenge_id)
        fullwidth = answer.translate(_FULLWIDTH)
        look_alike = answer.upper().translate(_LOOK_ALIKES)
        assert captcha.check(challenge, fullwidth) is False
        if look_alike != answer.upper():
            assert captcha.check(challenge, look_alike) is False

    def test_an_answer_solves_only_its_own_challenge(
        self, captcha: Captcha, captcha_answer: CaptchaAnswer
    ) -> None:
        """Another challenge's answer is refused; the hash is salted with the id."""
        first, second = captcha.issue(_NOW), captcha.issue(_NOW)
        answer = captcha_answer(first.challenge_id)
        if answer.lower() == captcha_answer(second.challenge_id).lower():
            second = captcha.issue(_NOW)
        assert captcha.check(second, answer) is False
        forged = attrs.evolve(second, answer_hash=first.answer_hash)
        assert captcha.check(forged, answer) is False

    def test_the_answer_is_kept_only_as_a_hash(
        self, captcha: Captcha, captcha_answer: CaptchaAnswer
    ) -> None:
        """No field of the challenge but the media holds the answer in any case."""
        challenge = captcha.issue(_NOW)
        answer = captcha_answer(challenge.challenge_id)
        kept = " ".join(
            str(value) for value in attrs.astuple(challenge.without_media(), recurse=False)
        )
        assert answer.lower() not in kept.lower()
        assert challenge.answer_hash != answer

    def test_a_challenge_carries_an_image_and_a_recording(self, captcha: Captcha) -> None:
        """A drawn captcha's challenge has both media, so no shopper is left without one."""
        if not self.draws_media:
            pytest.skip(f"{type(self).__name__}: the page draws a widget (draws_media)")
        challenge = captcha.issue(_NOW)
        assert challenge.image
        assert challenge.audio

    def test_a_time_without_a_zone_is_refused(self, captcha: Captcha) -> None:
        """``issue`` refuses a naive time: the challenge's expiry would be a guess."""
        with pytest.raises(InvalidFieldError):
            captcha.issue(datetime(2026, 11, 1, 12, 0))

    @pytest.mark.parametrize("challenge", [None, "challenge-id", {"challenge_id": "x"}], ids=repr)
    def test_what_is_not_a_challenge_is_refused_as_bad_input(
        self, captcha: Captcha, challenge: object
    ) -> None:
        """A check of something that is not a challenge is a bug: ``InvalidFieldError``."""
        with pytest.raises(InvalidFieldError):
            captcha.check(challenge, "ANSWER")  # type: ignore[arg-type]

    def test_close_can_be_called(self, captcha: Captcha) -> None:
        """``close`` releases what the captcha holds without error."""
        captcha.close()
