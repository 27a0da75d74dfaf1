"""SECURITY H1/H3 and A4: hostile text never reaches a header, a query or a stranger."""

from __future__ import annotations

import email
import email.policy
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderstatus_core import MailDeliveryError, OrderListRequested, OutgoingMail
from orderstatus_core.services import relay_outbox, send_order_list
from orderstatus_core.testing import fake_context, queued_mail
from orderstatus_core.testing.builders import make_order
from orderstatus_core.testing.strategies import hostile_text
from orderstatus_mailbox import MailboxMailer


@given(typed=hostile_text())
def test_hostile_order_look_up_text_queues_no_mail(typed: str) -> None:
    """CR/LF, NUL, SQL and confusables in the email field never lead to a mail."""
    ctx = fake_context()
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order())
        uow.commit()
    assert send_order_list(ctx, typed, client="c") == OrderListRequested()
    mailed = len(queued_mail(ctx))
    assert mailed == (1 if typed.strip().lower() == "jane.doe@example.com" else 0)


@pytest.mark.parametrize(
    "to", ["jane@example.com\r\nBcc: x@evil.example", "jane@example.com\nX: y", "a\x00@b.c"]
)
def test_the_mailbox_adapter_refuses_header_injection(tmp_path: Path, to: str) -> None:
    """``compose_message`` refuses CR/LF and NUL in headers before a file exists (H1)."""
    mailer = MailboxMailer(tmp_path)
    with pytest.raises(MailDeliveryError):
        mailer.send(OutgoingMail(message_id="m1", to=to, subject="s", text="t"))
    assert list(tmp_path.iterdir()) == []


@settings(max_examples=25)
@given(body=st.text(max_size=2000))
def test_any_body_text_survives_the_mailbox_round_trip(
    tmp_path_factory: pytest.TempPathFactory, body: str
) -> None:
    """Whatever the body says, the file parses back to one message with that body."""
    folder = tmp_path_factory.mktemp("mail")
    mailer = MailboxMailer(folder)
    clean = body.replace("\r", "")
    mailer.send(OutgoingMail(message_id="m1", to="jane@example.com", subject="s", text=clean))
    parsed = email.message_from_bytes((folder / "m1.eml").read_bytes(), policy=email.policy.default)
    assert parsed["To"] == "jane@example.com"
    content = parsed.get_content()  # type: ignore[attr-defined]
    # The file uses CRLF line ends (RFC 5322) and always ends the body with one.
    assert content.replace("\r\n", "\n").rstrip("\n") == clean.rstrip("\n")


def test_an_unsafe_message_id_never_becomes_a_path(tmp_path: Path) -> None:
    """A message id with ``../`` cannot write outside the mail folder."""
    mailer = MailboxMailer(tmp_path / "mail")
    with pytest.raises(MailDeliveryError):
        mailer.send(OutgoingMail(message_id="../../etc/x", to="a@b.c", subject="s", text="t"))


def test_a_relay_through_the_mailbox_writes_one_file_per_message(tmp_path: Path) -> None:
    """Delivered twice (at-least-once), a message is still one file (G4)."""
    mailer = MailboxMailer(tmp_path)
    ctx = fake_context(mailer=mailer)
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order())
        uow.commit()
    send_order_list(ctx, "jane.doe@example.com", client="c")
    relay_outbox(ctx)
    (path,) = tmp_path.glob("*.eml")
    mailer.send(
        OutgoingMail(message_id=path.stem, to="Jane.Doe@example.com", subject="s", text="again")
    )
    assert len(list(tmp_path.glob("*.eml"))) == 1
