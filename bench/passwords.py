"""Password hashing, the password rules and the captcha, each against its raw baseline.

    python bench/passwords.py [--hashes 40] [--checks 20000] [--captchas 20]

Three pairs, each interleaved call by call so that both sides see the same machine:

* **hash** and **verify**: ``argon2://`` at its defaults (Argon2id, m=64 MiB, t=3, p=4)
  against argon2-cffi's own ``PasswordHasher`` with the same parameters: the adapter's
  type and bound checks over the bare hash;
* **rules**: ``PasswordRules().check`` with the shipped common list against the raw minimum
  a hand-written check does (NFKC, a length test, one set look-up in lower case), on a mix
  of accepted, too short and common passwords (the list is loaded before timing);
* **captcha**: ``DrawnCaptcha.issue`` (a PNG and a WAV of 6 characters, the answer's hash)
  against the captcha package drawing the same with ``ImageCaptcha.generate`` and
  ``AudioCaptcha.generate``.

The first tenth of each series warms up and is left out; times are p50 and p99.
"""

from __future__ import annotations

import argparse
import gzip
import os
import platform
import secrets
import statistics
import time
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime
from importlib import metadata, resources

import argon2
from captcha.audio import AudioCaptcha
from captcha.image import ImageCaptcha

from orderstatus_argon2 import Argon2PasswordHasher
from orderstatus_captcha import DEFAULT_ALPHABET, DrawnCaptcha
from orderstatus_core import PasswordRules
from orderstatus_core.password_lists import COMMON_PASSWORDS_FILE, common_passwords

PASSWORDS = [
    "correct horse battery staple",
    "Password123",
    "kq7wz",
    "1q2w3e4r5t6y7u8i9o0p",
    "Pässwörd mit Umlauten, ja ß",
    "ｐａｓｓｗｏｒｄ１２３ but longer",
]


Pair = tuple[Callable[[int], object], Callable[[int], object]]


def _series(runs: int, pair: Pair) -> tuple[list[float], list[float]]:
    ours: list[float] = []
    raw: list[float] = []
    for number in range(runs):
        for function, times in ((pair[0], ours), (pair[1], raw)):
            start = time.perf_counter()
            function(number)
            times.append(time.perf_counter() - start)
    skip = runs // 10
    return ours[skip:], raw[skip:]


def _row(name: str, unit: str, ours: list[float], raw: list[float]) -> str:
    scale = {"ms": 1e3, "µs": 1e6}[unit]

    def p(values: list[float], q: int) -> float:
        return statistics.quantiles(values, n=100, method="inclusive")[q - 1] * scale

    ratio = statistics.median(ours) / statistics.median(raw)
    return (
        f"| {name} ({unit}) | {p(ours, 50):.1f} | {p(ours, 99):.1f} "
        f"| {p(raw, 50):.1f} | {p(raw, 99):.1f} | {ratio:.2f}x |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hashes", type=int, default=40)
    parser.add_argument("--checks", type=int, default=20_000)
    parser.add_argument("--captchas", type=int, default=20)
    args = parser.parse_args()
    print(
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"argon2-cffi {metadata.version('argon2-cffi')}, captcha {metadata.version('captcha')}, "
        f"load at start {os.getloadavg()[0]:.2f}"
    )

    hasher = Argon2PasswordHasher()
    bare = argon2.PasswordHasher(memory_cost=19456, time_cost=2, parallelism=1)  # the same
    assert hasher.cost.memory_kib == bare.memory_cost
    assert (hasher.cost.time_cost, hasher.cost.parallelism) == (bare.time_cost, bare.parallelism)
    phrase = "correct horse battery staple"
    stored = hasher.hash(phrase)
    assert hasher.verify(stored, phrase)
    assert bare.verify(stored, phrase)
    hashed = _series(args.hashes, (lambda n: hasher.hash(phrase), lambda n: bare.hash(phrase)))
    verified = _series(
        args.hashes,
        (lambda n: hasher.verify(stored, phrase), lambda n: bare.verify(stored, phrase)),
    )

    rules = PasswordRules()
    common = common_passwords()
    # The raw side reads Django's file as Django does: a set of its stripped lines.
    data = resources.files("orderstatus_core").joinpath(COMMON_PASSWORDS_FILE).read_bytes()
    listed = frozenset(line.strip() for line in gzip.decompress(data).decode().splitlines())

    def raw_rules(number: int) -> str | None:
        password = unicodedata.normalize("NFKC", PASSWORDS[number % len(PASSWORDS)])
        if not 15 <= len(password) <= 128:
            return "length"
        return "common" if password.lower().strip() in listed else None

    checked = _series(
        args.checks,
        (
            lambda n: rules.check(PASSWORDS[n % len(PASSWORDS)], common=common),
            raw_rules,
        ),
    )

    drawn = DrawnCaptcha()
    image, audio = ImageCaptcha(width=240, height=90), AudioCaptcha()
    audio.load()

    def raw_captcha(number: int) -> tuple[bytes, bytes]:
        answer = "".join(secrets.choice(DEFAULT_ALPHABET) for _ in range(6))
        return image.generate(answer).getvalue(), bytes(audio.generate(answer))

    captchas = _series(args.captchas, (lambda n: drawn.issue(datetime.now(UTC)), raw_captcha))

    print(f"load at end {os.getloadavg()[0]:.2f}\n")
    print("| what | ours p50 | ours p99 | raw p50 | raw p99 | ours / raw |")
    print("|---|---:|---:|---:|---:|---:|")
    print(_row("Argon2id hash, defaults", "ms", *hashed))
    print(_row("Argon2id verify, defaults", "ms", *verified))
    print(_row("password rules check", "µs", *checked))
    print(_row("captcha issue, PNG + WAV", "ms", *captchas))


if __name__ == "__main__":
    main()
