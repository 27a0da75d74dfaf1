"""The answers services give. Ordinary outcomes are values, not exceptions."""

from __future__ import annotations

import math
from datetime import datetime

import attrs

from orderstatus_core.model import EmailAddress
from orderstatus_core.model.display import N_
from orderstatus_core.model.views import OrderView
from orderstatus_core.records import OrderMatch

__all__ = [
    "FindOrderResult",
    "GuestPassGranted",
    "GuestPassRefused",
    "GuestPassRequestResult",
    "GuestPassRequested",
    "GuestPassVerifyResult",
    "GuestSearchResult",
    "ImportReport",
    "NoValidPass",
    "OrderFound",
    "OrderListRequested",
    "OrderListResult",
    "OrderNotFound",
    "OutboxEntry",
    "OutboxListing",
    "PurgeReport",
    "Refused",
    "RelayFailure",
    "RelayReport",
    "SearchPage",
    "TryLater",
    "ViewResult",
]


# Each answer's ``message`` defaults to its English message id; a service answers it in the
# shopper's language (services._texts.in_language), so two answers in one language are equal.


@attrs.frozen
class OrderFound:
    """The order, as an unverified guest may see it."""

    view: OrderView


@attrs.frozen
class OrderNotFound:
    """The one answer for a wrong pair, an unknown order and a malformed identifier.

    Always equal to every other ``OrderNotFound`` (SECURITY A1).
    """

    message: str = N_(
        "We could not find an order with that email address or phone number and order number."
    )


@attrs.frozen
class TryLater:
    """Too many attempts; the next one is allowed at ``retry_at``."""

    retry_at: datetime
    retry_after_seconds: int
    message: str = N_("Too many attempts. Please try again later.")

    @classmethod
    def at(cls, retry_at: datetime, now: datetime) -> TryLater:
        """A refusal until ``retry_at``, rounded up to whole seconds from ``now``."""
        seconds = max(1, math.ceil((retry_at - now).total_seconds()))
        return cls(retry_at=retry_at, retry_after_seconds=seconds)


@attrs.frozen
class Refused:
    """A guest command the order's state or the store's rules do not allow now.

    ``reason`` is a stable, machine-readable code (``already_shipped``,
    ``cancel_window_closed``, ``window_closed`` ...) a page can choose its text by;
    ``message`` says why in plain words, in the shopper's language
    (:data:`~orderstatus_core.policies.refusals.REFUSALS`). A value, not an exception, so
    that a page handles it in the same ``match`` as every other outcome.
    """

    reason: str
    message: str


@attrs.frozen
class NoValidPass:
    """The guest did not prove their right to the order: no guest pass, a wrong, expired or
    foreign one, or a look-up pair where this store asks for a pass.

    Always equal to every other ``NoValidPass``, whether or not the order exists
    (SECURITY A1); a page offers to mail a guest pass.
    """

    message: str = N_(
        "Please confirm it is your order: request a guest pass for it and use the code we mail you."
    )


@attrs.frozen
class OrderListRequested:
    """The one answer to Order Look-Up, whether or not any order exists (SECURITY A1)."""

    message: str = N_("If we have orders for that email address, we have sent their numbers to it.")


@attrs.frozen
class SearchPage:
    """One page of search results, newest first; ``next_cursor`` fetches the next page."""

    matches: tuple[OrderMatch, ...]
    next_cursor: str | None


@attrs.frozen
class RelayFailure:
    """A message the relay could not deliver this time: pending for a retry, or, when
    ``dead``, moved to dead letters (it failed for good, or too many times).

    ``kind`` names what it carries (``guest_pass``, ``return_documents`` ...); ``reason`` is
    the error, at most 500 characters, with the message's secrets and its recipient's
    address hidden, so it can be printed and logged.
    """

    message_id: str
    kind: str
    reason: str
    dead: bool = False


@attrs.frozen
class RelayReport:
    """What one run of the outbox relay did: ``failed`` counts every failure, ``dead``
    those of them that became dead letters."""

    sent: int
    failed: int
    #: The ``message_id`` of every message delivered, in delivery order.
    sent_ids: tuple[str, ...] = ()
    #: Every message that failed, in the order tried, with why.
    failures: tuple[RelayFailure, ...] = ()
    dead: int = 0


@attrs.frozen
class OutboxEntry:
    """One outbox message as staff see it (``orderstatus outbox``): never its codes or
    links, the recipient masked, the last error with secrets and addresses hidden.

    ``kind`` names what it carries (``guest_pass``, ``return_documents`` ...); ``dead_at``
    is set for a dead letter, ``next_attempt_at`` for a message waiting for a retry or
    leased to a worker.
    """

    message_id: str
    kind: str
    recipient: str
    created_at: datetime
    attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    dead_at: datetime | None


@attrs.frozen
class OutboxListing:
    """What the outbox holds: pending messages and dead letters, oldest first, each list
    cut at the limit asked; ``pending_count`` counts every pending message."""

    pending: tuple[OutboxEntry, ...]
    dead: tuple[OutboxEntry, ...]
    pending_count: int


@attrs.frozen
class PurgeReport:
    """How many records one purge deleted, by kind (SECURITY D5)."""

    sent_messages: int
    challenges: int
    passes: int
    idempotent_replies: int


@attrs.frozen
class ImportReport:
    """How many orders an import stored."""

    imported: int


@attrs.frozen
class GuestPassRequested:
    """The one answer to a guest-pass request, whether or not the pair matched (SECURITY A1)."""

    message: str = N_(
        "If the email address or phone number belongs to that order, we have sent a code and "
        "a link to the email address on the order. They work once, for a few minutes."
    )


@attrs.frozen
class GuestPassGranted:
    """A right code or link: the guest pass for one order, valid until ``expires_at``.

    ``email`` is the order's stored address, the one the code went to: the guest proved
    they read its mail, so a guest who came in by phone may see it and search its orders
    (:meth:`GuestSession.search_orders <orderstatus_core.GuestSession.search_orders>`).
    Keep ``token`` where the shopper's browser sends it back with each action on this order
    (a ``Secure``, ``HttpOnly`` cookie), and give it to the action. It is left out of
    ``repr`` so that a log line never carries it (SECURITY C4).
    """

    token: str = attrs.field(repr=False)
    order_number: str
    expires_at: datetime
    #: The address the code was mailed to, so the pass proves it: the guest may see it
    #: and search its orders. Left out of ``repr`` like every address in a log (C4).
    email: EmailAddress = attrs.field(repr=False)


@attrs.frozen
class GuestPassRefused:
    """The one answer for a wrong, expired, used or unknown code or link, and bad input.

    Always equal to every other ``GuestPassRefused``.
    """

    message: str = N_(
        "That code or link does not work. It may be mistyped, used or expired; ask for a new one."
    )


FindOrderResult = OrderFound | OrderNotFound | TryLater
OrderListResult = OrderListRequested | TryLater
GuestPassRequestResult = GuestPassRequested | TryLater
GuestPassVerifyResult = GuestPassGranted | GuestPassRefused | TryLater
#: The answers to viewing an order with a guest pass (or, without one, the look-up pair).
ViewResult = OrderFound | OrderNotFound | NoValidPass | TryLater
#: The answers to a guest's search of the orders of the email their pass proved.
GuestSearchResult = SearchPage | NoValidPass
