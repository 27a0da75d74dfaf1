"""What a page view's session check reads: the session's times and who holds it.

Every page of a logged-in shopper asks one thing first: is this session cookie live, and
whose is it? :class:`SessionCheck` is that read and nothing more: the session's expiry
facts (no ids, no hash, no re-authentication time) and its account's state and language
(no email, no password hash, no counters), read together in one statement by the two
primary keys (:meth:`SessionStore.check <orderstatus_core.ports.SessionStore.check>`).
Whether it logs its holder in is decided by the same rules as a whole stored session's
(:mod:`orderstatus_core.model.session_rules`); the account page and every command that
changes the account still read the whole :class:`~orderstatus_core.model.account.AccountSession`
and :class:`~orderstatus_core.model.account.Account`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import attrs

from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.model._checks import optional_utc, utc

# _account_id and _bool: the account model's own checks, so both values refuse alike.
from orderstatus_core.model.account import (
    Account,
    AccountSession,
    AccountState,
    _account_id,
    _bool,
)
from orderstatus_core.model.session_rules import session_is_live, session_needs_touch

__all__ = ["SessionCheck"]


def _optional_state(value: object) -> AccountState | None:
    if value is None or isinstance(value, AccountState):
        return value
    try:
        return AccountState(value)  # type: ignore[arg-type]  # anything else is refused here
    except ValueError:
        raise InvalidFieldError("account_state", "must be an AccountState or None") from None


def _optional_language(_instance: object, attribute: Any, value: Any) -> None:
    if value is not None and not isinstance(value, str):
        raise InvalidFieldError(attribute.name, "must be a language code or None")


@attrs.frozen
class SessionCheck:
    """A session as a page view checks it, with its account's state and language.

    ``account_state`` and ``language`` are ``None`` when the session's account is not
    stored (the session then logs nobody in). A storage builds it from rows it wrote
    itself (validated then) with :func:`~orderstatus_core.model.restore.restorer`;
    the constructor checks what it is given, as every model value does.

    >>> from datetime import UTC, datetime, timedelta
    >>> now = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    >>> check = SessionCheck("acct-0001", False, now, now + timedelta(hours=12), None,
    ...                      AccountState.ACTIVE, "fi")
    >>> check.signs_in(now + timedelta(minutes=30), idle_timeout=timedelta(minutes=30))
    True
    >>> check.signs_in(now + timedelta(minutes=31), idle_timeout=timedelta(minutes=30))
    False
    """

    account_id: str = attrs.field(validator=_account_id)
    #: *Keep me logged in*: no idle time-out, only the absolute expiry.
    remember: bool = attrs.field(validator=_bool)
    last_seen_at: datetime = attrs.field(converter=utc)
    #: The absolute end, fixed at log-in.
    expires_at: datetime = attrs.field(converter=utc)
    ended_at: datetime | None = attrs.field(converter=optional_utc)
    #: The account's state; ``None`` when no such account is stored.
    account_state: AccountState | None = attrs.field(converter=_optional_state)
    #: The account's preferred language; ``None`` when no such account is stored.
    language: str | None = attrs.field(validator=_optional_language)

    def __attrs_post_init__(self) -> None:
        # Both come from the account's row: both there, or both absent (no such account).
        if (self.account_state is None) != (self.language is None):
            raise InvalidFieldError("language", "is given exactly when account_state is")

    @classmethod
    def of(cls, session: AccountSession, account: Account | None) -> SessionCheck:
        """The check's read of a whole stored session and its account (``None``: not
        stored), for a store that keeps the whole values (memory, Redis sessions)."""
        if not isinstance(session, AccountSession):
            raise InvalidFieldError("session", "must be an AccountSession")
        if account is not None and not isinstance(account, Account):
            raise InvalidFieldError("account", "must be an Account or None")
        return cls(
            session.account_id,
            session.remember,
            session.last_seen_at,
            session.expires_at,
            session.ended_at,
            None if account is None else account.state,
            None if account is None else account.language,
        )

    def signs_in(self, now: datetime, *, idle_timeout: timedelta) -> bool:
        """Whether the session logs its holder in at ``now``: live by the session rules
        (:func:`~orderstatus_core.model.session_rules.session_is_live`) and its account
        stored and not deleted."""
        state = self.account_state
        return (
            state is not None
            and state is not AccountState.DELETED
            and session_is_live(self, now, idle_timeout)
        )

    def needs_touch(self, now: datetime, *, interval: timedelta) -> bool:
        """Whether this page view should write the last-seen time (at most once per
        ``interval``: :func:`~orderstatus_core.model.session_rules.session_needs_touch`)."""
        return session_needs_touch(self, now, interval)
