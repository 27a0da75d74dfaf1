"""What the account machine checks of a data export (issue 14 item 8): its top-level
keys, and that it holds what the machine's model holds. Plain comparisons of the parsed
JSON document, no service code."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from orderstatus_core.model.account import SecurityEventKind
from orderstatus_core.model.address import Address
from orderstatus_core.serialization import converter
from orderstatus_core.services.accounts.export import EXPORT_SCHEMA_VERSION, export_schema

__all__ = ["exported_as_the_model_says", "has_every_section"]

#: A session as the model sees it: created, last seen, *keep me logged in*, and whether
#: it is the session asking.
SessionSeen = tuple[datetime, datetime, bool, bool]


def has_every_section(document: Mapping[str, Any]) -> None:
    """The document has exactly the shipped schema's required keys and its version (the
    check that needs no JSON Schema validator)."""
    assert sorted(document) == sorted(export_schema()["required"]), sorted(document)
    assert document["schema"] == EXPORT_SCHEMA_VERSION, document["schema"]


def _time(text: str) -> datetime:
    moment: datetime = converter.structure(text, datetime)
    return moment


def exported_as_the_model_says(
    document: Mapping[str, Any],
    *,
    email: str,
    addresses: Mapping[str, tuple[Address, bool]],
    vehicles: Collection[str],
    orders: Collection[str],
    events: Sequence[SecurityEventKind],
    sessions: Sequence[SessionSeen],
) -> None:
    """The document holds the account's email; the saved addresses (by id: the address
    and whether it is the default); the garage's vehicle ids; the linked order numbers;
    the security log's kinds (oldest first in ``events``, newest first in the document);
    and the open sessions, with exactly one of them the asking one."""
    assert document["account"]["email"] == email, document["account"]
    book = {
        entry["address_id"]: (converter.structure(entry["address"], Address), entry["is_default"])
        for entry in document["addresses"]
    }
    assert book == addresses, (book, addresses)
    garage = {entry["vehicle_id"] for entry in document["garage"]}
    assert garage == set(vehicles), (garage, vehicles)
    numbers = [order["number"] for order in document["orders"]]
    assert sorted(numbers) == sorted(orders), (numbers, orders)
    kinds = [SecurityEventKind(line["kind"]) for line in reversed(document["security_log"])]
    assert kinds == list(events), (kinds, events)
    seen = sorted(
        (
            _time(entry["created_at"]),
            _time(entry["last_seen_at"]),
            entry["remember"],
            entry["this_session"],
        )
        for entry in document["sessions"]
    )
    assert seen == sorted(sessions), (seen, sessions)
    assert [entry["this_session"] for entry in document["sessions"]].count(True) == 1
