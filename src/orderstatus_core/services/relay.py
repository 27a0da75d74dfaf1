"""The outbox relay: deliver pending mail after the commands that queued it have committed."""

from __future__ import annotations

from datetime import datetime, timedelta

from orderstatus_core.mail import render_mail
from orderstatus_core.ports import (
    DomainEvent,
    MailRequest,
    OrderListRequest,
    OutboxMessage,
    ReturnDocumentsJob,
)
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.guest_pass import decide_guest_pass
from orderstatus_core.services.lookup import decide_order_list
from orderstatus_core.services.results import RelayReport
from orderstatus_core.services.returns import make_return_papers

__all__ = ["LEASE", "relay_outbox", "retry_delay"]

#: How long a relay worker holds the messages it took before another may take them.
LEASE = timedelta(minutes=5)
_FIRST_RETRY = timedelta(minutes=1)
_LAST_RETRY = timedelta(hours=6)
_MAX_ERROR_TEXT = 500


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 1 min, doubling, at most 6 h."""
    delay: timedelta = _FIRST_RETRY * 2 ** min(attempts - 1, 20)
    return min(delay, _LAST_RETRY)


def _deliver(ctx: ServiceContext, message: OutboxMessage) -> None:
    intent = message.intent
    if isinstance(intent, DomainEvent):
        ctx.publish(message.message_id, intent)
    elif isinstance(intent, ReturnDocumentsJob):
        make_return_papers(ctx, intent)
    else:
        ctx.mailer.send(render_mail(message))


def _decide(ctx: ServiceContext, message: OutboxMessage, request: MailRequest) -> None:
    # In the service's own unit of work, which also marks the request done: the mail it
    # queues (if any) goes out on the next pass; "no mail" is done like a sent one.
    if isinstance(request, OrderListRequest):
        decide_order_list(ctx, message.message_id, request)
    else:
        decide_guest_pass(ctx, message.message_id, request)


def relay_outbox(ctx: ServiceContext, limit: int = 100) -> RelayReport:
    """Send up to ``limit`` due messages: mail through the mail port, domain events (such
    as :class:`~orderstatus_core.ports.RefundDue`) to the store's event subscribers, and
    return papers (:class:`~orderstatus_core.ports.ReturnDocumentsJob`) to the label maker.
    An Order Look-Up or guest-pass request is decided here: when the orders or the pair
    match, its mail is queued and goes out in the same call; a request that mails no one
    is done all the same. Only what goes out counts in the report.

    Each message is marked sent or failed in its own small transaction, so a slow mail
    server never holds the database. Delivery is at-least-once: a crash between sending
    and marking sends the message again, with the same ``message_id`` (SECURITY G4). A
    failure keeps the message pending with a later retry time (SECURITY A3).
    """
    now = ctx.clock.now()
    report = _Tally()
    remaining = limit
    # A decided request queues its mail for a later round of this same call, so that one
    # relay pass delivers it; the rounds end when a round decides nothing.
    while remaining > 0:
        # Take the batch under a lease, in its own small transaction: relays running at
        # once on several servers never send the same message, and a relay that dies
        # mid-batch leaves its messages to the next one when the lease ends.
        with ctx.storage.unit_of_work(write=True) as uow:
            due = list(uow.outbox.claim(now, remaining, now + LEASE))
            uow.commit()
        remaining -= len(due)
        decided = [_relay(ctx, message, now, report) for message in due]  # every one
        if not any(decided):
            break
    return RelayReport(sent=len(report.sent), failed=report.failed, sent_ids=tuple(report.sent))


class _Tally:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.failed = 0


def _relay(ctx: ServiceContext, message: OutboxMessage, now: datetime, report: _Tally) -> bool:
    """Deliver or decide one message and mark it; whether it was a request decided."""
    intent = message.intent
    try:
        if isinstance(intent, MailRequest):
            # Decided in the service's own unit of work, which also marks it done: "no
            # mail" is done like a sent one. Only what goes out counts as sent.
            _decide(ctx, message, intent)
            return True
        _deliver(ctx, message)
    except Exception as error:  # any failure of a port or subscriber keeps it pending
        report.failed += 1
        reason = f"{type(error).__name__}: {error}"[:_MAX_ERROR_TEXT]
        with ctx.storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_failed(
                message.message_id, reason, now + retry_delay(message.attempts + 1)
            )
            uow.commit()
        return False
    report.sent.append(message.message_id)
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.outbox.mark_sent(message.message_id, ctx.clock.now())
        uow.commit()
    return False
