"""What the account machine checks of a data export (issue 14 item 8): its top-level
keys, and that it holds what the machine's model holds. Plain comparisons of the parsed
JSON document, no service code."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

import attrs

from orderstatus_core.model.account import SecurityEventKind
from orderstatus_core.model.address import Address
from orderstatus_core.serialization import converter
from orderstatus_core.services.accounts.export import EXPORT_SCHEMA_VERSION, export_schema

__all__ = ["ExportedProfile", "exported_as_the_model_says", "has_every_section"]

#: A session as the model sees it: created, last seen, *keep me logged in*, and whether
#: it is the session asking.
SessionSeen = tuple[datetime, datetime, bool, bool]


@attrs.frozen
class ExportedProfile:
    """The profile's preferences as the model holds them: the preferred language, the
    discount codes (text to the order reference each was used for, ``None`` unused), the
    watched parts as first typed and the store-mail topics."""

    language: str
    codes: Mapping[str, str | None]
    watched: Collection[str]
    topics: Collection[str]


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
    profile: ExportedProfile,
) -> None:
    """The document holds the account's email; the saved addresses (by id: the address
    and whether it is the default); the garage's vehicle ids; the linked order numbers;
    the security log's kinds (oldest first in ``events``, newest first in the document);
    the open sessions, with exactly one of them the asking one; and the ``profile``'s
    language, codes, watched parts and topics."""
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
    assert document["account"]["language"] == profile.language, document["account"]
    codes = {entry["code"]: entry["order_reference"] for entry in document["discount_codes"]}
    assert codes == dict(profile.codes), (codes, profile.codes)
    watched = {entry["part_number"] for entry in document["part_watches"]}
    assert watched == set(profile.watched), (watched, profile.watched)
    topics = [entry["topic"] for entry in document["mail_preferences"]]
    assert topics == sorted(profile.topics), (topics, profile.topics)
