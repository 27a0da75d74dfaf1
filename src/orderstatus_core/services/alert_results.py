"""The answers of the availability-alert commands: values of closed unions for a page's
``match`` statement, beside :mod:`orderstatus_core.services.profile_results`."""

from __future__ import annotations

import attrs

from orderstatus_core.model.alerts import PartWatch
from orderstatus_core.services.results import NotLoggedIn

__all__ = [
    "PartAlertsSent",
    "PartNotWatched",
    "PartWatched",
    "PartWatches",
    "PartWatchesResult",
    "UnwatchPartResult",
    "WatchListFull",
    "WatchPartResult",
    "WatchRemoved",
]


@attrs.frozen
class PartWatches:
    """The parts the account watches, oldest watch first."""

    watches: tuple[PartWatch, ...]


@attrs.frozen
class PartWatched:
    """The account watches ``part_number`` (as typed; compared by its key). ``already``
    when it did before this call: then nothing changed, and the first watch stays."""

    part_number: str
    already: bool = False


@attrs.frozen
class WatchListFull:
    """The account watches ``limit`` parts, the most it may; remove a watch first."""

    limit: int


@attrs.frozen
class PartNotWatched:
    """The account watches no part of that number; nothing changed."""


@attrs.frozen
class WatchRemoved:
    """The account no longer watches ``part_number``."""

    part_number: str


@attrs.frozen
class PartAlertsSent:
    """The store reported ``part_number`` back in stock: ``alerts`` mails were queued, one
    per watcher, and those watches are gone. A repeated report answers ``alerts=0``."""

    part_number: str
    alerts: int


PartWatchesResult = PartWatches | NotLoggedIn
WatchPartResult = PartWatched | WatchListFull | NotLoggedIn
UnwatchPartResult = WatchRemoved | PartNotWatched | NotLoggedIn
