"""Mails per second to a local SMTP server: the relay worker and the SMTP adapter against a
raw smtplib loop.

    python bench/smtp.py [--mails 2000] [--chunk 100] [--tls]

Three senders deliver to one aiosmtpd server on 127.0.0.1, each over one connection kept
open for the whole run, interleaved chunk by chunk so that all see the same machine:

* **worker**: what ``orderstatus relay`` does. Each chunk of Order Look-Up mails is queued
  in a SQLite outbox (not timed), then ``relay_outbox(limit=chunk)`` is timed: one claim
  transaction, and per mail the templates (text and HTML), the SMTP adapter and the
  transaction marking it sent;
* **adapter**: the SMTP adapter alone, sending mails already rendered;
* **raw**: a raw smtplib loop sending the same text.
 The raw loop is what a hand-written sender does:
an ``EmailMessage`` with From, To, Subject, Date and Message-ID, then
``SMTP.send_message``. The adapter does more per mail (header checks, Auto-Submitted,
Content-Language, its own MAIL/RCPT/DATA with error mapping). ``--tls`` runs both over
STARTTLS with a trustme certificate (needs the ``test`` dependency group); the default is
clear text on loopback, where the time is the client's and the server's, not the cipher's.
The server is ``tests/support/smtp_server.py``'s, the one the adapter's tests use, run in a
process of its own.
"""

from __future__ import annotations

import argparse
import os
import platform
import smtplib
import ssl
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from relay import queue_order_lists

from orderstatus_core import OrderStatus, OutgoingMail
from orderstatus_smtp import SmtpMailer

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from support.smtp_server import ScriptedHandler, server_context, smtp_server

SENDER = "orders@shop.example"
TEXT = (
    "Hello,\n\nYou asked for the order numbers placed with this email address.\n"
    "The most recent, newest first:\n\n  123456789\n  123456790\n  123456791\n\n"
    "Enter one of them with this email address on the Order Status page to see it.\n"
)


def _mail(number: int) -> OutgoingMail:
    return OutgoingMail(f"m{number:06d}", "jane@example.com", "Your recent order numbers", TEXT)


def _raw_message(mail: OutgoingMail) -> EmailMessage:
    message = EmailMessage()
    message["From"] = SENDER
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = f"<{mail.message_id}@shop.example>"
    message.set_content(mail.text)
    return message


def serve(folder: str, tls: bool) -> None:
    """The server side, in its own process (a server thread in the timed process would
    share its GIL and slow both senders): print the port, count mails until stdin closes,
    print the count."""
    options: dict[str, object] = {}
    if tls:
        import trustme

        ca = trustme.CA()
        ca.cert_pem.write_to_path(os.path.join(folder, "ca.pem"))
        options["tls_context"] = server_context(ca.issue_cert("127.0.0.1").configure_cert)
    handler = ScriptedHandler()
    with smtp_server(handler, **options) as controller:
        print(controller.port, flush=True)
        sys.stdin.read()
    print(len(handler.received), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=2000, help="mails per sender")
    parser.add_argument("--chunk", type=int, default=100, help="mails per turn")
    parser.add_argument("--tls", action="store_true", help="STARTTLS on both")
    parser.add_argument("--serve", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.tls)
        return
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, __file__, "--serve", folder] + (["--tls"] if args.tls else [])
        # This same script, with our own arguments: no untrusted input.
        server = subprocess.Popen(  # noqa: S603
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        assert server.stdin is not None
        assert server.stdout is not None
        port = int(server.stdout.readline())
        cafile = os.path.join(folder, "ca.pem") if args.tls else None
        # The adapter alone and the worker's, each with its own kept connection.
        adapter, worker_mailer = (
            SmtpMailer(
                "127.0.0.1",
                port,
                sender=SENDER,
                security="starttls" if args.tls else "none",
                cafile=cafile,
            )
            for _ in range(2)
        )
        raw = smtplib.SMTP("127.0.0.1", port, timeout=30)
        if cafile is not None:
            raw.starttls(context=ssl.create_default_context(cafile=cafile))
        raw.ehlo()
        # Connect outside the timing, as the raw one did.
        adapter.send(_mail(999_999))
        worker_mailer.send(_mail(999_998))
        worker = OrderStatus.open(
            storage=f"sqlite:///{Path(folder, 'outbox.db').as_posix()}", mail=worker_mailer
        )
        worker.migrate()
        spent = {"worker": 0.0, "adapter": 0.0, "raw": 0.0}
        for start in range(0, args.mails, args.chunk):
            numbers = range(start, min(start + args.chunk, args.mails))
            queue_order_lists(worker, len(numbers), f"w{start:07d}-")
            began = time.perf_counter()
            report = worker.relay_outbox(len(numbers))
            spent["worker"] += time.perf_counter() - began
            assert report.sent == len(numbers), report
            assert not report.failed, report
            began = time.perf_counter()
            for number in numbers:
                adapter.send(_mail(number))
            spent["adapter"] += time.perf_counter() - began
            began = time.perf_counter()
            for number in numbers:
                raw.send_message(_raw_message(_mail(number)))
            spent["raw"] += time.perf_counter() - began
        worker.close()
        adapter.close()
        raw.quit()
        server.stdin.close()
        received = int(server.stdout.readline())
        server.wait(timeout=30)
    assert received == 3 * args.mails + 2, received
    print(
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{'STARTTLS' if args.tls else 'clear text'}, {args.mails} mails each, "
        f"chunks of {args.chunk}, load average {os.getloadavg()[0]:.1f}"
    )
    for name, seconds in spent.items():
        print(f"{name:8} {args.mails / seconds:8.0f} mails/s  ({seconds * 1000:.0f} ms)")
    print(f"adapter / raw time: {spent['adapter'] / spent['raw']:.2f}x")
    print(f"worker / raw time: {spent['worker'] / spent['raw']:.2f}x")


if __name__ == "__main__":
    main()
