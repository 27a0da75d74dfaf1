"""Machine instructions per call of a read path or of one step of find-order, by callgrind.

On the shared 2-core machine wall time moves with the neighbours' load (the same build
measured 2.0x and 2.3x within a day); an instruction count does not. Run one path or step
at a time under callgrind, which counts only what runs inside ``itertools.starmap``:

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=starmap_next \\
        --callgrind-out-file=/tmp/cg.out python bench/instructions.py \\
        --db bench/data/orders-10000.db --count 200 find
    callgrind_annotate /tmp/cg.out | grep 'PROGRAM TOTALS'     # divide by --count

Paths: ``find`` and ``search`` (the library, as ``run.py`` calls it; ``search`` by
category, ``search-part`` by part number), ``raw-find``, ``raw-search`` and
``raw-search-part`` (``run.py``'s raw side). The per-request session check, on a session store
(``--db bench/data/sessions-1000000.db``, built by ``account_store.session_store`` at the
first run, ``--sessions`` of them): ``check`` (``desk.shopper(...).check()``, as
``accounts.py`` calls it), ``port-check`` (``sessions.check`` in a read-once unit),
``raw-session`` (the raw primary-key ``SELECT`` of the session row, ``fetchone()``) and
``raw-check`` (the raw join of the seven columns the check read before it decided in
SQL), and the check's steps, each on its own: ``check-shopper`` (``desk.shopper(...)``:
the proof and the session value), ``check-bind`` (``shopper.check``, the bound command),
``check-hash`` (the token's shape checked and hashed), ``check-unit`` (an empty read-once
unit with its ``sessions`` repository), ``check-decode`` (the statement's row to a
``SessionCheck``) and ``check-decide`` (the policy, the clock, the ``SignedIn``); the
port's statement is ``port-check`` less ``check-unit`` and ``check-decode``. Steps of
``find`` (as in ``find_order_breakdown.py``, the raw read between calls): ``prepare``,
``limits``, ``unit`` (a read-once unit opened and closed, its ``orders`` reached), ``fetch``
(the unit's one statement and its rows), ``decode`` (the rows to an ``Order``), ``view``
and ``answer`` (the ``OrderFound`` in the shopper's language); what ``find`` counts beyond
their sum is the calls between them. Every step of every call runs; only the named one is
inside ``starmap``. The first 50 targets warm up outside it. Instructions are not time (a
cache miss costs hundreds of cycles and counts one), so compare paths with it and confirm
with ``run.py``.
"""

from __future__ import annotations

import argparse
import collections
import functools
import itertools
import random
import sqlite3
import sys
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from orderstatus_core import OrderFound, OrderStatus, SignedIn, parse_email
from orderstatus_core.model import canonical_order_number
from orderstatus_core.model.account import hash_session_id, is_secret_id
from orderstatus_core.policies import masked_order_view
from orderstatus_core.services import lookup
from orderstatus_core.services._texts import in_language, shopper_texts
from orderstatus_core.services.proof import client_key
from orderstatus_core.testing import FixedClock, RecordingMailer
from orderstatus_sqlite import _rows, _sql
from orderstatus_sqlite._repositories import ALL, ONE
from orderstatus_sqlite._rows import DECODER

sys.path.insert(0, str(Path(__file__).parent))
from account_store import SESSION_ROW, T0, TOKENS, session_store
from accounts import CHECK_ROW
from raw_rows import part_key
from run import SqliteRaw  # the same targets and raw reads as the comparison

PART_PATHS = ("search-part", "raw-search-part")
PATHS = ("find", "search", "raw-find", "raw-search", *PART_PATHS)
CHECKS = ("check", "port-check", "raw-session", "raw-check")
CHECK_STEPS = (
    "check-shopper",
    "check-bind",
    "check-hash",
    "check-unit",
    "check-decode",
    "check-decide",
)
STEPS = ("prepare", "limits", "unit", "fetch", "decode", "view", "answer")
WARM = 50


def counted(chosen: str, name: str, call: Callable[[], Any]) -> Any:
    """``call()``, inside ``starmap`` (so callgrind counts it) when ``name`` is chosen."""
    if name != chosen:
        return call()
    return collections.deque(itertools.starmap(call, ((),)), maxlen=1)[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--db", type=Path, default=Path("bench/data/orders-10000.db"))
    parser.add_argument("--count", type=int, default=200, help="counted calls")
    parser.add_argument("--sessions", type=int, default=1_000_000, help="for a new store")
    parser.add_argument("what", choices=PATHS + STEPS + CHECKS + CHECK_STEPS)
    args = parser.parse_args()
    if args.what in CHECKS + CHECK_STEPS:
        return _checks(args.db, args.sessions, args.what, args.count)
    raw = SqliteRaw(args.db)
    targets = raw.targets(args.count + WARM, seed=13)
    verified = {t.email: parse_email(t.email) for t in targets}
    with OrderStatus.open(storage=f"sqlite:///{args.db}", mail=RecordingMailer()) as desk:
        ctx = desk.context
        for index, target in enumerate(targets):
            chosen = args.what if index >= WARM else ""
            key = target.email.lower()
            counted(chosen, "raw-find", lambda: raw.find(target.number, key))  # noqa: B023
            counted(
                chosen,
                "raw-search",
                lambda: raw.search_category(key, target.category.lower(), 20),  # noqa: B023
            )
            counted(
                chosen,
                "search",
                lambda: desk.search_orders(verified[target.email], category=target.category),  # noqa: B023
            )
            if args.what in PART_PATHS:  # only then: the other paths' counts stay as they were
                part = target.part_number
                counted(
                    chosen,
                    "search-part",
                    lambda: desk.search_orders(verified[target.email], part_number=part),  # noqa: B023
                )
                counted(
                    chosen,
                    "raw-search-part",
                    lambda: raw.search_part(key, part_key(part), 20),  # noqa: B023
                )
            counted(
                chosen,
                "find",
                lambda: desk.find_order(target.email, target.number, client=f"f{index}"),  # noqa: B023
            )
            _steps(ctx, chosen, index, target)
    raw.close()
    return 0


def _checks(path: Path, sessions: int, chosen: str, count: int) -> int:
    """The session check's paths, each call on one of the store's live tokens."""
    if not path.exists():
        session_store(path, sessions).close()
    picks = random.Random(1).choices(TOKENS, k=count + WARM)
    hashes = [hash_session_id(token) for token in picks]
    raw = sqlite3.connect(path)
    clock = FixedClock(T0 + timedelta(seconds=10))  # within the touch minute: no write
    with OrderStatus.open(storage=f"sqlite:///{path}", mail=RecordingMailer(), clock=clock) as desk:
        storage = desk.context.storage
        policy = desk.context.policies.account_policy()
        for index, (token, id_hash) in enumerate(zip(picks, hashes, strict=True)):
            now = chosen if index >= WARM else ""
            who = counted(now, "check", functools.partial(_check, desk, token))
            assert type(who).__name__ == "SignedIn", who
            port = functools.partial(_port_check, storage, id_hash, clock.now(), policy)
            assert counted(now, "port-check", port)
            assert counted(now, "raw-session", functools.partial(_raw, raw, SESSION_ROW, id_hash))
            assert counted(now, "raw-check", functools.partial(_raw, raw, CHECK_ROW, id_hash))
            _check_steps(desk, now, token, id_hash)
    raw.close()
    return 0


def _check_steps(desk: OrderStatus, chosen: str, token: str, id_hash: str) -> None:
    """The check's steps (services/accounts/login.py ``check_session``), each counted alone."""
    ctx = desk.context
    storage = ctx.storage
    shopper = counted(chosen, "check-shopper", functools.partial(_shopper, desk, token))
    counted(chosen, "check-bind", lambda: shopper.check)
    counted(chosen, "check-hash", lambda: is_secret_id(token) and hash_session_id(token))
    counted(chosen, "check-unit", functools.partial(_empty_unit, storage))
    policy = ctx.policies.account_policy()
    now = ctx.clock.now()
    idle, touch = _rows.span(policy.idle_timeout), _rows.span(policy.touch_interval)
    moment = _rows.micros(now)
    parameters = (moment, moment, idle, moment, touch, id_hash)
    with storage.unit_of_work(read_once=True) as uow:
        row = uow._fetch(ONE, _sql.SESSION_CHECK, parameters, "checking a session")
    found = counted(chosen, "check-decode", lambda: DECODER.session_check(row))
    assert found is not None

    def decide() -> object:
        ctx.policies.account_policy()
        ctx.clock.now()
        return SignedIn(found.account_id, found.language, found.expires_at, found.remember)

    counted(chosen, "check-decide", decide)


def _shopper(desk: OrderStatus, token: str) -> object:
    return desk.shopper(client="198.51.100.1", session=token)


def _empty_unit(storage: Any) -> object:
    with storage.unit_of_work(read_once=True) as uow:
        return uow.sessions


def _check(desk: OrderStatus, token: str) -> object:
    return desk.shopper(client="198.51.100.1", session=token).check()


def _port_check(storage: Any, id_hash: str, now: Any, policy: Any) -> object:
    with storage.unit_of_work(read_once=True) as uow:
        return uow.sessions.check(
            id_hash, now, idle_timeout=policy.idle_timeout, touch_interval=policy.touch_interval
        )


def _raw(raw: sqlite3.Connection, sql: str, id_hash: str) -> object:
    return raw.execute(sql, (id_hash,)).fetchone()


def _steps(ctx: Any, chosen: str, index: int, target: Any) -> None:
    """find_order's steps, in its order (services/lookup.py), on a second client."""

    def prepare() -> tuple[Any, ...]:
        client = client_key(f"s{index}")
        texts = shopper_texts(ctx, "en")
        now = ctx.clock.now()
        number = canonical_order_number(target.number)
        contact = lookup._contact(target.email, ctx.policies.lookup_policy().phone_region)
        return client, texts, now, number, contact

    client, texts, now, number, contact = counted(chosen, "prepare", prepare)
    identity = lookup._identity(target.email, contact)
    counted(chosen, "limits", lambda: lookup.pair_limits(ctx, now, client, identity, number))
    parameters = _sql.get_order_for_contact_parameters(number, contact)

    def unit() -> None:  # a read-once unit opened and closed, its repository reached
        with ctx.storage.unit_of_work(read_once=True) as uow:
            uow.orders  # noqa: B018

    counted(chosen, "unit", unit)
    with ctx.storage.unit_of_work(read_once=True) as uow:
        read = uow._fetch
        rows = counted(
            chosen, "fetch", lambda: read(ALL, _sql.GET_ORDER_FOR_CONTACT, parameters, "reading")
        )
    order = counted(chosen, "decode", lambda: _rows.order(number, rows))
    view = counted(
        chosen, "view", lambda: masked_order_view(order, ctx.policies.tracking_url, texts)
    )
    counted(chosen, "answer", lambda: in_language(OrderFound(view), texts))


if __name__ == "__main__":
    sys.exit(main())
