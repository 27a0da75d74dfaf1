"""The page view's lean read of a session (:class:`SessionCheck`): it decides exactly as
the whole stored session and its account do, its constructor refuses what the account
model refuses, and the stored form of a session id is the one sessions were stored under."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core.contacts import parse_email
from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.model.account import Account, AccountSession, AccountState, hash_session_id
from orderstatus_core.model.session_check import SessionCheck
from orderstatus_core.testing import strategies

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
_GOOD: dict[str, Any] = {
    "account_id": "acct-0001",
    "remember": False,
    "last_seen_at": T0,
    "expires_at": T0 + timedelta(hours=12),
    "ended_at": None,
    "account_state": AccountState.ACTIVE,
    "language": "fi",
}


def test_a_good_check_is_built_and_a_state_given_as_text_is_read() -> None:
    """The seven fields as given; a stored state's text becomes the member."""
    check = SessionCheck(**{**_GOOD, "account_state": "active"})
    assert check.account_state is AccountState.ACTIVE
    assert attrs.asdict(check, recurse=False) == _GOOD


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("account_id", "short"),
        ("account_id", "acct 0001 ' OR 1=1 --"),
        ("account_id", "\ud800" * 10),
        ("account_id", "a" * 65),
        ("account_id", 12345678),
        ("remember", 1),
        ("remember", "yes"),
        ("last_seen_at", datetime(2026, 11, 1, 12, 0)),
        ("expires_at", "2026-11-01T12:00:00Z"),
        ("ended_at", 0),
        ("account_state", "frozen"),
        ("account_state", 1),
        ("language", 7),
    ],
)
def test_bad_fields_are_refused(field: str, value: object) -> None:
    """Every field is checked by the constructor (the restorer, for rows the storage wrote,
    skips these checks): a typed error, never a value."""
    with pytest.raises(InvalidFieldError):
        SessionCheck(**{**_GOOD, field: value})


def test_state_and_language_come_together() -> None:
    """Both from the account's row: both or neither."""
    with pytest.raises(InvalidFieldError, match="language"):
        SessionCheck(**{**_GOOD, "language": None})
    with pytest.raises(InvalidFieldError, match="language"):
        SessionCheck(**{**_GOOD, "account_state": None})
    assert SessionCheck(**{**_GOOD, "account_state": None, "language": None}).language is None


def test_of_refuses_what_is_not_a_session_or_account() -> None:
    """``SessionCheck.of`` takes a stored session and an account or ``None``."""
    session = AccountSession.start(
        "SessionId-0000000000000", "acct-0001", T0, remember=False, lifetime=timedelta(hours=1)
    )
    with pytest.raises(InvalidFieldError, match="session"):
        SessionCheck.of(_GOOD, None)  # type: ignore[arg-type]
    with pytest.raises(InvalidFieldError, match="account"):
        SessionCheck.of(session, "acct-0001")  # type: ignore[arg-type]


@given(
    session=strategies.account_sessions(),
    state=st.sampled_from([*AccountState, None]),
    offset=st.integers(-3, 16 * 24 * 3600),
    idle=st.integers(0, 3600),
)
def test_the_check_decides_as_the_whole_session_and_account(
    session: AccountSession, state: AccountState | None, offset: int, idle: int
) -> None:
    """Signed in exactly when the whole session is live and its account stored and not
    deleted; a touch due exactly when the whole session says so."""
    account = None
    if state is not None:
        account = Account.sign_up(
            session.account_id, parse_email("jane@example.com"), session.created_at
        )
        if state is not AccountState.UNVERIFIED:
            account = account.verified(session.created_at)
        if state is AccountState.DELETED:
            account = account.deleted()
    check = SessionCheck.of(session, account)
    now = session.created_at + timedelta(seconds=offset)
    timeout = timedelta(seconds=idle)
    whole = session.is_live(now, idle_timeout=timeout) and account is not None and account.is_live
    assert check.signs_in(now, idle_timeout=timeout) is whole
    assert check.needs_touch(now, interval=timeout) is session.needs_touch(now, interval=timeout)


def test_a_session_id_is_stored_under_the_same_hash_as_before() -> None:
    """The stored form never changes (sessions stored earlier still log in): hex SHA-256
    of the label, a NUL and the id."""
    session_id = "SessionId-0000000000000"
    expected = hashlib.sha256(b"orderstatus account session\x00" + session_id.encode())
    assert hash_session_id(session_id) == expected.hexdigest()
