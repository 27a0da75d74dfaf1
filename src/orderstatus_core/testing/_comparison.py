"""A state machine that runs the same storage commands on an adapter and on the reference.

Modelled on Hypothesis's own Redis tests: every rule does one thing to both storages and
every check asks both the same question; any difference is a failure with the shortest
sequence of commands that shows it. The reference is the ``memory://`` storage, opened
through the adapter registry.

Besides orders and the outbox, the commands reach the store-credit ledger (appends, some
of them repeated, some that would take a balance below zero; balances and histories) and
the return papers (documents put, replaced and listed per RMA number).

Each run works in its own namespace (order numbers, email addresses, message ids, credit
holders and entry ids, RMA numbers carry a run prefix) and marks its outbox messages sent
when it ends, so runs can share the one storage a test fixture gives.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import ClassVar

import attrs
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from orderstatus_core.contacts import parse_email
from orderstatus_core.errors import ConflictError, DuplicateOrderError, InsufficientCreditError
from orderstatus_core.labels import LabelDocument, StoredDocument
from orderstatus_core.messages import OrderListMail, OutboxMessage
from orderstatus_core.model import CategoryPath, Money, Order, PartNumber
from orderstatus_core.ports import Storage
from orderstatus_core.records import CategoryQuery, CreditEntry, PartNumberQuery, SearchQuery
from orderstatus_core.testing import strategies
from orderstatus_core.testing._lifecycle_base import _display_forms
from orderstatus_core.testing.fakes import fake_context

__all__ = ["StorageComparison", "comparing"]

_T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
_runs = itertools.count(1)
# The model's bound on versions: an order stored at it cannot be changed() again.
_MAX_VERSION = 2**62


def _add(storage: Storage, order: Order, commit: bool) -> str:
    with storage.unit_of_work(write=True) as uow:
        try:
            uow.orders.add(order)
        except DuplicateOrderError:
            return "duplicate"
        if commit:
            uow.commit()
    return "added"


def _save(storage: Storage, order: Order, commit: bool) -> str:
    with storage.unit_of_work(write=True) as uow:
        try:
            uow.orders.save(order)
        except ConflictError:
            return "conflict"
        if commit:
            uow.commit()
    return "saved"


def _outbox(storage: Storage, action: str, message: OutboxMessage, at: datetime) -> None:
    with storage.unit_of_work(write=True) as uow:
        if action == "put":
            uow.outbox.put(message)
        elif action == "sent":
            uow.outbox.mark_sent(message.message_id, at)
        else:
            uow.outbox.mark_failed(message.message_id, f"421 try later ({at:%H:%M:%S})", at)
        uow.commit()


def _append(storage: Storage, entry: CreditEntry, commit: bool) -> str:
    with storage.unit_of_work(write=True) as uow:
        try:
            appended = uow.credit.append(entry)
        except InsufficientCreditError:
            return "insufficient"
        if commit:
            uow.commit()
    return "appended" if appended else "exists"


def _keep(storage: Storage, stored: StoredDocument, commit: bool) -> None:
    with storage.unit_of_work(write=True) as uow:
        uow.documents.put(stored)
        if commit:
            uow.commit()


#: The files a label maker makes for one RMA package; putting one again replaces it.
_PAPERS = (
    ("pdf", "application/pdf", "label.pdf"),
    ("zpl", "application/x-zpl", "label.zpl"),
    ("pdf", "application/pdf", "instructions.pdf"),
)


class StorageComparison(RuleBasedStateMachine):
    """Commands on a storage under test and on the memory reference must agree."""

    #: The storage under test; :func:`comparing` sets it.
    storage: ClassVar[Storage]

    def __init__(self) -> None:
        super().__init__()
        self.reference = fake_context().storage
        run = f"S{next(_runs)}"
        self.numbers = [f"{run}N{i}" for i in range(6)]
        # The last two look like the first but are other mailboxes (fullwidth and long s):
        # an adapter that folds keys more than the reference lists them together.
        self.emails = [
            parse_email(f"{first}hopper{i}.{run}@Example.com")
            for first, i in (("S", 0), ("S", 1), ("S", 2), ("ｓ", 0), ("ſ", 0))
        ]
        self.message_ids = [f"{run}-m{i}" for i in range(4)]
        self.holders = [
            f"{first}older{i}.{run.lower()}@example.com"
            for first, i in (("h", 0), ("h", 1), ("ｈ", 0))
        ]
        self.entry_ids = [
            *(f"refund:{run}N{i}:R{i}" for i in range(3)),
            *(f"spend:{run}-checkout-{i}" for i in range(3)),
        ]
        self.rmas = [f"R{run}N0-{i}" for i in range(1, 4)]
        self.queued: list[OutboxMessage] = []
        self.parts: list[PartNumber] = []
        self.categories: list[CategoryPath] = []
        self.clock = itertools.count()
        self.now = _T0

    def both(self) -> tuple[Storage, Storage]:
        """The storage under test and the reference."""
        return self.storage, self.reference

    @rule(data=st.data(), commit=st.booleans())
    def add_order(self, data: st.DataObject, commit: bool) -> None:
        """Add an order (sometimes with a number already taken); commit or walk away."""
        order = data.draw(self._orders())
        outcomes = [_add(storage, order, commit) for storage in self.both()]
        assert outcomes[0] == outcomes[1]
        self._remember(order)

    def _orders(self) -> st.SearchStrategy[Order]:
        return strategies.orders(
            numbers=st.sampled_from(self.numbers),
            email_addresses=st.sampled_from(self.emails),
            max_lines=3,
            max_packages=2,
        )

    def _stored(self, number: str) -> Order | None:
        with self.reference.unit_of_work() as uow:
            return uow.orders.get(number)

    def _stored_numbers(self) -> list[str]:
        with self.reference.unit_of_work() as uow:
            return [number for number in self.numbers if uow.orders.get(number) is not None]

    def _remember(self, order: Order) -> None:
        self.parts.extend(line.part_number for line in order.lines)
        self.categories.extend(line.category for line in order.lines)

    @rule(data=st.data(), how=st.sampled_from(["same", "address", "replace"]), commit=st.booleans())
    def save_order(self, data: st.DataObject, how: str, commit: bool) -> None:
        """Read an order, change it (same content, a new address, or every field of another
        generated order) and save it in both; commit or walk away. A number not stored is
        refused by both."""
        number = data.draw(st.sampled_from(self._stored_numbers() or self.numbers))
        if data.draw(st.integers(0, 9)) == 0:
            number = data.draw(st.sampled_from(self.numbers))  # now and then, maybe unknown
        stored = self._stored(number)
        if stored is None:
            order = attrs.evolve(data.draw(self._orders()), number=number)
        elif stored.version >= _MAX_VERSION:
            return  # the model refuses a higher version; nothing to save
        elif how == "same":
            order = stored.changed()
        elif how == "address":
            order = stored.changed(shipping_address=data.draw(strategies.addresses()))
        else:
            other = data.draw(self._orders())
            order = attrs.evolve(other, number=number, version=stored.version + 1)
        outcomes = [_save(storage, order, commit) for storage in self.both()]
        assert outcomes[0] == outcomes[1]
        assert outcomes[0] == ("conflict" if stored is None else "saved")
        self._remember(order)

    @rule(data=st.data(), offset=st.sampled_from([0, 2, 3, -1]))
    def stale_save(self, data: st.DataObject, offset: int) -> None:
        """Save a stored order at a version other than stored + 1 (the same one, one or two
        too far ahead, one behind): both refuse it with ConflictError and keep what they
        had."""
        known = self._stored_numbers()
        if not known:
            return  # save_order covers unknown numbers
        stored = self._stored(data.draw(st.sampled_from(known)))
        assert stored is not None
        version = stored.version + offset
        if not 1 <= version <= _MAX_VERSION:
            version = stored.version
        stale = attrs.evolve(stored, version=version)
        outcomes = [_save(storage, stale, True) for storage in self.both()]
        assert outcomes == ["conflict", "conflict"]
        for storage in self.both():
            with storage.unit_of_work() as uow:
                assert uow.orders.get(stored.number) == stored

    @precondition(lambda self: len(self.queued) < len(self.message_ids))
    @rule(data=st.data())
    def queue_message(self, data: st.DataObject) -> None:
        """Queue a new message in a committed unit."""
        message_id = self.message_ids[len(self.queued)]
        at = _T0 + timedelta(seconds=next(self.clock))
        intent = OrderListMail(
            to=data.draw(st.sampled_from(self.emails)), order_numbers=tuple(self.numbers[:2])
        )
        message = OutboxMessage(message_id=message_id, created_at=at, intent=intent)
        self.queued.append(message)
        for storage in self.both():
            _outbox(storage, "put", message, at)

    @precondition(lambda self: bool(self.queued))
    @rule(data=st.data(), action=st.sampled_from(["sent", "failed"]), delay=st.integers(0, 90))
    def mark_message(self, data: st.DataObject, action: str, delay: int) -> None:
        """Mark a queued message sent, or failed with a retry ``delay`` seconds from now."""
        message = data.draw(st.sampled_from(self.queued))
        for storage in self.both():
            _outbox(storage, action, message, self.now + timedelta(seconds=delay))

    @rule(seconds=st.integers(0, 120))
    def let_time_pass(self, seconds: int) -> None:
        """Move the moment the outbox is asked about."""
        self.now += timedelta(seconds=seconds)

    @rule(data=st.data())
    def get_agrees(self, data: st.DataObject) -> None:
        """``get`` answers the same order, display forms included."""
        number = data.draw(st.sampled_from(self.numbers))
        found = []
        for storage in self.both():
            with storage.unit_of_work() as uow:
                found.append(uow.orders.get(number))
        assert found[0] == found[1]
        assert _display_forms(found[0]) == _display_forms(found[1])

    @rule(data=st.data())
    def get_for_contact_agrees(self, data: st.DataObject) -> None:
        """``get_for_contact`` answers the same order (or none) for any stored number and
        any stored email key."""
        number = data.draw(st.sampled_from(self.numbers))
        key = data.draw(st.sampled_from(self.emails)).canonical
        found = []
        for storage in self.both():
            with storage.unit_of_work() as uow:
                found.append(uow.orders.get_for_contact(number, key))
        assert found[0] == found[1]

    @rule(data=st.data(), limit=st.integers(1, 7))
    def recent_agrees(self, data: st.DataObject, limit: int) -> None:
        """``recent`` answers the same headers in the same order."""
        key = data.draw(st.sampled_from(self.emails)).canonical
        found = []
        for storage in self.both():
            with storage.unit_of_work() as uow:
                found.append(list(uow.orders.recent(key, limit)))
        assert found[0] == found[1]

    @precondition(lambda self: bool(self.parts))
    @rule(data=st.data(), limit=st.integers(1, 7))
    def search_agrees(self, data: st.DataObject, limit: int) -> None:
        """``search`` by a stored part number or a stored category (or one above it)
        answers the same matches in the same order."""
        query: SearchQuery
        if data.draw(st.booleans()):
            query = PartNumberQuery(data.draw(st.sampled_from(self.parts)))
        else:
            category = data.draw(st.sampled_from(self.categories))
            depth = data.draw(st.integers(1, len(category.segments)))
            query = CategoryQuery(CategoryPath(category.segments[:depth]))
        key = data.draw(st.sampled_from(self.emails)).canonical
        found = []
        for storage in self.both():
            with storage.unit_of_work() as uow:
                found.append(list(uow.orders.search(key, query, limit)))
        assert found[0] == found[1]

    @rule(
        data=st.data(),
        cents=st.integers(-6000, 6000).filter(bool),
        currency=st.sampled_from(["USD", "USD", "EUR"]),
        commit=st.booleans(),
    )
    def append_credit(self, data: st.DataObject, cents: int, currency: str, commit: bool) -> None:
        """Append a store-credit entry (money in or out; sometimes an id already used);
        commit or walk away. Both append it, find it there already, or refuse it for taking
        the balance below zero."""
        entry = CreditEntry(
            entry_id=data.draw(st.sampled_from(self.entry_ids)),
            holder=data.draw(st.sampled_from(self.holders)),
            amount=Money(Decimal(cents) / 100, currency),
            at=_T0
            + timedelta(seconds=next(self.clock), microseconds=data.draw(st.integers(0, 999999))),
            reference=data.draw(st.sampled_from(["refund R1 of order 1", "checkout ÄÖ-7", "x"])),
        )
        outcomes = [_append(storage, entry, commit) for storage in self.both()]
        assert outcomes[0] == outcomes[1], outcomes

    @rule(
        data=st.data(),
        currency=st.sampled_from(["USD", "EUR", "SEK"]),
        limit=st.integers(1, 7),
    )
    def credit_agrees(self, data: st.DataObject, currency: str, limit: int) -> None:
        """``balance`` and ``entries`` answer the same (newest first, ties by entry id)."""
        holder = data.draw(st.sampled_from(self.holders))
        found = []
        for storage in self.both():
            with storage.unit_of_work() as uow:
                found.append(
                    (uow.credit.balance(holder, currency), list(uow.credit.entries(holder, limit)))
                )
        assert found[0] == found[1]

    @rule(
        data=st.data(),
        paper=st.sampled_from(_PAPERS),
        content=st.binary(max_size=64),
        commit=st.booleans(),
    )
    def put_paper(
        self, data: st.DataObject, paper: tuple[str, str, str], content: bytes, commit: bool
    ) -> None:
        """Keep a return paper (the same file of an RMA again replaces it); commit or walk
        away."""
        rma = data.draw(st.sampled_from(self.rmas))
        fmt, media_type, name = paper
        document = LabelDocument(fmt, media_type, f"{rma}-{name}", content)
        stored = StoredDocument(self.numbers[0], rma, document)
        for storage in self.both():
            _keep(storage, stored, commit)

    @rule(data=st.data())
    def papers_agree(self, data: st.DataObject) -> None:
        """``for_rma`` answers the same papers, in the order they were first put."""
        rma = data.draw(st.sampled_from(self.rmas))
        found = []
        for storage in self.both():
            with storage.unit_of_work() as uow:
                found.append(list(uow.documents.for_rma(rma)))
        assert found[0] == found[1]

    @invariant()
    def outbox_agrees(self) -> None:
        """``due`` and ``pending_count`` agree (earlier runs left nothing pending)."""
        answers = []
        for storage in self.both():
            with storage.unit_of_work() as uow:
                answers.append((list(uow.outbox.due(self.now, 100)), uow.outbox.pending_count()))
        assert answers[0] == answers[1]

    def teardown(self) -> None:
        """Mark this run's messages sent, so the next run starts with none of them due."""
        for message_id in self.message_ids:
            with self.storage.unit_of_work(write=True) as uow:
                uow.outbox.mark_sent(message_id, _T0)
                uow.commit()
        self.reference.close()

    def __repr__(self) -> str:
        return f"StorageComparison({self.storage.url!r})"


def comparing(storage: Storage) -> type[StorageComparison]:
    """A :class:`StorageComparison` of ``storage``, ready for ``run_state_machine_as_test``."""

    class Comparison(StorageComparison):
        pass

    Comparison.storage = storage
    return Comparison
