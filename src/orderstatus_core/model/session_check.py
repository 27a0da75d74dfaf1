"""What a page view's session check answers: a session that logs its holder in now.

Every page of a logged-in shopper asks one thing first: is this session cookie live at
this instant, and whose is it? :meth:`SessionStore.check
<orderstatus_core.ports.SessionStore.check>` answers it for a moment and the account
policy's idle time-out and touch interval: a :class:`SessionCheck` when the session logs
its holder in then (with what the page needs: the account and its language, the
session's expiry and *remember*, and whether the last-seen time is due a write), or
``None`` when it does not (no such session, ended, expired, idle too long, its account
not stored or deleted).

The decision is made by the rules of :mod:`orderstatus_core.model.session_rules`: a store
that keeps whole values (memory, Redis sessions) answers :meth:`SessionCheck.at`, which
calls them; a SQL store lets its one statement decide from the instants it holds, by the
same comparisons written in SQL (``now <= expires_at``, ``now - last_seen_at <=
idle_timeout``, ``now - last_seen_at >= touch_interval``), so that a page view decodes one
instant and no rule runs in Python. The contract suite
(:class:`~orderstatus_core.testing.contracts.account_store.SessionStoreContract`) and the
account state machine hold every store to :meth:`SessionCheck.at` at each edge. The
account page and every command that changes the account still read the whole
:class:`~orderstatus_core.model.account.AccountSession` and
:class:`~orderstatus_core.model.account.Account`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import attrs

from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.model._checks import utc

# _account_id, _bool and _language: the account model's own checks, so both values
# refuse alike.
from orderstatus_core.model.account import (
    Account,
    AccountSession,
    AccountState,
    _account_id,
    _bool,
    _language,
)
from orderstatus_core.model.session_rules import (
    checked_moment,
    session_is_live,
    session_needs_touch,
)

__all__ = ["SessionCheck"]


def _language_code(instance: object, attribute: Any, value: str) -> None:
    _language(instance, attribute, value)  # typed for the field: attrs infers from this


@attrs.frozen
class SessionCheck:
    """A session that logs its holder in at the instant it was checked for.

    A storage builds it from rows it wrote itself (validated then) with
    :func:`~orderstatus_core.model.restore.restorer`; the constructor checks what it is
    given, as every model value does. :meth:`at` decides from a whole stored session.

    >>> from datetime import UTC, datetime, timedelta
    >>> from orderstatus_core.model.account import AccountSession
    >>> login = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
    >>> session = AccountSession.start("SessionId-0000000000000", "acct-0001", login,
    ...                                remember=False, lifetime=timedelta(hours=12))
    >>> rules = {"idle_timeout": timedelta(minutes=30), "touch_interval": timedelta(minutes=1)}
    >>> SessionCheck.at(session, None, login, **rules) is None  # no such account stored
    True
    """

    account_id: str = attrs.field(validator=_account_id)
    #: The account's preferred language.
    language: str = attrs.field(validator=_language_code)
    #: The session's absolute end, fixed at log-in.
    expires_at: datetime = attrs.field(converter=utc)
    #: *Keep me logged in*: no idle time-out, only the absolute expiry.
    remember: bool = attrs.field(validator=_bool)
    #: Whether this page view should write the last-seen time (it is ``touch_interval``
    #: old or more: :func:`~orderstatus_core.model.session_rules.session_needs_touch`).
    touch_due: bool = attrs.field(validator=_bool)

    @classmethod
    def at(
        cls,
        session: AccountSession,
        account: Account | None,
        now: datetime,
        *,
        idle_timeout: timedelta,
        touch_interval: timedelta,
    ) -> SessionCheck | None:
        """The check of a whole stored session and its account (``None``: not stored) at
        ``now``, for a store that keeps the whole values: ``None`` unless the session is
        live by the session rules
        (:func:`~orderstatus_core.model.session_rules.session_is_live`) and its account
        stored and not deleted. Refuses a naive ``now`` and a negative duration, as every
        store's :meth:`~orderstatus_core.ports.SessionStore.check` does."""
        if not isinstance(session, AccountSession):
            raise InvalidFieldError("session", "must be an AccountSession")
        if account is not None and not isinstance(account, Account):
            raise InvalidFieldError("account", "must be an Account or None")
        moment = checked_moment(now, idle_timeout, touch_interval)
        if (
            account is None
            or account.state is AccountState.DELETED
            or not session_is_live(session, moment, idle_timeout)
        ):
            return None
        return cls(
            session.account_id,
            account.language,
            session.expires_at,
            session.remember,
            session_needs_touch(session, moment, touch_interval),
        )
