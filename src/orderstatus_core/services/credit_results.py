"""The answers of the store-credit and discount-code commands: values of closed unions for
a page's (or a checkout's) ``match`` statement, beside
:mod:`orderstatus_core.services.profile_results`."""

from __future__ import annotations

from datetime import datetime

import attrs

from orderstatus_core.model.discounts import CodeStatus, DiscountCode
from orderstatus_core.model.money import Money
from orderstatus_core.records import CreditEntry
from orderstatus_core.services.results import NotLoggedIn

__all__ = [
    "AccountCredit",
    "AccountCreditResult",
    "CodeAlreadyUsed",
    "CodeCurrencyMismatch",
    "CodeExpired",
    "CodeIssued",
    "CodeNotFound",
    "CodeRevoked",
    "DiscountApplied",
    "DiscountCodes",
    "DiscountCodesResult",
    "IssueCodeResult",
    "ListedCode",
    "NoSuchAccount",
    "RedeemResult",
    "RevokeCodeResult",
    "TooManyCodes",
]


@attrs.frozen
class AccountCredit:
    """The account's store credit across its proven addresses (its own and those of its
    linked orders): the balance in each currency it holds credit in, by currency code, and
    the newest ledger entries, newest first."""

    balances: tuple[Money, ...]
    entries: tuple[CreditEntry, ...]


@attrs.frozen
class ListedCode:
    """One discount code of the account page, with where it stands now."""

    code: DiscountCode
    status: CodeStatus


@attrs.frozen
class DiscountCodes:
    """The account's newest discount codes (the policy's ``listed_discount_codes``, 50),
    newest first, used, revoked and expired ones included."""

    codes: tuple[ListedCode, ...]


@attrs.frozen
class CodeIssued:
    """The code is issued to the account; ``code.shown`` is what to tell the shopper."""

    code: DiscountCode


@attrs.frozen
class TooManyCodes:
    """The account holds ``limit`` open codes, the most it may; nothing was issued."""

    limit: int


@attrs.frozen
class NoSuchAccount:
    """No verified, live account has this email; nothing was issued."""


@attrs.frozen
class DiscountApplied:
    """The code took ``discount`` off the order ``order_reference``; it is used now. A
    repeat of the same order reference answers this again (the same discount) and uses
    nothing more."""

    code: str
    discount: Money
    order_reference: str


@attrs.frozen
class CodeNotFound:
    """No such code: never issued, or issued to another account (the same answer, so that
    a checkout cannot tell a guessed code of another shopper from none, SECURITY A1)."""


@attrs.frozen
class CodeExpired:
    """The code's lifetime ended at ``expired_at``; it stays unused."""

    expired_at: datetime


@attrs.frozen
class CodeAlreadyUsed:
    """The code was used at ``used_at`` for another order; nothing changed."""

    used_at: datetime


@attrs.frozen
class CodeRevoked:
    """The code stands revoked by staff since ``revoked_at``: a staff revoke's answer (the
    first revoke's time for a repeat), and a checkout's for a revoked code."""

    revoked_at: datetime


@attrs.frozen
class CodeCurrencyMismatch:
    """The code is worth an amount in ``currency``, and the subtotal is in another; it
    stays unused."""

    currency: str


AccountCreditResult = AccountCredit | NotLoggedIn
DiscountCodesResult = DiscountCodes | NotLoggedIn
IssueCodeResult = CodeIssued | TooManyCodes | NoSuchAccount
RevokeCodeResult = CodeRevoked | CodeNotFound | CodeAlreadyUsed
RedeemResult = (
    DiscountApplied
    | CodeNotFound
    | CodeExpired
    | CodeAlreadyUsed
    | CodeRevoked
    | CodeCurrencyMismatch
)
