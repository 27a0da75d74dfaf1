"""Log-in, sessions and log-out: one answer for every refusal (A1), exactly one hash per
attempt (A2), rehash of stale hashes (B3), limits (C1), the lock after 100 failures that
only a reset opens (C2), session lifetimes at TTL and TTL + 1 s (E1), new hashed ids (E2),
log-out on the server (E3), and a page view that writes at most once a minute."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import attrs
import pytest

from orderstatus_core import (
    AccountPolicy,
    AccountView,
    AdapterError,
    InvalidFieldError,
    LoggedIn,
    LoggedOut,
    LogInRefused,
    NotLoggedIn,
    OrderStatus,
    PasswordReset,
    TryLater,
    hookimpl,
)
from orderstatus_core.messages import PasswordResetMail
from orderstatus_core.model.account import (
    Account,
    SecurityEventKind,
    failure_key,
    hash_session_id,
)
from orderstatus_core.services import ServiceContext
from orderstatus_core.services.accounts import login as login_module
from orderstatus_core.testing import CountingPasswordHasher, FixedClock, fake_context
from orderstatus_memory.storage import _Accounts as MemoryAccounts
from orderstatus_sqlite._repositories import Accounts as SqliteAccounts
from support.accounts import (
    CLIENT,
    PASSWORD,
    log_in,
    mail_of,
    open_storage,
    register,
    sign_up,
    token_of,
)

JANE = "jane@example.com"


@pytest.fixture(params=["memory", "sqlite"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceContext]:
    """A store with Jane registered, on the memory or the SQLite storage."""
    storage = open_storage(request.param, tmp_path)
    context = fake_context(storage)
    register(context, JANE)
    yield context
    storage.close()


def _hasher(ctx: ServiceContext) -> CountingPasswordHasher:
    assert isinstance(ctx.password_hasher, CountingPasswordHasher)
    return ctx.password_hasher


def _clock(ctx: ServiceContext) -> FixedClock:
    assert isinstance(ctx.clock, FixedClock)
    return ctx.clock


def test_a_right_password_logs_in_with_a_new_256_bit_session_stored_hashed(
    ctx: ServiceContext,
) -> None:
    """SECURITY E2: a new id at every log-in, at least 128 bits, only its hash stored."""
    first, second = log_in(ctx, JANE), log_in(ctx, JANE)
    assert first.token != second.token
    assert len(first.token) >= 43
    with ctx.storage.unit_of_work() as uow:
        session = uow.sessions.get(hash_session_id(first.token))
        assert uow.sessions.get(first.token) is None
    assert session is not None
    assert first.token not in repr(session)


@pytest.mark.parametrize(
    ("email", "password"),
    [
        (JANE, "wrong password entirely"),
        ("mike@example.com", PASSWORD),
        ("not an address", PASSWORD),
        ("ｊａｎｅ@example.com", PASSWORD),
        (JANE, ""),
        (JANE, "x" * 5000),
    ],
)
def test_every_refusal_is_one_answer_costing_one_hash(
    ctx: ServiceContext, email: str, password: str
) -> None:
    """SECURITY A1, A2: the same ``LogInRefused``, and exactly one verify, never a hash."""
    hasher = _hasher(ctx)
    hasher.reset()
    answer = OrderStatus(ctx).log_in(email, password, client=CLIENT)
    assert answer == LogInRefused()
    assert hasher.calls == ["verify"]


def test_an_unverified_account_is_refused_after_one_hash(ctx: ServiceContext) -> None:
    """A1, A2: an account that never set a password answers like an unknown one."""
    sign_up(ctx, "mike@example.com")
    hasher = _hasher(ctx)
    hasher.reset()
    answer = OrderStatus(ctx).log_in("mike@example.com", PASSWORD, client=CLIENT)
    assert answer == LogInRefused()
    assert hasher.calls == ["verify"]


def test_a_successful_log_in_costs_one_hash(ctx: ServiceContext) -> None:
    """A2: one verify, and no rehash when the parameters are current."""
    hasher = _hasher(ctx)
    hasher.reset()
    log_in(ctx, JANE)
    assert hasher.calls == ["verify"]


def test_a_stale_hash_is_replaced_at_log_in(ctx: ServiceContext) -> None:
    """SECURITY B3: a hash made under older parameters is replaced by the right password."""
    newer = CountingPasswordHasher(version=2)
    ctx = attrs.evolve(ctx, password_hasher=newer)
    log_in(ctx, JANE)
    with ctx.storage.unit_of_work() as uow:
        account = uow.accounts.by_email(JANE)
    assert account is not None
    assert account.password_hash is not None
    assert account.password_hash.startswith("counting$v=2$")
    assert newer.calls[-2:] == ["verify", "hash"]
    log_in(ctx, JANE)


def test_failed_log_ins_are_limited_per_account_whatever_the_case(ctx: ServiceContext) -> None:
    """SECURITY C1: 5 per 5 minutes per normalised email, from any client."""
    desk = OrderStatus(ctx)
    answers = [
        desk.log_in(email, "wrong password entirely", client=f"198.51.100.{n}")
        for n, email in enumerate([JANE, "JANE@example.com", JANE, "Jane@Example.COM", JANE, JANE])
    ]
    assert answers[:5] == [LogInRefused()] * 5
    assert isinstance(answers[5], TryLater)


def test_log_ins_are_limited_per_client(ctx: ServiceContext) -> None:
    """SECURITY C1: 10 a minute per client, whatever the emails."""
    desk = OrderStatus(ctx)
    answers = [desk.log_in(f"u{n}@example.com", "x", client=CLIENT) for n in range(11)]
    assert isinstance(answers[10], TryLater)
    assert all(answer == LogInRefused() for answer in answers[:10])


class _Lenient:
    """Limits out of the way, so that the lock can be reached in one test."""

    @hookimpl
    def orderstatus_account_policy(self) -> AccountPolicy:
        from orderstatus_core import Quota

        wide = Quota(1000, timedelta(minutes=1))
        return attrs.evolve(AccountPolicy(), login_per_client=wide, login_per_account=wide)


def test_the_hundredth_failure_locks_until_a_reset(tmp_path: Path) -> None:
    """SECURITY C2: after 100 consecutive failures the right password is refused too; a
    reset (which the lock never blocks) opens the account again."""
    ctx = fake_context(plugins=[_Lenient()])
    register(ctx, JANE)
    desk = OrderStatus(ctx)
    for _ in range(99):
        assert desk.log_in(JANE, "wrong password entirely", client=CLIENT) == LogInRefused()
    assert isinstance(desk.log_in(JANE, PASSWORD, client=CLIENT), LoggedIn)  # 99: still open
    for _ in range(100):
        desk.log_in(JANE, "wrong password entirely", client=CLIENT)
    assert desk.log_in(JANE, PASSWORD, client=CLIENT) == LogInRefused()
    with ctx.storage.unit_of_work() as uow:
        account = uow.accounts.by_email(JANE)
        assert account is not None
        kinds = [event.kind for event in uow.accounts.events(account.account_id, 500)]
    assert kinds.count(SecurityEventKind.LOCKED_OUT) == 1
    desk.forgot_password(JANE, client=CLIENT)
    [mail] = mail_of(ctx, PasswordResetMail)
    assert isinstance(mail, PasswordResetMail)
    new_password = "a brand new long password"
    assert desk.reset_password(token_of(mail.link), new_password, client=CLIENT) == (
        PasswordReset()
    )
    assert isinstance(desk.log_in(JANE, new_password, client=CLIENT), LoggedIn)


@pytest.mark.parametrize(
    ("late", "live"),
    [(timedelta(days=14), True), (timedelta(days=14, seconds=1), False)],
)
def test_keep_me_logged_in_lasts_14_days_absolute(
    ctx: ServiceContext, late: timedelta, live: bool
) -> None:
    """SECURITY E1: page views on the way never extend it (no sliding renewal)."""
    token = log_in(ctx, JANE, remember=True).token
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=token)
    for _ in range(13):
        _clock(ctx).advance(timedelta(days=1))
        assert isinstance(shopper.view(), AccountView)
    _clock(ctx).advance(late - timedelta(days=13))
    assert isinstance(shopper.view(), AccountView) is live


@pytest.mark.parametrize(
    ("idle", "live"),
    [(timedelta(minutes=30), True), (timedelta(minutes=30, seconds=1), False)],
)
def test_a_plain_session_ends_after_30_minutes_idle(
    ctx: ServiceContext, idle: timedelta, live: bool
) -> None:
    """SECURITY E1: idle time-out at TTL and TTL + 1 s."""
    token = log_in(ctx, JANE).token
    _clock(ctx).advance(idle)
    view = OrderStatus(ctx).shopper(client=CLIENT, session=token).view()
    assert isinstance(view, AccountView) is live


@pytest.mark.parametrize(
    ("late", "live"), [(timedelta(hours=12), True), (timedelta(hours=12, seconds=1), False)]
)
def test_a_plain_session_ends_12_hours_after_log_in(
    ctx: ServiceContext, late: timedelta, live: bool
) -> None:
    """SECURITY E1: a shopper active every 20 minutes is still logged out at 12 h."""
    token = log_in(ctx, JANE).token
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=token)
    steps = int(late / timedelta(minutes=20))
    for _ in range(steps):
        _clock(ctx).advance(timedelta(minutes=20))
        shopper.view()
    _clock(ctx).advance(late - steps * timedelta(minutes=20))
    assert isinstance(shopper.view(), AccountView) is live


def test_a_page_view_writes_the_session_at_most_once_a_minute(ctx: ServiceContext) -> None:
    """Checking a session on each page view is one read; last-seen moves only when a
    minute old."""
    token = log_in(ctx, JANE).token
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=token)
    id_hash = hash_session_id(token)

    def last_seen():  # type: ignore[no-untyped-def]
        with ctx.storage.unit_of_work() as uow:
            session = uow.sessions.get(id_hash)
        assert session is not None
        return session.last_seen_at

    start = last_seen()
    _clock(ctx).advance(timedelta(seconds=59))
    shopper.view()
    assert last_seen() == start
    _clock(ctx).advance(timedelta(seconds=1))
    shopper.view()
    assert last_seen() == start + timedelta(minutes=1)


def test_log_out_ends_the_session_on_the_server(ctx: ServiceContext) -> None:
    """SECURITY E3: the same token never logs in again; logging out twice is harmless."""
    token = log_in(ctx, JANE).token
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=token)
    assert shopper.log_out() == LoggedOut()
    assert shopper.view() == NotLoggedIn()
    assert shopper.log_out() == LoggedOut()


@pytest.mark.parametrize("session", [None, "", "x", "A" * 43, "' OR 1=1 --", "é" * 50])
def test_a_missing_or_forged_session_is_not_logged_in(
    ctx: ServiceContext, session: str | None
) -> None:
    """No live session: every command answers ``NotLoggedIn``."""
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=session)
    assert shopper.view() == NotLoggedIn()
    assert shopper.history() == NotLoggedIn()
    assert shopper.security_log() == NotLoggedIn()


def test_wrong_types_raise_before_any_work(ctx: ServiceContext) -> None:
    """Bad input is a typed error and costs no hash."""
    hasher = _hasher(ctx)
    hasher.reset()
    desk = OrderStatus(ctx)
    with pytest.raises(InvalidFieldError):
        desk.log_in(JANE, 12345, client=CLIENT)  # type: ignore[arg-type]
    with pytest.raises(InvalidFieldError):
        desk.log_in(JANE, PASSWORD, remember="yes", client=CLIENT)  # type: ignore[arg-type]
    with pytest.raises(InvalidFieldError):
        desk.shopper(client=CLIENT, session=42)  # type: ignore[arg-type]
    assert hasher.calls == []


def test_the_security_log_records_log_ins_and_failures(ctx: ServiceContext) -> None:
    """SECURITY C4: success and failure with the client, the email masked."""
    desk = OrderStatus(ctx)
    desk.log_in(JANE, "wrong password entirely", client="198.51.100.1")
    token = log_in(ctx, JANE).token
    log = OrderStatus(ctx).shopper(client=CLIENT, session=token).security_log()
    events = log.events  # type: ignore[union-attr]
    assert [e.kind for e in events[:2]] == [
        SecurityEventKind.LOGGED_IN,
        SecurityEventKind.LOGIN_FAILED,
    ]
    assert events[1].client == "198.51.100.1"
    assert all(e.masked_email == "j•••@example.com" for e in events)


# --- failures counted per address (SECURITY A6, C2) ------------------------------------------


def _failures(ctx: ServiceContext, address: str) -> int:
    with ctx.storage.unit_of_work() as uow:
        return uow.accounts.failed_logins(failure_key(address))


def test_failures_count_per_address_whatever_its_case_and_a_log_in_clears_them(
    ctx: ServiceContext,
) -> None:
    """The address as typed in any case of its domain or name counts under one key (its
    email key); 99 leave the right password working, which starts the count again."""
    desk = OrderStatus(attrs.evolve(ctx, policies=fake_context(plugins=[_Lenient()]).policies))
    for n in range(99):
        typed = ("JANE@EXAMPLE.COM", "jane@Example.com", " jane@example.com ")[n % 3]
        assert desk.log_in(typed, "wrong password entirely", client=CLIENT) == LogInRefused()
    assert _failures(ctx, JANE) == 99
    assert isinstance(desk.log_in(JANE, PASSWORD, client=CLIENT), LoggedIn)
    assert _failures(ctx, JANE) == 0


def test_an_address_locked_before_it_had_an_account_opens_with_its_first_password(
    tmp_path: Path,
) -> None:
    """C2, C4, A6: 100 failures for an address without an account log a lock-out (no
    account named, the address masked) as they would for an account; the account signed
    up later is opened by setting its password, which clears the count."""
    ctx = fake_context(plugins=[_Lenient()])
    desk = OrderStatus(ctx)
    for _ in range(100):
        assert desk.log_in("new@example.com", "some guess or other", client=CLIENT) == (
            LogInRefused()
        )
    assert _failures(ctx, "new@example.com") == 100
    register(ctx, "new@example.com")
    assert _failures(ctx, "new@example.com") == 0
    assert isinstance(desk.log_in("new@example.com", PASSWORD, client=CLIENT), LoggedIn)


def test_reauthentication_counts_and_clears_the_same_count(ctx: ServiceContext) -> None:
    """A wrong password at re-authentication counts under the account's address, like a
    log-in; the right one starts the count again (C2)."""
    token = log_in(ctx, JANE).token
    shopper = OrderStatus(ctx).shopper(client=CLIENT, session=token)
    assert shopper.reauthenticate("wrong password entirely") == LogInRefused()
    assert _failures(ctx, JANE) == 1
    assert isinstance(shopper.reauthenticate(PASSWORD), LoggedIn)
    assert _failures(ctx, JANE) == 0


@pytest.mark.parametrize("failing", ["failed_logins", "count_failed_login"])
def test_a_storage_failure_while_counting_changes_nothing(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """A storage that fails to read or count a failure raises ``AdapterError`` from the
    log-in; nothing is counted or logged (the unit rolls back)."""
    before = _log_kinds(ctx)

    def broken(*_arguments: object) -> int:
        raise AdapterError("the database went away")

    for accounts in (MemoryAccounts, SqliteAccounts):
        monkeypatch.setattr(accounts, failing, broken)
    with pytest.raises(AdapterError):
        OrderStatus(ctx).log_in(JANE, "wrong password entirely", client=CLIENT)
    monkeypatch.undo()
    assert _failures(ctx, JANE) == 0
    assert _log_kinds(ctx) == before


def _log_kinds(ctx: ServiceContext) -> list[SecurityEventKind]:
    with ctx.storage.unit_of_work() as uow:
        account = uow.accounts.by_email(JANE)
        assert account is not None
        return [event.kind for event in uow.accounts.events(account.account_id, 500)]


def test_only_an_address_without_an_account_builds_the_dummy_account(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A6: a log-in that found no account builds the dummy account once, as a found one
    is built once by its storage; a known address never does."""
    built: list[Account] = []
    real = login_module.as_if_found
    monkeypatch.setattr(login_module, "as_if_found", lambda: built.append(real()))
    desk = OrderStatus(ctx)
    desk.log_in(JANE, "wrong password entirely", client=CLIENT)
    assert built == []
    for typed in ("nobody@example.com", "not an address"):
        desk.log_in(typed, "wrong password entirely", client=CLIENT)
    assert len(built) == 2
    assert all(account.is_live and account.password_hash is not None for account in built)
    assert all(account.account_id == "dummy-account-never-stored" for account in built)
