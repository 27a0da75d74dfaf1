"""The PostgreSQL adapter answers exactly as the reference memory adapter does.

Seeded random orders (shared emails, times with ties, overlapping parts and categories,
lines out of line_no order) go into both; every query is asked of both and compared.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from pg_helpers import T0, order, order_line

from orderstatus_core import (
    CategoryPath,
    CategoryQuery,
    Order,
    PartNumber,
    PartNumberQuery,
    SearchCursor,
    Storage,
)
from orderstatus_memory import MemoryStorage
from orderstatus_postgres import PostgresStorage

EMAILS = ["jane@example.com", "Jane@Example.com", "pekka@esimerkki.fi", "x@y.io"]
PARTS = ["BP-1234", "bp 12.34", "R-77", "ÖL-1", "A%_1"]
CATEGORIES = [("Brake",), ("Brake", "Pad"), ("Brakes",), ("Oil", "Filter"), ("brake", "Rotor")]


def random_orders(rng: random.Random, count: int) -> Iterator[Order]:
    for n in range(count):
        numbers = rng.sample(range(1, 9), rng.randint(1, 4))
        yield order(
            str(200_000 + n),
            rng.choice(EMAILS),
            placed_at=T0 + timedelta(hours=rng.randrange(6)),
            lines=[
                order_line(i, rng.choice(PARTS), rng.choice(CATEGORIES), quantity=1)
                for i in numbers
            ],
        )


@pytest.fixture
def both(pg_storage: PostgresStorage) -> list[Storage]:
    rng = random.Random(20261101)
    orders = list(random_orders(rng, 120))
    storages: list[Storage] = [MemoryStorage(), pg_storage]
    for storage in storages:
        with storage.unit_of_work(write=True) as uow:
            for each in orders:
                uow.orders.add(each)
            uow.commit()
    return storages


def ask(storages: list[Storage], question: str, *args: object) -> list[list[Any]]:
    answers: list[list[Any]] = []
    for storage in storages:
        with storage.unit_of_work() as uow:
            answers.append(list(getattr(uow.orders, question)(*args)))
    return answers


@pytest.mark.parametrize("key", ["jane@example.com", "pekka@esimerkki.fi", "nobody@x.io"])
@pytest.mark.parametrize("limit", [1, 3, 500])
def test_recent_agrees(both: list[Storage], key: str, limit: int) -> None:
    """recent() gives the same headers in the same order."""
    memory, postgres = ask(both, "recent", key, limit)
    assert postgres == memory


@pytest.mark.parametrize(
    "query",
    [PartNumberQuery(PartNumber(p)) for p in PARTS]
    + [CategoryQuery(CategoryPath(c)) for c in CATEGORIES],
    ids=repr,
)
@pytest.mark.parametrize("limit", [1, 4, 500])
def test_search_agrees_page_by_page(both: list[Storage], query: object, limit: int) -> None:
    """search() gives the same matches and lines, and the same pages after each cursor."""
    cursor: SearchCursor | None = None
    for _ in range(200):
        memory, postgres = ask(both, "search", "jane@example.com", query, limit, cursor)
        assert postgres == memory
        if len(memory) < limit:
            break
        last = memory[-1].header
        cursor = SearchCursor(placed_at=last.placed_at, number=last.number)


def test_get_agrees(both: list[Storage]) -> None:
    """get() gives equal orders, with lines and packages in the same tuple order."""
    for number in ["200000", "200057", "200119", "999999"]:
        memory, postgres = (storage.unit_of_work() for storage in both)
        with memory as m, postgres as s:
            mine, theirs = s.orders.get(number), m.orders.get(number)
            assert mine == theirs
            if mine is not None and theirs is not None:
                assert mine.lines == theirs.lines
