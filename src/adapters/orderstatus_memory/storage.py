"""The reference storage: plain dictionaries, one writer at a time, copy on commit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Self, TypeVar, cast

import attrs

from orderstatus_core import (
    AdapterError,
    CategoryQuery,
    ConflictError,
    DiscountCode,
    DuplicateOrderError,
    GuestPass,
    InsufficientCreditError,
    InvalidFieldError,
    Money,
    Order,
    OrderHeader,
    OrderMatch,
    OutboxMessage,
    PartNumberQuery,
    PassChallenge,
    SearchCursor,
)
from orderstatus_core.labels import StoredDocument
from orderstatus_core.messages import without_secrets
from orderstatus_core.model.account import (
    Account,
    AccountSession,
    AccountState,
    AccountToken,
    OrderLink,
    SecurityEvent,
    StoredCaptcha,
    TokenPurpose,
    oldest_first,
)
from orderstatus_core.model.alerts import PartWatch
from orderstatus_core.model.mail_preferences import MailSubscription
from orderstatus_core.model.order import Address, utc
from orderstatus_core.model.profile import GarageVehicle, SavedAddress
from orderstatus_core.model.session_check import SessionCheck
from orderstatus_core.model.session_rules import checked_moment
from orderstatus_core.records import (
    CreditEntry,
    HistoryQuery,
    IdempotentReply,
    SearchQuery,
    VehicleQuery,
)
from orderstatus_memory._discounts import DiscountCodeShelf
from orderstatus_memory._watches import PartWatchesMixin

__all__ = ["MemoryStorage"]

V = TypeVar("V")


def _newest_first(order: Order) -> tuple[datetime, str]:
    return (order.placed_at, order.number)


class _State:
    """What is committed. Replaced wholesale by a commit, so readers never see half of one."""

    def __init__(self) -> None:
        self.orders: dict[str, Order] = {}
        self.by_email: dict[str, frozenset[str]] = {}
        self.outbox: dict[str, OutboxMessage] = {}
        self.sent: dict[str, datetime] = {}
        self.challenges: dict[str, PassChallenge] = {}
        self.challenges_by_order: dict[str, frozenset[str]] = {}
        # The order challenges were put in (selector -> 1, 2, 3 ...): breaks issued_at ties.
        self.challenge_seq: dict[str, int] = {}
        # Every code or link try, per (order number, selector): when it was made.
        self.tries: dict[tuple[str, str], tuple[datetime, ...]] = {}
        self.counters: dict[str, int] = {}
        self.passes: dict[str, GuestPass] = {}
        self.replies: dict[str, IdempotentReply] = {}
        # Store credit: every entry by its id, and each holder's entries in append order.
        self.credit: dict[str, CreditEntry] = {}
        self.credit_by_holder: dict[str, tuple[CreditEntry, ...]] = {}
        # Return papers: each RMA's documents in the order they were first put.
        self.documents: dict[str, tuple[StoredDocument, ...]] = {}
        # Accounts by id, and the live (not deleted) account of each email key.
        self.accounts: dict[str, Account] = {}
        self.account_by_email: dict[str, str] = {}
        self.tokens: dict[str, AccountToken] = {}
        self.tokens_by_account: dict[str, frozenset[str]] = {}
        # Order links by order number (an order joins one account), and each account's.
        self.links: dict[str, OrderLink] = {}
        self.links_by_account: dict[str, frozenset[str]] = {}
        # The security log per account (None: events of no account), in append order.
        self.events: dict[str | None, tuple[SecurityEvent, ...]] = {}
        # Consecutive failed log-ins by failure key (the hash of a typed address).
        # Each count with the time of its last failure, by failure key.
        self.failed_logins: dict[str, tuple[int, datetime]] = {}
        self.sessions: dict[str, AccountSession] = {}
        self.sessions_by_account: dict[str, frozenset[str]] = {}
        self.captchas: dict[str, StoredCaptcha] = {}
        # The profile: each account's saved addresses and garage, by their ids.
        self.addresses: dict[str, dict[str, SavedAddress]] = {}
        self.vehicles: dict[str, dict[str, GarageVehicle]] = {}
        # Discount codes by their text, and the texts of each account's.
        self.discount_codes: dict[str, DiscountCode] = {}
        self.codes_by_account: dict[str, frozenset[str]] = {}
        # Availability alerts: each account's watches by part key, and each part key's
        # watching accounts (what a report of the part back in stock takes).
        self.watches: dict[str, dict[str, PartWatch]] = {}
        self.watchers: dict[str, frozenset[str]] = {}
        # Each account's store-mail subscriptions, by topic.
        self.subscriptions: dict[str, dict[str, MailSubscription]] = {}

    def copy(self) -> _State:
        """A working copy: new top-level maps, shared (immutable) values."""
        state = _State()
        for name, value in vars(self).items():
            setattr(state, name, dict(value))
        return state


def _drop_older(
    table: dict[str, V], moment: Callable[[V], datetime], before: datetime
) -> list[str]:
    """Remove the entries of ``table`` whose ``moment`` is strictly before ``before``; their
    keys."""
    old = [key for key, value in table.items() if moment(value) < before]
    for key in old:
        del table[key]
    return old


class _Orders:
    def __init__(self, unit: _MemoryUnitOfWork) -> None:
        self._unit = unit

    def get(self, number: str) -> Order | None:
        return self._unit.work.orders.get(number)

    def get_for_contact(self, number: str, contact: str) -> Order | None:
        order = self._unit.work.orders.get(number)
        if order is None or not isinstance(contact, str):
            return None
        phone = order.phone
        owned = order.email.canonical == contact or (phone is not None and phone.e164 == contact)
        return order if owned else None

    def add(self, order: Order) -> None:
        self._unit.check_writable()
        if order.number in self._unit.work.orders:
            raise DuplicateOrderError(order.number)
        self._unit.work.orders[order.number] = order
        key = order.email.canonical
        self._unit.work.by_email[key] = self._unit.work.by_email.get(key, frozenset()) | {
            order.number
        }

    def add_many(self, orders: Sequence[Order]) -> None:
        self._unit.check_writable()
        stored = self._unit.work.orders
        seen: set[str] = set()
        for order in orders:
            if order.number in stored or order.number in seen:
                raise DuplicateOrderError(order.number)
            seen.add(order.number)
        for order in orders:
            self.add(order)

    def save(self, order: Order) -> None:
        self._unit.check_writable()
        stored = self._unit.work.orders.get(order.number)
        if stored is None or stored.version != order.version - 1:
            raise ConflictError(
                f"order {order.number} changed since it was read (or is not stored); retry"
            )
        self._unit.work.orders[order.number] = order
        old_key, new_key = stored.email.canonical, order.email.canonical
        if old_key != new_key:
            self._unit.work.by_email[old_key] = self._unit.work.by_email[old_key] - {order.number}
            self._unit.work.by_email[new_key] = self._unit.work.by_email.get(
                new_key, frozenset()
            ) | {order.number}

    def _of(self, email_key: str) -> list[Order]:
        numbers = self._unit.work.by_email.get(email_key, frozenset())
        return sorted((self._unit.work.orders[n] for n in numbers), key=_newest_first, reverse=True)

    def recent(self, email_key: str, limit: int) -> Sequence[OrderHeader]:
        if limit <= 0:
            return []
        return [
            OrderHeader(number=o.number, placed_at=o.placed_at, email=o.email)
            for o in self._of(email_key)[:limit]
        ]

    def search(
        self,
        email_key: str,
        query: SearchQuery,
        limit: int,
        after: SearchCursor | None = None,
    ) -> Sequence[OrderMatch]:
        return _matches(self._of(email_key), query, limit, after)


def _header(order: Order) -> OrderHeader:
    return OrderHeader(number=order.number, placed_at=order.placed_at, email=order.email)


def _after(orders: Iterable[Order], after: SearchCursor | None) -> Iterable[Order]:
    """``orders`` (newest first) strictly after the cursor ``after``."""
    if after is None:
        return orders
    bound = (after.placed_at, after.number)
    return (order for order in orders if _newest_first(order) < bound)


def _matches(
    orders: Iterable[Order], query: HistoryQuery, limit: int, after: SearchCursor | None
) -> list[OrderMatch]:
    """The first ``limit`` of ``orders`` (newest first) after ``after`` with a line
    matching ``query``, each with its matching lines."""
    matches: list[OrderMatch] = []
    if limit <= 0:
        return matches
    for order in _after(orders, after):
        if isinstance(query, PartNumberQuery):
            lines = tuple(line for line in order.lines if line.part_number == query.part_number)
        elif isinstance(query, CategoryQuery):
            lines = tuple(line for line in order.lines if query.category.contains(line.category))
        elif isinstance(query, VehicleQuery):
            lines = tuple(line for line in order.lines if query.matches(line.vehicle))
        else:
            raise InvalidFieldError("query", f"unknown search query {type(query).__name__}")
        # The port promises line_no order; the model lets an order list lines in any.
        lines = tuple(sorted(lines, key=lambda line: line.line_no))
        if lines:
            matches.append(OrderMatch(header=_header(order), lines=lines))
            if len(matches) == limit:
                break
    return matches


def _is_due(message: OutboxMessage, now: datetime) -> bool:
    return message.next_attempt_at is None or message.next_attempt_at <= now


class _Outbox:
    def __init__(self, unit: _MemoryUnitOfWork) -> None:
        self._unit = unit

    def put(self, message: OutboxMessage) -> None:
        self._unit.check_writable()
        # Whether it was sent is kept apart, in ``sent``, as a database keeps its column.
        self._unit.work.outbox[message.message_id] = attrs.evolve(
            message, sent_at=None, dead_at=None
        )

    def get(self, message_id: str) -> OutboxMessage | None:
        message = self._unit.work.outbox.get(message_id)
        if message is None:
            return None
        return attrs.evolve(message, sent_at=self._unit.work.sent.get(message_id))

    def due(self, now: datetime, limit: int) -> Sequence[OutboxMessage]:
        return [m for m in self.pending(limit=len(self._unit.work.outbox)) if _is_due(m, now)][
            : max(limit, 0)
        ]

    def pending(self, limit: int) -> Sequence[OutboxMessage]:
        waiting = [
            m
            for m in self._unit.work.outbox.values()
            if m.message_id not in self._unit.work.sent and m.dead_at is None
        ]
        waiting.sort(key=lambda m: (m.created_at, m.message_id))
        return waiting[: max(limit, 0)]

    def dead(self, limit: int) -> Sequence[OutboxMessage]:
        dead = [m for m in self._unit.work.outbox.values() if m.dead_at is not None]
        dead.sort(key=lambda m: (m.dead_at, m.message_id))
        return dead[: max(limit, 0)]

    def claim(self, now: datetime, limit: int, lease_until: datetime) -> Sequence[OutboxMessage]:
        self._unit.check_writable()
        claimed = []
        for message in self.due(now, limit):
            leased = attrs.evolve(message, next_attempt_at=lease_until)
            self._unit.work.outbox[message.message_id] = leased
            claimed.append(leased)
        return claimed

    def mark_sent(self, message_id: str, at: datetime) -> None:
        self._unit.check_writable()
        work = self._unit.work
        message = work.outbox.get(message_id)
        if message is not None:
            work.sent[message_id] = utc(at)
            # Delivered: its secrets go in the same write (SECURITY D5); sent, so not dead.
            work.outbox[message_id] = attrs.evolve(
                message, intent=without_secrets(message.intent), dead_at=None
            )

    def mark_failed(self, message_id: str, error: str, retry_at: datetime) -> None:
        self._unit.check_writable()
        message = self._undelivered(message_id)
        if message is not None and message.dead_at is None:
            self._unit.work.outbox[message_id] = attrs.evolve(
                message, attempts=message.attempts + 1, next_attempt_at=retry_at, last_error=error
            )

    def mark_dead(self, message_id: str, error: str, at: datetime) -> None:
        self._unit.check_writable()
        message = self._undelivered(message_id)
        if message is not None and message.dead_at is None:
            self._unit.work.outbox[message_id] = attrs.evolve(
                message,
                attempts=message.attempts + 1,
                next_attempt_at=None,
                last_error=error,
                dead_at=utc(at),
            )

    def release(self, message_id: str, leased_until: datetime, now: datetime) -> bool:
        self._unit.check_writable()
        message = self._undelivered(message_id)
        if message is None or message.dead_at is not None:
            return False
        if message.next_attempt_at != leased_until:
            return False  # another worker's lease, or none
        self._unit.work.outbox[message_id] = attrs.evolve(message, next_attempt_at=utc(now))
        return True

    def retry(self, message_id: str, now: datetime) -> bool:
        self._unit.check_writable()
        message = self._undelivered(message_id)
        if message is None or message.dead_at is None:
            return False
        self._unit.work.outbox[message_id] = attrs.evolve(
            message, attempts=0, next_attempt_at=utc(now), dead_at=None
        )
        return True

    def drop(self, message_id: str) -> bool:
        self._unit.check_writable()
        if self._undelivered(message_id) is None:
            return False
        del self._unit.work.outbox[message_id]
        return True

    def _undelivered(self, message_id: str) -> OutboxMessage | None:
        message = self._unit.work.outbox.get(message_id)
        return None if message_id in self._unit.work.sent else message

    def pending_count(self) -> int:
        work = self._unit.work
        return sum(1 for i, m in work.outbox.items() if i not in work.sent and m.dead_at is None)

    def purge_sent(self, sent_before: datetime) -> int:
        self._unit.check_writable()
        work = self._unit.work
        old = _drop_older(work.sent, lambda at: at, sent_before)
        for message_id in old:
            del work.outbox[message_id]
        return len(old)


class _Passes:
    def __init__(self, unit: _MemoryUnitOfWork) -> None:
        self._unit = unit

    def put_challenge(self, challenge: PassChallenge) -> None:
        self._unit.check_writable()
        if challenge.selector in self._unit.work.challenges:
            raise ConflictError("a guest-pass challenge with this selector is already stored")
        work = self._unit.work
        work.counters["challenge"] = work.counters.get("challenge", 0) + 1
        work.challenge_seq[challenge.selector] = work.counters["challenge"]
        self._index(challenge)

    def get_challenge(self, selector: str) -> PassChallenge | None:
        return self._unit.work.challenges.get(selector)

    def save_challenge(self, challenge: PassChallenge) -> None:
        self._unit.check_writable()
        stored = self._unit.work.challenges.get(challenge.selector)
        if stored is None:
            raise ConflictError("no guest-pass challenge with this selector is stored")
        by_order = self._unit.work.challenges_by_order
        by_order[stored.order_number] = by_order[stored.order_number] - {stored.selector}
        self._index(challenge)

    def _index(self, challenge: PassChallenge) -> None:
        self._unit.work.challenges[challenge.selector] = challenge
        by_order = self._unit.work.challenges_by_order
        number = challenge.order_number
        by_order[number] = by_order.get(number, frozenset()) | {challenge.selector}

    def latest_challenge(self, order_number: str) -> PassChallenge | None:
        selectors = self._unit.work.challenges_by_order.get(order_number, frozenset())
        candidates = [self._unit.work.challenges[selector] for selector in selectors]
        seq = self._unit.work.challenge_seq
        return max(candidates, key=lambda c: (c.issued_at, seq[c.selector]), default=None)

    def record_try(self, order_number: str, selector: str, at: datetime) -> int:
        self._unit.check_writable()
        tries, key = self._unit.work.tries, (order_number, selector)
        tries[key] = (*tries.get(key, ()), at)
        return len(tries[key])

    def put_pass(self, guest_pass: GuestPass) -> None:
        self._unit.check_writable()
        if guest_pass.selector in self._unit.work.passes:
            raise ConflictError("a guest pass with this selector is already stored")
        self._unit.work.passes[guest_pass.selector] = guest_pass

    def get_pass(self, selector: str) -> GuestPass | None:
        return self._unit.work.passes.get(selector)

    def purge_challenges(self, expired_before: datetime) -> int:
        self._unit.check_writable()
        work = self._unit.work
        old = [c for c in work.challenges.values() if c.expires_at < expired_before]
        for challenge in old:
            del work.challenges[challenge.selector]
            left = work.challenges_by_order.pop(challenge.order_number) - {challenge.selector}
            if left:
                work.challenges_by_order[challenge.order_number] = left
        stored = {(c.order_number, c.selector) for c in work.challenges.values()}
        for key, moments in list(work.tries.items()):
            kept = moments if key in stored else tuple(m for m in moments if m >= expired_before)
            if kept:
                work.tries[key] = kept
            else:
                del work.tries[key]
        return len(old)

    def purge_passes(self, expired_before: datetime) -> int:
        self._unit.check_writable()
        passes = self._unit.work.passes
        return len(_drop_older(passes, lambda guest_pass: guest_pass.expires_at, expired_before))


class _Replies:
    def __init__(self, unit: _MemoryUnitOfWork) -> None:
        self._unit = unit

    def get(self, key: str) -> IdempotentReply | None:
        return self._unit.work.replies.get(key)

    def put(self, reply: IdempotentReply) -> None:
        self._unit.check_writable()
        self._unit.work.replies[reply.key] = reply

    def purge(self, created_before: datetime) -> int:
        self._unit.check_writable()
        replies = self._unit.work.replies
        return len(_drop_older(replies, lambda reply: reply.created_at, created_before))


def _newest_entry_first(entry: CreditEntry) -> tuple[datetime, str]:
    return (entry.at, entry.entry_id)


class _Credit:
    def __init__(self, unit: _MemoryUnitOfWork) -> None:
        self._unit = unit

    def append(self, entry: CreditEntry) -> bool:
        self._unit.check_writable()
        entry = attrs.evolve(entry, at=utc(entry.at))  # kept in UTC, as a database keeps it
        work = self._unit.work
        if entry.entry_id in work.credit:
            return False
        # The unit holds the only writer's lock: the check and the append are atomic.
        balance = self._balance(entry.holder, entry.amount.currency)
        if (balance + entry.amount).is_negative:
            raise InsufficientCreditError(
                str(balance), str(Money.zero(balance.currency) - entry.amount)
            )
        work.credit[entry.entry_id] = entry
        work.credit_by_holder[entry.holder] = (*work.credit_by_holder.get(entry.holder, ()), entry)
        return True

    def _balance(self, holder: str, currency: str) -> Money:
        entries = self._unit.work.credit_by_holder.get(holder, ())
        return Money.total((e.amount for e in entries if e.amount.currency == currency), currency)

    def balance(self, holder: str, currency: str) -> Money:
        return self._balance(holder, currency)

    def balances(self, holder: str) -> Sequence[Money]:
        entries = self._unit.work.credit_by_holder.get(holder, ())
        currencies = sorted({entry.amount.currency for entry in entries})
        return [self._balance(holder, currency) for currency in currencies]

    def entries(self, holder: str, limit: int) -> Sequence[CreditEntry]:
        if limit <= 0:
            return []
        entries = self._unit.work.credit_by_holder.get(holder, ())
        return sorted(entries, key=_newest_entry_first, reverse=True)[:limit]


class _Documents:
    def __init__(self, unit: _MemoryUnitOfWork) -> None:
        self._unit = unit

    def put(self, stored: StoredDocument) -> None:
        self._unit.check_writable()
        documents = self._unit.work.documents
        kept = documents.get(stored.rma_number, ())
        filename = stored.document.filename
        for position, old in enumerate(kept):
            if old.document.filename == filename:
                # Replaced where it was first put.
                documents[stored.rma_number] = (*kept[:position], stored, *kept[position + 1 :])
                return
        documents[stored.rma_number] = (*kept, stored)

    def for_rma(self, rma_number: str) -> Sequence[StoredDocument]:
        return list(self._unit.work.documents.get(rma_number, ()))


def _kept(table: dict[str, dict[str, V]], account_id: object) -> dict[str, V]:
    """An account's profile entries by id; none for a key no account can have."""
    return table.get(account_id, {}) if isinstance(account_id, str) else {}


def _removed(table: dict[str, dict[str, V]], account_id: object, key: object) -> bool:
    """Remove an account's profile entry ``key`` (a new inner map: the unit's copy shares
    the committed ones); whether there was one."""
    kept = _kept(table, account_id)
    if not isinstance(key, str) or key not in kept:
        return False
    assert isinstance(account_id, str)
    table[account_id] = {k: v for k, v in kept.items() if k != key}
    return True


def _with(index: dict[str, frozenset[str]], key: str, member: str) -> None:
    index[key] = index.get(key, frozenset()) | {member}


def _without(index: dict[str, frozenset[str]], key: str, member: str) -> None:
    left = index.get(key, frozenset()) - {member}
    if left:
        index[key] = left
    else:
        index.pop(key, None)


class _Accounts(DiscountCodeShelf, PartWatchesMixin):
    _unit: _MemoryUnitOfWork

    def __init__(self, unit: _MemoryUnitOfWork) -> None:
        self._unit = unit

    # --- accounts ---

    def add(self, account: Account) -> None:
        self._unit.check_writable()
        work = self._unit.work
        if account.account_id in work.accounts:
            raise ConflictError("an account with this id is already stored")
        if account.is_live and account.email_key in work.account_by_email:
            raise ConflictError("a live account holds this email address")
        work.accounts[account.account_id] = account
        if account.is_live:
            work.account_by_email[account.email_key] = account.account_id

    def get(self, account_id: str) -> Account | None:
        return self._unit.work.accounts.get(account_id)

    def by_email(self, email_key: str) -> Account | None:
        work = self._unit.work
        account_id = work.account_by_email.get(email_key)
        return None if account_id is None else work.accounts[account_id]

    def save(self, account: Account) -> None:
        self._unit.check_writable()
        work = self._unit.work
        stored = work.accounts.get(account.account_id)
        if stored is None or stored.version != account.version - 1:
            raise ConflictError("the account changed since it was read (or is not stored); retry")
        holder = work.account_by_email.get(account.email_key)
        if account.is_live and holder not in (None, account.account_id):
            raise ConflictError("a live account holds this email address")
        if stored.is_live:
            del work.account_by_email[stored.email_key]
        if account.is_live:
            work.account_by_email[account.email_key] = account.account_id
        work.accounts[account.account_id] = account

    # --- tokens ---

    def put_token(self, token: AccountToken) -> None:
        self._unit.check_writable()
        work = self._unit.work
        if token.selector in work.tokens:
            raise ConflictError("an account token with this selector is already stored")
        work.tokens[token.selector] = token
        _with(work.tokens_by_account, token.account_id, token.selector)

    def get_token(self, selector: str) -> AccountToken | None:
        return self._unit.work.tokens.get(selector)

    def use_token(self, selector: str, at: datetime) -> bool:
        self._unit.check_writable()
        token = self._unit.work.tokens.get(selector)
        if token is None or token.used_at is not None:
            return False
        self._unit.work.tokens[selector] = token.used(at)
        return True

    def count_token_try(self, selector: str) -> int:
        self._unit.check_writable()
        token = self._unit.work.tokens.get(selector)
        if token is None:
            return 0
        self._unit.work.tokens[selector] = attrs.evolve(token, tries=token.tries + 1)
        return token.tries + 1

    def end_tokens(self, account_id: str, purposes: Collection[TokenPurpose], at: datetime) -> int:
        self._unit.check_writable()
        work = self._unit.work
        ended = 0
        for selector in work.tokens_by_account.get(account_id, frozenset()):
            token = work.tokens[selector]
            if token.used_at is None and token.purpose in purposes:
                work.tokens[selector] = token.used(at)
                ended += 1
        return ended

    def purge_tokens(self, expired_before: datetime) -> int:
        self._unit.check_writable()
        work = self._unit.work
        old = [t for t in work.tokens.values() if t.expires_at < expired_before]
        for token in old:
            del work.tokens[token.selector]
            _without(work.tokens_by_account, token.account_id, token.selector)
        return len(old)

    # --- order links ---

    def link_order(self, link: OrderLink) -> bool:
        self._unit.check_writable()
        work = self._unit.work
        if link.order_number in work.links:
            return False
        work.links[link.order_number] = link
        _with(work.links_by_account, link.account_id, link.order_number)
        return True

    def order_link(self, order_number: str) -> OrderLink | None:
        return self._unit.work.links.get(order_number)

    def _linked(self, account_id: str) -> list[Order]:
        work = self._unit.work
        numbers = work.links_by_account.get(account_id, frozenset())
        orders = [work.orders[n] for n in numbers if n in work.orders]
        return sorted(orders, key=_newest_first, reverse=True)

    def linked_email_keys(self, account_id: str) -> Sequence[str]:
        return sorted({order.email.canonical for order in self._linked(account_id)})

    def linked_orders(
        self, account_id: str, limit: int, after: SearchCursor | None = None
    ) -> Sequence[OrderHeader]:
        if limit <= 0:
            return []
        return [_header(order) for order in _after(self._linked(account_id), after)][:limit]

    def search_linked(
        self,
        account_id: str,
        query: HistoryQuery,
        limit: int,
        after: SearchCursor | None = None,
    ) -> Sequence[OrderMatch]:
        return _matches(self._linked(account_id), query, limit, after)

    def unlinked_orders(self, email_key: str, limit: int) -> Sequence[OrderHeader]:
        if limit <= 0:
            return []
        links = self._unit.work.links
        orders = self._unit.orders._of(email_key)
        return [_header(order) for order in orders if order.number not in links][:limit]

    def verified_accounts(self, email_keys: Collection[str]) -> Mapping[str, str]:
        work = self._unit.work
        found: dict[str, str] = {}
        for key in email_keys:
            account_id = work.account_by_email.get(key) if isinstance(key, str) else None
            if account_id is not None and work.accounts[account_id].state is AccountState.ACTIVE:
                found[key] = account_id
        return found

    def preferred_language(self, email_key: str, order_number: str | None = None) -> str | None:
        work = self._unit.work
        held = work.account_by_email.get(email_key) if isinstance(email_key, str) else None
        link = work.links.get(order_number) if isinstance(order_number, str) else None
        for account_id in (held, None if link is None else link.account_id):
            account = None if account_id is None else work.accounts.get(account_id)
            if account is not None and account.state is AccountState.ACTIVE:
                return account.language
        return None

    def unlink_order(self, order_number: str) -> bool:
        self._unit.check_writable()
        work = self._unit.work
        link = work.links.pop(order_number, None) if isinstance(order_number, str) else None
        if link is None:
            return False
        _without(work.links_by_account, link.account_id, order_number)
        return True

    def unlink_all(self, account_id: str) -> int:
        self._unit.check_writable()
        work = self._unit.work
        numbers = work.links_by_account.pop(account_id, frozenset())
        for number in numbers:
            del work.links[number]
        return len(numbers)

    # --- failed log-ins ---

    def failed_logins(self, failure_key: str) -> int:
        counted = self._unit.work.failed_logins.get(failure_key)
        return 0 if counted is None else counted[0]

    def count_failed_login(self, failure_key: str, at: datetime) -> int:
        self._unit.check_writable()
        counts = self._unit.work.failed_logins
        failures = counts.get(failure_key, (0, at))[0] + 1
        counts[failure_key] = (failures, at)
        return failures

    def clear_failed_logins(self, failure_key: str) -> bool:
        self._unit.check_writable()
        return self._unit.work.failed_logins.pop(failure_key, None) is not None

    def forget_failed_logins(self, last_before: datetime, below: int) -> int:
        self._unit.check_writable()
        counts = self._unit.work.failed_logins
        old = [k for k, (n, last_at) in counts.items() if last_at < last_before and n < below]
        for key in old:
            del counts[key]
        return len(old)

    # --- the security log ---

    def record_event(self, event: SecurityEvent) -> None:
        self._unit.check_writable()
        events = self._unit.work.events
        events[event.account_id] = (*events.get(event.account_id, ()), event)

    def events(self, account_id: str, limit: int) -> Sequence[SecurityEvent]:
        if limit <= 0 or account_id is None:
            return []
        logged = self._unit.work.events.get(account_id, ())
        # Newest first; between equal times the one recorded last (its place in the log).
        ordered = sorted(enumerate(logged), key=lambda pair: (pair[1].at, pair[0]), reverse=True)
        return [event for _position, event in ordered[:limit]]

    # --- the profile ---

    def put_address(self, saved: SavedAddress) -> None:
        self._unit.check_writable()
        work = self._unit.work
        kept = work.addresses.get(saved.account_id, {})
        for other in kept.values():
            if other.address_id == saved.address_id:
                continue
            if other.key == saved.key:
                raise ConflictError("the account keeps this address already")
            if other.is_default and saved.is_default:
                raise ConflictError("another address of the account is its default")
        work.addresses[saved.account_id] = {**kept, saved.address_id: saved}

    def saved_addresses(self, account_id: str) -> Sequence[SavedAddress]:
        kept = _kept(self._unit.work.addresses, account_id)
        return sorted(kept.values(), key=lambda saved: (saved.saved_at, saved.address_id))

    def remove_address(self, account_id: str, address_id: str) -> bool:
        self._unit.check_writable()
        return _removed(self._unit.work.addresses, account_id, address_id)

    def order_addresses(self, account_id: str, limit: int) -> Sequence[Address]:
        if limit <= 0:
            return []
        return [order.shipping_address for order in self._linked(account_id)[:limit]]

    def put_vehicle(self, vehicle: GarageVehicle) -> None:
        self._unit.check_writable()
        work = self._unit.work
        kept = work.vehicles.get(vehicle.account_id, {})
        work.vehicles[vehicle.account_id] = {**kept, vehicle.vehicle_id: vehicle}

    def garage(self, account_id: str) -> Sequence[GarageVehicle]:
        kept = _kept(self._unit.work.vehicles, account_id)
        return sorted(kept.values(), key=lambda vehicle: (vehicle.added_at, vehicle.vehicle_id))

    def remove_vehicle(self, account_id: str, vehicle_id: str) -> bool:
        self._unit.check_writable()
        return _removed(self._unit.work.vehicles, account_id, vehicle_id)

    def forget_profile(self, account_id: str) -> int:
        self._unit.check_writable()
        work = self._unit.work
        addresses = work.addresses.pop(account_id, {})
        vehicles = work.vehicles.pop(account_id, {})
        subscriptions = work.subscriptions.pop(account_id, {})
        return (
            len(addresses) + len(vehicles) + len(subscriptions) + self._forget_watches(account_id)
        )

    # --- mail preferences ---

    def subscribe(self, subscription: MailSubscription) -> bool:
        self._unit.check_writable()
        work = self._unit.work
        kept = work.subscriptions.get(subscription.account_id, {})
        if subscription.topic in kept:
            return False
        work.subscriptions[subscription.account_id] = {**kept, subscription.topic: subscription}
        return True

    def unsubscribe(self, account_id: str, topic: str) -> bool:
        self._unit.check_writable()
        return _removed(self._unit.work.subscriptions, account_id, topic)

    def mail_subscriptions(self, account_id: str) -> Sequence[MailSubscription]:
        kept = _kept(self._unit.work.subscriptions, account_id)
        return [kept[topic] for topic in sorted(kept)]

    def subscribers(self, topic: str, after: str | None, limit: int) -> Sequence[Account]:
        if limit <= 0:
            return []
        accounts = self._unit.work.accounts
        found = sorted(
            (account_id, account)
            for account_id, kept in self._unit.work.subscriptions.items()
            if topic in kept
            and (after is None or account_id > after)
            and (account := accounts.get(account_id)) is not None
            and account.state is AccountState.ACTIVE
        )
        return [account for _account_id, account in found[:limit]]


class _Sessions:
    def __init__(self, unit: _MemoryUnitOfWork) -> None:
        self._unit = unit

    def put(self, session: AccountSession) -> None:
        self._unit.check_writable()
        work = self._unit.work
        if session.id_hash in work.sessions:
            raise ConflictError("a session with this id is already stored")
        work.sessions[session.id_hash] = session
        _with(work.sessions_by_account, session.account_id, session.id_hash)

    def get(self, id_hash: str) -> AccountSession | None:
        return self._unit.work.sessions.get(id_hash)

    def get_with_account(self, id_hash: str) -> tuple[AccountSession, Account | None] | None:
        work = self._unit.work  # one state object: one snapshot for both
        session = work.sessions.get(id_hash)
        return None if session is None else (session, work.accounts.get(session.account_id))

    def open_sessions(self, account_id: str) -> list[AccountSession]:
        work, key = self._unit.work, cast(object, account_id)  # a key no account can have
        hashes = work.sessions_by_account.get(key, frozenset()) if isinstance(key, str) else ()
        mine = (work.sessions[id_hash] for id_hash in hashes)
        return oldest_first(session for session in mine if session.ended_at is None)

    def check(
        self,
        id_hash: str,
        now: datetime,
        *,
        idle_timeout: timedelta,
        touch_interval: timedelta,
    ) -> SessionCheck | None:
        checked_moment(now, idle_timeout, touch_interval)  # bad input: refused before reading
        found = self.get_with_account(id_hash)
        if found is None:
            return None
        return SessionCheck.at(
            *found, now, idle_timeout=idle_timeout, touch_interval=touch_interval
        )

    def touch(self, id_hash: str, at: datetime) -> bool:
        self._unit.check_writable()
        session = self._unit.work.sessions.get(id_hash)
        if session is None or session.ended_at is not None or not session.last_seen_at < utc(at):
            return False
        self._unit.work.sessions[id_hash] = session.touched(at)
        return True

    def end(self, id_hash: str, at: datetime) -> bool:
        self._unit.check_writable()
        session = self._unit.work.sessions.get(id_hash)
        if session is None or session.ended_at is not None:
            return False
        self._unit.work.sessions[id_hash] = session.ended(at)
        return True

    def end_all(self, account_id: str, at: datetime, *, keep: str | None = None) -> int:
        self._unit.check_writable()
        work = self._unit.work
        ended = 0
        for id_hash in work.sessions_by_account.get(account_id, frozenset()):
            session = work.sessions[id_hash]
            if id_hash != keep and session.ended_at is None:
                work.sessions[id_hash] = session.ended(at)
                ended += 1
        return ended

    def purge(self, expired_before: datetime, idle_before: datetime) -> int:
        self._unit.check_writable()
        work = self._unit.work
        old = [
            s
            for s in work.sessions.values()
            if s.expires_at < expired_before
            or (s.ended_at is not None and s.ended_at < expired_before)
            or (not s.remember and s.last_seen_at < idle_before)
        ]
        for session in old:
            del work.sessions[session.id_hash]
            _without(work.sessions_by_account, session.account_id, session.id_hash)
        return len(old)


class _Captchas:
    def __init__(self, unit: _MemoryUnitOfWork) -> None:
        self._unit = unit

    def put(self, captcha: StoredCaptcha) -> None:
        self._unit.check_writable()
        if captcha.challenge_id in self._unit.work.captchas:
            raise ConflictError("a captcha challenge with this id is already stored")
        self._unit.work.captchas[captcha.challenge_id] = captcha

    def consume(self, challenge_id: str, now: datetime) -> StoredCaptcha | None:
        self._unit.check_writable()
        captcha = self._unit.work.captchas.get(challenge_id)
        if captcha is None or not captcha.is_open(now):
            return None
        # The unit holds the only writer's lock: no other unit can consume it meanwhile.
        used = attrs.evolve(captcha, used_at=utc(now))
        self._unit.work.captchas[challenge_id] = used
        return used

    def purge(self, expired_before: datetime) -> int:
        self._unit.check_writable()
        captchas = self._unit.work.captchas
        return len(_drop_older(captchas, lambda captcha: captcha.expires_at, expired_before))


class _OneRead:
    """A repository of a read-once unit: every call goes through the unit's count, so
    that a second read raises, as the SQL stores' second statement does."""

    def __init__(self, unit: _MemoryUnitOfWork, repository: object) -> None:
        self._unit = unit
        self._repository = repository

    def __getattr__(self, name: str) -> Callable[..., object]:
        method: Callable[..., object] = getattr(self._repository, name)
        unit = self._unit

        def once(*args: object, **kwargs: object) -> object:
            unit.count_read()
            return method(*args, **kwargs)

        return once


R = TypeVar("R")


class _MemoryUnitOfWork:
    def __init__(self, storage: MemoryStorage, write: bool, read_once: bool = False) -> None:
        if write and read_once:
            raise AdapterError("a read-once unit of work cannot write (write=True)")
        self._storage = storage
        self._write = write
        self._open = False
        self._reads = 0 if read_once else -1  # -1: reads are not counted
        self.orders = self._repository(_Orders(self))
        self.outbox = self._repository(_Outbox(self))
        self.passes = self._repository(_Passes(self))
        self.idempotency = self._repository(_Replies(self))
        self.credit = self._repository(_Credit(self))
        self.documents = self._repository(_Documents(self))
        self.accounts = self._repository(_Accounts(self))
        self.sessions = self._repository(_Sessions(self))
        self.captchas = self._repository(_Captchas(self))
        self.work: _State = storage._state

    def _repository(self, repository: R) -> R:
        if self._reads < 0:
            return repository
        return cast("R", _OneRead(self, repository))

    def count_read(self) -> None:
        """Count a read of a read-once unit; the second raises (see ``Storage.unit_of_work``)."""
        if not self._open:
            raise AdapterError("the unit of work is not open")
        if self._reads:
            raise AdapterError(
                "this unit of work reads once (read_once=True) and has read: "
                "a second read would need a unit of its own"
            )
        self._reads = 1

    def __enter__(self) -> Self:
        if self._write:
            self._storage._writer.acquire()
        state = self._storage._state
        # A write unit works on copies of the maps: its writes stay its own until commit.
        self.work = state.copy() if self._write else state
        self._open = True
        self._reads = min(self._reads, 0)  # entered again: a new snapshot, a new read
        return self

    def check_writable(self) -> None:
        if not self._open:
            raise AdapterError("the unit of work is not open")
        if not self._write:
            raise AdapterError("this unit of work was opened read-only (write=False)")

    def commit(self) -> None:
        self.check_writable()
        # Readers hold the old state object; publishing the new one is a single assignment.
        self._storage._state = self.work
        self.work = self.work.copy()

    def rollback(self) -> None:
        if self._open and self._write:
            self.work = self._storage._state.copy()

    def __exit__(self, *exc_info: object) -> None:
        # The unit ends the same way whatever the block raised, so the exception is not read.
        self.rollback()
        self._open = False
        if self._write:
            self._storage._writer.release()


class MemoryStorage:
    """Orders, outbox, guest passes, store credit, return papers, accounts, sessions and
    captcha challenges in process memory.

    Thread-safe: one writer, many readers.

    ``memory://`` opens a new, empty one.
    """

    def __init__(self) -> None:
        self.url = "memory://"
        self._state = _State()
        self._writer = threading.Lock()

    @classmethod
    def from_url(cls, url: str) -> MemoryStorage:
        """``memory://``: a new, empty storage."""
        return cls()

    def unit_of_work(self, *, write: bool = False, read_once: bool = False) -> _MemoryUnitOfWork:
        """A unit of work; see :class:`orderstatus_core.UnitOfWork` and, for ``read_once``,
        :meth:`orderstatus_core.Storage.unit_of_work`. Its one snapshot is the committed
        state it starts from, whatever it reads; ``read_once`` only counts the reads."""
        return _MemoryUnitOfWork(self, write, read_once)

    def migrate(self) -> int:
        """Nothing to migrate; the schema version is always 1."""
        return 1

    def close(self) -> None:
        """Forget everything."""
        self._state = _State()
