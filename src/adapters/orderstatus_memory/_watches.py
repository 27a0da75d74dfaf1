"""The availability alerts of the memory storage's :class:`AccountStore` (split from
:mod:`orderstatus_memory.storage` to keep each module readable): each account's watches by
part key, and each part key's watching accounts, so a report of one part reads only its
own watchers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from orderstatus_core.messages import OutboxMessage, WatcherMail
from orderstatus_core.model.account import Account, AccountState
from orderstatus_core.model.alerts import PartWatch
from orderstatus_core.serialization import load_intent

if TYPE_CHECKING:
    from orderstatus_memory.storage import _MemoryUnitOfWork

__all__ = ["PartWatchesMixin"]


def _by_time(watch: PartWatch) -> tuple[object, str]:
    return (watch.watched_at, watch.part_key)


class PartWatchesMixin:
    """The watch methods of ``uow.accounts``; the state's maps are replaced, never changed
    in place, as a commit publishes them to readers."""

    _unit: _MemoryUnitOfWork

    def _watches_of(self, account_id: object) -> dict[str, PartWatch]:
        if not isinstance(account_id, str):
            return {}
        return self._unit.work.watches.get(account_id, {})

    def put_watch(self, watch: PartWatch) -> bool:
        self._unit.check_writable()
        work = self._unit.work
        kept = work.watches.get(watch.account_id, {})
        if watch.part_key in kept:
            return False
        work.watches[watch.account_id] = {**kept, watch.part_key: watch}
        work.watchers[watch.part_key] = work.watchers.get(watch.part_key, frozenset()) | {
            watch.account_id
        }
        return True

    def part_watches(self, account_id: str) -> Sequence[PartWatch]:
        return sorted(self._watches_of(account_id).values(), key=_by_time)

    def remove_watch(self, account_id: str, part_key: str) -> bool:
        self._unit.check_writable()
        kept = self._watches_of(account_id)
        if not isinstance(part_key, str) or part_key not in kept:
            return False
        work = self._unit.work
        work.watches[account_id] = {k: v for k, v in kept.items() if k != part_key}
        self._unwatched(part_key, {account_id})
        return True

    def queue_part_alerts(
        self, part_key: str, mail: WatcherMail, now: Callable[[], datetime]
    ) -> int:
        """The reference: each alert is the template with the watcher's members set, read
        back by the core's serialization as the SQL storages' stored documents are. The
        unit holds the storage's writer lock from its start (SECURITY G6)."""
        unit = self._unit
        unit.check_writable()
        work = unit.work
        # A key that is not text was never stored: it takes nothing.
        watching = work.watchers.pop(part_key, frozenset()) if isinstance(part_key, str) else ()
        taken: list[tuple[PartWatch, Account]] = []
        for account_id in watching:
            kept = work.watches[account_id]
            watch = kept[part_key]
            work.watches[account_id] = {k: v for k, v in kept.items() if k != part_key}
            account = work.accounts.get(account_id)
            if account is not None and account.state is AccountState.ACTIVE:
                taken.append((watch, account))
        taken.sort(key=lambda pair: (pair[0].watched_at, pair[0].account_id))
        at = now()
        for ordinal, (watch, account) in enumerate(taken, 1):
            document = mail.document(
                account.email.display, watch.part_number.display, account.language
            )
            intent = load_intent(document)
            unit.outbox.put(OutboxMessage(mail.message_id(ordinal), at, intent))
        return len(taken)

    def _forget_watches(self, account_id: str) -> int:
        """Delete every watch of the account (its deletion); how many."""
        kept = self._unit.work.watches.pop(account_id, {})
        for part_key in kept:
            self._unwatched(part_key, {account_id})
        return len(kept)

    def _unwatched(self, part_key: str, accounts: set[str]) -> None:
        watchers = self._unit.work.watchers
        left = watchers.get(part_key, frozenset()) - accounts
        if left:
            watchers[part_key] = left
        else:
            watchers.pop(part_key, None)
