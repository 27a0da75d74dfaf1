"""The conformance suite of agreement with the ``memory://`` reference:
:class:`MemoryReferenceContract`, on the ``storage`` fixture.
"""

from __future__ import annotations

import pytest
from hypothesis.stateful import run_state_machine_as_test

from orderstatus_core.model import CategoryPath, PartNumber
from orderstatus_core.ports import Storage
from orderstatus_core.records import CategoryQuery, PartNumberQuery, SearchCursor, SearchQuery
from orderstatus_core.testing._comparison import comparing
from orderstatus_core.testing.accounts import account_lifecycle_of
from orderstatus_core.testing.contracts._support import (
    _SEED_CATEGORIES,
    _SEED_PARTS,
    _STATEFUL,
    StorageSuite,
    _account_lifecycle_budget,
    _ask,
    _lifecycle_budget,
    _seeded_with_reference,
)
from orderstatus_core.testing.lifecycle import lifecycle_of

__all__ = ["MemoryReferenceContract"]


class MemoryReferenceContract(StorageSuite):
    """The storage answers as the ``memory://`` reference does: random command sequences, the
    order lifecycle machine, the account machine (against its model), and ``recent``,
    ``search`` and ``get`` on a seeded store.

    Needs a fixture ``storage``: a fresh, migrated, empty storage for each test.
    """

    def test_every_command_agrees_with_the_memory_reference(self, storage: Storage) -> None:
        """Random sequences of adds, commits, walk-aways, outbox changes and queries give the
        same answers as the ``memory://`` reference storage."""
        run_state_machine_as_test(comparing(storage), settings=_STATEFUL)

    def test_the_order_lifecycle_agrees_with_the_memory_reference(self, storage: Storage) -> None:
        """Orders placed, packed, shipped, delivered, cancelled, changed and reported on
        through the policies, one compare-and-set save per step, read back equal to the
        ``memory://`` reference; illegal steps and stale saves are refused alike; and every
        stored order keeps the lifecycle invariants after every step."""
        run_state_machine_as_test(lifecycle_of(storage), settings=_lifecycle_budget())

    def test_the_account_lifecycle_agrees_with_the_model(self, storage: Storage) -> None:
        """A shopper signs up, verifies, logs in and out, resets, changes the email and the
        password, attaches and imports orders and deletes the account while the clock
        crosses every lifetime at TTL and TTL + 1 s; every answer, the stored sessions, the
        linked orders and the security log agree with a simple model
        (:mod:`orderstatus_core.testing.accounts`)."""
        run_state_machine_as_test(
            account_lifecycle_of(storage), settings=_account_lifecycle_budget()
        )

    @pytest.mark.parametrize("key", ["jane@example.com", "pekka@esimerkki.fi", "nobody@x.io"])
    @pytest.mark.parametrize("limit", [1, 3, 500])
    def test_recent_agrees_with_the_reference_on_a_seeded_store(
        self, storage: Storage, key: str, limit: int
    ) -> None:
        """On 120 seeded orders (shared emails, tied times), ``recent`` answers as the
        reference does, header for header."""
        memory, adapter = _ask(_seeded_with_reference(storage), "recent", key, limit)
        assert adapter == memory

    @pytest.mark.parametrize(
        "query",
        [PartNumberQuery(PartNumber(p)) for p in _SEED_PARTS]
        + [CategoryQuery(CategoryPath(c)) for c in _SEED_CATEGORIES],
        ids=repr,
    )
    @pytest.mark.parametrize("limit", [1, 4, 500])
    def test_search_agrees_with_the_reference_page_by_page(
        self, storage: Storage, query: SearchQuery, limit: int
    ) -> None:
        """On the seeded store, every page of a search, followed cursor by cursor, holds the
        same matches and lines as the reference's."""
        both = _seeded_with_reference(storage)
        cursor: SearchCursor | None = None
        for _page in range(200):
            memory, adapter = _ask(both, "search", "jane@example.com", query, limit, cursor)
            assert adapter == memory
            if len(memory) < limit:
                break
            last = memory[-1].header
            cursor = SearchCursor(placed_at=last.placed_at, number=last.number)

    def test_get_agrees_with_the_reference_on_a_seeded_store(self, storage: Storage) -> None:
        """``get`` gives equal orders, lines in the same tuple order, and ``None`` alike."""
        memory, adapter = _seeded_with_reference(storage)
        for number in ["200000", "200057", "200119", "999999"]:
            with memory.unit_of_work() as mine, adapter.unit_of_work() as theirs:
                expected, got = mine.orders.get(number), theirs.orders.get(number)
            assert got == expected
            if got is not None and expected is not None:
                assert got.lines == expected.lines
