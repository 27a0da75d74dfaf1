"""Machine instructions per call of a read path or of one step of find-order, by callgrind.

On the shared 2-core machine wall time moves with the neighbours' load (the same build
measured 2.0x and 2.3x within a day); an instruction count does not. Run one path or step
at a time under callgrind, which counts only what runs inside ``itertools.starmap``:

    valgrind --tool=callgrind --collect-atstart=no --toggle-collect=starmap_next \\
        --callgrind-out-file=/tmp/cg.out python bench/instructions.py \\
        --db bench/data/orders-10000.db --count 200 find
    callgrind_annotate /tmp/cg.out | grep 'PROGRAM TOTALS'     # divide by --count

Paths: ``find`` and ``search`` (the library, as ``run.py`` calls it), ``raw-find`` and
``raw-search`` (``run.py``'s raw side). Steps of ``find`` (as in
``find_order_breakdown.py``, the raw read between calls): ``prepare``, ``limits``,
``fetch`` (the unit's one statement and its rows), ``decode`` (the rows to an ``Order``),
``view``. Every step of every call runs; only the named one is inside ``starmap``. The
first 50 targets warm up outside it. Instructions are not time (a cache miss costs
hundreds of cycles and counts one), so compare paths with it and confirm with ``run.py``.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from orderstatus_core import OrderFound, OrderStatus, parse_email
from orderstatus_core.model import canonical_order_number
from orderstatus_core.policies import masked_order_view
from orderstatus_core.services import lookup
from orderstatus_core.services._texts import in_language, shopper_texts
from orderstatus_core.services.proof import client_key
from orderstatus_core.testing import RecordingMailer
from orderstatus_sqlite import _rows, _sql
from orderstatus_sqlite._repositories import ALL

sys.path.insert(0, str(Path(__file__).parent))
from run import SqliteRaw  # the same targets and raw reads as the comparison

PATHS = ("find", "search", "raw-find", "raw-search")
STEPS = ("prepare", "limits", "fetch", "decode", "view")
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
    parser.add_argument("what", choices=PATHS + STEPS)
    args = parser.parse_args()
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
            counted(
                chosen,
                "find",
                lambda: desk.find_order(target.email, target.number, client=f"f{index}"),  # noqa: B023
            )
            _steps(ctx, chosen, index, target)
    raw.close()
    return 0


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
    with ctx.storage.unit_of_work(read_once=True) as uow:
        read = uow._fetch
        rows = counted(
            chosen, "fetch", lambda: read(ALL, _sql.GET_ORDER_FOR_CONTACT, parameters, "reading")
        )
    order = counted(chosen, "decode", lambda: _rows.order(number, rows))
    view = counted(
        chosen, "view", lambda: masked_order_view(order, ctx.policies.tracking_url, texts)
    )
    in_language(OrderFound(view), texts)


if __name__ == "__main__":
    sys.exit(main())
