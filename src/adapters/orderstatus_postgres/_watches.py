"""The availability alerts of a PostgreSQL unit's :class:`AccountStore` (split from
:mod:`orderstatus_postgres._repositories` to keep each module readable)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from orderstatus_core.model.alerts import PartWatch, PartWatcher
from orderstatus_postgres import _rows
from orderstatus_sql import watches as portable

if TYPE_CHECKING:
    from orderstatus_postgres.storage import PostgresUnitOfWork

__all__ = ["PartWatchesMixin"]

# One statement takes the part's watches and joins each to its account: the DELETE locks
# each row it deletes, so a unit racing with this one waits for it and then finds those
# rows gone (READ COMMITTED re-checks a row it waited for); a watch is answered once.
_TAKE_WATCHERS: Final = """
WITH taken AS (
    DELETE FROM part_watches WHERE part_key = %s
    RETURNING account_id, part_key, part_number, watched_at
)
SELECT t.account_id, t.part_key, t.part_number, t.watched_at, a.email, a.email_key, a.language
FROM taken AS t JOIN accounts AS a ON a.account_id = t.account_id
WHERE a.state = 'active'
ORDER BY t.watched_at, t.account_id
"""


class PartWatchesMixin:
    """The watch methods of ``uow.accounts``."""

    _unit: PostgresUnitOfWork

    def put_watch(self, watch: PartWatch) -> bool:
        """Store the watch unless the account watches that part; whether it did."""
        row = portable.WatchRow.of(watch)
        return self._unit._run(portable.PUT_WATCH, row, "watching a part", write=True).rowcount == 1

    def part_watches(self, account_id: str) -> Sequence[PartWatch]:
        """The account's watches, oldest first."""
        unit = self._unit
        if not _rows.storable(account_id):
            unit._require_open()
            return []
        rows = unit._run(portable.PART_WATCHES, (account_id,), "listing part watches").fetchall()
        return portable.decode_watches(rows)

    def remove_watch(self, account_id: str, part_key: str) -> bool:
        """Delete the account's watch of the part; whether there was one."""
        unit = self._unit
        if not (_rows.storable(account_id) and _rows.storable(part_key)):
            unit._require_writable()
            return False
        parameters = (account_id, part_key)
        cursor = unit._run(portable.REMOVE_WATCH, parameters, "removing a watch", write=True)
        return cursor.rowcount == 1

    def take_watchers(self, part_key: str) -> Sequence[PartWatcher]:
        """Delete the part's watches and answer the live accounts' (one statement)."""
        unit = self._unit
        if not _rows.storable(part_key):
            unit._require_writable()
            return []
        doing = "taking a part's watchers"
        rows = unit._run(_TAKE_WATCHERS, (part_key,), doing, write=True).fetchall()
        return portable.decode_watchers(rows)

    def _forget_watches(self, account_id: str) -> int:
        """Delete every watch of the account (its deletion); how many."""
        doing = "deleting an account's part watches"
        return self._unit._run(portable.FORGET_WATCHES, (account_id,), doing, write=True).rowcount
