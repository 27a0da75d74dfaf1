"""The sync policy's tables are the ones the docs show, and each owner is honoured."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import attrs

from orderstatus_core.model import Order
from orderstatus_core.model.requests import ShippingSpeed
from orderstatus_core.policies.sync import LIBRARY_FIELDS, OWNERSHIP, SYNC_REASONS, merge_order
from orderstatus_core.testing.builders import line, make_order

PAGE = Path(__file__).parents[2] / "docs" / "import-format.md"
AT = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


def _section() -> str:
    text = PAGE.read_text(encoding="utf-8")
    return text[text.index("## Updating orders (upsert)") :]


def _table_rows(heading: str) -> dict[str, str]:
    """First cell (each backticked name in it) to second cell, of the table after ``heading``."""
    section = _section()
    table = section[section.index(heading) :]
    rows: dict[str, str] = {}
    for row in re.findall(r"^\| (.+?) \| (.+?) \|", table, flags=re.M):
        if not row[0].startswith("`"):
            if rows:
                break
            continue
        for name in re.findall(r"`([a-z_]+)`", row[0]):
            rows[name] = row[1]
    return rows


def test_the_ownership_table_in_the_docs_is_the_policy_s() -> None:
    """Every field of the table has the owner the policy gives it, and none is missing."""
    assert _table_rows("### Who owns which field") == OWNERSHIP


def test_the_reason_table_in_the_docs_is_the_policy_s() -> None:
    """Every reason code and sentence of the docs is the policy's (plus invalid_record)."""
    documented = _table_rows("| Reason | Meaning |")
    assert documented.pop("invalid_record")
    assert documented == SYNC_REASONS


def test_every_order_field_has_an_owner() -> None:
    """A new field on Order must be given an owner before sync can be trusted with it."""
    fields = {field.name for field in attrs.fields(Order)} - {"number"}
    assert fields == set(OWNERSHIP)


def test_library_fields_are_kept_and_store_fields_follow_the_record() -> None:
    """Speed (library) stays, tax (store) follows, whatever the record says of either."""
    stored = make_order(lines=[line(1, quantity=2)], shipping_speed=ShippingSpeed.OVERNIGHT)
    incoming = attrs.evolve(make_order(lines=[line(1, quantity=2)]), tax=stored.tax * 2)
    merged = merge_order(stored, incoming, AT)
    assert isinstance(merged, Order)
    assert merged.shipping_speed is ShippingSpeed.OVERNIGHT
    assert merged.tax == stored.tax * 2
    assert "shipping_speed" in LIBRARY_FIELDS
