"""The availability alerts of a SQLite unit's :class:`AccountStore` (split from
:mod:`orderstatus_sqlite._repositories` to keep each module readable)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

from orderstatus_core.messages import WatcherMail
from orderstatus_core.model.alerts import PartWatch
from orderstatus_core.model.order import utc
from orderstatus_sql import watches as portable
from orderstatus_sql.statements import qmark
from orderstatus_sql.values import encodable
from orderstatus_sqlite._rows import instant, micros, template

if TYPE_CHECKING:
    import sqlite3

    from orderstatus_sqlite.storage import SqliteUnitOfWork

__all__ = ["PartWatchesMixin"]

_PUT_WATCH: Final = qmark(portable.PUT_WATCH)
_PART_WATCHES: Final = qmark(portable.PART_WATCHES)
_REMOVE_WATCH: Final = qmark(portable.REMOVE_WATCH)
_FORGET_WATCHES: Final = qmark(portable.FORGET_WATCHES)
_UNWATCH_PART: Final = qmark(portable.UNWATCH_PART)

# One alert per watcher with a live account, written by SQLite from the core's template:
# ``json_set`` sets the watcher's members as JSON strings (escaped by SQLite's JSON
# writer), and the id is the report's prefix and the watcher's ordinal in 8 hex digits
# (WatcherMail.message_id; ``row_number()`` needs SQLite 3.25, JSON functions 3.38 or an
# earlier build with JSON1, as Python's own builds have). The watches' index
# part_watches_by_part gives the rows in the ordinal's order: no sort.
# Written with ``?`` (not through ``qmark``): printf's ``%s`` is SQLite's own here.
_QUEUE_ALERTS: Final = """
INSERT INTO outbox (message_id, created_at, kind, payload, attempts, next_attempt_at,
    last_error, sent_at, dead_at)
SELECT printf('%s%08x', ?, row_number() OVER (ORDER BY w.watched_at, w.account_id)),
    ?, ?, json_set(?, ?, a.email, ?, w.part_number, ?, a.language), 0, NULL, NULL, NULL, NULL
FROM part_watches AS w JOIN accounts AS a ON a.account_id = w.account_id
WHERE w.part_key = ? AND a.state = 'active'
ORDER BY w.watched_at, w.account_id
"""


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

    def queue_part_alerts(
        self, part_key: str, mail: WatcherMail, now: Callable[[], datetime]
    ) -> int:
        """Queue the part's alerts in one ``INSERT ... SELECT``, then delete its watches:
        the unit holds SQLite's write lock from ``BEGIN IMMEDIATE``, so the clock read
        here is after any rival report's commit, and no other unit takes the watches in
        between."""
        unit = self._unit
        unit._writing()
        if not encodable(part_key):
            return 0
        doing = "queueing a part's alerts"
        parameters = (
            mail.id_prefix,
            micros(utc(now())),
            mail.kind,
            template(mail),
            f"$.{mail.email_member}",
            f"$.{mail.part_member}",
            f"$.{mail.language_member}",
            part_key,
        )
        queued = unit._fetch(_count, _QUEUE_ALERTS, parameters, doing, write=True)
        # The delete goes with the alerts just queued: if it fails, nothing of this report
        # may commit (SECURITY G1).
        unit._fetch(_count, _UNWATCH_PART, (part_key,), doing, write=True, partial=True)
        return queued

    def _forget_watches(self, account_id: str) -> int:
        """Delete every watch of the account (its deletion); how many."""
        doing = "deleting an account's part watches"
        return self._unit._fetch(
            _count, _FORGET_WATCHES, (account_id,), doing, write=True, partial=True
        )
