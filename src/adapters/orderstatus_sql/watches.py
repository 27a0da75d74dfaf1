"""What both SQL adapters share for availability alerts: the ``part_watches`` columns, the
statements run word for word, and the decoders of their rows.

A watch is keyed by ``(account_id, part_key)``: one watch per account and part, an
account's watches in one index range. ``part_watches_by_part`` (``part_key``, then the
order its alerts are numbered in) is what a report of the part back in stock reads. The
account's email and language are not copied into the watch: the alert goes to the address
the account holds when the report comes, in the language it prefers then, joined then (each
adapter's ``queue_part_alerts`` statement: the JSON functions differ).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from typing import Any, Final, NamedTuple

from orderstatus_core.model import PartNumber
from orderstatus_core.model.alerts import PartWatch
from orderstatus_core.model.restore import restorer
from orderstatus_sql.rows import UNREADABLE, unreadable

__all__ = [
    "FORGET_WATCHES",
    "PART_WATCHES",
    "PUT_WATCH",
    "REMOVE_WATCH",
    "UNWATCH_PART",
    "WatchRow",
    "decode_watches",
]

PUT_WATCH: Final = """
INSERT INTO part_watches (account_id, part_key, part_number, watched_at)
VALUES (%s, %s, %s, %s)
ON CONFLICT (account_id, part_key) DO NOTHING
"""

PART_WATCHES: Final = """
SELECT account_id, part_key, part_number, watched_at
FROM part_watches WHERE account_id = %s ORDER BY watched_at, part_key
"""

REMOVE_WATCH: Final = "DELETE FROM part_watches WHERE account_id = %s AND part_key = %s"

FORGET_WATCHES: Final = "DELETE FROM part_watches WHERE account_id = %s"

UNWATCH_PART: Final = "DELETE FROM part_watches WHERE part_key = %s"


def _same(value: Any) -> Any:
    return value


class WatchRow(NamedTuple):
    """The ``part_watches`` columns."""

    account_id: str
    part_key: str
    part_number: str
    watched_at: Any

    @classmethod
    def of(cls, watch: PartWatch, moment: Callable[[datetime], Any] = _same) -> WatchRow:
        """The columns of ``watch``, its instant stored by ``moment``."""
        return cls(
            watch.account_id,
            watch.part_key,
            watch.part_number.display,
            moment(watch.watched_at),
        )


def decode_watches(
    rows: Iterable[Sequence[Any]], instant: Callable[[Any], datetime] = _same
) -> list[PartWatch]:
    """Watches (rows of :class:`WatchRow`), in row order. Rows the adapter stored from
    validated watches are restored without validating again
    (:mod:`orderstatus_core.model.restore`), as the profile's are."""
    part, watch = restorer(PartNumber), restorer(PartWatch)
    try:
        return [
            watch(account_id, part(part_number, part_key), instant(watched_at))
            for account_id, part_key, part_number, watched_at in rows
        ]
    except UNREADABLE as error:
        raise unreadable("a part watch", error) from error
