"""get() reads an order, its lines and its packages in one statement (``_sql.GET_ORDER``)."""

from __future__ import annotations

import random
import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderstatus_core import AdapterError, Order
from orderstatus_core.testing import strategies
from orderstatus_core.testing.builders import order_of_two_lines, package
from orderstatus_sqlite import SqliteStorage, _rows, _sql

_LITERAL = re.compile(r"'(?:[^']|'')*'|\b[0-9]+\b")


@pytest.fixture(scope="module")
def storage() -> Iterator[SqliteStorage]:
    """One migrated in-memory database for the module; each example empties it."""
    opened = SqliteStorage.from_url("sqlite:///:memory:")
    opened.migrate()
    yield opened
    opened.close()


def _add(storage: SqliteStorage, order: Order) -> None:
    """Store ``order`` as the only order."""
    with storage.unit_of_work(write=True) as uow:
        connection = uow._connection
        assert connection is not None
        for table in ("package_units", "packages", "order_lines", "orders"):
            connection.execute(f"DELETE FROM {table}")
        uow.orders.add(order)
        uow.commit()


def _statements(storage: SqliteStorage, read: Any) -> tuple[Any, list[str]]:
    """What ``read(uow)`` answers, and the statements it ran besides BEGIN and ROLLBACK,
    literals replaced by ``?``."""
    seen: list[str] = []
    with storage.unit_of_work() as uow:
        connection = uow._connection
        assert connection is not None
        connection.set_trace_callback(seen.append)
        try:
            answer = read(uow)
        finally:
            connection.set_trace_callback(None)
    return answer, [_LITERAL.sub("?", s) for s in seen if s not in ("BEGIN", "ROLLBACK")]


def _shape(sql: str) -> str:
    """A statement's text with its parameters and literals as ``?``."""
    return _LITERAL.sub("?", re.sub(r"\?[0-9]+", "?", sql))


many_lines = strategies.orders(max_lines=12, max_packages=6)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=many_lines)
def test_an_order_comes_back_equal_from_one_statement(storage: SqliteStorage, order: Order) -> None:
    """Lines, packages, units, missing values and any text come back as stored, in the
    order's tuple order, from exactly one statement."""
    _add(storage, order)
    found, ran = _statements(storage, lambda uow: uow.orders.get(order.number))
    assert found == order
    assert [line.line_no for line in found.lines] == [line.line_no for line in order.lines]
    assert ran == [_shape(_sql.GET_ORDER)]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=many_lines)
def test_by_contact_one_statement_answers_a_match_and_a_wrong_contact_alike(
    storage: SqliteStorage, order: Order
) -> None:
    """A matching contact reads the whole order; a wrong one runs the same one statement
    and finds nothing (SECURITY A6)."""
    _add(storage, order)
    found, ran = _statements(
        storage, lambda uow: uow.orders.get_for_contact(order.number, order.email.canonical)
    )
    assert found == order
    missed, ran_missed = _statements(
        storage, lambda uow: uow.orders.get_for_contact(order.number, "nobody@example.com")
    )
    assert missed is None
    assert ran == ran_missed == [_shape(_sql.GET_ORDER_FOR_CONTACT)]


def _rows_of(storage: SqliteStorage, number: str) -> list[Any]:
    with storage.unit_of_work() as uow:
        connection = uow._connection
        assert connection is not None
        return connection.execute(_sql.GET_ORDER, _sql.get_order_parameters(number)).fetchall()


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(order=many_lines, seed=st.integers())
def test_rows_in_any_order_give_the_same_order(
    storage: SqliteStorage, order: Order, seed: int
) -> None:
    """The reader goes by each row's kind and positions, not by the order rows come in."""
    _add(storage, order)
    rows = _rows_of(storage, order.number)
    random.Random(seed).shuffle(rows)
    assert _rows.order(order.number, rows) == order


def test_no_order_row_is_no_order() -> None:
    """Rows without the order row (none at all, as for an unknown number) are no order."""
    assert _rows.order("100001", []) is None


@pytest.mark.parametrize(
    "spoil",
    [
        pytest.param(lambda rows: [(9, *rows[0][1:]), *rows[1:]], id="unknown kind"),
        pytest.param(lambda rows: [rows[0][:5], *rows[1:]], id="short order row"),
        pytest.param(
            lambda rows: [rows[0], *[(*r[:9], "not money", *r[10:]) for r in rows[1:2]]],
            id="line amount",
        ),
        pytest.param(
            lambda rows: [rows[0], (_sql.LINE_ROW, 1, "x"), (_sql.LINE_ROW, "y")], id="lines"
        ),
        pytest.param(
            lambda rows: [*rows, (_sql.UNIT_ROW, "P-1", "Atlanta, GA", None, None, "late")],
            id="unit row",
        ),
    ],
)
def test_a_row_that_cannot_be_read_is_an_adapter_error(storage: SqliteStorage, spoil: Any) -> None:
    """A row of an unknown kind or shape, or a column the model cannot hold, is one
    AdapterError naming the order."""
    order = order_of_two_lines(packages=[package("P1", ((1, 1), (2, 2)))])
    _add(storage, order)
    rows = spoil(_rows_of(storage, order.number))
    with pytest.raises(AdapterError, match="unreadable"):
        _rows.order(order.number, rows)


def test_a_line_edited_by_hand_is_an_adapter_error(tmp_path: Path) -> None:
    """A stored line whose amount is not a number fails the whole read as AdapterError."""
    path = tmp_path / "spoiled.db"
    spoiled = SqliteStorage.from_url(f"sqlite:///{path}")
    spoiled.migrate()
    order = order_of_two_lines(packages=[package("P1"), package("P2", ((2, 1),))])
    _add(spoiled, order)
    connection = sqlite3.connect(path)
    with connection:
        connection.execute(
            "UPDATE order_lines SET unit_price = 'lots' WHERE order_number = ?", (order.number,)
        )
    connection.close()
    with spoiled.unit_of_work() as uow, pytest.raises(AdapterError, match="unreadable"):
        uow.orders.get(order.number)
    spoiled.close()
