"""The SQL of the PostgreSQL adapter: constant text, every value a bound parameter.

Some statements are assembled from the column lists below with f-strings at import time;
they are still constants (no input ever reaches SQL text), hence the ``noqa: S608``.

Constant text is also what psycopg's prepared-statement cache is keyed by: after a few
executions on a connection each statement is prepared and only bound and executed.
"""

from __future__ import annotations

from typing import Final

from orderstatus_sql import statements as portable
from orderstatus_sql.statements import (
    COUNT_TRIES as COUNT_TRIES,
)
from orderstatus_sql.statements import (
    CREDIT_ENTRIES as CREDIT_ENTRIES,
)
from orderstatus_sql.statements import (
    DEAD as DEAD,
)
from orderstatus_sql.statements import (
    DROP_MESSAGE as DROP_MESSAGE,
)
from orderstatus_sql.statements import (
    DUE as DUE,
)
from orderstatus_sql.statements import (
    GET_CHALLENGE as GET_CHALLENGE,
)
from orderstatus_sql.statements import (
    GET_MESSAGE as GET_MESSAGE,
)
from orderstatus_sql.statements import (
    GET_REPLY as GET_REPLY,
)
from orderstatus_sql.statements import (
    LATEST_CHALLENGE as LATEST_CHALLENGE,
)
from orderstatus_sql.statements import (
    MARK_DEAD as MARK_DEAD,
)
from orderstatus_sql.statements import (
    MARK_FAILED as MARK_FAILED,
)
from orderstatus_sql.statements import (
    MARK_SENT as MARK_SENT,
)
from orderstatus_sql.statements import (
    MARK_SENT_AS_IS as MARK_SENT_AS_IS,
)
from orderstatus_sql.statements import (
    PENDING as PENDING,
)
from orderstatus_sql.statements import (
    PENDING_COUNT as PENDING_COUNT,
)
from orderstatus_sql.statements import (
    PURGE_CHALLENGES as PURGE_CHALLENGES,
)
from orderstatus_sql.statements import (
    PURGE_PASSES as PURGE_PASSES,
)
from orderstatus_sql.statements import (
    PURGE_REPLIES as PURGE_REPLIES,
)
from orderstatus_sql.statements import (
    PURGE_SENT as PURGE_SENT,
)
from orderstatus_sql.statements import (
    PUT_MESSAGE as PUT_MESSAGE,
)
from orderstatus_sql.statements import (
    PUT_REPLY as PUT_REPLY,
)
from orderstatus_sql.statements import (
    RECENT as RECENT,
)
from orderstatus_sql.statements import (
    RECORD_TRY as RECORD_TRY,
)
from orderstatus_sql.statements import (
    RELEASE_MESSAGE as RELEASE_MESSAGE,
)
from orderstatus_sql.statements import (
    RETRY_DEAD as RETRY_DEAD,
)
from orderstatus_sql.statements import (
    SAVE_CHALLENGE as SAVE_CHALLENGE,
)
from orderstatus_sql.statements import (
    SELECT_FROM_PASSES as SELECT_FROM_PASSES,
)

__all__ = ["QUERIES"]

# --- orders ----------------------------------------------------------------------------------

# get(): the order row with its lines and packages (each package with its units) in ONE
# statement, so that find-order is one round trip. Lines and packages come as JSON arrays in
# their tuple order (position); amounts as numeric text (exact), timestamps as ISO text.
# Each subquery is one range of its table's primary key (order number first). The columns
# are those of the row types of orderstatus_sql.rows (OrderRow, LineRow, PackageRow).
GET_ORDER: Final = """
SELECT o.placed_at, o.email, o.email_key, o.phone, o.currency,
       o.ship_name, o.ship_line1, o.ship_line2, o.ship_city, o.ship_region,
       o.ship_postal_code, o.ship_country, o.shipping::text, o.tax::text, o.version,
       o.shipping_speed, o.activity,
       (SELECT json_agg(json_build_array(
                   l.line_no, l.part_number, l.part_key, l.brand, l.category, l.category_key,
                   l.description, l.quantity, l.unit_price::text, l.core_charge::text,
                   l.returnable, l.warranty_months, l.cancelled, l.returned, l.position,
                   l.vehicle)
                   ORDER BY l.position)
          FROM order_lines AS l
         WHERE l.order_number = o.number) AS lines,
       (SELECT json_agg(json_build_array(
                   p.package_id, p.warehouse, p.carrier, p.tracking_number,
                   p.shipped_at, p.delivered_at, p.opened_at,
                   (SELECT json_agg(json_build_array(u.line_no, u.quantity) ORDER BY u.position)
                      FROM package_units AS u
                     WHERE u.order_number = p.order_number
                       AND u.package_position = p.position))
                   ORDER BY p.position)
          FROM packages AS p
         WHERE p.order_number = o.number) AS packages
FROM orders AS o
WHERE o.number = %s"""

# get_for_contact(): the same statement, with the row only if the contact matches, so an
# unknown number and a wrong contact run one statement that returns nothing.
GET_ORDER_FOR_CONTACT: Final = GET_ORDER + " AND (o.email_key = %s OR o.phone = %s)"

# A write unit's get() first takes this order's lock, then reads with GET_ORDER. Two
# statements, because under READ COMMITTED each statement reads the commits made before it
# *started*: a read in the same statement as the lock wait would see the order as it was
# before the holder of the lock committed. The lock is a transaction-level advisory lock on
# (ORDER_LOCK, hashtext(number)): it exists whether or not the order does, so "add it if it
# is absent" is safe too, and it ends with the transaction.
LOCK_KEY: Final = "SELECT pg_advisory_xact_lock(%s, hashtext(%s))"

_ORDER_COLUMNS: Final = """number, placed_at, email, email_key, phone, currency,
    ship_name, ship_line1, ship_line2, ship_city, ship_region, ship_postal_code, ship_country,
    shipping, tax, version, shipping_speed, activity"""

# The child rows of the orders inserted by the CTE "o", from parallel arrays: one statement
# inserts any number of lines, packages and units of any number of orders. Each row names
# its order (line_order, package_order, unit_order) and goes in only if that order did, so
# that an order "o" skipped (a duplicate) writes no child row either. Foreign keys are
# checked at the end of the statement, when the order rows and the lines the units name
# are in. The arrays travel in binary (%(...)b): psycopg writes an array's text form by
# escaping every element, three times the client's work of the binary form.
_CHILDREN: Final = """
l AS (
    INSERT INTO order_lines (order_number, line_no, position, part_number, part_key, brand,
        category, category_key, description, quantity, unit_price, core_charge, returnable,
        warranty_months, cancelled, returned, vehicle, vehicle_key)
    SELECT x.*
      FROM unnest(%(line_order)b::text[], %(line_no)b::int8[], %(line_position)b::int8[],
                  %(part_number)b::text[], %(part_key)b::text[], %(brand)b::text[],
                  %(category)b::text[], %(category_key)b::text[], %(description)b::text[],
                  %(quantity)b::int8[], %(unit_price)b::numeric[], %(core_charge)b::numeric[],
                  %(returnable)b::bool[], %(warranty_months)b::int8[],
                  %(cancelled)b::int8[], %(returned)b::int8[], %(vehicle)b::text[],
                  %(vehicle_key)b::text[]) AS x (order_number)
     WHERE x.order_number COLLATE "C" IN (SELECT number FROM o)
), p AS (
    INSERT INTO packages (order_number, position, package_id, warehouse, carrier,
        tracking_number, shipped_at, delivered_at, opened_at)
    SELECT x.*
      FROM unnest(%(package_order)b::text[], %(package_position)b::int8[],
                  %(package_id)b::text[], %(warehouse)b::text[], %(carrier)b::text[],
                  %(tracking_number)b::text[], %(shipped_at)b::timestamptz[],
                  %(delivered_at)b::timestamptz[], %(opened_at)b::timestamptz[])
           AS x (order_number)
     WHERE x.order_number COLLATE "C" IN (SELECT number FROM o)
), u AS (
    INSERT INTO package_units (order_number, package_position, position, line_no, quantity)
    SELECT x.*
      FROM unnest(%(unit_order)b::text[], %(unit_package)b::int8[], %(unit_position)b::int8[],
                  %(unit_line_no)b::int8[], %(unit_quantity)b::int8[]) AS x (order_number)
     WHERE x.order_number COLLATE "C" IN (SELECT number FROM o)
)"""

# add(): an order and all its children in one statement (one round trip), from parallel
# arrays (one element per order; the children as in _CHILDREN). ON CONFLICT DO NOTHING
# instead of a unique violation: a violation would abort the whole transaction, and the
# port lets a unit go on after DuplicateOrderError. The count is how many orders went in;
# a skipped one (a duplicate) wrote nothing.
ADD_ORDERS: Final = f"""
WITH o AS (
    INSERT INTO orders ({_ORDER_COLUMNS})
    SELECT * FROM unnest(%(number)b::text[], %(placed_at)b::timestamptz[], %(email)b::text[],
        %(email_key)b::text[], %(phone)b::text[], %(currency)b::text[], %(ship_name)b::text[],
        %(ship_line1)b::text[], %(ship_line2)b::text[], %(ship_city)b::text[],
        %(ship_region)b::text[], %(ship_postal_code)b::text[], %(ship_country)b::text[],
        %(shipping)b::numeric[], %(tax)b::numeric[], %(version)b::int8[],
        %(shipping_speed)b::text[], %(activity)b::jsonb[])
    ON CONFLICT (number) DO NOTHING
    RETURNING number
), {_CHILDREN}
SELECT count(*) FROM o"""  # noqa: S608

# add_many(): which of a batch's numbers are stored, read before the batch is sent.
STORED_NUMBERS: Final = "SELECT number FROM orders WHERE number = ANY(%s::text[])"

# add_many(): the rows of a batch, table by table (the columns of _rows.table_rows()),
# by COPY, in the unit's transaction after STORED_NUMBERS found none of them. COPY has no
# ON CONFLICT: a number another unit stored since is a unique violation of ORDERS_KEY,
# which aborts the transaction (a ConflictError: retry). No savepoint guards the batch:
# each would be a subtransaction, hundreds in an import. Foreign keys are checked at the
# end of each COPY, and each table comes after the rows its rows reference.
COPY_ORDERS: Final = f"COPY orders ({_ORDER_COLUMNS}) FROM STDIN"
COPY_LINES: Final = """COPY order_lines (order_number, line_no, position, part_number, part_key,
    brand, category, category_key, description, quantity, unit_price, core_charge,
    returnable, warranty_months, cancelled, returned, vehicle, vehicle_key) FROM STDIN"""
COPY_PACKAGES: Final = """COPY packages (order_number, position, package_id, warehouse, carrier,
    tracking_number, shipped_at, delivered_at, opened_at) FROM STDIN"""
COPY_UNITS: Final = (
    "COPY package_units (order_number, package_position, position, line_no, quantity) FROM STDIN"
)
# The primary key of the orders table, as PostgreSQL names it in a unique violation.
ORDERS_KEY: Final = "orders_pkey"

# save(), first statement: compare-and-set on the version, and the old children deleted
# (children before the rows they reference; the foreign keys are checked at the end of the
# statement, when all three are gone). No row updated: a lost race or an unknown number.
SAVE_ORDER: Final = """
WITH o AS (
    UPDATE orders SET placed_at = %(placed_at)s, email = %(email)s, email_key = %(email_key)s,
        phone = %(phone)s, currency = %(currency)s, ship_name = %(ship_name)s,
        ship_line1 = %(ship_line1)s, ship_line2 = %(ship_line2)s, ship_city = %(ship_city)s,
        ship_region = %(ship_region)s, ship_postal_code = %(ship_postal_code)s,
        ship_country = %(ship_country)s, shipping = %(shipping)s, tax = %(tax)s,
        version = %(version)s, shipping_speed = %(shipping_speed)s, activity = %(activity)s
    WHERE number = %(number)s AND version = %(expected_version)s
    RETURNING number
), du AS (
    DELETE FROM package_units WHERE order_number IN (SELECT number FROM o)
), dp AS (
    DELETE FROM packages WHERE order_number IN (SELECT number FROM o)
), dl AS (
    DELETE FROM order_lines WHERE order_number IN (SELECT number FROM o)
)
SELECT count(*) FROM o"""

# save(), second statement (only after the first updated the row): the new children.
INSERT_CHILDREN: Final = f"""
WITH o AS (SELECT %(number)s::text COLLATE "C" AS number), {_CHILDREN}
SELECT 1"""


# search(): the first `limit` orders of the shopper (newest first, strictly after the
# cursor) that have a matching line, found by walking orders_by_email in index order and
# probing each order's lines through the primary key; then their matching lines. The work
# is bounded by one shopper's history, never by the size of the store. Without a cursor the
# bound is ('infinity', ''), after every real order.
_SEARCH: Final = """
SELECT o.number, o.placed_at, o.email, o.currency,
       l.line_no, l.part_number, l.part_key, l.brand, l.category, l.category_key,
       l.description, l.quantity, l.unit_price::text, l.core_charge::text, l.returnable,
       l.warranty_months, l.cancelled, l.returned, l.position, l.vehicle
FROM (
    SELECT o.number, o.placed_at, o.email, o.currency
      FROM orders AS o
     WHERE o.email_key = %(email_key)s
       AND (o.placed_at, o.number) < (%(after_at)s::timestamptz, %(after_number)s::text)
       AND EXISTS (SELECT FROM order_lines AS l WHERE l.order_number = o.number AND {match})
     ORDER BY o.placed_at DESC, o.number DESC
     LIMIT %(limit)s
) AS o
JOIN order_lines AS l ON l.order_number = o.number AND {match}"""

SEARCH_PART: Final = _SEARCH.format(match="l.part_key = %(part_key)s")

# The category itself, or any key in [key || U+001F, key || U+0020): its children, by the
# "C" collation (code point order) of category_key.
SEARCH_CATEGORY: Final = _SEARCH.format(
    match="(l.category_key = %(category_key)s"
    " OR (l.category_key >= %(low)s AND l.category_key < %(high)s))"
)

# --- the outbox ------------------------------------------------------------------------------


# claim(): one statement. The oldest due messages that no other transaction has locked are
# locked (SKIP LOCKED: a worker never waits for another, and never takes what another is
# taking) and leased. A message another worker leased and committed since this statement
# started is re-checked against the WHERE clause (READ COMMITTED) and, no longer due, left.
CLAIM: Final = """
WITH picked AS (
    SELECT message_id FROM outbox
     WHERE sent_at IS NULL AND dead_at IS NULL
       AND (next_attempt_at IS NULL OR next_attempt_at <= %(now)s)
     ORDER BY created_at, message_id
     LIMIT %(limit)s
       FOR UPDATE SKIP LOCKED
)
UPDATE outbox AS m SET next_attempt_at = %(lease)s
  FROM picked
 WHERE m.message_id = picked.message_id
RETURNING m.message_id, m.created_at, m.payload, m.attempts, m.next_attempt_at, m.last_error"""


# mark_sent(): the row is locked as its payload is read, and written back without the
# message's secrets together with sent_at (SECURITY D5).
KIND_AND_PAYLOAD_FOR_UPDATE: Final = (
    "SELECT kind, payload FROM outbox WHERE message_id = %s FOR UPDATE"
)


# Tries whose challenge is gone, after the challenges (one statement each, same unit).
PURGE_TRIES: Final = """
DELETE FROM guest_pass_tries AS t WHERE t.at < %s AND NOT EXISTS (
    SELECT 1 FROM guest_pass_challenges AS c
    WHERE c.order_number = t.order_number AND c.selector = t.selector
)
"""

# --- guest passes ----------------------------------------------------------------------------
# Only hashes of codes and validators are ever bound (SECURITY D1).

_CHALLENGE_COLUMNS: Final = (
    "selector, order_number, code_hash, link_hash, issued_at, expires_at, tries_left, used"
)

PUT_CHALLENGE: Final = f"""
INSERT INTO guest_pass_challenges ({_CHALLENGE_COLUMNS})
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (selector) DO NOTHING"""  # noqa: S608


# In a write unit the challenge row is locked as it is read: a code and a link racing to
# use one challenge are serialized, and the second sees the first one's use.
GET_CHALLENGE_FOR_UPDATE: Final = GET_CHALLENGE + " FOR UPDATE"


LATEST_CHALLENGE_FOR_UPDATE: Final = LATEST_CHALLENGE + " FOR UPDATE"


INSERT_INTO_PASSES: Final = """
INSERT INTO guest_passes (selector, validator_hash, order_number, issued_at, expires_at)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (selector) DO NOTHING"""


# --- store credit ----------------------------------------------------------------------------

# append(), after LOCK_KEY on (CREDIT_LOCK, holder || U+001F || currency) has serialized it
# with every other append of that balance: a new statement, so it reads their commits. Is the
# id stored, the balance, and the insert if the id is new and the balance covers the entry,
# in one round trip. ON CONFLICT DO NOTHING instead of a unique violation (which would abort
# the transaction) covers an id appended at the same moment for another balance: the insert
# waits for that unit and, once it commits, inserts nothing.
APPEND_CREDIT: Final = """
WITH stored AS (
    SELECT FROM store_credit WHERE entry_id = %(entry_id)s
), balance AS (
    SELECT coalesce(sum(amount), 0) AS total FROM store_credit
     WHERE holder = %(holder)s AND currency = %(currency)s
), appended AS (
    INSERT INTO store_credit (entry_id, holder, currency, amount, at, reference)
    SELECT %(entry_id)s, %(holder)s, %(currency)s, %(amount)s, %(at)s, %(reference)s
     WHERE NOT EXISTS (SELECT FROM stored)
       AND (SELECT total FROM balance) + %(amount)s >= 0
    ON CONFLICT (entry_id) DO NOTHING
    RETURNING 1
)
SELECT EXISTS (SELECT FROM stored), (SELECT total FROM balance),
       (SELECT count(*) FROM appended)"""

CREDIT_BALANCE: Final = """
SELECT coalesce(sum(amount), 0) FROM store_credit WHERE holder = %s AND currency = %s"""


# --- return papers ---------------------------------------------------------------------------

# A replacement keeps the position (identity) of the first put.
PUT_DOCUMENT: Final = """
INSERT INTO return_documents (rma_number, filename, order_number, format, media_type, content)
VALUES (%s, %s, %s, %s, %s, %s)
ON CONFLICT (rma_number, filename) DO UPDATE SET
    order_number = excluded.order_number, format = excluded.format,
    media_type = excluded.media_type, content = excluded.content"""

DOCUMENTS_FOR_RMA: Final = """
SELECT order_number, format, media_type, filename, content FROM return_documents
WHERE rma_number = %s
ORDER BY position"""

# --- accounts --------------------------------------------------------------------------------
# The statements both adapters run word for word, and what PostgreSQL adds: row locks in a
# write unit, the email key's advisory lock (LOCK_EMAIL), ANY() for a set of purposes.

GET_ACCOUNT: Final = portable.GET_ACCOUNT
GET_ACCOUNT_FOR_UPDATE: Final = portable.GET_ACCOUNT + " FOR UPDATE"
ACCOUNT_BY_EMAIL: Final = portable.ACCOUNT_BY_EMAIL
ACCOUNT_BY_EMAIL_FOR_UPDATE: Final = portable.ACCOUNT_BY_EMAIL + " FOR UPDATE"
ADD_ACCOUNT: Final = portable.ADD_ACCOUNT
# verified_accounts(): in a write unit LOCK_EMAILS first takes the advisory lock of every key
# of the batch (in slot order: two imports never wait on each other crosswise), then
# VERIFIED_ACCOUNTS_FOR_SHARE, a new statement, reads what a verification holding one of
# them committed, and keeps those accounts from being deleted until the unit ends.
#
# An address's lock is one of 1,024 slots (the low bits of its hashtext), not one per
# address: a lock per address made an import of 100,000 orders (30,000 addresses) take
# 30,000 locks in one transaction and fail with "out of shared memory" (the server's lock
# table holds max_locks_per_transaction x max_connections). Two addresses of one slot only
# wait on each other for the length of a unit. The slots are locked in ascending order.
LOCK_EMAIL: Final = "SELECT pg_advisory_xact_lock(%s, hashtext(%s) & 1023)"
LOCK_EMAILS: Final = """
SELECT pg_advisory_xact_lock(%s, slot)
FROM (SELECT DISTINCT hashtext(k) & 1023 AS slot FROM unnest(%s::text[]) AS k) AS slots
ORDER BY slot"""
VERIFIED_ACCOUNTS: Final = """
SELECT email_key, account_id FROM accounts
WHERE email_key = ANY(%s::text[]) AND state <> 'deleted' AND state = 'active'"""
VERIFIED_ACCOUNTS_FOR_SHARE: Final = VERIFIED_ACCOUNTS + " FOR SHARE"
SAVE_ACCOUNT: Final = portable.SAVE_ACCOUNT
ADDRESS_TAKEN: Final = portable.ADDRESS_TAKEN
PUT_ADDRESS: Final = portable.PUT_ADDRESS
SAVED_ADDRESSES: Final = portable.SAVED_ADDRESSES
REMOVE_ADDRESS: Final = portable.REMOVE_ADDRESS
ORDER_ADDRESSES: Final = portable.ORDER_ADDRESSES
PUT_VEHICLE: Final = portable.PUT_VEHICLE
GARAGE: Final = portable.GARAGE
REMOVE_VEHICLE: Final = portable.REMOVE_VEHICLE
FORGET_ADDRESSES: Final = portable.FORGET_ADDRESSES
FORGET_VEHICLES: Final = portable.FORGET_VEHICLES
FORGET_SUBSCRIPTIONS: Final = portable.FORGET_SUBSCRIPTIONS
SUBSCRIBE: Final = portable.SUBSCRIBE
UNSUBSCRIBE: Final = portable.UNSUBSCRIBE
MAIL_SUBSCRIPTIONS: Final = portable.MAIL_SUBSCRIPTIONS
SUBSCRIBERS: Final = portable.SUBSCRIBERS
PUT_TOKEN: Final = portable.PUT_TOKEN
GET_TOKEN: Final = portable.GET_TOKEN
GET_TOKEN_FOR_UPDATE: Final = portable.GET_TOKEN + " FOR UPDATE"
USE_TOKEN: Final = portable.USE_TOKEN
COUNT_TOKEN_TRY: Final = portable.COUNT_TOKEN_TRY
PURGE_TOKENS: Final = portable.PURGE_TOKENS
LINK_ORDER: Final = portable.LINK_ORDER
ORDER_LINK: Final = portable.ORDER_LINK
PREFERRED_LANGUAGE: Final = portable.PREFERRED_LANGUAGE
UNLINKED_ORDERS: Final = portable.UNLINKED_ORDERS
UNLINK_ALL: Final = portable.UNLINK_ALL
UNLINK_ORDER: Final = portable.UNLINK_ORDER
FAILED_LOGINS: Final = portable.FAILED_LOGINS
COUNT_FAILED_LOGIN: Final = portable.COUNT_FAILED_LOGIN
CLEAR_FAILED_LOGINS: Final = portable.CLEAR_FAILED_LOGINS
FORGET_FAILED_LOGINS: Final = portable.FORGET_FAILED_LOGINS
RECORD_EVENT: Final = portable.RECORD_EVENT
EVENTS: Final = portable.EVENTS
PUT_SESSION: Final = portable.PUT_SESSION
GET_SESSION: Final = portable.GET_SESSION
GET_SESSION_WITH_ACCOUNT: Final = portable.GET_SESSION_WITH_ACCOUNT
OPEN_SESSIONS: Final = portable.OPEN_SESSIONS
SESSION_CHECK: Final = portable.session_check(
    now="%(now)s", idle="%(idle)s", touch="%(touch)s", key="%(id_hash)s"
)
TOUCH_SESSION: Final = portable.TOUCH_SESSION
END_SESSION: Final = portable.END_SESSION
END_SESSIONS: Final = portable.END_SESSIONS
PURGE_SESSIONS: Final = portable.PURGE_SESSIONS
PUT_CAPTCHA: Final = portable.PUT_CAPTCHA
CONSUME_CAPTCHA: Final = portable.CONSUME_CAPTCHA
PURGE_CAPTCHAS: Final = portable.PURGE_CAPTCHAS

# end_tokens(): every purpose in one statement, through account_tokens_by_account.
END_TOKENS: Final = """
UPDATE account_tokens SET used_at = %s
WHERE account_id = %s AND used_at IS NULL AND purpose = ANY(%s::text[])"""

# An account's history: its links through order_links_by_account, each order by its
# primary key, one account's orders sorted by time. The cursor as in search().
LINKED_ORDERS: Final = """
SELECT o.number, o.placed_at, o.email, o.email_key
FROM order_links AS k
JOIN orders AS o ON o.number = k.order_number
WHERE k.account_id = %(account_id)s
  AND (o.placed_at, o.number) < (%(after_at)s::timestamptz, %(after_number)s::text)
ORDER BY o.placed_at DESC, o.number DESC
LIMIT %(limit)s"""

# search_linked(): search()'s shape over the account's linked orders, with each order's own
# email key after the SearchHead columns (orderstatus_sql.rows.LinkedSearchHead).
_SEARCH_LINKED: Final = """
SELECT o.number, o.placed_at, o.email, o.currency, o.email_key,
       l.line_no, l.part_number, l.part_key, l.brand, l.category, l.category_key,
       l.description, l.quantity, l.unit_price::text, l.core_charge::text, l.returnable,
       l.warranty_months, l.cancelled, l.returned, l.position, l.vehicle
FROM (
    SELECT o.number, o.placed_at, o.email, o.currency, o.email_key
      FROM order_links AS k
      JOIN orders AS o ON o.number = k.order_number
     WHERE k.account_id = %(account_id)s
       AND (o.placed_at, o.number) < (%(after_at)s::timestamptz, %(after_number)s::text)
       AND EXISTS (SELECT FROM order_lines AS l WHERE l.order_number = o.number AND {match})
     ORDER BY o.placed_at DESC, o.number DESC
     LIMIT %(limit)s
) AS o
JOIN order_lines AS l ON l.order_number = o.number AND {match}"""

SEARCH_LINKED_PART: Final = _SEARCH_LINKED.format(match="l.part_key = %(part_key)s")

SEARCH_LINKED_CATEGORY: Final = _SEARCH_LINKED.format(
    match="(l.category_key = %(category_key)s"
    " OR (l.category_key >= %(low)s AND l.category_key < %(high)s))"
)

# By vehicle: one range of vehicle_key (orderstatus_sql.search.vehicle_range), which
# implies vehicle_key IS NOT NULL: the partial index order_lines_by_vehicle answers both
# the EXISTS probe of each linked order and the join.
SEARCH_LINKED_VEHICLE: Final = _SEARCH_LINKED.format(
    match="l.vehicle_key >= %(low)s AND l.vehicle_key < %(high)s"
)

# --- the schema version ----------------------------------------------------------------------

VERSION_TABLE_EXISTS: Final = "SELECT to_regclass('orderstatus_schema') IS NOT NULL"
CURRENT_VERSION: Final = "SELECT coalesce(max(version), 0) FROM orderstatus_schema"

#: Every repository query with its name, for tests that check the query plans.
QUERIES: Final = {
    "get_order": GET_ORDER,
    "get_order_for_contact": GET_ORDER_FOR_CONTACT,
    "recent": RECENT,
    "search_part": SEARCH_PART,
    "search_category": SEARCH_CATEGORY,
    "save_order": SAVE_ORDER,
    "stored_numbers": STORED_NUMBERS,
    "due": DUE,
    "claim": CLAIM,
    "pending_count": PENDING_COUNT,
    "pending": PENDING,
    "dead": DEAD,
    "get_message": GET_MESSAGE,
    "kind_and_payload_for_update": KIND_AND_PAYLOAD_FOR_UPDATE,
    "mark_sent": MARK_SENT,
    "mark_sent_as_is": MARK_SENT_AS_IS,
    "mark_failed": MARK_FAILED,
    "mark_dead": MARK_DEAD,
    "retry_dead": RETRY_DEAD,
    "release_message": RELEASE_MESSAGE,
    "drop_message": DROP_MESSAGE,
    "get_challenge": GET_CHALLENGE_FOR_UPDATE,
    "save_challenge": SAVE_CHALLENGE,
    "latest_challenge": LATEST_CHALLENGE_FOR_UPDATE,
    "count_tries": COUNT_TRIES,
    "get_pass": SELECT_FROM_PASSES,
    "get_reply": GET_REPLY,
    "append_credit": APPEND_CREDIT,
    "credit_balance": CREDIT_BALANCE,
    "credit_entries": CREDIT_ENTRIES,
    "put_document": PUT_DOCUMENT,
    "documents_for_rma": DOCUMENTS_FOR_RMA,
    "get_account": GET_ACCOUNT_FOR_UPDATE,
    "account_by_email": ACCOUNT_BY_EMAIL_FOR_UPDATE,
    "verified_accounts": VERIFIED_ACCOUNTS_FOR_SHARE,
    "save_account": SAVE_ACCOUNT,
    "get_token": GET_TOKEN_FOR_UPDATE,
    "use_token": USE_TOKEN,
    "count_token_try": COUNT_TOKEN_TRY,
    "end_tokens": END_TOKENS,
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
