"""Every repository query is answered through an index: none scans the orders."""

from __future__ import annotations

import re

import pytest

from orderstatus_sqlite import SqliteStorage, _sql
from orderstatus_sqlite._discounts import _CODES_OF, _LINKED_EMAIL_KEYS
from orderstatus_sqlite._repositories import _CREDIT_BALANCE_ROWS
from orderstatus_sqlite._watches import _PART_WATCHES, _QUEUE_ALERTS, _UNWATCH_PART
from orderstatus_sqlite.storage import QUERIES

ORDER_TABLES = ("orders", "o", "order_lines", "l", "packages", "p", "package_units", "u")
# Lines of a plan that only head the steps below them.
HEADINGS = (
    "SCALAR SUBQUERY",
    "CORRELATED SCALAR SUBQUERY",
    "COMPOUND QUERY",
    "LEFT-MOST SUBQUERY",
    "UNION ALL",
    # A SELECT of scalar subqueries alone reads no table itself.
    "SCAN CONSTANT ROW",
)
# An account's history sorts its own orders by time (a few hundred at most): the time is the
# order's, kept once, in orders, never copied beside the link.
SORTS_ONE_ACCOUNT = {
    "linked_orders",
    "search_linked_part",
    "search_linked_category",
    "search_linked_vehicle",
}


def parameter_count(sql: str) -> int:
    """How many values ``sql`` binds: its count of ``?`` (no statement numbers them:
    Python 3.12 deprecates binding ``?N`` from a sequence)."""
    assert not re.search(r"\?[0-9]", sql), sql
    return sql.count("?")


def plan(storage: SqliteStorage, sql: str) -> list[str]:
    with storage.unit_of_work() as uow:
        connection = uow._connection
        assert connection is not None
        rows = connection.execute("EXPLAIN QUERY PLAN " + sql, (1,) * parameter_count(sql))
        return [detail for *_ids, detail in rows]


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_no_query_scans_a_table(sqlite_storage: SqliteStorage, name: str) -> None:
    """Each step is a SEARCH through a primary key or index, or a scan of a partial index
    (a scalar subquery or a compound query's part is only the heading of the steps that
    follow it)."""
    for step in plan(sqlite_storage, QUERIES[name]):
        if step.startswith(HEADINGS):
            continue
        assert not any(step == f"SCAN {table}" for table in ORDER_TABLES), step
        partial = ("USING INDEX outbox_pending", "USING INDEX outbox_dead")
        if step == "USE TEMP B-TREE FOR ORDER BY" and name in SORTS_ONE_ACCOUNT:
            continue
        assert step.startswith("SEARCH") or any(index in step for index in partial), step
        assert "TEMP B-TREE" not in step, step


@pytest.mark.parametrize("name", ["get_order", "get_order_for_contact"])
def test_an_order_is_read_in_one_statement_through_primary_keys(
    sqlite_storage: SqliteStorage, name: str
) -> None:
    """get() reads the order, its lines and its packages' units in one statement, each
    table through its primary key by the order number."""
    searches = [s for s in plan(sqlite_storage, QUERIES[name]) if s.startswith("SEARCH")]
    assert searches == [
        "SEARCH o USING PRIMARY KEY (number=?)",
        "SEARCH o USING PRIMARY KEY (number=?)",
        "SEARCH l USING PRIMARY KEY (order_number=?)",
        "SEARCH o USING PRIMARY KEY (number=?)",
        "SEARCH u USING PRIMARY KEY (order_number=?)",
        "SEARCH p USING PRIMARY KEY (order_number=? AND position=?)",
    ]


@pytest.mark.parametrize("name", ["recent", "search_part", "search_category"])
def test_shopper_queries_walk_the_email_index(sqlite_storage: SqliteStorage, name: str) -> None:
    """recent() and search() read one shopper's orders, newest first, from orders_by_email."""
    steps = plan(sqlite_storage, QUERIES[name])
    assert steps[0].startswith("SEARCH")
    assert "USING INDEX orders_by_email (email_key=?" in steps[0]


@pytest.mark.parametrize("name", ["search_part", "search_category"])
def test_search_reads_lines_by_primary_key(sqlite_storage: SqliteStorage, name: str) -> None:
    """The lines of each walked order are found by primary key, not by scanning."""
    assert plan(sqlite_storage, QUERIES[name])[1] == "SEARCH l USING PRIMARY KEY (order_number=?)"


def test_the_outbox_reads_only_pending_messages(sqlite_storage: SqliteStorage) -> None:
    """due(), pending() and pending_count() use the partial index of the waiting
    messages; dead() the partial index of the dead letters."""
    for name in ("due", "pending", "pending_count"):
        assert all("outbox_pending" in step for step in plan(sqlite_storage, QUERIES[name]))
    assert all("outbox_dead" in step for step in plan(sqlite_storage, QUERIES["dead"]))


def test_store_credit_reads_one_holder_through_its_indexes(sqlite_storage: SqliteStorage) -> None:
    """A balance is summed from the covering (holder, currency, amount) index alone, and the
    ledger is listed newest first in the order of its index; the next ``seq`` is one seek."""
    assert plan(sqlite_storage, QUERIES["credit_amounts"]) == [
        "SEARCH store_credit USING COVERING INDEX store_credit_balance (holder=? AND currency=?)"
    ]
    assert plan(sqlite_storage, QUERIES["credit_entries"]) == [
        "SEARCH store_credit USING INDEX store_credit_by_holder (holder=?)"
    ]
    assert plan(sqlite_storage, QUERIES["credit_exists"]) == [
        "SEARCH store_credit USING PRIMARY KEY (entry_id=?)"
    ]
    assert "COVERING INDEX" in plan(sqlite_storage, QUERIES["append_credit"])[1]


def test_return_documents_are_read_through_the_primary_key(sqlite_storage: SqliteStorage) -> None:
    """One RMA's documents are one range of the primary key, for reading and for the next
    position."""
    for name in ("documents_for_rma", "put_document"):
        steps = [s for s in plan(sqlite_storage, QUERIES[name]) if s.startswith("SEARCH")]
        assert steps == ["SEARCH return_documents USING PRIMARY KEY (rma_number=?)"]


@pytest.mark.parametrize("name", sorted(SORTS_ONE_ACCOUNT))
def test_an_accounts_history_reads_its_links_then_each_order_by_primary_key(
    sqlite_storage: SqliteStorage, name: str
) -> None:
    """The history and its search start from the account's links (order_links_by_account)
    and read each order and its lines through the primary keys: the sort is of one
    account's orders, never of the store's."""
    steps = plan(sqlite_storage, QUERIES[name])
    assert steps[:2] == [
        "SEARCH k USING COVERING INDEX order_links_by_account (account_id=?)",
        "SEARCH o USING PRIMARY KEY (number=?)",
    ]
    assert steps[-1] == "USE TEMP B-TREE FOR ORDER BY"


def test_a_search_by_vehicle_seeks_each_orders_lines_of_the_vehicle(
    sqlite_storage: SqliteStorage,
) -> None:
    """The search by vehicle reads each linked order's lines of that vehicle with one seek
    of the partial index order_lines_by_vehicle, never the order's other lines."""
    assert plan(sqlite_storage, QUERIES["search_linked_vehicle"])[2] == (
        "SEARCH l USING INDEX order_lines_by_vehicle "
        "(order_number=? AND vehicle_key>? AND vehicle_key<?)"
    )


@pytest.mark.parametrize(
    ("name", "index"),
    [
        ("account_by_email", "INDEX accounts_by_email (email_key=?)"),
        ("end_tokens_of_purpose", "INDEX account_tokens_by_account (account_id=? AND purpose=?)"),
        ("end_sessions", "INDEX account_sessions_by_account (account_id=?)"),
        ("open_sessions", "INDEX account_sessions_by_account (account_id=?)"),
        ("events", "INDEX security_events_by_account (account_id=?)"),
        ("unlinked_orders", "INDEX orders_by_email (email_key=?)"),
    ],
)
def test_account_queries_read_the_index_made_for_them(
    sqlite_storage: SqliteStorage, name: str, index: str
) -> None:
    """A live account by its address, an account's unused tokens, live sessions and log,
    and an address's unlinked orders are each one seek of their own (partial) index; the
    log and the unlinked orders come in index order, never sorted."""
    steps = plan(sqlite_storage, QUERIES[name])
    assert steps[0].endswith(index), steps
    assert not any("TEMP B-TREE" in step for step in steps)


def test_a_session_is_read_with_its_account_by_two_primary_keys(
    sqlite_storage: SqliteStorage,
) -> None:
    """A page view's session check (and the account page's whole read) is two
    primary-key seeks in one statement: the session by its id hash, then its account by
    id."""
    for name in ("get_session_with_account", "session_check"):
        assert plan(sqlite_storage, QUERIES[name]) == [
            "SEARCH s USING PRIMARY KEY (id_hash=?)",
            "SEARCH a USING PRIMARY KEY (account_id=?) LEFT-JOIN",
        ], name


#: The statements of the whole Profile page (``shopper.profile()``), each with its first
#: step: one seek of the account's (or the credit holder's) rows.
PROFILE_PAGE = {
    "saved_addresses": (
        _sql.SAVED_ADDRESSES,
        "SEARCH saved_addresses USING PRIMARY KEY (account_id=?)",
    ),
    "order_addresses": (
        _sql.ORDER_ADDRESSES,
        "SEARCH k USING COVERING INDEX order_links_by_account (account_id=?)",
    ),
    "garage": (_sql.GARAGE, "SEARCH garage_vehicles USING PRIMARY KEY (account_id=?)"),
    "get_account": (_sql.GET_ACCOUNT, "SEARCH accounts USING PRIMARY KEY (account_id=?)"),
    "linked_email_keys": (
        _LINKED_EMAIL_KEYS,
        "SEARCH k USING COVERING INDEX order_links_by_account (account_id=?)",
    ),
    "credit_balances": (
        _CREDIT_BALANCE_ROWS,
        "SEARCH store_credit USING COVERING INDEX store_credit_balance (holder=?)",
    ),
    "credit_entries": (
        _sql.CREDIT_ENTRIES,
        "SEARCH store_credit USING INDEX store_credit_by_holder (holder=?)",
    ),
    "discount_codes": (
        _CODES_OF,
        "SEARCH discount_codes USING INDEX discount_codes_by_account (account_id=?)",
    ),
    "part_watches": (_PART_WATCHES, "SEARCH part_watches USING PRIMARY KEY (account_id=?)"),
    "mail_subscriptions": (
        _sql.MAIL_SUBSCRIPTIONS,
        "SEARCH mail_subscriptions USING PRIMARY KEY (account_id=?)",
    ),
}


@pytest.mark.parametrize("name", sorted(PROFILE_PAGE))
def test_the_profile_page_reads_each_list_by_its_account(
    sqlite_storage: SqliteStorage, name: str
) -> None:
    """Each statement of the whole Profile page is one seek of the account's (or the
    credit holder's) rows, then each order by its primary key; a sort or a distinct is
    only of that one account's few rows (the policy's bounds: 20 addresses, 10 vehicles,
    50 watches, 50 orders' addresses)."""
    statement, first = PROFILE_PAGE[name]
    first_step, *rest = plan(sqlite_storage, statement)
    assert first_step == first, first_step
    for step in rest:
        assert step in (
            "SEARCH o USING PRIMARY KEY (number=?)",
            "USE TEMP B-TREE FOR ORDER BY",
            "USE TEMP B-TREE FOR DISTINCT",
        ), step


def test_a_reports_alerts_are_written_from_one_seek_of_the_parts_watches(
    sqlite_storage: SqliteStorage,
) -> None:
    """A report of a part back in stock reads the part's watches in the alerts' order
    from part_watches_by_part (no sort, for 10,000 watchers), each account by its primary
    key, and deletes them through the same index."""
    assert plan(sqlite_storage, _QUEUE_ALERTS) == [
        "CO-ROUTINE (subquery-2)",
        "SEARCH w USING INDEX part_watches_by_part (part_key=?)",
        "SEARCH a USING PRIMARY KEY (account_id=?)",
        "SCAN (subquery-2)",  # the numbered rows of the window, in the order read
    ]
    assert plan(sqlite_storage, _UNWATCH_PART) == [
        "SEARCH part_watches USING COVERING INDEX part_watches_by_part (part_key=?)"
    ]
