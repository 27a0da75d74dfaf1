"""The captcha:// adapter: real PNG images and WAV recordings of the answer, solved in tests
only through the test hook (SECURITY C3), never through a weakened captcha."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import wave
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from captcha import audio as captcha_audio
from PIL import Image

import orderstatus_captcha
from orderstatus_captcha import DEFAULT_ALPHABET, DrawnCaptcha
from orderstatus_core import (
    AdapterError,
    AdapterRegistry,
    CaptchaChallenge,
    InvalidFieldError,
    InvalidUrlError,
)
from orderstatus_core.testing.contracts import CaptchaAnswer, CaptchaContract

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
#: The captcha package's own recordings (and its font), copied into a store's own folder.
PACKAGE_VOICES = Path(captcha_audio.DATA_DIR)


class Answers:
    """The test hook's record: each challenge's answer by its id."""

    def __init__(self) -> None:
        self.by_id: dict[str, str] = {}

    def __call__(self, challenge_id: str, answer: str) -> None:
        self.by_id[challenge_id] = answer


@pytest.fixture
def answers() -> Answers:
    """A fresh record for the test hook."""
    return Answers()


class TestDrawnCaptcha(CaptchaContract):
    """``captcha://`` keeps the Captcha contract, with real images and recordings."""

    @pytest.fixture
    def captcha(self, answers: Answers) -> DrawnCaptcha:
        """The bundled captcha at its defaults, with the test hook."""
        return DrawnCaptcha(on_issue=answers)

    @pytest.fixture
    def captcha_answer(self, answers: Answers) -> CaptchaAnswer:
        """The hook's answer of a challenge."""
        return answers.by_id.__getitem__


def _wav_seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as recording:
        assert (recording.getnchannels(), recording.getsampwidth()) == (1, 1)
        return recording.getnframes() / recording.getframerate()


def test_the_image_is_a_png_of_the_configured_size(answers: Answers) -> None:
    """Pillow decodes the image as a PNG of 240 x 90 by default, and of the size asked."""
    for captcha, size in [
        (DrawnCaptcha(), (240, 90)),
        (DrawnCaptcha.from_url("captcha://?width=320&height=120"), (320, 120)),
    ]:
        challenge = captcha.issue(NOW)
        with Image.open(io.BytesIO(challenge.image)) as image:
            image.verify()
            assert (image.format, image.size) == ("PNG", size)


def test_the_recording_is_a_wav_that_grows_with_the_answer(answers: Answers) -> None:
    """The standard library reads the WAV; each character takes at least a second, so 12
    characters last longer than 4."""
    short = DrawnCaptcha(length=4, alphabet="ABCDEFGHJKLMNPQRSTUVWXYZ23456789").issue(NOW)
    long = DrawnCaptcha(length=12).issue(NOW)
    short_seconds, long_seconds = _wav_seconds(short.audio), _wav_seconds(long.audio)
    assert short_seconds >= 4
    assert long_seconds >= 12
    assert long_seconds > short_seconds


def test_answers_come_from_the_alphabet_and_have_the_length_asked(answers: Answers) -> None:
    """Every answer is ``length`` characters of the alphabet, drawn afresh each time."""
    captcha = DrawnCaptcha(length=8, on_issue=answers)
    for _ in range(5):
        captcha.issue(NOW)
    drawn = list(answers.by_id.values())
    assert all(len(answer) == 8 and set(answer) <= set(DEFAULT_ALPHABET) for answer in drawn)
    assert len(set(drawn)) == len(drawn)


def test_the_default_alphabet_has_no_look_alikes() -> None:
    """No character that a distorted picture or a spoken name confuses with another."""
    for confusable in "0ODQ1ILJT2Z5S8BGUVNCEAF":
        assert confusable not in DEFAULT_ALPHABET
    assert len(DEFAULT_ALPHABET) ** 6 > 1_000_000


def test_a_challenge_lives_ten_minutes_unless_the_url_says_otherwise() -> None:
    """``ttl`` in seconds; ten minutes by default."""
    assert DrawnCaptcha().issue(NOW).expires_at == NOW + timedelta(minutes=10)
    captcha = DrawnCaptcha.from_url("captcha://?ttl=300&length=7")
    challenge = captcha.issue(NOW)
    assert challenge.expires_at == NOW + timedelta(minutes=5)
    assert captcha.length == 7


def test_the_hook_is_told_exactly_the_answer_the_image_holds(answers: Answers) -> None:
    """The hook's answer opens the challenge; the challenge itself never holds it."""
    challenge = DrawnCaptcha(on_issue=answers).issue(NOW)
    answer = answers.by_id[challenge.challenge_id]
    assert challenge.accepts(answer)
    assert answer not in repr(challenge)


def test_the_test_hook_cannot_be_set_from_a_url() -> None:
    """A URL is configuration: nothing in it can reveal answers."""
    with pytest.raises(InvalidUrlError, match="on_issue"):
        DrawnCaptcha.from_url("captcha://?on_issue=print")


@pytest.mark.parametrize(
    "url",
    [
        "captcha://host",
        "captcha:///path",
        "captcha://?length=3",
        "captcha://?length=13",
        "captcha://?length=six",
        "captcha://?length=-6",
        "captcha://?length=%EF%BC%96",  # a fullwidth 6
        "captcha://?ttl=59",
        "captcha://?ttl=3601",
        "captcha://?width=99",
        "captcha://?height=10000000",
        "captcha://?alphabet=abcdefghij",
        "captcha://?alphabet=AABCDEFGHIJK",
        "captcha://?alphabet=ABC",
        "captcha://?alphabet=ABCDE%C3%84FGHIJ",
        "captcha://?alphabet=",
        "captcha://?font=/no/such/font.ttf",
        "captcha://?voices=/no/such/folder",
        "captcha://?colour=red",
    ],
)
def test_a_url_it_cannot_read_is_refused(url: str) -> None:
    """Host, path, bad numbers, a weak or repeating alphabet, missing files, unknown keys."""
    with pytest.raises(InvalidUrlError):
        DrawnCaptcha.from_url(url)


@pytest.mark.parametrize(
    ("keyword", "value"),
    [
        ("length", True),
        ("length", 6.0),
        ("ttl", 600),
        ("fonts", "/a/font.ttf"),
        ("on_issue", "print"),
        ("alphabet", None),
    ],
)
def test_a_wrong_keyword_is_refused(keyword: str, value: object) -> None:
    """The constructor checks its keywords as the URL does."""
    with pytest.raises(InvalidFieldError):
        DrawnCaptcha(**{keyword: value})  # type: ignore[arg-type]


def test_a_store_brings_its_own_font_and_voices(tmp_path: Path, answers: Answers) -> None:
    """``font`` and ``voices`` replace the package's own; every character of the alphabet
    needs a recording, checked when the captcha is made."""
    voices = tmp_path / "voices"
    for char in "ACFHKMPRWX":
        shutil.copytree(PACKAGE_VOICES / char, voices / char)
    font = PACKAGE_VOICES / "DroidSansMono.ttf"
    url = f"captcha://?font={font}&voices={voices}&alphabet=ACFHKMPRWX"
    challenge = DrawnCaptcha.from_url(url).issue(NOW)
    assert _wav_seconds(challenge.audio) >= 6
    with pytest.raises(InvalidUrlError, match="'Y'"):
        DrawnCaptcha.from_url(f"captcha://?voices={voices}&alphabet=ACFHKMPRWXY")


def test_a_broken_recording_fails_when_the_captcha_is_made(tmp_path: Path) -> None:
    """A voice file that is not a WAV stops the store from opening, not a sign-up."""
    voices = tmp_path / "voices"
    for char in "ACFHKMPRWX":
        shutil.copytree(PACKAGE_VOICES / char, voices / char)
    (voices / "A" / "default.wav").write_bytes(b"not a wav file")
    with pytest.raises(InvalidFieldError, match="voices"):
        DrawnCaptcha(voices=str(voices), alphabet="ACFHKMPRWX")


def test_the_plugin_registers_captcha_urls() -> None:
    """``captcha://`` opens a drawn captcha through the registry."""
    registry = AdapterRegistry()
    orderstatus_captcha.orderstatus_register_adapters(registry)
    assert registry.captcha_schemes() == ["captcha"]
    captcha = registry.open_captcha("captcha://?length=7")
    assert isinstance(captcha, DrawnCaptcha)
    assert isinstance(captcha.issue(NOW), CaptchaChallenge)
    captcha.close()


_WITHOUT_PACKAGE = """
import sys
sys.modules["captcha"] = None  # as if the package were not installed
from orderstatus_core import AdapterError, AdapterRegistry
import orderstatus_captcha
registry = AdapterRegistry()
orderstatus_captcha.orderstatus_register_adapters(registry)
print("registered")
try:
    registry.open_captcha("captcha://")
except AdapterError as error:
    print(error)
"""


def test_without_the_captcha_package_the_plugin_loads_and_names_the_extra() -> None:
    """Loading the plugin needs nothing; opening ``captcha://`` says what to install."""
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
        "the captcha:// adapter needs the captcha package: pip install 'orderstatus-core[captcha]'",
    ]
    assert AdapterError.__name__ not in result.stderr
