"""Order Look-Up: the 10 latest order numbers, mailed to the stored address only."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orderstatus_core import AdapterError, OrderListRequested, TryLater
from orderstatus_core.services import ServiceContext, relay_outbox, send_order_list
from orderstatus_core.testing import FailingMailer, FixedClock, RecordingMailer, fake_context
from orderstatus_core.testing.builders import PLACED_AT, make_order


def _store(ctx: ServiceContext, count: int, email: str = "Jane.Doe@example.com") -> None:
    with ctx.storage.unit_of_work(write=True) as uow:
        for index in range(count):
            uow.orders.add(
                make_order(
                    number=f"{100000000 + index}",
                    email=email,
                    placed_at=PLACED_AT - timedelta(days=count - index),
                )
            )
        uow.commit()


def _pending(ctx: ServiceContext) -> int:
    with ctx.storage.unit_of_work() as uow:
        return uow.outbox.pending_count()


def test_the_ten_newest_numbers_are_mailed_newest_first() -> None:
    """Twelve orders: the mail lists the ten newest, newest first."""
    ctx = fake_context()
    _store(ctx, 12)
    assert send_order_list(ctx, "jane.doe@example.com", client="c") == OrderListRequested()
    assert relay_outbox(ctx).sent == 1
    assert isinstance(ctx.mailer, RecordingMailer)
    (mail,) = ctx.mailer.sent
    numbers = [row.strip() for row in mail.text.splitlines() if row.strip().isdigit()]
    assert numbers == [f"{100000000 + index}" for index in range(11, 1, -1)]


def test_the_mail_goes_to_the_stored_address_not_the_typed_text() -> None:
    """Typed ``JANE.DOE@EXAMPLE.COM``: the mail goes to ``Jane.Doe@example.com`` (A4)."""
    ctx = fake_context()
    _store(ctx, 1)
    send_order_list(ctx, "  JANE.DOE@EXAMPLE.COM ", client="c")
    relay_outbox(ctx)
    assert isinstance(ctx.mailer, RecordingMailer)
    assert [mail.to for mail in ctx.mailer.sent] == ["Jane.Doe@example.com"]


@pytest.mark.parametrize(
    "typed",
    [
        "nobody@example.com",
        "not an email",
        "",
        "jane.doe@example.com\r\nBcc: victim@example.org",
        "jаne.doe@example.com",  # Cyrillic а
    ],
)
def test_no_order_means_the_same_answer_and_no_mail(typed: str) -> None:
    """Unknown, malformed or hostile text: the same answer, no mail (A1, H1)."""
    ctx = fake_context()
    _store(ctx, 1)
    assert send_order_list(ctx, typed, client="c") == OrderListRequested()
    assert relay_outbox(ctx).sent == 0
    assert _pending(ctx) == 0


def test_a_dotless_i_never_reaches_the_dotted_address() -> None:
    """``mıke@`` does not get ``mike@``'s order list (Django CVE-2019-19844)."""
    ctx = fake_context()
    _store(ctx, 1, email="mike@example.com")
    send_order_list(ctx, "mıke@example.com", client="c")
    assert relay_outbox(ctx).sent == 0
    assert _pending(ctx) == 0


def test_mails_per_email_are_limited() -> None:
    """The fourth request for one address in an hour is refused, whoever asks."""
    ctx = fake_context()
    _store(ctx, 1)
    for client in ("a", "b", "c"):
        assert send_order_list(ctx, "jane.doe@example.com", client=client) == OrderListRequested()
    refused = send_order_list(ctx, "JANE.DOE@example.com", client="d")
    assert isinstance(refused, TryLater)
    assert _pending(ctx) == 3


def test_a_failing_mail_server_changes_no_answer_and_keeps_the_mail() -> None:
    """The mail waits in the outbox and is retried later (SECURITY A3)."""
    failing = FailingMailer()
    ctx = fake_context(mailer=failing)
    _store(ctx, 1)
    assert send_order_list(ctx, "jane.doe@example.com", client="c") == OrderListRequested()
    report = relay_outbox(ctx)
    assert (report.sent, report.failed, failing.calls) == (0, 1, 1)
    assert _pending(ctx) == 1
    # Not due again at once: the relay backs off.
    assert relay_outbox(ctx).failed == 0


def test_a_pending_mail_is_delivered_once_the_server_is_back() -> None:
    """After the back-off, a working mailer delivers the same message id once."""
    failing = FailingMailer()
    ctx = fake_context(mailer=failing)
    _store(ctx, 1)
    send_order_list(ctx, "jane.doe@example.com", client="c")
    relay_outbox(ctx)
    recording = RecordingMailer()
    clock = ctx.clock
    assert isinstance(clock, FixedClock)
    clock.advance(timedelta(minutes=1))
    working = fake_context(ctx.storage, mailer=recording, clock=clock)
    assert relay_outbox(working).sent == 1
    assert relay_outbox(working).sent == 0
    assert [mail.message_id for mail in recording.sent] == [failing.attempted[0].message_id]


def test_mail_is_written_in_the_policy_language() -> None:
    """The Finnish template is used when the store's policy says ``fi``."""
    import attrs

    from orderstatus_core import LookupPolicy

    ctx = fake_context(policy=attrs.evolve(LookupPolicy(), mail_language="fi"))
    _store(ctx, 1)
    send_order_list(ctx, "jane.doe@example.com", client="c")
    relay_outbox(ctx)
    assert isinstance(ctx.mailer, RecordingMailer)
    assert ctx.mailer.sent[0].subject == "Viimeisimmät tilausnumerosi"


class _FailingOutboxStorage:
    """Reads work; writing the outbox fails, as a full disk would."""

    def __init__(self, ctx: ServiceContext) -> None:
        self.inner = ctx.storage
        self.url = "failing://"

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> object:
        unit = self.inner.unit_of_work(write=write, read_once=read_once)

        class _Outbox:
            def put(self, _message: object) -> None:
                raise AdapterError("disk full")

        class _Unit:
            def __enter__(self) -> object:
                entered = unit.__enter__()
                self.orders = entered.orders
                self.outbox = _Outbox()
                return self

            def __exit__(self, *exc: object) -> None:
                unit.__exit__(*exc)  # type: ignore[arg-type]

            def commit(self) -> None:
                unit.commit()

        return _Unit()

    def migrate(self) -> int:
        return 1

    def close(self) -> None:
        pass


def test_a_storage_failure_is_raised_and_queues_nothing() -> None:
    """If the outbox cannot be written the command fails whole (SECURITY G1)."""
    ctx = fake_context()
    _store(ctx, 1)
    failing = fake_context(_FailingOutboxStorage(ctx))  # type: ignore[arg-type]
    with pytest.raises(AdapterError):
        send_order_list(failing, "jane.doe@example.com", client="c")
    assert _pending(ctx) == 0
