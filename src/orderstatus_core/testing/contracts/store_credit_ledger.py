"""The conformance suite of the store-credit ledger: :class:`StoreCreditLedgerContract`, on the
``storage`` fixture.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import attrs
import pytest

from orderstatus_core.errors import InsufficientCreditError
from orderstatus_core.model import Money
from orderstatus_core.ports import Storage
from orderstatus_core.testing.contracts._support import (
    _HOLDER,
    T0,
    StorageSuite,
    _append,
    _balance,
    _Boom,
    _entry,
    _ledger,
    _spend_then_fail,
)

__all__ = ["StoreCreditLedgerContract"]


class StoreCreditLedgerContract(StorageSuite):
    """The :class:`~orderstatus_core.ports.StoreCreditLedger` contract: exact amounts, newest-first
    entries, balances per holder and currency, idempotent appends, never below zero.

    Needs a fixture ``storage``: a fresh, migrated, empty storage for each test.
    """

    @pytest.mark.parametrize("amount", ["0.0001", "12.34", "24.990", "-7", "999999999.9999"])
    def test_a_credit_entry_is_read_back_equal_with_its_exact_amount(
        self, storage: Storage, amount: str
    ) -> None:
        """Every field survives: the amount as the same ``Decimal`` text, its currency, the
        id, holder and reference, and ``at`` to the microsecond."""
        funding = _entry("grant:1", "1000000000", "EUR", at=T0 - timedelta(days=1))
        entry = _entry(
            "refund:123456789:R1",
            amount,
            "EUR",
            at=T0 + timedelta(microseconds=123457),
            reference="Refund to store credit: Ääkköset ok",
        )
        assert _append(storage, funding, entry) == [True, True]
        stored, _funding = _ledger(storage)
        assert stored == entry
        assert str(stored.amount.amount) == amount
        assert stored.amount.currency == "EUR"
        assert stored.at == entry.at

    def test_an_entry_time_comes_back_timezone_aware_in_utc(self, storage: Storage) -> None:
        """An ``at`` given in another zone is the same instant read back, in UTC."""
        helsinki = timezone(timedelta(hours=2))
        at = datetime(2026, 11, 1, 14, 30, 5, 250, tzinfo=helsinki)
        _append(storage, _entry("refund:1", "5.00", at=at))
        (stored,) = _ledger(storage)
        assert stored.at == at
        assert stored.at.utcoffset() == timedelta(0)
        assert stored.at.astimezone(UTC).replace(tzinfo=None) == datetime(
            2026, 11, 1, 12, 30, 5, 250
        )

    def test_entries_are_newest_first_with_ties_by_entry_id_descending(
        self, storage: Storage
    ) -> None:
        """``entries`` orders by ``at`` descending, then by ``entry_id`` descending, whatever
        the order they were appended in."""
        hour = timedelta(hours=1)
        _append(
            storage,
            _entry("e-c", "10.00", at=T0 + hour),
            _entry("e-z", "10.00", at=T0),
            _entry("e-a", "10.00", at=T0 + hour),
            _entry("e-m", "-5.00", at=T0 + 2 * hour),
            _entry("e-b", "10.00", at=T0 + hour),
        )
        assert [e.entry_id for e in _ledger(storage)] == ["e-m", "e-c", "e-b", "e-a", "e-z"]

    def test_entries_stop_at_limit(self, storage: Storage) -> None:
        """At most ``limit`` entries, the newest; a limit of zero gives none."""
        _append(
            storage, *[_entry(f"e-{i}", "1.00", at=T0 + timedelta(minutes=i)) for i in range(5)]
        )
        assert [e.entry_id for e in _ledger(storage, limit=2)] == ["e-4", "e-3"]
        assert len(_ledger(storage, limit=500)) == 5
        assert _ledger(storage, limit=0) == []

    def test_entries_and_balances_belong_to_one_holder(self, storage: Storage) -> None:
        """Another holder's entries never show, even one whose key starts the same."""
        _append(
            storage,
            _entry("jane:1", "10.00"),
            _entry("jane-co:1", "99.00", holder=_HOLDER + ".uk"),
            _entry("other:1", "7.00", holder="jane.doe@example.co"),
        )
        assert [e.entry_id for e in _ledger(storage)] == ["jane:1"]
        assert _balance(storage) == Money("10.00", "USD")
        assert _ledger(storage, "nobody@example.com") == []

    def test_balances_are_one_exact_sum_per_currency_in_code_order(self, storage: Storage) -> None:
        """``balances`` answers the holder's balance in each currency it has entries in, by
        currency code, a balance back at zero included; another holder's never count."""
        _append(
            storage,
            _entry("usd:1", "10.10", "USD"),
            _entry("eur:1", "2.5", "EUR"),
            _entry("usd:2", "0.0001", "USD"),
            _entry("sek:1", "5.00", "SEK"),
            _entry("sek:2", "-5.00", "SEK"),
            _entry("other:1", "7.00", "AUD", holder="jane.doe@example.co"),
        )
        with storage.unit_of_work() as uow:
            assert list(uow.credit.balances(_HOLDER)) == [
                Money("2.5", "EUR"),
                Money("0.00", "SEK"),
                Money("10.1001", "USD"),
            ]
            assert list(uow.credit.balances("nobody@example.com")) == []
            assert list(uow.credit.balances("\ud800")) == []

    def test_a_balance_is_the_sum_per_currency(self, storage: Storage) -> None:
        """Each currency has its own balance: the exact sum of its entries."""
        _append(
            storage,
            _entry("c:1", "30.00"),
            _entry("c:2", "-10.05"),
            _entry("c:3", "0.0001"),
            _entry("c:4", "5.50", "EUR"),
        )
        usd = _balance(storage, "USD")
        assert (usd.amount, usd.currency) == (Decimal("19.9501"), "USD")
        assert _balance(storage, "EUR") == Money("5.50", "EUR")

    def test_a_balance_with_no_entries_is_zero_in_that_currency(self, storage: Storage) -> None:
        """No entries for the holder, or none in the currency: zero in the currency asked."""
        _append(storage, _entry("c:1", "30.00"))
        for holder, currency in [(_HOLDER, "GBP"), ("nobody@example.com", "USD")]:
            balance = _balance(storage, currency, holder)
            assert (balance.amount, balance.currency) == (Decimal(0), currency)

    def test_appending_a_stored_entry_id_returns_false_and_writes_nothing(
        self, storage: Storage
    ) -> None:
        """An entry id is appended once: again, even with another amount, is ``False``,
        and the balance and the ledger stay as they were."""
        first = _entry("refund:123456789:R1", "30.00")
        assert _append(storage, first) == [True]
        assert _append(storage, first, attrs.evolve(first, amount=Money("99", "USD"))) == [
            False,
            False,
        ]
        assert _balance(storage) == Money("30.00", "USD")
        assert _ledger(storage) == [first]

    def test_an_entry_id_appended_twice_in_one_unit_is_appended_once(
        self, storage: Storage
    ) -> None:
        """The unit's own uncommitted entry counts as stored."""
        entry = _entry("refund:123456789:R1", "30.00")
        assert _append(storage, entry, entry) == [True, False]
        assert _balance(storage) == Money("30.00", "USD")

    def test_a_duplicate_is_answered_before_the_balance_is_checked(self, storage: Storage) -> None:
        """A stored id with an amount the balance could never cover is still just ``False``:
        a retried command must not fail where the first attempt succeeded."""
        spend = _entry("spend:order-1", "-30.00")
        assert _append(storage, _entry("grant:1", "30.00"), spend) == [True, True]
        assert _append(storage, spend) == [False]
        assert _balance(storage) == Money("0.00", "USD")

    def test_an_entry_that_would_go_below_zero_raises_and_writes_nothing(
        self, storage: Storage
    ) -> None:
        """A spend beyond the balance raises ``InsufficientCreditError`` (an
        ``ActionRefusedError`` coded ``insufficient_credit``), writes nothing, and leaves
        the unit usable: its commit stores its other entries, and the refused id is free."""
        _append(storage, _entry("grant:1", "30.00"))
        spend = _entry("spend:1", "-30.01")
        with storage.unit_of_work(write=True) as uow:
            uow.credit.append(_entry("grant:2", "1.00", "EUR"))
            with pytest.raises(InsufficientCreditError) as refused:
                uow.credit.append(spend)
            uow.commit()
        assert refused.value.code == "insufficient_credit"
        assert _balance(storage) == Money("30.00", "USD")
        assert [e.entry_id for e in _ledger(storage)] == ["grant:2", "grant:1"]
        assert _append(storage, _entry("grant:3", "0.01"), spend) == [True, True]
        assert _balance(storage) == Money("0", "USD")

    def test_spending_exactly_the_balance_leaves_zero(self, storage: Storage) -> None:
        """The balance may reach zero, never go below it."""
        assert _append(storage, _entry("grant:1", "30.00"), _entry("spend:1", "-30.00")) == [
            True,
            True,
        ]
        assert _balance(storage) == Money("0", "USD")
        with pytest.raises(InsufficientCreditError):
            _append(storage, _entry("spend:2", "-0.0001"))

    def test_credit_in_another_currency_never_covers_a_spend(self, storage: Storage) -> None:
        """A holder with euros and no dollars cannot spend dollars."""
        _append(storage, _entry("grant:1", "500.00", "EUR"))
        with pytest.raises(InsufficientCreditError):
            _append(storage, _entry("spend:1", "-1.00", "USD"))
        with pytest.raises(InsufficientCreditError):
            _append(storage, _entry("spend:2", "-1.00", "EUR", holder="nobody@example.com"))
        assert [e.entry_id for e in _ledger(storage)] == ["grant:1"]

    def test_a_unit_sees_its_own_uncommitted_entries(self, storage: Storage) -> None:
        """Inside the unit that appended them, entries count towards the balance."""
        with storage.unit_of_work(write=True) as uow:
            assert uow.credit.append(_entry("grant:1", "10.00"))
            assert uow.credit.balance(_HOLDER, "USD") == Money("10.00", "USD")
            assert uow.credit.append(_entry("spend:1", "-10.00"))
            with pytest.raises(InsufficientCreditError):
                uow.credit.append(_entry("spend:2", "-0.01"))
            assert [e.entry_id for e in uow.credit.entries(_HOLDER, 10)] == ["spend:1", "grant:1"]

    def test_credit_entries_roll_back_with_the_unit(self, storage: Storage) -> None:
        """Leaving without commit, an exception and ``rollback`` all forget appended entries."""
        _append(storage, _entry("grant:1", "30.00"))
        with storage.unit_of_work(write=True) as uow:
            uow.credit.append(_entry("spend:1", "-10.00"))
        with pytest.raises(_Boom):
            _spend_then_fail(storage)
        with storage.unit_of_work(write=True) as uow:
            uow.credit.append(_entry("spend:1", "-10.00"))
            uow.rollback()
            uow.credit.append(_entry("spend:2", "-5.00"))
            uow.commit()
        assert [e.entry_id for e in _ledger(storage)] == ["spend:2", "grant:1"]
        assert _balance(storage) == Money("25.00", "USD")
        assert _append(storage, _entry("spend:1", "-10.00")) == [True]

    def test_an_uncommitted_entry_is_invisible_to_other_units(self, storage: Storage) -> None:
        """Another unit sees neither the entry nor its effect on the balance before commit."""
        self._needs("supports_concurrent_units")
        with storage.unit_of_work(write=True) as uow:
            uow.credit.append(_entry("grant:1", "30.00"))
            assert _ledger(storage) == []
            assert _balance(storage) == Money("0", "USD")
            uow.commit()
        assert _balance(storage) == Money("30.00", "USD")
