"""Store credit and discount codes per account (issue 14 item 4): the shopper's page shows
the credit of every proven address of the account and the codes issued to it; staff issue
and revoke codes; the checkout redeems one once, for one order, within its lifetime
(valid at issued + lifetime, expired a second later), and each refusal is a value; an
unknown code and another account's answer the same (SECURITY A1)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from orderstatus_core import (
    AccountCredit,
    AccountDeleted,
    AdapterError,
    CodeAlreadyUsed,
    CodeCurrencyMismatch,
    CodeExpired,
    CodeIssued,
    CodeNotFound,
    CodeRevoked,
    CodeStatus,
    CreditEntry,
    DiscountApplied,
    DiscountCode,
    DiscountCodes,
    FieldTooLongError,
    InvalidFieldError,
    Money,
    NoSuchAccount,
    NotLoggedIn,
    OrderStatus,
    ProfilePolicy,
    ShopperSession,
    TooManyCodes,
    ValidationError,
    hookimpl,
)
from orderstatus_core.contacts import parse_email
from orderstatus_core.model.account import LinkedBy, OrderLink
from orderstatus_core.services import ServiceContext
from orderstatus_core.testing import FixedClock, fake_context
from orderstatus_core.testing.builders import make_order
from support.accounts import CLIENT, log_in, open_storage, register, sign_up

JANE = "jane@example.com"
JOHN = "john@example.com"
USD_80 = Money("80.00", "USD")


class _TwoCodes:
    @hookimpl
    def orderstatus_profile_policy(self) -> ProfilePolicy:
        return ProfilePolicy(max_discount_codes=2, discount_lifetime=timedelta(days=7))


@pytest.fixture(params=["memory", "sqlite"])
def ctx(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceContext]:
    """Jane and John registered, on memory or SQLite; an account holds 2 open codes at
    most, valid 7 days by default."""
    storage = open_storage(request.param, tmp_path)
    context = fake_context(storage, plugins=[_TwoCodes()])
    register(context, JANE)
    # The newest verification mail is John's only if it is newer than Jane's.
    assert isinstance(context.clock, FixedClock)
    context.clock.advance(timedelta(seconds=1))
    register(context, JOHN)
    yield context
    storage.close()


def _desk(ctx: ServiceContext) -> OrderStatus:
    return OrderStatus(ctx)


def _shopper(ctx: ServiceContext, email: str = JANE) -> ShopperSession:
    return _desk(ctx).shopper(client=CLIENT, session=log_in(ctx, email).token)


def _issue(ctx: ServiceContext, email: str = JANE, **worth: object) -> DiscountCode:
    answer = _desk(ctx).discounts.issue(parse_email(email), **worth or {"percent": 10})  # type: ignore[arg-type]
    assert isinstance(answer, CodeIssued), answer
    return answer.code


def _redeem(ctx: ServiceContext, code: str, reference: str = "order-1", **kw: object) -> object:
    email = parse_email(str(kw.get("email", JANE)))
    subtotal = kw.get("subtotal", USD_80)
    assert isinstance(subtotal, Money)
    return _desk(ctx).discounts.redeem(code, email, reference, subtotal)


def _listed(ctx: ServiceContext, email: str = JANE) -> list[tuple[str, CodeStatus]]:
    answer = _shopper(ctx, email).discount_codes()
    assert isinstance(answer, DiscountCodes), answer
    return [(entry.code.code, entry.status) for entry in answer.codes]


def _advance(ctx: ServiceContext, by: timedelta) -> None:
    assert isinstance(ctx.clock, FixedClock)
    ctx.clock.advance(by)


# --- issuing and listing ---------------------------------------------------------------------


def test_an_issued_code_is_readable_random_and_listed_open(ctx: ServiceContext) -> None:
    """A code has the policy's 16 characters of the readable alphabet, at least 64 bits,
    and the shopper's page lists it open."""
    code = _issue(ctx)
    assert len(code.code) == 16
    assert set(code.code) <= set("0123456789ABCDEFGHJKMNPQRSTVWXYZ")
    assert code.shown.count("-") == 3
    assert code.expires_at - code.issued_at == timedelta(days=7)
    assert _listed(ctx) == [(code.code, CodeStatus.OPEN)]
    assert _listed(ctx, JOHN) == []


def test_codes_are_listed_newest_first(ctx: ServiceContext) -> None:
    """Two codes a second apart: the newer first."""
    first = _issue(ctx)
    _advance(ctx, timedelta(seconds=1))
    second = _issue(ctx, amount=Money("5.00", "USD"))
    assert [text for text, _status in _listed(ctx)] == [second.code, first.code]


def test_an_account_holds_at_most_the_policys_open_codes(ctx: ServiceContext) -> None:
    """A third open code is refused; once one is used, another may be issued."""
    first = _issue(ctx)
    _issue(ctx)
    assert _desk(ctx).discounts.issue(parse_email(JANE), percent=5) == TooManyCodes(limit=2)
    assert isinstance(_redeem(ctx, first.code), DiscountApplied)
    _issue(ctx)


def test_an_address_without_a_verified_account_gets_no_code(ctx: ServiceContext) -> None:
    """No account, or one not verified yet: NoSuchAccount, nothing stored."""
    sign_up(ctx, "new@example.com")
    for email in ("nobody@example.com", "new@example.com"):
        assert _desk(ctx).discounts.issue(parse_email(email), percent=5) == NoSuchAccount()


@pytest.mark.parametrize(
    "worth",
    [
        {},
        {"amount": Money("5.00", "USD"), "percent": 5},
        {"percent": 0},
        {"percent": 101},
        {"percent": True},
        {"percent": "10"},
        {"amount": Money("0.00", "USD")},
        {"amount": Money("-1.00", "USD")},
        {"amount": "5.00"},
        {"percent": 5, "lifetime": timedelta(seconds=59)},
        {"percent": 5, "lifetime": 30},
    ],
)
def test_issuing_refuses_what_a_code_cannot_be_worth(
    ctx: ServiceContext, worth: dict[str, object]
) -> None:
    """No value, both, a percent outside 1 to 100, a non-positive amount, a lifetime under
    a minute or not a timedelta: a typed error, nothing issued."""
    with pytest.raises(InvalidFieldError):
        _desk(ctx).discounts.issue(parse_email(JANE), **worth)  # type: ignore[arg-type]
    assert _listed(ctx) == []


def test_issuing_to_text_instead_of_a_verified_address_is_refused(ctx: ServiceContext) -> None:
    """The address must be an EmailAddress the store parsed (F4)."""
    with pytest.raises(InvalidFieldError):
        _desk(ctx).discounts.issue(JANE, percent=5)  # type: ignore[arg-type]


# --- redeeming -------------------------------------------------------------------------------


def test_a_percent_code_takes_its_share_rounded_down_once(ctx: ServiceContext) -> None:
    """10 % of 59.99 is 5.99 (never more than promised); the code is used after."""
    code = _issue(ctx)
    answer = _redeem(ctx, code.code, subtotal=Money("59.99", "USD"))
    assert answer == DiscountApplied(code.code, Money("5.99", "USD"), "order-1")
    assert _listed(ctx) == [(code.code, CodeStatus.USED)]


def test_an_amount_code_takes_at_most_the_subtotal(ctx: ServiceContext) -> None:
    """A 25.00 code on a 19.99 order takes 19.99."""
    code = _issue(ctx, amount=Money("25.00", "USD"))
    answer = _redeem(ctx, code.code, subtotal=Money("19.99", "USD"))
    assert answer == DiscountApplied(code.code, Money("19.99", "USD"), "order-1")


def test_the_code_is_read_as_shown_in_lower_case_with_dashes(ctx: ServiceContext) -> None:
    """What the page shows, typed in lower case, is the same code."""
    code = _issue(ctx)
    assert isinstance(_redeem(ctx, code.shown.lower()), DiscountApplied)


def test_a_repeat_of_the_same_order_answers_the_same_discount(ctx: ServiceContext) -> None:
    """A retried checkout: the first answer again, even with another subtotal."""
    code = _issue(ctx)
    first = _redeem(ctx, code.code)
    assert _redeem(ctx, code.code, subtotal=Money("10.00", "USD")) == first


def test_a_used_code_is_refused_for_another_order(ctx: ServiceContext) -> None:
    """CodeAlreadyUsed with when it was used."""
    code = _issue(ctx)
    _redeem(ctx, code.code)
    assert _redeem(ctx, code.code, "order-2") == CodeAlreadyUsed(used_at=ctx.clock.now())


def test_a_code_is_valid_at_its_expiry_and_expired_a_second_later(ctx: ServiceContext) -> None:
    """At issued + lifetime it redeems; one second later it is CodeExpired, unused."""
    at_end, after_end = _issue(ctx), _issue(ctx)
    _advance(ctx, timedelta(days=7))
    assert isinstance(_redeem(ctx, at_end.code), DiscountApplied)
    _advance(ctx, timedelta(seconds=1))
    assert _redeem(ctx, after_end.code, "order-2") == CodeExpired(expired_at=after_end.expires_at)
    assert dict(_listed(ctx))[after_end.code] is CodeStatus.EXPIRED


def test_an_amount_code_in_another_currency_stays_unused(ctx: ServiceContext) -> None:
    """A USD code on a EUR order: CodeCurrencyMismatch; it still redeems in USD."""
    code = _issue(ctx, amount=Money("5.00", "USD"))
    assert _redeem(ctx, code.code, subtotal=Money("50.00", "EUR")) == CodeCurrencyMismatch("USD")
    assert isinstance(_redeem(ctx, code.code), DiscountApplied)


def test_another_accounts_code_answers_as_an_unknown_one(ctx: ServiceContext) -> None:
    """John's code at Jane's checkout, a code never issued, and any code for an address
    without an account: the same CodeNotFound; John's code stays open."""
    johns = _issue(ctx, JOHN)
    unknown = "0" * 16
    assert _redeem(ctx, johns.code) == _redeem(ctx, unknown) == CodeNotFound()
    assert _redeem(ctx, johns.code, email="nobody@example.com") == CodeNotFound()
    assert _listed(ctx, JOHN) == [(johns.code, CodeStatus.OPEN)]


def test_a_used_or_expired_code_of_another_account_answers_as_unknown(
    ctx: ServiceContext,
) -> None:
    """Another account's code tells nothing of its state (A1)."""
    johns = _issue(ctx, JOHN)
    _redeem(ctx, johns.code, email=JOHN)
    _advance(ctx, timedelta(days=8))
    assert _redeem(ctx, johns.code) == CodeNotFound()


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        (None, InvalidFieldError),
        (12345678901234, InvalidFieldError),
        (b"ABCDEFGHJKMNPQRS", InvalidFieldError),
        ("A" * 65, FieldTooLongError),
        ("", InvalidFieldError),
        ("ABCDEFGHJKMN", InvalidFieldError),  # 12: shorter than any code
        ("ABCDEFGHJKMNPQRSI", InvalidFieldError),  # I is not in the alphabet
        ("ＡＢＣＤＥＦＧＨＪＫＭＮＰＱＲＳ", InvalidFieldError),  # fullwidth
        ("АВСDEFGHJKMNPQRS", InvalidFieldError),  # Cyrillic А, В, С
        ("ABCD\u2010EFGH\u2010JKMN\u2010PQRS", InvalidFieldError),  # hyphen look-alike
        ("ABCD'; DROP TABLE discount_codes;--", InvalidFieldError),
        ("ABCDEFGH\r\nJKMNPQRS", InvalidFieldError),
        ("ABCDEFGH\x00JKMNPQRS", InvalidFieldError),
        ("ABCDEFGH\udcffJKMNPQRS", InvalidFieldError),
    ],
)
def test_text_that_is_no_code_is_a_typed_error_and_changes_nothing(
    ctx: ServiceContext, typed: object, error: type[ValidationError]
) -> None:
    """Wrong type, too long, wrong length, characters outside the alphabet (look-alikes
    and injection text included): a typed error for redeem and revoke; Jane's code stays
    open."""
    code = _issue(ctx)
    with pytest.raises(error):
        _desk(ctx).discounts.redeem(typed, parse_email(JANE), "order-1", USD_80)  # type: ignore[arg-type]
    with pytest.raises(error):
        _desk(ctx).discounts.revoke(typed)  # type: ignore[arg-type]
    assert _listed(ctx) == [(code.code, CodeStatus.OPEN)]


@pytest.mark.parametrize(
    ("reference", "subtotal"),
    [
        ("", USD_80),
        ("x" * 65, USD_80),
        ("order 1", USD_80),
        ("ordér-1", USD_80),
        ("1; DELETE FROM discount_codes", USD_80),
        (42, USD_80),
        ("order-1", Money("-1.00", "USD")),
        ("order-1", Money("0.00", "USD")),
        ("order-1", "80.00"),
    ],
)
def test_a_bad_reference_or_subtotal_is_a_typed_error_and_changes_nothing(
    ctx: ServiceContext, reference: object, subtotal: object
) -> None:
    """The order reference is 1 to 64 ASCII letters, digits, - or _; the subtotal positive
    Money."""
    code = _issue(ctx)
    with pytest.raises(InvalidFieldError):
        _desk(ctx).discounts.redeem(code.code, parse_email(JANE), reference, subtotal)  # type: ignore[arg-type]
    assert _listed(ctx) == [(code.code, CodeStatus.OPEN)]


# --- revoking --------------------------------------------------------------------------------


def test_a_revoked_code_no_longer_redeems(ctx: ServiceContext) -> None:
    """Revoke answers CodeRevoked (again for a repeat, with the first time); the checkout
    then answers CodeRevoked too."""
    code = _issue(ctx)
    revoked_at = ctx.clock.now()
    assert _desk(ctx).discounts.revoke(code.shown) == CodeRevoked(revoked_at)
    _advance(ctx, timedelta(minutes=1))
    assert _desk(ctx).discounts.revoke(code.code) == CodeRevoked(revoked_at)
    assert _redeem(ctx, code.code) == CodeRevoked(revoked_at)
    assert _listed(ctx) == [(code.code, CodeStatus.REVOKED)]


def test_a_used_code_cannot_be_revoked(ctx: ServiceContext) -> None:
    """The order keeps its discount: CodeAlreadyUsed; an unknown code: CodeNotFound."""
    code = _issue(ctx)
    _redeem(ctx, code.code)
    assert _desk(ctx).discounts.revoke(code.code) == CodeAlreadyUsed(used_at=ctx.clock.now())
    assert _desk(ctx).discounts.revoke("1" * 16) == CodeNotFound()


# --- the account page and its deletion -------------------------------------------------------


def test_without_a_session_the_lists_answer_not_logged_in(ctx: ServiceContext) -> None:
    """No session, no codes and no credit."""
    _issue(ctx)
    shopper = _desk(ctx).shopper(client=CLIENT, session=None)
    assert shopper.discount_codes() == NotLoggedIn()
    assert shopper.store_credit() == NotLoggedIn()


def test_deleting_the_account_drops_unused_codes_and_keeps_used_ones_detached(
    ctx: ServiceContext,
) -> None:
    """The open code is gone; the used one stays for the store's accounting, no longer the
    account's (its checkout repeat answers CodeNotFound)."""
    used, unused = _issue(ctx), _issue(ctx)
    _redeem(ctx, used.code)
    assert isinstance(_shopper(ctx).delete_account(), AccountDeleted)
    with ctx.storage.unit_of_work() as uow:
        assert uow.accounts.discount_code(unused.code) is None
        kept = uow.accounts.discount_code(used.code)
    assert kept is not None
    assert (kept.account_id, kept.order_reference) == (None, "order-1")
    assert _redeem(ctx, used.code) == CodeNotFound()


def test_a_storage_failing_to_use_the_code_changes_nothing(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SECURITY G1: the update failing raises the storage's AdapterError; the code stays
    open and redeems once the storage is back."""
    code = _issue(ctx)
    with ctx.storage.unit_of_work() as uow:
        store_type = type(uow.accounts)

    def failing(self: object, *args: object) -> bool:
        raise AdapterError("the database went away")

    monkeypatch.setattr(store_type, "use_discount_code", failing)
    with pytest.raises(AdapterError, match="went away"):
        _redeem(ctx, code.code)
    monkeypatch.undo()
    assert _listed(ctx) == [(code.code, CodeStatus.OPEN)]
    assert isinstance(_redeem(ctx, code.code), DiscountApplied)


def test_a_storage_failing_to_read_codes_raises(
    ctx: ServiceContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A listing or a checkout the storage cannot read is its AdapterError, not an answer."""
    code = _issue(ctx)
    with ctx.storage.unit_of_work() as uow:
        store_type = type(uow.accounts)

    def failing(self: object, *args: object) -> object:
        raise AdapterError("the database went away")

    monkeypatch.setattr(store_type, "discount_codes", failing)
    monkeypatch.setattr(store_type, "discount_code", failing)
    with pytest.raises(AdapterError):
        _shopper(ctx).discount_codes()
    with pytest.raises(AdapterError):
        _redeem(ctx, code.code)


# --- store credit per account ----------------------------------------------------------------


def _credit(ctx: ServiceContext, entry_id: str, holder: str, amount: Money, days: int) -> None:
    at = ctx.clock.now() + timedelta(days=days)
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.credit.append(CreditEntry(entry_id, holder, amount, at, entry_id))
        uow.commit()


def _account_credit(ctx: ServiceContext, limit: int = 50) -> AccountCredit:
    answer = _shopper(ctx).store_credit(limit)
    assert isinstance(answer, AccountCredit), answer
    return answer


def test_the_account_sees_the_credit_of_its_own_and_its_orders_addresses(
    ctx: ServiceContext,
) -> None:
    """Credit of Jane's address and of an attached order's other address add up per
    currency; a look-alike address and John's stay out (SECURITY A4)."""
    old = make_order("100000001", "jane.old@example.com")
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.orders.add(old)
        account = uow.accounts.by_email(parse_email(JANE).canonical)
        assert account is not None
        uow.accounts.link_order(
            OrderLink(account.account_id, old.number, ctx.clock.now(), LinkedBy.CODE)
        )
        uow.commit()
    _credit(ctx, "refund:1", "jane@example.com", Money("10.00", "USD"), 1)
    _credit(ctx, "refund:2", "jane.old@example.com", Money("2.50", "USD"), 2)
    _credit(ctx, "refund:3", "jane.old@example.com", Money("7.00", "EUR"), 3)
    _credit(ctx, "refund:4", "ｊａｎｅ@example.com", Money("99.00", "USD"), 4)
    _credit(ctx, "refund:5", JOHN, Money("50.00", "USD"), 5)
    credit = _account_credit(ctx)
    assert credit.balances == (Money("7.00", "EUR"), Money("12.50", "USD"))
    assert [e.entry_id for e in credit.entries] == ["refund:3", "refund:2", "refund:1"]
    assert [e.entry_id for e in _account_credit(ctx, limit=2).entries] == [
        "refund:3",
        "refund:2",
    ]


def test_an_account_without_credit_sees_none(ctx: ServiceContext) -> None:
    """No entries: no balances, no history."""
    assert _account_credit(ctx) == AccountCredit(balances=(), entries=())


@pytest.mark.parametrize("limit", [0, 501, -1, True, "10", 2.0])
def test_a_bad_history_limit_is_a_typed_error(ctx: ServiceContext, limit: object) -> None:
    """The history shows 1 to 500 entries."""
    with pytest.raises(InvalidFieldError):
        _shopper(ctx).store_credit(limit)  # type: ignore[arg-type]
