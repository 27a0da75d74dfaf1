"""Delivered mail keeps no secret, failures say why without one, and the purge deletes only
what the retention policy lets go (SECURITY D5, G4, A3)."""

from __future__ import annotations

from datetime import timedelta

import attrs
import pytest

from orderstatus_core import (
    AdapterError,
    GuestPassMail,
    IdempotentReply,
    InvalidFieldError,
    OrderListMail,
    OrderStatus,
    OutboxMessage,
    OutgoingMail,
    PurgeReport,
    RelayFailure,
    RetentionPolicy,
    ServiceContext,
    hookimpl,
    parse_email,
)
from orderstatus_core.model.guest_pass import GuestPass, PassChallenge
from orderstatus_core.policies.retention import REPLY_LIFETIME
from orderstatus_core.services import purge, relay_outbox, request_guest_pass
from orderstatus_core.testing import FixedClock, fake_context, queued_mail
from orderstatus_core.testing.builders import make_order
from orderstatus_memory import storage as memory_storage

JANE = "Jane.Doe@example.com"
MICRO = timedelta(microseconds=1)


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


@pytest.fixture
def ctx(clock: FixedClock) -> ServiceContext:
    """Jane's order 123456789 in a fresh memory store."""
    context = fake_context(clock=clock)
    with context.storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order())
        uow.commit()
    return context


def _stored(ctx: ServiceContext, message_id: str) -> OutboxMessage | None:
    with ctx.storage.unit_of_work() as uow:
        return uow.outbox.get(message_id)


def _queued_pass_mail(ctx: ServiceContext) -> OutboxMessage:
    request_guest_pass(ctx, JANE, "123456789", client="c")
    queued_mail(ctx)  # the request decided, as the relay decides it: its mail is queued
    with ctx.storage.unit_of_work() as uow:
        (message,) = uow.outbox.due(ctx.clock.now(), 10)
    assert isinstance(message.intent, GuestPassMail)
    return message


# --- delivery drops the secrets ------------------------------------------------------------


def test_a_relayed_guest_pass_mail_leaves_no_code_or_link_in_the_outbox(
    ctx: ServiceContext,
) -> None:
    """The code and link reach the shopper; the outbox row keeps only the audit."""
    queued = _queued_pass_mail(ctx)
    assert isinstance(queued.intent, GuestPassMail)
    relay_outbox(ctx)
    (mail,) = ctx.mailer.sent  # type: ignore[attr-defined]
    assert queued.intent.code in mail.text
    sent = _stored(ctx, queued.message_id)
    assert sent is not None
    assert isinstance(sent.intent, GuestPassMail)
    assert (sent.intent.code, sent.intent.link) == ("", "")
    assert (sent.intent.to, sent.intent.order_number, sent.sent_at) == (
        queued.intent.to,
        "123456789",
        ctx.clock.now(),
    )


class EchoingMailer:
    """A mail server whose refusal quotes the whole mail, as some SMTP servers do."""

    def send(self, mail: OutgoingMail) -> None:
        raise AdapterError(f"550 refused for <{mail.to}> ({mail.to.upper()}): {mail.text}")


def test_a_failure_reason_hides_the_secrets_and_the_address(ctx: ServiceContext) -> None:
    """The reason in the report and the error kept in the outbox carry neither the code,
    nor the link, nor the recipient's address; it names the kind and the message."""
    queued = _queued_pass_mail(ctx)
    assert isinstance(queued.intent, GuestPassMail)
    report = relay_outbox(attrs.evolve(ctx, mailer=EchoingMailer()))
    (failure,) = report.failures
    assert (failure.message_id, failure.kind) == (queued.message_id, "guest_pass")
    kept = _stored(ctx, queued.message_id)
    assert kept is not None
    assert kept.last_error == failure.reason
    for secret in (queued.intent.code, queued.intent.link, JANE):
        assert secret.casefold() not in failure.reason.casefold()
    assert failure.reason.startswith("AdapterError: 550 refused for <J•••@example.com>")
    assert "[secret]" in failure.reason


def test_a_failure_reason_is_one_bounded_line(ctx: ServiceContext) -> None:
    """However long or many-lined the error, the reason is one line of at most 500."""

    class Chatty:
        def send(self, mail: OutgoingMail) -> None:
            raise AdapterError("line\n" * 400)

    _queued_pass_mail(ctx)
    (failure,) = relay_outbox(attrs.evolve(ctx, mailer=Chatty())).failures
    assert len(failure.reason) == 500
    assert "\n" not in failure.reason
    assert failure == RelayFailure(failure.message_id, "guest_pass", failure.reason)


# --- purge at the boundaries, with a fake clock ----------------------------------------------


def _sent_at(ctx: ServiceContext, message_id: str, at: timedelta) -> None:
    intent = OrderListMail(to=parse_email(JANE), order_numbers=("123456789",))
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.outbox.put(OutboxMessage(message_id, ctx.clock.now() + at, intent))
        uow.outbox.mark_sent(message_id, ctx.clock.now() + at)
        uow.commit()


def test_a_sent_message_is_kept_exactly_as_long_as_the_policy_says(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    """Sent 30 days before the purge: kept; 30 days and a microsecond: deleted."""
    _sent_at(ctx, "M1", timedelta(0))
    clock.advance(RetentionPolicy().sent_messages)
    assert purge(ctx).sent_messages == 0
    clock.advance(MICRO)
    assert purge(ctx) == PurgeReport(1, 0, 0, 0)
    assert _stored(ctx, "M1") is None


def test_a_pending_message_is_never_purged(ctx: ServiceContext, clock: FixedClock) -> None:
    """A message that was never delivered stays, ten years on (only the decided request
    that queued it goes)."""
    queued = _queued_pass_mail(ctx)
    clock.advance(timedelta(days=3650))
    assert purge(ctx).sent_messages == 1
    with ctx.storage.unit_of_work() as uow:
        assert uow.outbox.pending_count() == 1
        assert uow.outbox.get(queued.message_id) == queued


def test_a_challenge_and_a_pass_go_a_day_after_they_expire(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    """Kept while live and for a day after; deleted a microsecond later."""
    now = clock.now()
    challenge = PassChallenge.issue("C" * 22, "123456789", "123456", "V" * 43, now, MICRO, tries=3)
    guest_pass = GuestPass.issue("P" * 22, "W" * 43, "123456789", now, MICRO)
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.passes.put_challenge(challenge)
        uow.passes.put_pass(guest_pass)
        uow.commit()
    clock.advance(MICRO + RetentionPolicy().expired_passes)
    assert purge(ctx) == PurgeReport(0, 0, 0, 0)
    clock.advance(MICRO)
    assert purge(ctx) == PurgeReport(0, 1, 1, 0)


class NoGrace:
    """A store that purges expired passes at once."""

    @hookimpl
    def orderstatus_retention_policy(self) -> RetentionPolicy:
        return RetentionPolicy(expired_passes=timedelta(0))


def test_a_live_pass_is_never_purged_even_with_no_grace(clock: FixedClock) -> None:
    """With no retention after expiry, a pass at its last valid instant stays."""
    ctx = fake_context(clock=clock, plugins=[NoGrace()])
    guest_pass = GuestPass.issue("P" * 22, "W" * 43, "123456789", clock.now(), timedelta(1))
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.passes.put_pass(guest_pass)
        uow.commit()
    clock.set(guest_pass.expires_at)
    assert purge(ctx).passes == 0
    clock.advance(MICRO)
    assert purge(ctx).passes == 1


def test_a_reply_is_kept_while_its_key_may_replay_it(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    """A reply 24 hours old stays (a retry may still replay it); a microsecond older goes."""
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.idempotency.put(IdempotentReply("k", "f" * 64, "{}", clock.now()))
        uow.commit()
    clock.advance(REPLY_LIFETIME)
    assert purge(ctx).idempotent_replies == 0
    clock.advance(MICRO)
    assert purge(ctx).idempotent_replies == 1


def test_a_purge_is_one_transaction(
    ctx: ServiceContext, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the storage fails part-way, the purge raises and deletes nothing."""
    _sent_at(ctx, "M1", timedelta(0))
    clock.advance(timedelta(days=400))

    def broken(self: object, expired_before: object) -> int:
        raise AdapterError("the database went away")

    monkeypatch.setattr(memory_storage._Passes, "purge_passes", broken)
    with pytest.raises(AdapterError):
        purge(ctx)
    assert _stored(ctx, "M1") is not None


# --- the retention policy and its hook ------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [
        {"sent_messages": timedelta(seconds=-1)},
        {"expired_passes": timedelta(days=-1)},
        {"idempotent_replies": REPLY_LIFETIME - MICRO},
        {"sent_messages": 30},
        {"expired_passes": "1 day"},
        {"idempotent_replies": None},
    ],
    ids=repr,
)
def test_a_policy_that_would_purge_too_soon_is_refused(fields: dict[str, object]) -> None:
    """Negative periods, a reply period under 24 hours and non-timedeltas are refused."""
    with pytest.raises(ValueError, match="must be a timedelta"):
        RetentionPolicy(**fields)  # type: ignore[arg-type]


class WeekOfAudit:
    """A store that keeps delivered mail for a week only."""

    @hookimpl
    def orderstatus_retention_policy(self) -> RetentionPolicy:
        return RetentionPolicy(sent_messages=timedelta(days=7))


class Confused:
    """A plugin answering the wrong type."""

    @hookimpl
    def orderstatus_retention_policy(self) -> object:
        return {"sent_messages": 7}


def test_the_retention_hook_sets_the_policy_and_defaults_otherwise() -> None:
    """A store plugin's policy is in force; without one, the documented defaults."""
    with OrderStatus.open(
        storage="memory://", mail="mailbox:///mail", plugins=[WeekOfAudit()]
    ) as desk:
        assert desk.context.policies.retention_policy().sent_messages == timedelta(days=7)
    with OrderStatus.open(storage="memory://", mail="mailbox:///mail") as desk:
        assert desk.context.policies.retention_policy() == RetentionPolicy()


def test_a_retention_hook_answering_nonsense_is_refused() -> None:
    """Anything but a ``RetentionPolicy`` fails at open, naming the hook."""
    with pytest.raises(InvalidFieldError, match="orderstatus_retention_policy"):
        OrderStatus.open(storage="memory://", mail="mailbox:///mail", plugins=[Confused()])


def test_the_facade_purges_with_the_store_policy(clock: FixedClock) -> None:
    """``OrderStatus.purge`` uses the plugin's week: mail sent eight days ago goes."""
    desk = OrderStatus.open(
        storage="memory://", mail="mailbox:///mail", clock=clock, plugins=[WeekOfAudit()]
    )
    with desk:
        _sent_at(desk.context, "M1", -timedelta(days=8))
        _sent_at(desk.context, "M2", -timedelta(days=6))
        assert desk.purge() == PurgeReport(1, 0, 0, 0)
