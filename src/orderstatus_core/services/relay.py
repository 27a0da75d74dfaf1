"""The outbox relay: deliver pending mail after the commands that queued it have committed."""

from __future__ import annotations

import re
from datetime import timedelta

from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.events import DomainEvent
from orderstatus_core.messages import (
    GuestPassRequest,
    MailIntent,
    MailRequest,
    OrderListRequest,
    OutboxItem,
    OutboxMessage,
    ReturnDocumentsJob,
    secrets_of,
)
from orderstatus_core.policies.masking import mask_email
from orderstatus_core.serialization import intent_kind
from orderstatus_core.services._unit import write_unit
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.guest_pass import decide_guest_pass
from orderstatus_core.services.lookup import decide_order_list
from orderstatus_core.services.results import RelayFailure, RelayReport
from orderstatus_core.services.returns import make_return_papers

__all__ = ["LEASE", "failure_reason", "relay_outbox", "retry_delay"]

#: How long a relay worker holds the messages it took before another may take them.
LEASE = timedelta(minutes=5)
_FIRST_RETRY = timedelta(minutes=1)
_LAST_RETRY = timedelta(hours=6)
_MAX_ERROR_TEXT = 500


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 1 min, doubling, at most 6 h."""
    delay: timedelta = _FIRST_RETRY * 2 ** min(attempts - 1, 20)
    return min(delay, _LAST_RETRY)


def failure_reason(error: Exception, item: OutboxItem) -> str:
    """``error`` as one line to keep and print: its type and text, with the item's
    secrets and its recipient's address hidden, at most 500 characters.

    A port's error may quote what it was given (an SMTP server echoes the recipient, a
    template error the body); the text outlives delivery, so it must not carry them.
    """
    text = " ".join(f"{type(error).__name__}: {error}".split())
    hidden = dict.fromkeys(secrets_of(item), "[secret]")
    if isinstance(item, MailIntent):
        for address in (item.to.display, item.to.canonical):
            hidden[address] = mask_email(address)
    elif isinstance(item, OrderListRequest):
        hidden[item.email_key] = mask_email(item.email_key)
    elif isinstance(item, GuestPassRequest):
        hidden[item.contact] = "[contact]"
    # Longest first, so that a secret containing another is hidden whole; ignoring case,
    # since a server may echo an address in its own case.
    for value in sorted(hidden, key=len, reverse=True):
        pieces = re.split(re.escape(value), text, flags=re.IGNORECASE)
        text = hidden[value].join(pieces)
    return text[:_MAX_ERROR_TEXT]


def _deliver(ctx: ServiceContext, message: OutboxMessage) -> None:
    intent = message.intent
    if isinstance(intent, DomainEvent):
        ctx.policies.publish_event(message.message_id, intent)
    elif isinstance(intent, ReturnDocumentsJob):
        make_return_papers(ctx, intent)
    else:
        ctx.mailer.send(ctx.policies.mail_renderer().render(message))


def _decide(ctx: ServiceContext, message: OutboxMessage, request: MailRequest) -> None:
    # In the service's own unit of work, which also marks the request done: the mail it
    # queues (if any) goes out in a later round of the same relay call; "no mail" is done
    # like a sent one.
    if isinstance(request, OrderListRequest):
        decide_order_list(ctx, message.message_id, request)
    else:
        decide_guest_pass(ctx, message.message_id, request)


def relay_outbox(ctx: ServiceContext, limit: int = 100) -> RelayReport:
    """Send up to ``limit`` due messages: mail through the mail port, domain events (such
    as :class:`~orderstatus_core.events.RefundDue`) to the store's event subscribers, and
    return papers (:class:`~orderstatus_core.messages.ReturnDocumentsJob`) to the label maker.
    An Order Look-Up or guest-pass request is decided here: when the orders or the pair
    match, its mail is queued and goes out in the same call; a request that mails no one
    is done all the same. Only what goes out counts in the report.

    Each message is marked sent or failed in its own small transaction, so a slow mail
    server never holds the database. Delivery is at-least-once: a crash between sending
    and marking sends the message again, with the same ``message_id`` (SECURITY G4). A
    failure keeps the message pending with a later retry time (SECURITY A3).
    ``limit`` must be a whole number of at least 1, else
    :class:`~orderstatus_core.errors.InvalidFieldError`.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidFieldError("limit", "must be a whole number of at least 1")
    report = _Tally()
    remaining = limit
    # Deciding a request or making return papers queues mail for a later round of this
    # same call, so that one relay pass delivers it; the rounds end when a round queued
    # nothing new.
    while remaining > 0:
        # Take the batch under a lease, in its own small transaction: relays running at
        # once on several servers never send the same message, and a relay that dies
        # mid-batch leaves its messages to the next one when the lease ends.
        with write_unit(ctx) as locked:
            due = list(locked.uow.outbox.claim(locked.now, remaining, locked.now + LEASE))
            locked.uow.commit()
        remaining -= len(due)
        queued_more = [_relay(ctx, message, report) for message in due]  # every one
        if not any(queued_more):
            break
    return RelayReport(
        sent=len(report.sent),
        failed=len(report.failures),
        sent_ids=tuple(report.sent),
        failures=tuple(report.failures),
    )


class _Tally:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.failures: list[RelayFailure] = []


def _relay(ctx: ServiceContext, message: OutboxMessage, report: _Tally) -> bool:
    """Deliver or decide one message and mark it; whether it may have queued more."""
    intent = message.intent
    try:
        if isinstance(intent, MailRequest):
            # Decided in the service's own unit of work, which also marks it done: "no
            # mail" is done like a sent one. Only what goes out counts as sent.
            _decide(ctx, message, intent)
            return True
        _deliver(ctx, message)
    except Exception as error:  # any failure of a port or subscriber keeps it pending
        reason = failure_reason(error, intent)
        report.failures.append(RelayFailure(message.message_id, intent_kind(intent), reason))
        with write_unit(ctx) as locked:
            retry_at = locked.now + retry_delay(message.attempts + 1)
            locked.uow.outbox.mark_failed(message.message_id, reason, retry_at)
            locked.uow.commit()
        return False
    report.sent.append(message.message_id)
    with write_unit(ctx) as locked:
        locked.uow.outbox.mark_sent(message.message_id, locked.now)
        locked.uow.commit()
    # Return papers queue the shopper's mail with them.
    return isinstance(intent, ReturnDocumentsJob)
