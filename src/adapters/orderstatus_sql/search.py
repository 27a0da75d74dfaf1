"""Order search, as both SQL adapters run it.

A search walks one shopper's orders newest first through ``orders_by_email`` and keeps
those with a line that matches: by part number (one canonical key) or by category (the
category itself, or any key that starts with ``category + U+001F``: its children). The
category range is ``[key + U+001F, key + U+0020)`` in code point order, which is SQLite's
BINARY collation and PostgreSQL's ``"C"`` (the keys' collation). An account's history is
searched by vehicle too (:class:`~orderstatus_core.records.VehicleQuery`), through the
lines' ``vehicle_key`` in one range (:func:`vehicle_range`). Each adapter writes the SQL;
what it binds and how its (order, line) rows fold into matches is decided here.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from typing import Any, Final, NamedTuple

from orderstatus_core import CategoryQuery, InvalidFieldError, PartNumberQuery, VehicleQuery
from orderstatus_core.model.identifiers import CATEGORY_SEPARATOR
from orderstatus_core.records import HistoryQuery
from orderstatus_sql.rows import LineRow, Rows, SearchHead

__all__ = ["SearchTerms", "category_range", "fold", "search_terms", "vehicle_range"]

#: The first code point after U+001F: the end of a category's children in key order.
_AFTER_SEPARATOR: Final = "\x20"


class SearchTerms(NamedTuple):
    """What a search binds: a part key, or a category key and the range of its children,
    or (``vehicle``) only the range of vehicle keys."""

    part_key: str | None
    category_key: str | None
    low: str
    high: str
    vehicle: bool = False

    @property
    def key(self) -> str:
        """The key the query names (the range is built from it with ASCII only): the text
        an adapter checks it can send."""
        if self.vehicle:
            return self.low
        return self.part_key if self.part_key is not None else self.category_key or ""


def category_range(key: str) -> tuple[str, str]:
    """The half-open key range ``[low, high)`` of the children of the category ``key``."""
    return key + CATEGORY_SEPARATOR, key + _AFTER_SEPARATOR


def vehicle_range(query: VehicleQuery) -> tuple[str, str]:
    """The half-open range ``[low, high)`` of the stored ``vehicle_key`` values that
    ``query`` matches. A stored key always has four parts (year, make, model, engine) and
    no part holds a control character, so for a key ``K`` with its engine, ``[K, K +
    U+001F)`` holds ``K`` alone; without one, ``[K + U+001F, K + U+0020)`` holds every
    engine of the year, make and model. One range either way, which the index
    ``order_lines_by_vehicle (order_number, vehicle_key)`` seeks per order."""
    key = query.key
    if query.engine is not None:
        return key, key + CATEGORY_SEPARATOR
    return category_range(key)


# The terms of a key are worked out from the key's text alone, so each is kept for the
# next search of the same key (a shop's few hundred categories, its hot part numbers):
# never stale, and a search builds no named tuple and no range strings again.
@functools.lru_cache(maxsize=4096)
def _part_terms(part_key: str) -> SearchTerms:
    return SearchTerms(part_key, None, "", "")


@functools.lru_cache(maxsize=4096)
def _category_terms(category_key: str) -> SearchTerms:
    return SearchTerms(None, category_key, *category_range(category_key))


def search_terms(query: HistoryQuery) -> SearchTerms:
    """The terms of ``query``; an unknown query type is :class:`InvalidFieldError`."""
    if isinstance(query, PartNumberQuery):
        return _part_terms(query.part_number.canonical)
    if isinstance(query, CategoryQuery):
        return _category_terms(query.category.key)
    if isinstance(query, VehicleQuery):
        return SearchTerms(None, None, *vehicle_range(query), vehicle=True)
    raise InvalidFieldError("query", f"unknown search query {type(query).__name__}")


def fold(
    rows: Iterable[Sequence[Any]], limit: int, head: int = 4
) -> list[tuple[Rows[SearchHead], list[Rows[LineRow]]]]:
    """Fold search rows (the :class:`SearchHead` columns, then the :class:`LineRow`
    columns) into at most ``limit`` (order, matching lines) groups. ``head`` is the width
    of the order's part (5 for a :class:`~orderstatus_sql.rows.LinkedSearchHead`).

    Reads no further than the first row of the order after the ``limit``-th, so a cursor
    that yields rows newest first is never read to its end. Rows of one order may come in
    any order (PostgreSQL's join does not sort them).
    """
    groups: dict[str, tuple[Rows[SearchHead], list[Rows[LineRow]]]] = {}
    for row in rows:
        number = row[0]
        group = groups.get(number)
        if group is None:
            if len(groups) == limit:
                break
            group = groups[number] = (row[:head], [])
        group[1].append(row[head:])
    return list(groups.values())
