"""The SQL of the SQLite adapter: constant text, every value a bound parameter.

Constant text only (SECURITY H), which is also what :mod:`sqlite3`'s statement cache is
keyed by. Reads select their columns in the order of the row types of
:mod:`orderstatus_sql.rows`, so rows are read by name.
"""

from __future__ import annotations

from typing import Final

from orderstatus_sql import statements as portable
from orderstatus_sql.statements import qmark

__all__ = ["QUERIES"]

# get(): the order row, its lines and its packages' units in one statement, so a read is
# one step of SQLite's virtual machine per row and nothing is asked twice. Each row starts
# with its kind (ORDER_ROW, LINE_ROW, UNIT_ROW), then the columns of its row type in
# orderstatus_sql.rows (the order's OrderRow, a line's LineRow, a unit's PackageRow, the
# package's position, the unit's position, line and quantity), padded with NULLs to one
# width. The reader goes by the kind, not by where a row comes, and puts lines and units
# in position order itself: a compound SELECT promises no order, and an ORDER BY here
# would cost a temporary B-tree. Every arm seeks the primary keys by the number and joins
# the order row, so with get_for_contact()'s condition added to each arm, a wrong contact
# returns nothing at all, exactly like an unknown number (SECURITY A6). Measured against
# the three statements it replaces (bench/run.py, 10k orders): 25 instead of 32 us raw,
# and lines and packages as JSON documents (json_group_array, as PostgreSQL reads them)
# cost 32 us with their decoding.
ORDER_ROW: Final = 0
LINE_ROW: Final = 1
UNIT_ROW: Final = 2

_GET_ORDER: Final = """
SELECT {order_row}, o.placed_at, o.email, o.email_key, o.phone, o.currency,
       o.ship_name, o.ship_line1, o.ship_line2, o.ship_city, o.ship_region, o.ship_postal_code,
       o.ship_country, o.shipping, o.tax, o.version, o.shipping_speed, o.activity
FROM orders AS o WHERE o.number = ?{contact}
UNION ALL
SELECT {line_row}, l.line_no, l.part_number, l.part_key, l.brand, l.category, l.category_key,
       l.description, l.quantity, l.unit_price, l.core_charge, l.returnable,
       l.warranty_months, l.cancelled, l.returned, l.position, l.vehicle, NULL
FROM orders AS o JOIN order_lines AS l ON l.order_number = o.number
WHERE o.number = ?{contact}
UNION ALL
SELECT {unit_row}, p.package_id, p.warehouse, p.carrier, p.tracking_number, p.shipped_at,
       p.delivered_at, p.opened_at, p.position, u.position, u.line_no, u.quantity,
       NULL, NULL, NULL, NULL, NULL, NULL
FROM orders AS o
JOIN packages AS p ON p.order_number = o.number
JOIN package_units AS u ON u.order_number = p.order_number AND u.package_position = p.position
WHERE o.number = ?{contact}"""

_KINDS: Final = {"order_row": ORDER_ROW, "line_row": LINE_ROW, "unit_row": UNIT_ROW}

GET_ORDER: Final = _GET_ORDER.format(contact="", **_KINDS)

# get_for_contact(): the same statement, each arm only if the contact matches.
GET_ORDER_FOR_CONTACT: Final = _GET_ORDER.format(
    contact=" AND (o.email_key = ? OR o.phone = ?)", **_KINDS
)

# Plain "?" placeholders, each arm binding its own copies: Python 3.12 deprecates binding
# numbered ones ("?1") from a sequence, and 3.14 refuses it.
_ARMS: Final = 3


def get_order_parameters(number: str) -> tuple[str, ...]:
    """The values ``GET_ORDER`` binds for ``number``."""
    return (number,) * _ARMS


def get_order_for_contact_parameters(number: str, contact: str) -> tuple[str, ...]:
    """The values ``GET_ORDER_FOR_CONTACT`` binds for ``number`` and ``contact``."""
    return (number, contact, contact) * _ARMS


# Search walks the shopper's orders newest first through orders_by_email and, for each,
# reads its lines by primary key (they sit together on one page: WITHOUT ROWID), keeping
# those that match. Python stops reading after the order that fills the page, so the work
# is bounded by one shopper's history, never by the size of the store. EXPLAIN QUERY PLAN
# (asserted in tests/adapters/sqlite/test_sqlite_query_plans.py):
#   SEARCH o USING INDEX orders_by_email (email_key=? AND (placed_at,number)<(?,?))
#   SEARCH l USING PRIMARY KEY (order_number=?)
# with no temporary B-tree: the ORDER BY is the index order.
# Indexes on order_lines(part_key) / (category_key) were tried. The planner never drove a
# search from them (it still starts from orders_by_email; the OR of the category query
# keeps it on the primary key), so they cannot make a search linear in the store, but
# they do not buy much either: with part_key indexed it seeks (part_key, order_number)
# per order instead of reading that order's few lines, 17 instead of 25 us per search at
# 100k orders (about 5 orders per shopper), while every imported line pays for one more
# B-tree insert at a random place (import measured 10-40% slower) and the file grows.
# Bulk import and get() matter more, so neither index exists.
_SEARCH: Final = """
SELECT o.number, o.placed_at, o.email, o.currency,
       l.line_no, l.part_number, l.part_key, l.brand, l.category, l.category_key,
       l.description, l.quantity, l.unit_price, l.core_charge, l.returnable,
       l.warranty_months, l.cancelled, l.returned, l.position, l.vehicle
FROM orders AS o
JOIN order_lines AS l ON l.order_number = o.number
WHERE o.email_key = ? AND (o.placed_at, o.number) < (?, ?)
  AND {match}
ORDER BY o.placed_at DESC, o.number DESC"""

SEARCH_PART: Final = _SEARCH.format(match="l.part_key = ?")

# The category itself, or any key that starts with "category + U+001F" (its children):
# the range [key + U+001F, key + U+0020) of the BINARY (UTF-8 byte) order.
SEARCH_CATEGORY: Final = _SEARCH.format(
    match="(l.category_key = ? OR (l.category_key >= ? AND l.category_key < ?))"
)

INSERT_ORDER: Final = """
INSERT INTO orders (placed_at, email, email_key, phone, currency,
    ship_name, ship_line1, ship_line2, ship_city, ship_region, ship_postal_code, ship_country,
    shipping, tax, version, shipping_speed, activity, number)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

# save(): compare-and-set on the version. The parameters are those of INSERT_ORDER (the
# same columns in the same order, then the number) followed by the version expected to be
# stored; no row matches when another unit saved first or the number is not stored.
SAVE_ORDER: Final = """
UPDATE orders SET placed_at = ?, email = ?, email_key = ?, phone = ?, currency = ?,
    ship_name = ?, ship_line1 = ?, ship_line2 = ?, ship_city = ?, ship_region = ?,
    ship_postal_code = ?, ship_country = ?, shipping = ?, tax = ?, version = ?,
    shipping_speed = ?, activity = ?
WHERE number = ? AND version = ?"""

# Children before the rows they reference (package_units -> packages, order_lines), so the
# foreign keys hold after every statement.
DELETE_UNITS: Final = "DELETE FROM package_units WHERE order_number = ?"
DELETE_PACKAGES: Final = "DELETE FROM packages WHERE order_number = ?"
DELETE_LINES: Final = "DELETE FROM order_lines WHERE order_number = ?"

# add_many(): which of a batch's numbers are stored, STORED_WIDTH at a time. One constant
# text (a short batch is padded with NULL, which matches nothing), so that sqlite3 prepares
# it once; far below the 999 parameters an old SQLite allows.
STORED_WIDTH: Final = 100
STORED_NUMBERS: Final = (
    "SELECT number FROM orders WHERE number IN ("  # noqa: S608 -- placeholders only
    + ", ".join(["?"] * STORED_WIDTH)
    + ")"
)

# verified_accounts(): the active accounts of a batch's email keys, STORED_WIDTH keys at a
# time, padded with NULL like STORED_NUMBERS (one statement text, prepared once). The
# "<> 'deleted'" term is the partial index's own, so that SQLite uses accounts_by_email.
VERIFIED_ACCOUNTS: Final = (
    "SELECT email_key, account_id FROM accounts "  # noqa: S608 -- placeholders only
    "WHERE state <> 'deleted' AND state = 'active' AND email_key IN ("
    + ", ".join(["?"] * STORED_WIDTH)
    + ")"
)

INSERT_LINE: Final = """
INSERT INTO order_lines (order_number, line_no, position, part_number, part_key, brand,
    category, category_key, description, quantity, unit_price, core_charge, returnable,
    warranty_months, cancelled, returned, vehicle, vehicle_key)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"""

INSERT_PACKAGE: Final = """
INSERT INTO packages (order_number, position, package_id, warehouse, carrier,
    tracking_number, shipped_at, delivered_at, opened_at)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"""

INSERT_UNITS: Final = """
INSERT INTO package_units (order_number, package_position, position, line_no, quantity)
VALUES (?, ?, ?, ?, ?)"""


LEASE_MESSAGE: Final = (
    "UPDATE outbox SET next_attempt_at = ? WHERE message_id = ? AND sent_at IS NULL"
)


KIND_AND_PAYLOAD: Final = "SELECT kind, payload FROM outbox WHERE message_id = ?"


# Tries whose challenge is gone, after the challenges (one statement each, same unit).
PURGE_TRIES: Final = """
DELETE FROM guest_pass_tries WHERE at < ? AND NOT EXISTS (
    SELECT 1 FROM guest_pass_challenges AS c
    WHERE c.order_number = guest_pass_tries.order_number AND c.selector = guest_pass_tries.selector
)
"""

# Guest passes: only hashes of codes and validators are ever bound (SECURITY D1).
PUT_CHALLENGE: Final = """
INSERT INTO guest_pass_challenges (selector, order_number, code_hash, link_hash, issued_at,
    expires_at, tries_left, used, seq)
VALUES (?, ?, ?, ?, ?, ?, ?, ?,
    (SELECT coalesce(max(seq), 0) + 1 FROM guest_pass_challenges))"""


INSERT_INTO_PASSES: Final = """
INSERT INTO guest_passes (selector, validator_hash, order_number, issued_at, expires_at)
VALUES (?, ?, ?, ?, ?)"""


# Store credit. Amounts are summed in Python as Decimal: SQLite's sum() of TEXT is a float.
CREDIT_EXISTS: Final = "SELECT 1 FROM store_credit WHERE entry_id = ?"

CREDIT_AMOUNTS: Final = "SELECT amount FROM store_credit WHERE holder = ? AND currency = ?"

# seq: the next number of the ledger's append order (max() is one seek of its UNIQUE index;
# the write lock is held, so no other unit can take the same number).
APPEND_CREDIT: Final = """
INSERT INTO store_credit (entry_id, seq, holder, currency, amount, at, reference)
VALUES (?, (SELECT coalesce(max(seq), 0) + 1 FROM store_credit), ?, ?, ?, ?, ?)"""


# Return papers: a replaced document keeps the position of its first put.
PUT_DOCUMENT: Final = """
INSERT INTO return_documents (rma_number, filename, order_number, format, media_type, content,
    position)
VALUES (?, ?, ?, ?, ?, ?,
    (SELECT coalesce(max(position), -1) + 1 FROM return_documents WHERE rma_number = ?))
ON CONFLICT (rma_number, filename) DO UPDATE SET
    order_number = excluded.order_number, format = excluded.format,
    media_type = excluded.media_type, content = excluded.content"""

# A handful of rows, read through the primary key; the adapter puts them in position order.
DOCUMENTS_FOR_RMA: Final = """
SELECT order_number, format, media_type, filename, content, position
FROM return_documents WHERE rma_number = ?"""


# Accounts. end_tokens(): one statement per purpose (a handful at most), each through
# account_tokens_by_account; the unit sums their row counts.
END_TOKENS_OF_PURPOSE: Final = """
UPDATE account_tokens SET used_at = ?
WHERE account_id = ? AND purpose = ? AND used_at IS NULL"""

# An account's history: its links through order_links_by_account, each order by its
# primary key, one account's orders sorted by time (a few hundred at most). The cursor is
# (placed_at, number) as in search(); _NO_CURSOR sorts after every real order.
LINKED_ORDERS: Final = """
SELECT o.number, o.placed_at, o.email, o.email_key
FROM order_links AS k
JOIN orders AS o ON o.number = k.order_number
WHERE k.account_id = ? AND (o.placed_at, o.number) < (?, ?)
ORDER BY o.placed_at DESC, o.number DESC
LIMIT ?"""

# search_linked(): search()'s rows for the orders linked to an account, with each order's
# own email key after its SearchHead columns (orderstatus_sql.rows.LinkedSearchHead).
_SEARCH_LINKED: Final = """
SELECT o.number, o.placed_at, o.email, o.currency, o.email_key,
       l.line_no, l.part_number, l.part_key, l.brand, l.category, l.category_key,
       l.description, l.quantity, l.unit_price, l.core_charge, l.returnable,
       l.warranty_months, l.cancelled, l.returned, l.position, l.vehicle
FROM order_links AS k
JOIN orders AS o ON o.number = k.order_number
JOIN order_lines AS l ON l.order_number = o.number
WHERE k.account_id = ? AND (o.placed_at, o.number) < (?, ?)
  AND {match}
ORDER BY o.placed_at DESC, o.number DESC"""

SEARCH_LINKED_PART: Final = _SEARCH_LINKED.format(match="l.part_key = ?")

SEARCH_LINKED_CATEGORY: Final = _SEARCH_LINKED.format(
    match="(l.category_key = ? OR (l.category_key >= ? AND l.category_key < ?))"
)

# By vehicle: one range of vehicle_key (orderstatus_sql.search.vehicle_range), which
# implies vehicle_key IS NOT NULL, so each linked order's lines of the vehicle are one seek
# of the partial index order_lines_by_vehicle (asserted in the query-plan tests); an order
# without such a line reads no line at all.
SEARCH_LINKED_VEHICLE: Final = _SEARCH_LINKED.format(
    match="l.vehicle_key >= ? AND l.vehicle_key < ?"
)


# The statements both adapters run word for word (orderstatus_sql.statements).
RECENT: Final = qmark(portable.RECENT)
PUT_MESSAGE: Final = qmark(portable.PUT_MESSAGE)
DUE: Final = qmark(portable.DUE)
PENDING: Final = qmark(portable.PENDING)
DEAD: Final = qmark(portable.DEAD)
GET_MESSAGE: Final = qmark(portable.GET_MESSAGE)
MARK_SENT: Final = qmark(portable.MARK_SENT)
MARK_SENT_AS_IS: Final = qmark(portable.MARK_SENT_AS_IS)
MARK_FAILED: Final = qmark(portable.MARK_FAILED)
MARK_DEAD: Final = qmark(portable.MARK_DEAD)
RETRY_DEAD: Final = qmark(portable.RETRY_DEAD)
RELEASE_MESSAGE: Final = qmark(portable.RELEASE_MESSAGE)
DROP_MESSAGE: Final = qmark(portable.DROP_MESSAGE)
PENDING_COUNT: Final = qmark(portable.PENDING_COUNT)
PURGE_SENT: Final = qmark(portable.PURGE_SENT)
PURGE_CHALLENGES: Final = qmark(portable.PURGE_CHALLENGES)
PURGE_PASSES: Final = qmark(portable.PURGE_PASSES)
PURGE_REPLIES: Final = qmark(portable.PURGE_REPLIES)
GET_CHALLENGE: Final = qmark(portable.GET_CHALLENGE)
SAVE_CHALLENGE: Final = qmark(portable.SAVE_CHALLENGE)
LATEST_CHALLENGE: Final = qmark(portable.LATEST_CHALLENGE)
RECORD_TRY: Final = qmark(portable.RECORD_TRY)
COUNT_TRIES: Final = qmark(portable.COUNT_TRIES)
SELECT_FROM_PASSES: Final = qmark(portable.SELECT_FROM_PASSES)
GET_REPLY: Final = qmark(portable.GET_REPLY)
PUT_REPLY: Final = qmark(portable.PUT_REPLY)
CREDIT_ENTRIES: Final = qmark(portable.CREDIT_ENTRIES)
GET_ACCOUNT: Final = qmark(portable.GET_ACCOUNT)
ACCOUNT_BY_EMAIL: Final = qmark(portable.ACCOUNT_BY_EMAIL)
ADD_ACCOUNT: Final = qmark(portable.ADD_ACCOUNT)
SAVE_ACCOUNT: Final = qmark(portable.SAVE_ACCOUNT)
PUT_TOKEN: Final = qmark(portable.PUT_TOKEN)
GET_TOKEN: Final = qmark(portable.GET_TOKEN)
USE_TOKEN: Final = qmark(portable.USE_TOKEN)
COUNT_TOKEN_TRY: Final = qmark(portable.COUNT_TOKEN_TRY)
PURGE_TOKENS: Final = qmark(portable.PURGE_TOKENS)
LINK_ORDER: Final = qmark(portable.LINK_ORDER)
ORDER_LINK: Final = qmark(portable.ORDER_LINK)
PREFERRED_LANGUAGE: Final = qmark(portable.PREFERRED_LANGUAGE)
UNLINKED_ORDERS: Final = qmark(portable.UNLINKED_ORDERS)
UNLINK_ALL: Final = qmark(portable.UNLINK_ALL)
UNLINK_ORDER: Final = qmark(portable.UNLINK_ORDER)
FAILED_LOGINS: Final = qmark(portable.FAILED_LOGINS)
COUNT_FAILED_LOGIN: Final = qmark(portable.COUNT_FAILED_LOGIN)
CLEAR_FAILED_LOGINS: Final = qmark(portable.CLEAR_FAILED_LOGINS)
FORGET_FAILED_LOGINS: Final = qmark(portable.FORGET_FAILED_LOGINS)
RECORD_EVENT: Final = qmark(portable.RECORD_EVENT)
EVENTS: Final = qmark(portable.EVENTS)
PUT_ADDRESS: Final = qmark(portable.PUT_ADDRESS)
SAVED_ADDRESSES: Final = qmark(portable.SAVED_ADDRESSES)
REMOVE_ADDRESS: Final = qmark(portable.REMOVE_ADDRESS)
ORDER_ADDRESSES: Final = qmark(portable.ORDER_ADDRESSES)
PUT_VEHICLE: Final = qmark(portable.PUT_VEHICLE)
GARAGE: Final = qmark(portable.GARAGE)
REMOVE_VEHICLE: Final = qmark(portable.REMOVE_VEHICLE)
FORGET_ADDRESSES: Final = qmark(portable.FORGET_ADDRESSES)
FORGET_VEHICLES: Final = qmark(portable.FORGET_VEHICLES)
FORGET_SUBSCRIPTIONS: Final = qmark(portable.FORGET_SUBSCRIPTIONS)
SUBSCRIBE: Final = qmark(portable.SUBSCRIBE)
UNSUBSCRIBE: Final = qmark(portable.UNSUBSCRIBE)
MAIL_SUBSCRIPTIONS: Final = qmark(portable.MAIL_SUBSCRIPTIONS)
SUBSCRIBERS: Final = qmark(portable.SUBSCRIBERS)
PUT_SESSION: Final = qmark(portable.PUT_SESSION)
GET_SESSION: Final = qmark(portable.GET_SESSION)
GET_SESSION_WITH_ACCOUNT: Final = qmark(portable.GET_SESSION_WITH_ACCOUNT)
OPEN_SESSIONS: Final = qmark(portable.OPEN_SESSIONS)
# Columns here take any value: a stored time or *remember* that is not a number leaves
# ``live`` NULL, which the decoder refuses (AdapterError), instead of comparing text with
# a number (text sorts after every number: a damaged row must never log anyone in). No
# ``IN`` list: SQLite builds one as a table on every run.
# Placeholders by position (Python 3.12 deprecates ?N from a sequence): now, now,
# idle_timeout, now, touch_interval, id_hash.
SESSION_CHECK: Final = portable.session_check(
    now="?",
    idle="?",
    touch="?",
    key="?",
    sound="typeof(s.expires_at) = 'integer' AND typeof(s.last_seen_at) = 'integer'"
    " AND (s.ended_at IS NULL OR typeof(s.ended_at) = 'integer')"
    " AND typeof(s.remember) = 'integer'",
)
TOUCH_SESSION: Final = qmark(portable.TOUCH_SESSION)
END_SESSION: Final = qmark(portable.END_SESSION)
END_SESSIONS: Final = qmark(portable.END_SESSIONS)
PURGE_SESSIONS: Final = qmark(portable.PURGE_SESSIONS)
PUT_CAPTCHA: Final = qmark(portable.PUT_CAPTCHA)
CONSUME_CAPTCHA: Final = qmark(portable.CONSUME_CAPTCHA)
PURGE_CAPTCHAS: Final = qmark(portable.PURGE_CAPTCHAS)


#: Every repository query with its name, for tests that check the query plans.
QUERIES: Final = {
    "get_order": GET_ORDER,
    "get_order_for_contact": GET_ORDER_FOR_CONTACT,
    "recent": RECENT,
    "search_part": SEARCH_PART,
    "search_category": SEARCH_CATEGORY,
    "due": DUE,
    "pending_count": PENDING_COUNT,
    "pending": PENDING,
    "dead": DEAD,
    "get_message": GET_MESSAGE,
    "kind_and_payload": KIND_AND_PAYLOAD,
    "mark_sent": MARK_SENT,
    "mark_sent_as_is": MARK_SENT_AS_IS,
    "mark_failed": MARK_FAILED,
    "mark_dead": MARK_DEAD,
    "retry_dead": RETRY_DEAD,
    "release_message": RELEASE_MESSAGE,
    "drop_message": DROP_MESSAGE,
    "save_order": SAVE_ORDER,
    "stored_numbers": STORED_NUMBERS,
    "delete_units": DELETE_UNITS,
    "delete_packages": DELETE_PACKAGES,
    "delete_lines": DELETE_LINES,
    "get_challenge": GET_CHALLENGE,
    "save_challenge": SAVE_CHALLENGE,
    "latest_challenge": LATEST_CHALLENGE,
    "count_tries": COUNT_TRIES,
    "get_pass": SELECT_FROM_PASSES,
    "credit_exists": CREDIT_EXISTS,
    "credit_amounts": CREDIT_AMOUNTS,
    "append_credit": APPEND_CREDIT,
    "credit_entries": CREDIT_ENTRIES,
    "put_document": PUT_DOCUMENT,
    "documents_for_rma": DOCUMENTS_FOR_RMA,
    "get_account": GET_ACCOUNT,
    "account_by_email": ACCOUNT_BY_EMAIL,
    "verified_accounts": VERIFIED_ACCOUNTS,
    "save_account": SAVE_ACCOUNT,
    "get_token": GET_TOKEN,
    "use_token": USE_TOKEN,
    "count_token_try": COUNT_TOKEN_TRY,
    "end_tokens_of_purpose": END_TOKENS_OF_PURPOSE,
    "order_link": ORDER_LINK,
    "preferred_language": PREFERRED_LANGUAGE,
    "linked_orders": LINKED_ORDERS,
    "search_linked_part": SEARCH_LINKED_PART,
    "search_linked_category": SEARCH_LINKED_CATEGORY,
    "search_linked_vehicle": SEARCH_LINKED_VEHICLE,
    "unlinked_orders": UNLINKED_ORDERS,
    "unlink_all": UNLINK_ALL,
    "unlink_order": UNLINK_ORDER,
    "failed_logins": FAILED_LOGINS,
    "events": EVENTS,
    "get_session": GET_SESSION,
    "get_session_with_account": GET_SESSION_WITH_ACCOUNT,
    "open_sessions": OPEN_SESSIONS,
    "session_check": SESSION_CHECK,
    "touch_session": TOUCH_SESSION,
    "end_session": END_SESSION,
    "end_sessions": END_SESSIONS,
    "consume_captcha": CONSUME_CAPTCHA,
}
