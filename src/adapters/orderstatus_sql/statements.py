"""The statements both SQL adapters run word for word, written once.

Constant text in PostgreSQL's parameter style (``%s``); the SQLite adapter turns each
marker into ``?`` with :func:`qmark` when it imports them. Every value is a bound parameter
(SECURITY H). What the two databases say differently (orders and their children, claiming
outbox messages, store credit, locks) stays in each adapter's ``_sql`` module.
"""

from __future__ import annotations

from typing import Final, LiteralString

__all__ = [
    "ACCOUNT_BY_EMAIL",
    "ADDRESS_TAKEN",
    "ADD_ACCOUNT",
    "CLEAR_FAILED_LOGINS",
    "CONSUME_CAPTCHA",
    "COUNT_FAILED_LOGIN",
    "COUNT_TOKEN_TRY",
    "COUNT_TRIES",
    "CREDIT_ENTRIES",
    "DEAD",
    "DROP_MESSAGE",
    "DUE",
    "END_SESSION",
    "END_SESSIONS",
    "EVENTS",
    "FAILED_LOGINS",
    "FORGET_ADDRESSES",
    "FORGET_FAILED_LOGINS",
    "FORGET_VEHICLES",
    "GARAGE",
    "GET_ACCOUNT",
    "GET_CHALLENGE",
    "GET_MESSAGE",
    "GET_REPLY",
    "GET_SESSION",
    "GET_SESSION_WITH_ACCOUNT",
    "GET_TOKEN",
    "LATEST_CHALLENGE",
    "LINK_ORDER",
    "MARK_DEAD",
    "MARK_FAILED",
    "MARK_SENT",
    "MARK_SENT_AS_IS",
    "OPEN_SESSIONS",
    "ORDER_ADDRESSES",
    "ORDER_LINK",
    "PENDING",
    "PENDING_COUNT",
    "PREFERRED_LANGUAGE",
    "PURGE_CAPTCHAS",
    "PURGE_CHALLENGES",
    "PURGE_PASSES",
    "PURGE_REPLIES",
    "PURGE_SENT",
    "PURGE_SESSIONS",
    "PURGE_TOKENS",
    "PUT_ADDRESS",
    "PUT_CAPTCHA",
    "PUT_MESSAGE",
    "PUT_REPLY",
    "PUT_SESSION",
    "PUT_TOKEN",
    "PUT_VEHICLE",
    "RECENT",
    "RECORD_EVENT",
    "RECORD_TRY",
    "RELEASE_MESSAGE",
    "REMOVE_ADDRESS",
    "REMOVE_VEHICLE",
    "RETRY_DEAD",
    "SAVED_ADDRESSES",
    "SAVE_ACCOUNT",
    "SAVE_CHALLENGE",
    "SELECT_FROM_PASSES",
    "TOUCH_SESSION",
    "UNLINKED_ORDERS",
    "UNLINK_ALL",
    "UNLINK_ORDER",
    "USE_TOKEN",
    "qmark",
    "session_check",
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


# --- accounts --------------------------------------------------------------------------------
# Columns in the order of orderstatus_sql.rows.AccountRow, TokenRow, SessionRow, LinkRow,
# EventRow and CaptchaRow. "state <> 'deleted'" is written exactly as the partial unique
# index accounts_by_email says it, so that both databases read through it.

_ACCOUNT_COLUMNS: Final = """account_id, email, email_key, state, created_at, language,
    password_hash, verified_at, password_changed_at, failed_logins, credential_epoch, version"""

GET_ACCOUNT: Final = f"SELECT {_ACCOUNT_COLUMNS} FROM accounts WHERE account_id = %s"  # noqa: S608

ACCOUNT_BY_EMAIL: Final = (
    f"SELECT {_ACCOUNT_COLUMNS} FROM accounts "  # noqa: S608
    "WHERE email_key = %s AND state <> 'deleted'"
)

# A taken id or a live account's email key writes nothing: the adapter answers
# ConflictError for a row count of 0, with the transaction intact.
ADD_ACCOUNT: Final = f"""
INSERT INTO accounts ({_ACCOUNT_COLUMNS})
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT DO NOTHING"""  # noqa: S608

# save(): compare-and-set on the version. The parameters are the AccountRow columns after
# the id, the id, the version expected to be stored, then the new state, the new email key
# and the id again for the check that no other live account holds the key. No row changes
# for a lost race, an unknown id or a taken key.
SAVE_ACCOUNT: Final = """
UPDATE accounts SET email = %s, email_key = %s, state = %s, created_at = %s, language = %s,
    password_hash = %s, verified_at = %s, password_changed_at = %s, failed_logins = %s,
    credential_epoch = %s, version = %s
WHERE account_id = %s AND version = %s
  AND (CAST(%s AS TEXT) = 'deleted' OR NOT EXISTS (
      SELECT 1 FROM accounts AS other
      WHERE other.email_key = %s AND other.state <> 'deleted' AND other.account_id <> %s))"""

_TOKEN_COLUMNS: Final = """selector, secret_hash, account_id, purpose, issued_at, expires_at,
    credential_epoch, by_code, payload, used_at, tries"""  # noqa: S105 -- column names

PUT_TOKEN: Final = f"""
INSERT INTO account_tokens ({_TOKEN_COLUMNS})
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (selector) DO NOTHING"""  # noqa: S608

GET_TOKEN: Final = f"SELECT {_TOKEN_COLUMNS} FROM account_tokens WHERE selector = %s"  # noqa: S608

# Single use: only an unused token is spent, so of two units racing one changes the row.
USE_TOKEN: Final = """
UPDATE account_tokens SET used_at = %s WHERE selector = %s AND used_at IS NULL"""  # noqa: S105 -- SQL

COUNT_TOKEN_TRY: Final = """
UPDATE account_tokens SET tries = tries + 1 WHERE selector = %s RETURNING tries"""  # noqa: S105 -- SQL

PURGE_TOKENS: Final = "DELETE FROM account_tokens WHERE expires_at < %s"

LINK_ORDER: Final = """
INSERT INTO order_links (account_id, order_number, linked_at, linked_by)
VALUES (%s, %s, %s, %s)
ON CONFLICT (order_number) DO NOTHING"""

ORDER_LINK: Final = """
SELECT account_id, order_number, linked_at, linked_by FROM order_links
WHERE order_number = %s"""

# preferred_language(): the language of the active account holding the address (through
# the partial index accounts_by_email, whose own "<> 'deleted'" term is repeated), else of
# the active account the order joined (order_links by its primary key, the account by
# its). One row, NULL for neither: each subquery finds one row at most (one live account
# per key, one link per order), and the second runs only when the first found none. A NULL
# key or number matches nothing.
PREFERRED_LANGUAGE: Final = """
SELECT COALESCE(
    (SELECT a.language FROM accounts AS a
     WHERE a.email_key = %s AND a.state <> 'deleted' AND a.state = 'active'),
    (SELECT a.language FROM order_links AS k
     JOIN accounts AS a ON a.account_id = k.account_id
     WHERE k.order_number = %s AND a.state = 'active'))"""

# The orders of one address that joined no account: walks orders_by_email newest first and
# probes order_links by its primary key, so the work is one shopper's history.
UNLINKED_ORDERS: Final = """
SELECT o.number, o.placed_at, o.email FROM orders AS o
WHERE o.email_key = %s
  AND NOT EXISTS (SELECT 1 FROM order_links AS k WHERE k.order_number = o.number)
ORDER BY o.placed_at DESC, o.number DESC
LIMIT %s"""

UNLINK_ALL: Final = "DELETE FROM order_links WHERE account_id = %s"

UNLINK_ORDER: Final = "DELETE FROM order_links WHERE order_number = %s"

FAILED_LOGINS: Final = "SELECT failures FROM login_failures WHERE failure_key = %s"

# One row written whether the key had a count or not (SECURITY A6).
COUNT_FAILED_LOGIN: Final = """
INSERT INTO login_failures (failure_key, failures, last_at) VALUES (%s, 1, %s)
ON CONFLICT (failure_key) DO UPDATE
SET failures = login_failures.failures + 1, last_at = excluded.last_at
RETURNING failures"""

CLEAR_FAILED_LOGINS: Final = "DELETE FROM login_failures WHERE failure_key = %s"

# The purge: counts below the lock whose last failure is old (SECURITY C2, D5).
FORGET_FAILED_LOGINS: Final = "DELETE FROM login_failures WHERE last_at < %s AND failures < %s"

RECORD_EVENT: Final = """
INSERT INTO security_events (kind, at, account_id, masked_email, client)
VALUES (%s, %s, %s, %s, %s)"""

EVENTS: Final = """
SELECT kind, at, account_id, masked_email, client FROM security_events
WHERE account_id = %s
ORDER BY at DESC, seq DESC
LIMIT %s"""

# --- the profile: saved addresses and the garage ------------------------------------------

# The address in the model's field order (Address(name, line1, city, postal_code, country,
# line2, region)), so a row's slice is the restorer's arguments.
_ADDRESS_COLUMNS: Final = """account_id, address_id, name, line1, city, postal_code, country,
    line2, region, address_key, is_default, saved_at"""

# An edit replaces the row of its id; the unique indexes refuse a second copy of an address
# or a second default (the caller's ConflictError).
PUT_ADDRESS: Final = f"""
INSERT INTO saved_addresses ({_ADDRESS_COLUMNS})
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (account_id, address_id) DO UPDATE SET
    name = excluded.name, line1 = excluded.line1, city = excluded.city,
    postal_code = excluded.postal_code, country = excluded.country, line2 = excluded.line2,
    region = excluded.region, address_key = excluded.address_key,
    is_default = excluded.is_default, saved_at = excluded.saved_at"""  # noqa: S608

SAVED_ADDRESSES: Final = f"""
SELECT {_ADDRESS_COLUMNS} FROM saved_addresses
WHERE account_id = %s
ORDER BY saved_at, address_id"""  # noqa: S608

# Whether another address of the account is the same one or, for a default, the default:
# what the unique indexes would refuse, asked first where a refused statement would abort
# the transaction (PostgreSQL). The account's lock, held by the caller, serializes it.
ADDRESS_TAKEN: Final = """
SELECT 1 FROM saved_addresses
WHERE account_id = %s AND address_id <> %s AND (address_key = %s OR (is_default AND %s))
LIMIT 1"""

REMOVE_ADDRESS: Final = "DELETE FROM saved_addresses WHERE account_id = %s AND address_id = %s"

# The shipping addresses of an account's newest linked orders: its links through
# order_links_by_account, each order by its primary key (as the history reads them).
ORDER_ADDRESSES: Final = """
SELECT o.ship_name, o.ship_line1, o.ship_city, o.ship_postal_code, o.ship_country,
       o.ship_line2, o.ship_region
FROM order_links AS k
JOIN orders AS o ON o.number = k.order_number
WHERE k.account_id = %s
ORDER BY o.placed_at DESC, o.number DESC
LIMIT %s"""

_VEHICLE_COLUMNS: Final = """account_id, vehicle_id, year, make, model, engine, nickname,
    vin, catalog_id, added_at"""

PUT_VEHICLE: Final = f"""
INSERT INTO garage_vehicles ({_VEHICLE_COLUMNS})
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (account_id, vehicle_id) DO UPDATE SET
    year = excluded.year, make = excluded.make, model = excluded.model,
    engine = excluded.engine, nickname = excluded.nickname, vin = excluded.vin,
    catalog_id = excluded.catalog_id, added_at = excluded.added_at"""  # noqa: S608

GARAGE: Final = f"""
SELECT {_VEHICLE_COLUMNS} FROM garage_vehicles
WHERE account_id = %s
ORDER BY added_at, vehicle_id"""  # noqa: S608

REMOVE_VEHICLE: Final = "DELETE FROM garage_vehicles WHERE account_id = %s AND vehicle_id = %s"

FORGET_ADDRESSES: Final = "DELETE FROM saved_addresses WHERE account_id = %s"

FORGET_VEHICLES: Final = "DELETE FROM garage_vehicles WHERE account_id = %s"

FORGET_SUBSCRIPTIONS: Final = "DELETE FROM mail_subscriptions WHERE account_id = %s"

# --- mail preferences --------------------------------------------------------------------------

# A second subscription to a topic keeps the first (and its time): a row count of 0.
SUBSCRIBE: Final = """
INSERT INTO mail_subscriptions (account_id, topic, subscribed_at) VALUES (%s, %s, %s)
ON CONFLICT (account_id, topic) DO NOTHING"""

UNSUBSCRIBE: Final = "DELETE FROM mail_subscriptions WHERE account_id = %s AND topic = %s"

MAIL_SUBSCRIPTIONS: Final = """
SELECT account_id, topic, subscribed_at FROM mail_subscriptions
WHERE account_id = %s
ORDER BY topic"""

# A page of a topic's recipients: mail_subscriptions_by_topic in account-id order (both
# databases compare the ids bytewise: PostgreSQL's columns are COLLATE "C"), each
# account by its primary key; only active ones.
SUBSCRIBERS: Final = f"""
SELECT {", ".join("a." + column.strip() for column in _ACCOUNT_COLUMNS.split(","))}
FROM mail_subscriptions AS s
JOIN accounts AS a ON a.account_id = s.account_id
WHERE s.topic = %s AND s.account_id > %s AND a.state = 'active'
ORDER BY s.account_id
LIMIT %s"""  # noqa: S608

# --- sessions ----------------------------------------------------------------------------------

_SESSION_COLUMNS: Final = """id_hash, account_id, remember, created_at, last_seen_at,
    expires_at, reauthenticated_at, ended_at"""

PUT_SESSION: Final = f"""
INSERT INTO account_sessions ({_SESSION_COLUMNS})
VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
ON CONFLICT (id_hash) DO NOTHING"""  # noqa: S608

GET_SESSION: Final = f"SELECT {_SESSION_COLUMNS} FROM account_sessions WHERE id_hash = %s"  # noqa: S608

# A page view's session check: the session and its account in one statement (one
# snapshot), each by its primary key; the account's columns are NULL when it is not stored.
_SESSION_COLUMNS_OF_S: Final = """s.id_hash, s.account_id, s.remember, s.created_at,
    s.last_seen_at, s.expires_at, s.reauthenticated_at, s.ended_at"""
_ACCOUNT_COLUMNS_OF_A: Final = """a.account_id, a.email, a.email_key, a.state, a.created_at,
    a.language, a.password_hash, a.verified_at, a.password_changed_at, a.failed_logins,
    a.credential_epoch, a.version"""

GET_SESSION_WITH_ACCOUNT: Final = f"""
SELECT {_SESSION_COLUMNS_OF_S}, {_ACCOUNT_COLUMNS_OF_A}
FROM account_sessions AS s LEFT JOIN accounts AS a ON a.account_id = s.account_id
WHERE s.id_hash = %s"""  # noqa: S608

# open_sessions(): through account_sessions_by_account (partial: not ended), the data
# export's listing of an account's sessions. An account has a few; the adapter sorts
# them, as the index is not in that order.
OPEN_SESSIONS: Final = f"""
SELECT {_SESSION_COLUMNS} FROM account_sessions
WHERE account_id = %s AND ended_at IS NULL"""  # noqa: S608


# The per-request session check decides in the statement, from the instants it holds (as
# Django's database sessions filter on expire_date): the session rules of
# model/session_rules.py written as SQL, on the same exact differences. The row carries the
# one instant the answer needs (expires_at), the account's state (decoded, so that a state
# the model does not know is an error, never a log-in) and two booleans; the same join by
# both primary keys. Each adapter names its placeholders (now, idle_timeout,
# touch_interval, id_hash: now is used three times, bound once) and what the stored times
# must be for ``live`` to be decided (``sound``: SQLite's columns take any value, and a time
# that is not one makes ``live`` NULL, an error).


def session_check(
    *,
    now: LiteralString,
    idle: LiteralString,
    touch: LiteralString,
    key: LiteralString,
    sound: LiteralString = "TRUE",
) -> LiteralString:
    """The session check's statement with the adapter's placeholders; ``live`` decided
    only where ``sound`` holds."""
    return f"""
SELECT s.account_id, s.remember, s.expires_at, a.state, a.language,
    CASE WHEN {sound} THEN s.ended_at IS NULL AND {now} <= s.expires_at
        AND (s.remember OR {now} - s.last_seen_at <= {idle}) END AS live,
    {now} - s.last_seen_at >= {touch} AS touch_due
FROM account_sessions AS s LEFT JOIN accounts AS a ON a.account_id = s.account_id
WHERE s.id_hash = {key}"""  # noqa: S608  # the adapter's own SQL text, never input


TOUCH_SESSION: Final = """
UPDATE account_sessions SET last_seen_at = %s
WHERE id_hash = %s AND ended_at IS NULL AND last_seen_at < %s"""

END_SESSION: Final = (
    "UPDATE account_sessions SET ended_at = %s WHERE id_hash = %s AND ended_at IS NULL"
)

# The session kept is named by its id hash; '' (no hash is empty) keeps none.
END_SESSIONS: Final = """
UPDATE account_sessions SET ended_at = %s
WHERE account_id = %s AND ended_at IS NULL AND id_hash <> %s"""

PURGE_SESSIONS: Final = """
DELETE FROM account_sessions
WHERE expires_at < %s OR ended_at < %s OR (NOT remember AND last_seen_at < %s)"""

# --- captcha challenges ----------------------------------------------------------------------

PUT_CAPTCHA: Final = """
INSERT INTO captcha_challenges (challenge_id, answer_hash, issued_at, expires_at, used_at)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (challenge_id) DO NOTHING"""

# One statement decides: of units racing to consume one challenge, the first to update the
# row gets it back; the others (waiting for its lock, then seeing it used) get no row.
CONSUME_CAPTCHA: Final = """
UPDATE captcha_challenges SET used_at = %s
WHERE challenge_id = %s AND used_at IS NULL AND expires_at >= %s
RETURNING challenge_id, answer_hash, issued_at, expires_at, used_at"""

PURGE_CAPTCHAS: Final = "DELETE FROM captcha_challenges WHERE expires_at < %s"
