"""The SQLite schema, as numbered migrations.

``MIGRATIONS[n - 1]`` takes a database from ``PRAGMA user_version = n - 1`` to ``n``; each
script ends by setting that version itself, so the script and its number can never
disagree. A migration runs in one transaction (SQLite's DDL is transactional), so a
failure leaves the previous version intact. Never edit a released migration: append one.

Design of version 1:

* Money is TEXT holding the exact ``Decimal`` string (``str(amount)``): never a float,
  and ``Decimal(text)`` gives back the same value. Line amounts share the order's currency
  (the model enforces it), so only ``orders.currency`` is stored.
* Timestamps are INTEGER microseconds since 1970-01-01 UTC: exact for ``datetime``, compact,
  and ordered the same way as the instants they stand for, so indexes sort them correctly.
* Every child table is ``WITHOUT ROWID`` with the order number first in its primary key:
  the rows of one order sit together in one B-tree range, so :meth:`get` reads an order's
  lines and packages with one index seek each.
* ``position`` columns keep the order of the model's tuples (lines, packages, units):
  the memory adapter, the reference, gives tuples back in the order they were stored.
* Category keys join the canonical segments with U+001F (``CATEGORY_SEPARATOR``); the
  display segments are joined the same way. A control character can never be inside a
  segment (the model refuses them), so the join is reversible and ``key || U+001F`` is a
  prefix that matches exactly the children of a category.
* There is deliberately no index on ``order_lines(part_key)`` or ``(category_key)``: see
  the search query in :mod:`orderstatus_sqlite.storage` for why (and ``EXPLAIN QUERY
  PLAN``). Searches walk one shopper's orders through ``orders_by_email`` and read their
  lines through the primary key.
* Foreign keys point from children to parents. SQLite would need an index on the child
  columns only to *delete* or re-key a parent, which this schema never does.

Version 2 adds ``packages.opened_at`` (when the warehouse started picking; INTEGER
microseconds like every timestamp, NULL for packages imported as history and for every
package stored under version 1). ``ALTER TABLE ... ADD COLUMN`` with no default only edits
the table's schema text, so it takes the same time however many packages are stored.

Since version 2, ``OrderRepository.save`` replaces an order's child rows: it deletes that
order's ``package_units``, then ``packages``, then ``order_lines`` (children before the
rows they reference) and inserts the new ones in the reverse order; the ``orders`` row is
updated in place, never deleted. Deleting a line or package row makes SQLite look for
``package_units`` rows that still reference it; that look-up uses the ``order_number``
prefix of the ``package_units`` primary key, so it reads one order's units, not the table.

Version 3 adds the guest pass: ``guest_pass_challenges`` (a mailed code and link) and
``guest_passes``, each keyed by its random *selector*. Only SHA-256 hashes of codes and
validators are stored (SECURITY D1), never the secrets. ``used`` is 0 or 1. There is no
foreign key to ``orders``: a challenge or pass names a canonical order number the service
has just read, and a future retention job must be able to delete an order without first
finding its expired passes.

Version 4 adds ``orders.shipping_speed`` and the ``activity`` document; version 5 the
``idempotent_replies`` (see the comments of their scripts).

Version 6 adds store credit and return papers:

* ``store_credit`` is an append-only ledger, one row per
  :class:`~orderstatus_core.records.CreditEntry`, keyed by ``entry_id`` (what makes appending
  idempotent). ``amount`` is exact ``Decimal`` text like every amount, with its own
  ``currency`` (a shopper may hold credit in several); ``at`` is INTEGER microseconds.
  ``seq`` numbers the rows in the order they were appended (1, 2, 3 ...; the append runs
  under the write lock, so ``max(seq) + 1`` is never taken twice): the ledger's own
  history, whatever clock wrote ``at``. ``store_credit_balance`` covers ``(holder,
  currency, amount)``, so a balance is summed (in Python, as ``Decimal``: SQLite's
  ``sum()`` of text would be a float) from the index alone; ``store_credit_by_holder`` is
  the newest-first listing, ``(holder, at DESC, entry_id DESC)``, read in index order.
* ``return_documents`` keeps the labels and instructions of each RMA package, keyed by
  ``(rma_number, filename)`` (a retried label job writes the same files again and replaces
  them). ``content`` is a BLOB, byte for byte; ``position`` is the order of first put
  within the RMA (a replacement keeps it). One RMA has a handful of documents, read
  through the primary key and put in ``position`` order by the adapter.

Version 7 changes no table: it recomputes every stored email key (``orders.email_key``
and ``store_credit.holder``) by the current rule, which folds only case and the domain
(issue 9: the old one let lookalike addresses share a key). The rule is the library's
Python, so this migration is a Python step, :func:`rekey_emails`, run in the same one
transaction as the scripts; :mod:`orderstatus_core.rekeying` says whose credit is whose.
It reads only the keys that an address with a character beyond ASCII has (through
``orders_by_email``); an ASCII address's key never changed.

Version 8 numbers guest-pass challenges in the order they were stored (``seq``), so that of
two with one ``issued_at`` the later one is the newest, and adds ``guest_pass_tries``, one
row per code or link try, written alike whether or not the order has a challenge.

Version 9 adds dead letters: ``outbox.dead_at``, a pending index of the messages that wait
(neither sent nor dead) and a partial index of the dead letters.

Version 10 adds accounts (issue 13) and touches no earlier table, so a database full of
orders migrates in the time of a few ``CREATE`` statements:

* ``accounts``, keyed by the opaque ``account_id``. ``accounts_by_email`` is a *partial*
  unique index on ``email_key`` over the live accounts (``state <> 'deleted'``): one live
  account per address, while a deleted one keeps its row and lets the address sign up
  again. Reads by email write that very condition, so they use the index.
* ``account_tokens``, keyed by the random selector, hold only the hash of each secret
  (SECURITY D1); ``account_tokens_by_account`` covers the unused tokens of an account by
  purpose, what ``end_tokens`` spends.
* ``account_sessions``, keyed by the hash of the session id (SECURITY E2);
  ``account_sessions_by_account`` covers the sessions not ended, what ``end_all`` ends.
* ``order_links``, keyed by the order number (an order joins one account), with
  ``order_links_by_account`` for an account's history. The history joins ``orders``
  through its primary key and sorts one account's orders by ``placed_at``: no copy of an
  order's time is kept beside the link to drift from it.
* ``security_events``, an append-only log numbered by its rowid (``seq``), read newest first
  per account through ``security_events_by_account``.
* ``captcha_challenges``, keyed by the challenge id: what the captcha adapter issued (the
  answer only as its hash, never the image or audio) and when it was used.

There is no foreign key between these tables or to ``orders``, as for the guest passes: an
order or an expired token must be deletable by a retention job without finding its
neighbours first, and a link names a canonical order number the service has just read.
Version 12 adds the profile (issue 14 items 1 and 2) and touches no earlier table:

* ``saved_addresses``, keyed by ``(account_id, address_id)``: an account's addresses sit
  together in one B-tree range, read and deleted by that prefix. The address is stored in
  the columns the order keeps its shipping address in (in the model's field order), with
  its normal form
  (``address_key``, :func:`orderstatus_core.model.profile.address_key`);
  ``saved_addresses_by_key`` makes one address saved once per account, and the partial
  ``saved_addresses_default`` at most one default per account, whatever a caller does.
* ``garage_vehicles``, keyed by ``(account_id, vehicle_id)``, with the catalog id the
  store's :class:`~orderstatus_core.ports.VehicleCatalog` gave.

Deleting an account deletes both (``forget_profile``), through the primary keys.

Version 13 lets order lines carry the vehicle they were bought for (issue 14 item 3):

* ``order_lines.vehicle``: the :class:`~orderstatus_core.model.profile.Vehicle` in one
  column, its six fields joined by U+001F as the category's segments are
  (:func:`orderstatus_sql.values.joined_vehicle`); NULL for a line without one, and for
  every line stored before.
* ``order_lines.vehicle_key``: its normal form
  (:func:`~orderstatus_core.model.profile.vehicle_key`), NULL likewise.
* ``order_lines_by_vehicle`` on ``(order_number, vehicle_key)``, *partial* (``WHERE
  vehicle_key IS NOT NULL``): an account's search by vehicle walks its orders through
  ``order_links_by_account`` and seeks each order's lines of that vehicle here, without
  reading its other lines; lines without a vehicle (every line of an older feed) cost the
  import no index entry at all.

Both columns are added without a default, so the migration only edits the table's schema
text and builds an index of no entries, however many orders are stored.

The discount-codes migration (``_DISCOUNT_CODES``, version 14; issue 14 item 4) adds
``discount_codes``, keyed by the code's stored text (what a checkout looks it up by). A
code is worth ``amount`` in ``currency`` (exact ``Decimal`` text) or ``percent``; once
used, ``used_at``, ``order_reference`` and the ``discount`` it took are set by one
conditional update (``WHERE used_at IS NULL AND revoked_at IS NULL``), so a code is used
once. ``account_id`` is NULL only for a used code kept for the store's accounting after its
account was deleted. ``discount_codes_by_account`` lists and counts one account's codes.

Version 15 adds availability alerts (issue 14 item 5) and touches no earlier table:
``part_watches``, keyed by ``(account_id, part_key)`` (one watch per account and part),
with ``part_watches_by_part`` for the report of a part back in stock, which reads and
deletes one part's watches (:mod:`orderstatus_sql.watches`). ``forget_profile`` deletes an
account's watches too.

Version 16 adds the mail preferences (issue 14 item 6) and touches no earlier table:
``mail_subscriptions``, keyed by ``(account_id, topic)`` (an account's topics read and
deleted by that prefix), and ``mail_subscriptions_by_topic`` on ``(topic, account_id)``,
through which store mail pages a topic's subscribers in account-id order. The preferred
language has been a column of ``accounts`` since version 10.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from decimal import Decimal

from orderstatus_sql.migrations import rekeyed

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "Migration", "rekey_emails", "statements"]

_V1 = """
CREATE TABLE orders (
    number           TEXT    NOT NULL PRIMARY KEY,
    placed_at        INTEGER NOT NULL,
    email            TEXT    NOT NULL,
    email_key        TEXT    NOT NULL,
    phone            TEXT,
    currency         TEXT    NOT NULL,
    ship_name        TEXT    NOT NULL,
    ship_line1       TEXT    NOT NULL,
    ship_line2       TEXT,
    ship_city        TEXT    NOT NULL,
    ship_region      TEXT,
    ship_postal_code TEXT    NOT NULL,
    ship_country     TEXT    NOT NULL,
    shipping         TEXT    NOT NULL,
    tax              TEXT    NOT NULL,
    version          INTEGER NOT NULL
) WITHOUT ROWID;

-- recent() and search(): one shopper's orders, newest first, read in index order.
CREATE INDEX orders_by_email ON orders (email_key, placed_at DESC, number DESC);

CREATE TABLE order_lines (
    order_number    TEXT    NOT NULL REFERENCES orders (number),
    line_no         INTEGER NOT NULL,
    position        INTEGER NOT NULL,
    part_number     TEXT    NOT NULL,
    part_key        TEXT    NOT NULL,
    brand           TEXT    NOT NULL,
    category        TEXT    NOT NULL,
    category_key    TEXT    NOT NULL,
    description     TEXT    NOT NULL,
    quantity        INTEGER NOT NULL,
    unit_price      TEXT    NOT NULL,
    core_charge     TEXT    NOT NULL,
    returnable      INTEGER NOT NULL,
    warranty_months INTEGER NOT NULL,
    cancelled       INTEGER NOT NULL,
    returned        INTEGER NOT NULL,
    PRIMARY KEY (order_number, line_no)
) WITHOUT ROWID;

CREATE TABLE packages (
    order_number    TEXT    NOT NULL REFERENCES orders (number),
    position        INTEGER NOT NULL,
    package_id      TEXT    NOT NULL,
    warehouse       TEXT    NOT NULL,
    carrier         TEXT,
    tracking_number TEXT,
    shipped_at      INTEGER,
    delivered_at    INTEGER,
    PRIMARY KEY (order_number, position)
) WITHOUT ROWID;

CREATE TABLE package_units (
    order_number     TEXT    NOT NULL,
    package_position INTEGER NOT NULL,
    position         INTEGER NOT NULL,
    line_no          INTEGER NOT NULL,
    quantity         INTEGER NOT NULL,
    PRIMARY KEY (order_number, package_position, position),
    FOREIGN KEY (order_number, package_position) REFERENCES packages (order_number, position),
    FOREIGN KEY (order_number, line_no) REFERENCES order_lines (order_number, line_no)
) WITHOUT ROWID;

CREATE TABLE outbox (
    message_id      TEXT    NOT NULL PRIMARY KEY,
    created_at      INTEGER NOT NULL,
    kind            TEXT    NOT NULL,
    payload         TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at INTEGER,
    last_error      TEXT,
    sent_at         INTEGER
);

-- due() and pending_count(): only unsent messages are indexed, so the index stays as
-- small as the backlog however many messages were ever sent.
CREATE INDEX outbox_pending ON outbox (created_at, message_id, next_attempt_at)
    WHERE sent_at IS NULL;

PRAGMA user_version = 1;
"""

_V2 = """
ALTER TABLE packages ADD COLUMN opened_at INTEGER;

PRAGMA user_version = 2;
"""

_V3 = """
CREATE TABLE guest_pass_challenges (
    selector     TEXT    NOT NULL PRIMARY KEY,
    order_number TEXT    NOT NULL,
    code_hash    TEXT    NOT NULL,
    link_hash    TEXT    NOT NULL,
    issued_at    INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    tries_left   INTEGER NOT NULL,
    used         INTEGER NOT NULL
) WITHOUT ROWID;

-- latest_challenge(): one order's challenges, newest first, read in index order.
CREATE INDEX guest_pass_challenges_by_order
    ON guest_pass_challenges (order_number, issued_at DESC, selector DESC);

CREATE TABLE guest_passes (
    selector       TEXT    NOT NULL PRIMARY KEY,
    validator_hash TEXT    NOT NULL,
    order_number   TEXT    NOT NULL,
    issued_at      INTEGER NOT NULL,
    expires_at     INTEGER NOT NULL
) WITHOUT ROWID;

PRAGMA user_version = 3;
"""

# Version 4: what guests asked of an order and what the store decided (cancel requests,
# change requests, problem reports, refunds) as one JSON document per order, written with
# the library's cattrs converter. These lists are short, always read and written with their
# order, and never searched by SQL, so a document is simpler than four tables. Most orders
# have none: NULL then, and get() skips the JSON decoding entirely.
_V4 = """
ALTER TABLE orders ADD COLUMN shipping_speed TEXT NOT NULL DEFAULT 'standard';
ALTER TABLE orders ADD COLUMN activity TEXT;

PRAGMA user_version = 4;
"""

# Version 5: the first reply of each command run with an idempotency key (SECURITY G5),
# replayed while the key is young; an expired key's row is simply replaced.
_V5 = """
CREATE TABLE idempotent_replies (
    key         TEXT    NOT NULL PRIMARY KEY,
    fingerprint TEXT    NOT NULL,
    reply       TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
) WITHOUT ROWID;

PRAGMA user_version = 5;
"""

# Version 6: store credit and return papers (see the module docstring).
_V6 = """
CREATE TABLE store_credit (
    entry_id  TEXT    NOT NULL PRIMARY KEY,
    seq       INTEGER NOT NULL UNIQUE,
    holder    TEXT    NOT NULL,
    currency  TEXT    NOT NULL,
    amount    TEXT    NOT NULL,
    at        INTEGER NOT NULL,
    reference TEXT    NOT NULL
) WITHOUT ROWID;

-- balance(): the holder's amounts in one currency, from the index alone.
CREATE INDEX store_credit_balance ON store_credit (holder, currency, amount);

-- entries(): one holder's entries, newest first, read in index order.
CREATE INDEX store_credit_by_holder ON store_credit (holder, at DESC, entry_id DESC);

CREATE TABLE return_documents (
    rma_number   TEXT    NOT NULL,
    filename     TEXT    NOT NULL,
    order_number TEXT    NOT NULL,
    format       TEXT    NOT NULL,
    media_type   TEXT    NOT NULL,
    content      BLOB    NOT NULL,
    position     INTEGER NOT NULL,
    PRIMARY KEY (rma_number, filename)
) WITHOUT ROWID;

PRAGMA user_version = 6;
"""

# The keys that an address with a character outside printable ASCII has: only those can
# have changed. Their orders and credit entries, ledger entries in the order appended.
_ORDERS_TO_REKEY = """
SELECT number, email, email_key FROM orders
WHERE email_key IN (SELECT email_key FROM orders WHERE email GLOB '*[^ -~]*')
"""
_CREDIT_TO_REKEY = """
SELECT entry_id, holder, currency, amount FROM store_credit
WHERE holder IN (SELECT email_key FROM orders WHERE email GLOB '*[^ -~]*') ORDER BY seq
"""


def rekey_emails(connection: sqlite3.Connection) -> None:
    """Version 7: store every email key as the current rule computes it (see above)."""
    orders, credit = rekeyed(
        connection.execute(_ORDERS_TO_REKEY).fetchall(),
        (
            (entry_id, holder, currency, Decimal(amount))
            for entry_id, holder, currency, amount in connection.execute(_CREDIT_TO_REKEY)
        ),
    )
    connection.executemany("UPDATE orders SET email_key = ? WHERE number = ?", orders)
    connection.executemany("UPDATE store_credit SET holder = ? WHERE entry_id = ?", credit)
    connection.execute("PRAGMA user_version = 7")


# Version 8: the newest challenge of an order is the one stored last, even when two share
# an issued_at (two requests in one clock tick). ``seq`` numbers challenges in the order
# they were put (max(seq) + 1 under the write lock, as store_credit does); existing rows
# are numbered in their old newest-first order, so no stored answer changes.
# ``guest_pass_tries`` records every code or link try per order number and challenge
# selector ('' for an order without one), whether or not a challenge exists, so that a code
# check writes alike in both cases (SECURITY A6). A challenge's tries_left column is now
# the number of tries it allows and no longer changes.
_V8 = """
CREATE TABLE guest_pass_tries (
    order_number TEXT    NOT NULL,
    selector     TEXT    NOT NULL,
    at           INTEGER NOT NULL
);

-- record_try(): one challenge's tries, counted from the index alone.
CREATE INDEX guest_pass_tries_by_challenge ON guest_pass_tries (order_number, selector);

ALTER TABLE guest_pass_challenges ADD COLUMN seq INTEGER;

UPDATE guest_pass_challenges SET seq = (
    SELECT count(*) FROM guest_pass_challenges AS older
    WHERE (older.issued_at, older.selector)
        <= (guest_pass_challenges.issued_at, guest_pass_challenges.selector)
);

CREATE UNIQUE INDEX guest_pass_challenges_by_seq ON guest_pass_challenges (seq);

DROP INDEX guest_pass_challenges_by_order;

-- latest_challenge(): one order's challenges, newest first, read in index order.
CREATE INDEX guest_pass_challenges_by_order
    ON guest_pass_challenges (order_number, issued_at DESC, seq DESC);

PRAGMA user_version = 8;
"""

# Dead letters (issue 12): ``dead_at`` is when a message stopped being tried (INTEGER
# microseconds, NULL while it waits or once sent). The pending index is rebuilt for the
# messages that wait (neither sent nor dead), so due(), pending() and pending_count() never
# read a dead letter; dead() reads a partial index of its own, as small as the dead letters.
_V9 = """
ALTER TABLE outbox ADD COLUMN dead_at INTEGER;

DROP INDEX outbox_pending;

CREATE INDEX outbox_pending ON outbox (created_at, message_id, next_attempt_at)
    WHERE sent_at IS NULL AND dead_at IS NULL;

CREATE INDEX outbox_dead ON outbox (dead_at, message_id) WHERE dead_at IS NOT NULL;

PRAGMA user_version = 9;
"""

# Version 10: accounts, tokens, sessions, order links, the security log and captcha
# challenges (see the module docstring). Instants are INTEGER microseconds, booleans 0 or 1.
_V10 = """
CREATE TABLE accounts (
    account_id          TEXT    NOT NULL PRIMARY KEY,
    email               TEXT    NOT NULL,
    email_key           TEXT    NOT NULL,
    state               TEXT    NOT NULL,
    created_at          INTEGER NOT NULL,
    language            TEXT    NOT NULL,
    password_hash       TEXT,
    verified_at         INTEGER,
    password_changed_at INTEGER,
    failed_logins       INTEGER NOT NULL,
    credential_epoch    INTEGER NOT NULL,
    version             INTEGER NOT NULL
) WITHOUT ROWID;

-- by_email() and the one-live-account-per-address rule.
CREATE UNIQUE INDEX accounts_by_email ON accounts (email_key) WHERE state <> 'deleted';

CREATE TABLE account_tokens (
    selector         TEXT    NOT NULL PRIMARY KEY,
    secret_hash      TEXT    NOT NULL,
    account_id       TEXT    NOT NULL,
    purpose          TEXT    NOT NULL,
    issued_at        INTEGER NOT NULL,
    expires_at       INTEGER NOT NULL,
    credential_epoch INTEGER NOT NULL,
    by_code          INTEGER NOT NULL,
    payload          TEXT,
    used_at          INTEGER,
    tries            INTEGER NOT NULL
) WITHOUT ROWID;

-- end_tokens(): an account's unused tokens of one purpose.
CREATE INDEX account_tokens_by_account ON account_tokens (account_id, purpose)
    WHERE used_at IS NULL;

CREATE TABLE account_sessions (
    id_hash            TEXT    NOT NULL PRIMARY KEY,
    account_id         TEXT    NOT NULL,
    remember           INTEGER NOT NULL,
    created_at         INTEGER NOT NULL,
    last_seen_at       INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    reauthenticated_at INTEGER NOT NULL,
    ended_at           INTEGER
) WITHOUT ROWID;

-- end_all(): an account's sessions not yet ended.
CREATE INDEX account_sessions_by_account ON account_sessions (account_id)
    WHERE ended_at IS NULL;

CREATE TABLE order_links (
    order_number TEXT    NOT NULL PRIMARY KEY,
    account_id   TEXT    NOT NULL,
    linked_at    INTEGER NOT NULL,
    linked_by    TEXT    NOT NULL
) WITHOUT ROWID;

-- linked_orders(), search_linked(), unlink_all(): one account's orders.
CREATE INDEX order_links_by_account ON order_links (account_id, order_number);

CREATE TABLE security_events (
    seq          INTEGER PRIMARY KEY,
    kind         TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    account_id   TEXT,
    masked_email TEXT,
    client       TEXT
);

-- events(): one account's log, newest first, read in index order.
CREATE INDEX security_events_by_account ON security_events (account_id, at DESC, seq DESC);

CREATE TABLE captcha_challenges (
    challenge_id TEXT    NOT NULL PRIMARY KEY,
    answer_hash  TEXT    NOT NULL,
    issued_at    INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER
) WITHOUT ROWID;

PRAGMA user_version = 10;
"""

# Version 11: failed log-ins counted by the hash of the typed address (failure_key), for an
# address with an account and one without alike (SECURITY A6, C2). accounts.failed_logins
# keeps what was counted before; a log-in adds both.
_V11 = """
CREATE TABLE login_failures (
    failure_key TEXT    NOT NULL PRIMARY KEY,
    failures    INTEGER NOT NULL,
    last_at     INTEGER NOT NULL
) WITHOUT ROWID;

PRAGMA user_version = 11;
"""

# Version 12: saved addresses and the garage (see the module docstring).
_V12 = """
CREATE TABLE saved_addresses (
    account_id  TEXT    NOT NULL,
    address_id  TEXT    NOT NULL,
    name        TEXT    NOT NULL,
    line1       TEXT    NOT NULL,
    city        TEXT    NOT NULL,
    postal_code TEXT    NOT NULL,
    country     TEXT    NOT NULL,
    line2       TEXT,
    region      TEXT,
    address_key TEXT    NOT NULL,
    is_default  INTEGER NOT NULL,
    saved_at    INTEGER NOT NULL,
    PRIMARY KEY (account_id, address_id)
) WITHOUT ROWID;

-- One address is saved once per account; at most one default per account.
CREATE UNIQUE INDEX saved_addresses_by_key ON saved_addresses (account_id, address_key);
CREATE UNIQUE INDEX saved_addresses_default ON saved_addresses (account_id)
    WHERE is_default = 1;

CREATE TABLE garage_vehicles (
    account_id TEXT    NOT NULL,
    vehicle_id TEXT    NOT NULL,
    year       INTEGER NOT NULL,
    make       TEXT    NOT NULL,
    model      TEXT    NOT NULL,
    engine     TEXT    NOT NULL,
    nickname   TEXT,
    vin        TEXT,
    catalog_id TEXT    NOT NULL,
    added_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, vehicle_id)
) WITHOUT ROWID;

PRAGMA user_version = 12;
"""

# Version 13: the vehicle an order line was bought for (see the module docstring).
_V13 = """
ALTER TABLE order_lines ADD COLUMN vehicle TEXT;
ALTER TABLE order_lines ADD COLUMN vehicle_key TEXT;

-- search_linked() by vehicle: one order's lines of one vehicle, per linked order.
CREATE INDEX order_lines_by_vehicle ON order_lines (order_number, vehicle_key)
    WHERE vehicle_key IS NOT NULL;

PRAGMA user_version = 13;
"""

# Version 14: discount codes (see the module docstring).
_DISCOUNT_CODES = """
CREATE TABLE discount_codes (
    code              TEXT    NOT NULL PRIMARY KEY,
    account_id        TEXT,
    currency          TEXT,
    amount            TEXT,
    percent           INTEGER,
    issued_at         INTEGER NOT NULL,
    expires_at        INTEGER NOT NULL,
    used_at           INTEGER,
    order_reference   TEXT,
    discount_currency TEXT,
    discount_amount   TEXT,
    revoked_at        INTEGER
) WITHOUT ROWID;

-- discount_codes() and count_open_codes(): one account's codes, newest first.
CREATE INDEX discount_codes_by_account ON discount_codes (account_id, issued_at DESC, code DESC);

PRAGMA user_version = 14;
"""

# Version 15: availability alerts (see the module docstring).
_PART_WATCHES = """
CREATE TABLE part_watches (
    account_id  TEXT    NOT NULL,
    part_key    TEXT    NOT NULL,
    part_number TEXT    NOT NULL,
    watched_at  INTEGER NOT NULL,
    PRIMARY KEY (account_id, part_key)
) WITHOUT ROWID;

-- take_watchers(): one part's watches, in the order the watchers are answered.
CREATE INDEX part_watches_by_part ON part_watches (part_key, watched_at, account_id);

PRAGMA user_version = 15;
"""

# Version 16: store-mail subscriptions (see the module docstring).
_MAIL_PREFERENCES = """
CREATE TABLE mail_subscriptions (
    account_id    TEXT    NOT NULL,
    topic         TEXT    NOT NULL,
    subscribed_at INTEGER NOT NULL,
    PRIMARY KEY (account_id, topic)
) WITHOUT ROWID;

CREATE INDEX mail_subscriptions_by_topic ON mail_subscriptions (topic, account_id);

PRAGMA user_version = 16;
"""

#: One migration: a script of statements, or a Python step given the connection (inside
#: the migration's transaction). Either ends by setting ``user_version`` to its number.
Migration = str | Callable[[sqlite3.Connection], None]

#: The migrations, oldest first. ``MIGRATIONS[n - 1]`` brings version ``n - 1`` to ``n``.
MIGRATIONS: tuple[Migration, ...] = (
    _V1,
    _V2,
    _V3,
    _V4,
    _V5,
    _V6,
    rekey_emails,
    _V8,
    _V9,
    _V10,
    _V11,
    _V12,
    _V13,
    _DISCOUNT_CODES,
    _PART_WATCHES,
    _MAIL_PREFERENCES,
)

#: The schema version this code reads and writes.
SCHEMA_VERSION = len(MIGRATIONS)


def statements(script: str) -> Iterator[str]:
    """Split a migration script into single statements.

    ``sqlite3.Cursor.executescript`` would be simpler, but on Python 3.11 it commits any
    open transaction first, which would break "one transaction per migration". SQLite's
    own :func:`sqlite3.complete_statement` decides where a statement ends, so a ``;`` inside
    a string literal, a comment or a trigger body does not split it.

    >>> list(statements("CREATE TABLE t (x); PRAGMA user_version = 1;"))
    ['CREATE TABLE t (x);', 'PRAGMA user_version = 1;']
    """
    buffer = ""
    for piece in script.split(";"):
        buffer += piece + ";"
        if sqlite3.complete_statement(buffer):
            statement = buffer.strip()
            buffer = ""
            if statement.strip(";").strip():
                yield statement
    if buffer.strip(";").strip():
        raise ValueError(f"incomplete SQL statement at the end of a migration: {buffer[:60]!r}")
