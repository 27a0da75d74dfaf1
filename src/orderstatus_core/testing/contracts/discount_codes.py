"""The discount-code rules of the account store's conformance suite (a part of
:class:`~orderstatus_core.testing.contracts.AccountStoreContract`), on the ``storage``
fixture: codes found by their exact text, listed newest first, used once (eight threads
racing, exactly one wins, SECURITY G2), revoked only unused, open up to and including
their expiry (valid at TTL, not one microsecond later), forgotten or detached with their
account; and the email keys of an account's linked orders.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import attrs
import pytest

from orderstatus_core.contacts import parse_email
from orderstatus_core.errors import AdapterError, ConflictError
from orderstatus_core.model import Money
from orderstatus_core.model.account import Account, LinkedBy, OrderLink
from orderstatus_core.model.discounts import DiscountCode
from orderstatus_core.ports import Storage, UnitOfWork
from orderstatus_core.testing.builders import make_order
from orderstatus_core.testing.contracts._support import (
    _HOSTILE_KEYS,
    T0,
    StorageSuite,
    _store,
    _together,
)

__all__ = ["DiscountCodeRules"]

_DAY = timedelta(days=1)
_MICRO = timedelta(microseconds=1)
_CODE = "ABCDEFGHJKMNPQRS"
_ONE = Money("1.00", "USD")


def _code(
    code: str = _CODE,
    account_id: str = "acct-0001",
    *,
    at: datetime = T0,
    amount: Money | None = None,
    percent: int | None = 10,
) -> DiscountCode:
    if amount is not None:
        percent = None
    return DiscountCode(code, account_id, amount, percent, at, at + _DAY)


def _put(storage: Storage, *codes: DiscountCode) -> None:
    with storage.unit_of_work(write=True) as uow:
        for code in codes:
            uow.accounts.put_discount_code(code)
        uow.commit()


def _read(storage: Storage, code: str = _CODE) -> DiscountCode | None:
    with storage.unit_of_work() as uow:
        return uow.accounts.discount_code(code)


def _use(
    storage: Storage,
    code: str = _CODE,
    account_id: str = "acct-0001",
    reference: str = "order-1",
    at: datetime = T0,
) -> bool:
    with storage.unit_of_work(write=True) as uow:
        used = uow.accounts.use_discount_code(code, account_id, reference, _ONE, at)
        uow.commit()
    return used


class DiscountCodeRules(StorageSuite):
    """The discount-code methods of :class:`~orderstatus_core.ports.AccountStore`."""

    def test_a_code_is_read_back_equal_by_its_exact_text(self, storage: Storage) -> None:
        """Every field survives, an amount's exact ``Decimal`` text included; another text
        (lower case, with dashes) finds nothing: the service reads codes first."""
        worth = _code("ZZZZ0000ZZZZ0000Z", amount=Money("12.3400", "EUR"))
        _put(storage, _code(), worth)
        assert _read(storage) == _code()
        stored = _read(storage, worth.code)
        assert stored == worth
        assert stored is not None
        assert stored.amount is not None
        assert str(stored.amount.amount) == "12.3400"
        assert _read(storage, _CODE.lower()) is None
        assert _read(storage, "ABCD-EFGH-JKMN-PQRS") is None

    def test_a_stored_code_text_is_refused(self, storage: Storage) -> None:
        """A second code with the same text, for any account, raises ``ConflictError`` and
        the first stays as it was."""
        _put(storage, _code())
        with pytest.raises(ConflictError):
            _put(storage, _code(account_id="acct-0002", percent=50))
        assert _read(storage) == _code()

    def test_an_accounts_codes_are_newest_first_with_ties_by_code_descending(
        self, storage: Storage
    ) -> None:
        """``discount_codes`` lists one account's codes by ``issued_at`` descending, then
        by code descending, at most ``limit``; another account's never show."""
        hour = timedelta(hours=1)
        codes = [
            _code("AAAAAAAAAAAAA", at=T0),
            _code("CCCCCCCCCCCCC", at=T0 + hour),
            _code("BBBBBBBBBBBBB", at=T0 + hour),
            _code("DDDDDDDDDDDDD", account_id="acct-0002", at=T0 + 2 * hour),
        ]
        _put(storage, *codes)
        with storage.unit_of_work() as uow:
            listed = [c.code for c in uow.accounts.discount_codes("acct-0001", 10)]
            assert listed == ["CCCCCCCCCCCCC", "BBBBBBBBBBBBB", "AAAAAAAAAAAAA"]
            assert [c.code for c in uow.accounts.discount_codes("acct-0001", 1)] == [listed[0]]
            assert list(uow.accounts.discount_codes("acct-0001", 0)) == []

    def test_a_code_is_used_once_by_its_own_account(self, storage: Storage) -> None:
        """The first use answers ``True`` and records the time, order and discount; a
        second, or one with another account, answers ``False`` and changes nothing."""
        _put(storage, _code())
        assert _use(storage, account_id="acct-0002") is False
        assert _use(storage, at=T0 + timedelta(hours=1)) is True
        assert _use(storage, reference="order-2") is False
        stored = _read(storage)
        assert stored == attrs.evolve(
            _code(),
            used_at=T0 + timedelta(hours=1),
            order_reference="order-1",
            discount=_ONE,
        )

    def test_a_code_is_open_up_to_and_including_its_expiry(self, storage: Storage) -> None:
        """Counted open and usable at exactly ``expires_at``; one microsecond later
        neither."""
        _put(storage, _code(), _code("ZZZZZZZZZZZZZ"))
        end = T0 + _DAY
        with storage.unit_of_work() as uow:
            assert uow.accounts.count_open_codes("acct-0001", end) == 2
            assert uow.accounts.count_open_codes("acct-0001", end + _MICRO) == 0
            assert uow.accounts.count_open_codes("acct-0002", T0) == 0
        assert _use(storage, "ZZZZZZZZZZZZZ", at=end + _MICRO) is False
        assert _use(storage, at=end) is True
        with storage.unit_of_work() as uow:
            assert uow.accounts.count_open_codes("acct-0001", T0) == 1

    def test_a_code_raced_by_many_threads_is_used_exactly_once(self, storage: Storage) -> None:
        """Eight units using one code for eight orders at once: exactly one ``True``, and
        the stored code names that one's order."""
        self._needs("supports_concurrent_writers")
        _put(storage, _code())
        answers = _together(8, lambda n: _use(storage, reference=f"order-{n}"))
        assert answers.count(True) == 1, answers
        stored = _read(storage)
        assert stored is not None
        assert stored.order_reference == f"order-{answers.index(True)}"

    def test_only_an_unused_code_is_revoked_and_then_never_used(self, storage: Storage) -> None:
        """``revoke_discount_code`` answers ``True`` once; a revoked code is not used, a
        used one not revoked, and a revoked one is no longer open."""
        _put(storage, _code(), _code("ZZZZZZZZZZZZZ"))
        with storage.unit_of_work(write=True) as uow:
            assert uow.accounts.revoke_discount_code(_CODE, T0) is True
            assert uow.accounts.revoke_discount_code(_CODE, T0) is False
            assert uow.accounts.revoke_discount_code("0000000000000", T0) is False
            uow.commit()
        assert _use(storage) is False
        assert _use(storage, "ZZZZZZZZZZZZZ") is True
        with storage.unit_of_work(write=True) as uow:
            assert uow.accounts.revoke_discount_code("ZZZZZZZZZZZZZ", T0) is False
            assert uow.accounts.count_open_codes("acct-0001", T0) == 0
            uow.commit()
        assert _read(storage) == attrs.evolve(_code(), revoked_at=T0)

    def test_forgetting_an_accounts_codes_keeps_the_used_ones_detached(
        self, storage: Storage
    ) -> None:
        """The account's deletion: its unused codes (open, revoked) are deleted, its used
        one kept without its account; another account's codes stay."""
        _put(storage, _code(), _code("ZZZZZZZZZZZZZ"), _code("YYYYYYYYYYYYY", "acct-0002"))
        assert _use(storage) is True
        with storage.unit_of_work(write=True) as uow:
            assert uow.accounts.forget_discount_codes("acct-0001") == 2
            assert uow.accounts.forget_discount_codes("acct-0001") == 0
            uow.commit()
        stored = _read(storage)
        assert stored is not None
        assert (stored.account_id, stored.order_reference) == (None, "order-1")
        assert _read(storage, "ZZZZZZZZZZZZZ") is None
        with storage.unit_of_work() as uow:
            assert list(uow.accounts.discount_codes("acct-0001", 10)) == []
            assert len(uow.accounts.discount_codes("acct-0002", 10)) == 1

    def test_code_writes_roll_back_with_the_unit(self, storage: Storage) -> None:
        """A unit left without commit keeps none of its code writes."""
        _put(storage, _code())
        with storage.unit_of_work(write=True) as uow:
            uow.accounts.put_discount_code(_code("ZZZZZZZZZZZZZ"))
            assert uow.accounts.use_discount_code(_CODE, "acct-0001", "order-1", _ONE, T0)
            assert uow.accounts.discount_code(_CODE) is not None
        assert _read(storage) == _code()
        assert _read(storage, "ZZZZZZZZZZZZZ") is None

    def test_hostile_text_as_a_code_or_account_finds_and_changes_nothing(
        self, storage: Storage
    ) -> None:
        """Hostile, huge or unstorable codes and account ids find, use, revoke and delete
        nothing."""
        _put(storage, _code())
        with storage.unit_of_work(write=True) as uow:
            for key in _HOSTILE_KEYS:
                assert uow.accounts.discount_code(key) is None
                assert list(uow.accounts.discount_codes(key, 10)) == []
                assert uow.accounts.count_open_codes(key, T0) == 0
                assert list(uow.accounts.linked_email_keys(key)) == []
                assert not uow.accounts.use_discount_code(key, "acct-0001", "order-1", _ONE, T0)
                assert not uow.accounts.use_discount_code(_CODE, key, "order-1", _ONE, T0)
                assert uow.accounts.revoke_discount_code(key, T0) is False
                assert uow.accounts.forget_discount_codes(key) == 0
            uow.commit()
        assert _read(storage) == _code()

    @pytest.mark.parametrize(
        "write",
        [
            lambda uow: uow.accounts.put_discount_code(_code("ZZZZZZZZZZZZZ")),
            lambda uow: uow.accounts.use_discount_code(_CODE, "acct-0001", "order-1", _ONE, T0),
            lambda uow: uow.accounts.revoke_discount_code(_CODE, T0),
            lambda uow: uow.accounts.forget_discount_codes("acct-0001"),
        ],
        ids=["put", "use", "revoke", "forget"],
    )
    def test_a_read_only_unit_refuses_code_writes(
        self, storage: Storage, write: Callable[[UnitOfWork], object]
    ) -> None:
        """Every code write raises ``AdapterError`` in a unit opened with ``write=False``
        and changes nothing."""
        _put(storage, _code())
        with storage.unit_of_work() as uow, pytest.raises(AdapterError):
            write(uow)
        assert _read(storage) == _code()
        assert _read(storage, "ZZZZZZZZZZZZZ") is None

    def test_linked_email_keys_are_the_stored_linked_orders_addresses_once(
        self, storage: Storage
    ) -> None:
        """Each email key of the account's stored linked orders once, ascending; a link to
        an order not stored and another account's orders add nothing."""
        _store(
            storage,
            make_order("100001", "Jane.Doe@example.com"),
            make_order("100002", "jane.doe@EXAMPLE.com"),
            make_order("100003", "Alias@example.com"),
            make_order("100004", "john@example.com"),
        )
        account = Account.sign_up("acct-0001", parse_email("jane.doe@example.com"), T0)
        with storage.unit_of_work(write=True) as uow:
            uow.accounts.add(account)
            for number, owner in [
                ("100001", "acct-0001"),
                ("100002", "acct-0001"),
                ("100003", "acct-0001"),
                ("100009", "acct-0001"),
                ("100004", "acct-0002"),
            ]:
                uow.accounts.link_order(OrderLink(owner, number, T0, LinkedBy.CODE))
            uow.commit()
        with storage.unit_of_work() as uow:
            assert list(uow.accounts.linked_email_keys("acct-0001")) == sorted(
                {
                    parse_email("Jane.Doe@example.com").canonical,
                    parse_email("Alias@example.com").canonical,
                }
            )
            assert list(uow.accounts.linked_email_keys("acct-0003")) == []
