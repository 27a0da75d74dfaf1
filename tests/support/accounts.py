"""Shoppers with accounts, for the account tests: sign-up to log-in in a few calls, on
the memory or the SQLite storage."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from orderstatus_core import (
    CaptchaIssued,
    CheckYourMail,
    EmailVerified,
    LoggedIn,
    OrderStatus,
    PasswordSet,
    ResetRequested,
)
from orderstatus_core.messages import (
    AccountVerificationMail,
    MailIntent,
    OutboxMessage,
    PasswordResetMail,
)
from orderstatus_core.ports import Storage
from orderstatus_core.services import ServiceContext
from orderstatus_core.testing import RecordingCaptcha, queued_mail
from orderstatus_memory import MemoryStorage
from orderstatus_sqlite import SqliteStorage

CLIENT = "203.0.113.9"
PASSWORD = "correct horse battery staple"


def open_storage(kind: str, tmp_path: Path) -> Storage:
    """A new, migrated storage of ``kind`` (``memory`` or ``sqlite``)."""
    storage: Storage
    if kind == "memory":
        storage = MemoryStorage()
    else:
        storage = SqliteStorage.from_url(f"sqlite:///{tmp_path / 'accounts.db'}")
    storage.migrate()
    return storage


def token_of(link: str) -> str:
    """The ``?token=`` value of a mailed link."""
    return link.partition("?token=")[2]


def mail_of(ctx: ServiceContext, kind: type[MailIntent]) -> list[MailIntent]:
    """The queued mail of one kind, oldest first, once the relay decided every request."""
    return [mail for mail in queued_mail(ctx) if isinstance(mail, kind)]


def solve_captcha(ctx: ServiceContext, client: str = CLIENT) -> tuple[str, str]:
    """A new challenge's id and its right answer."""
    issued = OrderStatus(ctx).new_captcha(client=client)
    assert isinstance(issued, CaptchaIssued), issued
    assert isinstance(ctx.captcha, RecordingCaptcha)
    return issued.challenge_id, ctx.captcha.answer_for(issued.challenge_id)


def sign_up(ctx: ServiceContext, email: str, client: str = CLIENT) -> str:
    """Sign ``email`` up; answer the verification link's token."""
    challenge, answer = solve_captcha(ctx, client)
    answered = OrderStatus(ctx).sign_up(email, challenge_id=challenge, answer=answer, client=client)
    assert answered == CheckYourMail(), answered
    [mail, *_] = reversed(mail_of(ctx, AccountVerificationMail))
    assert isinstance(mail, AccountVerificationMail)
    return token_of(mail.link)


def verified(ctx: ServiceContext, email: str) -> EmailVerified:
    """Sign ``email`` up and follow the link."""
    answer = OrderStatus(ctx).verify_email(sign_up(ctx, email), client=CLIENT)
    assert isinstance(answer, EmailVerified), answer
    return answer


def register(ctx: ServiceContext, email: str, password: str = PASSWORD) -> None:
    """Sign ``email`` up, verify it and set ``password``."""
    answer = OrderStatus(ctx).set_password(verified(ctx, email).token, password, client=CLIENT)
    assert answer == PasswordSet(), answer


def log_in(
    ctx: ServiceContext, email: str, password: str = PASSWORD, *, remember: bool = False
) -> LoggedIn:
    """Log in, which must succeed."""
    answer = OrderStatus(ctx).log_in(email, password, remember=remember, client=CLIENT)
    assert isinstance(answer, LoggedIn), answer
    return answer


def reset_token(ctx: ServiceContext, email: str) -> str:
    """Forgot password for ``email``; answer the mailed reset link's token."""
    assert OrderStatus(ctx).forgot_password(email, client=CLIENT) == ResetRequested()
    mail = mail_of(ctx, PasswordResetMail)[-1]
    assert isinstance(mail, PasswordResetMail)
    return token_of(mail.link)


def outbox(ctx: ServiceContext) -> Iterator[OutboxMessage]:
    """Every outbox message, delivered or not."""
    with ctx.storage.unit_of_work() as uow:
        yield from uow.outbox.pending(10_000)


__all__ = [
    "CLIENT",
    "PASSWORD",
    "log_in",
    "mail_of",
    "open_storage",
    "outbox",
    "register",
    "reset_token",
    "sign_up",
    "solve_captcha",
    "token_of",
    "verified",
]
