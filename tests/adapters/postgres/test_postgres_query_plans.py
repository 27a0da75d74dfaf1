"""Every repository query is answered through an index: none scans a table, every index
scan seeks (it has an index condition; only the outbox's partial index of unsent messages
is walked whole, being the backlog itself), and the newest-first and oldest-first queries
read their index in order (no sort), so that LIMIT stops the walk early.

The plans are those of a schema with realistic statistics (20,000 orders of 4,000
shoppers, 60,000 lines, an outbox of 20,000 messages of which 100 are unsent, 5,000 guest
passes, 20,000 store-credit entries of 4,000 holders in two currencies, 6,000 return
documents of 2,000 RMAs, whose numbers grow with time and whose documents are put together
by one label job), filled by SQL on the server and ANALYZE'd: on empty tables the planner's choices
say nothing. Each query is planned with its parameters (a custom plan) and as a prepared
statement's generic plan, as psycopg runs it after a few executions.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import psycopg
import pytest
from psycopg.types.json import Jsonb

from orderstatus_postgres import PostgresStorage
from orderstatus_postgres._sql import QUERIES
from orderstatus_postgres._watches import _HOLD_WATCHES, _QUEUE_ALERTS
from support.pg_helpers import admin_connection, schema_url

ORDERED = {
    "recent",
    "unlinked_orders",
    "events",
    "search_part",
    "search_category",
    "due",
    "pending",
    "dead",
    "claim",
    "latest_challenge",
    "credit_entries",
}
T = datetime(2026, 11, 1, tzinfo=UTC)
PARAMETERS: dict[str, Any] = {
    "get_order": ("100001",),
    "get_order_for_contact": ("100001", "jane@example.com", "+14155552671"),
    "count_tries": ("100001", "Challenge-000000000001"),
    "recent": ("jane@example.com", 10),
    "search_part": {
        "email_key": "jane@example.com",
        "after_at": "infinity",
        "after_number": "",
        "limit": 10,
        "part_key": "bp1234",
    },
    "search_category": {
        "email_key": "jane@example.com",
        "after_at": T,
        "after_number": "100001",
        "limit": 10,
        "category_key": "brake",
        "low": "brake\x1f",
        "high": "brake ",
    },
    "save_order": {
        "placed_at": T,
        "email": "jane@example.com",
        "email_key": "jane@example.com",
        "phone": None,
        "currency": "USD",
        "ship_name": "n",
        "ship_line1": "l",
        "ship_line2": None,
        "ship_city": "c",
        "ship_region": None,
        "ship_postal_code": "p",
        "ship_country": "US",
        "shipping": 1,
        "tax": 1,
        "version": 2,
        "shipping_speed": "standard",
        "activity": None,
        "number": "100001",
        "expected_version": 1,
    },
    "stored_numbers": (["100001", "100002"],),
    "due": (T, 10),
    "claim": {"now": T, "limit": 10, "lease": T},
    "pending_count": None,
    "pending": (10,),
    "dead": (10,),
    "get_message": ("m1",),
    "kind_and_payload_for_update": ("m1",),
    "mark_sent": (T, Jsonb({"kind": "order_list"}), "m1"),
    "mark_sent_as_is": (T, "m1"),
    "mark_failed": (T, "down", "m1"),
    "mark_dead": ("550 no such user", T, "m1"),
    "retry_dead": (T, "m1"),
    "release_message": (T, "m1", T),
    "drop_message": ("m1",),
    "get_challenge": ("s",),
    "save_challenge": ("123", "c", "l", T, T, 3, False, "s"),
    "latest_challenge": ("123",),
    "get_pass": ("s",),
    "get_reply": ("k",),
    "append_credit": {
        "entry_id": "refund:100001:R1",
        "holder": "shopper1@example.com",
        "currency": "USD",
        "amount": Decimal("-5.00"),
        "at": T,
        "reference": "r",
    },
    "credit_balance": ("shopper1@example.com", "USD"),
    "credit_entries": ("shopper1@example.com", 10),
    "put_document": (
        "RMA-000001",
        "RMA-000001-label.pdf",
        "100001",
        "pdf",
        "application/pdf",
        b"%PDF",
    ),
    "documents_for_rma": ("RMA-000001",),
    "get_account": ("acct-000001",),
    "account_by_email": ("shopper1@example.com",),
    "verified_accounts": (["shopper1@example.com", "shopper2@example.com"],),
    "preferred_language": ("shopper1@example.com", "100001"),
    "save_account": (
        "Shopper1@example.com",
        "shopper1@example.com",
        "active",
        T,
        "en",
        None,
        T,
        None,
        1,
        0,
        2,
        "acct-000001",
        1,
        "active",
        "shopper1@example.com",
        "acct-000001",
    ),
    "get_token": ("token-000001",),
    "use_token": (T, "token-000001"),
    "count_token_try": ("token-000001",),
    "end_tokens": (T, "acct-000001", ["reset_password", "change_email"]),
    "order_link": ("000000001",),
    "linked_orders": {
        "account_id": "acct-000001",
        "after_at": "infinity",
        "after_number": "",
        "limit": 10,
    },
    "search_linked_part": {
        "account_id": "acct-000001",
        "after_at": "infinity",
        "after_number": "",
        "limit": 10,
        "part_key": "bp1234",
    },
    "search_linked_category": {
        "account_id": "acct-000001",
        "after_at": T,
        "after_number": "100001",
        "limit": 10,
        "category_key": "brake",
        "low": "brake\x1f",
        "high": "brake ",
    },
    "search_linked_vehicle": {
        "account_id": "acct-000001",
        "after_at": "infinity",
        "after_number": "",
        "limit": 10,
        "low": "2019\x1fford\x1ff-150\x1f",
        "high": "2019\x1fford\x1ff-150 ",
    },
    "unlinked_orders": ("shopper1@example.com", 10),
    "unlink_all": ("acct-000001",),
    "unlink_order": ("100001",),
    "failed_logins": ("f" * 64,),
    "events": ("acct-000001", 10),
    "get_session": ("h" * 64,),
    "get_session_with_account": ("h" * 64,),
    "session_check": {
        "now": T,
        "idle": timedelta(minutes=30),
        "touch": timedelta(minutes=1),
        "id_hash": "h" * 64,
    },
    "touch_session": (T, "h" * 64, T),
    "end_session": (T, "h" * 64),
    "end_sessions": (T, "acct-000001", ""),
    "open_sessions": ("acct-000001",),
    "consume_captcha": (T, "captcha-000001", T),
}


FILL = (
    """INSERT INTO orders (number, placed_at, email, email_key, phone, currency, ship_name,
        ship_line1, ship_city, ship_postal_code, ship_country, shipping, tax, version,
        shipping_speed)
    SELECT lpad(i::text, 9, '0'), timestamptz '2025-01-01' + i * interval '17 minutes',
        'shopper' || i % 4000 || '@example.com', 'shopper' || i % 4000 || '@example.com',
        NULL, 'USD', 'N', 'L', 'C', 'P', 'US', 5, 1, 1, 'standard'
    FROM generate_series(1, 20000) AS i""",
    """INSERT INTO order_lines (order_number, line_no, position, part_number, part_key,
        brand, category, category_key, description, quantity, unit_price, core_charge,
        returnable, warranty_months, cancelled, returned, vehicle, vehicle_key)
    SELECT lpad(i::text, 9, '0'), n, n - 1, 'BP-' || (i * n) % 5000, 'bp' || (i * n) % 5000,
        'B', 'Brake', 'brake' || chr(31) || (i % 50), 'D', 1, 9.99, 0, true, 0, 0, 0,
        CASE WHEN n = 1 THEN (2000 + i % 20) || chr(31) || 'Ford' || chr(31) || 'F-150'
            || chr(31) || '5.0L V8' || chr(31) || chr(31) END,
        CASE WHEN n = 1 THEN (2000 + i % 20) || chr(31) || 'ford' || chr(31) || 'f-150'
            || chr(31) || '5.0l v8' END
    FROM generate_series(1, 20000) AS i, generate_series(1, 3) AS n""",
    """INSERT INTO packages (order_number, position, package_id, warehouse)
    SELECT lpad(i::text, 9, '0'), 0, 'P1', 'Reno, NV' FROM generate_series(1, 20000, 2) AS i""",
    """INSERT INTO package_units (order_number, package_position, position, line_no, quantity)
    SELECT lpad(i::text, 9, '0'), 0, 0, 1, 1 FROM generate_series(1, 20000, 2) AS i""",
    """INSERT INTO outbox (message_id, created_at, kind, payload, attempts, sent_at)
    SELECT md5(i::text), timestamptz '2025-01-01' + i * interval '1 minute', 'order_list',
        '{}', 0, CASE WHEN i <= 19900 THEN timestamptz '2026-01-01' END
    FROM generate_series(1, 20000) AS i""",
    """INSERT INTO guest_pass_challenges (selector, order_number, code_hash, link_hash,
        issued_at, expires_at, tries_left, used)
    SELECT md5(i::text), lpad((i % 20000)::text, 9, '0'), 'c', 'l',
        timestamptz '2026-01-01' + i * interval '1 minute',
        timestamptz '2026-01-01' + i * interval '1 minute', 3, false
    FROM generate_series(1, 5000) AS i""",
    """INSERT INTO guest_pass_tries (order_number, selector, at)
    SELECT lpad((i % 20000)::text, 9, '0'), md5((i % 5000)::text),
        timestamptz '2026-01-01' + i * interval '1 second'
    FROM generate_series(1, 20000) AS i""",
    """INSERT INTO guest_passes (selector, validator_hash, order_number, issued_at, expires_at)
    SELECT md5(i::text), 'v', lpad(i::text, 9, '0'), timestamptz '2026-01-01',
        timestamptz '2026-01-02'
    FROM generate_series(1, 5000) AS i""",
    """INSERT INTO idempotent_replies (key, fingerprint, reply, created_at)
    SELECT md5(i::text), 'f', '{}', timestamptz '2026-01-01' FROM generate_series(1, 5000) AS i""",
    """INSERT INTO store_credit (entry_id, holder, currency, amount, at, reference)
    SELECT 'e' || i, 'shopper' || i % 4000 || '@example.com', (ARRAY['USD', 'EUR'])[i % 2 + 1],
        CASE WHEN i % 3 = 0 THEN -1 ELSE 5 END, timestamptz '2026-01-01' + i * interval '1 hour',
        'r'
    FROM generate_series(1, 20000) AS i""",
    """INSERT INTO return_documents (rma_number, filename, order_number, format, media_type,
        content)
    SELECT 'RMA-' || lpad((i / 3)::text, 6, '0'), 'file-' || i || '.pdf',
        lpad((i / 3)::text, 9, '0'), 'pdf', 'application/pdf', '\\x255044462d'::bytea
    FROM generate_series(1, 6000) AS i""",
    # An account for each shopper but every tenth; their orders joined them but a quarter.
    """INSERT INTO accounts (account_id, email, email_key, state, created_at, language,
        verified_at, failed_logins, credential_epoch, version)
    SELECT 'acct-' || lpad(i::text, 6, '0'), 'shopper' || i || '@example.com',
        'shopper' || i || '@example.com', CASE WHEN i % 50 = 0 THEN 'deleted' ELSE 'active' END,
        timestamptz '2025-01-01', 'en', timestamptz '2025-01-01', 0, 0, 1
    FROM generate_series(1, 4000) AS i WHERE i % 10 <> 0""",
    """INSERT INTO order_links (order_number, account_id, linked_at, linked_by)
    SELECT lpad(i::text, 9, '0'), 'acct-' || lpad((i % 4000)::text, 6, '0'),
        timestamptz '2026-01-01', 'verified_email'
    FROM generate_series(1, 20000) AS i WHERE i % 4 <> 0 AND (i % 4000) % 10 <> 0""",
    """INSERT INTO account_tokens (selector, secret_hash, account_id, purpose, issued_at,
        expires_at, credential_epoch, by_code, payload, used_at, tries)
    SELECT 'token-' || lpad(i::text, 6, '0'), md5(i::text),
        'acct-' || lpad((i % 4000)::text, 6, '0'),
        (ARRAY['verify_email', 'reset_password', 'set_password'])[i % 3 + 1],
        timestamptz '2026-01-01', timestamptz '2026-01-02', 0, false, NULL,
        CASE WHEN i % 2 = 0 THEN timestamptz '2026-01-01' END, 0
    FROM generate_series(1, 8000) AS i""",
    """INSERT INTO account_sessions (id_hash, account_id, remember, created_at, last_seen_at,
        expires_at, reauthenticated_at, ended_at)
    SELECT md5(i::text) || md5((-i)::text), 'acct-' || lpad((i % 4000)::text, 6, '0'),
        i % 3 = 0, timestamptz '2026-01-01', timestamptz '2026-01-01',
        timestamptz '2026-01-15', timestamptz '2026-01-01',
        CASE WHEN i % 2 = 0 THEN timestamptz '2026-01-02' END
    FROM generate_series(1, 8000) AS i""",
    # Failed log-ins of a few thousand addresses, with an account or without.
    """INSERT INTO login_failures (failure_key, failures, last_at)
    SELECT md5(i::text) || md5((-i)::text), i % 100 + 1, timestamptz '2026-01-01'
    FROM generate_series(1, 6000) AS i""",
    """INSERT INTO security_events (kind, at, account_id, masked_email, client)
    SELECT 'logged_in', timestamptz '2026-01-01' + i * interval '1 minute',
        'acct-' || lpad((i % 4000)::text, 6, '0'), 's•••@example.com', '203.0.113.7'
    FROM generate_series(1, 20000) AS i""",
    """INSERT INTO captcha_challenges (challenge_id, answer_hash, issued_at, expires_at,
        used_at)
    SELECT 'captcha-' || lpad(i::text, 6, '0'), md5(i::text), timestamptz '2026-01-01',
        timestamptz '2026-01-01' + i * interval '1 second', NULL
    FROM generate_series(1, 5000) AS i""",
    # 4,000 accounts each watching 5 of 200 parts: 100 watchers a part.
    """INSERT INTO part_watches (account_id, part_key, part_number, watched_at)
    SELECT 'acct-' || lpad((i % 4000)::text, 6, '0'), 'bp' || (i % 200), 'BP-' || (i % 200),
        timestamptz '2026-01-01' + i * interval '1 second'
    FROM generate_series(1, 20000) AS i
    ON CONFLICT DO NOTHING""",
)
# The only index scans allowed to have no index condition: walking the whole backlog.
WALKED = {"outbox_pending", "outbox_dead"}
# Deleting an account's links (its deletion, rare) may visit their few rows through a
# bitmap of its index, which seeks: no table is scanned; so may an import's read of the
# accounts of a batch's addresses (one seek per address).
BITMAPS = {"unlink_all": "order_links_by_account", "verified_accounts": "accounts_by_email"}
USES = {
    "get_order": {"orders_pkey", "order_lines_pkey", "packages_pkey", "package_units_pkey"},
    "get_order_for_contact": {
        "orders_pkey",
        "order_lines_pkey",
        "packages_pkey",
        "package_units_pkey",
    },
    "recent": {"orders_by_email"},
    "search_part": {"orders_by_email", "order_lines_pkey"},
    "search_category": {"orders_by_email", "order_lines_pkey"},
    "save_order": {"orders_pkey", "order_lines_pkey", "packages_pkey", "package_units_pkey"},
    "stored_numbers": {"orders_pkey"},
    "due": {"outbox_pending"},
    "claim": {"outbox_pending", "outbox_pkey"},
    "pending_count": {"outbox_pending"},
    "pending": {"outbox_pending"},
    "dead": {"outbox_dead"},
    "get_message": {"outbox_pkey"},
    "kind_and_payload_for_update": {"outbox_pkey"},
    "mark_sent": {"outbox_pkey"},
    "mark_sent_as_is": {"outbox_pkey"},
    "mark_failed": {"outbox_pkey"},
    "mark_dead": {"outbox_pkey"},
    # The message id is in the dead letters' own index, which is the smaller one.
    "retry_dead": {"outbox_dead"},
    "release_message": {"outbox_pkey"},
    "drop_message": {"outbox_pkey"},
    "get_challenge": {"guest_pass_challenges_pkey"},
    "save_challenge": {"guest_pass_challenges_pkey"},
    "latest_challenge": {"guest_pass_challenges_by_order"},
    "count_tries": {"guest_pass_tries_by_challenge"},
    "get_pass": {"guest_passes_pkey"},
    "get_reply": {"idempotent_replies_pkey"},
    "append_credit": {"store_credit_pkey", "store_credit_balance"},
    "credit_balance": {"store_credit_balance"},
    "credit_entries": {"store_credit_by_holder"},
    "put_document": set(),
    "documents_for_rma": {"return_documents_pkey"},
    "get_account": {"accounts_pkey"},
    "account_by_email": {"accounts_by_email"},
    "verified_accounts": {"accounts_by_email"},
    "save_account": {"accounts_pkey", "accounts_by_email"},
    "get_token": {"account_tokens_pkey"},
    "use_token": {"account_tokens_pkey"},
    "count_token_try": {"account_tokens_pkey"},
    "end_tokens": {"account_tokens_by_account"},
    "order_link": {"order_links_pkey"},
    # The address's account by its key, else the order's link and its account by theirs.
    "preferred_language": {"accounts_by_email", "order_links_pkey", "accounts_pkey"},
    # One account's links, then each order by its primary key (and its lines by theirs).
    "linked_orders": {"order_links_by_account", "orders_pkey"},
    "search_linked_part": {"order_links_by_account", "orders_pkey", "order_lines_pkey"},
    "search_linked_category": {"order_links_by_account", "orders_pkey", "order_lines_pkey"},
    # ... and by vehicle, each order's lines of the vehicle by the partial vehicle index.
    "search_linked_vehicle": {"order_links_by_account", "orders_pkey", "order_lines_by_vehicle"},
    "unlinked_orders": {"orders_by_email", "order_links_pkey"},
    "unlink_all": {"order_links_by_account"},
    "unlink_order": {"order_links_pkey"},
    "failed_logins": {"login_failures_pkey"},
    "events": {"security_events_by_account"},
    "get_session": {"account_sessions_pkey"},
    "get_session_with_account": {"account_sessions_pkey", "accounts_pkey"},
    "session_check": {"account_sessions_pkey", "accounts_pkey"},
    "touch_session": {"account_sessions_pkey"},
    "end_session": {"account_sessions_pkey"},
    "end_sessions": {"account_sessions_by_account"},
    "open_sessions": {"account_sessions_by_account"},
    "consume_captcha": {"captcha_challenges_pkey"},
}


@pytest.fixture(scope="module")
def planner(pg_schema: str) -> Iterator[psycopg.Connection[Any]]:
    """A connection on a schema of this module, filled and ANALYZE'd; dropped after."""
    schema = pg_schema + "_plans"
    storage = PostgresStorage.from_url(schema_url(schema))
    storage.migrate()
    storage.close()
    with admin_connection(schema) as connection:
        for statement in FILL:
            connection.execute(statement)
        connection.execute("VACUUM ANALYZE")  # what autovacuum does after a bulk load
        _wait_until_all_visible(connection, schema)
        yield connection
    with admin_connection() as connection:
        connection.execute(f"DROP SCHEMA {schema} CASCADE")


_NOT_ALL_VISIBLE = """SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = %s AND c.relkind = 'r' AND c.relallvisible < c.relpages"""


def _wait_until_all_visible(connection: psycopg.Connection[Any], schema: str) -> None:
    """VACUUM again until every page of the schema's tables is marked all-visible.

    A transaction open elsewhere in the database (another test worker's, under xdist)
    keeps VACUUM from marking the fresh rows visible to all; the planner then costs an
    index-only scan as heap reads and picks a bitmap scan and a sort, which is not the plan
    a quiet database runs. Wait for that transaction to end, as autovacuum would.
    """
    deadline = time.monotonic() + 120
    while True:
        row = connection.execute(_NOT_ALL_VISIBLE, (schema,)).fetchone()
        if row is not None and row[0] == 0:
            return
        if time.monotonic() > deadline:
            pytest.fail(f"VACUUM could not mark {schema}'s tables all-visible in 120 s")
        time.sleep(0.2)
        connection.execute("VACUUM")


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", ()):
        yield from nodes(child)


def plan_of(connection: psycopg.Connection[Any], name: str, generic: bool) -> list[dict[str, Any]]:
    connection.execute(
        "SET plan_cache_mode = " + ("force_generic_plan" if generic else "force_custom_plan")
    )
    with connection.transaction(force_rollback=True):  # EXPLAIN of a write plans only
        cursor = connection.execute(
            "EXPLAIN (FORMAT JSON) " + QUERIES[name],
            PARAMETERS[name],
            prepare=generic,
        )
        row = cursor.fetchone()
    assert row is not None
    (document,) = row
    if isinstance(document, str):
        document = json.loads(document)
    return list(nodes(document[0]["Plan"]))


def test_every_query_has_parameters_here() -> None:
    """Each query the adapter names is planned below."""
    assert set(PARAMETERS) == set(QUERIES)


@pytest.mark.parametrize("generic", [False, True], ids=["custom", "generic"])
@pytest.mark.parametrize("name", sorted(QUERIES))
def test_no_query_scans_a_table(planner: psycopg.Connection[Any], name: str, generic: bool) -> None:
    """Every node that reads a table seeks an index (the backlog index is walked whole),
    and the query uses the indexes it was designed for."""
    plan = plan_of(planner, name, generic)
    for node in plan:
        kind = node["Node Type"]
        if kind == "Bitmap Heap Scan" and name in BITMAPS:
            [index] = node["Plans"]
            assert (index["Index Name"], "Index Cond" in index) == (BITMAPS[name], True), node
            continue
        assert kind not in ("Seq Scan", "Bitmap Heap Scan"), (name, node.get("Relation Name"))
        if kind in ("Index Scan", "Index Only Scan"):
            assert "Index Cond" in node or node["Index Name"] in WALKED, (name, node)
    assert {node.get("Index Name") for node in plan} - {None} == USES[name]


def test_every_query_is_planned_here() -> None:
    """Each query the adapter names has its expected indexes listed above."""
    assert set(USES) == set(QUERIES)


@pytest.mark.parametrize("generic", [False, True], ids=["custom", "generic"])
@pytest.mark.parametrize("name", sorted(ORDERED))
def test_ordered_queries_read_their_index_in_order(
    planner: psycopg.Connection[Any], name: str, generic: bool
) -> None:
    """recent, search, due, claim, latest_challenge and the store-credit entries never
    sort: the index order is the answer's order, so LIMIT stops the walk early."""
    kinds = [node["Node Type"] for node in plan_of(planner, name, generic)]
    assert "Sort" not in kinds, (name, kinds)
    assert "Incremental Sort" not in kinds, (name, kinds)


#: A report of a part back in stock: the claim of its watches, then the alerts' statement.
REPORT = {
    "hold_watches": (_HOLD_WATCHES, ("bp7",), {"part_watches_by_part"}),
    "queue_alerts": (
        _QUEUE_ALERTS,
        (
            "bp7",
            "0" * 24,
            T,
            "part_back_in_stock",
            Jsonb({"kind": "part_back_in_stock", "link": "https://shop.example/account/alerts"}),
            "to",
            "part_number",
            "language",
        ),
        {"part_watches_by_part", "accounts_pkey"},
    ),
}


@pytest.mark.parametrize("generic", [False, True], ids=["custom", "generic"])
@pytest.mark.parametrize("name", sorted(REPORT))
def test_a_report_seeks_the_parts_watches_and_each_account(
    planner: psycopg.Connection[Any], name: str, generic: bool
) -> None:
    """The claim and the alerts' statement read only the part's watches, through
    part_watches_by_part (an index scan or a bitmap of it), and each watcher's account by
    its primary key: no table is scanned, however many parts are watched."""
    statement, parameters, indexes = REPORT[name]
    planner.execute(
        "SET plan_cache_mode = " + ("force_generic_plan" if generic else "force_custom_plan")
    )
    with planner.transaction(force_rollback=True):
        row = planner.execute(
            "EXPLAIN (FORMAT JSON) " + statement, parameters, prepare=generic
        ).fetchone()
    assert row is not None
    (document,) = row
    if isinstance(document, str):
        document = json.loads(document)
    plan = list(nodes(document[0]["Plan"]))
    for node in plan:
        assert node["Node Type"] != "Seq Scan", (name, node)
        # A bitmap of the part's rows (100 here) seeks the index too.
        if node["Node Type"] in ("Index Scan", "Index Only Scan", "Bitmap Index Scan"):
            assert "Index Cond" in node, (name, node)
    assert {node.get("Index Name") for node in plan} - {None} == indexes
