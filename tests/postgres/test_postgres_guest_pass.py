"""The guest pass on PostgreSQL: the whole flow, and single use under racing threads."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from orderstatus_core import GuestPassGranted, GuestPassMail, GuestPassRefused
from orderstatus_core.services import (
    ServiceContext,
    check_guest_pass,
    request_guest_pass,
    verify_guest_code,
)
from orderstatus_core.testing import fake_context
from orderstatus_core.testing.builders import make_order
from orderstatus_postgres import PostgresStorage

ORDER = "123456789"


def _context(storage: PostgresStorage) -> ServiceContext:
    ctx = fake_context(storage)
    with storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order(ORDER))
        uow.commit()
    return ctx


def _mailed_code(ctx: ServiceContext) -> str:
    with ctx.storage.unit_of_work() as uow:
        [message] = uow.outbox.due(ctx.clock.now(), 10)
    assert isinstance(message.intent, GuestPassMail)
    return message.intent.code


def test_the_whole_flow_on_postgres(pg_storage: PostgresStorage) -> None:
    """Request, verify the mailed code once, check the pass: as on the memory reference."""
    ctx = _context(pg_storage)
    request_guest_pass(ctx, "jane.doe@example.com", ORDER, client="c")
    code = _mailed_code(ctx)
    granted = verify_guest_code(ctx, ORDER, code, client="c")
    assert isinstance(granted, GuestPassGranted)
    assert check_guest_pass(ctx, granted.token, ORDER, ctx.clock.now())
    assert verify_guest_code(ctx, ORDER, code, client="c") == GuestPassRefused()


def test_a_code_raced_by_many_threads_grants_exactly_one_pass(
    pg_storage: PostgresStorage,
) -> None:
    """Eight threads send the right code at once: one pass, seven refusals (SECURITY G2)."""
    ctx = _context(pg_storage)
    request_guest_pass(ctx, "jane.doe@example.com", ORDER, client="c")
    code = _mailed_code(ctx)
    barrier = threading.Barrier(8)

    def verify(index: int) -> object:
        barrier.wait(timeout=30)
        return verify_guest_code(ctx, ORDER, code, client=f"client-{index}")

    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(verify, range(8)))
    assert sum(isinstance(answer, GuestPassGranted) for answer in answers) == 1
    assert answers.count(GuestPassRefused()) == 7
