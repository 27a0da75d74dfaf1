"""Availability alerts (DOMAIN.md section 2, issue 14 item 5, SECURITY D4, F4, H3).

* :func:`watch_part`, :func:`part_watches`, :func:`unwatch_part`: a logged-in shopper
  watches a part that is out of stock, at most the policy's number of parts
  (``max_part_watches``, 50), each part once (compared by its key, as order lines' part
  numbers are: :func:`~orderstatus_core.model.part_number_key`);
* :func:`part_back_in_stock`: the store reports the part back in stock; each watcher gets
  one :class:`~orderstatus_core.messages.PartBackInStockMail` through the outbox.

A watch fires once. The report takes (deletes) every watch of the part and queues one mail
per watcher in the same unit of work, so the outbox and the watches change together: a
second report, from this process or another, finds no watch and mails no one, and a report
that fails changes neither. Whether the part runs out again is the store's to know, not the
library's: a shopper who wants the next alert watches the part again.
"""

from __future__ import annotations

from datetime import datetime

from orderstatus_core.errors import InvalidFieldError, ValidationError
from orderstatus_core.model.alerts import PartWatch
from orderstatus_core.model.identifiers import PartNumber
from orderstatus_core.policies.profile import alerts_link
from orderstatus_core.ports import AccountStore
from orderstatus_core.services._retry import retrying
from orderstatus_core.services.accounts._common import ShopperProof, checked_shopper
from orderstatus_core.services.accounts.profile import _changing, _reading
from orderstatus_core.services.alert_results import (
    PartAlertsSent,
    PartNotWatched,
    PartWatched,
    PartWatches,
    PartWatchesResult,
    UnwatchPartResult,
    WatchListFull,
    WatchPartResult,
    WatchRemoved,
)
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.effects import watcher_mail

__all__ = [
    "part_back_in_stock",
    "part_watches",
    "read_part_watches",
    "unwatch_part",
    "watch_part",
]

_NOT_WATCHED = PartNotWatched()


def _part(value: object) -> PartNumber:
    """``value`` as a part number, validated as an order line's (SECURITY H3): a
    :class:`~orderstatus_core.model.PartNumber`, or text that makes one."""
    if isinstance(value, PartNumber):
        return value
    if not isinstance(value, str):
        raise InvalidFieldError("part_number", f"must be text, not {type(value).__name__}")
    try:
        return PartNumber(value)
    except ValidationError as error:
        raise error.at("part_number") from None


def watch_part(ctx: ServiceContext, proof: ShopperProof, part_number: str) -> WatchPartResult:
    """Watch ``part_number`` (text, validated as an order line's part number): the shopper
    is mailed once when the store reports it back in stock (:func:`part_back_in_stock`),
    in the account's preferred language at that time (not this page's: a shopper who
    switches language before the report reads the alert in the new one).

    Whether the part is out of stock is the storefront's to show (it offers the button);
    the library keeps the watch. A part watched already answers :class:`PartWatched` with
    ``already=True`` and changes nothing; an account at the policy's bound
    (``max_part_watches``, 50) answers :class:`WatchListFull`.
    """
    proof = checked_shopper(proof)
    part = _part(part_number)
    limit = ctx.policies.profile_policy().max_part_watches

    def watch(store: AccountStore, account_id: str, now: datetime) -> PartWatched | WatchListFull:
        kept = store.part_watches(account_id)
        if any(kept_watch.part_key == part.canonical for kept_watch in kept):
            return PartWatched(part_number=part.display, already=True)
        if len(kept) >= limit:
            return WatchListFull(limit=limit)
        store.put_watch(PartWatch(account_id, part, now))
        return PartWatched(part_number=part.display)

    return _changing(ctx, proof, watch)


def part_watches(ctx: ServiceContext, proof: ShopperProof) -> PartWatchesResult:
    """The parts the account watches, oldest watch first (:class:`PartWatches`)."""
    proof = checked_shopper(proof)
    return _reading(ctx, proof, read_part_watches)


def read_part_watches(store: AccountStore, account_id: str) -> PartWatches:
    """The account's :class:`PartWatches` in the caller's unit (:func:`part_watches`'
    read and the profile page's)."""
    return PartWatches(watches=tuple(store.part_watches(account_id)))


def unwatch_part(ctx: ServiceContext, proof: ShopperProof, part_number: str) -> UnwatchPartResult:
    """Stop watching ``part_number`` (matched by its key: ``bp 12.34`` removes the watch
    of ``BP-1234``); :class:`PartNotWatched` when the account does not watch it."""
    proof = checked_shopper(proof)
    part = _part(part_number)

    def unwatch(
        store: AccountStore, account_id: str, _now: datetime
    ) -> WatchRemoved | PartNotWatched:
        if not store.remove_watch(account_id, part.canonical):
            return _NOT_WATCHED
        return WatchRemoved(part_number=part.display)

    return _changing(ctx, proof, unwatch)


def part_back_in_stock(ctx: ServiceContext, part_number: str) -> PartAlertsSent:
    """The store reports ``part_number`` back in stock (its stock system or staff calls
    this): every watch of the part is taken and each watcher with a verified, live
    account gets one :class:`~orderstatus_core.messages.PartBackInStockMail` at the
    account's current address, in the account's current preferred language, queued in
    the same unit of work.

    Exactly once: a report repeated, or racing from another process, finds the watches
    taken and queues nothing (``alerts=0``). The mail links only to the account's alerts
    page under the account policy's ``link_base`` (SECURITY D4).
    """
    part = _part(part_number)
    link = alerts_link(ctx.policies.account_policy().link_base)

    def report() -> int:
        with ctx.storage.unit_of_work(write=True) as uow:
            # The storage reads the clock once it holds the part's watches (SECURITY G6):
            # the alerts' instant is never older than a rival report it waited for.
            alerts = uow.accounts.queue_part_alerts(
                part.canonical, watcher_mail(link), ctx.clock.now
            )
            uow.commit()
        return alerts

    return PartAlertsSent(part_number=part.display, alerts=retrying(report))
