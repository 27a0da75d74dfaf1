"""Outbox message ids (SECURITY G4): fresh for every message, drawn in one read for a
batch. (A report of a part back in stock numbers its alerts from one random prefix
instead: tests/unit/test_alert_model.py.)"""

from __future__ import annotations

import re

import pytest

from orderstatus_core.messages import OrderListRequest, OutboxMessage
from orderstatus_core.services.effects import message_ids, queue
from orderstatus_core.testing import FixedClock
from orderstatus_memory import MemoryStorage

_ID = re.compile(r"[0-9a-f]{32}")
NOW = FixedClock().now()


def _pending(storage: MemoryStorage) -> list[OutboxMessage]:
    with storage.unit_of_work() as uow:
        return list(uow.outbox.pending(100))


def test_a_batch_of_ids_is_that_many_distinct_32_hex_digit_ids() -> None:
    ids = message_ids(1000)
    assert len(ids) == len(set(ids)) == 1000
    assert all(_ID.fullmatch(message_id) for message_id in ids)
    assert not set(ids) & set(message_ids(1000))  # and another batch shares none


def test_no_ids_for_no_messages_and_a_negative_count_refused() -> None:
    assert message_ids(0) == []
    with pytest.raises(ValueError, match="negative"):
        message_ids(-1)


def test_queue_gives_each_item_its_own_id_at_the_units_instant() -> None:
    """Every item queued once, each with an id of its own."""
    storage = MemoryStorage()
    requests = [OrderListRequest(f"shopper{n}@example.com") for n in range(5)]
    with storage.unit_of_work(write=True) as uow:
        for request in requests:
            queue(uow, request, NOW)
        uow.commit()
    pending = _pending(storage)
    key = OrderListRequest.__repr__
    assert sorted((m.intent for m in pending), key=key) == requests
    assert len({m.message_id for m in pending}) == 5
    assert all(_ID.fullmatch(m.message_id) and m.created_at == NOW for m in pending)
