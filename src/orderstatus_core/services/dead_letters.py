"""Staff's view of the outbox: what waits, what is dead, and retrying or dropping one."""

from __future__ import annotations

from orderstatus_core.errors import InvalidFieldError
from orderstatus_core.events import DomainEvent
from orderstatus_core.messages import (
    AttachOrderRequest,
    GuestPassRequest,
    MailIntent,
    OrderListRequest,
    OutboxItem,
    OutboxMessage,
    PasswordResetRequest,
    ReturnDocumentsJob,
    SignUpRequest,
)
from orderstatus_core.policies.masking import mask_email, mask_phone
from orderstatus_core.serialization import intent_kind
from orderstatus_core.services._unit import write_unit
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.results import OutboxEntry, OutboxListing

__all__ = ["drop_message", "list_outbox", "retry_message"]

# An outbox message id is a short token the library made (a UUID, an event id); anything
# longer is a typo or an attack, refused before it reaches the storage.
_MAX_ID = 200


def list_outbox(ctx: ServiceContext, limit: int = 50) -> OutboxListing:
    """Up to ``limit`` pending messages (oldest first) and up to ``limit`` dead letters
    (oldest first), with how many are pending in all, each entry ready to print: the
    recipient masked, the last error as the relay kept it (secrets and addresses hidden),
    never a code or link. ``limit`` is a whole number from 1 to 10,000, else
    :class:`~orderstatus_core.errors.InvalidFieldError`.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 10_000:
        raise InvalidFieldError("limit", "must be a whole number from 1 to 10000")
    with ctx.storage.unit_of_work() as uow:
        pending = tuple(_entry(m) for m in uow.outbox.pending(limit))
        dead = tuple(_entry(m) for m in uow.outbox.dead(limit))
        waiting = uow.outbox.pending_count()
    return OutboxListing(pending=pending, dead=dead, pending_count=waiting)


def retry_message(ctx: ServiceContext, message_id: str) -> bool:
    """Make the dead letter ``message_id`` due now with no attempts counted; whether it
    was a dead letter (a pending, sent or unknown id answers ``False``)."""
    _check_id(message_id)
    with write_unit(ctx) as locked:
        retried = locked.uow.outbox.retry(message_id, locked.now)
        locked.uow.commit()
    return retried


def drop_message(ctx: ServiceContext, message_id: str) -> bool:
    """Delete the undelivered (pending or dead) message ``message_id``, its secrets with
    it; whether there was one. A sent message stays for its audit until the purge."""
    _check_id(message_id)
    with write_unit(ctx) as locked:
        dropped = locked.uow.outbox.drop(message_id)
        locked.uow.commit()
    return dropped


def _check_id(message_id: object) -> None:
    if not isinstance(message_id, str) or not 1 <= len(message_id) <= _MAX_ID:
        raise InvalidFieldError("message_id", f"must be text of 1 to {_MAX_ID} characters")


def _entry(message: OutboxMessage) -> OutboxEntry:
    return OutboxEntry(
        message_id=message.message_id,
        kind=intent_kind(message.intent),
        recipient=_recipient(message.intent),
        created_at=message.created_at,
        attempts=message.attempts,
        next_attempt_at=message.next_attempt_at,
        last_error=message.last_error,
        dead_at=message.dead_at,
    )


def _recipient(item: OutboxItem) -> str:
    """Who the message goes to, masked as on a shopper's page (SECURITY C4)."""
    if isinstance(item, MailIntent):
        return mask_email(item.to.display)
    if isinstance(item, OrderListRequest):
        return mask_email(item.email_key)
    if isinstance(item, SignUpRequest):
        return mask_email(item.email.display)
    if isinstance(item, PasswordResetRequest):
        return mask_email(item.account_email_key)
    if isinstance(item, GuestPassRequest | AttachOrderRequest):
        contact = item.contact
        return mask_phone(contact) if contact.startswith("+") else mask_email(contact)
    if isinstance(item, ReturnDocumentsJob):
        return "(label maker)"
    assert isinstance(item, DomainEvent)
    return "(event subscribers)"
