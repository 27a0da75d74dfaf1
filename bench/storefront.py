"""The example storefront's order page (or the account's history page) under load,
beside the library call alone.

One SQLite database file with the demo cast (``orderstatus_core.sample``) and
``--background`` generated orders; the storefront (``examples/storefront``) served from it
by werkzeug's threaded server on a free port of 127.0.0.1, in a child process of its own
(so the load generator never shares the server's interpreter lock). A guest pass for
Jane's delivered order (301442518, two packages) is earned through the pages themselves
(find, ask for a code, read it from the mailed ``.eml``, type it), so each measured
request is what a shopper's reload costs: the order page with its pass cookie
(``desk.guest(...).view_order`` plus the template, the headers and HTTP).

With ``--page history``, Jane's account is made first through the library (sign-up with
a test captcha, the mailed verification link, a password; Argon2id as in production), the
web side logs in through the log-in page and each measured request is
``GET /account/activity`` with the session cookie (``desk.shopper(...).history()`` plus
the template); the library side is ``desk.shopper(client=..., session=token).history()``
with a session of its own.

With ``--page profile``, Jane's account also keeps three saved addresses (one the default)
and two vehicles, added through the library, and her six joined orders offer their
addresses; each measured request is ``GET /account/profile`` (``shopper.addresses()`` and
``shopper.garage()`` plus the template), the library side those two calls, and a third
side, **raw SQL**, runs the statements that return the same information with ``sqlite3``
(a connection per thread): the session row by its hash, the saved addresses, the newest
50 linked orders' addresses and the garage.

Two sides (three for the profile), interleaved in one run (``--rounds`` rounds of each,
alternating, each ``--seconds`` long, ``--threads`` threads):

* **web**: ``GET /order/301442518`` by an ``httpx.Client`` per thread (keep-alive);
* **library**: ``desk.guest(client=..., guest_pass=token).view_order("301442518")`` and
  reading the view's texts the page shows (lines, packages, timeline), on the same
  database file from this process, per thread.

Requests per second are completed calls over the round's wall time; p50 and p99 are over
every call of the side's rounds. Every request loop is bounded in time and goes to
127.0.0.1 only. Nothing asserts; the table is Markdown for ``bench/RESULTS.md``.

    python bench/storefront.py --threads 4 --seconds 5 --rounds 3 [--page history|profile]
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import logging
import multiprocessing
import os
import re
import socket
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from orderstatus_core import (
    Address,
    AddressBook,
    AddressSaved,
    CheckYourMail,
    EmailVerified,
    Garage,
    HistoryPage,
    LoggedIn,
    OrderFound,
    OrderStatus,
    PasswordSet,
    Vehicle,
    VehicleAdded,
)
from orderstatus_core.model.account import hash_session_id
from orderstatus_core.sample import demo_orders, demo_walkthrough_orders, generate_orders

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "examples"))

from storefront.serve import relaying, running  # noqa: E402

import storefront  # noqa: E402 - the example is not a package of ours; found above
from orderstatus_sqlite import _sql  # noqa: E402 - the adapter's own statements, raw

ORDER = "301442518"
EMAIL = "jane.doe@example.com"
PASSWORD = "brake pads for the old red wagon"  # noqa: S105 - the demo's, printed in docs
_VERIFY = re.compile(r"/verify\?token=([A-Za-z0-9_.\-]+)")
_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def _store(folder: Path) -> OrderStatus:
    return OrderStatus.open(
        storage=f"sqlite:///{(folder / 'orders.db').as_posix()}",
        mail=f"mailbox:///{(folder / 'mail').as_posix()}",
    )


def _fill_store(folder: Path, background: int) -> None:
    desk = _store(folder)
    desk.migrate()
    now = datetime.now(UTC)
    records = [*demo_orders(now), *demo_walkthrough_orders(now)]
    taken = {record["number"] for record in records}
    extra = [r for r in generate_orders(background, seed=1, until=now) if r["number"] not in taken]
    desk.import_orders(json.dumps(record) for record in [*records, *extra])
    desk.close()


def _plain(path: Path) -> str:
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    body = message.get_body(preferencelist=("plain",))
    return str(body.get_content()) if body is not None else ""  # type: ignore[attr-defined]


def _make_account(folder: Path) -> None:
    """Jane's account, verified, with :data:`PASSWORD` (her orders join it)."""
    from orderstatus_core.testing import RecordingCaptcha  # a bench, not a store

    captcha = RecordingCaptcha()
    with OrderStatus.open(
        storage=f"sqlite:///{(folder / 'orders.db').as_posix()}",
        mail=f"mailbox:///{(folder / 'mail').as_posix()}",
        captcha=captcha,
    ) as desk:
        issued = desk.new_captcha(client="10.9.9.1")
        cid = getattr(issued, "challenge_id", "")
        answer = desk.sign_up(
            EMAIL, challenge_id=cid, answer=captcha.answer_for(cid), client="10.9.9.1"
        )
        assert isinstance(answer, CheckYourMail), answer
        desk.relay_outbox()
        texts = [_plain(path) for path in (folder / "mail").glob("*.eml")]
        token = next(m[1] for text in texts for m in _VERIFY.finditer(text))
        verified = desk.verify_email(token, client="10.9.9.1")
        assert isinstance(verified, EmailVerified), verified
        done = desk.set_password(verified.token, PASSWORD, client="10.9.9.1")
        assert isinstance(done, PasswordSet), done
        for path in (folder / "mail").glob("*.eml"):
            path.unlink()  # the guest side reads the newest mail


def _fill_profile(folder: Path) -> None:
    """Jane's profile through the library: three saved addresses (the first the default)
    and two vehicles."""
    with _store(folder) as desk:
        logged = desk.log_in(EMAIL, PASSWORD, client="10.9.9.1")
        assert isinstance(logged, LoggedIn), logged
        shopper = desk.shopper(client="10.9.9.1", session=logged.token)
        for n in range(3):
            home = Address("Jane Doe", f"{n + 12} Elm Street", "Springfield", "62701", "US")
            saved = shopper.add_address(home, default=n == 0)
            assert isinstance(saved, AddressSaved), saved
        for year in (2012, 2019):
            car = Vehicle(year, "Ford", "F-150", "5.0L V8", nickname=f"Truck {year}")
            added = shopper.add_vehicle(car)
            assert isinstance(added, VehicleAdded), added


def _log_in(base: str) -> httpx.Client:
    """A client logged in as Jane through the log-in page."""
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=10)
    token = _TOKEN.search(client.get("/account/log-in").text)
    assert token is not None
    fields = {"csrf_token": token[1], "email": EMAIL, "password": PASSWORD}
    answer = client.post("/account/log-in", data=fields)
    assert answer.status_code == 303, answer.status_code
    assert client.cookies.get("account_session")
    return client


def _serve_child(folder: Path, port: int) -> None:
    """The child process: the storefront on ``port`` with the outbox relay, until killed."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per request
    with _store(folder) as desk:
        app = storefront.create_app(desk, storefront.Settings.for_demo())
        with running(app, port=port), relaying(desk, every=0.2):
            threading.Event().wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_for(base: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(base + "/", timeout=2)
            return
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _earn_pass(base: str, mail: Path) -> httpx.Client:
    """A client holding Jane's guest pass for ORDER, earned through the pages."""
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=10)

    def post(path: str, data: dict[str, str], page: str) -> httpx.Response:
        token = _TOKEN.search(client.get(page).text)
        assert token is not None
        return client.post(path, data={"csrf_token": token[1], **data})

    found = post("/find", {"identifier": EMAIL, "order_number": ORDER}, "/")
    assert found.status_code == 303, found.status_code
    asked = post(f"/order/{ORDER}/pass", {}, f"/order/{ORDER}")
    assert asked.status_code == 303, asked.status_code
    deadline = time.monotonic() + 30
    while not list(mail.glob("*.eml")):  # the server's relay writes it
        assert time.monotonic() < deadline, "no guest-pass mail in 30 s"
        time.sleep(0.1)
    newest = max(mail.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    code = re.search(r"Your code: (\d{6})", newest.read_text(encoding="utf-8"))
    assert code is not None
    granted = post(f"/order/{ORDER}/code", {"code": code[1]}, f"/order/{ORDER}/code")
    assert granted.status_code == 303, granted.status_code
    assert client.cookies.get("guest_pass")
    return client


def _round(
    threads: int, seconds: float, call: Callable[[int], None]
) -> tuple[int, float, list[float]]:
    """Run ``call(thread_index)`` in ``threads`` threads for ``seconds``: calls, wall, latencies."""
    latencies: list[list[float]] = [[] for _ in range(threads)]
    stop_at = time.perf_counter() + seconds
    barrier = threading.Barrier(threads + 1)

    def work(index: int) -> None:
        mine = latencies[index]
        barrier.wait()
        while (started := time.perf_counter()) < stop_at:
            call(index)
            mine.append(time.perf_counter() - started)

    workers = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    wall = time.perf_counter() - began
    flat = [x for mine in latencies for x in mine]
    return len(flat), wall, flat


def _p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000 if len(values) > 1 else 0.0


Rounds = dict[str, list[tuple[int, float, list[float]]]]


_PATHS = {"order": f"/order/{ORDER}", "history": "/account/activity", "profile": "/account/profile"}
#: The raw statements of the profile page: what the facade's two calls return.
_RAW_PROFILE = (_sql.SAVED_ADDRESSES, _sql.ORDER_ADDRESSES, _sql.GARAGE)
_SESSION_ROW = "SELECT account_id, expires_at, ended_at FROM account_sessions WHERE id_hash = ?"


def _measure(args: argparse.Namespace, base: str, folder: Path) -> Rounds:
    signed_in = args.page != "order"
    first = _log_in(base) if signed_in else _earn_pass(base, folder / "mail")
    token = str(first.cookies.get("guest_pass"))
    clients = [
        httpx.Client(base_url=base, cookies=first.cookies, timeout=10) for _ in range(args.threads)
    ]
    desk = _store(folder)
    path = _PATHS[args.page]
    session = ""
    if signed_in:
        logged = desk.log_in(EMAIL, PASSWORD, client="10.9.9.2")
        assert isinstance(logged, LoggedIn), logged
        session = logged.token
    raws = [sqlite3.connect(folder / "orders.db", check_same_thread=False) for _ in clients]

    def web(index: int) -> None:
        response = clients[index].get(path)
        if response.status_code != 200:
            raise RuntimeError(f"status {response.status_code}")

    def library_history(index: int) -> None:
        answer = desk.shopper(client=f"10.9.9.{index}", session=session).history()
        if not isinstance(answer, HistoryPage):
            raise RuntimeError(type(answer).__name__)
        _ = [(h.number, h.placed_at) for h in answer.orders]

    def library_profile(index: int) -> None:
        shopper = desk.shopper(client=f"10.9.9.{index}", session=session)
        book, garage = shopper.addresses(), shopper.garage()
        if not isinstance(book, AddressBook) or not isinstance(garage, Garage):
            raise RuntimeError(f"{type(book).__name__}, {type(garage).__name__}")
        _ = [(s.address.line1, s.is_default) for s in book.saved]
        _ = [a.line1 for a in book.from_orders]
        _ = [(v.vehicle.model, v.vehicle.vin) for v in garage.vehicles]

    def raw_profile(index: int) -> None:
        raw = raws[index]
        row = raw.execute(_SESSION_ROW, (hash_session_id(session),)).fetchone()
        if row is None:
            raise RuntimeError("no session")
        saved, offered, garage = _RAW_PROFILE
        _ = raw.execute(saved, (row[0],)).fetchall()
        _ = raw.execute(offered, (row[0], 50)).fetchall()
        _ = raw.execute(garage, (row[0],)).fetchall()

    def library(index: int) -> None:
        answer = desk.guest(client=f"10.9.9.{index}", guest_pass=token).view_order(ORDER)
        if not isinstance(answer, OrderFound):
            raise RuntimeError(type(answer).__name__)
        view = answer.view
        _ = [(x.quantity_text, x.unit_price_text) for x in view.lines]
        _ = [(p.state_text, p.tracking_url) for p in view.packages]
        _ = [(t.when_text, t.text) for t in view.timeline]
        _ = (view.total_text, view.status_text)

    sides: dict[str, Callable[[int], None]] = {"web": web, "library": library}
    if args.page == "history":
        sides["library"] = library_history
    elif args.page == "profile":
        sides["library"] = library_profile
        sides["raw SQL"] = raw_profile
    try:
        for side in sides.values():  # warm-up
            _round(args.threads, 1.0, side)
        results: Rounds = {name: [] for name in sides}
        for _ in range(args.rounds):
            for name, side in sides.items():
                results[name].append(_round(args.threads, args.seconds, side))
    finally:
        for client in [first, *clients]:
            client.close()
        for raw in raws:
            raw.close()
        desk.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--background", type=int, default=2000)
    parser.add_argument("--page", choices=("order", "history", "profile"), default="order")
    args = parser.parse_args(argv)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no access log per request
    if not (1 <= args.threads <= 32 and 0 < args.seconds <= 60 and 1 <= args.rounds <= 10):
        parser.error("threads 1-32, seconds up to 60, rounds 1-10")
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        (folder / "mail").mkdir()
        _fill_store(folder, args.background)
        if args.page != "order":
            _make_account(folder)
        if args.page == "profile":
            _fill_profile(folder)
        port = _free_port()
        child = multiprocessing.get_context("spawn").Process(
            target=_serve_child, args=(folder, port), daemon=True
        )
        child.start()
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_for(base)
            results = _measure(args, base, folder)
        finally:
            child.terminate()
            child.join(timeout=10)
    load = os.getloadavg()
    print(
        f"page {args.page}, threads {args.threads}, {args.rounds} x {args.seconds:g} s per side, "
        f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"
    )
    print()
    print("| side | req/s per round | req/s (median) | p50 ms | p99 ms |")
    print("|---|---|---:|---:|---:|")
    medians = {}
    for side, rounds in results.items():
        rates = [calls / wall for calls, wall, _ in rounds]
        every = [x for _, _, flat in rounds for x in flat]
        medians[side] = statistics.median(rates)
        print(
            f"| {side} | {', '.join(f'{r:,.0f}' for r in rates)} | {medians[side]:,.0f} | "
            f"{_p(every, 50):.2f} | {_p(every, 99):.2f} |"
        )
    print()
    print(f"web / library: {medians['web'] / medians['library']:.0%} of the library's rate")
    if "raw SQL" in medians:
        print(f"library / raw SQL: {medians['library'] / medians['raw SQL']:.0%} of the raw rate")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
