"""Find-order's read on PostgreSQL (issue 11 item 1): the cursor each pooled connection keeps
for the order statements, and the JSON loader of its connections."""

from __future__ import annotations

import json
import string
from typing import Any

import psycopg
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core import AdapterError, PartNumberQuery
from orderstatus_core.model import PartNumber
from orderstatus_postgres import PostgresStorage, _sql
from orderstatus_postgres.connections import JsonLoader, PooledConnection
from support.pg_helpers import order, schema_url, shipped_package

#: Order 100002, with a shipped package (its package and units come as nested JSON).
SAMS = order("100002", email="sam@example.com", packages=(shipped_package(),))


def one_connection(pg_schema: str) -> PostgresStorage:
    """A storage whose units all run on the same pooled connection."""
    return PostgresStorage.from_url(schema_url(pg_schema, pool_min=1, pool_max=1))


@pytest.fixture
def stored(pg_url: str, pg_schema: str) -> None:
    """Orders 100001 and :data:`SAMS` in the session's emptied schema."""
    storage = PostgresStorage.from_url(pg_url)
    try:
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(order())
            uow.orders.add(SAMS)
            uow.commit()
    finally:
        storage.close()


def counting_loaders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many JSON loaders psycopg makes from now on (one per new adaptation of a json
    or jsonb column)."""
    made = [0]
    init = JsonLoader.__init__

    def counted(self: JsonLoader, *args: Any, **kwargs: Any) -> None:
        made[0] += 1
        init(self, *args, **kwargs)

    monkeypatch.setattr(JsonLoader, "__init__", counted)
    return made


@pytest.mark.usefixtures("stored")
def test_later_reads_of_an_order_reuse_the_adaptation_of_the_first(
    pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each read of an order (by number, and by number and contact) runs on the cursor its
    connection keeps for that statement, so psycopg adapts the result's columns once per
    connection and statement, not once per read; every read answers its own order."""
    storage = one_connection(pg_schema)
    try:
        with storage.unit_of_work() as uow:  # the first read of each statement
            assert uow.orders.get("100001") == order()
            assert uow.orders.get_for_contact("100001", "jane@example.com") == order()
        made = counting_loaders(monkeypatch)
        for number, contact in [("100002", "sam@example.com"), ("100001", "jane@example.com")]:
            with storage.unit_of_work(read_once=True) as uow:
                found = uow.orders.get_for_contact(number, contact)
            assert found is not None
            assert (found.number, found.email.canonical) == (number, contact)
            with storage.unit_of_work(write=True) as uow:  # in a transaction, after a lock
                assert uow.orders.get(number) == found
        with storage.unit_of_work() as uow:
            assert uow.orders.get_for_contact("100001", "sam@example.com") is None
            assert uow.orders.get("100009") is None
            connection = uow._connection
            assert isinstance(connection, PooledConnection)
            kept = connection.cursor_for(_sql.GET_ORDER)
            assert kept is connection.cursor_for(_sql.GET_ORDER)
            assert kept is not connection.cursor_for(_sql.GET_ORDER_FOR_CONTACT)
        assert made == [0]
    finally:
        storage.close()


@pytest.mark.usefixtures("stored")
def test_later_searches_run_on_the_cursor_of_the_first(
    pg_schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A search page's statement runs on the cursor its connection keeps for it: after the
    first search no cursor is made, and each search answers its own shopper's orders."""
    storage = one_connection(pg_schema)
    part = PartNumberQuery(PartNumber("BP-1234"))
    try:
        with storage.unit_of_work(read_once=True) as uow:
            assert [m.header.number for m in uow.orders.search("jane@example.com", part, 10)] == [
                "100001"
            ]
        made = [0]
        cursor = PooledConnection.cursor

        def counted(self: PooledConnection, *args: Any, **kwargs: Any) -> Any:
            made[0] += 1
            return cursor(self, *args, **kwargs)

        monkeypatch.setattr(PooledConnection, "cursor", counted)
        other = PartNumberQuery(PartNumber("R-77"))
        for email_key, query, numbers in [
            ("sam@example.com", other, ["100002"]),
            ("sam@example.com", PartNumberQuery(PartNumber("X-1")), []),
            ("jane@example.com", other, ["100001"]),
        ]:
            with storage.unit_of_work(read_once=True) as uow:
                found = uow.orders.search(email_key, query, 10)
            assert [match.header.number for match in found] == numbers
        assert made == [0]
    finally:
        storage.close()


@pytest.mark.usefixtures("stored")
def test_a_failed_run_on_a_kept_cursor_leaves_it_usable(pg_schema: str) -> None:
    """A statement refused by the server on the kept cursor fails alone (AdapterError); the
    next read on the same cursor answers."""
    storage = one_connection(pg_schema)
    try:
        with storage.unit_of_work() as uow:
            assert uow.orders.get("100001") == order()
            with pytest.raises(AdapterError, match="reading an order"):
                uow._row(_sql.GET_ORDER, (1.5,), "reading an order")  # text = numeric
            assert uow.orders.get("100001") == order()
            assert uow.orders.get("100002") == SAMS
    finally:
        storage.close()


def test_the_pool_connections_read_json_with_the_adapters_loader(
    pg_storage: PostgresStorage,
) -> None:
    """json and jsonb columns of a pooled connection go through :class:`JsonLoader` and
    come back as the values stored."""
    document = {"a": [1, 2.5, None, True, "é\u2028"], "b": {"": []}}
    with pg_storage.unit_of_work() as uow:
        connection = uow._connection
        assert connection is not None
        row = connection.execute(
            "SELECT %s::json, %s::jsonb, ' [1] '::json", (json.dumps(document),) * 2
        ).fetchone()
        assert connection.adapters.get_loader(114, psycopg.pq.Format.TEXT) is JsonLoader
        assert connection.adapters.get_loader(3802, psycopg.pq.Format.TEXT) is JsonLoader
    assert row == (document, document, [1])


_JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


@given(
    value=_JSON_VALUES, before=st.text(" \t\n\r", max_size=2), after=st.text(" \t\n\r", max_size=2)
)
def test_the_json_loader_reads_what_json_loads_reads(
    value: object, before: str, after: str
) -> None:
    """Any JSON text, with or without white space around it, loads to what ``json.loads``
    makes of it, from bytes and from a memoryview."""
    data = (before + json.dumps(value, ensure_ascii=False) + after).encode()
    loader = JsonLoader(114)
    assert loader.load(data) == json.loads(data)
    assert loader.load(memoryview(data)) == json.loads(data)


def _outcome(load: Any, data: bytes) -> tuple[str, object]:
    """What ``load(data)`` gives: ``("value", value)`` or ``("error", (type, message))``."""
    try:
        return "value", load(data)
    except ValueError as error:
        return "error", (type(error), str(error))


@given(text=st.text(string.printable + "é\ud800", max_size=12) | st.binary(max_size=12))
def test_the_json_loader_refuses_what_json_loads_refuses(text: str | bytes) -> None:
    """Malformed text, extra data and bytes that are not UTF-8 fail as ``json.loads`` fails,
    with its error; what it accepts loads the same."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "surrogatepass")
    assert _outcome(JsonLoader(114).load, data) == _outcome(json.loads, data)
