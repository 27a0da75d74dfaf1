"""The outbox relay: deliver pending mail after the commands that queued it have committed."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta
from typing import Protocol

from orderstatus_core.errors import (
    AdapterError,
    InvalidFieldError,
    MailRejectedError,
    ValidationError,
)
from orderstatus_core.events import DomainEvent
from orderstatus_core.messages import (
    AttachOrderRequest,
    GuestPassRequest,
    MailIntent,
    MailRequest,
    OrderListRequest,
    OutboxItem,
    OutboxMessage,
    PasswordResetRequest,
    ReturnDocumentsJob,
    SignUpRequest,
    secrets_of,
)
from orderstatus_core.policies.masking import mask_email
from orderstatus_core.serialization import intent_kind
from orderstatus_core.services._unit import write_unit
from orderstatus_core.services.accounts import decide_attach, decide_reset, decide_sign_up
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.guest_pass import decide_guest_pass
from orderstatus_core.services.lookup import decide_order_list
from orderstatus_core.services.results import RelayFailure, RelayReport
from orderstatus_core.services.returns import make_return_papers

__all__ = ["StopSignal", "failure_reason", "relay_outbox", "retry_delay", "watch_outbox"]

#: Where a watching relay says what each batch did (one line a batch), what failed and why.
logger = logging.getLogger("orderstatus.relay")

_FIRST_RETRY = timedelta(minutes=1)
_LAST_RETRY = timedelta(hours=6)
_MAX_ERROR_TEXT = 500


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure: 1 min, doubling, at most 6 h."""
    delay: timedelta = _FIRST_RETRY * 2 ** min(attempts - 1, 20)
    return min(delay, _LAST_RETRY)


def failure_reason(error: Exception, item: OutboxItem) -> str:
    """``error`` as one line to keep and print: its type and text, with the item's
    secrets and its recipient's address hidden, control characters replaced by U+FFFD,
    at most 500 characters.

    A port's error may quote what it was given (an SMTP server echoes the recipient, a
    template error the body); the text outlives delivery, so it must not carry them.
    """
    text = " ".join(f"{type(error).__name__}: {error}".split())
    # A server's echo may carry terminal escapes or bidi overrides into logs and listings.
    text = "".join(char if char.isprintable() else "\ufffd" for char in text)
    hidden = dict.fromkeys(secrets_of(item), "[secret]")
    if isinstance(item, MailIntent):
        for address in (item.to.display, item.to.canonical):
            hidden[address] = mask_email(address)
    elif isinstance(item, OrderListRequest):
        hidden[item.email_key] = mask_email(item.email_key)
    elif isinstance(item, GuestPassRequest | AttachOrderRequest):
        hidden[item.contact] = "[contact]"
    elif isinstance(item, SignUpRequest):
        for address in (item.email.display, item.email.canonical):
            hidden[address] = mask_email(address)
    elif isinstance(item, PasswordResetRequest):
        hidden[item.account_email_key] = mask_email(item.account_email_key)
    # Longest first, so that a secret containing another is hidden whole; ignoring case,
    # since a server may echo an address in its own case.
    for value in sorted(hidden, key=len, reverse=True):
        pieces = re.split(re.escape(value), text, flags=re.IGNORECASE)
        text = hidden[value].join(pieces)
    return text[:_MAX_ERROR_TEXT]


class _Undeliverable(Exception):
    """``cause`` fails this message whatever the next attempt does: a dead letter now."""

    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause


def _deliver(ctx: ServiceContext, message: OutboxMessage) -> None:
    intent = message.intent
    if isinstance(intent, DomainEvent):
        ctx.policies.publish_event(message.message_id, intent)
    elif isinstance(intent, ReturnDocumentsJob):
        try:
            make_return_papers(ctx, intent)
        except ValidationError as error:  # the job's input, not a port, is wrong
            raise _Undeliverable(error) from error
    else:
        try:
            mail = ctx.policies.mail_renderer().render(message)
        except Exception as error:  # a mail that cannot be built now never can
            raise _Undeliverable(error) from error
        ctx.mailer.send(mail)


def _decide(ctx: ServiceContext, message: OutboxMessage, request: MailRequest) -> None:
    # In the service's own unit of work, which also marks the request done: the mail it
    # queues (if any) goes out in a later round of the same relay call; "no mail" is done
    # like a sent one.
    if isinstance(request, OrderListRequest):
        decide_order_list(ctx, message.message_id, request)
    elif isinstance(request, GuestPassRequest):
        decide_guest_pass(ctx, message.message_id, request)
    elif isinstance(request, SignUpRequest):
        decide_sign_up(ctx, message.message_id, request)
    elif isinstance(request, PasswordResetRequest):
        decide_reset(ctx, message.message_id, request)
    else:
        decide_attach(ctx, message.message_id, request)


def _check_stop(stop: object) -> None:
    # A stop of another type would fail with AttributeError deep in a batch, after
    # messages were claimed; refuse it before any work, as a bad argument.
    if not (callable(getattr(stop, "is_set", None)) and callable(getattr(stop, "wait", None))):
        raise InvalidFieldError("stop", "must have is_set() and wait(), like threading.Event")


class StopSignal(Protocol):
    """What tells a relay to stop between two messages: :class:`threading.Event` is one.

    ``wait`` is also how an idle worker sleeps, so a stop wakes it at once (and a test
    passes an object whose ``wait`` returns without sleeping).
    """

    def is_set(self) -> bool:
        """Whether the relay should stop."""
        ...

    def wait(self, timeout: float | None = None) -> bool:
        """Sleep up to ``timeout`` seconds or until set; whether it is set."""
        ...


def relay_outbox(
    ctx: ServiceContext, limit: int = 100, stop: StopSignal | None = None
) -> RelayReport:
    """Send up to ``limit`` due messages: mail through the mail port, domain events (such
    as :class:`~orderstatus_core.events.RefundDue`) to the store's event subscribers, and
    return papers (:class:`~orderstatus_core.messages.ReturnDocumentsJob`) to the label maker.
    An Order Look-Up or guest-pass request is decided here: when the orders or the pair
    match, its mail is queued and goes out in the same call; a request that mails no one
    is done all the same. Only what goes out counts in the report.

    Each message is marked sent or failed in its own small transaction, so a slow mail
    server never holds the database. Delivery is at-least-once: a crash between sending
    and marking sends the message again, with the same ``message_id`` (SECURITY G4); it is
    only ever the message in hand, since each is marked before the next is sent (marks
    gathered into one transaction per batch would save a few per cent of a mail's time and
    send a whole batch again after a crash). A
    failure keeps the message pending with a later retry time (SECURITY A3), 1 minute
    doubling up to 6 hours. It becomes a dead letter, tried no more until staff retry it,
    after the relay policy's ``max_attempts`` failures
    (:class:`~orderstatus_core.RelayPolicy`, 10), or at once when it can never succeed: a
    mail server's refusal (:class:`~orderstatus_core.errors.MailRejectedError`), a mail that
    cannot be rendered, return papers whose input is invalid (a
    :class:`~orderstatus_core.errors.ValidationError`).

    ``stop``, when given and set, ends the call after the message in hand; the messages
    it took and did not try are released to the other workers at once (a worker stopping
    for a deploy). ``limit`` must be a whole number of at least 1, else
    :class:`~orderstatus_core.errors.InvalidFieldError`.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidFieldError("limit", "must be a whole number of at least 1")
    if stop is not None:
        _check_stop(stop)
    report = _Tally()
    policy = ctx.policies.relay_policy()
    remaining = limit
    # Deciding a request or making return papers queues mail for a later round of this
    # same call, so that one relay pass delivers it; the rounds end when a round queued
    # nothing new.
    while remaining > 0 and not _stopping(stop):
        # Take the batch under a lease, in its own small transaction: relays running at
        # once on several servers never send the same message, and a relay that dies
        # mid-batch leaves its messages to the next one when the lease ends.
        with write_unit(ctx) as locked:
            lease_until = locked.now + policy.lease
            due = list(locked.uow.outbox.claim(locked.now, remaining, lease_until))
            locked.uow.commit()
        remaining -= len(due)
        queued_more = False
        for position, message in enumerate(due):
            if _stopping(stop):
                _release(ctx, due[position:], lease_until)
                break
            queued_more = _relay(ctx, message, report, policy.max_attempts) or queued_more
        if not queued_more:
            break
    return RelayReport(
        sent=len(report.sent),
        failed=len(report.failures),
        sent_ids=tuple(report.sent),
        failures=tuple(report.failures),
        dead=sum(1 for failure in report.failures if failure.dead),
    )


def _stopping(stop: StopSignal | None) -> bool:
    return stop is not None and stop.is_set()


def _release(ctx: ServiceContext, untried: list[OutboxMessage], lease_until: datetime) -> None:
    with write_unit(ctx) as locked:
        for message in untried:
            locked.uow.outbox.release(message.message_id, lease_until, locked.now)
        locked.uow.commit()


class _Tally:
    def __init__(self) -> None:
        self.sent: list[str] = []
        self.failures: list[RelayFailure] = []


def _relay(ctx: ServiceContext, message: OutboxMessage, report: _Tally, max_attempts: int) -> bool:
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
        _record_failure(ctx, message, error, report, max_attempts)
        return False
    report.sent.append(message.message_id)
    with write_unit(ctx) as locked:
        locked.uow.outbox.mark_sent(message.message_id, locked.now)
        locked.uow.commit()
    # Return papers queue the shopper's mail with them.
    return isinstance(intent, ReturnDocumentsJob)


def _record_failure(
    ctx: ServiceContext,
    message: OutboxMessage,
    error: Exception,
    report: _Tally,
    max_attempts: int,
) -> None:
    """Mark ``message`` failed, with its retry time, or dead; add it to the report."""
    permanent = isinstance(error, (_Undeliverable, MailRejectedError))
    if isinstance(error, _Undeliverable):
        error = error.cause
    reason = failure_reason(error, message.intent)
    dead = permanent or message.attempts + 1 >= max_attempts
    kind = intent_kind(message.intent)
    report.failures.append(RelayFailure(message.message_id, kind, reason, dead=dead))
    with write_unit(ctx) as locked:
        if dead:
            locked.uow.outbox.mark_dead(message.message_id, reason, locked.now)
        else:
            retry_at = locked.now + retry_delay(message.attempts + 1)
            locked.uow.outbox.mark_failed(message.message_id, reason, retry_at)
        locked.uow.commit()


def watch_outbox(
    ctx: ServiceContext,
    stop: StopSignal,
    *,
    limit: int = 100,
    idle_first: float = 0.5,
    idle_max: float = 30.0,
) -> RelayReport:
    """Relay batch after batch until ``stop`` is set, then answer the totals: the worker
    behind ``orderstatus relay --watch``.

    A batch that did something is followed at once by the next; when nothing was due the
    worker waits ``idle_first`` seconds, doubling up to ``idle_max`` while the outbox
    stays idle, and ``stop.wait`` is the wait, so a stop ends it at once. Setting ``stop``
    ends the work after the message in hand (see :func:`relay_outbox`). Each batch that
    did something is one line on the ``orderstatus.relay`` logger (INFO), each failure one
    more (WARNING, with the reason that hides secrets and addresses). A storage failure
    (the database restarting) is logged (ERROR) and waited out like an idle outbox,
    since a worker that exits on it only adds a restart to the outage. Bad arguments
    raise :class:`~orderstatus_core.errors.InvalidFieldError`.
    """
    _check_stop(stop)
    if not isinstance(idle_first, int | float) or not 0 < idle_first <= 3600:
        raise InvalidFieldError("idle_first", "must be a number of seconds, more than 0")
    if not isinstance(idle_max, int | float) or not idle_first <= idle_max <= 3600:
        raise InvalidFieldError("idle_max", "must be seconds from idle_first to 3600")
    sent = failed = dead = batches = 0
    pause = float(idle_first)
    while not stop.is_set():
        try:
            report = relay_outbox(ctx, limit, stop)
        except AdapterError as error:
            logger.error("relay: batch failed, retrying in %.1f s: %s", pause, error)
            report = None
        if report is not None and (report.sent or report.failed):
            batches += 1
            sent, failed, dead = sent + report.sent, failed + report.failed, dead + report.dead
            _log_batch(batches, report)
            pause = float(idle_first)
            continue
        stop.wait(pause)
        pause = min(pause * 2, float(idle_max))
    return RelayReport(sent=sent, failed=failed, dead=dead)


def _log_batch(number: int, report: RelayReport) -> None:
    for failure in report.failures:
        what = "dead letter" if failure.dead else "will retry"
        logger.warning(
            "relay: %r (%s) failed, %s: %s",
            failure.message_id,
            failure.kind,
            what,
            failure.reason,
        )
    logger.info(
        "relay: batch %d: %d sent, %d to retry, %d dead",
        number,
        report.sent,
        report.failed - report.dead,
        report.dead,
    )
