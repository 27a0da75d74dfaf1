"""The rules of a live session, in one place for every value that carries a session's times.

A stored session (:class:`~orderstatus_core.model.account.AccountSession`) and the page
view's check of one (:meth:`SessionCheck.at
<orderstatus_core.model.session_check.SessionCheck.at>`, what a store that keeps whole
values answers) both answer "does it log its holder in now?" and "is its last-seen time due
a write?" by the two functions here, so the check on every page view and every other
account command can never disagree (SECURITY E1, E3). A SQL store's check writes the same
comparisons in its statement (``now <= expires_at``, ``now - last_seen_at <=
idle_timeout``, ``now - last_seen_at >= interval``, each on exact microseconds); the
session store contract and the account state machine hold it to these functions at
every edge.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Protocol

from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.model._checks import utc

__all__ = [
    "SessionTimes",
    "checked_moment",
    "not_negative",
    "session_is_live",
    "session_needs_touch",
]

_ZERO = timedelta(0)


def not_negative(name: str, value: object) -> timedelta:
    """``value`` if it is a ``timedelta`` of zero or more; else :class:`InvalidFieldError`."""
    if not isinstance(value, timedelta) or value < _ZERO:
        raise InvalidFieldError(name, "must be a timedelta of zero or more")
    return value


def checked_moment(now: object, idle_timeout: object, touch_interval: object) -> datetime:
    """``now`` in UTC, once the two durations are known to be ``timedelta`` values of zero
    or more: what every store's :meth:`SessionStore.check
    <orderstatus_core.ports.SessionStore.check>` refuses first
    (:class:`InvalidFieldError`), before it reads anything."""
    # One test for the usual case first: this runs on every page view.
    if not (
        isinstance(idle_timeout, timedelta)
        and isinstance(touch_interval, timedelta)
        and idle_timeout >= _ZERO
        and touch_interval >= _ZERO
    ):
        not_negative("idle_timeout", idle_timeout)
        not_negative("touch_interval", touch_interval)
    return utc(now)


class SessionTimes(Protocol):
    """What the session rules read: a stored session
    (:class:`~orderstatus_core.model.account.AccountSession`) has it."""

    @property
    def remember(self) -> bool: ...
    @property
    def last_seen_at(self) -> datetime: ...
    @property
    def expires_at(self) -> datetime: ...
    @property
    def ended_at(self) -> datetime | None: ...


def session_is_live(session: SessionTimes, now: datetime, idle_timeout: timedelta) -> bool:
    """The one rule of a live session
    (:meth:`~orderstatus_core.model.account.AccountSession.is_live`): not ended, not past
    its absolute expiry, and, unless remembered, seen within ``idle_timeout`` (each bound
    included; SECURITY E1, E3)."""
    not_negative("idle_timeout", idle_timeout)
    moment = utc(now)
    if session.ended_at is not None or moment > session.expires_at:
        return False
    return session.remember or moment - session.last_seen_at <= idle_timeout


def session_needs_touch(session: SessionTimes, now: datetime, interval: timedelta) -> bool:
    """The one rule of the last-seen write
    (:meth:`~orderstatus_core.model.account.AccountSession.needs_touch`): only when
    the stored time is ``interval`` old or more."""
    not_negative("interval", interval)
    return utc(now) - session.last_seen_at >= interval
