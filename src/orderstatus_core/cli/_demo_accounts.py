"""The account part of ``orderstatus demo``: Jane signs up with the captcha, verifies her
address from the mailed link, sets a password, logs in with *keep me logged in*, sees the
orders that joined her account, and resets her password.

The captcha is the bundled ``captcha://`` adapter (the ``captcha`` extra); the demo owns its
test hook (``on_issue``) to read each answer, the way a test solves it, and writes the image
(PNG) and the audio (WAV) to the demo folder for the developer to look at and listen to.
Passwords are hashed with ``argon2://`` (the ``argon2`` extra). Without either extra the
part (and the profile part, which goes on with her session) says what to install and is
skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from importlib.util import find_spec
from pathlib import Path
from typing import TypeVar

from orderstatus_core.app import OrderStatus
from orderstatus_core.cli._render import day_text, moment_text, read_mail
from orderstatus_core.errors import OrderStatusError
from orderstatus_core.plugins import get_plugin_manager
from orderstatus_core.ports import Captcha
from orderstatus_core.sample import DEMO_EMAIL
from orderstatus_core.services.accounts import ShopperSession
from orderstatus_core.services.results import (
    CaptchaIssued,
    CheckYourMail,
    EmailVerified,
    HistoryPage,
    LoggedIn,
    NotLoggedIn,
    PasswordReset,
    PasswordSet,
    ResetRequested,
)

__all__ = [
    "DemoCaptcha",
    "DemoFailed",
    "account_extras_missing",
    "demo_captcha",
    "expect",
    "walk_through_accounts",
]

#: The demo's passwords: long, not on the common list (SECURITY B1, B2).
FIRST_PASSWORD = "brake pads for the old red wagon"  # noqa: S105 -- the demo's, printed
NEW_PASSWORD = "a new chain for the blue bicycle"  # noqa: S105 -- the demo's, printed
_LINK = re.compile(r"https://\S+/(verify|reset)\?token=([A-Za-z0-9_.\-]+)")


class DemoFailed(OrderStatusError):
    """A step of the account part did not answer what the walkthrough expects."""


class DemoCaptcha:
    """The answers the ``captcha://`` adapter issued, by challenge id: its test hook."""

    def __init__(self) -> None:
        self.answers: dict[str, str] = {}

    def __call__(self, challenge_id: str, answer: str) -> None:
        self.answers[challenge_id] = answer


def account_extras_missing() -> list[str]:
    """The extras the account part needs that are not installed."""
    return [extra for extra in ("captcha", "argon2") if find_spec(extra) is None]


def demo_captcha(hook: DemoCaptcha) -> Captcha:
    """The bundled drawn captcha with the demo's hook.

    The core names no adapter (DESIGN.md rule 2), and no URL reaches the test hook (on
    purpose): the demo asks the installed ``captcha`` plugin for its class instead.
    """
    plugin = get_plugin_manager().get_plugin("captcha")
    drawn = getattr(plugin, "DrawnCaptcha", None)
    if drawn is None:
        raise DemoFailed("the captcha plugin is not installed (pip install '.[captcha]')")
    captcha: Captcha = drawn(on_issue=hook)
    return captcha


_T = TypeVar("_T")


def expect(answer: object, kind: type[_T], failure: str) -> _T:
    """``answer`` when it is the ``kind`` the walkthrough expects; any other answer stops
    the demo with ``failure``, since it is a bug to report."""
    if not isinstance(answer, kind):
        raise DemoFailed(f"{failure}: {answer}")
    return answer


def _mailed_link(mail_folder: Path, before: set[Path], page: str) -> tuple[Path, str]:
    """The newest mail written since ``before`` that carries a ``page`` link, and the
    link's token."""
    for path in sorted(set(mail_folder.glob("*.eml")) - before, reverse=True):
        _to, _subject, text = read_mail(path)
        for found in _LINK.finditer(text):
            if found[1] == page:
                return path, found[2]
    raise DemoFailed(f"no mail with a /{page} link in {mail_folder}")


def walk_through_accounts(
    desk: OrderStatus,
    say: Callable[..., None],
    heading: Callable[[str], None],
    folder: Path,
    mail_folder: Path,
    hook: DemoCaptcha,
    language: str,
) -> ShopperSession:
    """Jane's account, from sign-up to a reset, printed step by step; her session of the
    last log-in (the profile part goes on with it)."""
    client = "203.0.113.10"

    def relay() -> set[Path]:
        before = set(mail_folder.glob("*.eml"))
        desk.relay_outbox()
        return before

    heading("Sign up with a captcha")
    issued = expect(desk.new_captcha(client=client), CaptchaIssued, "new captcha")
    image, audio = folder / "captcha.png", folder / "captcha.wav"
    image.write_bytes(issued.image)
    audio.write_bytes(issued.audio)
    say(f"  Captcha image written to {image}", f"  Its audio (spoken characters): {audio}")
    answer = hook.answers[issued.challenge_id]
    say(f"  > email {DEMO_EMAIL!r}, captcha answer {answer!r} (read through the test hook)")
    signed = desk.sign_up(
        DEMO_EMAIL,
        challenge_id=issued.challenge_id,
        answer=answer,
        client=client,
        language=language,
    )
    say(f"  {expect(signed, CheckYourMail, 'sign-up').message}")

    heading("Verify from the mailed link and set a password")
    mail, token = _mailed_link(mail_folder, relay(), "verify")
    say(f"  Verification mail: {mail}")
    verified = expect(
        desk.verify_email(token, client=client, language=language), EmailVerified, "verify"
    )
    say("  > follow the link: the address is verified, her orders join the account")
    done = desk.set_password(verified.token, FIRST_PASSWORD, client=client, language=language)
    say(
        f"  > password {FIRST_PASSWORD!r}",
        f"  {expect(done, PasswordSet, 'set password').message}",
    )

    heading("Log in with keep-me-logged-in and see her orders")
    logged = expect(
        desk.log_in(DEMO_EMAIL, FIRST_PASSWORD, remember=True, client=client, language=language),
        LoggedIn,
        "log in",
    )
    say(f"  Logged in; the session lasts until {moment_text(logged.expires_at)} (14 days)")
    shopper = desk.shopper(client=client, session=logged.token, language=language)
    page = expect(shopper.history(), HistoryPage, "history")
    say(f"  Orders that joined her account ({len(page.orders)} on the first page):")
    say(*(f"    {h.number}  placed {day_text(h.placed_at)}" for h in page.orders))

    heading("Forgot password: reset from the mailed link")
    asked = desk.forgot_password(DEMO_EMAIL, client=client, language=language)
    say(f"  {expect(asked, ResetRequested, 'forgot password').message}")
    mail, token = _mailed_link(mail_folder, relay(), "reset")
    say(f"  Reset mail: {mail}")
    reset = desk.reset_password(token, NEW_PASSWORD, client=client, language=language)
    say(f"  > new password {NEW_PASSWORD!r}", f"  {expect(reset, PasswordReset, 'reset').message}")
    expect(shopper.view(), NotLoggedIn, "the old session after a reset")
    say("  The kept session ended with the reset (every device is logged out).")
    again = expect(
        desk.log_in(DEMO_EMAIL, NEW_PASSWORD, client=client, language=language),
        LoggedIn,
        "log in with the new password",
    )
    say("  Logged in again with the new password.")
    return desk.shopper(client=client, session=again.token, language=language)
