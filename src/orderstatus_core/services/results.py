"""The answers services give. Ordinary outcomes are values, not exceptions."""

from __future__ import annotations

import math
from datetime import datetime

import attrs

from orderstatus_core.model import EmailAddress
from orderstatus_core.model.account import SecurityEvent
from orderstatus_core.model.display import N_
from orderstatus_core.model.views import OrderView
from orderstatus_core.records import OrderHeader, OrderMatch

__all__ = [
    "ACCOUNT_REFUSALS",
    "AccountDeleted",
    "AccountView",
    "AccountViewResult",
    "AttachCodeSent",
    "AttachConfirmResult",
    "AttachRefused",
    "AttachRequestResult",
    "CaptchaIssued",
    "CaptchaRefused",
    "CaptchaResult",
    "ChangeEmailResult",
    "ChangePasswordResult",
    "CheckYourMail",
    "ConfirmEmailResult",
    "DeleteAccountResult",
    "EmailChangeRequested",
    "EmailChanged",
    "EmailVerified",
    "FindOrderResult",
    "ForgotPasswordResult",
    "GuestPassGranted",
    "GuestPassRefused",
    "GuestPassRequestResult",
    "GuestPassRequested",
    "GuestPassVerifyResult",
    "GuestSearchResult",
    "HistoryPage",
    "HistoryResult",
    "ImportReport",
    "LinkRefused",
    "LogInRefused",
    "LogInResult",
    "LoggedIn",
    "LoggedOut",
    "NoValidPass",
    "NotLoggedIn",
    "OrderAttached",
    "OrderFound",
    "OrderListRequested",
    "OrderListResult",
    "OrderNotFound",
    "OutboxEntry",
    "OutboxListing",
    "PasswordChanged",
    "PasswordNotAccepted",
    "PasswordReset",
    "PasswordSet",
    "PurgeReport",
    "ReauthenticateResult",
    "ReauthenticationRequired",
    "Refused",
    "RelayFailure",
    "RelayReport",
    "ResetPasswordResult",
    "ResetRequested",
    "SearchPage",
    "SecurityLog",
    "SecurityLogResult",
    "SessionCheckResult",
    "SetPasswordResult",
    "ShopperSearchResult",
    "SignUpResult",
    "SignedIn",
    "TryLater",
    "VerifyEmailResult",
    "ViewResult",
]


# Each answer's ``message`` defaults to its English message id; a service answers it in the
# shopper's language (services._texts.in_language), so two answers in one language are equal.


@attrs.frozen
class OrderFound:
    """The order, as an unverified guest may see it."""

    view: OrderView


@attrs.frozen
class OrderNotFound:
    """The one answer for a wrong pair, an unknown order and a malformed identifier.

    Always equal to every other ``OrderNotFound`` (SECURITY A1).
    """

    message: str = N_(
        "We could not find an order with that email address or phone number and order number."
    )


@attrs.frozen
class TryLater:
    """Too many attempts; the next one is allowed at ``retry_at``."""

    retry_at: datetime
    retry_after_seconds: int
    message: str = N_("Too many attempts. Please try again later.")

    @classmethod
    def at(cls, retry_at: datetime, now: datetime) -> TryLater:
        """A refusal until ``retry_at``, rounded up to whole seconds from ``now``."""
        seconds = max(1, math.ceil((retry_at - now).total_seconds()))
        return cls(retry_at=retry_at, retry_after_seconds=seconds)


@attrs.frozen
class Refused:
    """A guest command the order's state or the store's rules do not allow now.

    ``reason`` is a stable, machine-readable code (``already_shipped``,
    ``cancel_window_closed``, ``window_closed`` ...) a page can choose its text by;
    ``message`` says why in plain words, in the shopper's language
    (:data:`~orderstatus_core.policies.refusals.REFUSALS`). A value, not an exception, so
    that a page handles it in the same ``match`` as every other outcome.
    """

    reason: str
    message: str


@attrs.frozen
class NoValidPass:
    """The guest did not prove their right to the order: no guest pass, a wrong, expired or
    foreign one, or a look-up pair where this store asks for a pass.

    Always equal to every other ``NoValidPass``, whether or not the order exists
    (SECURITY A1); a page offers to mail a guest pass.
    """

    message: str = N_(
        "Please confirm it is your order: request a guest pass for it and use the code we mail you."
    )


@attrs.frozen
class OrderListRequested:
    """The one answer to Order Look-Up, whether or not any order exists (SECURITY A1)."""

    message: str = N_("If we have orders for that email address, we have sent their numbers to it.")


@attrs.frozen
class SearchPage:
    """One page of search results, newest first; ``next_cursor`` fetches the next page."""

    matches: tuple[OrderMatch, ...]
    next_cursor: str | None


@attrs.frozen
class RelayFailure:
    """A message the relay could not deliver this time: pending for a retry, or, when
    ``dead``, moved to dead letters (it failed for good, or too many times).

    ``kind`` names what it carries (``guest_pass``, ``return_documents`` ...); ``reason`` is
    the error, at most 500 characters, with the message's secrets and its recipient's
    address hidden, so it can be printed and logged.
    """

    message_id: str
    kind: str
    reason: str
    dead: bool = False


@attrs.frozen
class RelayReport:
    """What one run of the outbox relay did: ``failed`` counts every failure, ``dead``
    those of them that became dead letters."""

    sent: int
    failed: int
    #: The ``message_id`` of every message delivered, in delivery order.
    sent_ids: tuple[str, ...] = ()
    #: Every message that failed, in the order tried, with why.
    failures: tuple[RelayFailure, ...] = ()
    dead: int = 0


@attrs.frozen
class OutboxEntry:
    """One outbox message as staff see it (``orderstatus outbox``): never its codes or
    links, the recipient masked, the last error with secrets and addresses hidden.

    ``kind`` names what it carries (``guest_pass``, ``return_documents`` ...); ``dead_at``
    is set for a dead letter, ``next_attempt_at`` for a message waiting for a retry or
    leased to a worker.
    """

    message_id: str
    kind: str
    recipient: str
    created_at: datetime
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    dead_at: datetime | None


@attrs.frozen
class OutboxListing:
    """What the outbox holds: pending messages and dead letters, oldest first, each list
    cut at the limit asked; ``pending_count`` counts every pending message."""

    pending: tuple[OutboxEntry, ...]
    dead: tuple[OutboxEntry, ...]
    pending_count: int


@attrs.frozen
class PurgeReport:
    """How many records one purge deleted, by kind (SECURITY D5)."""

    sent_messages: int
    challenges: int
    passes: int
    idempotent_replies: int
    #: Account tokens (verification, reset, email change, attachment codes).
    account_tokens: int = 0
    #: Sessions that can never log anyone in again.
    sessions: int = 0
    #: Captcha challenges.
    captchas: int = 0
    #: Counts of failed log-ins below the lock, forgotten after ``failure_memory``.
    failed_logins: int = 0


@attrs.frozen
class ImportReport:
    """How many orders an import stored."""

    imported: int


@attrs.frozen
class GuestPassRequested:
    """The one answer to a guest-pass request, whether or not the pair matched (SECURITY A1)."""

    message: str = N_(
        "If the email address or phone number belongs to that order, we have sent a code and "
        "a link to the email address on the order. They work once, for a few minutes."
    )


@attrs.frozen
class GuestPassGranted:
    """A right code or link: the guest pass for one order, valid until ``expires_at``.

    ``email`` is the order's stored address, the one the code went to: the guest proved
    they read its mail, so a guest who came in by phone may see it and search its orders
    (:meth:`GuestSession.search_orders <orderstatus_core.GuestSession.search_orders>`).
    Keep ``token`` where the shopper's browser sends it back with each action on this order
    (a ``Secure``, ``HttpOnly`` cookie), and give it to the action. It is left out of
    ``repr`` so that a log line never carries it (SECURITY C4).
    """

    token: str = attrs.field(repr=False)
    order_number: str
    expires_at: datetime
    #: The address the code was mailed to, so the pass proves it: the guest may see it
    #: and search its orders. Left out of ``repr`` like every address in a log (C4).
    email: EmailAddress = attrs.field(repr=False)


@attrs.frozen
class GuestPassRefused:
    """The one answer for a wrong, expired, used or unknown code or link, and bad input.

    Always equal to every other ``GuestPassRefused``.
    """

    message: str = N_(
        "That code or link does not work. It may be mistyped, used or expired; ask for a new one."
    )


FindOrderResult = OrderFound | OrderNotFound | TryLater
OrderListResult = OrderListRequested | TryLater
GuestPassRequestResult = GuestPassRequested | TryLater
GuestPassVerifyResult = GuestPassGranted | GuestPassRefused | TryLater
#: The answers to viewing an order with a guest pass (or, without one, the look-up pair).
ViewResult = OrderFound | OrderNotFound | NoValidPass | TryLater
#: The answers to a guest's search of the orders of the email their pass proved.
GuestSearchResult = SearchPage | NoValidPass


# --- accounts ------------------------------------------------------------------------------


@attrs.frozen
class CaptchaIssued:
    """A new captcha for the sign-up form: show ``image`` (PNG) with a link to play
    ``audio`` (WAV, the same characters spoken), and send ``challenge_id`` back with the
    answer. Answered once, until ``expires_at``. The media are left out of ``repr``."""

    challenge_id: str
    expires_at: datetime
    image: bytes = attrs.field(repr=False)
    audio: bytes = attrs.field(repr=False)


@attrs.frozen
class CheckYourMail:
    """The one answer to a sign-up whose captcha was solved, whether or not the address has
    an account (SECURITY A1, A5): a new address gets its verification link, an address with
    an account gets a notice instead."""

    message: str = N_(
        "Thank you. We have sent a mail to that address: follow its link to continue."
    )


@attrs.frozen
class CaptchaRefused:
    """The captcha's answer was wrong, or the challenge expired or was used: show a new
    one. Always equal to every other ``CaptchaRefused``."""

    message: str = N_("The characters did not match the picture. Please try a new one.")


@attrs.frozen
class EmailVerified:
    """The address is verified and its orders joined the account. ``token`` opens the
    set-password step (:func:`~orderstatus_core.services.set_password`) until
    ``expires_at``: keep it in the page's form, never in a URL a referrer could leak. It is
    left out of ``repr`` (SECURITY C4)."""

    token: str = attrs.field(repr=False)
    expires_at: datetime


@attrs.frozen
class LinkRefused:
    """The one answer for a wrong, expired, used or unknown link, and malformed input.

    Always equal to every other ``LinkRefused``.
    """

    message: str = N_("That link does not work. It may be mistyped, used or expired.")


#: The shopper's words for each reason a new password is refused, by the reason code of
#: :data:`~orderstatus_core.policies.passwords.PASSWORD_REFUSALS`.
ACCOUNT_REFUSALS = {
    "not_text": N_("That password holds characters that cannot be typed reliably."),
    "too_short": N_("That password is too short. Please use a longer one."),
    "too_long": N_("That password is too long. Please use at most 128 characters."),
    "common": N_("That password is one of the most common ones. Please choose another."),
    "breached": N_("That password is known from a data breach. Please choose another."),
}


@attrs.frozen
class PasswordNotAccepted:
    """The new password was refused and nothing changed: ``reason`` is a key of
    :data:`~orderstatus_core.policies.passwords.PASSWORD_REFUSALS` (``too_short``,
    ``common`` ...), ``message`` says why in the shopper's language, never repeating the
    password. The link or session that asked stays usable."""

    reason: str
    message: str


@attrs.frozen
class PasswordSet:
    """The password is set; the shopper logs in with it (setting it never logs in)."""

    message: str = N_("Your password is set. You can log in now.")


@attrs.frozen
class LoggedIn:
    """A new session: set ``token`` as the session cookie (``Secure``, ``HttpOnly``,
    ``SameSite=Lax``; with ``remember``, ``Max-Age`` until ``expires_at``, otherwise a
    browser-session cookie) and never anywhere else. It is left out of ``repr`` (C4)."""

    token: str = attrs.field(repr=False)
    expires_at: datetime
    remember: bool


@attrs.frozen
class LogInRefused:
    """The one answer for an unknown email, a wrong password, an unverified or a locked
    account and malformed input (SECURITY A1). Always equal to every other one."""

    message: str = N_("That email address and password do not match an account.")


@attrs.frozen
class ResetRequested:
    """The one answer to *forgot password*, whatever the address (SECURITY A1)."""

    message: str = N_(
        "If that address has an account, we have sent it a link to choose a new password."
    )


@attrs.frozen
class PasswordReset:
    """The new password is set and every session of the account ended. A reset never logs
    in by itself: the shopper logs in with the new password."""

    message: str = N_("Your password is changed and every device is logged out. Please log in.")


@attrs.frozen
class LoggedOut:
    """The session ended on the server; drop the cookie. The answer to a log-out with a
    session that had ended already, too."""


@attrs.frozen
class NotLoggedIn:
    """No live session: none given, unknown, logged out, idle too long, expired, or its
    account deleted. A page sends the shopper to log in. Always equal to every other one."""

    message: str = N_("Please log in.")


@attrs.frozen
class ReauthenticationRequired:
    """The command needs the password typed within the last few minutes (SECURITY E4): ask
    for it (:meth:`ShopperSession.reauthenticate
    <orderstatus_core.ShopperSession.reauthenticate>`) and try again."""

    message: str = N_("Please enter your password again to continue.")


@attrs.frozen
class EmailChangeRequested:
    """The one answer to a change of email: a link went to the new address and a notice to
    the old one; the address changes only when the link is followed."""

    message: str = N_(
        "We have sent a link to the new address. The change takes effect once you follow it."
    )


@attrs.frozen
class EmailChanged:
    """The new address is confirmed and is the account's now."""

    message: str = N_("Your email address is changed.")


@attrs.frozen
class PasswordChanged:
    """The new password is set; every other session of the account ended."""

    message: str = N_("Your password is changed. Your other devices are logged out.")


@attrs.frozen
class AccountDeleted:
    """The account is deleted: every session and link ended, its orders unlinked (the store
    keeps them). Drop the session cookie."""

    message: str = N_("Your account is deleted.")


@attrs.frozen
class AttachCodeSent:
    """The one answer to a request to attach an order: if the pair matched, a code went to
    the order's stored address. Keep ``attach_id`` in the page's form and send it back
    with the code (:meth:`ShopperSession.confirm_attach
    <orderstatus_core.ShopperSession.confirm_attach>`)."""

    attach_id: str
    message: str = N_(
        "If the email address or phone number belongs to that order, we have sent a code to "
        "the email address on the order."
    )


@attrs.frozen
class OrderAttached:
    """The order is linked to the account and shows in its history."""

    order_number: str


@attrs.frozen
class AttachRefused:
    """The one answer for a wrong, used or expired code, an unknown attachment, an order
    linked to another account and malformed input."""

    message: str = N_("That code does not work. It may be mistyped, used or expired.")


@attrs.frozen
class AccountView:
    """The account page: the holder's own address (in full: they proved it), language and
    times. ``email`` is left out of ``repr`` like every address in a log (C4)."""

    email: EmailAddress = attrs.field(repr=False)
    language: str
    created_at: datetime
    verified_at: datetime | None
    password_changed_at: datetime | None
    #: When the session ends at the latest (no sliding renewal).
    session_expires_at: datetime
    remember: bool


@attrs.frozen
class SignedIn:
    """Who is logged in, as every page view checks it (:meth:`ShopperSession.check
    <orderstatus_core.ShopperSession.check>`): the account's id (opaque, safe in a URL or
    a log line: key the store's own data by it), the language it prefers, and when the
    session ends at the latest. No address and no secret: the account page
    (:class:`AccountView`) shows the holder's own."""

    account_id: str
    #: The account's preferred language for mail and pages.
    language: str
    #: When the session ends at the latest (no sliding renewal).
    session_expires_at: datetime
    #: *Keep me logged in*: no idle time-out, only the absolute expiry.
    remember: bool


@attrs.frozen
class HistoryPage:
    """One page of the account's linked orders, newest first; ``next_cursor`` fetches the
    next page."""

    orders: tuple[OrderHeader, ...]
    next_cursor: str | None


@attrs.frozen
class SecurityLog:
    """The newest lines of the account's security log, newest first: emails masked, no
    secrets (SECURITY C4)."""

    events: tuple[SecurityEvent, ...]


CaptchaResult = CaptchaIssued | TryLater
SignUpResult = CheckYourMail | CaptchaRefused | TryLater
VerifyEmailResult = EmailVerified | LinkRefused | TryLater
SetPasswordResult = PasswordSet | PasswordNotAccepted | LinkRefused | TryLater
LogInResult = LoggedIn | LogInRefused | TryLater
ForgotPasswordResult = ResetRequested | TryLater
ResetPasswordResult = PasswordReset | PasswordNotAccepted | LinkRefused | TryLater
ConfirmEmailResult = EmailChanged | LinkRefused | TryLater
AccountViewResult = AccountView | NotLoggedIn
SessionCheckResult = SignedIn | NotLoggedIn
HistoryResult = HistoryPage | NotLoggedIn
ShopperSearchResult = SearchPage | NotLoggedIn
ReauthenticateResult = LoggedIn | LogInRefused | NotLoggedIn | TryLater
ChangeEmailResult = EmailChangeRequested | ReauthenticationRequired | NotLoggedIn | TryLater
ChangePasswordResult = (
    PasswordChanged | PasswordNotAccepted | ReauthenticationRequired | NotLoggedIn
)
DeleteAccountResult = AccountDeleted | ReauthenticationRequired | NotLoggedIn
AttachRequestResult = AttachCodeSent | NotLoggedIn | TryLater
AttachConfirmResult = OrderAttached | AttachRefused | NotLoggedIn | TryLater
SecurityLogResult = SecurityLog | NotLoggedIn
