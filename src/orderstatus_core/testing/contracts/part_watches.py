"""The availability-alert part of the :class:`~orderstatus_core.ports.AccountStore`
contract (``put_watch``, ``part_watches``, ``remove_watch``, ``take_watchers``), mixed into
:class:`~orderstatus_core.testing.contracts.AccountStoreContract`: one watch per account
and part key, listed oldest first, taken once by a report of the part back in stock (eight
threads racing, one taker per watch), with the account's email and preferred language as
stored at the report.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from orderstatus_core.contacts import parse_email
from orderstatus_core.errors import AdapterError
from orderstatus_core.model import PartNumber
from orderstatus_core.model.account import Account
from orderstatus_core.model.alerts import PartWatch, PartWatcher
from orderstatus_core.ports import Storage, UnitOfWork
from orderstatus_core.testing.contracts._support import (
    _HOSTILE_KEYS,
    T0,
    StorageSuite,
    _Boom,
    _together,
)

__all__ = ["PartWatchContract"]

_SECOND = timedelta(seconds=1)


def _active(account_id: str, email: str) -> Account:
    return Account.sign_up(account_id, parse_email(email), T0).verified(T0)


def _watch(account_id: str = "acct-0001", part: str = "BP-1234", at: datetime = T0) -> PartWatch:
    return PartWatch(account_id, PartNumber(part), at)


def _accounts(storage: Storage, *accounts: Account) -> None:
    with storage.unit_of_work(write=True) as uow:
        for account in accounts:
            uow.accounts.add(account)
        uow.commit()


def _watching(storage: Storage, *watches: PartWatch) -> list[bool]:
    with storage.unit_of_work(write=True) as uow:
        stored = [uow.accounts.put_watch(watch) for watch in watches]
        uow.commit()
    return stored


def _listed(storage: Storage, account_id: str = "acct-0001") -> list[PartWatch]:
    with storage.unit_of_work() as uow:
        return list(uow.accounts.part_watches(account_id))


def _take(storage: Storage, part_key: str = "bp1234") -> list[PartWatcher]:
    with storage.unit_of_work(write=True) as uow:
        taken = list(uow.accounts.take_watchers(part_key))
        uow.commit()
    return taken


def _take_then_fail(storage: Storage) -> None:
    with storage.unit_of_work(write=True) as uow:
        assert len(uow.accounts.take_watchers("bp1234")) == 1
        raise _Boom


class PartWatchContract(StorageSuite):
    """Availability alerts of the account store. Needs a fixture ``storage``: a fresh,
    migrated, empty storage for each test."""

    def test_any_watch_is_read_back_equal(self, storage: Storage) -> None:
        """A watch comes back with its part number as written and its time."""
        watch = _watch(part="ＢＰ－１２３４ ä", at=T0 + timedelta(microseconds=7))
        assert _watching(storage, watch) == [True]
        [listed] = _listed(storage)
        assert listed == watch
        assert listed.part_number.display == "ＢＰ－１２３４ ä"

    def test_watches_come_oldest_first_ties_by_part_key(self, storage: Storage) -> None:
        """``part_watches`` lists the account's own, oldest first, ties by part key."""
        late, early_b, early_a = (
            _watch(part="A-1", at=T0 + _SECOND),
            _watch(part="C-3"),
            _watch(part="B-2"),
        )
        _watching(storage, late, early_b, early_a, _watch("acct-0002", "Z-9"))
        assert _listed(storage) == [early_a, early_b, late]
        assert _listed(storage, "acct-0003") == []

    def test_a_part_is_watched_once_per_account(self, storage: Storage) -> None:
        """A second watch of the same part key stores nothing; the first stays."""
        first = _watch(part="BP-1234")
        again = _watch(part="bp 12.34", at=T0 + _SECOND)
        assert _watching(storage, first, again, _watch("acct-0002", "BP1234")) == [
            True,
            False,
            True,
        ]
        assert _listed(storage) == [first]

    def test_removing_takes_only_that_accounts_watch(self, storage: Storage) -> None:
        """``remove_watch`` deletes one account's watch of one part key."""
        _watching(storage, _watch(), _watch(part="BP-9"), _watch("acct-0002"))
        with storage.unit_of_work(write=True) as uow:
            assert uow.accounts.remove_watch("acct-0001", "bp1234") is True
            assert uow.accounts.remove_watch("acct-0001", "bp1234") is False
            assert uow.accounts.remove_watch("acct-0003", "bp9") is False
            uow.commit()
        assert [w.part_key for w in _listed(storage)] == ["bp9"]
        assert len(_listed(storage, "acct-0002")) == 1

    def test_taking_answers_active_watchers_with_their_email_now(self, storage: Storage) -> None:
        """``take_watchers`` deletes every watch of the part, answers the active accounts'
        oldest first with the email and preferred language each holds at the take (not
        at the watch), and leaves other parts."""
        jane, john = _active("acct-0001", "Jane@Example.com"), _active("acct-0002", "j@x.io")
        pending = Account.sign_up("acct-0003", parse_email("p@x.io"), T0)
        _accounts(storage, jane, john, pending)
        john_watch, jane_watch = _watch("acct-0002"), _watch(at=T0 + _SECOND)
        _watching(
            storage,
            jane_watch,
            john_watch,
            _watch("acct-0003"),
            _watch("acct-0004"),
            _watch(part="BP-9"),
        )
        # Jane moves to a new address, then to Finnish, after watching (two saves).
        moved = jane.with_email(parse_email("Jane.New@Example.com"), T0)
        with storage.unit_of_work(write=True) as uow:
            uow.accounts.save(moved)
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            stored = uow.accounts.get(moved.account_id)
            assert stored is not None
            uow.accounts.save(stored.with_language("fi"))
            uow.commit()
        taken = _take(storage)
        assert taken == [
            PartWatcher(john_watch, john.email, "en"),
            PartWatcher(jane_watch, moved.email, "fi"),
        ]
        assert taken[1].email.display == moved.email.display != jane.email.display
        assert _take(storage) == []
        assert [w.part_key for w in _listed(storage)] == ["bp9"]
        assert _listed(storage, "acct-0003") == []

    def test_watchers_raced_by_many_threads_are_each_taken_once(self, storage: Storage) -> None:
        """Eight units take one part at once: every watcher is answered by exactly one."""
        self._needs("supports_concurrent_writers")
        accounts = [_active(f"acct-{n:04}", f"shopper{n}@example.com") for n in range(20)]
        _accounts(storage, *accounts)
        _watching(storage, *(_watch(account.account_id) for account in accounts))
        answers = _together(8, lambda _i: _take(storage))
        taken = [watcher.watch.account_id for answer in answers for watcher in answer]
        assert sorted(taken) == [account.account_id for account in accounts]

    def test_a_take_that_does_not_commit_takes_nothing(self, storage: Storage) -> None:
        """A unit left without commit (the mails failed) keeps every watch."""
        _accounts(storage, _active("acct-0001", "jane@example.com"))
        _watching(storage, _watch())
        with pytest.raises(_Boom):
            _take_then_fail(storage)
        assert len(_take(storage)) == 1

    def test_forget_profile_deletes_the_accounts_watches(self, storage: Storage) -> None:
        """The account's deletion deletes its watches, counted, and no one else's."""
        _watching(storage, _watch(), _watch(part="BP-9"), _watch("acct-0002"))
        with storage.unit_of_work(write=True) as uow:
            assert uow.accounts.forget_profile("acct-0001") == 2
            uow.commit()
        assert _listed(storage) == []
        assert len(_listed(storage, "acct-0002")) == 1

    def test_hostile_text_as_a_watch_key_finds_nothing(self, storage: Storage) -> None:
        """Hostile, huge or unstorable account ids and part keys find and delete nothing."""
        _accounts(storage, _active("acct-0001", "jane@example.com"))
        _watching(storage, _watch())
        with storage.unit_of_work(write=True) as uow:
            for key in _HOSTILE_KEYS:
                assert list(uow.accounts.part_watches(key)) == []
                assert uow.accounts.remove_watch("acct-0001", key) is False
                assert uow.accounts.remove_watch(key, "bp1234") is False
                assert list(uow.accounts.take_watchers(key)) == []
            uow.commit()
        assert _listed(storage) == [_watch()]

    @pytest.mark.parametrize(
        "write",
        [
            lambda uow: uow.accounts.put_watch(_watch(part="BP-9")),
            lambda uow: uow.accounts.remove_watch("acct-0001", "bp1234"),
            lambda uow: uow.accounts.take_watchers("bp1234"),
        ],
        ids=["put_watch", "remove_watch", "take_watchers"],
    )
    def test_a_read_only_unit_refuses_watch_writes(
        self, storage: Storage, write: Callable[[UnitOfWork], object]
    ) -> None:
        """Every watch write raises ``AdapterError`` in a unit opened with ``write=False``
        and changes nothing."""
        _accounts(storage, _active("acct-0001", "jane@example.com"))
        _watching(storage, _watch())
        with storage.unit_of_work() as uow, pytest.raises(AdapterError):
            write(uow)
        assert _listed(storage) == [_watch()]
