"""A command's write unit with the time it acts at, read after its locks (SECURITY G6).

A command that waited for another one's lock must not record a time from before that
wait: a delivery "before" the shipment it waited for is refused, a cancel request would be
decided before it was asked. So no command reads the clock itself; it takes the ``now``
that :func:`write_unit` read once it held the locks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import attrs

from orderstatus_core.model import Order
from orderstatus_core.ports import UnitOfWork
from orderstatus_core.services.context import ServiceContext

__all__ = ["Locked", "write_unit"]


@attrs.frozen
class Locked:
    """An open write unit, the order it locked (``None``: no such order, or none asked
    for) and the time read after the locks were held."""

    uow: UnitOfWork
    order: Order | None
    now: datetime


@contextmanager
def write_unit(
    ctx: ServiceContext,
    order_number: str | None = None,
    *,
    contact: str | None = None,
    balance: tuple[str, str] | None = None,
) -> Iterator[Locked]:
    """Open a write unit, lock ``order_number`` (when given) by reading it, then read the
    clock. With ``contact`` the order is read by the look-up pair
    (:meth:`~orderstatus_core.ports.OrderRepository.get_for_contact`), and is ``None``
    unless its email key or phone is ``contact``. ``balance`` (holder, currency) is a
    store-credit balance to lock the same way, by reading it.

    SQLite and the memory storage hold the write lock from the start of the unit;
    PostgreSQL locks an order when a write unit reads it. Reading the order before the
    clock covers both. The caller commits ``locked.uow``; leaving without it rolls back.
    """
    with ctx.storage.unit_of_work(write=True) as uow:
        if order_number is None:
            order = None
        elif contact is None:
            order = uow.orders.get(order_number)
        else:
            order = uow.orders.get_for_contact(order_number, contact)
        if balance is not None:
            uow.credit.balance(*balance)
        yield Locked(uow, order, ctx.clock.now())
