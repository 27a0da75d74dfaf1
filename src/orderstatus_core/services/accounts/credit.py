"""Store credit and discount codes per account (DOMAIN.md section 2, issue 14 item 4).

The shopper's side, on their session:

* :func:`account_credit`: the balance in each currency and the newest entries of the
  store-credit ledger (the one ledger, kept per proven email address) across the
  account's addresses: its own and those of the orders linked to it;
* :func:`discount_codes`: the codes issued to the account, with where each stands.

The store's side, on ``desk.discounts`` (staff and the checkout, never the shopper's input
alone):

* :func:`issue_discount_code`: a new code for the account of a verified email, worth an
  amount or a percent, for the policy's lifetime [90 days] unless given one;
* :func:`revoke_discount_code`: withdraw a code that was not used;
* :func:`redeem_discount_code`: the checkout's one call. A code is used once: of
  checkouts racing with one code, one gets :class:`DiscountApplied` and the others
  :class:`CodeAlreadyUsed` (the storage's conditional update decides, SECURITY G2); a
  repeat for the same order reference answers the first :class:`DiscountApplied` again.

Why codes are stored as issued, not hashed: staff read a code to a shopper on the phone
and the account page lists it, so the store must be able to show it again; and a code is
no credential. It is worth a bounded discount only, only for its own account (a code of
another account answers :class:`CodeNotFound`, as one never issued does, SECURITY A1), and
it carries at least 65 random bits, so guessing one is hopeless. The look-up is by the
primary key of the stored form; what a database reader could take from the table, they
could take from the orders beside it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TypeVar

from orderstatus_core.errors import ConflictError, InvalidFieldError
from orderstatus_core.model.account import Account, AccountState
from orderstatus_core.model.discounts import (
    CODE_ALPHABET,
    DiscountCode,
    check_reference,
    check_worth,
    read_code,
)
from orderstatus_core.model.identifiers import EmailAddress
from orderstatus_core.model.money import Money
from orderstatus_core.ports import AccountStore, UnitOfWork
from orderstatus_core.records import CreditEntry
from orderstatus_core.services._retry import retrying
from orderstatus_core.services._texts import in_language
from orderstatus_core.services.accounts._common import (
    ShopperProof,
    checked_shopper,
    live_session,
    session_texts,
)
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.credit_results import (
    AccountCredit,
    AccountCreditResult,
    CodeAlreadyUsed,
    CodeCurrencyMismatch,
    CodeExpired,
    CodeIssued,
    CodeNotFound,
    CodeRevoked,
    DiscountApplied,
    DiscountCodes,
    DiscountCodesResult,
    IssueCodeResult,
    ListedCode,
    NoSuchAccount,
    RedeemResult,
    RevokeCodeResult,
    TooManyCodes,
)
from orderstatus_core.services.results import NotLoggedIn

__all__ = [
    "LISTED_ENTRIES",
    "account_credit",
    "credit_across",
    "credit_holders",
    "discount_codes",
    "issue_discount_code",
    "read_discount_codes",
    "redeem_discount_code",
    "revoke_discount_code",
]

R = TypeVar("R")

_CODE_NOT_FOUND = CodeNotFound()
_NO_SUCH_ACCOUNT = NoSuchAccount()
_MAX_ENTRIES = 500
#: How many ledger entries the account page lists (``account_credit``'s default).
LISTED_ENTRIES = 50
_SHORTEST, _LONGEST = timedelta(minutes=1), timedelta(days=5 * 366)


def _email(value: object) -> EmailAddress:
    if not isinstance(value, EmailAddress):
        raise InvalidFieldError("email", "must be a verified EmailAddress")
    return value


def _subtotal(value: object) -> Money:
    # A checkout with nothing to pay redeems no code: it would be used for nothing.
    if not isinstance(value, Money) or value.amount <= 0:
        raise InvalidFieldError("subtotal", "must be positive Money")
    return value


def _verified(account: Account | None) -> Account | None:
    """The account if it is live with its email verified (codes go to no other)."""
    return account if account is not None and account.state is AccountState.ACTIVE else None


def _reading(
    ctx: ServiceContext, proof: ShopperProof, read: Callable[[UnitOfWork, str], R]
) -> R | NotLoggedIn:
    """``read(uow, account_id)`` in a read unit, for the shopper of a live session (the
    profile's reading, with the whole unit: credit lives in the ledger beside the
    accounts)."""
    live = live_session(ctx, proof, worded=False)
    if live is None:
        return in_language(NotLoggedIn(), session_texts(ctx, proof, None))
    with ctx.storage.unit_of_work() as uow:
        return read(uow, live.session.account_id)


def _draw(length: int) -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(length))


# --- the shopper's side ----------------------------------------------------------------------


def account_credit(
    ctx: ServiceContext, proof: ShopperProof, limit: int = LISTED_ENTRIES
) -> AccountCreditResult:
    """The account's store credit (:class:`AccountCredit`): the balance per currency and
    the newest ``limit`` (1 to 500) entries, across the account's own address and the
    addresses of its linked orders (each proven, SECURITY F1, F2; two addresses that fold
    together are two, A4).

    One session check and one read unit: the account, its linked addresses, then two
    statements per address (a shopper has one or a few).
    """
    proof = checked_shopper(proof)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= _MAX_ENTRIES:
        raise InvalidFieldError("limit", f"must be 1 to {_MAX_ENTRIES}")

    return _reading(ctx, proof, lambda uow, account_id: credit_across(uow, account_id, limit))


def credit_across(uow: UnitOfWork, account_id: str, limit: int) -> AccountCredit:
    """The account's credit in ``uow``: the balance per currency and the newest ``limit``
    entries across :func:`credit_holders`. The account page's read and the data export's
    (which asks for every entry)."""
    totals: dict[str, Money] = {}
    entries: list[CreditEntry] = []
    for holder in credit_holders(uow.accounts, account_id):
        for balance in uow.credit.balances(holder):
            held = totals.get(balance.currency)
            totals[balance.currency] = balance if held is None else held + balance
        entries.extend(uow.credit.entries(holder, limit))
    entries.sort(key=_newest_first, reverse=True)
    return AccountCredit(
        balances=tuple(totals[currency] for currency in sorted(totals)),
        entries=tuple(entries[:limit]),
    )


def credit_holders(store: AccountStore, account_id: str) -> list[str]:
    """The email keys whose credit the account sees, ascending: its own and those of its
    linked orders (each proven, SECURITY F1, F2). Keys, not folded further: a look-alike
    address is another holder (A4)."""
    account = store.get(account_id)
    own = () if account is None else (account.email_key,)
    return sorted({*own, *store.linked_email_keys(account_id)})


def _newest_first(entry: CreditEntry) -> tuple[datetime, str]:
    return (entry.at, entry.entry_id)


def discount_codes(ctx: ServiceContext, proof: ShopperProof) -> DiscountCodesResult:
    """The account's newest codes (the policy's ``listed_discount_codes``, 50), newest
    first, each with its :class:`~orderstatus_core.model.discounts.CodeStatus` now."""
    proof = checked_shopper(proof)
    return _reading(ctx, proof, lambda uow, account_id: read_discount_codes(ctx, uow, account_id))


def read_discount_codes(ctx: ServiceContext, uow: UnitOfWork, account_id: str) -> DiscountCodes:
    """The account's :class:`DiscountCodes` in ``uow``, each code's status at the time
    read after them (:func:`discount_codes`' read and the profile page's)."""
    listed = ctx.policies.profile_policy().listed_discount_codes
    codes = uow.accounts.discount_codes(account_id, listed)
    now = ctx.clock.now()
    return DiscountCodes(codes=tuple(ListedCode(code, code.status(now)) for code in codes))


# --- the store's side ------------------------------------------------------------------------


def issue_discount_code(
    ctx: ServiceContext,
    email: EmailAddress,
    *,
    amount: Money | None = None,
    percent: int | None = None,
    lifetime: timedelta | None = None,
) -> IssueCodeResult:
    """Issue a new code to the verified account of ``email``, worth ``amount`` (positive
    Money) or ``percent`` (1 to 100) of a subtotal: exactly one of the two. It stays valid
    for ``lifetime`` (1 minute to 5 years), by default the policy's
    ``discount_lifetime`` (90 days): valid at exactly issued + lifetime, expired a second
    later.

    :class:`NoSuchAccount` for an address without a verified, live account;
    :class:`TooManyCodes` when the account holds the policy's ``max_discount_codes`` (20)
    open codes already. One write unit holding the account's lock, so two staff issuing
    at once never pass the bound together.
    """
    email = _email(email)
    check_worth(amount, percent)
    policy = ctx.policies.profile_policy()
    if lifetime is None:
        lifetime = policy.discount_lifetime
    if not isinstance(lifetime, timedelta) or not _SHORTEST <= lifetime <= _LONGEST:
        raise InvalidFieldError("lifetime", "must be a timedelta from 1 minute to 5 years")

    def attempt() -> IssueCodeResult:
        with ctx.storage.unit_of_work(write=True) as uow:
            found = _verified(uow.accounts.by_email(email.canonical))
            if found is None:
                return _NO_SUCH_ACCOUNT
            account = _verified(uow.accounts.get(found.account_id))  # the account's lock
            now = ctx.clock.now()
            if account is None:
                return _NO_SUCH_ACCOUNT
            if uow.accounts.count_open_codes(account.account_id, now) >= policy.max_discount_codes:
                return TooManyCodes(limit=policy.max_discount_codes)
            code = DiscountCode(
                _draw(policy.discount_code_length),
                account.account_id,
                amount,
                percent,
                now,
                now + lifetime,
            )
            uow.accounts.put_discount_code(code)
            uow.commit()
        return CodeIssued(code=code)

    return retrying(attempt)


def revoke_discount_code(ctx: ServiceContext, code: str) -> RevokeCodeResult:
    """Withdraw ``code`` (as typed: :func:`~orderstatus_core.model.discounts.read_code`)
    unless it was used: :class:`CodeRevoked` (for a repeat, with the first revoke's time),
    :class:`CodeAlreadyUsed` for a used code (the order keeps its discount),
    :class:`CodeNotFound` for one never issued."""
    typed = read_code(code)

    def attempt() -> RevokeCodeResult:
        with ctx.storage.unit_of_work(write=True) as uow:
            now = ctx.clock.now()
            revoked = uow.accounts.revoke_discount_code(typed, now)
            stored = uow.accounts.discount_code(typed)
            uow.commit()
        if stored is None:
            return _CODE_NOT_FOUND
        if stored.used_at is not None:
            return CodeAlreadyUsed(used_at=stored.used_at)
        if not revoked and stored.revoked_at is None:  # pragma: no cover - the port's contract
            raise ConflictError("the storage neither revoked the code nor holds it revoked")
        assert stored.revoked_at is not None
        return CodeRevoked(revoked_at=stored.revoked_at)

    return retrying(attempt)


def redeem_discount_code(
    ctx: ServiceContext,
    code: str,
    email: EmailAddress,
    order_reference: str,
    subtotal: Money,
) -> RedeemResult:
    """The checkout's one call: use ``code`` (as typed) of the verified account of
    ``email`` for the order ``order_reference`` (the store's checkout or order id, 1 to 64
    letters, digits, - or _) whose ``subtotal`` (positive Money) it discounts.

    Answers :class:`DiscountApplied` with what the code takes off (an amount code at most
    the subtotal; a percent rounded down to the cent), and then the code is used. A repeat
    for the same ``order_reference`` answers the same :class:`DiscountApplied` again and
    uses nothing (a retried checkout). Otherwise, changing nothing:
    :class:`CodeNotFound` for a code never issued *or* issued to another account (and for
    an address without a verified account), :class:`CodeAlreadyUsed`,
    :class:`CodeRevoked`, :class:`CodeExpired` (valid at exactly ``expires_at``, expired a
    second later), :class:`CodeCurrencyMismatch`.

    Race safe: the storage uses a code with one conditional update (``... WHERE used_at IS
    NULL``), so of checkouts racing with one code exactly one gets the discount.
    """
    typed = read_code(code)
    email = _email(email)
    reference = check_reference(order_reference)
    subtotal = _subtotal(subtotal)

    def attempt() -> RedeemResult:
        with ctx.storage.unit_of_work(write=True) as uow:
            store = uow.accounts
            account = _verified(store.by_email(email.canonical))
            stored = store.discount_code(typed)
            now = ctx.clock.now()
            if account is None or stored is None or stored.account_id != account.account_id:
                return _CODE_NOT_FOUND
            answer = _decide(stored, reference, subtotal, now)
            if not isinstance(answer, DiscountApplied):
                return answer
            if not store.use_discount_code(
                typed, account.account_id, reference, answer.discount, now
            ):
                # Another checkout used (or staff revoked) it after the read above, and
                # committed: read what it left and answer by that.
                again = store.discount_code(typed)
                if again is None or (again.used_at is None and again.revoked_at is None):
                    raise ConflictError("the discount code changed under the checkout; retry")
                return _decide(again, reference, subtotal, now)
            uow.commit()
        return answer

    return retrying(attempt)


def _decide(code: DiscountCode, reference: str, subtotal: Money, now: datetime) -> RedeemResult:
    """What a checkout of ``reference`` with ``subtotal`` at ``now`` gets from ``code``;
    a :class:`DiscountApplied` for an unused code is what to write."""
    if code.used_at is not None:
        if code.order_reference == reference and code.discount is not None:
            return DiscountApplied(
                code=code.code, discount=code.discount, order_reference=reference
            )
        return CodeAlreadyUsed(used_at=code.used_at)
    if code.revoked_at is not None:
        return CodeRevoked(revoked_at=code.revoked_at)
    if now > code.expires_at:
        return CodeExpired(expired_at=code.expires_at)
    discount = code.discount_on(subtotal)
    if discount is None:
        assert code.amount is not None
        return CodeCurrencyMismatch(currency=code.amount.currency)
    return DiscountApplied(code=code.code, discount=discount, order_reference=reference)
