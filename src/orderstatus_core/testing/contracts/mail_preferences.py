"""The mail-preference part of the :class:`~orderstatus_core.ports.AccountStore` contract
(issue 14 item 6): subscriptions by account and topic, the pages of a topic's active
subscribers, and their deletion with the account. :class:`AccountStoreContract
<orderstatus_core.testing.contracts.AccountStoreContract>` includes these rules; they
live here to keep each suite module readable.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from orderstatus_core.contacts import parse_email
from orderstatus_core.errors import AdapterError
from orderstatus_core.model.account import Account
from orderstatus_core.model.mail_preferences import MailSubscription
from orderstatus_core.ports import Storage, UnitOfWork
from orderstatus_core.testing.contracts._support import (
    _HOSTILE_KEYS,
    T0,
    StorageSuite,
    _together,
)

__all__ = ["MailPreferenceRules"]

_LATER = T0 + timedelta(minutes=5)


def _member(account_id: str, *, verified: bool = True) -> Account:
    signed = Account.sign_up(account_id, parse_email(f"{account_id}@example.com"), T0)
    return signed.verified(T0) if verified else signed


def _subscribed(storage: Storage, *pairs: tuple[Account, tuple[str, ...]]) -> None:
    """Add each account and subscribe it to its topics, in one committed unit."""
    with storage.unit_of_work(write=True) as uow:
        for account, topics in pairs:
            uow.accounts.add(account)
            for topic in topics:
                assert uow.accounts.subscribe(MailSubscription(account.account_id, topic, T0))
        uow.commit()


def _topics(storage: Storage, account_id: str) -> list[str]:
    with storage.unit_of_work() as uow:
        return [s.topic for s in uow.accounts.mail_subscriptions(account_id)]


def _ids(accounts: object) -> list[str]:
    assert isinstance(accounts, list | tuple)
    return [account.account_id for account in accounts]


class MailPreferenceRules(StorageSuite):
    """Subscriptions: ``subscribe`` keeps the first of a topic, ``unsubscribe`` deletes
    one, ``mail_subscriptions`` lists by topic, ``subscribers`` pages active accounts by
    id, ``forget_profile`` deletes them with the rest of the profile."""

    def test_subscriptions_are_listed_by_topic_and_read_back_equal(self, storage: Storage) -> None:
        """``mail_subscriptions`` answers each subscription as stored, by topic."""
        _subscribed(storage, (_member("acct-0001"), ("offers", "newsletter")))
        with storage.unit_of_work() as uow:
            assert list(uow.accounts.mail_subscriptions("acct-0001")) == [
                MailSubscription("acct-0001", "newsletter", T0),
                MailSubscription("acct-0001", "offers", T0),
            ]
            assert list(uow.accounts.mail_subscriptions("acct-0002")) == []

    def test_subscribing_twice_keeps_the_first_subscription(self, storage: Storage) -> None:
        """A second ``subscribe`` to a topic answers ``False`` and keeps the first time."""
        _subscribed(storage, (_member("acct-0001"), ("newsletter",)))
        with storage.unit_of_work(write=True) as uow:
            again = MailSubscription("acct-0001", "newsletter", _LATER)
            assert uow.accounts.subscribe(again) is False
            uow.commit()
        with storage.unit_of_work() as uow:
            [kept] = uow.accounts.mail_subscriptions("acct-0001")
        assert kept.subscribed_at == T0

    def test_unsubscribe_deletes_only_that_topic_of_that_account(self, storage: Storage) -> None:
        """``unsubscribe`` answers whether there was one; other topics and accounts stay."""
        _subscribed(
            storage,
            (_member("acct-0001"), ("newsletter", "offers")),
            (_member("acct-0002"), ("newsletter",)),
        )
        with storage.unit_of_work(write=True) as uow:
            assert uow.accounts.unsubscribe("acct-0001", "newsletter") is True
            assert uow.accounts.unsubscribe("acct-0001", "newsletter") is False
            assert uow.accounts.unsubscribe("acct-0003", "newsletter") is False
            uow.commit()
        assert _topics(storage, "acct-0001") == ["offers"]
        assert _topics(storage, "acct-0002") == ["newsletter"]

    def test_subscribers_pages_active_accounts_by_id(self, storage: Storage) -> None:
        """``subscribers`` lists the topic's active accounts by id, ``limit`` at a time
        after ``after``; unverified and deleted accounts and other topics never."""
        _subscribed(
            storage,
            (_member("acct-0004"), ("newsletter",)),
            (_member("acct-0003"), ("newsletter",)),
            (_member("acct-0001"), ("newsletter", "offers")),
            (_member("acct-0002", verified=False), ("newsletter",)),
            (_member("acct-0005"), ("offers",)),
            (_member("acct-0006"), ("newsletter",)),
            (_member("Acct-0007"), ("newsletter",)),  # upper case sorts first, bytewise
        )
        with storage.unit_of_work(write=True) as uow:
            uow.accounts.save(_deleted(uow, "acct-0004"))
            uow.commit()
        with storage.unit_of_work() as uow:
            first = uow.accounts.subscribers("newsletter", None, 2)
            rest = uow.accounts.subscribers("newsletter", first[-1].account_id, 10)
            offers = uow.accounts.subscribers("offers", None, 10)
            none = uow.accounts.subscribers("newsletter", None, 0)
        assert _ids(first) == ["Acct-0007", "acct-0001"]
        assert _ids(rest) == ["acct-0003", "acct-0006"]
        assert _ids(offers) == ["acct-0001", "acct-0005"]
        assert list(none) == []
        assert first[1] == _member("acct-0001")

    def test_forget_profile_deletes_the_subscriptions(self, storage: Storage) -> None:
        """The account's deletion (``forget_profile``) deletes its subscriptions, counted,
        and leaves other accounts' alone."""
        _subscribed(
            storage,
            (_member("acct-0001"), ("newsletter", "offers")),
            (_member("acct-0002"), ("newsletter",)),
        )
        with storage.unit_of_work(write=True) as uow:
            assert uow.accounts.forget_profile("acct-0001") == 2
            uow.commit()
        assert _topics(storage, "acct-0001") == []
        assert _topics(storage, "acct-0002") == ["newsletter"]

    def test_subscription_writes_roll_back_with_the_unit(self, storage: Storage) -> None:
        """A unit left without commit keeps none of its subscription writes."""
        _subscribed(storage, (_member("acct-0001"), ("newsletter",)))
        with storage.unit_of_work(write=True) as uow:
            uow.accounts.subscribe(MailSubscription("acct-0001", "offers", T0))
            uow.accounts.unsubscribe("acct-0001", "newsletter")
        assert _topics(storage, "acct-0001") == ["newsletter"]

    @pytest.mark.parametrize(
        "write",
        [
            lambda uow: uow.accounts.subscribe(MailSubscription("acct-0001", "offers", T0)),
            lambda uow: uow.accounts.unsubscribe("acct-0001", "newsletter"),
        ],
        ids=["subscribe", "unsubscribe"],
    )
    def test_a_read_only_unit_refuses_subscription_writes(
        self, storage: Storage, write: Callable[[UnitOfWork], object]
    ) -> None:
        """Each subscription write raises ``AdapterError`` in a read-only unit."""
        _subscribed(storage, (_member("acct-0001"), ("newsletter",)))
        with storage.unit_of_work() as uow, pytest.raises(AdapterError):
            write(uow)
        assert _topics(storage, "acct-0001") == ["newsletter"]

    def test_hostile_text_as_a_subscription_key_finds_nothing(self, storage: Storage) -> None:
        """Hostile, huge or unstorable ids and topics find and delete nothing."""
        _subscribed(storage, (_member("acct-0001"), ("newsletter",)))
        with storage.unit_of_work(write=True) as uow:
            for key in _HOSTILE_KEYS:
                assert list(uow.accounts.mail_subscriptions(key)) == []
                assert list(uow.accounts.subscribers(key, None, 10)) == []
                assert uow.accounts.unsubscribe(key, "newsletter") is False
                assert uow.accounts.unsubscribe("acct-0001", key) is False
            uow.commit()
        assert _topics(storage, "acct-0001") == ["newsletter"]

    def test_racing_subscriptions_store_one(self, storage: Storage) -> None:
        """Eight units subscribing the same account to the same topic at once: exactly
        one answers ``True``, and one subscription is stored."""
        self._needs("supports_concurrent_writers")
        _subscribed(storage, (_member("acct-0001"), ()))

        def subscribe(index: int) -> bool:
            with storage.unit_of_work(write=True) as uow:
                at = T0 + timedelta(seconds=index)
                stored = uow.accounts.subscribe(MailSubscription("acct-0001", "offers", at))
                uow.commit()
            return stored

        assert sorted(_together(8, subscribe)) == [False] * 7 + [True]
        assert _topics(storage, "acct-0001") == ["offers"]


def _deleted(uow: UnitOfWork, account_id: str) -> Account:
    stored = uow.accounts.get(account_id)
    assert stored is not None
    return stored.deleted()
