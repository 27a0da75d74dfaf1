"""Mails per second to a local SMTP server: the relay worker and the SMTP adapter against a
raw smtplib loop that only speaks SMTP.

    python bench/smtp.py [--mails 2000] [--chunk 100] [--tls]

Three senders deliver to one aiosmtpd server on 127.0.0.1, each over one connection kept
open for the whole run, interleaved chunk by chunk so that all see the same machine:

* **worker**: what ``orderstatus relay`` does. Each chunk of Order Look-Up mails is queued
  in a SQLite outbox (not timed), then ``relay_outbox(limit=chunk)`` is timed: one claim
  transaction, and per mail the templates (text and HTML), ``compose_message``, the SMTP
  adapter and the transaction marking it sent. A mail's time is from the end of the one
  before (or the start of the call) to the end of its own send; the last also carries
  the call's end (its mark);
* **adapter**: the SMTP adapter alone, given mails already rendered (it composes each);
* **raw**: ``smtplib.SMTP.sendmail`` of the same messages' bytes, built before the timing:
  nothing but the SMTP exchange (MAIL, RCPT, DATA), the floor for any sender.

Each line gives mails per second over the whole run, the p50 / p99 of the time per mail,
and the CPU time this process spent per mail (``time.process_time``): on a shared machine
the wall times also hold the waits for a core after each of the four SMTP replies (a
sender that works between replies waits longer), while the CPU time is its own work alone.
``--tls`` runs all three over STARTTLS with a trustme certificate (needs the ``test``
dependency group); the default is clear text on loopback, where the time is the client's
and the server's, not the cipher's. The server is ``tests/support/smtp_server.py``'s, the
one the adapter's tests use, in a process of its own (in the timed process it would share
the GIL with the senders). The machine's load average is printed at the start and the
end: on a shared machine, compare the ratios and the CPU times.
"""

from __future__ import annotations

import argparse
import itertools
import os
import platform
import smtplib
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from relay import queue_order_lists

from orderstatus_core import OrderStatus, OutgoingMail, compose_message
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


class TimedMailer:
    """The worker's mailer, noting when each send ends (the worker's per-mail times)."""

    def __init__(self, mailer: SmtpMailer) -> None:
        self.mailer = mailer
        self.ends: list[float] = []

    def send(self, mail: OutgoingMail) -> None:
        self.mailer.send(mail)
        self.ends.append(time.perf_counter())

    def close(self) -> None:
        self.mailer.close()


def serve(folder: str, tls: bool) -> None:
    """The server side, in its own process (a server thread in the timed process would
    share its GIL and slow the senders): print the port, count mails until stdin closes,
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


@contextmanager
def _server(folder: str, tls: bool) -> Iterator[tuple[int, subprocess.Popen[str]]]:
    command = [sys.executable, __file__, "--serve", folder] + (["--tls"] if tls else [])
    # This same script, with our own arguments: no untrusted input.
    server = subprocess.Popen(  # noqa: S603
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert server.stdin is not None
    assert server.stdout is not None
    try:
        yield int(server.stdout.readline()), server
    finally:
        if server.poll() is None:
            server.kill()


def _smtp_mailer(port: int, tls: bool, cafile: str | None) -> SmtpMailer:
    return SmtpMailer(
        "127.0.0.1", port, sender=SENDER, security="starttls" if tls else "none", cafile=cafile
    )


def _line(name: str, times: list[float], cpu: float) -> str:
    cuts = statistics.quantiles(times, n=100)
    rate = len(times) / sum(times)
    return (
        f"| {name} | {rate:,.0f} | {statistics.median(times) * 1e6:,.0f} "
        f"| {cuts[98] * 1e6:,.0f} | {cpu / len(times) * 1e6:,.0f} | {sum(times):.2f} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mails", type=int, default=2000, help="mails per sender")
    parser.add_argument("--chunk", type=int, default=100, help="mails per turn")
    parser.add_argument("--tls", action="store_true", help="STARTTLS on all three")
    parser.add_argument("--serve", metavar="FOLDER", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve, args.tls)
        return
    load_at_start = os.getloadavg()
    times: dict[str, list[float]] = {"worker": [], "adapter": [], "raw": []}
    cpu = dict.fromkeys(times, 0.0)
    with tempfile.TemporaryDirectory() as folder, _server(folder, args.tls) as (port, server):
        cafile = os.path.join(folder, "ca.pem") if args.tls else None
        adapter = _smtp_mailer(port, args.tls, cafile)
        worker_mailer = TimedMailer(_smtp_mailer(port, args.tls, cafile))
        raw = smtplib.SMTP("127.0.0.1", port, timeout=30)
        if cafile is not None:
            raw.starttls(context=ssl.create_default_context(cafile=cafile))
        raw.ehlo()
        # Each connects outside the timing, as the raw one did.
        adapter.send(_mail(999_999))
        worker_mailer.send(_mail(999_998))
        worker = OrderStatus.open(
            storage=f"sqlite:///{Path(folder, 'outbox.db').as_posix()}", mail=worker_mailer
        )
        worker.migrate()
        # The raw loop's bytes: the same messages the adapter sends, made beforehand.
        now = datetime.now(UTC)
        prebuilt = [compose_message(_mail(n), SENDER, date=now) for n in range(args.mails)]
        for start in range(0, args.mails, args.chunk):
            numbers = range(start, min(start + args.chunk, args.mails))
            queue_order_lists(worker, len(numbers), f"w{start:07d}-")
            worker_mailer.ends.clear()
            cpu_began, began = time.process_time(), time.perf_counter()
            report = worker.relay_outbox(len(numbers))
            ended = time.perf_counter()
            cpu["worker"] += time.process_time() - cpu_began
            assert report.sent == len(numbers), report
            assert not report.failed, report
            marks = [began, *worker_mailer.ends]
            per_mail = [after - before for before, after in itertools.pairwise(marks)]
            per_mail[-1] += ended - marks[-1]  # the last mark, after the last send
            times["worker"] += per_mail
            cpu_began = time.process_time()
            for number in numbers:
                began = time.perf_counter()
                adapter.send(_mail(number))
                times["adapter"].append(time.perf_counter() - began)
            cpu["adapter"] += time.process_time() - cpu_began
            cpu_began = time.process_time()
            for number in numbers:
                message = prebuilt[number]
                began = time.perf_counter()
                raw.sendmail(message.sender, [message.recipient], message.data)
                times["raw"].append(time.perf_counter() - began)
            cpu["raw"] += time.process_time() - cpu_began
        worker.close()
        adapter.close()
        raw.quit()
        assert server.stdin is not None
        assert server.stdout is not None
        server.stdin.close()
        received = int(server.stdout.readline())
        server.wait(timeout=30)
    assert received == 3 * args.mails + 2, received
    load_at_end = os.getloadavg()
    print(
        f"{platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"{'STARTTLS' if args.tls else 'clear text'}, {args.mails} mails each, "
        f"chunks of {args.chunk}, load average {load_at_start[0]:.1f} at the start, "
        f"{load_at_end[0]:.1f} at the end"
    )
    print("| sender | mails/s | p50 µs | p99 µs | CPU µs/mail | seconds |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, spent in times.items():
        print(_line(name, spent, cpu[name]))
    total = {name: sum(spent) for name, spent in times.items()}
    print(f"adapter / raw time: {total['adapter'] / total['raw']:.2f}x")
    print(f"worker / raw time: {total['worker'] / total['raw']:.2f}x")


if __name__ == "__main__":
    main()
