"""The bundled mailbox adapter passes the mailer conformance suite."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default
from pathlib import Path

import pytest

import support.mailbox_relay_worker as mailbox_relay_worker
from orderstatus_core import (
    MailDeliveryError,
    OrderListMail,
    OrderStatus,
    OutboxMessage,
    OutgoingMail,
    parse_email,
)
from orderstatus_core.testing import FixedClock, RecordingMailer
from orderstatus_core.testing.contract import Delivered, MailerContract
from orderstatus_core.testing.contracts import delivered_mail
from orderstatus_core.testing.contracts._support import examples
from orderstatus_mailbox import MailboxMailer
from orderstatus_mailbox.mailer import STALE_AFTER_SECONDS, WRITING_FOLDER


def _read(path: Path) -> EmailMessage:
    with path.open("rb") as file:
        message = BytesParser(policy=default).parse(file)
    assert isinstance(message, EmailMessage)
    return message


class TestMailboxMailer(MailerContract):
    """``mailbox://`` mail keeps every mailer contract."""

    @pytest.fixture
    def mailer(self, tmp_path: Path) -> MailboxMailer:
        """A mailer writing into a fresh folder."""
        return MailboxMailer(tmp_path / "mail")

    @pytest.fixture
    def delivered(self, mailer: MailboxMailer) -> Delivered:
        """The ``.eml`` files of the folder, read back with the standard parser."""

        def read_back() -> list[OutgoingMail]:
            paths = sorted(mailer.folder.glob("*.eml")) if mailer.folder.exists() else []
            return [delivered_mail(path.read_bytes()) for path in paths]

        return read_back


def test_an_international_recipient_is_written_as_the_address_itself(tmp_path: Path) -> None:
    """The raw ``To`` header of an RFC 6531 address holds the address, not encoded words."""
    mailer = MailboxMailer(tmp_path)
    mailer.send(OutgoingMail("fi-1", "jörg@bücher.de", "Hei", "Hei\n"))
    assert "To: jörg@bücher.de".encode() in mailer.path_of("fi-1").read_bytes()


# --- a relay killed mid-write ---------------------------------------------------------------

_WORKER = Path(mailbox_relay_worker.__file__)
_KILLS = examples(12)  # a third as many under ci-quick, as a property test's examples
_MESSAGES = 60


def _queue_order_lists(storage_url: str, count: int) -> list[str]:
    ids = [f"m{index:03}" for index in range(count)]
    with OrderStatus.open(storage=storage_url, mail=RecordingMailer()) as desk:
        desk.migrate()
        with desk.context.storage.unit_of_work(write=True) as uow:
            for message_id in ids:
                intent = OrderListMail(
                    to=parse_email("jane@example.com"), order_numbers=("123456789",)
                )
                uow.outbox.put(OutboxMessage(message_id, FixedClock.START, intent))
            uow.commit()
    return ids


def _kill_while_relaying(storage_url: str, folder: Path, seed: int) -> None:
    worker = subprocess.Popen(
        [sys.executable, str(_WORKER), storage_url, str(folder), str(seed)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert worker.stdout is not None
    assert worker.stdout.readline() == "ready\n"
    time.sleep(random.Random(seed).uniform(0.0, 0.3))
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=30)
    worker.stdout.close()


def _mail_ids(folder: Path) -> dict[str, str]:
    """File stem to the Message-ID inside, for every file a reader sees as mail."""
    return {path.stem: str(_read(path)["Message-ID"]) for path in folder.glob("*.eml")}


@pytest.mark.slow
def test_a_relay_killed_while_writing_leaves_nothing_but_whole_mail(tmp_path: Path) -> None:
    """A relay SIGKILLed at random moments while it writes mail leaves only whole ``.eml``
    files beside the mail; the next send after the stale bound sweeps what the killed writes
    left aside, and every message arrives at least once under its own Message-ID."""
    folder = tmp_path / "mail"
    storage_url = f"sqlite:///{(tmp_path / 'orders.db').as_posix()}"
    ids = _queue_order_lists(storage_url, _MESSAGES)
    for seed in range(_KILLS):
        _kill_while_relaying(storage_url, folder, seed)
        if folder.exists():
            visible = {p.name for p in folder.iterdir()} - {WRITING_FOLDER}
            assert visible == {f"{stem}.eml" for stem in _mail_ids(folder)}
            assert all(mid == f"<{stem}@localhost>" for stem, mid in _mail_ids(folder).items())
    leftovers = list((folder / WRITING_FOLDER).iterdir())
    stale = time.time() - STALE_AFTER_SECONDS - 60
    for path in leftovers:
        os.utime(path, (stale, stale))
    # The next relay, after the killed relays' leases ended.
    later = FixedClock(datetime.now(UTC) + timedelta(hours=1))
    with OrderStatus.open(storage=storage_url, mail=MailboxMailer(folder), clock=later) as desk:
        while desk.relay_outbox().sent:
            pass
    assert list((folder / WRITING_FOLDER).iterdir()) == []
    assert _mail_ids(folder) == {i: f"<{i}@localhost>" for i in ids}


def test_a_young_file_in_the_writing_folder_is_left_alone(tmp_path: Path) -> None:
    """A file younger than the stale bound may be another relay's mail in flight: kept."""
    mailer = MailboxMailer(tmp_path)
    (tmp_path / WRITING_FOLDER).mkdir()
    in_flight = tmp_path / WRITING_FOLDER / "other.abc.tmp"
    in_flight.write_bytes(b"half a mail")
    mailer.send(OutgoingMail("m1", "jane@example.com", "Hi", "Hi\n"))
    assert in_flight.exists()


def test_what_older_versions_left_beside_the_mail_is_swept_once_stale(tmp_path: Path) -> None:
    """Empty ``tmpXXXXXXXX.tmp`` files that a killed older version left in the folder go at
    the first send once stale; a young one and other files stay."""
    stale = time.time() - STALE_AFTER_SECONDS - 60
    old, young, other = (tmp_path / n for n in ("tmpab12cd34.tmp", "tmpzz99yy88.tmp", "a.tmp"))
    for path in (old, young, other):
        path.write_bytes(b"")
    os.utime(old, (stale, stale))
    os.utime(other, (stale, stale))
    MailboxMailer(tmp_path).send(OutgoingMail("m1", "jane@example.com", "Hi", "Hi\n"))
    assert (old.exists(), young.exists(), other.exists()) == (False, True, True)


def test_a_failed_write_leaves_no_file_aside(tmp_path: Path) -> None:
    """When renaming into place fails, the half-written file is removed, and the failure is a
    :class:`MailDeliveryError`."""
    mailer = MailboxMailer(tmp_path)
    mailer.path_of("m1").mkdir()  # a folder where the mail should go: the rename fails
    with pytest.raises(MailDeliveryError):
        mailer.send(OutgoingMail("m1", "jane@example.com", "Hi", "Hi\n"))
    assert list((tmp_path / WRITING_FOLDER).iterdir()) == []
