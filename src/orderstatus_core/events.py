"""Domain events: what happened that the store's own systems act on (a payment system refunds,
the warehouse sends replacements). Queued in the outbox with the change that caused them and
handed to the ``orderstatus_domain_event`` hook by the relay.
"""

from __future__ import annotations

import attrs

from orderstatus_core.model.requests import Refund

__all__ = [
    "DomainEvent",
    "RefundDue",
    "ReplacementDue",
]


@attrs.frozen
class RefundDue:
    """A domain event for the store's payment system: pay ``refund`` back on this order.

    Published once per refund, at least once, with the outbox message id as a stable key
    (the payment itself is out of this library's scope). A refund taken as store credit is
    not published: the library wrote the credit itself.
    """

    order_number: str
    refund: Refund


@attrs.frozen
class ReplacementDue:
    """A domain event for the store's order system: send new parts for a warranty claim
    (``units``: line number to quantity of the order, accepted at inspection)."""

    order_number: str
    rma_number: str
    units: tuple[tuple[int, int], ...]


#: Something that happened which the store's own systems act on (a tagged union).
DomainEvent = RefundDue | ReplacementDue
