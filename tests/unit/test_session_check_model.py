"""The page view's check of a session (:class:`SessionCheck`): :meth:`SessionCheck.at`
decides exactly as the whole stored session and its account do, its constructor refuses
what the account model refuses, and the stored form of a session id is one SHA-256 block."""

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
from orderstatus_core.services.accounts._common import new_session_id
from orderstatus_core.testing import strategies

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
_GOOD: dict[str, Any] = {
    "account_id": "acct-0001",
    "language": "fi",
    "expires_at": T0 + timedelta(hours=12),
    "remember": False,
    "touch_due": True,
}
_RULES = {"idle_timeout": timedelta(minutes=30), "touch_interval": timedelta(minutes=1)}
_SESSION = AccountSession.start(
    "SessionId-0000000000000", "acct-0001", T0, remember=False, lifetime=timedelta(hours=1)
)
_ACCOUNT = Account.sign_up("acct-0001", parse_email("jane@example.com"), T0)


def test_a_good_check_is_built_as_given() -> None:
    """The five fields as given."""
    assert attrs.asdict(SessionCheck(**_GOOD), recurse=False) == _GOOD


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("account_id", "short"),
        ("account_id", "acct 0001 ' OR 1=1 --"),
        ("account_id", "\ud800" * 10),
        ("account_id", "a" * 65),
        ("account_id", 12345678),
        ("language", None),
        ("language", 7),
        ("language", "Finnish; DROP"),
        ("expires_at", datetime(2026, 11, 1, 12, 0)),
        ("expires_at", "2026-11-01T12:00:00Z"),
        ("remember", 1),
        ("remember", "yes"),
        ("touch_due", 0),
        ("touch_due", None),
    ],
)
def test_bad_fields_are_refused(field: str, value: object) -> None:
    """Every field is checked by the constructor (the restorer, for rows the storage wrote,
    skips these checks): a typed error, never a value."""
    with pytest.raises(InvalidFieldError):
        SessionCheck(**{**_GOOD, field: value})


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ((_GOOD, None, T0), "session"),
        ((_SESSION, "acct-0001", T0), "account"),
        ((_SESSION, _ACCOUNT, datetime(2026, 11, 1, 12, 0)), "timestamp"),
        ((_SESSION, None, "2026-11-01T12:00:00Z"), "timestamp"),
    ],
    ids=["not-a-session", "not-an-account", "naive-now", "text-now"],
)
def test_at_refuses_what_is_not_a_session_an_account_or_an_instant(
    arguments: tuple[object, object, object], field: str
) -> None:
    """``SessionCheck.at`` takes a stored session, an account or ``None`` and an aware
    instant; anything else is a typed error."""
    with pytest.raises(InvalidFieldError, match=field):
        SessionCheck.at(*arguments, **_RULES)  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["idle_timeout", "touch_interval"])
@pytest.mark.parametrize("value", [-timedelta(microseconds=1), 60, None])
def test_at_refuses_a_negative_or_missing_duration(name: str, value: object) -> None:
    """Both durations must be ``timedelta`` values of zero or more, whether or not the
    answer would need them (an account not stored still refuses)."""
    with pytest.raises(InvalidFieldError, match=name):
        SessionCheck.at(_SESSION, None, T0, **{**_RULES, name: value})  # type: ignore[arg-type]


@given(
    session=strategies.account_sessions(),
    state=st.sampled_from([*AccountState, None]),
    offset=st.integers(-3, 16 * 24 * 3600),
    idle=st.integers(0, 3600),
    touch=st.integers(0, 3600),
)
def test_the_check_decides_as_the_whole_session_and_account(
    session: AccountSession, state: AccountState | None, offset: int, idle: int, touch: int
) -> None:
    """A check exactly when the whole session is live and its account stored and not
    deleted; its touch due exactly when the whole session says so."""
    account = None
    if state is not None:
        account = Account.sign_up(
            session.account_id, parse_email("jane@example.com"), session.created_at
        )
        if state is not AccountState.UNVERIFIED:
            account = account.verified(session.created_at)
        if state is AccountState.DELETED:
            account = account.deleted()
    now = session.created_at + timedelta(seconds=offset)
    timeout, interval = timedelta(seconds=idle), timedelta(seconds=touch)
    check = SessionCheck.at(session, account, now, idle_timeout=timeout, touch_interval=interval)
    whole = session.is_live(now, idle_timeout=timeout) and account is not None and account.is_live
    if not whole:
        assert check is None
        return
    assert account is not None
    assert check == SessionCheck(
        session.account_id,
        account.language,
        session.expires_at,
        session.remember,
        session.needs_touch(now, interval=interval),
    )


def test_a_session_id_is_hashed_with_a_short_label_in_one_block() -> None:
    """The stored form: hex SHA-256 of a short label of its own, a NUL and the id; with a
    minted id that is 55 bytes or fewer, one SHA-256 block."""
    session_id = "SessionId-0000000000000"
    expected = hashlib.sha256(b"os-session\x00" + session_id.encode())
    assert hash_session_id(session_id) == expected.hexdigest()
    assert len(b"os-session\x00" + new_session_id().encode()) <= 55
