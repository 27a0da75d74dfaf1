"""Sign-up and verification: captcha single use, the same answer for a new and a known
address (A1, A5), orders join only once the address is verified (F1), link lifetimes
(D3), links from the policy's base only (D4), failures leaving nothing half done."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

from orderstatus_core import (
    AccountPolicy,
    AdapterError,
    CaptchaIssued,
    CaptchaRefused,
    CheckYourMail,
    EmailVerified,
    InvalidFieldError,
    InvalidIdentifierError,
    LinkRefused,
    OrderStatus,
    PasswordNotAccepted,
    PasswordSet,
    TryLater,
    hookimpl,
)
from orderstatus_core.messages import AccountVerificationMail, AlreadyRegisteredMail
from orderstatus_core.model.account import AccountState, SecurityEventKind
from orderstatus_core.services import ServiceContext
from orderstatus_core.testing import FixedClock, fake_context, queued_mail
from orderstatus_core.testing.builders import make_order
from support.accounts import (
    CLIENT,
    PASSWORD,
    mail_of,
    open_storage,
    register,
    sign_up,
    solve_captcha,
    verified,
)

JANE = "jane@example.com"


@pytest.fixture(params=["memory", "sqlite"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceContext]:
    """A store on the memory or the SQLite storage, with the fakes of ``fake_context``."""
    storage = open_storage(request.param, tmp_path)
    yield fake_context(storage)
    storage.close()


def _account(ctx: ServiceContext, email: str = JANE):  # type: ignore[no-untyped-def]
    with ctx.storage.unit_of_work() as uow:
        return uow.accounts.by_email(email)


def test_a_captcha_is_stored_without_its_media_and_answered_once(ctx: ServiceContext) -> None:
    """The first answer uses the challenge up: the right answer a second time is refused."""
    challenge, answer = solve_captcha(ctx)
    desk = OrderStatus(ctx)
    first = desk.sign_up(JANE, challenge_id=challenge, answer=answer, client=CLIENT)
    second = desk.sign_up("mike@example.com", challenge_id=challenge, answer=answer, client=CLIENT)
    assert first == CheckYourMail()
    assert second == CaptchaRefused()


def test_a_wrong_captcha_answer_is_refused_and_uses_the_challenge(ctx: ServiceContext) -> None:
    """A wrong answer queues nothing, and the right one after it no longer works."""
    challenge, answer = solve_captcha(ctx)
    desk = OrderStatus(ctx)
    assert desk.sign_up(JANE, challenge_id=challenge, answer="nope", client=CLIENT) == (
        CaptchaRefused()
    )
    assert desk.sign_up(JANE, challenge_id=challenge, answer=answer, client=CLIENT) == (
        CaptchaRefused()
    )
    assert queued_mail(ctx) == []


@pytest.mark.parametrize("late", [timedelta(0), timedelta(minutes=10)])
def test_a_captcha_is_answered_until_its_lifetime_ends(
    ctx: ServiceContext, late: timedelta
) -> None:
    """Valid at exactly issued + 10 min (SECURITY C3, D3)."""
    challenge, answer = solve_captcha(ctx)
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(late)
    answered = OrderStatus(ctx).sign_up(JANE, challenge_id=challenge, answer=answer, client=CLIENT)
    assert answered == CheckYourMail()


def test_a_captcha_is_refused_one_second_after_its_lifetime(ctx: ServiceContext) -> None:
    """Invalid at issued + 10 min + 1 s."""
    challenge, answer = solve_captcha(ctx)
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(timedelta(minutes=10, seconds=1))
    answered = OrderStatus(ctx).sign_up(JANE, challenge_id=challenge, answer=answer, client=CLIENT)
    assert answered == CaptchaRefused()


def test_new_captcha_images_are_limited_per_client(ctx: ServiceContext) -> None:
    """The eleventh image in a minute waits (SECURITY C3)."""
    desk = OrderStatus(ctx)
    answers = [desk.new_captcha(client=CLIENT) for _ in range(11)]
    assert all(isinstance(answer, CaptchaIssued) for answer in answers[:10])
    assert isinstance(answers[10], TryLater)
    assert isinstance(desk.new_captcha(client="198.51.100.7"), CaptchaIssued)


def test_sign_up_creates_an_unverified_account_and_mails_its_link(ctx: ServiceContext) -> None:
    """The account exists once the relay decided, unverified, with its verification link
    built from the policy's link base (SECURITY D4)."""
    token = sign_up(ctx, "Jane@Example.com")
    account = _account(ctx)
    assert account is not None
    assert account.state is AccountState.UNVERIFIED
    [mail] = mail_of(ctx, AccountVerificationMail)
    assert isinstance(mail, AccountVerificationMail)
    assert mail.link == f"https://shop.example/account/verify?token={token}"
    assert mail.to.display == "Jane@example.com"


def test_sign_up_with_a_known_address_answers_alike_and_mails_a_notice(
    ctx: ServiceContext,
) -> None:
    """SECURITY A1, A5: the same answer; the holder gets "already registered", at the
    stored address, and no second account or link exists."""
    register(ctx, JANE)
    before = len(mail_of(ctx, AccountVerificationMail))
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(timedelta(seconds=181))
    challenge, answer = solve_captcha(ctx)
    answered = OrderStatus(ctx).sign_up(
        "JANE@example.com", challenge_id=challenge, answer=answer, client=CLIENT
    )
    assert answered == CheckYourMail()
    [notice] = mail_of(ctx, AlreadyRegisteredMail)
    assert isinstance(notice, AlreadyRegisteredMail)
    assert notice.to.display == JANE
    assert len(mail_of(ctx, AccountVerificationMail)) == before


def test_verification_mail_goes_once_per_180_seconds_per_address(ctx: ServiceContext) -> None:
    """SECURITY C1: a second sign-up of the same address (in any case) waits."""
    sign_up(ctx, JANE)
    challenge, answer = solve_captcha(ctx)
    again = OrderStatus(ctx).sign_up(
        "JANE@EXAMPLE.COM", challenge_id=challenge, answer=answer, client=CLIENT
    )
    assert isinstance(again, TryLater)
    assert again.retry_after_seconds == 180


def test_orders_join_only_when_the_address_is_verified(ctx: ServiceContext) -> None:
    """SECURITY F1: signed up, nothing is linked; verified, every order of the address is."""
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order("100001", email=JANE))
        uow.orders.add(make_order("100002", email="JANE@example.com"))
        uow.orders.add(make_order("100003", email="ｊａｎｅ@example.com"))
        uow.commit()
    token = sign_up(ctx, JANE)
    with ctx.storage.unit_of_work() as uow:
        assert uow.accounts.order_link("100001") is None
    answer = OrderStatus(ctx).verify_email(token, client=CLIENT)
    assert isinstance(answer, EmailVerified)
    with ctx.storage.unit_of_work() as uow:
        linked = {
            number for number in ("100001", "100002", "100003") if uow.accounts.order_link(number)
        }
    assert linked == {"100001", "100002"}


def test_a_verification_link_works_once(ctx: ServiceContext) -> None:
    """Single use (SECURITY D2)."""
    token = sign_up(ctx, JANE)
    desk = OrderStatus(ctx)
    assert isinstance(desk.verify_email(token, client=CLIENT), EmailVerified)
    assert desk.verify_email(token, client=CLIENT) == LinkRefused()


@pytest.mark.parametrize(
    ("late", "works"), [(timedelta(hours=24), True), (timedelta(hours=24, seconds=1), False)]
)
def test_a_verification_link_lives_24_hours(
    ctx: ServiceContext, late: timedelta, works: bool
) -> None:
    """SECURITY D3: valid at exactly issued + 24 h, refused one second later."""
    token = sign_up(ctx, JANE)
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(late)
    answer = OrderStatus(ctx).verify_email(token, client=CLIENT)
    assert isinstance(answer, EmailVerified) is works


@pytest.mark.parametrize(
    "token", ["", "x", "a" * 22 + "." + "b" * 43, "a" * 5000, "' OR 1=1 --", "\x00.\r\n", 42]
)
def test_a_malformed_or_unknown_link_is_refused(ctx: ServiceContext, token: object) -> None:
    """Bad input is the one ``LinkRefused``, never an error."""
    assert OrderStatus(ctx).verify_email(token, client=CLIENT) == LinkRefused()  # type: ignore[arg-type]


def test_setting_the_password_checks_the_rules_and_keeps_the_token(ctx: ServiceContext) -> None:
    """SECURITY B1, B2: a short or common password is refused with its reason, and the
    same token then sets a good one; it never logs in."""
    token = verified(ctx, JANE).token
    desk = OrderStatus(ctx)
    short = desk.set_password(token, "short", client=CLIENT)
    common = desk.set_password(token, "1q2w3e4r5t6y7u8i9o0p", client=CLIENT)
    assert isinstance(short, PasswordNotAccepted)
    assert short.reason == "too_short"
    assert isinstance(common, PasswordNotAccepted)
    assert common.reason == "common"
    assert desk.set_password(token, PASSWORD, client=CLIENT) == PasswordSet()
    assert desk.set_password(token, PASSWORD + "!", client=CLIENT) == LinkRefused()
    account = _account(ctx)
    assert account is not None
    assert account.password_hash is not None
    assert PASSWORD not in account.password_hash


def test_the_refusal_speaks_the_shoppers_language(ctx: ServiceContext) -> None:
    """Answers are translated: Finnish for ``fi``."""
    token = verified(ctx, JANE).token
    answer = OrderStatus(ctx).set_password(token, "short", client=CLIENT, language="fi")
    assert isinstance(answer, PasswordNotAccepted)
    assert answer.message == "Salasana on liian lyhyt. Valitse pidempi."


@pytest.mark.parametrize("email", ["", "not an address", "a" * 300 + "@example.com", "x@\r\ny"])
def test_sign_up_with_a_malformed_address_raises_and_uses_nothing(
    ctx: ServiceContext, email: str
) -> None:
    """Bad input is a typed error, raised before the captcha is used."""
    challenge, answer = solve_captcha(ctx)
    with pytest.raises(InvalidIdentifierError):
        OrderStatus(ctx).sign_up(email, challenge_id=challenge, answer=answer, client=CLIENT)
    answered = OrderStatus(ctx).sign_up(JANE, challenge_id=challenge, answer=answer, client=CLIENT)
    assert answered == CheckYourMail()


def test_a_client_shaped_like_a_session_id_is_refused(ctx: ServiceContext) -> None:
    """The security log names the client: never a secret (SECURITY C4)."""
    with pytest.raises(InvalidFieldError, match="client"):
        OrderStatus(ctx).new_captcha(client="A" * 43)


def test_without_a_captcha_sign_up_raises_an_adapter_error(ctx: ServiceContext) -> None:
    """A store that configured no captcha is told so, clearly."""
    desk = OrderStatus(attrs.evolve(ctx, captcha=None))
    with pytest.raises(AdapterError, match="captcha"):
        desk.new_captcha(client=CLIENT)
    with pytest.raises(AdapterError, match="captcha"):
        desk.sign_up(JANE, challenge_id="c" * 22, answer="x", client=CLIENT)


class _BrokenCheck:
    """A captcha whose provider is down when an answer is checked."""

    def __init__(self, inner: object) -> None:
        self.inner = inner

    def issue(self, now):  # type: ignore[no-untyped-def]
        return self.inner.issue(now)  # type: ignore[attr-defined]

    def check(self, challenge, answer):  # type: ignore[no-untyped-def]
        raise AdapterError("the captcha provider is unreachable")

    def close(self) -> None:
        pass


def test_a_failing_captcha_check_leaves_the_challenge_unused(ctx: ServiceContext) -> None:
    """The error propagates, nothing is queued, and the challenge still takes its answer."""
    challenge, answer = solve_captcha(ctx)
    broken = OrderStatus(attrs.evolve(ctx, captcha=_BrokenCheck(ctx.captcha)))
    with pytest.raises(AdapterError):
        broken.sign_up(JANE, challenge_id=challenge, answer=answer, client=CLIENT)
    assert queued_mail(ctx) == []
    answered = OrderStatus(ctx).sign_up(JANE, challenge_id=challenge, answer=answer, client=CLIENT)
    assert answered == CheckYourMail()


class _OwnLinks:
    @hookimpl
    def orderstatus_account_policy(self) -> AccountPolicy:
        return attrs.evolve(AccountPolicy(), link_base="https://parts.example/my")


def test_links_come_from_the_policys_link_base() -> None:
    """SECURITY D4: the store's ``orderstatus_account_policy`` names where links point."""
    ctx = fake_context(plugins=[_OwnLinks()])
    sign_up(ctx, JANE)
    [mail] = mail_of(ctx, AccountVerificationMail)
    assert isinstance(mail, AccountVerificationMail)
    assert mail.link.startswith("https://parts.example/my/verify?token=")


def test_the_security_log_records_sign_up_and_verification(ctx: ServiceContext) -> None:
    """SECURITY C4: masked email, no token."""
    token = sign_up(ctx, JANE)
    OrderStatus(ctx).verify_email(token, client=CLIENT)
    account = _account(ctx)
    assert account is not None
    with ctx.storage.unit_of_work() as uow:
        events = uow.accounts.events(account.account_id, 10)
    assert [event.kind for event in events] == [
        SecurityEventKind.EMAIL_VERIFIED,
        SecurityEventKind.SIGNED_UP,
    ]
    assert all(event.masked_email == "j•••@example.com" for event in events)
    validator = token.partition(".")[2]
    assert all(validator not in repr(event) for event in events)
