"""The sample-data generator: deterministic, streaming, and always valid for the model."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterator, Sized
from datetime import UTC, datetime, timedelta

from orderstatus_core import Order, OrderState, parse_phone
from orderstatus_core.model.identifiers import part_number_key
from orderstatus_core.sample import (
    DEFAULT_UNTIL,
    DEMO_EMAIL,
    DEMO_PHONE,
    demo_orders,
    generate_orders,
    sample_catalogue,
)
from orderstatus_core.serialization import converter


def structure(record: dict[str, object]) -> Order:
    """Through JSON text and the shared converter, as an import does."""
    order: Order = converter.structure(json.loads(json.dumps(record)), Order)
    return order


def test_the_same_seed_gives_the_same_orders() -> None:
    first = list(generate_orders(300, 50, seed=7))
    assert first == list(generate_orders(300, 50, seed=7))
    assert first != list(generate_orders(300, 50, seed=8))
    assert first[:100] != list(generate_orders(100, 50, seed=7))  # count spreads time


def test_every_generated_order_structures_into_an_order() -> None:
    statuses: Counter[OrderState] = Counter()
    for record in generate_orders(3000, 600, seed=11):
        statuses[structure(record).status] += 1
    assert statuses[OrderState.DELIVERED] > 2500
    assert statuses[OrderState.CANCELLED] > 0


def test_recent_orders_are_still_moving() -> None:
    """Orders of the last days are placed, in processing or shipped, not delivered."""
    count = 20_000
    recent = itertools.islice(generate_orders(count, seed=3), count - 60, None)
    statuses = {structure(record).status for record in recent}
    assert statuses & {OrderState.PROCESSING, OrderState.PLACED, OrderState.PARTIALLY_SHIPPED}
    assert OrderState.SHIPPED in statuses


def test_orders_look_real() -> None:
    records = list(generate_orders(5000, 1000, seed=1))
    numbers = [r["number"] for r in records]
    assert len(set(numbers)) == len(numbers)
    assert all(len(n) == 9 and n.isdigit() for n in numbers)
    placed = [datetime.fromisoformat(r["placed_at"]) for r in records]
    assert placed == sorted(placed)
    assert DEFAULT_UNTIL - timedelta(days=3 * 365) <= placed[0] < placed[-1] <= DEFAULT_UNTIL
    assert placed[-1] - placed[0] > timedelta(days=3 * 365 - 5)
    lines = Counter(len(r["lines"]) for r in records)
    assert set(lines) == {1, 2, 3, 4, 5, 6}
    assert any(len(r.get("packages", [])) > 1 for r in records)
    assert any(line["core_charge"] != "0.00 USD" for r in records for line in r["lines"])
    phones = [r["phone"] for r in records if "phone" in r]
    assert 0.6 < len(phones) / len(records) < 0.95
    for phone in phones[:500]:
        assert parse_phone(phone).e164 == phone  # valid for phonenumbers, not just possible
    # Some shoppers come back: fewer distinct emails than orders.
    assert len({r["email"] for r in records}) < len(records) * 0.5


def test_generation_streams() -> None:
    """Orders are made one at a time as they are read: a generator, not a list."""
    orders = generate_orders(100_000_000, seed=1)
    assert isinstance(orders, Iterator)
    assert not isinstance(orders, Sized)
    first = list(itertools.islice(orders, 3))
    assert len(first) == 3


def test_orders_end_at_until() -> None:
    until = datetime(2030, 6, 1, tzinfo=UTC)
    records = list(generate_orders(50, seed=2, until=until))
    assert datetime.fromisoformat(records[-1]["placed_at"]) <= until
    for record in records:
        for package in record.get("packages", []):
            for field in ("shipped_at", "delivered_at"):
                if field in package:
                    assert datetime.fromisoformat(package[field]) <= until


def test_the_catalogue() -> None:
    catalogue = sample_catalogue()
    assert 1900 <= len(catalogue) <= 2200
    assert len({part_number_key(p.part_number) for p in catalogue}) == len(catalogue)
    leaves = {p.category for p in catalogue}
    assert 40 <= len(leaves) <= 50
    assert {len(path) for path in leaves} == {2, 3}
    assert len({path[0] for path in leaves}) >= 8
    assert catalogue[0].part_number == "BP-1234"
    assert catalogue[0].category == ("Brake & Wheel Hub", "Brake Pad")
    assert any(p.core_charge_cents for p in catalogue)
    assert any(not p.returnable for p in catalogue)
    assert sample_catalogue() is catalogue  # built once


def test_demo_orders() -> None:
    orders = [structure(record) for record in demo_orders(datetime.now(UTC))]
    by_number = {order.number: order for order in orders}
    assert len(by_number) == len(orders)
    jane = [o for o in orders if o.email == structure(demo_orders(DEFAULT_UNTIL)[0]).email]
    assert {o.number for o in jane} == {"298310447", "301442518", "301977206", "302105733"}
    assert all(o.email.display == DEMO_EMAIL for o in jane)
    assert all(o.phone == parse_phone(DEMO_PHONE) for o in jane)
    assert by_number["301442518"].status is OrderState.DELIVERED
    assert by_number["301977206"].status is OrderState.PARTIALLY_SHIPPED
    assert by_number["302105733"].status is OrderState.PLACED
    assert by_number["301977206"].ledger(4).cancelled == 1
