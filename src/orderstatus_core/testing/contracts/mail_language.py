"""The mail-language part of the :class:`~orderstatus_core.ports.AccountStore` contract
(issue 14 item 7): :meth:`~orderstatus_core.ports.AccountStore.preferred_language`, the
language an order's mail is written in. :class:`AccountStoreContract
<orderstatus_core.testing.contracts.AccountStoreContract>` includes these rules; they live
here to keep each suite module readable.
"""

from __future__ import annotations

import pytest

from orderstatus_core.contacts import parse_email
from orderstatus_core.model.account import Account, LinkedBy, OrderLink
from orderstatus_core.ports import Storage
from orderstatus_core.testing.contracts._support import _HOSTILE_KEYS, T0, StorageSuite

__all__ = ["MailLanguageRules"]


def _holder(account_id: str, email: str, language: str, *, verified: bool = True) -> Account:
    signed = Account.sign_up(account_id, parse_email(email), T0, language=language)
    return signed.verified(T0) if verified else signed


def _stored(storage: Storage, *accounts: Account, links: tuple[OrderLink, ...] = ()) -> None:
    """Add each account and each order link, in one committed unit."""
    with storage.unit_of_work(write=True) as uow:
        for account in accounts:
            uow.accounts.add(account)
        for link in links:
            assert uow.accounts.link_order(link)
        uow.commit()


def _joined(account_id: str, number: str) -> OrderLink:
    return OrderLink(account_id, number, T0, LinkedBy.CODE)


class MailLanguageRules(StorageSuite):
    """``preferred_language``: the active account of the exact email key first, else the
    active account the order joined, else ``None``; never an unverified or deleted
    account's; a plain read in any unit."""

    @pytest.mark.parametrize("write", [False, True], ids=["read", "write"])
    def test_the_active_account_of_the_exact_key_answers_its_language(
        self, storage: Storage, write: bool
    ) -> None:
        """Jane (Finnish) and Mike (English) answer theirs, in a read and a write unit, and
        in a unit that reads once (one statement); an address of no account, and Mike's
        lookalike key, answer ``None`` (SECURITY A4)."""
        jane = _holder("acct-0001", "Jane@Example.com", "fi")
        mike = _holder("acct-0002", "mike@example.com", "en")
        _stored(storage, jane, mike)
        with storage.unit_of_work(write=write) as uow:
            assert uow.accounts.preferred_language(jane.email_key) == "fi"
            assert uow.accounts.preferred_language(mike.email_key, None) == "en"
            assert uow.accounts.preferred_language("nobody@example.com") is None
            assert uow.accounts.preferred_language("ｍｉｋｅ@example.com") is None
            assert uow.accounts.preferred_language("MIKE@example.com") is None
        with storage.unit_of_work(read_once=True) as uow:
            assert uow.accounts.preferred_language(jane.email_key, "100001") == "fi"

    def test_an_unverified_or_deleted_account_has_no_say(self, storage: Storage) -> None:
        """Before verification (SECURITY F1) and after deletion, the address and the
        orders that joined the account answer ``None``, even while a link remains."""
        pending = _holder("acct-0001", "anna@example.com", "fi", verified=False)
        gone = _holder("acct-0002", "old@example.com", "fi")
        links = (_joined("acct-0001", "100001"), _joined("acct-0002", "100002"))
        _stored(storage, pending, gone, links=links)
        with storage.unit_of_work(write=True) as uow:
            uow.accounts.save(gone.deleted())
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.accounts.preferred_language(pending.email_key, "100001") is None
            assert uow.accounts.preferred_language(gone.email_key, "100002") is None

    def test_an_order_that_joined_an_account_answers_its_language(self, storage: Storage) -> None:
        """An address of no account, or of an unverified one, gets the language of the
        account the order joined; the address's own active account comes first; without
        an order number only the address counts."""
        jane = _holder("acct-0001", "jane@example.com", "fi")
        mike = _holder("acct-0002", "mike@example.com", "en")
        pending = _holder("acct-0003", "anna@example.com", "en", verified=False)
        _stored(storage, jane, mike, pending, links=(_joined("acct-0001", "200001"),))
        with storage.unit_of_work() as uow:
            assert uow.accounts.preferred_language("nobody@example.com", "200001") == "fi"
            assert uow.accounts.preferred_language(pending.email_key, "200001") == "fi"
            assert uow.accounts.preferred_language(mike.email_key, "200001") == "en"
            assert uow.accounts.preferred_language("nobody@example.com", "200002") is None
            assert uow.accounts.preferred_language("nobody@example.com", None) is None

    def test_the_unit_sees_what_it_wrote(self, storage: Storage) -> None:
        """An account added, a language changed or an order linked in the same unit is
        seen before the commit; a rolled-back unit leaves nothing behind."""
        jane = _holder("acct-0001", "jane@example.com", "en")
        _stored(storage, jane)
        with storage.unit_of_work(write=True) as uow:
            uow.accounts.save(jane.with_language("fi"))
            uow.accounts.add(_holder("acct-0002", "mike@example.com", "sv"))
            uow.accounts.link_order(_joined("acct-0002", "300001"))
            assert uow.accounts.preferred_language(jane.email_key) == "fi"
            assert uow.accounts.preferred_language("mike@example.com") == "sv"
            assert uow.accounts.preferred_language("nobody@example.com", "300001") == "sv"
        with storage.unit_of_work() as uow:
            assert uow.accounts.preferred_language(jane.email_key) == "en"
            assert uow.accounts.preferred_language("nobody@example.com", "300001") is None

    @pytest.mark.parametrize("hostile", _HOSTILE_KEYS)
    def test_a_key_or_number_no_row_can_hold_finds_nothing(
        self, storage: Storage, hostile: str
    ) -> None:
        """Injection text, a lone surrogate, a NUL or a huge key, as the address or as
        the order number: ``None`` (or the other half's answer), never an error."""
        jane = _holder("acct-0001", "jane@example.com", "fi")
        _stored(storage, jane, links=(_joined("acct-0001", "400001"),))
        with storage.unit_of_work() as uow:
            assert uow.accounts.preferred_language(hostile, hostile) is None
            assert uow.accounts.preferred_language(hostile, "400001") == "fi"
            assert uow.accounts.preferred_language(jane.email_key, hostile) == "fi"
