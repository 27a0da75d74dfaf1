"""SECURITY A1, A4 and D1-D4 for the guest pass: same answers, stored hashes, strong tokens,
hostile input refused alike."""

from __future__ import annotations

import sqlite3
import string
from contextlib import closing
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import attrs
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from orderstatus_core import (
    GuestPassGranted,
    GuestPassMail,
    GuestPassPolicy,
    GuestPassRefused,
    GuestPassRequested,
    InvalidFieldError,
    Quota,
    email_key,
    phone_key,
)
from orderstatus_core.plugins import hookimpl
from orderstatus_core.ports import Storage
from orderstatus_core.services import (
    ServiceContext,
    check_guest_pass,
    request_guest_pass,
    verify_guest_code,
    verify_guest_link,
)
from orderstatus_core.testing import (
    CountingRateLimiter,
    FixedClock,
    fake_context,
    policies_with,
    queued_mail,
)
from orderstatus_core.testing.builders import make_order
from orderstatus_core.testing.strategies import email_texts, hostile_text, order_numbers
from orderstatus_memory import MemoryRateLimiter, MemoryStorage
from orderstatus_sqlite import SqliteStorage

JANE = "Jane.Doe@example.com"
JANE_PHONE = "+14155552671"
ORDER = "123456789"
CLIENT = "203.0.113.9"
URLSAFE = set(string.ascii_letters + string.digits + "-_")
# Generous limits, for tests that make many requests on purpose.
_PLENTY = Quota(100_000, timedelta(minutes=1))
RELAXED = GuestPassPolicy(
    request_per_client=_PLENTY,
    request_per_identifier=_PLENTY,
    request_per_order_number=_PLENTY,
    verify_per_client=_PLENTY,
    verify_per_order_number=_PLENTY,
)


class Relaxed:
    """A store with the generous guest-pass limits above."""

    @hookimpl
    def orderstatus_guest_pass_policy(self) -> GuestPassPolicy:
        return RELAXED


def _context(
    with_order: str | None = ORDER, storage: Storage | None = None
) -> tuple[ServiceContext, CountingRateLimiter]:
    limiter = CountingRateLimiter(MemoryRateLimiter())
    ctx = fake_context(storage, rate_limiter=limiter)
    if with_order is not None:
        with ctx.storage.unit_of_work(write=True) as uow:
            uow.orders.add(make_order(with_order, email=JANE, phone=JANE_PHONE))
            uow.commit()
    return ctx, limiter


def _mails(ctx: ServiceContext) -> list[GuestPassMail]:
    return [mail for mail in queued_mail(ctx) if isinstance(mail, GuestPassMail)]


def _link_token(mail: GuestPassMail) -> str:
    return parse_qs(urlsplit(mail.link).query)["token"][0]


def _is_janes(identifier: str) -> bool:
    return email_key(identifier) == email_key(JANE) or phone_key(identifier) == JANE_PHONE


# --- A1, A4: the same answer, mail only to the stored address ----------------------------

identifiers = st.one_of(
    email_texts(),
    hostile_text(),
    st.text(max_size=300),
    st.sampled_from(["(415) 555-0000", "", " ", "@", "jane.doe@example", "jаne.doe@example.com"]),
)
numbers = st.one_of(order_numbers(), st.text(max_size=40), hostile_text())


@given(identifier=identifiers, number=numbers)
def test_a_request_answers_alike_for_a_match_and_a_miss(identifier: str, number: str) -> None:
    """Jane's pair and any other pair: the same answer, the same limiter shape; mail only
    for Jane, and only to her stored address."""
    assume(not _is_janes(identifier))
    customer, customer_limiter = _context()
    stranger, stranger_limiter = _context()

    answer_customer = request_guest_pass(customer, "JANE.DOE@EXAMPLE.COM", ORDER, client=CLIENT)
    answer_stranger = request_guest_pass(stranger, identifier, number, client=CLIENT)

    assert answer_customer == answer_stranger == GuestPassRequested()
    assert customer_limiter.shape() == stranger_limiter.shape()
    assert [mail.to.display for mail in _mails(customer)] == [JANE]
    assert _mails(stranger) == []


@given(identifier=identifiers, number=numbers)
def test_a_wrong_pair_answers_like_a_missing_order(identifier: str, number: str) -> None:
    """An existing order under a wrong pair and no order at all: equal limiter calls."""
    assume(not _is_janes(identifier))
    existing, existing_limiter = _context(with_order=ORDER)
    missing, missing_limiter = _context(with_order=None)
    assert (
        request_guest_pass(existing, identifier, number, client=CLIENT)
        == request_guest_pass(missing, identifier, number, client=CLIENT)
        == GuestPassRequested()
    )
    assert existing_limiter.calls == missing_limiter.calls
    assert _mails(existing) == _mails(missing) == []


@pytest.mark.parametrize(
    "typed", ["jаne.doe@example.com", "jane.doe@example.com.", "jane.doe@exаmple.com"]
)
def test_a_confusable_address_gets_no_mail(typed: str) -> None:
    """Cyrillic letters and a trailing dot are other addresses: no mail to anyone (A4)."""
    ctx, _ = _context()
    assert request_guest_pass(ctx, typed, ORDER, client=CLIENT) == GuestPassRequested()
    assert _mails(ctx) == []


def test_the_mail_goes_to_the_stored_address_whatever_was_typed() -> None:
    """Typed in other case with spaces, or as a phone number: the stored address gets it."""
    ctx, _ = _context()
    request_guest_pass(ctx, "  JANE.DOE@EXAMPLE.COM  ", ORDER, client=CLIENT)
    request_guest_pass(ctx, "(415) 555-2671", ORDER, client="other")
    assert [mail.to.display for mail in _mails(ctx)] == [JANE, JANE]


def test_verification_refusals_are_all_alike() -> None:
    """Wrong, expired, used, unknown: one refusal, equal in every field."""
    ctx, _ = _context()
    ctx = attrs.evolve(ctx, policies=policies_with(Relaxed()))
    request_guest_pass(ctx, JANE, ORDER, client=CLIENT)
    [mail] = _mails(ctx)
    wrong = f"{(int(mail.code) + 1) % 1_000_000:06d}"
    answers = [
        verify_guest_code(ctx, ORDER, wrong, client=CLIENT),
        verify_guest_code(ctx, "555555555", mail.code, client=CLIENT),
        verify_guest_link(ctx, f"{'A' * 22}.{'B' * 43}", client=CLIENT),
    ]
    assert isinstance(verify_guest_code(ctx, ORDER, mail.code, client=CLIENT), GuestPassGranted)
    answers.append(verify_guest_code(ctx, ORDER, mail.code, client=CLIENT))  # used
    assert all(answer == GuestPassRefused() for answer in answers)


# --- D1: stored only as hashes -----------------------------------------------------------


def _secrets_of_a_full_flow(ctx: ServiceContext) -> tuple[str, str, str]:
    """Request, verify the code; answer the code, the link validator and the pass validator."""
    request_guest_pass(ctx, JANE, ORDER, client=CLIENT)
    [mail] = _mails(ctx)
    granted = verify_guest_code(ctx, ORDER, mail.code, client=CLIENT)
    assert isinstance(granted, GuestPassGranted)
    link_validator = _link_token(mail).partition(".")[2]
    return mail.code, link_validator, granted.token.partition(".")[2]


def test_the_memory_store_keeps_only_hashes() -> None:
    """Neither the code nor any validator is in the stored challenges and passes."""
    storage = MemoryStorage()
    ctx, _ = _context(storage=storage)
    code, link_validator, pass_validator = _secrets_of_a_full_flow(ctx)
    state = storage._state
    stored = repr([attrs.asdict(v) for v in (*state.challenges.values(), *state.passes.values())])
    assert len(state.challenges) == len(state.passes) == 1
    for secret in (code, link_validator, pass_validator):
        assert secret not in stored


def test_the_sqlite_rows_keep_only_hashes(tmp_path: Path) -> None:
    """Neither the code nor any validator is in a row of the guest-pass tables."""
    storage = SqliteStorage.from_url(f"sqlite:///{tmp_path / 'orders.db'}")
    storage.migrate()
    try:
        ctx, _ = _context(storage=storage)
        code, link_validator, pass_validator = _secrets_of_a_full_flow(ctx)
    finally:
        storage.close()
    with closing(sqlite3.connect(tmp_path / "orders.db")) as connection:
        challenges = connection.execute("SELECT * FROM guest_pass_challenges").fetchall()
        passes = connection.execute("SELECT * FROM guest_passes").fetchall()
    assert len(challenges) == len(passes) == 1
    for secret in (code, link_validator, pass_validator):
        assert secret not in repr(challenges + passes)


# --- D1: entropy from secrets ------------------------------------------------------------


def test_tokens_are_long_urlsafe_and_never_repeat() -> None:
    """1000 links and passes: 128-bit selectors (22 characters), 256-bit validators (43),
    URL-safe base64, all distinct; codes are six ASCII digits, zero-padded."""
    ctx, _ = _context()
    ctx = attrs.evolve(ctx, policies=policies_with(Relaxed()))
    tokens: list[str] = []
    codes: list[str] = []
    for _ in range(1000):
        request_guest_pass(ctx, JANE, ORDER, client=CLIENT)
        mail = _mails(ctx)[-1]
        ctx.clock.advance(timedelta(microseconds=1))  # type: ignore[attr-defined]
        granted = verify_guest_link(ctx, _link_token(mail), client=CLIENT)
        assert isinstance(granted, GuestPassGranted)
        tokens += [_link_token(mail), granted.token]
        codes.append(mail.code)
    parts = [part for token in tokens for part in token.split(".")]
    selectors, validators = parts[0::2], parts[1::2]
    assert {len(s) for s in selectors} == {22}
    assert {len(v) for v in validators} == {43}
    assert set("".join(parts)) <= URLSAFE
    assert len(set(selectors)) == len(set(validators)) == 2000
    assert all(len(code) == 6 and set(code) <= set(string.digits) for code in codes)
    assert len(set(codes)) > 950  # a birthday clash or two among a million codes is normal
    assert any(code.startswith("0") for code in codes)


# --- hostile input -----------------------------------------------------------------------


@pytest.fixture
def challenged() -> tuple[ServiceContext, GuestPassMail]:
    """A context whose order 123456789 has a fresh challenge, and the mail it sent."""
    ctx, _ = _context()
    request_guest_pass(ctx, JANE, ORDER, client=CLIENT)
    [mail] = _mails(ctx)
    return ctx, mail


_ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")
_FULLWIDTH = str.maketrans("0123456789", "０１２３４５６７８９")
HOSTILE_CODES = [
    lambda c: c.translate(_ARABIC),
    lambda c: c.translate(_FULLWIDTH),
    lambda c: c + "\n",
    lambda c: c + "\r\n",
    lambda c: "\r\n" + c,
    lambda c: c[:3] + "\n" + c[3:],
    lambda c: c + "\x00",
    lambda c: c + "\t",
    lambda c: c * 2,
    lambda c: c[:5],
    lambda c: "1" * 100_000,
    lambda c: "abcdef",
    lambda c: "",
    lambda c: None,
    lambda c: int(c),
    lambda c: c.encode(),
    lambda c: [c],
    lambda c: {"code": c},
]


@pytest.mark.parametrize("hostile", HOSTILE_CODES)
def test_a_hostile_code_is_refused_without_using_a_try(
    challenged: tuple[ServiceContext, GuestPassMail], hostile: object
) -> None:
    """Unicode digits, line breaks, NUL, over-long text, wrong types: the one refusal, no
    exception, and the right code still works afterwards."""
    ctx, mail = challenged
    typed = hostile(mail.code)  # type: ignore[operator]
    assert verify_guest_code(ctx, ORDER, typed, client=CLIENT) == GuestPassRefused()
    assert isinstance(verify_guest_code(ctx, ORDER, mail.code, client=CLIENT), GuestPassGranted)


HOSTILE_TOKENS = [
    lambda t: t + "\n",
    lambda t: t + "\r\nSet-Cookie: x=1",
    lambda t: t + "=",
    lambda t: t.replace(".", "%2E"),
    lambda t: t.replace(".", ". "),
    lambda t: t.partition(".")[0],
    lambda t: t.partition(".")[2],
    lambda t: t + t,
    lambda t: t + "A" * 100_000,
    lambda t: "А" + t[1:],  # a Cyrillic А in front
    lambda t: "." * len(t),
    lambda t: "",
    lambda t: None,
    lambda t: t.encode(),
    lambda t: 12345,
    lambda t: [t],
]


@pytest.mark.parametrize("hostile", HOSTILE_TOKENS)
def test_a_hostile_link_token_is_refused_without_using_a_try(
    challenged: tuple[ServiceContext, GuestPassMail], hostile: object
) -> None:
    """A mangled or foreign token: the one refusal, and the real link still works."""
    ctx, mail = challenged
    token = _link_token(mail)
    typed = hostile(token)  # type: ignore[operator]
    assert typed != token
    assert verify_guest_link(ctx, typed, client=CLIENT) == GuestPassRefused()
    assert isinstance(verify_guest_link(ctx, token, client=CLIENT), GuestPassGranted)


@pytest.mark.parametrize(
    "number", [None, 123456789, "x" * 100_000, "١٢٣٤٥٦٧٨٩", "123456789\r\n", ["123456789"]]
)
def test_a_hostile_order_number_is_refused(
    challenged: tuple[ServiceContext, GuestPassMail], number: object
) -> None:
    """Verification and the pass check refuse a malformed order number quietly."""
    ctx, mail = challenged
    assert verify_guest_code(ctx, number, mail.code, client=CLIENT) == GuestPassRefused()  # type: ignore[arg-type]
    assert request_guest_pass(ctx, JANE, number, client=CLIENT) == GuestPassRequested()  # type: ignore[arg-type]
    granted = verify_guest_code(ctx, ORDER, mail.code, client=CLIENT)
    assert isinstance(granted, GuestPassGranted)
    assert check_guest_pass(ctx, granted.token, number, ctx.clock.now()) is False  # type: ignore[arg-type]


@pytest.mark.parametrize("token", [None, 1, "", "x" * 100_000, "a.b", b"a.b", "\r\n"])
def test_a_hostile_pass_token_is_no_pass(token: object) -> None:
    """``check_guest_pass`` answers ``False`` for anything malformed, never raises."""
    ctx, _ = _context()
    assert check_guest_pass(ctx, token, ORDER, FixedClock.START) is False  # type: ignore[arg-type]


@pytest.mark.parametrize("identifier", [None, 42, b"jane.doe@example.com", ["x"], "\r\n" * 500])
def test_a_hostile_identifier_gets_the_usual_answer(identifier: object) -> None:
    """Wrong types in a request are a miss like any other."""
    ctx, _ = _context()
    assert request_guest_pass(ctx, identifier, ORDER, client=CLIENT) == GuestPassRequested()  # type: ignore[arg-type]
    assert _mails(ctx) == []


def test_only_a_missing_client_key_raises() -> None:
    """The one exception a caller can cause: not saying who is asking."""
    ctx, _ = _context()
    with pytest.raises(InvalidFieldError):
        verify_guest_code(ctx, ORDER, "123456", client=None)  # type: ignore[arg-type]


@given(typed=st.one_of(st.text(max_size=50), hostile_text()))
def test_any_text_as_a_code_is_refused_without_an_exception(typed: str) -> None:
    """Whatever is typed, short of the code itself: the one refusal."""
    ctx, _ = _context()
    request_guest_pass(ctx, JANE, ORDER, client=CLIENT)
    [mail] = _mails(ctx)
    assume(typed.replace(" ", "") != mail.code)
    assert verify_guest_code(ctx, ORDER, typed, client=CLIENT) == GuestPassRefused()


@given(typed=st.one_of(st.text(max_size=120), hostile_text()))
def test_any_text_as_a_link_token_is_refused_without_an_exception(typed: str) -> None:
    """Any text but the real token: the one refusal."""
    ctx, _ = _context()
    assert verify_guest_link(ctx, typed, client=CLIENT) == GuestPassRefused()
    assert check_guest_pass(ctx, typed, ORDER, FixedClock.START) is False
