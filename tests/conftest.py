"""Settings shared by the whole test suite.

The Hypothesis profiles (``ci``: fewer examples, derandomized, no deadline; ``dev``) come
from the shipped pytest plugin :mod:`orderstatus_core.testing.pytest_plugin`, which this
suite turns on the way a user does (``pytest_plugins`` below; the plugin is opt-in and never
loads itself into other projects' test runs) and which loads the profile named by the
environment variable ``HYPOTHESIS_PROFILE`` (``nox -s tests`` sets ``ci``). They are not
registered again here, so that the suite runs with exactly what users of the plugin get.

Helpers shared between folders live in the ``support`` package beside this file.
"""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from orderstatus_core import EmailAddress
from orderstatus_core.records import CreditEntry
from orderstatus_core.testing.builders import PLACED_AT, make_order, usd
from support.old_keys import OldKeys, old_email_key

pytest_plugins = ["orderstatus_core.testing.pytest_plugin"]

# The files in tests/typing/ are checked by mypy (``nox -s typecheck``) and never run.
collect_ignore_glob = ["typing/*"]


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
