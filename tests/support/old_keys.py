"""Orders and store credit keyed by the email rule before issue 9, for the re-keying
migrations' tests (the fixture ``stored_under_old_keys`` of tests/conftest.py builds them)."""

from __future__ import annotations

import unicodedata

import attrs

from orderstatus_core import Money, Order, parse_email
from orderstatus_core.ports import Storage
from orderstatus_core.records import CreditEntry


def old_email_key(text: str) -> str:
    """The key the library stored before issue 9: NFKC and casefold on the local part."""
    local = text.rpartition("@")[0]
    folded = unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", local).casefold())
    return f"{folded}@{parse_email(text).canonical.rpartition('@')[2]}"


@attrs.frozen
class OldKeys:
    """Orders and store credit as an older version stored them, and what the re-keyed
    storage must answer: ``straße@`` and ``strasse@`` shared a key, and so did
    ``ｍｉｋｅ@`` and ``mike@`` (who has no order). A spend under the shared key goes to
    the address whose credit covers it."""

    orders: tuple[Order, ...]
    credit: tuple[CreditEntry, ...]
    #: Each typed address and the order numbers that ``recent`` lists for its key.
    recent: dict[str, list[str]]
    #: Each typed address and its USD balance.
    balances: dict[str, Money]

    def check_rekeyed(self, storage: Storage) -> None:
        """``storage`` answers as if every key had been stored by the current rule."""
        with storage.unit_of_work() as uow:
            for typed, numbers in self.recent.items():
                key = parse_email(typed).canonical
                assert [h.number for h in uow.orders.recent(key, 10)] == numbers, typed
            for typed, balance in self.balances.items():
                assert uow.credit.balance(parse_email(typed).canonical, "USD") == balance, typed
            for subject in self.orders:
                stored = uow.orders.get(subject.number)
                assert stored is not None
                assert stored.email.canonical == parse_email(subject.email.display).canonical
