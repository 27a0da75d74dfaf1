"""The account model: states, credential epochs, tokens, sessions, links, the security log
and captcha challenges, each at its boundaries and against bad input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core import FieldTooLongError, InvalidFieldError, ValidationError
from orderstatus_core.contacts import parse_email
from orderstatus_core.model import EmailAddress
from orderstatus_core.model.account import (
    Account,
    AccountSession,
    AccountState,
    AccountToken,
    LinkedBy,
    OrderLink,
    SecurityEvent,
    SecurityEventKind,
    StoredCaptcha,
    TokenPurpose,
    hash_session_id,
)
from orderstatus_core.policies.masking import mask_email
from orderstatus_core.testing import strategies

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
SECOND = timedelta(seconds=1)
HASH = "$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNo"
VALIDATOR = "Validator-" + "v" * 33
SESSION_ID = "SessionId-" + "s" * 12


def jane(**fields: Any) -> Account:
    account = Account.sign_up("acct-0001", parse_email("Jane@Example.com"), T0)
    return attrs.evolve(account, **fields) if fields else account


def token(
    account: Account | None = None,
    purpose: TokenPurpose = TokenPurpose.RESET_PASSWORD,
    secret: str = VALIDATOR,
    ttl: timedelta = timedelta(hours=1),
    payload: str | None = None,
) -> AccountToken:
    owner = account if account is not None else jane().verified(T0)
    return AccountToken.issue(
        "Selector-000000000001", secret, owner, purpose, T0, ttl, payload=payload
    )


# --- accounts --------------------------------------------------------------------------------


def test_a_sign_up_is_unverified_and_verification_makes_it_active() -> None:
    """A new account waits for its address; following the link makes it active, once."""
    account = jane()
    assert (account.state, account.verified_at, account.version) == (
        AccountState.UNVERIFIED,
        None,
        1,
    )
    active = account.verified(T0 + SECOND)
    assert (active.state, active.verified_at, active.version) == (
        AccountState.ACTIVE,
        T0 + SECOND,
        2,
    )
    assert active.verified(T0 + 2 * SECOND) is active


def test_the_email_is_kept_as_typed_and_keyed_as_orders_key_it() -> None:
    """The account keeps the typed address for mail and the order side's key for finding
    orders, so the orders of an address join its account."""
    account = jane()
    assert account.email.display == "Jane@example.com"
    assert account.email_key == parse_email("JANE@EXAMPLE.COM").canonical == "jane@example.com"


@given(pair=strategies.lookalike_email_texts())
def test_lookalike_addresses_make_accounts_of_different_keys(pair: tuple[str, str]) -> None:
    """``ß``/``ss``, fullwidth letters, the dotless i ... are other mailboxes: their
    accounts never share a key (SECURITY A4)."""
    address, lookalike = pair
    first = Account.sign_up("acct-0001", parse_email(address), T0)
    second = Account.sign_up("acct-0002", parse_email(lookalike), T0)
    assert first.email_key != second.email_key


def test_a_password_change_moves_the_credential_epoch_and_resets_the_failures() -> None:
    """Setting, changing or resetting the password starts the failures from zero (the
    recovery of C2) and moves the epoch on (D2); a rehash moves neither."""
    account = jane().verified(T0)
    for _ in range(3):
        account = account.login_failed()
    changed = account.with_password(HASH, T0 + SECOND)
    assert (changed.failed_logins, changed.password_changed_at, changed.credential_epoch) == (
        0,
        T0 + SECOND,
        account.credential_epoch + 1,
    )
    rehashed = changed.rehashed(HASH.replace("t=2", "t=3"))
    assert (rehashed.credential_epoch, rehashed.password_changed_at) == (
        changed.credential_epoch,
        T0 + SECOND,
    )


def test_an_account_locks_at_the_limit_and_only_a_new_password_opens_it() -> None:
    """99 failures of 100 leave it open; the 100th locks it; a log-in does not open it, a
    reset does (SECURITY C2)."""
    account = jane().verified(T0)
    for _ in range(99):
        account = account.login_failed()
    assert not account.is_locked(100)
    locked = account.login_failed()
    assert locked.is_locked(100)
    assert locked.with_password(HASH, T0).is_locked(100) is False


def test_a_log_in_writes_the_account_only_after_failures() -> None:
    """With no failures a log-in changes nothing (no write, same version)."""
    account = jane().verified(T0)
    assert account.logged_in() is account
    failed = account.login_failed()
    assert failed.logged_in() == attrs.evolve(failed, failed_logins=0, version=failed.version + 1)


def test_a_new_address_moves_the_epoch_and_is_verified_at_the_change() -> None:
    """Confirming a new address verifies it at that moment and kills earlier tokens."""
    account = jane().verified(T0)
    moved = account.with_email(parse_email("jane@example.org"), T0 + SECOND)
    assert (moved.email_key, moved.verified_at, moved.credential_epoch) == (
        "jane@example.org",
        T0 + SECOND,
        account.credential_epoch + 1,
    )


def test_a_deleted_account_drops_its_hash_and_refuses_changes() -> None:
    """Deletion drops the password hash and moves the epoch on; a deleted account cannot be
    verified, get a password or an address, or be issued a token; deleting again is a
    no-op."""
    deleted = jane().verified(T0).with_password(HASH, T0).deleted()
    assert (deleted.state, deleted.password_hash, deleted.is_live) == (
        AccountState.DELETED,
        None,
        False,
    )
    assert deleted.deleted() is deleted
    for change in (
        lambda: deleted.verified(T0),
        lambda: deleted.with_password(HASH, T0),
        lambda: deleted.rehashed(HASH),
        lambda: deleted.with_email(parse_email("x@example.com"), T0),
        lambda: token(deleted),
    ):
        with pytest.raises(InvalidFieldError, match="deleted"):
            change()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"account_id": 1001}, "account_id"),
        ({"account_id": "short"}, "account_id"),
        ({"account_id": "acct 0001"}, "account_id"),
        ({"account_id": "a" * 65}, "account_id"),
        ({"state": "frozen"}, "state"),
        ({"language": "english"}, "language"),
        ({"language": "fi\r\n"}, "language"),
        ({"password_hash": "has a space"}, "password_hash"),
        ({"password_hash": "x" * 513}, "password_hash"),
        ({"password_hash": "ä" * 10}, "password_hash"),
        ({"failed_logins": -1}, "failed_logins"),
        ({"failed_logins": True}, "failed_logins"),
        ({"credential_epoch": "1"}, "credential_epoch"),
        ({"version": 0}, "version"),
        ({"state": AccountState.ACTIVE}, "verified_at"),
        ({"verified_at": T0 - SECOND, "state": AccountState.ACTIVE}, "verified_at"),
        ({"verified_at": T0}, "verified_at"),
        ({"password_hash": HASH}, "password_changed_at"),
        ({"created_at": datetime(2026, 11, 1)}, "timestamp"),
    ],
)
def test_an_account_refuses_bad_fields(fields: dict[str, Any], field: str) -> None:
    """Wrong types, shapes, characters and lengths, and inconsistent states, are refused
    with the field's name."""
    with pytest.raises(ValidationError) as refused:
        jane(**fields)
    assert refused.value.field == field


def test_an_account_refuses_an_address_that_is_not_an_email_address() -> None:
    """Typed text is no address: it comes through ``parse_email``, as an order's does, and
    an over-long or injected one never becomes an ``EmailAddress``."""
    with pytest.raises(InvalidFieldError):
        jane(email="jane@example.com")
    with pytest.raises(FieldTooLongError):
        EmailAddress("j" * 250 + "@x.io", "j" * 250 + "@x.io")
    with pytest.raises(InvalidFieldError):
        EmailAddress("jane@example.com\r\nBcc: x@y.z", "jane@example.com")


# --- tokens ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("purpose", "ttl"),
    [
        (TokenPurpose.VERIFY_EMAIL, timedelta(hours=24)),
        (TokenPurpose.SET_PASSWORD, timedelta(hours=24)),
        (TokenPurpose.RESET_PASSWORD, timedelta(hours=1)),
    ],
)
def test_a_token_opens_at_exactly_its_ttl_and_not_one_second_later(
    purpose: TokenPurpose, ttl: timedelta
) -> None:
    """Valid at issued + TTL, refused one second later, and never before it was issued
    (SECURITY D3)."""
    account = jane().verified(T0)
    issued = token(account, purpose, ttl=ttl)
    assert issued.accepts(VALIDATOR, account, T0 + ttl)
    assert not issued.accepts(VALIDATOR, account, T0 + ttl + SECOND)
    assert not issued.accepts(VALIDATOR, account, T0 - SECOND)


def test_a_token_keeps_only_the_hash_of_its_secret() -> None:
    """Neither the fields nor the repr hold the validator; a wrong one, or the right one
    under another selector, is refused."""
    account = jane().verified(T0)
    issued = token(account)
    assert VALIDATOR not in repr(issued)
    assert VALIDATOR not in repr(attrs.asdict(issued))
    assert not issued.accepts(VALIDATOR[:-1] + "w", account, T0)
    moved = attrs.evolve(issued, selector="Selector-000000000002")
    assert not moved.accepts(VALIDATOR, account, T0)


@pytest.mark.parametrize(
    "change",
    [
        lambda a: a.with_password(HASH, T0),
        lambda a: a.with_email(parse_email("jane@example.org"), T0),
        lambda a: a.deleted(),
    ],
    ids=["password", "email", "deletion"],
)
def test_a_token_dies_with_a_credential_change(change: Any) -> None:
    """A password or email change and the deletion kill every token issued before, of
    every purpose (SECURITY D2)."""
    account = jane().verified(T0)
    for purpose in (TokenPurpose.RESET_PASSWORD, TokenPurpose.VERIFY_EMAIL):
        issued = token(account, purpose)
        assert issued.accepts(VALIDATOR, account, T0)
        assert not issued.accepts(VALIDATOR, change(account), T0)


def test_a_token_survives_what_is_not_a_credential_change() -> None:
    """Failed log-ins, a rehash and a language change leave the tokens alive."""
    account = jane().verified(T0).with_password(HASH, T0)
    issued = token(account)
    later = account.login_failed().rehashed(HASH.replace("t=2", "t=3")).with_language("fi")
    assert issued.accepts(VALIDATOR, later, T0)


def test_a_token_is_for_one_account_and_one_use() -> None:
    """Another account, or the same token once used, is refused."""
    account = jane().verified(T0)
    issued = token(account)
    other = attrs.evolve(account, account_id="acct-0002")
    assert not issued.accepts(VALIDATOR, other, T0)
    assert not issued.used(T0).accepts(VALIDATOR, account, T0)


def test_a_code_token_counts_its_tries() -> None:
    """A 6-digit code opens within its tries only, and must be checked against a limit."""
    account = jane().verified(T0)
    code = token(account, TokenPurpose.ATTACH_ORDER, "042917", payload="123456789")
    assert code.by_code
    assert attrs.evolve(code, tries=3).accepts("042917", account, T0, max_tries=3)
    assert not attrs.evolve(code, tries=4).accepts("042917", account, T0, max_tries=3)
    assert not code.accepts("042918", account, T0, max_tries=3)
    with pytest.raises(InvalidFieldError, match="tries"):
        code.accepts("042917", account, T0)


@pytest.mark.parametrize(
    ("secret", "field"),
    [
        ("V" * 21, "secret"),  # 126 bits: too few
        ("12345", "secret"),
        ("١٢٣٤٥٦", "secret"),  # Arabic-Indic digits are not a code
        ("V" * 42 + "=", "secret"),
        ("V" * 129, "secret"),
    ],
)
def test_a_token_refuses_a_weak_or_strange_secret(secret: str, field: str) -> None:
    """A validator under 128 bits, a code that is not six ASCII digits, padding and
    over-long text are refused."""
    with pytest.raises(InvalidFieldError) as refused:
        token(secret=secret)
    assert refused.value.field == field


@pytest.mark.parametrize(
    ("purpose", "payload"),
    [
        (TokenPurpose.CHANGE_EMAIL, None),
        (TokenPurpose.CHANGE_EMAIL, "not an address"),
        (TokenPurpose.CHANGE_EMAIL, "new@example.com\r\nBcc: victim@example.com"),
        (TokenPurpose.CHANGE_EMAIL, "x" * 250 + "@e.io"),
        (TokenPurpose.ATTACH_ORDER, None),
        (TokenPurpose.ATTACH_ORDER, "1234-5678"),
        (TokenPurpose.ATTACH_ORDER, "'; DROP TABLE orders; --"),
        (TokenPurpose.RESET_PASSWORD, "123456789"),
        (TokenPurpose.VERIFY_EMAIL, "jane@example.com"),
    ],
)
def test_a_token_carries_exactly_the_payload_its_purpose_needs(
    purpose: TokenPurpose, payload: str | None
) -> None:
    """A new email for ``change_email``, a canonical order number for ``attach_order``,
    nothing for the others; injected or over-long text is refused."""
    with pytest.raises(ValidationError) as refused:
        token(purpose=purpose, payload=payload)
    assert refused.value.field == "payload"


def test_a_token_refuses_a_bad_lifetime_or_selector() -> None:
    """A lifetime of zero or less, and a selector that is not URL-safe, are refused."""
    with pytest.raises(InvalidFieldError, match="ttl"):
        token(ttl=timedelta(0))
    with pytest.raises(InvalidFieldError, match="selector"):
        AccountToken.issue(
            "short", VALIDATOR, jane(), TokenPurpose.VERIFY_EMAIL, T0, timedelta(hours=1)
        )
    with pytest.raises(InvalidFieldError, match="purpose"):
        attrs.evolve(token(), purpose="anything")


# --- sessions --------------------------------------------------------------------------------


def plain() -> AccountSession:
    return AccountSession.start(
        SESSION_ID, "acct-0001", T0, remember=False, lifetime=timedelta(hours=12)
    )


def remembered() -> AccountSession:
    return AccountSession.start(
        SESSION_ID, "acct-0001", T0, remember=True, lifetime=timedelta(days=14)
    )


IDLE = timedelta(minutes=30)


def test_a_session_keeps_only_the_hash_of_its_id() -> None:
    """The id is not kept; its hash finds the session (SECURITY E2)."""
    session = plain()
    assert session.id_hash == hash_session_id(SESSION_ID) != SESSION_ID
    assert SESSION_ID not in repr(session)


def test_a_plain_session_dies_after_30_idle_minutes() -> None:
    """Live at exactly 30 minutes since last seen, dead one second later; a touch starts
    the idle time again (SECURITY E1)."""
    session = plain()
    assert session.is_live(T0 + IDLE, idle_timeout=IDLE)
    assert not session.is_live(T0 + IDLE + SECOND, idle_timeout=IDLE)
    touched = session.touched(T0 + IDLE)
    assert touched.is_live(T0 + 2 * IDLE, idle_timeout=IDLE)


def test_a_session_never_outlives_its_absolute_expiry() -> None:
    """However often it is touched, a plain session ends at 12 hours and a *remember* one
    at 14 days: each live at its bound, dead one second later (no sliding renewal)."""
    for session, lifetime in ((plain(), timedelta(hours=12)), (remembered(), timedelta(days=14))):
        busy = session
        moment = T0
        while moment < T0 + lifetime:
            moment = min(moment + timedelta(minutes=20), T0 + lifetime)
            busy = busy.touched(moment)
        assert busy.expires_at == T0 + lifetime
        assert busy.is_live(T0 + lifetime, idle_timeout=IDLE)
        assert not busy.is_live(T0 + lifetime + SECOND, idle_timeout=IDLE)


def test_a_remembered_session_has_no_idle_time_out() -> None:
    """A *keep me logged in* session untouched for 13 days is still live."""
    assert remembered().is_live(T0 + timedelta(days=13), idle_timeout=IDLE)


def test_an_ended_session_is_dead() -> None:
    """Log-out ends it at once; ending again keeps the first end."""
    ended = plain().ended(T0 + SECOND)
    assert not ended.is_live(T0 + SECOND, idle_timeout=IDLE)
    assert ended.ended(T0 + 2 * SECOND) is ended


def test_a_page_view_writes_the_last_seen_time_at_most_once_a_minute() -> None:
    """59 seconds after the last write, no write; at 60 seconds, a write."""
    minute = timedelta(minutes=1)
    session = plain()
    assert not session.needs_touch(T0 + minute - SECOND, interval=minute)
    assert session.needs_touch(T0 + minute, interval=minute)
    assert session.touched(T0 - SECOND) is session


def test_re_authentication_counts_for_five_minutes_and_takes_a_new_id() -> None:
    """The password typed again at ``t`` counts until ``t + 5 min`` and not a second
    later; the session then carries a new id hash and the same expiry (SECURITY E2, E4)."""
    window = timedelta(minutes=5)
    session = plain()
    assert session.recently_authenticated(T0 + window, window=window)
    assert not session.recently_authenticated(T0 + window + SECOND, window=window)
    again = session.reauthenticated("SessionId-" + "t" * 12, T0 + timedelta(hours=1))
    assert again.id_hash != session.id_hash
    assert again.expires_at == session.expires_at
    assert again.recently_authenticated(T0 + timedelta(hours=1) + window, window=window)


@pytest.mark.parametrize(
    "session_id",
    ["s" * 21, "s" * 129, "SessionId/" + "s" * 12, "SessionId-" + "ş" * 12, 12345678901234567890],
)
def test_a_session_id_must_carry_128_url_safe_bits(session_id: Any) -> None:
    """Short, long, non URL-safe, non-ASCII and non-text ids are refused."""
    with pytest.raises(InvalidFieldError, match="session_id"):
        AccountSession.start(
            session_id, "acct-0001", T0, remember=False, lifetime=timedelta(hours=12)
        )


def test_session_checks_refuse_nonsense_numbers() -> None:
    """A negative idle time-out, interval or window, a zero lifetime, and a naive time are
    refused."""
    with pytest.raises(InvalidFieldError):
        plain().is_live(T0, idle_timeout=-SECOND)
    with pytest.raises(InvalidFieldError):
        plain().needs_touch(T0, interval=-SECOND)
    with pytest.raises(InvalidFieldError):
        plain().recently_authenticated(T0, window=-SECOND)
    with pytest.raises(InvalidFieldError):
        AccountSession.start(SESSION_ID, "acct-0001", T0, remember=False, lifetime=timedelta(0))
    with pytest.raises(InvalidFieldError):
        plain().is_live(datetime(2026, 11, 1), idle_timeout=IDLE)
    with pytest.raises(InvalidFieldError, match="remember"):
        attrs.evolve(plain(), remember=1)  # type: ignore[arg-type]  # the wrong type under test


# --- order links and the security log --------------------------------------------------------


def test_an_order_link_names_a_canonical_order_and_how_it_joined() -> None:
    """Only canonical order numbers and the known ways of joining are accepted."""
    link = OrderLink("acct-0001", "123456789", T0, "code")
    assert link.linked_by is LinkedBy.CODE
    with pytest.raises(InvalidFieldError):
        OrderLink("acct-0001", "1234-5678", T0, LinkedBy.CODE)
    with pytest.raises(InvalidFieldError, match="linked_by"):
        OrderLink("acct-0001", "123456789", T0, "guessed")


def test_a_security_event_holds_a_masked_address_never_a_whole_one() -> None:
    """The masked form is kept; a whole address, an injected client and an unknown kind
    are refused (SECURITY C4)."""
    masked = mask_email("Jane.Doe@example.com")
    event = SecurityEvent(SecurityEventKind.LOGIN_FAILED, T0, None, masked, "203.0.113.7")
    assert event.masked_email == "J•••@example.com"
    for bad in ("Jane.Doe@example.com", "•••@a@b", "J•••@exa mple.com"):
        with pytest.raises(InvalidFieldError, match="masked"):
            SecurityEvent(SecurityEventKind.LOGIN_FAILED, T0, None, bad)
    with pytest.raises(ValidationError):
        SecurityEvent(SecurityEventKind.LOGGED_IN, T0, "acct-0001", None, "1.2.3.4\r\nX: y")
    with pytest.raises(FieldTooLongError):
        SecurityEvent(SecurityEventKind.LOGGED_IN, T0, "acct-0001", None, "c" * 201)
    with pytest.raises(InvalidFieldError, match="kind"):
        SecurityEvent("password_was_hunter2", T0)


# --- captcha challenges ----------------------------------------------------------------------


def captcha() -> StoredCaptcha:
    return StoredCaptcha("Captcha-00000000000001", "a7" * 32, T0, T0 + timedelta(minutes=10))


def test_a_stored_captcha_is_open_until_its_expiry_included_and_until_used() -> None:
    """Open at exactly issued + 10 minutes, closed one second later or once used."""
    ten = timedelta(minutes=10)
    assert captcha().is_open(T0 + ten)
    assert not captcha().is_open(T0 + ten + SECOND)
    assert not attrs.evolve(captcha(), used_at=T0).is_open(T0)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"challenge_id": "c" * 21}, "challenge_id"),  # under 128 bits
        ({"challenge_id": "Captcha/0000000000001"}, "challenge_id"),
        ({"answer_hash": "A7K2Q"}, "answer_hash"),  # an answer is never kept as typed
        ({"answer_hash": "A7" * 32}, "answer_hash"),
        ({"expires_at": T0 - SECOND}, "expires_at"),
        ({"used_at": T0 - SECOND}, "used_at"),
        ({"issued_at": datetime(2026, 11, 1)}, "timestamp"),
    ],
)
def test_a_stored_captcha_refuses_bad_fields(fields: dict[str, Any], field: str) -> None:
    """A short or non URL-safe id, anything but a hex SHA-256 as the answer, and times out
    of order are refused."""
    with pytest.raises(InvalidFieldError) as refused:
        attrs.evolve(captcha(), **fields)
    assert refused.value.field == field


@given(
    account=strategies.accounts(),
    session=strategies.account_sessions(),
    captcha=strategies.stored_captchas(),
    data=st.data(),
)
def test_the_strategies_build_valid_values(
    account: Account, session: AccountSession, captcha: StoredCaptcha, data: st.DataObject
) -> None:
    """Every drawn value is one the model accepts again field by field; a drawn token is
    for its account and keeps its epoch."""
    assert attrs.evolve(account) == account
    assert attrs.evolve(session) == session
    assert attrs.evolve(captcha) == captcha
    if account.is_live:
        drawn = data.draw(strategies.account_tokens(account))
        assert (drawn.account_id, drawn.credential_epoch) == (
            account.account_id,
            account.credential_epoch,
        )
