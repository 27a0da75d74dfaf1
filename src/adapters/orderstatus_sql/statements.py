"""The statements both SQL adapters run word for word, written once.

Constant text in PostgreSQL's parameter style (``%s``); the SQLite adapter turns each
marker into ``?`` with :func:`qmark` when it imports them. Every value is a bound parameter
(SECURITY H). What the two databases say differently (orders and their children, claiming
outbox messages, store credit, locks) stays in each adapter's ``_sql`` module.
"""

from __future__ import annotations

from typing import Final, LiteralString

__all__ = [
    "COUNT_TRIES",
    "CREDIT_ENTRIES",
    "DEAD",
    "DROP_MESSAGE",
    "DUE",
    "GET_CHALLENGE",
    "GET_MESSAGE",
    "GET_REPLY",
    "LATEST_CHALLENGE",
    "MARK_DEAD",
    "MARK_FAILED",
    "MARK_SENT",
    "MARK_SENT_AS_IS",
    "PENDING",
    "PENDING_COUNT",
    "PURGE_CHALLENGES",
    "PURGE_PASSES",
    "PURGE_REPLIES",
    "PURGE_SENT",
    "PUT_MESSAGE",
    "PUT_REPLY",
    "RECENT",
    "RECORD_TRY",
    "RELEASE_MESSAGE",
    "RETRY_DEAD",
    "SAVE_CHALLENGE",
    "SELECT_FROM_PASSES",
    "qmark",
]


def qmark(statement: LiteralString) -> LiteralString:
    """``statement`` with SQLite's ``?`` for each ``%s`` (no statement here has another ``%``)."""
    return statement.replace("%s", "?")


RECENT: Final = """
SELECT number, placed_at, email FROM orders
WHERE email_key = %s
ORDER BY placed_at DESC, number DESC
LIMIT %s"""

# Putting a message id twice replaces the message but keeps whether it was sent, exactly as
# the memory adapter does (its "sent" record is separate from the message); a message put
# is never a dead letter.
PUT_MESSAGE: Final = """
INSERT INTO outbox (message_id, created_at, kind, payload, attempts, next_attempt_at,
    last_error, sent_at, dead_at)
VALUES (%s, %s, %s, %s, %s, %s, %s, NULL, NULL)
ON CONFLICT (message_id) DO UPDATE SET
    created_at = excluded.created_at, kind = excluded.kind, payload = excluded.payload,
    attempts = excluded.attempts, next_attempt_at = excluded.next_attempt_at,
    last_error = excluded.last_error, dead_at = NULL"""

# "Waiting for delivery" is "sent_at IS NULL AND dead_at IS NULL" in each statement below:
# the condition of the partial index outbox_pending, so that every one of them can use it.
DUE: Final = """
SELECT message_id, created_at, payload, attempts, next_attempt_at, last_error
FROM outbox
WHERE sent_at IS NULL AND dead_at IS NULL
    AND (next_attempt_at IS NULL OR next_attempt_at <= %s)
ORDER BY created_at, message_id
LIMIT %s"""

PENDING: Final = """
SELECT message_id, created_at, payload, attempts, next_attempt_at, last_error
FROM outbox
WHERE sent_at IS NULL AND dead_at IS NULL
ORDER BY created_at, message_id
LIMIT %s"""

DEAD: Final = """
SELECT message_id, created_at, payload, attempts, next_attempt_at, last_error, sent_at, dead_at
FROM outbox
WHERE dead_at IS NOT NULL
ORDER BY dead_at, message_id
LIMIT %s"""

GET_MESSAGE: Final = """
SELECT message_id, created_at, payload, attempts, next_attempt_at, last_error, sent_at, dead_at
FROM outbox WHERE message_id = %s"""

# Sent wins over dead: a worker whose lease ended may deliver after another gave up.
MARK_SENT: Final = (
    "UPDATE outbox SET sent_at = %s, payload = %s, dead_at = NULL WHERE message_id = %s"
)

# The same for an item with no secret to empty: its payload stays as it is.
MARK_SENT_AS_IS: Final = "UPDATE outbox SET sent_at = %s, dead_at = NULL WHERE message_id = %s"

MARK_FAILED: Final = """
UPDATE outbox SET attempts = attempts + 1, next_attempt_at = %s, last_error = %s
WHERE message_id = %s AND sent_at IS NULL AND dead_at IS NULL"""

MARK_DEAD: Final = """
UPDATE outbox SET attempts = attempts + 1, next_attempt_at = NULL, last_error = %s,
    dead_at = %s
WHERE message_id = %s AND sent_at IS NULL AND dead_at IS NULL"""

# Only under the lease the releasing worker took: compare-and-set on next_attempt_at.
RELEASE_MESSAGE: Final = """
UPDATE outbox SET next_attempt_at = %s
WHERE message_id = %s AND next_attempt_at = %s AND sent_at IS NULL AND dead_at IS NULL"""

RETRY_DEAD: Final = """
UPDATE outbox SET attempts = 0, next_attempt_at = %s, dead_at = NULL
WHERE message_id = %s AND dead_at IS NOT NULL"""

DROP_MESSAGE: Final = "DELETE FROM outbox WHERE message_id = %s AND sent_at IS NULL"

PENDING_COUNT: Final = "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND dead_at IS NULL"

# The purges are a daily batch: each reads its table once rather than keep an index that
# every write would pay for.
PURGE_SENT: Final = "DELETE FROM outbox WHERE sent_at IS NOT NULL AND sent_at < %s"

PURGE_CHALLENGES: Final = "DELETE FROM guest_pass_challenges WHERE expires_at < %s"

PURGE_PASSES: Final = "DELETE FROM guest_passes WHERE expires_at < %s"

PURGE_REPLIES: Final = "DELETE FROM idempotent_replies WHERE created_at < %s"

GET_CHALLENGE: Final = """
SELECT selector, order_number, code_hash, link_hash, issued_at, expires_at, tries_left, used
FROM guest_pass_challenges WHERE selector = %s"""

SAVE_CHALLENGE: Final = """
UPDATE guest_pass_challenges SET order_number = %s, code_hash = %s, link_hash = %s,
    issued_at = %s, expires_at = %s, tries_left = %s, used = %s
WHERE selector = %s"""

LATEST_CHALLENGE: Final = """
SELECT selector, order_number, code_hash, link_hash, issued_at, expires_at, tries_left, used
FROM guest_pass_challenges
WHERE order_number = %s
ORDER BY issued_at DESC, seq DESC
LIMIT 1"""

RECORD_TRY: Final = "INSERT INTO guest_pass_tries (order_number, selector, at) VALUES (%s, %s, %s)"

COUNT_TRIES: Final = (
    "SELECT count(*) FROM guest_pass_tries WHERE order_number = %s AND selector = %s"
)

SELECT_FROM_PASSES: Final = """
SELECT selector, validator_hash, order_number, issued_at, expires_at
FROM guest_passes WHERE selector = %s"""

GET_REPLY: Final = (
    "SELECT key, fingerprint, reply, created_at FROM idempotent_replies WHERE key = %s"
)

PUT_REPLY: Final = """
INSERT INTO idempotent_replies (key, fingerprint, reply, created_at) VALUES (%s, %s, %s, %s)
ON CONFLICT (key) DO UPDATE SET
    fingerprint = excluded.fingerprint, reply = excluded.reply, created_at = excluded.created_at"""

CREDIT_ENTRIES: Final = """
SELECT entry_id, holder, currency, amount, at, reference FROM store_credit
WHERE holder = %s
ORDER BY at DESC, entry_id DESC
LIMIT %s"""
