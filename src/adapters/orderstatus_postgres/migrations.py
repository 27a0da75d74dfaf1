"""The PostgreSQL schema, as numbered migrations.

``MIGRATIONS[n - 1]`` takes a schema from version ``n - 1`` to ``n``. The runner
(:meth:`orderstatus_postgres.PostgresStorage.migrate`) applies each one in its own
transaction (PostgreSQL's DDL is transactional, so a failure leaves the previous version
intact) and records it as a row of ``orderstatus_schema``; the highest ``version`` there is
the schema's version. Every transaction first takes ``pg_advisory_xact_lock(MIGRATION_LOCK)``
and only then reads the version, so two processes migrating at once apply each migration
exactly once: the second waits, then finds nothing left to do. Never edit a released
migration: append one.

The adapter is younger than the schema it stores, so version 1 is the whole of the SQLite
adapter's five versions (orders with ``shipping_speed`` and the ``activity`` document,
lines, packages with ``opened_at``, package units, the outbox with leases, guest-pass
challenges and passes, idempotent replies). Design of version 1, where it differs from
SQLite's (:mod:`orderstatus_sqlite.migrations`):

* Money is ``numeric``, exact like the model's ``Decimal`` (``Decimal("24.990")`` keeps its
  scale; an exponent form such as ``1E+2`` comes back as the equal ``100``). Line amounts
  share the order's currency, so only ``orders.currency`` is stored.
* Timestamps are ``timestamptz`` (microseconds, like ``datetime``); the adapter's sessions
  run with ``TimeZone=UTC``.
* Every key that is compared or sorted (order numbers, canonical email, part and category
  keys, message ids, selectors) is ``COLLATE "C"``: byte order of UTF-8, which is code point
  order, which is how Python (and so the memory reference) compares ``str``. The category
  search's prefix range ``[key || U+001F, key || U+0020)`` relies on it, and so do ties
  broken by number, message id or selector.
* Child tables have the order number first in their primary key, so an order's lines,
  packages and units are each one index range, read by :meth:`get`'s single statement.
* ``activity`` (requests, reports and refunds) and the outbox ``payload`` are ``jsonb``
  documents written with the library's cattrs converter: never searched by SQL by this
  library, but readable by a DBA's queries. ``idempotent_replies.reply`` stays ``text``:
  a reply is replayed exactly as it was stored.
* ``orders`` has ``fillfactor = 90``: every command rewrites its order's row (a new
  version), and the free space lets PostgreSQL keep the new row on the same page (a HOT
  update, which writes no index entry, since no indexed column changes).
* As in SQLite, there is no index on ``order_lines(part_key)`` or ``(category_key)``: a
  search walks one shopper's orders through ``orders_by_email`` and reads their lines
  through the primary key, so its work is bounded by one shopper's history.
* The outbox index holds only unsent messages (a partial index), so it stays as small as
  the backlog. ``claim`` walks it oldest first with ``FOR UPDATE SKIP LOCKED``.

Version 2 adds store credit and return papers (SQLite's version 6):

* ``store_credit``, an append-only ledger keyed by ``entry_id``: ``amount`` is ``numeric``
  with its own ``currency``, summed exactly by ``sum()``. ``seq`` is an identity column,
  the order rows were appended in (appends of one holder and currency are serialized by
  an advisory lock, so for them it is also the commit order). ``store_credit_balance``
  on ``(holder, currency) INCLUDE (amount)`` answers a balance by an index-only scan;
  ``store_credit_by_holder`` on ``(holder, at DESC, entry_id DESC)``, covering the other
  columns, lists a holder's entries newest first by an index-only scan in index order.
* ``return_documents`` keyed by ``(rma_number, filename)``, ``content`` as ``bytea``.
  ``position`` is an identity column, so the order of first put holds even for two units
  putting documents of one RMA at once; a replacement (``ON CONFLICT DO UPDATE``) keeps it.

Version 3 (SQLite's version 7) changes no table: it recomputes every stored email key
(``orders.email_key``, ``store_credit.holder``) by the current rule, which folds only case
and the domain (issue 9: the old one let lookalike addresses share a key). The rule is the
library's Python, so the migration is a Python :attr:`Migration.step`,
:func:`rekey_emails`, in the migration's one transaction; :mod:`orderstatus_core.rekeying`
says whose credit is whose. It reads only the keys that an address with a character
beyond ASCII has (through ``orders_by_email``); an ASCII address's key never changed.

Version 4 (SQLite's version 8) numbers guest-pass challenges in the order they were stored
(``seq``, an identity column), so that of two with one ``issued_at`` the later one is the
newest, and adds ``guest_pass_tries``, one row per code or link try, written alike whether
or not the order has a challenge.

Version 5 (SQLite's version 9) adds dead letters: ``outbox.dead_at``, the pending index
rebuilt for the messages that wait (neither sent nor dead) and a partial index of the dead
letters.

Version 6 (SQLite's version 10) adds accounts, account tokens, sessions, order links, the
security log and captcha challenges, and touches no earlier table. Keys are ``COLLATE
"C"`` as everywhere; ``accounts_by_email`` is a partial unique index over the live
accounts (``state <> 'deleted'``), so a deleted account keeps its row and its address
may sign up again; ``security_events.seq`` is an identity column, the log's own order.
``accounts`` has ``fillfactor = 90`` as ``orders`` has: a failed log-in rewrites its row.
There is no foreign key between the new tables or to ``orders`` (see SQLite's version 10
for why).

Version 8 (SQLite's version 12) adds the profile: ``saved_addresses`` and
``garage_vehicles``, each keyed by ``(account_id, its id)``, with the same two unique
indexes on the saved addresses (one address saved once per account, at most one default);
see SQLite's version 12.

Version 9 (SQLite's version 13) adds the vehicle an order line was bought for:
``order_lines.vehicle`` (the six fields joined by U+001F) and ``vehicle_key`` (``COLLATE
"C"``: the search by vehicle is a code point range, as the category's), both NULL for a
line without one, and the partial index ``order_lines_by_vehicle`` on ``(order_number,
vehicle_key) WHERE vehicle_key IS NOT NULL``. Adding a column without a default rewrites no
row, so the migration takes the same time however many orders are stored.

The discount-codes migration (``_DISCOUNT_CODES``, version 10; SQLite's version 14) adds
``discount_codes``, keyed by the code text, with ``numeric`` amounts and ``timestamptz``
instants; see SQLite's.

Version 12 (SQLite's version 16) adds the mail preferences: ``mail_subscriptions`` keyed by
``(account_id, topic)``, and ``mail_subscriptions_by_topic`` for the pages of a topic's
subscribers in account-id order (``COLLATE "C"``: bytewise, as SQLite compares)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

import attrs
import psycopg

from orderstatus_sql.migrations import rekeyed

__all__ = [
    "MIGRATIONS",
    "MIGRATION_LOCK",
    "SCHEMA_VERSION",
    "VERSION_TABLE",
    "Migration",
    "rekey_emails",
]

#: The key of the transaction-level advisory lock every migration step holds (the one-key
#: ``bigint`` form: "ORDERST" in ASCII). Unrelated to the row locks of the commands.
MIGRATION_LOCK: Final = 0x4F52444552535400

#: The table that records applied migrations, created by the runner before migration 1.
VERSION_TABLE: Final = "orderstatus_schema"


@attrs.frozen
class Migration:
    """One step of the schema: what it does, and its statements, run in one transaction.

    ``step``, if given, runs after the statements in the same transaction: Python for
    what SQL cannot say, such as the library's own key rule.
    """

    description: str
    statements: tuple[str, ...]
    step: Callable[[psycopg.Connection[Any]], None] | None = None


_V1 = Migration(
    "orders, lines, packages, units, outbox, guest passes, idempotent replies",
    (
        """
        CREATE TABLE orders (
            number           text COLLATE "C" NOT NULL PRIMARY KEY,
            placed_at        timestamptz      NOT NULL,
            email            text             NOT NULL,
            email_key        text COLLATE "C" NOT NULL,
            phone            text,
            currency         text             NOT NULL,
            ship_name        text             NOT NULL,
            ship_line1       text             NOT NULL,
            ship_line2       text,
            ship_city        text             NOT NULL,
            ship_region      text,
            ship_postal_code text             NOT NULL,
            ship_country     text             NOT NULL,
            shipping         numeric          NOT NULL,
            tax              numeric          NOT NULL,
            version          bigint           NOT NULL,
            shipping_speed   text             NOT NULL,
            activity         jsonb
        ) WITH (fillfactor = 90)
        """,
        # recent() and search(): one shopper's orders, newest first, read in index order.
        """
        CREATE INDEX orders_by_email ON orders (email_key, placed_at DESC, number DESC)
            INCLUDE (email, currency)
        """,
        """
        CREATE TABLE order_lines (
            order_number    text COLLATE "C" NOT NULL REFERENCES orders (number),
            line_no         bigint           NOT NULL,
            position        bigint           NOT NULL,
            part_number     text             NOT NULL,
            part_key        text COLLATE "C" NOT NULL,
            brand           text             NOT NULL,
            category        text             NOT NULL,
            category_key    text COLLATE "C" NOT NULL,
            description     text             NOT NULL,
            quantity        bigint           NOT NULL,
            unit_price      numeric          NOT NULL,
            core_charge     numeric          NOT NULL,
            returnable      boolean          NOT NULL,
            warranty_months bigint           NOT NULL,
            cancelled       bigint           NOT NULL,
            returned        bigint           NOT NULL,
            PRIMARY KEY (order_number, line_no)
        )
        """,
        """
        CREATE TABLE packages (
            order_number    text COLLATE "C" NOT NULL REFERENCES orders (number),
            position        bigint           NOT NULL,
            package_id      text             NOT NULL,
            warehouse       text             NOT NULL,
            carrier         text,
            tracking_number text,
            shipped_at      timestamptz,
            delivered_at    timestamptz,
            opened_at       timestamptz,
            PRIMARY KEY (order_number, position)
        )
        """,
        """
        CREATE TABLE package_units (
            order_number     text COLLATE "C" NOT NULL,
            package_position bigint           NOT NULL,
            position         bigint           NOT NULL,
            line_no          bigint           NOT NULL,
            quantity         bigint           NOT NULL,
            PRIMARY KEY (order_number, package_position, position),
            FOREIGN KEY (order_number, package_position)
                REFERENCES packages (order_number, position),
            FOREIGN KEY (order_number, line_no) REFERENCES order_lines (order_number, line_no)
        )
        """,
        """
        CREATE TABLE outbox (
            message_id      text COLLATE "C" NOT NULL PRIMARY KEY,
            created_at      timestamptz      NOT NULL,
            kind            text             NOT NULL,
            payload         jsonb            NOT NULL,
            attempts        bigint           NOT NULL,
            next_attempt_at timestamptz,
            last_error      text,
            sent_at         timestamptz
        )
        """,
        # due(), claim() and pending_count(): only unsent messages are indexed.
        """
        CREATE INDEX outbox_pending ON outbox (created_at, message_id) WHERE sent_at IS NULL
        """,
        # Only SHA-256 hashes of codes and validators are stored (SECURITY D1). No foreign
        # key to orders: a retention job must be able to delete an order without first
        # finding its expired passes.
        """
        CREATE TABLE guest_pass_challenges (
            selector     text COLLATE "C" NOT NULL PRIMARY KEY,
            order_number text COLLATE "C" NOT NULL,
            code_hash    text             NOT NULL,
            link_hash    text             NOT NULL,
            issued_at    timestamptz      NOT NULL,
            expires_at   timestamptz      NOT NULL,
            tries_left   bigint           NOT NULL,
            used         boolean          NOT NULL
        )
        """,
        # latest_challenge(): one order's challenges, newest first, read in index order.
        """
        CREATE INDEX guest_pass_challenges_by_order
            ON guest_pass_challenges (order_number, issued_at DESC, selector DESC)
        """,
        """
        CREATE TABLE guest_passes (
            selector       text COLLATE "C" NOT NULL PRIMARY KEY,
            validator_hash text             NOT NULL,
            order_number   text COLLATE "C" NOT NULL,
            issued_at      timestamptz      NOT NULL,
            expires_at     timestamptz      NOT NULL
        )
        """,
        # The first reply of each command run with an idempotency key (SECURITY G5).
        """
        CREATE TABLE idempotent_replies (
            key         text COLLATE "C" NOT NULL PRIMARY KEY,
            fingerprint text             NOT NULL,
            reply       text             NOT NULL,
            created_at  timestamptz      NOT NULL
        )
        """,
    ),
)

_V2 = Migration(
    "store credit ledger and return documents",
    (
        """
        CREATE TABLE store_credit (
            entry_id  text COLLATE "C" NOT NULL PRIMARY KEY,
            seq       bigint           NOT NULL GENERATED ALWAYS AS IDENTITY,
            holder    text COLLATE "C" NOT NULL,
            currency  text COLLATE "C" NOT NULL,
            amount    numeric          NOT NULL,
            at        timestamptz      NOT NULL,
            reference text             NOT NULL
        )
        """,
        # balance(): one holder's amounts in one currency, from the index alone.
        """
        CREATE INDEX store_credit_balance ON store_credit (holder, currency) INCLUDE (amount)
        """,
        # entries(): one holder's entries, newest first, read in index order.
        """
        CREATE INDEX store_credit_by_holder ON store_credit (holder, at DESC, entry_id DESC)
            INCLUDE (currency, amount, reference)
        """,
        """
        CREATE TABLE return_documents (
            rma_number   text COLLATE "C" NOT NULL,
            filename     text COLLATE "C" NOT NULL,
            order_number text COLLATE "C" NOT NULL,
            format       text             NOT NULL,
            media_type   text             NOT NULL,
            content      bytea            NOT NULL,
            position     bigint           NOT NULL GENERATED ALWAYS AS IDENTITY,
            PRIMARY KEY (rma_number, filename)
        )
        """,
    ),
)

# The keys that an address with a character outside printable ASCII has: only those can
# have changed. Their orders and credit entries, ledger entries in the order appended.
_ORDERS_TO_REKEY: Final = """
SELECT number, email, email_key FROM orders
WHERE email_key IN (SELECT email_key FROM orders WHERE email ~ '[^ -~]')
"""
_CREDIT_TO_REKEY: Final = """
SELECT entry_id, holder, currency, amount FROM store_credit
WHERE holder IN (SELECT email_key FROM orders WHERE email ~ '[^ -~]') ORDER BY seq
"""


def rekey_emails(connection: psycopg.Connection[Any]) -> None:
    """Version 3: store every email key as the current rule computes it (see above)."""
    orders, credit = rekeyed(
        connection.execute(_ORDERS_TO_REKEY).fetchall(),
        connection.execute(_CREDIT_TO_REKEY).fetchall(),
    )
    with connection.cursor() as cursor:
        cursor.executemany("UPDATE orders SET email_key = %s WHERE number = %s", orders)
        cursor.executemany("UPDATE store_credit SET holder = %s WHERE entry_id = %s", credit)


_V3 = Migration("email keys that fold only case and the domain (issue 9)", (), rekey_emails)

# The newest challenge of an order is the one stored last, even when two share an issued_at
# (two requests in one clock tick): ``seq`` numbers challenges in the order they were put.
# Existing rows are numbered in their old newest-first order, so no stored answer changes;
# the identity then continues after them.
_V4 = Migration(
    "guest-pass challenges numbered in the order they were stored; tries per order",
    (
        "ALTER TABLE guest_pass_challenges ADD COLUMN seq bigint",
        """
        UPDATE guest_pass_challenges AS c SET seq = n.rank
          FROM (SELECT selector, row_number() OVER (ORDER BY issued_at, selector) AS rank
                  FROM guest_pass_challenges) AS n
         WHERE n.selector = c.selector
        """,
        """
        ALTER TABLE guest_pass_challenges
            ALTER COLUMN seq SET NOT NULL,
            ALTER COLUMN seq ADD GENERATED ALWAYS AS IDENTITY
        """,
        """
        SELECT setval(pg_get_serial_sequence('guest_pass_challenges', 'seq'),
                      (SELECT coalesce(max(seq), 0) + 1 FROM guest_pass_challenges), false)
        """,
        "DROP INDEX guest_pass_challenges_by_order",
        # latest_challenge(): one order's challenges, newest first, read in index order.
        """
        CREATE INDEX guest_pass_challenges_by_order
            ON guest_pass_challenges (order_number, issued_at DESC, seq DESC)
        """,
        # Every code or link try per order number and challenge selector ('' for an order
        # without one), whether or not a challenge exists, so that a code check writes
        # alike in both cases (SECURITY A6); a challenge's tries_left no longer changes.
        """
        CREATE TABLE guest_pass_tries (
            order_number text COLLATE "C" NOT NULL,
            selector     text COLLATE "C" NOT NULL,
            at           timestamptz      NOT NULL
        )
        """,
        # record_try(): one challenge's tries, counted from the index alone.
        """
        CREATE INDEX guest_pass_tries_by_challenge ON guest_pass_tries (order_number, selector)
        """,
    ),
)

# Dead letters (issue 12): ``dead_at`` is when a message stopped being tried (NULL while it
# waits or once sent). ADD COLUMN without a default changes only the catalog. due(), claim(),
# pending() and pending_count() read the waiting messages only; dead() reads its own partial
# index, as small as the dead letters.
_V5 = Migration(
    "dead letters in the outbox",
    (
        "ALTER TABLE outbox ADD COLUMN dead_at timestamptz",
        "DROP INDEX outbox_pending",
        """
        CREATE INDEX outbox_pending ON outbox (created_at, message_id)
            WHERE sent_at IS NULL AND dead_at IS NULL
        """,
        """
        CREATE INDEX outbox_dead ON outbox (dead_at, message_id) WHERE dead_at IS NOT NULL
        """,
    ),
)

_V6 = Migration(
    "accounts, account tokens, sessions, order links, security log, captcha challenges",
    (
        """
        CREATE TABLE accounts (
            account_id          text COLLATE "C" NOT NULL PRIMARY KEY,
            email               text             NOT NULL,
            email_key           text COLLATE "C" NOT NULL,
            state               text             NOT NULL,
            created_at          timestamptz      NOT NULL,
            language            text             NOT NULL,
            password_hash       text,
            verified_at         timestamptz,
            password_changed_at timestamptz,
            failed_logins       bigint           NOT NULL,
            credential_epoch    bigint           NOT NULL,
            version             bigint           NOT NULL
        ) WITH (fillfactor = 90)
        """,
        # by_email() and the one-live-account-per-address rule.
        """
        CREATE UNIQUE INDEX accounts_by_email ON accounts (email_key) WHERE state <> 'deleted'
        """,
        # Only the hash of each secret (SECURITY D1).
        """
        CREATE TABLE account_tokens (
            selector         text COLLATE "C" NOT NULL PRIMARY KEY,
            secret_hash      text             NOT NULL,
            account_id       text COLLATE "C" NOT NULL,
            purpose          text COLLATE "C" NOT NULL,
            issued_at        timestamptz      NOT NULL,
            expires_at       timestamptz      NOT NULL,
            credential_epoch bigint           NOT NULL,
            by_code          boolean          NOT NULL,
            payload          text,
            used_at          timestamptz,
            tries            bigint           NOT NULL
        )
        """,
        # end_tokens(): an account's unused tokens by purpose.
        """
        CREATE INDEX account_tokens_by_account ON account_tokens (account_id, purpose)
            WHERE used_at IS NULL
        """,
        # Keyed by the hash of the session id (SECURITY E2).
        """
        CREATE TABLE account_sessions (
            id_hash            text COLLATE "C" NOT NULL PRIMARY KEY,
            account_id         text COLLATE "C" NOT NULL,
            remember           boolean          NOT NULL,
            created_at         timestamptz      NOT NULL,
            last_seen_at       timestamptz      NOT NULL,
            expires_at         timestamptz      NOT NULL,
            reauthenticated_at timestamptz      NOT NULL,
            ended_at           timestamptz
        )
        """,
        # end_all(): an account's sessions not yet ended.
        """
        CREATE INDEX account_sessions_by_account ON account_sessions (account_id)
            WHERE ended_at IS NULL
        """,
        # An order joins one account at most.
        """
        CREATE TABLE order_links (
            order_number text COLLATE "C" NOT NULL PRIMARY KEY,
            account_id   text COLLATE "C" NOT NULL,
            linked_at    timestamptz      NOT NULL,
            linked_by    text             NOT NULL
        )
        """,
        # linked_orders(), search_linked(), unlink_all(): one account's orders.
        """
        CREATE INDEX order_links_by_account ON order_links (account_id, order_number)
        """,
        """
        CREATE TABLE security_events (
            seq          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            kind         text             NOT NULL,
            at           timestamptz      NOT NULL,
            account_id   text COLLATE "C",
            masked_email text,
            client       text
        )
        """,
        # events(): one account's log, newest first, by an index-only scan in index order
        # (an account's events are scattered over the table, as its credit entries are).
        """
        CREATE INDEX security_events_by_account
            ON security_events (account_id, at DESC, seq DESC)
            INCLUDE (kind, masked_email, client)
        """,
        """
        CREATE TABLE captcha_challenges (
            challenge_id text COLLATE "C" NOT NULL PRIMARY KEY,
            answer_hash  text             NOT NULL,
            issued_at    timestamptz      NOT NULL,
            expires_at   timestamptz      NOT NULL,
            used_at      timestamptz
        )
        """,
    ),
)

# Failed log-ins counted by the hash of the typed address (failure_key), for an address
# with an account and one without alike (SECURITY A6, C2); accounts.failed_logins keeps what
# was counted before, and a log-in adds both.
_V7 = Migration(
    "failed log-ins by address hash",
    (
        """
        CREATE TABLE login_failures (
            failure_key text COLLATE "C" NOT NULL PRIMARY KEY,
            failures    bigint           NOT NULL,
            last_at     timestamptz      NOT NULL
        ) WITH (fillfactor = 90)
        """,
    ),
)

#: The migrations, oldest first. ``MIGRATIONS[n - 1]`` brings version ``n - 1`` to ``n``.
_V8 = Migration(
    "saved addresses and the garage",
    (
        """
        CREATE TABLE saved_addresses (
            account_id  text COLLATE "C" NOT NULL,
            address_id  text COLLATE "C" NOT NULL,
            name        text             NOT NULL,
            line1       text             NOT NULL,
            city        text             NOT NULL,
            postal_code text             NOT NULL,
            country     text             NOT NULL,
            line2       text,
            region      text,
            address_key text COLLATE "C" NOT NULL,
            is_default  boolean          NOT NULL,
            saved_at    timestamptz      NOT NULL,
            PRIMARY KEY (account_id, address_id)
        )
        """,
        # One address is saved once per account; at most one default per account.
        """
        CREATE UNIQUE INDEX saved_addresses_by_key ON saved_addresses (account_id, address_key)
        """,
        """
        CREATE UNIQUE INDEX saved_addresses_default ON saved_addresses (account_id)
            WHERE is_default
        """,
        """
        CREATE TABLE garage_vehicles (
            account_id text COLLATE "C" NOT NULL,
            vehicle_id text COLLATE "C" NOT NULL,
            year       integer          NOT NULL,
            make       text             NOT NULL,
            model      text             NOT NULL,
            engine     text             NOT NULL,
            nickname   text,
            vin        text,
            catalog_id text             NOT NULL,
            added_at   timestamptz      NOT NULL,
            PRIMARY KEY (account_id, vehicle_id)
        )
        """,
    ),
)

# The vehicle an order line was bought for (SQLite's version 13; see the module docstring).
_V9 = Migration(
    "the vehicle of an order line",
    (
        "ALTER TABLE order_lines ADD COLUMN vehicle text",
        'ALTER TABLE order_lines ADD COLUMN vehicle_key text COLLATE "C"',
        # search_linked() by vehicle: one order's lines of one vehicle, per linked order.
        """
        CREATE INDEX order_lines_by_vehicle ON order_lines (order_number, vehicle_key)
            WHERE vehicle_key IS NOT NULL
        """,
    ),
)

# Discount codes (SQLite's version 14; see the module docstring).
_DISCOUNT_CODES = Migration(
    "discount codes",
    (
        """
        CREATE TABLE discount_codes (
            code              text COLLATE "C" NOT NULL PRIMARY KEY,
            account_id        text COLLATE "C",
            currency          text COLLATE "C",
            amount            numeric,
            percent           integer,
            issued_at         timestamptz      NOT NULL,
            expires_at        timestamptz      NOT NULL,
            used_at           timestamptz,
            order_reference   text COLLATE "C",
            discount_currency text COLLATE "C",
            discount_amount   numeric,
            revoked_at        timestamptz
        ) WITH (fillfactor = 90)
        """,
        # discount_codes() and count_open_codes(): one account's codes, newest first.
        """
        CREATE INDEX discount_codes_by_account
            ON discount_codes (account_id, issued_at DESC, code DESC)
        """,
    ),
)

# Availability alerts (issue 14 item 5): one watch per account and part, keyed so that an
# account's watches sit together; part_watches_by_part is what a report of the part back in
# stock deletes through (orderstatus_sql.watches). forget_profile deletes an account's.
_PART_WATCHES = Migration(
    "availability alerts",
    (
        """
        CREATE TABLE part_watches (
            account_id  text COLLATE "C" NOT NULL,
            part_key    text COLLATE "C" NOT NULL,
            part_number text             NOT NULL,
            watched_at  timestamptz      NOT NULL,
            PRIMARY KEY (account_id, part_key)
        )
        """,
        """
        CREATE INDEX part_watches_by_part ON part_watches (part_key, watched_at, account_id)
        """,
    ),
)

# Store-mail subscriptions (SQLite's version 16; see the module docstring).
_MAIL_PREFERENCES = Migration(
    "store-mail subscriptions",
    (
        """
        CREATE TABLE mail_subscriptions (
            account_id    text COLLATE "C" NOT NULL,
            topic         text COLLATE "C" NOT NULL,
            subscribed_at timestamptz      NOT NULL,
            PRIMARY KEY (account_id, topic)
        )
        """,
        """
        CREATE INDEX mail_subscriptions_by_topic ON mail_subscriptions (topic, account_id)
        """,
    ),
)

#: The migrations, oldest first. ``MIGRATIONS[n - 1]`` brings version ``n - 1`` to ``n``.
MIGRATIONS: tuple[Migration, ...] = (
    _V1,
    _V2,
    _V3,
    _V4,
    _V5,
    _V6,
    _V7,
    _V8,
    _V9,
    _DISCOUNT_CODES,
    _PART_WATCHES,
    _MAIL_PREFERENCES,
)

#: The schema version this code reads and writes.
SCHEMA_VERSION: Final = len(MIGRATIONS)
