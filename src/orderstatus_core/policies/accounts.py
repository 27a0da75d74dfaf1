"""The rules of shoppers' accounts, as one value a store can override (DOMAIN.md section 2).

Every lifetime and limit of sign-up, log-in, sessions, reset, email change and order
attachment lives here with its default and where the default comes from; a store changes
one through the ``orderstatus_account_policy`` hook::

    @hookimpl
    def orderstatus_account_policy():
        return attrs.evolve(AccountPolicy(), link_base="https://parts.example/account")

Pure values: no clock, no I/O.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs

from orderstatus_core.model.guest_pass import MAX_TRIES
from orderstatus_core.policies._fields import whole_number
from orderstatus_core.policies.guest_pass import _check_link_base
from orderstatus_core.policies.limits import Quota

__all__ = ["ACCOUNT_PAGES", "AccountPolicy", "account_link"]

#: The pages of the store's account area that a mailed link opens, by the token's use:
#: ``{link_base}/{page}?token=...``.
ACCOUNT_PAGES = frozenset({"verify", "reset", "confirm-email", "unsubscribe"})

_MINUTE = timedelta(minutes=1)
_FIVE_MINUTES = timedelta(minutes=5)


def _positive(_instance: object, attribute: attrs.Attribute[timedelta], value: Any) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ValueError(f"{attribute.name} must be a positive timedelta")


def _quota(_instance: object, attribute: attrs.Attribute[Quota], value: Any) -> None:
    if not isinstance(value, Quota):
        raise ValueError(f"{attribute.name} must be a Quota")


def _within_nist_cap(_instance: object, attribute: attrs.Attribute[timedelta], value: Any) -> None:
    _positive(_instance, attribute, value)
    # NIST SP 800-63B-4 section 4.2.1.2 and SECURITY D3: at most 24 hours.
    if value > timedelta(hours=24):
        raise ValueError(f"{attribute.name} must be at most 24 hours")


#: The longest ``failure_memory``: a purge subtracts it from the time, which must stay a time.
_LONGEST_MEMORY = timedelta(days=3650)


def _memory(_instance: object, attribute: attrs.Attribute[timedelta], value: Any) -> None:
    _positive(_instance, attribute, value)
    if value > _LONGEST_MEMORY:
        raise ValueError(f"{attribute.name} must be at most 3650 days")


@attrs.frozen
class AccountPolicy:
    """Lifetimes, limits and the link base of the account features.

    The defaults follow SECURITY B to F: links for verification and setting a password
    live 24 hours, reset links 1 hour (D3); *keep me logged in* lasts 14 days from log-in
    with no sliding renewal, a plain session 30 minutes idle and 12 hours at most (E1); a
    change of email or password and the deletion need the password typed within 5
    minutes (E4); 100 consecutive failed log-ins lock an account until a reset (C2), and a
    count below that is forgotten 30 days after its last failure (D5); the
    rate limits are django-allauth's (C1). ``link_base`` is the store's own account area,
    from which every mailed link is built, never from a request's ``Host`` (D4).
    """

    #: How long a verification link works (and the set-password step it opens).
    verification_ttl: timedelta = attrs.field(
        default=timedelta(hours=24), validator=_within_nist_cap
    )
    #: How long a password-reset link works.
    reset_ttl: timedelta = attrs.field(default=timedelta(hours=1), validator=_within_nist_cap)
    #: How long a link confirming a new email address works.
    email_change_ttl: timedelta = attrs.field(
        default=timedelta(hours=24), validator=_within_nist_cap
    )
    #: How long the code that attaches another email's order works.
    attach_code_ttl: timedelta = attrs.field(default=timedelta(minutes=15), validator=_positive)
    #: Wrong codes an attachment allows; the next try fails even with the right code.
    attach_code_tries: int = attrs.field(default=3, validator=whole_number(1, MAX_TRIES))
    #: How long a captcha challenge takes an answer (C3).
    captcha_ttl: timedelta = attrs.field(default=timedelta(minutes=10), validator=_positive)
    #: *Keep me logged in*: absolute, from log-in; never extended (E1).
    remember_lifetime: timedelta = attrs.field(default=timedelta(days=14), validator=_positive)
    #: A plain session's absolute end, from log-in (E1).
    session_lifetime: timedelta = attrs.field(default=timedelta(hours=12), validator=_positive)
    #: A plain session ends after this long without a page view (E1).
    idle_timeout: timedelta = attrs.field(default=timedelta(minutes=30), validator=_positive)
    #: A page view writes the session's last-seen time at most this often.
    touch_interval: timedelta = attrs.field(default=_MINUTE, validator=_positive)
    #: How recently the password must have been typed for a change or the deletion (E4).
    reauthentication_window: timedelta = attrs.field(default=_FIVE_MINUTES, validator=_positive)
    #: Consecutive failed log-ins that lock an account until a password reset (C2).
    max_failed_logins: int = attrs.field(default=100, validator=whole_number(1, 100))
    #: How long a count of failed log-ins below the lock is kept after its last failure: a
    #: purge then forgets it (SECURITY D5). A count at the lock stays until its recovery.
    #: At most 3650 days.
    failure_memory: timedelta = attrs.field(default=timedelta(days=30), validator=_memory)
    #: The store's account area: links are ``{link_base}/verify?token=...``,
    #: ``/reset?token=...``, ``/confirm-email?token=...`` and (store mail's one-click
    #: unsubscribe) ``/unsubscribe?token=...``.
    link_base: str = attrs.field(default="https://shop.example/account", validator=_check_link_base)
    #: Failed log-ins per client (IP address) a minute (C1).
    login_per_client: Quota = attrs.field(default=Quota(10, _MINUTE), validator=_quota)
    #: Failed log-ins per normalised email in five minutes (C1).
    login_per_account: Quota = attrs.field(default=Quota(5, _FIVE_MINUTES), validator=_quota)
    #: Reset requests per client a minute (C1).
    reset_per_client: Quota = attrs.field(default=Quota(20, _MINUTE), validator=_quota)
    #: Reset requests per normalised email a minute (C1).
    reset_per_account: Quota = attrs.field(default=Quota(5, _MINUTE), validator=_quota)
    #: Verification mails per normalised email: one in 180 seconds (C1).
    verification_mail_per_account: Quota = attrs.field(
        default=Quota(1, timedelta(seconds=180)), validator=_quota
    )
    #: Sign-up attempts per client a minute.
    sign_up_per_client: Quota = attrs.field(default=Quota(10, _MINUTE), validator=_quota)
    #: New captcha images per client a minute (C3).
    captcha_per_client: Quota = attrs.field(default=Quota(10, _MINUTE), validator=_quota)
    #: Tries at a mailed link or code per client a minute (verify, reset, confirm, attach).
    token_per_client: Quota = attrs.field(default=Quota(10, _MINUTE), validator=_quota)
    #: Attachment requests per account in fifteen minutes (each one mails an order's owner).
    attach_per_account: Quota = attrs.field(
        default=Quota(3, timedelta(minutes=15)), validator=_quota
    )
    #: Email-change requests per account in fifteen minutes (each one mails two addresses).
    email_change_per_account: Quota = attrs.field(
        default=Quota(3, timedelta(minutes=15)), validator=_quota
    )
    #: Data exports per account in fifteen minutes (each reads the whole account holding
    #: its lock; a holder needs one).
    data_export_per_account: Quota = attrs.field(
        default=Quota(3, timedelta(minutes=15)), validator=_quota
    )
    #: Orders on one page of the account's history, and the most a caller may ask for.
    history_page_size: int = attrs.field(default=20, validator=whole_number(1, 100))
    #: Lines of the security log the holder reads at once.
    security_log_size: int = attrs.field(default=50, validator=whole_number(1, 500))

    def __attrs_post_init__(self) -> None:
        if self.idle_timeout > self.session_lifetime:
            raise ValueError("idle_timeout must not be longer than session_lifetime")


def account_link(link_base: str, page: str, token: str) -> str:
    """A mailed link: the configured base, the page and the token, nothing from a request.

    >>> account_link("https://shop.example/account", "verify", "abc.def")
    'https://shop.example/account/verify?token=abc.def'
    """
    if page not in ACCOUNT_PAGES:
        raise ValueError(f"unknown account page {page!r:.40}")
    return f"{link_base.rstrip('/')}/{page}?token={token}"
