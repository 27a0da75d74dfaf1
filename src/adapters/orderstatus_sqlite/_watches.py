"""The availability alerts of a SQLite unit's :class:`AccountStore` (split from
:mod:`orderstatus_sqlite._repositories` to keep each module readable)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from orderstatus_core.model.alerts import PartWatch, PartWatcher
from orderstatus_sql import watches as portable
from orderstatus_sql.statements import qmark
from orderstatus_sql.values import encodable
from orderstatus_sqlite._rows import instant, micros

if TYPE_CHECKING:
    import sqlite3

    from orderstatus_sqlite.storage import SqliteUnitOfWork

__all__ = ["PartWatchesMixin"]

_PUT_WATCH: Final = qmark(portable.PUT_WATCH)
_PART_WATCHES: Final = qmark(portable.PART_WATCHES)
_REMOVE_WATCH: Final = qmark(portable.REMOVE_WATCH)
_FORGET_WATCHES: Final = qmark(portable.FORGET_WATCHES)
_WATCHERS: Final = qmark(portable.WATCHERS)
_UNWATCH_PART: Final = qmark(portable.UNWATCH_PART)


def _all(cursor: sqlite3.Cursor) -> list[tuple[object, ...]]:
    return cursor.fetchall()


def _count(cursor: sqlite3.Cursor) -> int:
    return cursor.rowcount


class PartWatchesMixin:
    """The watch methods of ``uow.accounts``."""

    _unit: SqliteUnitOfWork

    def put_watch(self, watch: PartWatch) -> bool:
        """Store the watch unless the account watches that part; whether it did."""
        row = portable.WatchRow.of(watch, micros)
        return self._unit._fetch(_count, _PUT_WATCH, row, "watching a part", write=True) == 1

    def part_watches(self, account_id: str) -> Sequence[PartWatch]:
        """The account's watches, oldest first."""
        unit = self._unit
        if not encodable(account_id):
            unit._reading()
            return []
        rows = unit._fetch(_all, _PART_WATCHES, (account_id,), "listing part watches")
        return portable.decode_watches(rows, instant)

    def remove_watch(self, account_id: str, part_key: str) -> bool:
        """Delete the account's watch of the part; whether there was one."""
        unit = self._unit
        unit._writing()
        if not (encodable(account_id) and encodable(part_key)):
            return False
        parameters = (account_id, part_key)
        return unit._fetch(_count, _REMOVE_WATCH, parameters, "removing a watch", write=True) == 1

    def take_watchers(self, part_key: str) -> Sequence[PartWatcher]:
        """Read the part's watchers, then delete its watches: the unit holds SQLite's write
        lock from ``BEGIN IMMEDIATE``, so no other unit can take them in between."""
        unit = self._unit
        unit._writing()
        if not encodable(part_key):
            return []
        doing = "taking a part's watchers"
        rows = unit._fetch(_all, _WATCHERS, (part_key,), doing, write=True)
        # The delete goes with the mails the service queues next: if it fails, nothing of
        # this report may commit (SECURITY G1).
        unit._fetch(_count, _UNWATCH_PART, (part_key,), doing, write=True, partial=True)
        return portable.decode_watchers(rows, instant)

    def _forget_watches(self, account_id: str) -> int:
        """Delete every watch of the account (its deletion); how many."""
        doing = "deleting an account's part watches"
        return self._unit._fetch(
            _count, _FORGET_WATCHES, (account_id,), doing, write=True, partial=True
        )
