"""What a command writes besides the order, in the same transaction (SECURITY G1, G4)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime

import attrs

from orderstatus_core.events import RefundDue
from orderstatus_core.messages import (
    WATCHER_ORDINAL_DIGITS,
    OutboxItem,
    OutboxMessage,
    PartBackInStockMail,
    ShipmentNotice,
    TrackingMail,
    WatcherMail,
)
from orderstatus_core.model import EmailAddress, Order
from orderstatus_core.model.fulfilment import fully_shipped
from orderstatus_core.model.requests import Refund
from orderstatus_core.ports import UnitOfWork
from orderstatus_core.records import CreditEntry
from orderstatus_core.serialization import dump_intent
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.mail_language import order_mail_language

__all__ = [
    "message_ids",
    "one_version_on",
    "queue",
    "queue_refund",
    "queue_tracking_mail",
    "watcher_mail",
]

# 16 random bytes (128 bits, more than a uuid4's 122) as 32 hex digits per message id.
_ID_BYTES = 16
_ID_DIGITS = 2 * _ID_BYTES
# The address a watcher mail's template is serialized with; the member is removed after.
_ANYONE = EmailAddress("watcher@example.com", "watcher@example.com")


def one_version_on(before: Order, after: Order) -> Order:
    """``after`` as the single next version of ``before``.

    A command may run several policy steps (request, approve, apply), each of which builds
    a new version; what the command saves is one change, compared against what it read.
    """
    if after.version == before.version + 1:
        return after
    return attrs.evolve(after, version=before.version + 1)


def message_ids(count: int) -> Sequence[str]:
    """``count`` fresh outbox message ids, 32 random hex digits each (SECURITY G4: a
    receiver drops duplicates by the id, so ids must not repeat).

    They are drawn from the system's random source in one read, not one read per id.
    """
    digits = secrets.token_hex(_ID_BYTES * count)
    return [digits[start : start + _ID_DIGITS] for start in range(0, len(digits), _ID_DIGITS)]


def queue(uow: UnitOfWork, item: OutboxItem, now: datetime) -> None:
    """Put ``item`` in the outbox of the command's transaction, with a fresh message id."""
    (message_id,) = message_ids(1)
    uow.outbox.put(OutboxMessage(message_id=message_id, created_at=now, intent=item))


def watcher_mail(link: str) -> WatcherMail:
    """The alert each watcher of a part gets, less the watcher (:class:`WatcherMail`),
    linking to ``link``, with a fresh random id prefix: the message ids of one report are
    its prefix and each watcher's ordinal (SECURITY G4: unique, and no report's ids tell
    another's).

    The template is the core's serialization of a :class:`PartBackInStockMail` with the
    watcher's members removed, so the storage writes the one document
    :func:`~orderstatus_core.serialization.load_intent` reads back."""
    template = dump_intent(PartBackInStockMail(_ANYONE, "", link))
    mail = WatcherMail(template, secrets.token_hex(_ID_BYTES - WATCHER_ORDINAL_DIGITS // 2))
    for member in (mail.email_member, mail.part_member, mail.language_member):
        del template[member]
    return attrs.evolve(mail, template=template)


def queue_refund(uow: UnitOfWork, order: Order, refund: Refund | None, now: datetime) -> None:
    """Pay ``refund`` in the command's own transaction: a :class:`RefundDue` for the
    payment system, or, for a refund taken as store credit, a credit entry in the ledger
    (idempotent by the refund: the same refund never credits twice)."""
    if refund is None:
        return
    if refund.to_store_credit:
        if refund.total.amount > 0:
            uow.credit.append(
                CreditEntry(
                    entry_id=f"refund:{order.number}:{refund.refund_id}",
                    holder=order.email.canonical,
                    amount=refund.total,
                    at=now,
                    reference=f"refund {refund.refund_id} of order {order.number}",
                )
            )
        return
    queue(uow, RefundDue(order_number=order.number, refund=refund), now)


def queue_tracking_mail(
    ctx: ServiceContext, uow: UnitOfWork, before: Order, after: Order, now: datetime
) -> None:
    """Queue the tracking mail at the moment the order's last remaining unit has shipped.

    That moment is usually a shipment, but a cancel of the last unshipped units does it too
    (DOMAIN.md section 1: the mail goes when the *last* package ships). Once per order: only
    when ``before`` was not fully shipped and ``after`` is, with packages to list. Written
    in the language of the account the order's address or the order belongs to, else the
    store's ``mail_language`` (:func:`order_mail_language`), read in ``uow``.
    """
    if fully_shipped(before) or not fully_shipped(after):
        return
    notices = tuple(
        ShipmentNotice(
            package_id=p.package_id,
            carrier=p.carrier,
            tracking_number=p.tracking_number,
            tracking_url=ctx.policies.tracking_url(p.carrier, p.tracking_number),
        )
        for p in after.packages
        if p.shipped_at is not None and p.carrier and p.tracking_number
    )
    if notices:
        mail = TrackingMail(
            to=after.email,
            order_number=after.number,
            packages=notices,
            language=order_mail_language(
                uow, after.email, after.number, ctx.policies.lookup_policy().mail_language
            ),
        )
        queue(uow, mail, now)
