"""An ended unit of work is freed by reference counting alone (shared by the SQL adapters'
unit tests): its repositories hold the unit, so they must be dropped as it ends, or every
request leaves a reference cycle for the cyclic collector."""

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
