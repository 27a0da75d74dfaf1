"""Dead letters: a message that fails for good, or too often, stops being tried until staff
retry or drop it; its error hides secrets and addresses, and a retry sends the same mail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import jinja2
import pytest

from orderstatus_core import (
    AdapterError,
    GuestPassMail,
    InvalidFieldError,
    MailDeliveryError,
    MailRejectedError,
    MailTemplates,
    OrderListMail,
    OutboxMessage,
    OutgoingMail,
    RelayPolicy,
    ReplacementDue,
    ReturnDocumentsJob,
    hookimpl,
    parse_email,
)
from orderstatus_core.services import (
    ServiceContext,
    drop_message,
    list_outbox,
    relay_outbox,
    retry_message,
)
from orderstatus_core.testing import FailingMailer, FixedClock, RecordingMailer, fake_context

T0 = FixedClock.START
CODE = "042917"
LINK = "https://shop.example/order-status/pass?token=Selector.Validator"


class _Refusing:
    """A mail server that refuses every recipient for good (SMTP 550), echoing it."""

    def __init__(self) -> None:
        self.calls = 0

    def send(self, mail: OutgoingMail) -> None:
        self.calls += 1
        raise MailRejectedError(f"550 5.1.1 <{mail.to}> unknown; code {CODE} link {LINK}")

    def close(self) -> None:
        """Nothing to release."""


class _FewAttempts:
    """A store that gives up after three failed attempts, with a one-minute lease."""

    @hookimpl
    def orderstatus_relay_policy(self) -> RelayPolicy:
        return RelayPolicy(max_attempts=3, lease=timedelta(minutes=1))


def _pass_mail(message_id: str = "GP1") -> OutboxMessage:
    intent = GuestPassMail(
        to=parse_email("Jane.Doe@example.com"),
        order_number="123456789",
        code=CODE,
        link=LINK,
        expires_at=T0 + timedelta(minutes=15),
    )
    return OutboxMessage(message_id, T0, intent)


def _list_mail(message_id: str) -> OutboxMessage:
    intent = OrderListMail(to=parse_email("jane@example.com"), order_numbers=("123456789",))
    return OutboxMessage(message_id, T0, intent)


def _queue(ctx: ServiceContext, *messages: OutboxMessage) -> None:
    with ctx.storage.unit_of_work(write=True) as uow:
        for message in messages:
            uow.outbox.put(message)
        uow.commit()


def _get(ctx: ServiceContext, message_id: str) -> OutboxMessage:
    with ctx.storage.unit_of_work() as uow:
        message = uow.outbox.get(message_id)
    assert message is not None
    return message


def _clock(ctx: ServiceContext) -> FixedClock:
    assert isinstance(ctx.clock, FixedClock)
    return ctx.clock


def test_a_refused_mail_is_a_dead_letter_at_once() -> None:
    """A 5xx (:class:`MailRejectedError`) is never retried: dead after one attempt, and the
    report says so."""
    ctx = fake_context(mailer=_Refusing())
    _queue(ctx, _list_mail("M1"))
    report = relay_outbox(ctx)
    assert (report.sent, report.failed, report.dead) == (0, 1, 1)
    assert report.failures[0].dead is True
    dead = _get(ctx, "M1")
    assert (dead.attempts, dead.dead_at, dead.next_attempt_at) == (1, T0, None)
    _clock(ctx).advance(timedelta(days=30))
    assert relay_outbox(ctx).failed == 0


def test_a_dead_letters_error_hides_the_code_link_and_address() -> None:
    """The kept and reported error went through ``failure_reason``: the server's echo of
    the address, the code and the link are hidden."""
    ctx = fake_context(mailer=_Refusing())
    _queue(ctx, _pass_mail())
    (failure,) = relay_outbox(ctx).failures
    kept = _get(ctx, "GP1").last_error
    assert kept == failure.reason
    for secret in (CODE, LINK, "Jane.Doe@example.com"):
        assert secret not in kept
    assert "MailRejectedError: 550 5.1.1 <J•••@example.com>" in kept


def test_a_transient_failure_is_retried_until_the_policys_last_attempt() -> None:
    """A 4xx-like failure is retried with back-off; the ``max_attempts``-th failure makes
    it a dead letter (here 3, from a store's ``orderstatus_relay_policy``)."""
    mailer = FailingMailer("451 try later")
    ctx = fake_context(mailer=mailer, plugins=[_FewAttempts()])
    _queue(ctx, _list_mail("M1"))
    deads = []
    for _attempt in range(3):
        deads.append(relay_outbox(ctx).dead)
        _clock(ctx).advance(timedelta(hours=6))
    assert (deads, mailer.calls) == ([0, 0, 1], 3)
    assert _get(ctx, "M1").dead_at is not None
    assert relay_outbox(ctx).failed == 0


def test_the_default_gives_up_after_ten_attempts() -> None:
    """Without a store's policy, the tenth failure makes a dead letter."""
    mailer = FailingMailer()
    ctx = fake_context(mailer=mailer)
    _queue(ctx, _list_mail("M1"))
    while _get(ctx, "M1").dead_at is None:
        relay_outbox(ctx)
        _clock(ctx).advance(timedelta(hours=6))
    assert (mailer.calls, _get(ctx, "M1").attempts) == (10, 10)


class _BrokenTemplate:
    """A store whose order-list template compiles but cannot make a mail (no subject)."""

    @hookimpl
    def orderstatus_mail_templates(self) -> MailTemplates:
        broken = "Your orders: {{ order_numbers | join(', ') }}"
        return MailTemplates(templates=jinja2.DictLoader({"mail/order_list.txt": broken}))


def test_a_mail_that_cannot_be_rendered_is_a_dead_letter() -> None:
    """A renderer's error would repeat on every attempt: dead at once, nothing sent."""
    ctx = fake_context(plugins=[_BrokenTemplate()])
    _queue(ctx, _list_mail("M1"))
    report = relay_outbox(ctx)
    assert report.dead == 1
    assert report.failures[0].reason == (
        "MailTemplateError: mail/order_list.txt: has no subject block"
    )
    assert isinstance(ctx.mailer, RecordingMailer)
    assert ctx.mailer.sent == []


def test_return_papers_with_invalid_input_are_a_dead_letter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A label maker refusing the job's input (a ``ValidationError``) is dead at once; a
    label maker that is down (an ``AdapterError``) is retried."""
    job = OutboxMessage("J1", T0, ReturnDocumentsJob("123456789", "R1", "R123456789-1", True))
    answers: list[Exception] = [InvalidFieldError("ship_to.postal_code", "too long")]

    def make_papers(ctx: ServiceContext, job: ReturnDocumentsJob) -> None:
        raise answers[0]

    monkeypatch.setattr("orderstatus_core.services.relay.make_return_papers", make_papers)
    ctx = fake_context()
    _queue(ctx, job)
    assert relay_outbox(ctx).dead == 1
    answers[0] = AdapterError("carrier down")
    _queue(ctx, attrs.evolve(job, message_id="J2"))
    assert relay_outbox(ctx).dead == 0
    assert _get(ctx, "J2").attempts == 1


def test_an_event_without_subscribers_is_retried_not_dead() -> None:
    """A refund waiting for a payment plugin is a transient failure until the last attempt."""
    ctx = fake_context()
    event = ReplacementDue("123456789", "R123456789-1", ((1, 1),))
    _queue(ctx, OutboxMessage("E1", T0, event))
    report = relay_outbox(ctx)
    assert (report.failed, report.dead) == (1, 0)


def test_a_retried_dead_guest_pass_mail_is_the_same_mail() -> None:
    """A dead letter keeps its code and link: retried once the server takes it, the same
    mail (same message id, code and link) goes out, and then the secrets are gone."""
    refusing = _Refusing()
    ctx = fake_context(mailer=refusing)
    _queue(ctx, _pass_mail())
    relay_outbox(ctx)
    recording = RecordingMailer()
    ctx = attrs.evolve(ctx, mailer=recording)
    assert retry_message(ctx, "GP1") is True
    assert relay_outbox(ctx).sent == 1
    (mail,) = recording.sent
    assert (mail.message_id, CODE in mail.text) == ("GP1", True)
    sent = _get(ctx, "GP1")
    assert isinstance(sent.intent, GuestPassMail)
    assert (sent.intent.code, sent.intent.link, sent.dead_at) == ("", "", None)


def test_the_listing_masks_recipients_and_never_shows_a_code() -> None:
    """Pending and dead entries carry a masked recipient and the hidden error; the counts
    and the order are the storage's."""
    ctx = fake_context(mailer=_Refusing())
    _queue(ctx, _pass_mail())
    relay_outbox(ctx)
    _queue(ctx, _list_mail("M2"))
    listing = list_outbox(ctx)
    assert [e.message_id for e in listing.pending] == ["M2"]
    assert listing.pending_count == 1
    (dead,) = listing.dead
    assert (dead.kind, dead.recipient, dead.attempts, dead.dead_at) == (
        "guest_pass",
        "J•••@example.com",
        1,
        T0,
    )
    assert CODE not in repr(listing)
    assert LINK not in repr(listing)


@pytest.mark.parametrize("limit", [0, -1, 10_001, True, 2.5, "10", None])
def test_the_listing_refuses_a_bad_limit(limit: Any) -> None:
    """``limit`` is a whole number from 1 to 10,000."""
    with pytest.raises(InvalidFieldError, match="limit"):
        list_outbox(fake_context(), limit)


@pytest.mark.parametrize("message_id", ["", "x" * 201, None, 42, b"M1", ["M1"]])
def test_retry_and_drop_refuse_what_is_no_message_id(message_id: Any) -> None:
    """An id is text of 1 to 200 characters; anything else is refused before storage."""
    ctx = fake_context()
    for command in (retry_message, drop_message):
        with pytest.raises(InvalidFieldError, match="message_id"):
            command(ctx, message_id)


@pytest.mark.parametrize("message_id", ["NOPE", "'; DROP TABLE outbox; --", "\u202eM1", "M1\x00"])
def test_retry_and_drop_of_unknown_ids_answer_false(message_id: str) -> None:
    """Unknown, injected or odd-unicode ids change nothing and answer ``False``."""
    ctx = fake_context()
    _queue(ctx, _list_mail("M1"))
    assert (retry_message(ctx, message_id), drop_message(ctx, message_id)) == (False, False)
    assert [e.message_id for e in list_outbox(ctx).pending] == ["M1"]


def test_retry_of_a_pending_message_answers_false_and_drop_deletes_it() -> None:
    """Only a dead letter is retried; any undelivered message can be dropped."""
    ctx = fake_context()
    _queue(ctx, _list_mail("M1"))
    assert retry_message(ctx, "M1") is False
    assert drop_message(ctx, "M1") is True
    assert list_outbox(ctx).pending == ()


class _DownStorage:
    """A storage whose database is unreachable."""

    url = "down://"

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> Any:
        raise AdapterError("database unreachable")

    def migrate(self) -> int:
        raise AdapterError("database unreachable")

    def close(self) -> None:
        """Nothing to release."""


@pytest.mark.parametrize(
    "command",
    [list_outbox, lambda c: retry_message(c, "M1"), lambda c: drop_message(c, "M1")],
)
def test_a_storage_failure_is_an_adapter_error(command: Any) -> None:
    """The storage port failing surfaces as :class:`AdapterError`, nothing swallowed."""
    ctx = attrs.evolve(fake_context(), storage=_DownStorage())
    with pytest.raises(AdapterError, match="unreachable"):
        command(ctx)


def test_a_mail_failure_marked_failed_is_not_lost_when_the_mailer_recovers() -> None:
    """A plain :class:`MailDeliveryError` keeps the message pending; it goes out later."""
    ctx = fake_context(mailer=FailingMailer())
    _queue(ctx, _list_mail("M1"))
    assert relay_outbox(ctx).dead == 0
    ctx = attrs.evolve(ctx, mailer=RecordingMailer())
    _clock(ctx).advance(timedelta(minutes=1))
    assert relay_outbox(ctx).sent_ids == ("M1",)
    assert issubclass(MailRejectedError, MailDeliveryError)


def test_the_relay_leases_for_the_policys_lease() -> None:
    """While a message is being sent it is leased until now + the policy's lease."""
    seen = []

    class Peeking(RecordingMailer):
        def send(self, mail: OutgoingMail) -> None:
            seen.append(_get(ctx, mail.message_id).next_attempt_at)
            super().send(mail)

    ctx = fake_context(mailer=Peeking(), plugins=[_FewAttempts()])
    _queue(ctx, _list_mail("M1"))
    relay_outbox(ctx)
    assert seen == [T0 + timedelta(minutes=1)]


@pytest.mark.parametrize(
    "fields",
    [
        {"max_attempts": 0},
        {"max_attempts": True},
        {"max_attempts": 1001},
        {"max_attempts": "10"},
        {"lease": timedelta(milliseconds=999)},
        {"lease": timedelta(days=2)},
        {"lease": 300},
    ],
)
def test_a_relay_policy_refuses_nonsense(fields: dict[str, Any]) -> None:
    """Attempts are 1 to 1000; a lease is 1 second to 1 day."""
    (name,) = fields
    with pytest.raises(ValueError, match=name):
        RelayPolicy(**fields)
