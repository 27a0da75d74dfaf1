"""Realistic sample orders, as JSON-ready dictionaries in the import format.

Used by ``orderstatus sample`` (benchmark data), ``orderstatus demo`` and the tests::

    from orderstatus_core.sample import generate_orders

    for record in generate_orders(1000, customers=300, seed=7):
        out.write(json.dumps(record) + "\\n")

Everything here is deterministic: the same arguments give the same orders, byte for byte,
on every machine and run. The generator streams (constant memory, whatever ``count``) and
is fast enough to write a million orders for a benchmark; it builds plain dictionaries from
pre-built string pools and never constructs model objects. Every record it yields is valid
for :data:`orderstatus_core.serialization.converter` (the tests structure thousands of them
into :class:`~orderstatus_core.model.Order`).

The catalogue (:func:`sample_catalogue`) is a fixed list of about 2,000 parts in 46 leaf
categories of a two- and three-level tree, with brands, descriptions, prices, core charges
and warranties. :func:`demo_orders` adds a small hand-written cast (Jane Doe and friends)
that ``orderstatus demo`` and the example storefront walk through, and
:func:`demo_walkthrough_orders` the two orders of Jane's that only the demo adds, whose
lines are bought for her car (:data:`DEMO_CAR`). Two lines in five of the generated orders
are bought for a vehicle of their shopper's.

The package holds three parts: the catalogue (``_catalogue``), the generated history
(``_history``) and the demo cast (``_cast``), the one place where the cast is written.
"""

from __future__ import annotations

from orderstatus_core.sample._cast import (
    DEMO_CAR,
    DEMO_EMAIL,
    DEMO_PHONE,
    demo_orders,
    demo_walkthrough_orders,
)
from orderstatus_core.sample._catalogue import CataloguePart, sample_catalogue
from orderstatus_core.sample._history import DEFAULT_UNTIL, RECENT_AGES, generate_orders
from orderstatus_core.sample._history import HISTORY as HISTORY  # importable as before

__all__ = [
    "DEFAULT_UNTIL",
    "DEMO_CAR",
    "DEMO_EMAIL",
    "DEMO_PHONE",
    "RECENT_AGES",
    "CataloguePart",
    "demo_orders",
    "demo_walkthrough_orders",
    "generate_orders",
    "sample_catalogue",
]
