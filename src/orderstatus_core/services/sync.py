"""Order sync: an idempotent upsert of orders from the store's order system.

Where :func:`~orderstatus_core.services.import_orders` loads a file once, all or nothing,
:func:`upsert_orders` is for a feed that runs again and again: each record is its own unit
of work, so one order the library must refuse never stalls the others. A record for a new
order number stores it as import does; a record for a stored order is merged by
:func:`~orderstatus_core.policies.sync.merge_order` (who owns which field, and which
changes contradict the library's records) and saved with the order's version, so a guest's
cancel that committed in between is read and kept, never overwritten (SECURITY G2). The
same record twice writes nothing the second time: no new version, no outbox message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Literal

import attrs

from orderstatus_core.errors import DuplicateOrderError, ImportRecordError
from orderstatus_core.model import Order
from orderstatus_core.policies.sync import SyncRefused, merge_order
from orderstatus_core.ports import UnitOfWork
from orderstatus_core.services._retry import retrying
from orderstatus_core.services._unit import write_unit
from orderstatus_core.services.accounts.orders import follow_new_email, join_verified_accounts
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.effects import queue_tracking_mail
from orderstatus_core.services.importing import RecordParser, check_feed, numbered_records

__all__ = ["UpsertRefusal", "UpsertReport", "upsert_order", "upsert_orders"]

#: What one record did to the stored order, or why it did nothing.
Outcome = Literal["created", "updated", "unchanged"] | SyncRefused


@attrs.frozen
class UpsertRefusal:
    """A record of the feed that changed nothing, and why.

    ``reason`` is a key of :data:`~orderstatus_core.policies.sync.SYNC_REASONS`, or
    ``invalid_record`` for a record that import would refuse too (then ``message`` is the
    import's own text). ``order_number`` is ``None`` when the record has no readable one.
    """

    line: int
    order_number: str | None
    reason: str
    field: str
    message: str


@attrs.frozen
class UpsertReport:
    """What a feed did, order by order: numbers in the order their records came.

    A number appears once per record, so an order sent twice in one feed appears twice
    (``created``, then ``unchanged`` or ``updated``).
    """

    created: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    refused: tuple[UpsertRefusal, ...] = ()

    @property
    def count(self) -> int:
        """How many records the feed held (blank lines aside)."""
        return len(self.created) + len(self.updated) + len(self.unchanged) + len(self.refused)


def upsert_orders(
    ctx: ServiceContext,
    lines: Iterable[str],
    progress: Callable[[int], None] | None = None,
) -> UpsertReport:
    """Create or update the order of every JSON Lines record; report each one's outcome.

    Each record is its own unit of work, committed before the next is read. A record that
    import would refuse (bad JSON, a missing field, broken units) is reported as
    ``invalid_record`` with its line number and field path, and the feed goes on. A
    stream that cannot be read further (a line over
    :data:`~orderstatus_core.services.importing.MAX_RECORD_BYTES`, not UTF-8) raises
    :class:`~orderstatus_core.errors.ImportRecordError` there: the records before it are
    stored, and running the feed again is safe. ``lines`` and ``progress`` are checked like
    :func:`~orderstatus_core.services.import_orders`'s.
    """
    check_feed(lines, progress)
    outcomes: dict[str, list[str]] = {"created": [], "updated": [], "unchanged": []}
    refused: list[UpsertRefusal] = []
    parser = RecordParser()
    for count, (number, text) in enumerate(numbered_records(lines), start=1):
        try:
            order = parser.parse(number, text)
        except ImportRecordError as error:
            refused.append(UpsertRefusal(number, None, "invalid_record", error.field, str(error)))
        else:
            outcome = upsert_order(ctx, order)
            if isinstance(outcome, SyncRefused):
                refused.append(
                    UpsertRefusal(
                        number, order.number, outcome.reason, outcome.field, outcome.message
                    )
                )
            else:
                outcomes[outcome].append(order.number)
        if progress is not None and count % 1000 == 0:
            progress(count)
    report = UpsertReport(
        created=tuple(outcomes["created"]),
        updated=tuple(outcomes["updated"]),
        unchanged=tuple(outcomes["unchanged"]),
        refused=tuple(refused),
    )
    if progress is not None:
        progress(report.count)
    return report


def upsert_order(ctx: ServiceContext, incoming: Order) -> Outcome:
    """Store ``incoming`` as a new order, or merge it into the stored one, in one write unit.

    Answers ``"created"``, ``"updated"``, ``"unchanged"`` (nothing written), or the
    :class:`~orderstatus_core.policies.sync.SyncRefused` that kept the stored order as it
    was. When another unit stores the same new number first, the record is merged into that
    order instead.
    """
    try:
        return retrying(lambda: _attempt(ctx, incoming))
    except DuplicateOrderError:
        # Stored by someone else between our read and our add: now it is an update.
        return retrying(lambda: _attempt(ctx, incoming))


def _attempt(ctx: ServiceContext, incoming: Order) -> Outcome:
    with write_unit(ctx, incoming.number) as locked:
        uow, stored = locked.uow, locked.order
        if stored is None:
            uow.orders.add(incoming)
            # An order of an address with a verified account joins it as it arrives (F1).
            join_verified_accounts(uow, (incoming,), locked.now)
            uow.commit()
            return "created"
        merged = merge_order(stored, incoming, locked.now)
        if isinstance(merged, SyncRefused):
            return merged
        if merged == stored:
            return "unchanged"
        after = attrs.evolve(merged, version=stored.version + 1)
        uow.orders.save(after)
        if after.email != stored.email:
            _close_open_challenge(uow, after.number)
            follow_new_email(uow, stored, after, locked.now)
        queue_tracking_mail(ctx, uow, stored, after, locked.now)
        uow.commit()
        return "updated"


def _close_open_challenge(uow: UnitOfWork, order_number: str) -> None:
    """A code or link mailed to the old address must not open the order any more: it
    would prove an address the order no longer has (SECURITY: the store re-keyed it)."""
    latest = uow.passes.latest_challenge(order_number)
    if latest is not None and not latest.used:
        uow.passes.save_challenge(latest.superseded())
