"""Settings shared by the whole test suite.

The Hypothesis profiles (``ci``: fewer examples, derandomized, no deadline; ``dev``) come
from the shipped pytest plugin :mod:`orderstatus_core.testing.pytest_plugin`, which pytest
loads from the installed package and which loads the profile named by the environment
variable ``HYPOTHESIS_PROFILE`` (``nox -s tests`` sets ``ci``). They are not registered
again here, so that the suite runs with exactly what users of the plugin get.
"""

from __future__ import annotations

import unicodedata
from datetime import timedelta

import attrs
import pytest

from orderstatus_core import EmailAddress, Money, Order, parse_email
from orderstatus_core.ports import Storage
from orderstatus_core.records import CreditEntry
from orderstatus_core.testing.builders import PLACED_AT, make_order, usd

# The files in tests/typing/ are checked by mypy (``nox -s typecheck``) and never run.
collect_ignore_glob = ["typing/*"]


# --- data stored under email keys of the old rule (issue 9), for the re-keying migrations --


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


@pytest.fixture
def stored_under_old_keys() -> OldKeys:
    """Four orders and six credit entries keyed by the old rule (see :class:`OldKeys`)."""
    addresses = {
        "100001": "straße@example.com",
        "100002": "strasse@example.com",
        "100003": "ｍｉｋｅ@example.com",
        "100004": "jane@example.com",
    }
    orders = tuple(
        attrs.evolve(
            make_order(number, placed_at=PLACED_AT + timedelta(minutes=n)),
            email=EmailAddress(address, old_email_key(address)),
        )
        for n, (number, address) in enumerate(addresses.items())
    )
    credit = tuple(
        CreditEntry(entry_id, old_email_key(address), usd(amount), PLACED_AT, "r")
        for entry_id, address, amount in (
            ("refund:100001:R1", "straße@example.com", "10"),
            ("refund:100002:R1", "strasse@example.com", "3"),
            ("spend:checkout-1", "strasse@example.com", "-8"),
            ("refund:100003:R1", "ｍｉｋｅ@example.com", "5"),
            ("spend:checkout-2", "mike@example.com", "-2"),
            ("refund:100004:R1", "jane@example.com", "1"),
        )
    )
    return OldKeys(
        orders=orders,
        credit=credit,
        recent={
            "straße@example.com": ["100001"],
            "STRASSE@example.com": ["100002"],
            "ｍｉｋｅ@example.com": ["100003"],
            "mike@example.com": [],
            "Jane@example.com": ["100004"],
        },
        balances={
            "straße@example.com": usd("2"),
            "strasse@example.com": usd("3"),
            "ｍｉｋｅ@example.com": usd("3"),
            "mike@example.com": usd("0"),
            "jane@example.com": usd("1"),
        },
    )
