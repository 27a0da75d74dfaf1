"""Order search, as both SQL adapters run it.

A search walks one shopper's orders newest first through ``orders_by_email`` and keeps
those with a line that matches: by part number (one canonical key) or by category (the
category itself, or any key that starts with ``category + U+001F``: its children). The
category range is ``[key + U+001F, key + U+0020)`` in code point order, which is SQLite's
BINARY collation and PostgreSQL's ``"C"`` (the keys' collation). Each adapter writes the
SQL; what it binds and how its (order, line) rows fold into matches is decided here.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Final, NamedTuple

from orderstatus_core import CategoryQuery, InvalidFieldError, PartNumberQuery
from orderstatus_core.model.identifiers import CATEGORY_SEPARATOR
from orderstatus_core.records import SearchQuery
from orderstatus_sql.rows import LineRow, Rows, SearchHead

__all__ = ["SearchTerms", "category_range", "fold", "search_terms"]

#: The first code point after U+001F: the end of a category's children in key order.
_AFTER_SEPARATOR: Final = "\x20"


class SearchTerms(NamedTuple):
    """What a search binds: a part key, or a category key and the range of its children."""

    part_key: str | None
    category_key: str | None
    low: str
    high: str

    @property
    def key(self) -> str:
        """The key the query names (the range is built from it with ASCII only): the text
        an adapter checks it can send."""
        return self.part_key if self.part_key is not None else self.category_key or ""


def category_range(key: str) -> tuple[str, str]:
    """The half-open key range ``[low, high)`` of the children of the category ``key``."""
    return key + CATEGORY_SEPARATOR, key + _AFTER_SEPARATOR


def search_terms(query: SearchQuery) -> SearchTerms:
    """The terms of ``query``; an unknown query type is :class:`InvalidFieldError`."""
    if isinstance(query, PartNumberQuery):
        return SearchTerms(query.part_number.canonical, None, "", "")
    if isinstance(query, CategoryQuery):
        key = query.category.key
        return SearchTerms(None, key, *category_range(key))
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
