"""An ended unit of work is freed by reference counting alone, and its repositories are
views of it (shared by the SQL adapters' unit tests): a unit that kept the repositories it
made, each holding the unit, would leave a reference cycle for the cyclic collector on
every request."""

from __future__ import annotations

import gc
import weakref

from orderstatus_core.ports import Storage
from orderstatus_core.testing.contracts._support import _SESSION_RULES, T0


def assert_an_ended_unit_is_freed(storage: Storage, kind: str) -> None:
    """A ``kind`` (``read``, ``read_once`` or ``write``) unit that made repositories is
    gone the moment its last reference is, with the collector off."""
    gc.collect()
    gc.disable()
    try:
        uow = storage.unit_of_work(write=kind == "write", read_once=kind == "read_once")
        with uow:
            assert uow.sessions.check("0" * 64, T0, **_SESSION_RULES) is None
            if kind == "write":
                assert uow.accounts.get("acct-0001") is None
                uow.commit()
        ended = weakref.ref(uow)
        del uow
        assert ended() is None
    finally:
        gc.enable()


#: Every repository a unit of work offers (orderstatus_core.UnitOfWork).
REPOSITORIES = (
    "orders",
    "outbox",
    "passes",
    "idempotency",
    "credit",
    "documents",
    "accounts",
    "sessions",
    "captchas",
)


def assert_repositories_are_views(storage: Storage) -> None:
    """Each repository of a unit holds its unit and nothing else, and the unit keeps none:
    a repository is made on each read, so one that kept state of its own would lose it
    between two reads (and a unit that kept its repositories would be a cycle)."""
    with storage.unit_of_work(write=True) as uow:
        before = dict(vars(uow))
        for name in REPOSITORIES:
            made = getattr(uow, name)
            assert vars(made) == {"_unit": uow}, name
        assert uow.orders.get("100001") is None
        assert vars(uow) == before
