"""Issue 5 item 3: at most two round trips per find-order, and no transaction left open
between commands.

Statements are counted where psycopg sends them (``Cursor.execute``, which
``Connection.execute`` goes through), and round trips where it waits for the server:
every exchange goes through ``Connection.wait`` with a generator that yields whenever it
needs the socket, a ``BEGIN`` or ``COMMIT`` psycopg sends by itself included; a wait whose
generator never yields (setting ``autocommit`` on an idle connection) is no round trip.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator
from typing import Any

import psycopg
import pytest

from orderstatus_core import ImportRecordError, OrderFound, OrderStatus
from orderstatus_core.sample import generate_orders
from orderstatus_core.services.importing import IMPORT_BATCH
from orderstatus_core.testing import RecordingMailer
from orderstatus_postgres import PostgresStorage
from support.pg_helpers import APPLICATION, admin_connection, order, shipped_package


class Traffic:
    """What psycopg sent and waited for while it was counting."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.round_trips = 0
        self.counting = False

    def measure(self, action: Callable[[], object]) -> tuple[int, int]:
        """(statements, round trips) of ``action()``."""
        self.statements.clear()
        self.round_trips = 0
        self.counting = True
        try:
            action()
        finally:
            self.counting = False
        return len(self.statements), self.round_trips


def _noting_io(gen: Generator[Any, Any, Any], waited: list[bool]) -> Generator[Any, Any, Any]:
    """``gen`` as it is, noting in ``waited`` whether it ever asked for the socket."""
    try:
        request = next(gen)
    except StopIteration as stop:
        return stop.value
    waited.append(True)
    while True:
        ready = yield request
        try:
            request = gen.send(ready)
        except StopIteration as stop:
            return stop.value


@pytest.fixture
def traffic(monkeypatch: pytest.MonkeyPatch) -> Traffic:
    """Counts every statement and round trip of psycopg in this process."""
    seen = Traffic()
    execute, copy, wait = psycopg.Cursor.execute, psycopg.Cursor.copy, psycopg.Connection.wait

    def counting_execute(self: psycopg.Cursor[Any], query: Any, *args: Any, **kw: Any) -> Any:
        if seen.counting:
            seen.statements.append(str(query).split()[0])
        return execute(self, query, *args, **kw)

    def counting_copy(self: psycopg.Cursor[Any], statement: Any, *args: Any, **kw: Any) -> Any:
        if seen.counting:
            seen.statements.append(" ".join(str(statement).split()[:2]))
        return copy(self, statement, *args, **kw)

    def counting_wait(self: psycopg.Connection[Any], gen: Any, *args: Any, **kw: Any) -> Any:
        if not seen.counting:
            return wait(self, gen, *args, **kw)
        waited: list[bool] = []
        try:
            return wait(self, _noting_io(gen, waited), *args, **kw)
        finally:
            seen.round_trips += bool(waited)

    monkeypatch.setattr(psycopg.Cursor, "execute", counting_execute)
    monkeypatch.setattr(psycopg.Cursor, "copy", counting_copy)
    monkeypatch.setattr(psycopg.Connection, "wait", counting_wait)
    return seen


#: What ``add_many`` sends for a batch of orders with packages, after reading its numbers.
BATCH_COPIES = ["COPY orders", "COPY order_lines", "COPY packages", "COPY package_units"]


@pytest.fixture
def desk(pg_storage: PostgresStorage) -> Iterator[OrderStatus]:
    """A store on the test storage with one order of two lines and a shipped package."""
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order(packages=[shipped_package()]))
        uow.commit()
    desk = OrderStatus.open(storage=pg_storage, mail=RecordingMailer())
    yield desk
    desk.close()


def test_find_order_is_one_statement_and_one_round_trip(
    desk: OrderStatus, traffic: Traffic
) -> None:
    """A found order (lines and packages included) costs one statement, one round trip:
    within issue 5's budget of two, with no BEGIN or COMMIT."""
    for attempt in range(8):  # warm: schema check done, statement prepared
        found = desk.find_order("jane@example.com", "100001", client=f"warm-{attempt}")
        assert isinstance(found, OrderFound)
    statements, round_trips = traffic.measure(
        lambda: desk.find_order("jane@example.com", "100001", client="203.0.113.7")
    )
    assert (statements, round_trips) == (1, 1), traffic.statements
    assert statements <= 2
    assert round_trips <= 2


def test_a_missing_order_costs_the_same(desk: OrderStatus, traffic: Traffic) -> None:
    """An unknown number is one statement too (SECURITY A2: the same work either way)."""
    desk.find_order("jane@example.com", "100001", client="warm")
    found = traffic.measure(lambda: desk.find_order("jane@example.com", "999999", client="c"))
    assert found == (1, 1)


def test_a_write_command_sends_begin_with_its_first_statement(
    desk: OrderStatus, traffic: Traffic, pg_storage: PostgresStorage
) -> None:
    """A write unit's BEGIN travels with its first statement: no round trip of its own."""
    desk.find_order("jane@example.com", "100001", client="warm")

    def look_up() -> None:
        with pg_storage.unit_of_work(write=True) as uow:
            uow.orders.recent("jane@example.com", 10)
            uow.commit()

    statements, round_trips = traffic.measure(look_up)
    assert statements == 1
    assert round_trips == 2  # BEGIN + SELECT, then COMMIT


def idle_in_transaction() -> list[tuple[Any, ...]]:
    with admin_connection() as connection:
        return connection.execute(
            "SELECT pid, state, left(query, 60) FROM pg_stat_activity "
            "WHERE application_name = %s AND state <> 'idle'",
            (APPLICATION,),
        ).fetchall()


def test_no_connection_is_left_in_a_transaction_between_commands(
    desk: OrderStatus, pg_storage: PostgresStorage
) -> None:
    """After reads, writes, a refused duplicate, an exception in a unit and a rollback,
    every connection of ours is idle in pg_stat_activity (never "idle in transaction")."""
    desk.find_order("jane@example.com", "100001", client="c1")
    desk.send_order_list("jane@example.com", client="c2")
    desk.relay_outbox()
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.get("100001")
        uow.outbox.pending_count()

    def fail_half_way() -> None:
        with pg_storage.unit_of_work(write=True) as uow:
            uow.orders.get("100001")
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        fail_half_way()
    with pg_storage.unit_of_work(write=True) as uow:
        uow.orders.add(order("100002"))
        uow.rollback()
        uow.orders.add(order("100003"))
        uow.commit()
    assert idle_in_transaction() == []


def test_an_import_sends_its_orders_in_batches(
    desk: OrderStatus, traffic: Traffic, pg_storage: PostgresStorage
) -> None:
    """Three batches of orders (IMPORT_BATCH each) go in one COPY per table with every row,
    each after one read of which of its numbers are stored, and with no savepoint (one
    subtransaction per batch would overflow PostgreSQL's 64 per transaction in any large
    import); after the last, the locks of the file's addresses and one read of their
    verified accounts (SECURITY F1): the statements and round trips grow with the batches,
    not with the orders."""
    lines = [json.dumps(record) for record in generate_orders(3 * IMPORT_BATCH, seed=5)]
    statements, round_trips = traffic.measure(lambda: desk.import_orders(lines))
    batch = ["SELECT", *BATCH_COPIES]
    assert traffic.statements == batch * 3 + ["SELECT", "SELECT"]
    assert not any(s.startswith(("SAVEPOINT", "RELEASE")) for s in traffic.statements)
    # Each COPY is two round trips (start, then the rows and their end); then the COMMIT.
    assert (statements, round_trips) == (17, 3 * (1 + 2 * 4) + 2 + 1)
    with pg_storage.unit_of_work() as uow:
        assert uow.orders.get(json.loads(lines[-1])["number"]) is not None


def test_a_duplicate_in_an_import_is_found_before_anything_is_sent(
    desk: OrderStatus, traffic: Traffic, pg_storage: PostgresStorage
) -> None:
    """A batch with a stored number is refused by the read of its numbers, before any row
    is sent: one statement, and nothing of the import remains."""
    records = generate_orders(3, seed=6)
    taken = {**next(records), "number": "100001"}  # the order the fixture stored
    lines = [json.dumps(record) for record in (*records, taken)]
    with pytest.raises(ImportRecordError, match="line 3: order 100001 is already stored"):
        traffic.measure(lambda: desk.import_orders(lines))
    assert traffic.statements == ["SELECT"]
    with pg_storage.unit_of_work() as uow:
        assert [uow.orders.get(json.loads(text)["number"]) for text in lines[:2]] == [None, None]
