"""The ports: every way the core talks to the world, as ``typing.Protocol`` classes.

Adapters implement these; the core never imports an adapter. Each docstring is the
contract an adapter must keep, and :mod:`orderstatus_core.testing.contracts` checks it
(``StorageContract``, ``RateLimiterContract``, ``MailerContract``, ``LabelMakerContract``,
``CaptchaContract``, ``PasswordHasherContract``).

This module holds the ports and nothing else. The values that cross them live beside it:
:mod:`orderstatus_core.records` (search queries and matches, order headers, credit entries,
idempotent replies), :mod:`orderstatus_core.messages` (what the outbox carries),
:mod:`orderstatus_core.events` (domain events), :mod:`orderstatus_core.labels` (return
labels), :mod:`orderstatus_core.model.captcha` (captcha challenges) and
:mod:`orderstatus_core.policies.passwords` (what a password hash costs); an adapter depends
on those, the model and this module.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self

from orderstatus_core.labels import LabelDocument, ReturnLabel, ReturnLabelRequest, StoredDocument
from orderstatus_core.messages import OutboxMessage, OutgoingMail, WatcherMail
from orderstatus_core.model import (
    Money,
    Order,
)
from orderstatus_core.model.account import (
    Account,
    AccountSession,
    AccountToken,
    OrderLink,
    SecurityEvent,
    StoredCaptcha,
    TokenPurpose,
)
from orderstatus_core.model.address import Address
from orderstatus_core.model.alerts import PartWatch
from orderstatus_core.model.captcha import CaptchaChallenge
from orderstatus_core.model.discounts import DiscountCode
from orderstatus_core.model.guest_pass import GuestPass, PassChallenge
from orderstatus_core.model.mail_preferences import MailSubscription
from orderstatus_core.model.profile import GarageVehicle, SavedAddress, Vehicle
from orderstatus_core.model.session_check import SessionCheck
from orderstatus_core.policies.limits import Bucket, RateDecision
from orderstatus_core.policies.passwords import HashCost
from orderstatus_core.records import (
    CreditEntry,
    HistoryQuery,
    IdempotentReply,
    OrderHeader,
    OrderMatch,
    SearchCursor,
    SearchQuery,
)

__all__ = [
    "AccountStore",
    "BreachedPasswords",
    "Captcha",
    "CaptchaStore",
    "Clock",
    "GuestPassStore",
    "IdempotencyStore",
    "LabelMaker",
    "Mailer",
    "OrderRepository",
    "Outbox",
    "PasswordHasher",
    "RateLimiter",
    "ReturnDocumentStore",
    "SessionStore",
    "SharedSessionStore",
    "Storage",
    "StoreCreditLedger",
    "UnitOfWork",
    "VehicleCatalog",
]


# --- the ports ---------------------------------------------------------------------------


class Clock(Protocol):
    """The one source of time. Services never call ``datetime.now`` themselves."""

    def now(self) -> datetime:
        """The current time, timezone-aware, in UTC."""
        ...


class OrderRepository(Protocol):
    """Orders, inside one :class:`UnitOfWork`.

    Every query must stay sublinear in the number of stored orders (an index per query).
    """

    def get(self, number: str) -> Order | None:
        """The order with this canonical number, or ``None``."""
        ...

    def get_for_contact(self, number: str, contact: str) -> Order | None:
        """The order with this canonical number whose email key
        (:attr:`~orderstatus_core.model.EmailAddress.canonical`) or phone (E.164) is
        ``contact``; ``None`` for an unknown number and for a wrong contact alike.

        Find-order and the guest pass read through this, so a wrong email for an existing
        order and an unknown order must cost the same: one indexed look-up that filters on
        both, never "read the order, then compare" (SECURITY A6). In a write unit it
        locks like :meth:`get`.
        """
        ...

    def add(self, order: Order) -> None:
        """Store a new order. Raises :class:`~orderstatus_core.errors.DuplicateOrderError`
        if its number is taken. Visible to others only after commit."""
        ...

    def add_many(self, orders: Sequence[Order]) -> None:
        """Store new orders, as many :meth:`add` calls in their order would, in fewer
        statements (bulk import sends a few hundred orders per call).

        All or none: if a number is taken (stored, added earlier in this unit, or earlier in
        ``orders``), raise :class:`~orderstatus_core.errors.DuplicateOrderError` naming the
        first such order of ``orders`` and store none of them; the unit goes on, as after
        :meth:`add`. A storage whose units run side by side may instead raise
        :class:`~orderstatus_core.errors.ConflictError` for a number another unit stores
        while the orders are being written (a lost race: the unit cannot commit, retry the
        command). No orders is no write. Visible to others only after commit.
        """
        ...

    def save(self, order: Order) -> None:
        """Replace the stored order of this number by ``order``: compare-and-set on the version.

        ``order.version`` must be exactly one more than the stored order's version (services
        build it with :meth:`Order.changed`). If another unit saved first, or no order of
        that number is stored, raise :class:`~orderstatus_core.errors.ConflictError` and
        store nothing (SECURITY G2). Visible to others only after commit.
        """
        ...

    def recent(self, email_key: str, limit: int) -> Sequence[OrderHeader]:
        """Up to ``limit`` orders whose email has canonical key ``email_key``.

        Newest first: by ``placed_at`` descending, ties by ``number`` descending.
        """
        ...

    def search(
        self,
        email_key: str,
        query: SearchQuery,
        limit: int,
        after: SearchCursor | None = None,
    ) -> Sequence[OrderMatch]:
        """Orders of ``email_key`` with at least one line matching ``query``.

        Each match carries all of that order's matching lines in ``line_no`` order. At most
        ``limit`` orders, newest first as in :meth:`recent`, strictly after ``after``.
        """
        ...


class Outbox(Protocol):
    """Pending side effects, stored with the orders and written in the same transaction."""

    def put(self, message: OutboxMessage) -> None:
        """Queue a message, pending (its ``sent_at`` and ``dead_at`` are not read). Rolled
        back with the unit of work (SECURITY G4)."""
        ...

    def due(self, now: datetime, limit: int) -> Sequence[OutboxMessage]:
        """Up to ``limit`` unsent messages, not dead letters, whose ``next_attempt_at`` is
        unset or at or before ``now``, oldest ``created_at`` first (ties by message id)."""
        ...

    def pending(self, limit: int) -> Sequence[OutboxMessage]:
        """Up to ``limit`` messages waiting for delivery (unsent, not dead letters), due or
        not, in :meth:`due`'s order: what an operator lists."""
        ...

    def dead(self, limit: int) -> Sequence[OutboxMessage]:
        """Up to ``limit`` dead letters, each with its ``dead_at`` and last error, the
        oldest ``dead_at`` first (ties by message id)."""
        ...

    def claim(self, now: datetime, limit: int, lease_until: datetime) -> Sequence[OutboxMessage]:
        """Take up to ``limit`` due messages (as :meth:`due` orders them) for one relay
        worker: each is due again only at ``lease_until``, so that workers running at once
        never take the same message. Needs a write unit; the lease holds once committed.

        A worker that delivers marks each message sent or failed; one that dies leaves its
        messages to be taken again when the lease ends (at-least-once delivery).
        """
        ...

    def release(self, message_id: str, leased_until: datetime, now: datetime) -> bool:
        """Give back a claimed message that its worker did not try (it is stopping): due
        again at ``now``, ``attempts`` unchanged. Only while the message is still under
        that worker's lease (``next_attempt_at == leased_until``, unsent, not dead), so a
        worker whose lease ended never frees what another worker holds now. Whether it
        was released."""
        ...

    def get(self, message_id: str) -> OutboxMessage | None:
        """The message with this id, sent or not, or ``None`` (purged, or never put)."""
        ...

    def mark_sent(self, message_id: str, at: datetime) -> None:
        """Record delivery at ``at``; the message is never due again (a dead letter that a
        worker whose lease ended delivered after all is sent, no longer dead).

        In the same write, the stored item loses its secrets: it becomes
        :func:`without_secrets` of itself, so a delivered code or link token can no longer
        be read from the outbox (SECURITY D5). An unknown id is ignored.
        """
        ...

    def mark_failed(self, message_id: str, error: str, retry_at: datetime) -> None:
        """Record a failed attempt: ``attempts`` grows by one, due again at ``retry_at``.
        A sent message, a dead letter and an unknown id are left as they are."""
        ...

    def mark_dead(self, message_id: str, error: str, at: datetime) -> None:
        """Record a failed attempt that ends the tries: ``attempts`` grows by one, the
        message keeps ``error`` and becomes a dead letter at ``at``, never due again until
        :meth:`retry`. It keeps its item whole, secrets included, so that a retry sends the
        same mail. A sent message, a dead letter and an unknown id are left as they are.
        """
        ...

    def retry(self, message_id: str, now: datetime) -> bool:
        """Make a dead letter pending again, due at ``now``, its ``attempts`` back to 0 (its
        last error stays until the next attempt). Whether it was a dead letter: a pending,
        sent or unknown message is left as it is and answers ``False``."""
        ...

    def drop(self, message_id: str) -> bool:
        """Delete an undelivered message (pending or dead) with its secrets; whether one was
        deleted. A sent message stays for its audit until :meth:`purge_sent`: ``False``."""
        ...

    def pending_count(self) -> int:
        """How many messages wait for delivery: unsent and not dead letters."""
        ...

    def purge_sent(self, sent_before: datetime) -> int:
        """Delete the messages sent strictly before ``sent_before``; answer how many.

        A message not yet sent is never deleted, however old.
        """
        ...


class GuestPassStore(Protocol):
    """Guest-pass challenges and passes, inside one :class:`UnitOfWork`.

    Rows are found by their *selector*, which is stored in clear; a code or validator is
    never stored, only its hash (SECURITY D1), and the values given are kept exactly as
    they are. Writes follow the unit's rules: rolled back with it, refused by a read-only
    unit with :class:`~orderstatus_core.errors.AdapterError`, visible to others only after
    commit. Look-ups by selector and by order number must each use an index.
    """

    def put_challenge(self, challenge: PassChallenge) -> None:
        """Store a new challenge. A selector already stored raises
        :class:`~orderstatus_core.errors.ConflictError` (selectors are random; a clash means
        a bug)."""
        ...

    def get_challenge(self, selector: str) -> PassChallenge | None:
        """The challenge with this selector, or ``None``."""
        ...

    def save_challenge(self, challenge: PassChallenge) -> None:
        """Replace the stored challenge with the same selector (a try used, or it was used).

        An unknown selector raises :class:`~orderstatus_core.errors.ConflictError` and stores
        nothing.
        """
        ...

    def latest_challenge(self, order_number: str) -> PassChallenge | None:
        """The newest challenge for this canonical order number, used or not, or ``None``.

        Newest is the latest ``issued_at``; between equal ones, the one put last (two
        requests in one clock tick: the second mail is the one that works). Selectors are
        random, so they must not break the tie.
        """
        ...

    def record_try(self, order_number: str, selector: str, at: datetime) -> int:
        """Record one code or link try at ``at`` against the challenge ``selector`` of
        ``order_number`` (``""`` when the order has none), and answer how many tries of
        that order number and selector are recorded, this one included.

        Every code check records its try, whether or not the order or a challenge exists,
        so that the existing and the missing case write alike (SECURITY A6). Needs a write
        unit; the count must use an index on the order number and selector.
        """
        ...

    def put_pass(self, guest_pass: GuestPass) -> None:
        """Store a new pass. A selector already stored raises
        :class:`~orderstatus_core.errors.ConflictError`."""
        ...

    def get_pass(self, selector: str) -> GuestPass | None:
        """The pass with this selector, or ``None``."""
        ...

    def purge_challenges(self, expired_before: datetime) -> int:
        """Delete the challenges whose ``expires_at`` is strictly before ``expired_before``,
        used or not; answer how many. A challenge expiring at that instant stays.

        In the same write, delete the tries (:meth:`record_try`) recorded strictly before
        ``expired_before`` whose challenge is no longer stored (the ``""`` tries of orders
        without one included): they can never count against a live challenge again. The
        tries of a stored challenge stay, however old."""
        ...

    def purge_passes(self, expired_before: datetime) -> int:
        """Delete the passes whose ``expires_at`` is strictly before ``expired_before``;
        answer how many. A pass expiring at that instant stays."""
        ...


class IdempotencyStore(Protocol):
    """Replies of commands run with an idempotency key, inside one :class:`UnitOfWork`."""

    def get(self, key: str) -> IdempotentReply | None:
        """The reply stored under ``key``, or ``None``."""
        ...

    def put(self, reply: IdempotentReply) -> None:
        """Store ``reply`` under its key, replacing an older one (an expired key is reused).
        Rolled back with the unit of work, like everything else in it."""
        ...

    def purge(self, created_before: datetime) -> int:
        """Delete the replies created strictly before ``created_before``; answer how many."""
        ...


class StoreCreditLedger(Protocol):
    """Shoppers' store credit as an append-only ledger, inside one :class:`UnitOfWork`.

    Written in the same transaction as the refund decision it records (DOMAIN.md section 3).
    """

    def append(self, entry: CreditEntry) -> bool:
        """Append ``entry``; ``False`` (and nothing written) when an entry with its
        ``entry_id`` exists already, so a retried refund never credits twice.

        Raises :class:`~orderstatus_core.errors.InsufficientCreditError` when the entry
        would take the holder's balance in that currency below zero. The check and the
        append are atomic: two spends racing for the same credit never both succeed
        (SECURITY G2); the loser waits for or conflicts with the winner.
        """
        ...

    def balance(self, holder: str, currency: str) -> Money:
        """The sum of the holder's entries in ``currency`` (zero when there are none).

        In a write unit, a storage that locks per balance (as :meth:`append` must, to keep
        a balance from going negative) takes that balance's lock here first and holds it to
        the end of the unit, so that a command reads its clock after the wait (SECURITY G6).
        """
        ...

    def entries(self, holder: str, limit: int) -> Sequence[CreditEntry]:
        """The holder's ``limit`` newest entries, newest first (ties by ``entry_id``,
        descending, as :meth:`OrderRepository.recent` breaks them)."""
        ...

    def balances(self, holder: str) -> Sequence[Money]:
        """The holder's balance in each currency it has entries in, by currency code
        ascending (a balance that came back to zero included); none for a holder without
        entries. Reads without taking a balance's lock: a page shows it, nothing spends
        by it."""
        ...


class ReturnDocumentStore(Protocol):
    """Return labels and instructions, kept so the shopper can print them again."""

    def put(self, stored: StoredDocument) -> None:
        """Keep ``stored``, replacing a document with the same RMA number and filename
        (a relay that retries a label job writes the same files again)."""
        ...

    def for_rma(self, rma_number: str) -> Sequence[StoredDocument]:
        """The documents of one RMA package, in the order they were first put."""
        ...


class AccountStore(Protocol):
    """Shoppers' accounts with their tokens, linked orders and security log, inside one
    :class:`UnitOfWork` (reached as ``uow.accounts``).

    Writes follow the unit's rules: rolled back with it, refused by a read-only unit with
    :class:`~orderstatus_core.errors.AdapterError`, visible to others only after commit.
    Values are stored as given and read back equal; tokens hold only hashes of their
    secrets (SECURITY D1). A look-up by a key no stored row can hold (not text, too long,
    not storable) finds nothing. Every look-up uses an index: by account id, by email key,
    by selector, by order number, by the account of a token, link or event.
    """

    # --- accounts ---

    def add(self, account: Account) -> None:
        """Store a new account. Raises :class:`~orderstatus_core.errors.ConflictError`
        and stores nothing when its id is taken, or when a live (not deleted) account holds
        its email key: of two sign-ups racing with one address, one wins."""
        ...

    def get(self, account_id: str) -> Account | None:
        """The account with this id, deleted or not, or ``None``. In a write unit, a
        storage that locks per account takes that lock here and holds it to the end of the
        unit, so that a read-modify-save is serialized (and the command reads its clock
        after the wait, SECURITY G6)."""
        ...

    def by_email(self, email_key: str) -> Account | None:
        """The live (not deleted) account whose email key is exactly ``email_key``, or
        ``None``; deleted accounts are never found by email.

        Keys are compared exactly, never folded again: ``mike@`` and ``ｍｉｋｅ@`` are two
        keys (SECURITY A4). In a write unit, a storage that locks per key takes the
        key's lock here, whether or not an account holds it, so that a sign-up's "is it
        free? then add" is serialized with any other.
        """
        ...

    def save(self, account: Account) -> None:
        """Replace the stored account of this id: compare-and-set on the version.

        ``account.version`` must be exactly one more than the stored one's (services build
        it with :meth:`Account.changed <orderstatus_core.model.account.Account.changed>`).
        If another unit saved first, if no account of that id is stored, or if the saved
        account is live with an email key another live account holds, raise
        :class:`~orderstatus_core.errors.ConflictError` and store nothing (SECURITY G2).
        """
        ...

    # --- tokens ---

    def put_token(self, token: AccountToken) -> None:
        """Store a new token. A selector already stored raises
        :class:`~orderstatus_core.errors.ConflictError` (selectors are random; a clash
        means a bug)."""
        ...

    def get_token(self, selector: str) -> AccountToken | None:
        """The token with this selector, used or not, with its tries, or ``None``. In a
        write unit a storage that locks rows locks it."""
        ...

    def use_token(self, selector: str, at: datetime) -> bool:
        """Spend the token at ``at`` if it is stored and unused; whether this call spent
        it. Atomic: of units racing to spend one token, exactly one is answered ``True``
        (single use, SECURITY D2); the others change nothing."""
        ...

    def count_token_try(self, selector: str) -> int:
        """Count one try at the token's secret and answer its tries, this one included
        (0, and nothing written, for an unknown selector). Atomic like :meth:`use_token`:
        tries racing at one code are each counted."""
        ...

    def end_tokens(self, account_id: str, purposes: Collection[TokenPurpose], at: datetime) -> int:
        """Spend, at ``at``, every unused token of the account whose purpose is one of
        ``purposes``; answer how many. Tokens of other accounts or purposes, and tokens
        already used, keep what they hold. No purposes is no write."""
        ...

    def purge_tokens(self, expired_before: datetime) -> int:
        """Delete the tokens whose ``expires_at`` is strictly before ``expired_before``,
        used or not; answer how many. A token expiring at that instant stays."""
        ...

    # --- orders linked to accounts ---

    def link_order(self, link: OrderLink) -> bool:
        """Link an order to an account; whether it was linked now. An order joins one
        account at most: when the order number is linked already (to this account or
        another), nothing is written and the answer is ``False``, so linking again is
        harmless. The order itself need not be stored; listings show only stored ones."""
        ...

    def order_link(self, order_number: str) -> OrderLink | None:
        """The link of this canonical order number, or ``None`` when it joined no account."""
        ...

    def linked_orders(
        self, account_id: str, limit: int, after: SearchCursor | None = None
    ) -> Sequence[OrderHeader]:
        """Up to ``limit`` stored orders linked to the account, whatever their email, newest
        first by ``placed_at`` (ties by number descending, as
        :meth:`OrderRepository.recent` orders them), strictly after ``after`` in that
        order. Each header carries the order's own email."""
        ...

    def search_linked(
        self,
        account_id: str,
        query: HistoryQuery,
        limit: int,
        after: SearchCursor | None = None,
    ) -> Sequence[OrderMatch]:
        """The linked orders (as :meth:`linked_orders`) with at least one line matching
        ``query``: each with all its matching lines in ``line_no`` order, at most
        ``limit``, newest first, strictly after ``after``. A part number or a category
        matches as :meth:`OrderRepository.search` matches it; a
        :class:`~orderstatus_core.records.VehicleQuery` matches the lines whose vehicle it
        :meth:`~orderstatus_core.records.VehicleQuery.matches` (by the folded
        :func:`~orderstatus_core.model.profile.vehicle_key`; a line without a vehicle
        never). A storage keeps an index that finds an account's lines of one vehicle
        without reading its other lines."""
        ...

    def unlinked_orders(self, email_key: str, limit: int) -> Sequence[OrderHeader]:
        """Up to ``limit`` stored orders whose email key is exactly ``email_key`` and that
        joined no account, newest first as :meth:`OrderRepository.recent`.

        What joins an account when its email is verified, and what an import brings for a
        verified address (SECURITY F1). Linking them inside the same write unit takes them
        out of the next answer, so a caller links batch after batch until none is left.
        """
        ...

    def verified_accounts(self, email_keys: Collection[str]) -> Mapping[str, str]:
        """The id of the verified (active) account holding each of ``email_keys`` that one
        holds, by email key; keys of no account, of an unverified or a deleted one, are
        left out (SECURITY F1: never before verification).

        What an import asks for each batch of orders, so that its statements grow with its
        batches, not its orders: at most one statement per batch of the storage's width.
        Keys are compared exactly, as :meth:`by_email` does; a key no row can hold finds
        nothing. In a write unit, a storage that locks per key takes every key's lock here,
        in one order, as :meth:`by_email` takes one, so that a verification racing with the
        import either sees its orders or is seen by it.
        """
        ...

    def preferred_language(self, email_key: str, order_number: str | None = None) -> str | None:
        """The preferred language of the live, verified (active) account whose email key
        is exactly ``email_key``, else of the active account the order ``order_number``
        joined (:meth:`link_order`), else ``None``: what an order's mail is written in
        (issue 14 item 7). An unverified or deleted account, a lookalike key (compared
        exactly, as :meth:`by_email` does) and a key or number no row can hold answer
        ``None``; so does ``order_number`` ``None`` for an account found by no key.

        A plain read, also in a write unit: it takes no lock and writes nothing, so that
        the mail of a shipment or a guest pass never waits on an account. It sees what
        the unit itself wrote. At most one statement.
        """
        ...

    def unlink_order(self, order_number: str) -> bool:
        """Remove the link of this order number, whichever account holds it; whether one
        was removed (the store changed the order's email: it follows its new address)."""
        ...

    def unlink_all(self, account_id: str) -> int:
        """Remove every link of the account (its deletion: the orders stay, unlinked);
        answer how many."""
        ...

    # --- failed log-ins ---

    def failed_logins(self, failure_key: str) -> int:
        """The consecutive failed log-ins counted under ``failure_key`` (the hash of a
        typed address, :func:`~orderstatus_core.model.account.failure_key`), 0 when
        none are. One read by the key, whether or not any account has the address."""
        ...

    def count_failed_login(self, failure_key: str, at: datetime) -> int:
        """Count one more failed log-in under ``failure_key`` at ``at`` and answer the
        count, this one included: one row written, whether the key had a count or not, so
        that a failure for an unknown address writes what a known one's does (SECURITY
        A6). Atomic: failures racing under one key are each counted (C2)."""
        ...

    def clear_failed_logins(self, failure_key: str) -> bool:
        """Forget the failed log-ins under ``failure_key`` (a log-in succeeded or the
        password was set); whether there were any."""
        ...

    def forget_failed_logins(self, last_before: datetime, below: int) -> int:
        """Delete every count whose last failure is strictly before ``last_before`` and
        that is strictly below ``below`` (the lock); answer how many (the purge, SECURITY
        D5). A count at or above ``below`` stays whatever its age: a locked address stays
        locked until its recovery (C2). ``below`` of 0 or less deletes nothing. One
        statement; a table scan is acceptable (it runs once a day)."""
        ...

    # --- the security log ---

    def record_event(self, event: SecurityEvent) -> None:
        """Append ``event`` to the security log (SECURITY C4)."""
        ...

    def events(self, account_id: str, limit: int) -> Sequence[SecurityEvent]:
        """Up to ``limit`` events of the account, newest ``at`` first; between equal
        times, the one recorded last first."""
        ...

    # --- the profile: saved addresses and the garage ---

    def put_address(self, saved: SavedAddress) -> None:
        """Store ``saved`` as the account's address of its ``address_id``, replacing the
        one stored under that id (an edit) or adding it.

        Raises :class:`~orderstatus_core.errors.ConflictError` and stores nothing when
        another address of the account has the same :attr:`~SavedAddress.key` (one
        address is saved once), or when ``saved`` is the default and another address of
        the account is too (at most one default). The bound on how many an account keeps
        is the service's (it holds the account's lock, :meth:`get`)."""
        ...

    def saved_addresses(self, account_id: str) -> Sequence[SavedAddress]:
        """Every address the account keeps, oldest ``saved_at`` first (ties by
        ``address_id``); none for an unknown account."""
        ...

    def remove_address(self, account_id: str, address_id: str) -> bool:
        """Delete the account's address of this id; whether one was deleted (an id of
        another account's address deletes nothing)."""
        ...

    def order_addresses(self, account_id: str, limit: int) -> Sequence[Address]:
        """The shipping address of each of the account's newest ``limit`` stored linked
        orders, in :meth:`linked_orders` order (newest first); the same address once per
        order (the service removes repeats)."""
        ...

    def put_vehicle(self, vehicle: GarageVehicle) -> None:
        """Store ``vehicle`` in the account's garage under its ``vehicle_id``, replacing
        the one stored under that id or adding it."""
        ...

    def garage(self, account_id: str) -> Sequence[GarageVehicle]:
        """Every vehicle of the account's garage, oldest ``added_at`` first (ties by
        ``vehicle_id``)."""
        ...

    def remove_vehicle(self, account_id: str, vehicle_id: str) -> bool:
        """Delete the account's vehicle of this id; whether one was deleted."""
        ...

    def forget_profile(self, account_id: str) -> int:
        """Delete every saved address, vehicle, part watch and mail subscription of the
        account (its deletion); answer how many."""
        ...

    # --- availability alerts ---

    def put_watch(self, watch: PartWatch) -> bool:
        """Store ``watch``; whether it was stored. ``False``, and nothing changes, when the
        account watches a part of the same :attr:`~PartWatch.part_key` already (the first
        watch, its time, stays). The bound on how many an account keeps is
        the service's (it holds the account's lock, :meth:`get`)."""
        ...

    def part_watches(self, account_id: str) -> Sequence[PartWatch]:
        """Every watch of the account, oldest ``watched_at`` first (ties by part key);
        none for an unknown account."""
        ...

    def remove_watch(self, account_id: str, part_key: str) -> bool:
        """Delete the account's watch of the part of this key; whether one was deleted."""
        ...

    def queue_part_alerts(
        self, part_key: str, mail: WatcherMail, now: Callable[[], datetime]
    ) -> int:
        """Delete every watch of the part of this key and queue, in this unit's outbox, one
        alert per watch whose account is stored and active (verified, not deleted); answer
        how many were queued. The watches of any other account are deleted unmailed.

        The ``n``-th alert (from 1, oldest ``watched_at`` first, ties by account id) is an
        :class:`~orderstatus_core.OutboxMessage` of id ``mail.message_id(n)``, never tried,
        whose stored document is ``mail.document(email, part_number, language)``: the
        account's email as typed and preferred language as stored now (the alert's address
        and language), and the watch's part number as typed. Read back by the outbox, its
        intent is the :class:`~orderstatus_core.PartBackInStockMail` to that watcher.
        ``created_at`` is one instant for all, ``now()`` called once, after the unit holds
        the part's watches (SECURITY G6: not before a rival report it waited for).

        A claim: of units taking one part at once, each watch is mailed by exactly one
        (the one that committed first; the others find it gone), so each watcher is
        mailed once. In a unit that does not commit, nothing is taken or queued."""
        ...

    # --- mail preferences ---

    def subscribe(self, subscription: MailSubscription) -> bool:
        """Store ``subscription`` unless the account has one to its topic already (that
        one is kept, with its time); whether it was stored."""
        ...

    def unsubscribe(self, account_id: str, topic: str) -> bool:
        """Delete the account's subscription to ``topic``; whether there was one."""
        ...

    def mail_subscriptions(self, account_id: str) -> Sequence[MailSubscription]:
        """The account's subscriptions, by topic; none for an unknown account."""
        ...

    def subscribers(self, topic: str, after: str | None, limit: int) -> Sequence[Account]:
        """At most ``limit`` *active* accounts subscribed to ``topic`` whose id sorts
        after ``after`` (from the first with ``None``), by account id: a page of the
        recipients of store mail. Unverified and deleted accounts are never listed."""
        ...

    # --- the profile: discount codes and whose store credit the account sees ---

    def put_discount_code(self, code: DiscountCode) -> None:
        """Store a newly issued ``code``. A code text already stored (whichever account
        holds it) raises :class:`~orderstatus_core.errors.ConflictError` and stores
        nothing: codes are drawn at random, so a clash means a bug."""
        ...

    def discount_code(self, code: str) -> DiscountCode | None:
        """The code stored as exactly ``code`` (its stored form, as
        :func:`~orderstatus_core.model.discounts.read_code` makes it), whichever account
        holds it, or ``None``. One read by the primary key."""
        ...

    def discount_codes(self, account_id: str, limit: int) -> Sequence[DiscountCode]:
        """The account's ``limit`` newest codes, newest ``issued_at`` first (ties by code,
        descending), used, revoked and expired ones included."""
        ...

    def count_open_codes(self, account_id: str, now: datetime) -> int:
        """How many of the account's codes are open at ``now``: not used, not revoked and
        ``expires_at`` at or after ``now`` (the bound on issuing is the service's, which
        holds the account's lock, :meth:`get`)."""
        ...

    def use_discount_code(
        self, code: str, account_id: str, order_reference: str, discount: Money, at: datetime
    ) -> bool:
        """Mark ``code`` used at ``at`` for ``order_reference``, taking ``discount``, if it
        is stored for ``account_id``, neither used nor revoked, and ``expires_at`` is at or
        after ``at``; whether this call used it.

        Atomic: of units racing to use one code (for the same order or for two), exactly
        one is answered ``True`` (a code is used once, issue 14); the others change nothing
        and, once the winner committed, read it used."""
        ...

    def revoke_discount_code(self, code: str, at: datetime) -> bool:
        """Revoke ``code`` at ``at`` if it is stored, neither used nor revoked; whether
        this call revoked it. Atomic against :meth:`use_discount_code`: a code is used or
        revoked, never both."""
        ...

    def forget_discount_codes(self, account_id: str) -> int:
        """The account's deletion: delete every code of the account that was never used,
        and keep each used one for the store's accounting, detached (its ``account_id``
        becomes ``None``: no account lists it again). Answer how many rows changed."""
        ...

    def linked_email_keys(self, account_id: str) -> Sequence[str]:
        """The email keys of the stored orders linked to the account, each once, in
        ascending order: the addresses whose store credit the account sees beside its own
        (each proven: verified, or by a code mailed there, SECURITY F1, F2)."""
        ...


class VehicleCatalog(Protocol):
    """The store's catalog of vehicles: what a vehicle in a shopper's garage is listed as.

    The default, :class:`~orderstatus_core.policies.vehicles.PlausibleVehicles`, accepts
    any plausible year, make, model and engine; a store plugs in its own fitment data
    (ACES, TecDoc ...) with ``OrderStatus.open(vehicle_catalog=...)``.
    """

    def resolve(self, vehicle: Vehicle) -> str | None:
        """The catalog id of ``vehicle`` (1 to 64 printable ASCII characters, no spaces),
        or ``None`` when the store lists no such vehicle. Raise
        :class:`~orderstatus_core.errors.AdapterError` when the catalog cannot answer."""
        ...

    def close(self) -> None:
        """Release what it holds; may be a no-op."""
        ...


class SessionStore(Protocol):
    """Logged-in sessions, inside one :class:`UnitOfWork` (reached as ``uow.sessions``).

    A session is found by the hash of its id (SECURITY E2): the store never sees an id.
    Writes follow the unit's rules, as in :class:`AccountStore`. Checking a session on a
    page view is one read by the primary key (:meth:`check`: only what it needs);
    only a log-in, a log-out, a touch at most once a minute and the purge write.
    """

    def put(self, session: AccountSession) -> None:
        """Store a new session. An id hash already stored raises
        :class:`~orderstatus_core.errors.ConflictError`."""
        ...

    def get(self, id_hash: str) -> AccountSession | None:
        """The session with this id hash, ended or not, or ``None``."""
        ...

    def get_with_account(self, id_hash: str) -> tuple[AccountSession, Account | None] | None:
        """The session with this id hash, ended or not, and its account as
        :meth:`AccountStore.get` answers it (``None`` if no such account is stored), read
        together: one read, so one snapshot (one statement joining the two by their
        primary keys on a SQL store); ``None`` when no such session is stored. A page
        account page reads both in a ``read_once`` unit."""
        ...

    def check(
        self,
        id_hash: str,
        now: datetime,
        *,
        idle_timeout: timedelta,
        touch_interval: timedelta,
    ) -> SessionCheck | None:
        """Whether the session with this id hash logs its holder in at ``now``: a
        :class:`~orderstatus_core.model.session_check.SessionCheck` exactly when
        :meth:`SessionCheck.at <orderstatus_core.model.session_check.SessionCheck.at>`
        of the stored session and its account (as :meth:`get_with_account` reads them:
        one read, one snapshot) is one, equal to it; ``None`` otherwise (no such
        session, ended, past ``expires_at``, not remembered and last seen more than
        ``idle_timeout`` before ``now``, its account not stored or deleted). Each bound
        is included, to the microsecond: live at ``expires_at`` and at exactly
        ``idle_timeout``; ``touch_due`` at exactly ``touch_interval``.

        A naive ``now`` or a negative duration raises
        :class:`~orderstatus_core.errors.InvalidFieldError` before anything is read. The
        check (``shopper.check()``) runs on every page view, in a ``read_once`` unit: a
        SQL store decides in its one statement, from the instants it holds, and reads
        only what the answer carries."""
        ...

    def open_sessions(self, account_id: str) -> Sequence[AccountSession]:
        """Every session of the account that has not ended (live, or idle or expired and
        not yet purged), oldest ``created_at`` first (ties by ``id_hash``): what the
        holder's data export lists, as metadata. None for an unknown account; ended
        sessions are left out (the security log records their log-outs)."""
        ...

    def touch(self, id_hash: str, at: datetime) -> bool:
        """Record that the session was seen at ``at``: only a stored session that has not
        ended and was last seen strictly before ``at`` changes; whether it did. Expiry and
        ``expires_at`` never move (no sliding renewal, SECURITY E1)."""
        ...

    def end(self, id_hash: str, at: datetime) -> bool:
        """End the session at ``at`` (log-out, SECURITY E3) unless it has ended; whether
        this call ended it."""
        ...

    def end_all(self, account_id: str, at: datetime, *, keep: str | None = None) -> int:
        """End, at ``at``, every session of the account that has not ended, except the
        one whose id hash is ``keep`` (the session making the change, if the policy keeps
        it); answer how many (a reset or password change, a deletion: SECURITY E3)."""
        ...

    def purge(self, expired_before: datetime, idle_before: datetime) -> int:
        """Delete the sessions that can never log anyone in again: those expiring, or
        ended, strictly before ``expired_before``, and the plain (not *remember*) ones last
        seen strictly before ``idle_before``; answer how many."""
        ...


class CaptchaStore(Protocol):
    """Captcha challenges waiting for an answer, inside one :class:`UnitOfWork` (reached
    as ``uow.captchas``). A captcha adapter draws the images and the audio and answers
    statelessly; the core keeps the challenge, single use (SECURITY C3)."""

    def put(self, captcha: StoredCaptcha) -> None:
        """Store a new challenge. An id already stored raises
        :class:`~orderstatus_core.errors.ConflictError`."""
        ...

    def consume(self, challenge_id: str, now: datetime) -> StoredCaptcha | None:
        """Take the challenge for its one answer: if it is stored, unused and not expired
        at ``now`` (valid at its ``expires_at``), mark it used at ``now`` and answer it so;
        otherwise ``None`` and nothing written. Atomic: of units racing to consume one
        challenge, exactly one gets it. Needs a write unit."""
        ...

    def purge(self, expired_before: datetime) -> int:
        """Delete the challenges whose ``expires_at`` is strictly before
        ``expired_before``, used or not; answer how many."""
        ...


class UnitOfWork(Protocol):
    """One command's transaction: all or nothing (SECURITY G1).

    Used as a context manager. Leaving the block without :meth:`commit` rolls back, and so
    does an exception. A unit opened with ``write=False`` refuses writes with
    :class:`~orderstatus_core.errors.AdapterError`.
    """

    @property
    def orders(self) -> OrderRepository:
        """The orders, as this unit sees them."""
        ...

    @property
    def outbox(self) -> Outbox:
        """The outbox of this unit."""
        ...

    @property
    def idempotency(self) -> IdempotencyStore:
        """Replies kept for idempotency keys, in this unit."""
        ...

    @property
    def passes(self) -> GuestPassStore:
        """The guest-pass challenges and passes, as this unit sees them."""
        ...

    @property
    def credit(self) -> StoreCreditLedger:
        """The store-credit ledger, in this unit."""
        ...

    @property
    def documents(self) -> ReturnDocumentStore:
        """Return labels and instructions kept for printing, in this unit."""
        ...

    @property
    def accounts(self) -> AccountStore:
        """Accounts, their tokens, linked orders and security log, in this unit."""
        ...

    @property
    def sessions(self) -> SessionStore:
        """Logged-in sessions, in this unit."""
        ...

    @property
    def captchas(self) -> CaptchaStore:
        """Captcha challenges waiting for their answer, in this unit."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    def commit(self) -> None:
        """Make every write of this unit visible at once."""
        ...

    def rollback(self) -> None:
        """Forget every write of this unit."""
        ...


class Storage(Protocol):
    """A storage backend, opened by URL through the adapter registry."""

    @property
    def url(self) -> str:
        """The URL it was opened with, any password removed."""
        ...

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> UnitOfWork:
        """A new unit of work. ``write=True`` takes the write lock up front (SQLite's
        ``BEGIN IMMEDIATE``) so that a read-then-write never deadlocks or sees stale data.

        ``read_once=True`` opens a read unit that makes **one read**: the caller promises
        that a single port call (one statement on a SQL store) answers it, so that read
        is its own consistent snapshot and the storage may skip the transaction around it
        (SQLite runs it in autocommit, without ``BEGIN`` and ``ROLLBACK``). A second read
        in such a unit raises :class:`~orderstatus_core.errors.AdapterError` and reads
        nothing: it must never silently read another snapshot than the first. A call the
        storage answers without reading (a key no store can hold) may not count. Writes
        are refused as in any read unit, and ``write=True`` with ``read_once=True`` raises
        :class:`~orderstatus_core.errors.AdapterError`. Find-order, search and the session
        check of a page view open such units.
        """
        ...

    def migrate(self) -> int:
        """Bring the schema to the newest version; return that version. Idempotent."""
        ...

    def close(self) -> None:
        """Release connections and files. The storage is unusable afterwards."""
        ...


class SharedSessionStore(Protocol):
    """Sessions kept apart from the storage (``redis://``), shared by every app server,
    while orders and accounts stay in the SQL storage. Opened by URL from the ``sessions``
    setting of :meth:`OrderStatus.open <orderstatus_core.OrderStatus.open>`.

    The core never calls it directly: :meth:`with_storage` answers the storage the services
    use, whose units reach the sessions here through the ordinary
    :class:`SessionStore` (``uow.sessions``), with its whole contract
    (:class:`~orderstatus_core.testing.contracts.SessionStoreContract`). A unit's session
    writes are kept until :meth:`UnitOfWork.commit`, then written here *before* the
    storage commits, while the unit still holds the storage's locks, all at once: a
    failure here rolls the whole command back and raises
    :class:`~orderstatus_core.errors.AdapterError`, so a password reset is never committed
    with the account's sessions still live. If the storage's commit then fails, the
    sessions a unit ended stay ended (the holders log in again) and those it started are
    deleted again (their ids were never handed out).
    """

    @property
    def url(self) -> str:
        """The URL it was opened with, any password removed."""
        ...

    def with_storage(self, storage: Storage) -> Storage:
        """``storage``, whose units keep their sessions here. Closing the answer closes
        ``storage``; this store is closed on its own, by :meth:`close`."""
        ...

    def close(self) -> None:
        """Release connections (a Redis pool). Called once, when the store closes."""
        ...


class Mailer(Protocol):
    """Delivers rendered mail. Raises any exception on failure; the relay keeps the
    message pending and retries (SECURITY A3)."""

    def send(self, mail: OutgoingMail) -> None:
        """Deliver ``mail`` or raise."""
        ...

    def close(self) -> None:
        """Release connections; may be a no-op. Called once, when the store closes."""
        ...


class RateLimiter(Protocol):
    """Counts hits per key, atomically (shared across threads, and across processes for
    adapters that say so)."""

    def hit(self, buckets: Sequence[Bucket], now: datetime) -> RateDecision:
        """Count one hit on every bucket if each bucket's quota allows it, all or nothing.

        The buckets are decided together, atomically, in one step (one lock, one round
        trip): if every bucket allows a hit, one hit is counted on each and the call is
        allowed; if any refuses, **nothing** is counted on any bucket, and ``retry_at`` is
        the latest retry time of the refusing buckets (the moment from which each of them
        allows a hit again; the others, untouched, allow it already). So a caller over one
        limit cannot use up another bucket's budget, such as a shopper's identifier.

        Keys are compared exactly. A key stored under another quota starts afresh under
        the new one. No buckets is an allowed call that counts nothing. A key given twice
        in one call raises :class:`ValueError` and counts nothing.
        """
        ...

    def close(self) -> None:
        """Release connections (a Redis pool, say); may be a no-op. Called once, when the
        store closes."""
        ...


class LabelMaker(Protocol):
    """Makes return labels and the return instructions to put in the box.

    The bundled ``labels://`` adapter draws them itself at a flat cost; an adapter for a
    carrier's API buys the label there and reports the carrier's price and tracking number.
    """

    def quote(self, request: ReturnLabelRequest) -> Money:
        """What a label for ``request`` would cost, shown in the refund preview before the
        shopper commits. The refund never deducts more than the quote (if the label finally
        costs more, the store bears the difference)."""
        ...

    def make_label(self, request: ReturnLabelRequest) -> ReturnLabel:
        """The label for ``request``, one :class:`LabelDocument` per requested format, in
        that order, with its cost.

        Raises :class:`~orderstatus_core.errors.ValidationError` for a request the maker
        cannot serve (a format it lacks, a field its carrier refuses) and
        :class:`~orderstatus_core.errors.AdapterError` when the carrier fails. Text from the
        request never acts as a command in a file (SECURITY H2).
        """
        ...

    def make_instructions(
        self, request: ReturnLabelRequest, label: ReturnLabel | None
    ) -> LabelDocument:
        """The return instructions as a PDF in ``request.language`` (English when the maker
        lacks that language): the RMA barcode, the destination, what to pack, how, and what
        voids the return. ``label`` is the one :meth:`make_label` made for ``request``, or
        ``None`` for a package the shopper ships on their own."""
        ...

    def close(self) -> None:
        """Release connections (a carrier API's session, say); may be a no-op. Called
        once, when the store closes."""
        ...


class Captcha(Protocol):
    """Issues captcha challenges and checks answers (SECURITY C3), holding no state.

    Everything the core needs to check an answer travels in the
    :class:`~orderstatus_core.model.captcha.CaptchaChallenge`: the core stores its id,
    answer hash and times, enforces expiry and single use in its storage and rate-limits
    new images; the adapter forgets a challenge once issued. So any server of a store can
    check what another issued, and a restart loses nothing.

    **A hosted captcha** (hCaptcha, Turnstile, reCAPTCHA) fits the same shape:
    :meth:`issue` returns a challenge with a fresh id, no media (the page draws the
    provider's widget with the store's site key) and the hash of a random value it does
    not keep, so that nothing typed matches it locally; :meth:`check` sends ``answer``,
    the widget's response token, to the provider's verify API with the store's secret,
    bounds it by the provider's own limit instead of 32 characters, and answers ``True``
    only for a successful verification. A provider that cannot be reached raises
    :class:`~orderstatus_core.errors.AdapterError`; a refused token is ``False``.
    """

    def issue(self, now: datetime) -> CaptchaChallenge:
        """A new challenge issued at ``now`` (timezone-aware), with an id of at least 128
        bits from :mod:`secrets` and an answer drawn from :mod:`secrets`, kept only as its
        hash, expiring after the adapter's lifetime (10 minutes unless configured).

        A drawn captcha carries the media: ``image`` a PNG of the answer's characters,
        ``audio`` a WAV of the same characters spoken, for people who cannot read the
        image. Two calls never give the same id. A naive ``now`` raises
        :class:`~orderstatus_core.errors.InvalidFieldError`.
        """
        ...

    def check(self, challenge: CaptchaChallenge, answer: object) -> bool:
        """Whether ``answer`` solves ``challenge``; never raises for what was typed.

        ``challenge`` may be the one :meth:`issue` returned or the same rebuilt from
        storage without media (:meth:`~CaptchaChallenge.without_media`). A drawn
        captcha reads ``answer`` once, canonically (whitespace dropped, ASCII letters
        folded to lower case; see
        :func:`~orderstatus_core.model.captcha.canonical_captcha_answer`), and compares
        its hash with the stored one in constant time. Not text, empty, over 32
        characters, a look-alike from another script, or the answer of another
        challenge: ``False``. Expiry and single use are the core's to check (the port
        gets no clock). A ``challenge`` that is not a ``CaptchaChallenge`` raises
        :class:`~orderstatus_core.errors.InvalidFieldError`.
        """
        ...

    def close(self) -> None:
        """Release what it holds (a hosted provider's HTTP session); may be a no-op.
        Called once, when the store closes."""
        ...


class PasswordHasher(Protocol):
    """Hashes passwords for storage and verifies typed ones (SECURITY B3).

    The core hands over the canonical form of a password
    (:func:`~orderstatus_core.policies.passwords.canonical_password`); the hasher hashes
    exactly those code points as UTF-8, never truncated (bcrypt's 72 bytes are what
    this forbids), never case-folded or normalised again. Each hash has its own random
    salt. A store in production uses a hasher whose :attr:`cost` passes
    :func:`~orderstatus_core.policies.passwords.hash_cost_shortfall`.
    """

    @property
    def cost(self) -> HashCost:
        """What one hash of this hasher costs, for the production check."""
        ...

    def hash(self, password: str) -> str:
        """The stored form of ``password``: printable ASCII, self-describing (algorithm,
        parameters, salt), different for each call. What is not text, or cannot be
        encoded as UTF-8 (a lone surrogate), raises
        :class:`~orderstatus_core.errors.InvalidFieldError`; a failure of the hashing
        itself raises :class:`~orderstatus_core.errors.AdapterError`.
        """
        ...

    def verify(self, stored: str, password: object) -> bool:
        """Whether ``password`` is the one ``stored`` was made from; never raises.

        ``stored`` may be a hash of this hasher with other parameters (they are read from
        it). A ``stored`` it cannot read (malformed, empty, another algorithm's, not text,
        parameters beyond the adapter's bounds) and a ``password`` that is not text are
        ``False``. (Every log-in attempt still costs one hash, SECURITY A2: for an
        unknown email the core verifies against a real hash of its own.)
        """
        ...

    def needs_rehash(self, stored: str) -> bool:
        """Whether ``stored`` was made with other parameters than this hasher's now (or
        cannot be read), so that a successful log-in should store a new hash
        (SECURITY B3). ``False`` for a hash :meth:`hash` just made; never raises."""
        ...

    def close(self) -> None:
        """Release what it holds; may be a no-op. Called once, when the store closes."""
        ...


class BreachedPasswords(Protocol):
    """A store's own check of new passwords against breach corpora (SECURITY B2), such as
    a k-anonymity client of Have I Been Pwned that sends only the first five hex digits
    of the password's SHA-1. The default
    (:class:`~orderstatus_core.password_lists.NoBreachedPasswords`) knows of none.
    """

    def is_breached(self, password: str) -> bool:
        """Whether ``password`` (canonical, already accepted by every other rule) is known
        from a breach. Raises :class:`~orderstatus_core.errors.AdapterError` when it
        cannot tell: a check that cannot be made never lets a password through."""
        ...

    def close(self) -> None:
        """Release what it holds (an HTTP session); may be a no-op. Called once, when
        the store closes."""
        ...
