"""The drawn captcha: an image and a spoken recording of the same characters, made with the
``captcha`` package (``captcha.image.ImageCaptcha``, ``captcha.audio.AudioCaptcha``)."""

from __future__ import annotations

import os
import secrets
import wave
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

from captcha.audio import WAVE_SAMPLE_RATE, AudioCaptcha, mix_wave
from captcha.image import ImageCaptcha

from orderstatus_core import CaptchaChallenge, InvalidFieldError, InvalidUrlError, ValidationError
from orderstatus_core.model.captcha import CAPTCHA_TTL
from orderstatus_core.model.order import utc

__all__ = ["DEFAULT_ALPHABET", "DrawnCaptcha", "OnIssue"]

#: The characters an answer is drawn from: none that looks like another in a distorted
#: picture (0/O/D/Q, 1/I/L/J/T, 2/Z, 5/S, 8/B, 6/G, U/V, N/M) and at most one of each
#: group whose English names rhyme (B/C/D/E/G/P/T/V/Z, A/J/K, F/S/X, I/Y, Q/U/W), so the
#: recording is as clear as the picture. 13 characters, 6 of them: 4.8 million answers.
DEFAULT_ALPHABET = "HKMPRWXY34679"

#: The test hook: called with each issued challenge's id and answer.
OnIssue = Callable[[str, str], None]

# The characters the captcha package has a recording of (its own voices).
_PACKAGE_VOICES = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_MIN_ANSWERS = 1_000_000
_LENGTHS = range(4, 13)
_WIDTHS = range(100, 801)
_HEIGHTS = range(40, 301)
_SHORTEST_TTL = timedelta(minutes=1)
_LONGEST_TTL = timedelta(hours=1)
_URL_KEYS = frozenset({"length", "alphabet", "ttl", "width", "height", "font", "voices"})
# Background noise samples, one random byte each mapped to the package's noise levels
# (``v % 4 + 126``), drawn with one call to the system's random source.
_NOISE_LEVELS = bytes(value % 4 + 126 for value in range(256))


class _Voices(AudioCaptcha):
    """The package's recorder, with its background noise drawn in one call.

    ``AudioCaptcha`` draws every noise sample with its own ``secrets.randbelow`` call, over
    100,000 system calls for a 6-character clip (half a second of CPU); the same noise
    from one ``secrets.token_bytes`` call makes a clip about four times faster. The rest
    is the package's own loop.
    """

    def create_background_noise(self, length: int, chars: str) -> bytearray:
        noise = bytearray(secrets.token_bytes(length).translate(_NOISE_LEVELS))
        position = 0
        while position < length:
            sound = self._noise_pick()
            end = position + len(sound) + 1
            noise[position:end] = mix_wave(sound, noise[position:end])
            position = end + secrets.randbelow(WAVE_SAMPLE_RATE // 10 + 1)
        return noise


class DrawnCaptcha:
    """A :class:`~orderstatus_core.Captcha` that draws its challenges itself: a PNG of the
    answer's characters, distorted, and a WAV of the same characters spoken over noise.

    Every answer is ``length`` characters drawn with :mod:`secrets` from ``alphabet``;
    each challenge id is 128 bits from :mod:`secrets`. Nothing is remembered once a
    challenge is issued (the port is stateless): the challenge carries the answer's hash.

    ``fonts`` (TrueType files) and ``voices`` (a folder with one sub-folder of ``.wav``
    recordings per character, as ``captcha.audio.AudioCaptcha`` reads it) replace the
    package's own font and voice, which every captcha solver has seen: a store that
    faces real bots should bring its own. Both are read here, so a missing file fails
    when the store opens.

    ``on_issue`` is the **test hook**: it is called with each challenge's id and answer,
    so that a test can solve the image without weakening the captcha. It cannot be set
    from a URL.
    """

    def __init__(
        self,
        *,
        length: int = 6,
        alphabet: str = DEFAULT_ALPHABET,
        ttl: timedelta = CAPTCHA_TTL,
        width: int = 240,
        height: int = 90,
        fonts: Sequence[str] = (),
        voices: str | None = None,
        on_issue: OnIssue | None = None,
    ) -> None:
        _check_whole("length", length, _LENGTHS)
        _check_whole("width", width, _WIDTHS)
        _check_whole("height", height, _HEIGHTS)
        self.alphabet = _checked_alphabet(alphabet, length)
        if not isinstance(ttl, timedelta) or not _SHORTEST_TTL <= ttl <= _LONGEST_TTL:
            raise InvalidFieldError("ttl", "must be a timedelta from 1 minute to 1 hour")
        if on_issue is not None and not callable(on_issue):
            raise InvalidFieldError("on_issue", "must be a function of (challenge_id, answer)")
        self.length = length
        self.ttl = ttl
        self.width = width
        self.height = height
        self._on_issue = on_issue
        self._image = _image_maker(width, height, fonts)
        self._voices = _voices(voices, self.alphabet)

    @classmethod
    def from_url(cls, url: str) -> DrawnCaptcha:
        """``captcha://`` with optional ``length=6``, ``alphabet=HKMPRWXY34679``,
        ``ttl=600`` (seconds), ``width=240``, ``height=90``, ``font=/path/to/font.ttf``
        (repeatable) and ``voices=/path/to/voices``."""
        parts = urlsplit(url)
        if parts.netloc or parts.path not in ("", "/"):
            raise InvalidUrlError("a captcha URL has no host or path: captcha://?length=6")
        query = parse_qs(parts.query, keep_blank_values=True)
        unknown = sorted(set(query) - _URL_KEYS)
        if unknown:
            raise InvalidUrlError(f"unknown captcha URL parameter {unknown[0][:20]!r}")
        try:
            return cls(
                length=_url_int(query, "length", 6),
                alphabet=query.get("alphabet", [DEFAULT_ALPHABET])[-1],
                ttl=timedelta(seconds=_url_int(query, "ttl", int(CAPTCHA_TTL.total_seconds()))),
                width=_url_int(query, "width", 240),
                height=_url_int(query, "height", 90),
                fonts=query.get("font", []),
                voices=query.get("voices", [None])[-1],
            )
        except ValidationError as error:
            raise InvalidUrlError(f"captcha URL: {error}") from None

    def issue(self, now: datetime) -> CaptchaChallenge:
        """A new challenge issued at ``now``, with its PNG image and WAV recording."""
        issued_at = utc(now)
        challenge_id = secrets.token_urlsafe(16)
        answer = "".join(secrets.choice(self.alphabet) for _ in range(self.length))
        image = self._image.generate(answer, format="png").getvalue()
        audio = bytes(self._voices.generate(answer))
        challenge = CaptchaChallenge.issue(
            challenge_id, answer, issued_at, self.ttl, image=image, audio=audio
        )
        if self._on_issue is not None:
            self._on_issue(challenge_id, answer)
        return challenge

    def check(self, challenge: CaptchaChallenge, answer: object) -> bool:
        """Whether ``answer`` is the challenge's answer (see
        :meth:`CaptchaChallenge.accepts <orderstatus_core.CaptchaChallenge.accepts>`)."""
        if not isinstance(challenge, CaptchaChallenge):
            raise InvalidFieldError(
                "challenge", f"must be a CaptchaChallenge, not {type(challenge).__name__}"
            )
        return challenge.accepts(answer)

    def close(self) -> None:
        """Nothing to release: every challenge is drawn in memory."""


def _check_whole(field: str, value: object, allowed: range) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value not in allowed:
        raise InvalidFieldError(field, f"must be a whole number from {allowed[0]} to {allowed[-1]}")


def _checked_alphabet(alphabet: object, length: int) -> str:
    if not isinstance(alphabet, str) or not alphabet:
        raise InvalidFieldError("alphabet", "must be text")
    if any(char not in _PACKAGE_VOICES for char in alphabet):
        raise InvalidFieldError("alphabet", "must hold only the letters A-Z and digits 0-9")
    if len(set(alphabet)) != len(alphabet):
        raise InvalidFieldError("alphabet", "must not repeat a character")
    if len(alphabet) ** length < _MIN_ANSWERS:
        raise InvalidFieldError(
            "alphabet",
            f"{len(alphabet)} characters at length {length} make fewer than a million answers",
        )
    return alphabet


def _image_maker(width: int, height: int, fonts: Sequence[str]) -> ImageCaptcha:
    if isinstance(fonts, str) or not all(isinstance(font, str) and font for font in fonts):
        raise InvalidFieldError("fonts", "must be a list of TrueType file paths")
    maker = ImageCaptcha(width=width, height=height, fonts=list(fonts) or None)
    try:
        # Read every font now, so that a missing file stops the store from opening
        # instead of the first sign-up.
        _ = maker.truefonts
    except OSError as error:
        raise InvalidFieldError("fonts", f"cannot read a font: {error}") from None
    return maker


def _voices(folder: str | None, alphabet: str) -> _Voices:
    if folder is not None:
        if not isinstance(folder, str) or not os.path.isdir(folder):
            raise InvalidFieldError("voices", "must be a folder of recordings")
        for char in alphabet:
            recordings = os.path.join(folder, char)
            if not os.path.isdir(recordings) or not any(
                name.endswith(".wav") for name in os.listdir(recordings)
            ):
                raise InvalidFieldError("voices", f"has no .wav recording of {char!r}")
    voices = _Voices(voicedir=folder)
    try:
        # Loaded once, here: the package loads lazily on first use, which two threads
        # issuing the first challenges at once would race on.
        voices.load()
    except (OSError, EOFError, wave.Error) as error:
        raise InvalidFieldError("voices", f"cannot read a recording: {error}") from None
    return voices


def _url_int(query: dict[str, list[str]], key: str, default: int) -> int:
    values = query.get(key)
    if not values:
        return default
    text = values[-1].strip()
    if not text.isascii() or not text.isdigit() or len(text) > 6:
        raise InvalidUrlError(f"captcha URL {key} must be a whole number, not {text[:20]!r}")
    return int(text)
