"""The availability alerts of a PostgreSQL unit's :class:`AccountStore` (split from
:mod:`orderstatus_postgres._repositories` to keep each module readable)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Final

from psycopg.types.json import Jsonb

from orderstatus_core.messages import WatcherMail
from orderstatus_core.model.alerts import PartWatch
from orderstatus_core.model.order import utc
from orderstatus_postgres import _rows
from orderstatus_sql import watches as portable

if TYPE_CHECKING:
    from orderstatus_postgres.storage import PostgresUnitOfWork

__all__ = ["PartWatchesMixin"]

# The claim, before the clock is read (SECURITY G6): lock the part's watches. A unit racing
# with this one waits here for it, then finds the rows it deleted gone (READ COMMITTED
# re-checks a row it waited for) and counts only what is left to take.
_HOLD_WATCHES: Final = """
SELECT count(*) FROM (SELECT 1 FROM part_watches WHERE part_key = %s FOR UPDATE) AS held
"""

# Then one statement deletes the part's watches and queues one alert per watcher with a live
# account, from the core's template: ``||`` sets the watcher's members, as JSON strings; the
# id is the report's prefix and the watcher's ordinal in 8 hex digits
# (WatcherMail.message_id). A watch put between the two statements is taken too: its alert
# is as new as the report's instant, read after the lock.
_QUEUE_ALERTS: Final = """
WITH taken AS (
    DELETE FROM part_watches WHERE part_key = %s
    RETURNING account_id, part_number, watched_at
)
INSERT INTO outbox (message_id, created_at, kind, payload, attempts, next_attempt_at,
    last_error, sent_at, dead_at)
SELECT %s || lpad(to_hex(row_number() OVER (ORDER BY t.watched_at, t.account_id)), 8, '0'),
    %s, %s,
    %s || jsonb_build_object(%s::text, a.email, %s::text, t.part_number, %s::text, a.language),
    0, NULL, NULL, NULL, NULL
FROM taken AS t JOIN accounts AS a ON a.account_id = t.account_id
WHERE a.state = 'active'
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

    def queue_part_alerts(
        self, part_key: str, mail: WatcherMail, now: Callable[[], datetime]
    ) -> int:
        """Lock the part's watches, read the clock, then delete them and queue the alerts
        in one statement."""
        unit = self._unit
        if not _rows.storable(part_key):
            unit._require_writable()
            return 0
        doing = "queueing a part's alerts"
        held = unit._run(_HOLD_WATCHES, (part_key,), doing, write=True).fetchone()
        if held is None or held[0] == 0:
            return 0
        parameters = (
            part_key,
            mail.id_prefix,
            utc(now()),
            mail.kind,
            Jsonb(dict(mail.template)),
            mail.email_member,
            mail.part_member,
            mail.language_member,
        )
        return unit._run(_QUEUE_ALERTS, parameters, doing, write=True).rowcount

    def _forget_watches(self, account_id: str) -> int:
        """Delete every watch of the account (its deletion); how many."""
        doing = "deleting an account's part watches"
        return self._unit._run(portable.FORGET_WATCHES, (account_id,), doing, write=True).rowcount
