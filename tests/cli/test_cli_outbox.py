"""``orderstatus outbox``: the pending messages and dead letters, retry and drop by id; and
the one-shot ``orderstatus relay`` reporting dead letters."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from orderstatus_core import (
    GuestPassMail,
    OrderListMail,
    OrderStatus,
    OutboxMessage,
    parse_email,
)
from orderstatus_core.cli import main
from orderstatus_core.testing import FixedClock, RecordingMailer

T0 = FixedClock.START
CODE = "042917"


def _queue(db_url: str, *messages: OutboxMessage, dead: tuple[str, ...] = ()) -> None:
    with OrderStatus.open(storage=db_url, mail=RecordingMailer()) as desk:
        desk.migrate()
        with desk.context.storage.unit_of_work(write=True) as uow:
            for message in messages:
                uow.outbox.put(message)
            for message_id in dead:
                uow.outbox.mark_dead(message_id, "MailRejectedError: 550 <J•••@example.com>", T0)
            uow.commit()


def _list_mail(message_id: str) -> OutboxMessage:
    intent = OrderListMail(to=parse_email("Jane.Doe@example.com"), order_numbers=("123456789",))
    return OutboxMessage(message_id, T0, intent)


def _pass_mail(message_id: str) -> OutboxMessage:
    intent = GuestPassMail(
        to=parse_email("Jane.Doe@example.com"),
        order_number="123456789",
        code=CODE,
        link="https://shop.example/pass?token=abc",
        expires_at=T0 + timedelta(minutes=15),
    )
    return OutboxMessage(message_id, T0, intent)


def test_the_listing_shows_pending_and_dead_masked(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """One line per message under its heading: id, kind, attempts, when, masked recipient,
    the last error; never a code."""
    _queue(db_url, _list_mail("m1"), _pass_mail("gp1"), dead=("gp1",))
    assert main(["outbox", "--storage", db_url]) == 0
    out = capsys.readouterr().out
    assert out.splitlines() == [
        "Pending: 1",
        "  m1  order_list  attempts 0  next now  to J•••@example.com",
        "Dead letters: 1",
        "  gp1  guest_pass  attempts 1  dead since 2026-11-01T12:00:00+00:00"
        "  to J•••@example.com  error: MailRejectedError: 550 <J•••@example.com>",
    ]
    assert CODE not in out


def test_an_empty_outbox_says_so(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Nothing queued: both headings with zero."""
    _queue(db_url)
    assert main(["outbox", "--storage", db_url]) == 0
    assert capsys.readouterr().out.splitlines() == ["Pending: 0", "Dead letters: 0"]


def test_the_limit_cuts_each_list(db_url: str, capsys: pytest.CaptureFixture[str]) -> None:
    """``--limit`` lists the oldest N of each; the pending count stays whole, and a cut
    dead list says there may be more."""
    ids = [f"m{i}" for i in range(4)]
    _queue(db_url, *(_list_mail(i) for i in ids), dead=("m2", "m3"))
    assert main(["outbox", "--storage", db_url, "--limit", "1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["Pending:", "m0", "Dead", "m2"]
    assert (lines[0], lines[2]) == ("Pending: 2", "Dead letters: 1 or more")


def test_retry_makes_a_dead_letter_pending_again(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--retry ID``: one line, exit 0, and the message is pending with no attempts."""
    _queue(db_url, _list_mail("m1"), dead=("m1",))
    assert main(["outbox", "--storage", db_url, "--retry", "m1"]) == 0
    assert capsys.readouterr().out == "m1: due again now, attempts from 0\n"
    assert main(["outbox", "--storage", db_url]) == 0
    assert "  m1  order_list  attempts 0" in capsys.readouterr().out


def test_drop_deletes_an_undelivered_message(
    db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--drop ID``: one line, exit 0; dropping it again is an error."""
    _queue(db_url, _pass_mail("gp1"), dead=("gp1",))
    assert main(["outbox", "--storage", db_url, "--drop", "gp1"]) == 0
    assert capsys.readouterr().out == "gp1: dropped\n"
    assert main(["outbox", "--storage", db_url, "--drop", "gp1"]) == 1
    assert capsys.readouterr().err == "orderstatus outbox: no undelivered message with id gp1\n"


@pytest.mark.parametrize(
    ("option", "message_id", "error"),
    [
        ("--retry", "m1", "no dead letter with id m1"),  # pending, not dead
        ("--retry", "nope", "no dead letter with id nope"),
        ("--drop", "nope", "no undelivered message with id nope"),
        ("--retry", "'; DROP TABLE outbox; --", "no dead letter with id '; DROP TABLE outbox; --"),
        ("--drop", "evil\x1b[31m\u202e", "no undelivered message with id evil\\u001b[31m\\u202e"),
        ("--retry", "x" * 201, "must be text of 1 to 200 characters @ message_id"),
        ("--drop", "", "must be text of 1 to 200 characters @ message_id"),
    ],
)
def test_an_id_that_is_not_there_is_a_one_line_error(
    db_url: str, capsys: pytest.CaptureFixture[str], option: str, message_id: str, error: str
) -> None:
    """Unknown, pending-for-retry, injected, escape-laden or overlong ids: exit 1, one
    line on stderr with control characters escaped, nothing changed."""
    _queue(db_url, _list_mail("m1"))
    assert main(["outbox", "--storage", db_url, option, message_id]) == 1
    captured = capsys.readouterr()
    assert captured.err == f"orderstatus outbox: {error}\n"
    assert main(["outbox", "--storage", db_url]) == 0
    assert "Pending: 1" in capsys.readouterr().out


@pytest.mark.parametrize(
    "arguments",
    [
        ["--retry", "a", "--drop", "b"],
        ["--limit", "0"],
        ["--limit", "many"],
        ["--retry"],
    ],
)
def test_bad_options_are_usage_errors(
    db_url: str, capsys: pytest.CaptureFixture[str], arguments: list[str]
) -> None:
    """Both actions at once, a bad limit or a missing id: exit 2."""
    assert main(["outbox", "--storage", db_url, *arguments]) == 2


def test_an_unreachable_storage_is_a_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A database that cannot be opened: exit 1, one line, no traceback."""
    folder = tmp_path / "a-folder.db"
    folder.mkdir()
    assert main(["outbox", "--storage", f"sqlite:///{folder.as_posix()}"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("orderstatus outbox: ")
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize("value", ["0.1", "0", "-1", "nan", "inf", "3601", "soon"])
def test_relay_refuses_a_bad_idle_max(db_url: str, value: str) -> None:
    """``--idle-max`` is 0.5 to 3600 seconds."""
    assert main(["relay", "--watch", "--storage", db_url, "--idle-max", value]) == 2


def test_a_one_shot_relay_reports_a_dead_letter(
    db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A mail whose recipient the mail adapter refuses for good (an unsafe id): marked
    ``[dead letter]``, counted, exit 1, and it is listed by ``orderstatus outbox``."""
    _queue(db_url, _list_mail("bad id"))
    mail = f"mailbox:///{(tmp_path / 'mail').as_posix()}"
    code = main(["relay", "--storage", db_url, "--mail", mail])
    captured = capsys.readouterr()
    assert code == 1
    assert captured.out == "Relay: 0 sent, 1 failed, 0 still pending\n"
    reason, summary = captured.err.splitlines()
    assert reason.startswith("orderstatus relay: bad id (order_list) [dead letter]: ")
    assert summary == "orderstatus relay: 1 message(s) moved to dead letters (orderstatus outbox)"
