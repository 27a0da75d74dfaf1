"""Conformance suites for adapter authors: every contract of :mod:`orderstatus_core.ports`.

Each suite is a mixin class. Subclass it in a test module under a name pytest collects,
and supply the fixture the suite names::

    import pytest
    from orderstatus_core.testing.contract import StorageContract

    class TestMyStorage(StorageContract):
        supports_concurrent_writers = False  # a capability this adapter lacks

        @pytest.fixture
        def storage(self, tmp_path):
            storage = MyStorage(tmp_path / "orders.db")
            storage.migrate()
            yield storage
            storage.close()

======================  =====================  ============================================
suite                   fixture                what the fixture gives
======================  =====================  ============================================
StorageContract         ``storage``            a fresh, migrated, empty ``Storage``
RateLimiterContract     ``rate_limiter``       a fresh ``RateLimiter``
MailerContract          ``mailer``,            a ``Mailer``, and a callable answering what
                        ``delivered``          it has delivered so far, as ``OutgoingMail``
======================  =====================  ============================================

The fixture may live in the class, its module or a ``conftest.py``. Capabilities are
class attributes that default to ``True``; set one to ``False`` to skip the tests that
need it. A suite's property tests draw fresh order numbers, addresses and keys for every
example, so one storage or limiter per test is enough; they follow the Hypothesis profile
in force (see :mod:`orderstatus_core.testing.pytest_plugin`) except for their example
counts, kept modest so that a suite runs in seconds.

Beyond the documented rules, ``StorageContract`` runs two Hypothesis state machines
against the storage under test and the ``memory://`` reference, and fails, with the
shortest sequence of steps that shows it, at the first answer that differs:

* ``test_every_command_agrees_with_the_memory_reference``: random sequences of storage
  commands (adds, saves, walk-aways, stale saves, outbox changes, queries);
* ``test_the_order_lifecycle_agrees_with_the_memory_reference``: the order lifecycle of
  :class:`~orderstatus_core.testing.lifecycle.LifecycleMachine`. Small orders are placed,
  packed, shipped, delivered, cancelled (at once or by a request the warehouse decides),
  changed and reported on through the pure policies, each step a ``get``, ``save``
  (compare-and-set) and ``commit`` in one write unit; illegal steps and stale saves must
  be refused alike. After every step the adapter's copy of each order must keep the
  ledger, refund, cancel-request, version and status invariants of DOMAIN.md section 4.
  It runs 20 orders of up to 20 steps; under ``HYPOTHESIS_PROFILE=nightly`` it runs as
  long as that profile says (600 orders of up to 50 steps).
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

import attrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import run_state_machine_as_test

from orderstatus_core.contacts import parse_email
from orderstatus_core.errors import (
    AdapterError,
    ConflictError,
    DuplicateOrderError,
    InsufficientCreditError,
)
from orderstatus_core.labels import LabelDocument, StoredDocument
from orderstatus_core.messages import (
    GuestPassMail,
    MailIntent,
    OrderListMail,
    OutboxMessage,
    OutgoingMail,
    secrets_of,
    without_secrets,
)
from orderstatus_core.model import (
    Address,
    CategoryPath,
    EmailAddress,
    Money,
    Order,
    PartNumber,
)
from orderstatus_core.model.fulfilment import open_package, ship_package
from orderstatus_core.model.guest_pass import GuestPass, PassChallenge
from orderstatus_core.model.requests import PartSwap, ProblemKind, Resolution, SpeedChange
from orderstatus_core.policies import Quota
from orderstatus_core.policies.cancellation import cancel_units, decide_cancel
from orderstatus_core.policies.changes import apply_change, decide_change, request_change
from orderstatus_core.policies.problems import report_problem, resolve_problem
from orderstatus_core.ports import Mailer, OrderRepository, RateLimiter, Storage, UnitOfWork
from orderstatus_core.records import (
    CategoryQuery,
    CreditEntry,
    IdempotentReply,
    OrderHeader,
    OrderMatch,
    PartNumberQuery,
    SearchCursor,
    SearchQuery,
)
from orderstatus_core.services import (
    GuestPassGranted,
    GuestPassRefused,
    ServiceContext,
    check_guest_pass,
    request_guest_pass,
    verify_guest_code,
)
from orderstatus_core.testing import strategies
from orderstatus_core.testing._comparison import comparing
from orderstatus_core.testing.builders import PLACED_AT, address, line, make_order, package, usd
from orderstatus_core.testing.fakes import fake_context, queued_mail
from orderstatus_core.testing.lifecycle import lifecycle_of
from orderstatus_core.testing.pytest_plugin import NIGHTLY_PROFILE

__all__ = ["Delivered", "MailerContract", "RateLimiterContract", "StorageContract"]

T = TypeVar("T")

#: A moment the outbox and rate-limiter tests start from.
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
_END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)

# Property tests share one storage or limiter per test; fixtures are not reset between
# examples, and that is deliberate (each example uses fresh numbers, addresses and keys).
# Every subclass runs the same property method ("differing executors"): their examples
# are inputs that do not depend on the adapter, so sharing them in the example database
# is harmless, and a failure found for one adapter is replayed against the others.
_PROPERTY = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[
        HealthCheck.differing_executors,
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
    ],
)
_STATEFUL = settings(
    max_examples=15,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
_LIFECYCLE = settings(
    max_examples=20,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
_serial = itertools.count(1)


def _lifecycle_budget() -> settings:
    """20 orders of up to 20 steps, which every CI run can afford; under the ``nightly``
    Hypothesis profile (``nox -s lifecycle``) as many as the profile says."""
    if settings.get_current_profile_name() == NIGHTLY_PROFILE:
        return settings()
    return _LIFECYCLE


_QUOTAS = st.builds(
    Quota,
    limit=st.integers(1, 20),
    period=st.timedeltas(min_value=timedelta(milliseconds=1), max_value=timedelta(days=1)),
)
_DAYS3 = timedelta(days=3)


def _fresh(prefix: str) -> str:
    """A value no other example of this process has used: ``C17`` and so on."""
    return f"{prefix}{next(_serial)}"


def _fresh_email() -> EmailAddress:
    return parse_email(f"Shopper.{_fresh('')}@Example.com")


def _message(
    message_id: str,
    created_at: datetime = T0,
    *,
    to: str = "Jane.Doe@example.com",
    next_attempt_at: datetime | None = None,
) -> OutboxMessage:
    intent = OrderListMail(to=parse_email(to), order_numbers=("123456789", "A1B2"), language="fi")
    return OutboxMessage(
        message_id=message_id,
        created_at=created_at,
        intent=intent,
        next_attempt_at=next_attempt_at,
    )


def _pass_mail(message_id: str) -> OutboxMessage:
    intent = GuestPassMail(
        to=parse_email("Jane.Doe@example.com"),
        order_number="123456789",
        code="042917",
        link="https://shop.example/order-status/pass?token=Selector.Validator",
        expires_at=T0 + _CODE_TTL,
    )
    return OutboxMessage(message_id=message_id, created_at=T0, intent=intent)


def _display_forms(order: Order) -> tuple[object, ...]:
    # Fields that equality ignores on purpose (compared by canonical key) but that an
    # adapter must still keep: what the shopper typed and the catalogue wrote.
    return (
        order.email.display,
        tuple((ln.part_number.display, ln.category.segments) for ln in order.lines),
    )


_CODE_TTL = timedelta(minutes=15)


def _challenge(
    selector: str = "Challenge-0000000000001",
    order_number: str = "123456789",
    issued_at: datetime = T0,
) -> PassChallenge:
    return PassChallenge.issue(
        selector, order_number, "042917", "V" * 43, issued_at, _CODE_TTL, tries=3
    )


def _guest_pass(
    selector: str = "GuestPass-0000000000001", order_number: str = "123456789"
) -> GuestPass:
    return GuestPass.issue(selector, "W" * 43, order_number, T0, timedelta(minutes=30))


def _put(storage: Storage, *values: PassChallenge | GuestPass) -> None:
    with storage.unit_of_work(write=True) as uow:
        for value in values:
            if isinstance(value, PassChallenge):
                uow.passes.put_challenge(value)
            else:
                uow.passes.put_pass(value)
        uow.commit()


def _order_with_history() -> Order:
    """An order with every kind of request, report and refund, built by the policies."""
    day = timedelta(days=1)
    order = make_order(
        "555000111",
        lines=[line(1, quantity=3), line(2, "R-77"), line(3, "SW-1", quantity=2)],
    )
    order, speed = request_change(order, SpeedChange("expedited"), PLACED_AT + day / 4)
    order = decide_change(order, speed.request_id, approve=True, at=PLACED_AT + day / 4)
    order, _refund = apply_change(order, speed.request_id, PLACED_AT + day / 4)
    order, swap = request_change(order, PartSwap(2, PartNumber("R-78")), PLACED_AT + day / 3)
    order = open_package(order, "P1", "Columbus, OH", {1: 3}, PLACED_AT + day / 2)
    order = cancel_units(order, {1: 1, 3: 1}, PLACED_AT + day).order
    order, _refund = decide_cancel(order, "C1", confirm=True, at=PLACED_AT + day)
    order = ship_package(order, "P1", "UPS", "1Z999AA10123456784", PLACED_AT + 2 * day)
    order, report = report_problem(
        order,
        ProblemKind.DAMAGED_IN_TRANSIT,
        {1: 1},
        "Box crushed.\nPads cracked.",
        PLACED_AT + 2 * day,
        package_id="P1",
    )
    order, _refund = resolve_problem(
        order, report.report_id, Resolution.REFUND, PLACED_AT + 2 * day
    )
    assert swap.request_id in {r.request_id for r in order.change_requests}
    return order


def _store(storage: Storage, *orders: Order) -> None:
    with storage.unit_of_work(write=True) as uow:
        for order in orders:
            uow.orders.add(order)
        uow.commit()


def _save(storage: Storage, order: Order) -> None:
    with storage.unit_of_work(write=True) as uow:
        uow.orders.save(order)
        uow.commit()


def _read(storage: Storage, number: str) -> Order | None:
    with storage.unit_of_work() as uow:
        return uow.orders.get(number)


def _queue(storage: Storage, *messages: OutboxMessage) -> None:
    with storage.unit_of_work(write=True) as uow:
        for message in messages:
            uow.outbox.put(message)
        uow.commit()


def _due(storage: Storage, now: datetime, limit: int = 100) -> list[OutboxMessage]:
    with storage.unit_of_work() as uow:
        return list(uow.outbox.due(now, limit))


def _pending(storage: Storage) -> int:
    with storage.unit_of_work() as uow:
        return uow.outbox.pending_count()


def _numbers(found: Iterable[OrderHeader | OrderMatch]) -> list[str]:
    return [item.header.number if isinstance(item, OrderMatch) else item.number for item in found]


def _search(
    storage: Storage, email: EmailAddress, query: SearchQuery, limit: int = 100
) -> list[str]:
    with storage.unit_of_work() as uow:
        return _numbers(uow.orders.search(email.canonical, query, limit))


def _matched_lines(storage: Storage, email: EmailAddress, query: SearchQuery) -> list[list[int]]:
    with storage.unit_of_work() as uow:
        matches = uow.orders.search(email.canonical, query, 100)
        return [[ln.line_no for ln in match.lines] for match in matches]


def _every_page(
    orders: OrderRepository, email_key: str, query: SearchQuery, size: int
) -> list[list[str]]:
    """Follow the cursor from the first page to the last; fail on a page that loops."""
    pages: list[list[str]] = []
    after: SearchCursor | None = None
    for _ in range(1000):
        page = orders.search(email_key, query, size, after)
        pages.append(_numbers(page))
        if len(page) < size:
            return pages
        last = page[-1].header
        after = SearchCursor(placed_at=last.placed_at, number=last.number)
    raise AssertionError("search pages never end")


def _newest_first(orders: Iterable[Order]) -> list[str]:
    return [o.number for o in sorted(orders, key=lambda o: (o.placed_at, o.number), reverse=True)]


def _together(count: int, task: Callable[[int], T]) -> list[T]:
    """Run ``task(0) ... task(count - 1)`` on ``count`` threads released at the same moment."""
    barrier = threading.Barrier(count)

    def run(index: int) -> T:
        barrier.wait(timeout=30)
        return task(index)

    with ThreadPoolExecutor(max_workers=count) as pool:
        return list(pool.map(run, range(count)))


class _Boom(Exception):
    """An error the storage cannot know."""


def _write_then_fail(storage: Storage) -> None:
    with storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order(number="123456789"))
        uow.outbox.put(_message("M1"))
        raise _Boom


def _passes_then_fail(storage: Storage) -> None:
    with storage.unit_of_work(write=True) as uow:
        uow.passes.put_challenge(_challenge())
        uow.passes.put_pass(_guest_pass())
        raise _Boom


_HOLDER = "jane.doe@example.com"


def _entry(
    entry_id: str,
    amount: str,
    currency: str = "USD",
    *,
    holder: str = _HOLDER,
    at: datetime = T0,
    reference: str = "refund of order 123456789",
) -> CreditEntry:
    return CreditEntry(
        entry_id=entry_id,
        holder=holder,
        amount=Money(amount, currency),
        at=at,
        reference=reference,
    )


def _append(storage: Storage, *entries: CreditEntry) -> list[bool]:
    with storage.unit_of_work(write=True) as uow:
        appended = [uow.credit.append(entry) for entry in entries]
        uow.commit()
    return appended


def _balance(storage: Storage, currency: str = "USD", holder: str = _HOLDER) -> Money:
    with storage.unit_of_work() as uow:
        return uow.credit.balance(holder, currency)


def _ledger(storage: Storage, holder: str = _HOLDER, limit: int = 100) -> list[CreditEntry]:
    with storage.unit_of_work() as uow:
        return list(uow.credit.entries(holder, limit))


def _spend_then_fail(storage: Storage) -> None:
    with storage.unit_of_work(write=True) as uow:
        uow.credit.append(_entry("spend:1", "-10.00"))
        raise _Boom


#: Bytes a text column or a careless decoder would mangle: NUL, CR LF, high bytes, no UTF-8.
_AWKWARD_BYTES = b"%PDF-1.7\r\n\x00\x01\x7f\x80\xfe\xff\xc3(\x00" + bytes(range(256))


def _paper(
    filename: str = "RMA-1001-label.pdf",
    content: bytes = _AWKWARD_BYTES,
    *,
    rma_number: str = "RMA-1001",
    order_number: str = "123456789",
) -> StoredDocument:
    fmt = filename.rpartition(".")[2]
    media_type = {"pdf": "application/pdf", "zpl": "application/x-zpl"}[fmt]
    return StoredDocument(
        order_number=order_number,
        rma_number=rma_number,
        document=LabelDocument(fmt, media_type, filename, content),
    )


def _keep(storage: Storage, *papers: StoredDocument) -> None:
    with storage.unit_of_work(write=True) as uow:
        for paper in papers:
            uow.documents.put(paper)
        uow.commit()


def _papers(storage: Storage, rma_number: str = "RMA-1001") -> list[StoredDocument]:
    with storage.unit_of_work() as uow:
        return list(uow.documents.for_rma(rma_number))


_WRITES: dict[str, Callable[[UnitOfWork], object]] = {
    "orders.add": lambda uow: uow.orders.add(make_order(number="900000001")),
    "orders.save": lambda uow: uow.orders.save(make_order(number="900000001", version=2)),
    "outbox.put": lambda uow: uow.outbox.put(_message("M2")),
    "outbox.mark_sent": lambda uow: uow.outbox.mark_sent("M1", T0),
    "outbox.mark_failed": lambda uow: uow.outbox.mark_failed("M1", "down", T0),
    "outbox.purge_sent": lambda uow: uow.outbox.purge_sent(_END_OF_TIME),
    "passes.purge_challenges": lambda uow: uow.passes.purge_challenges(_END_OF_TIME),
    "passes.purge_passes": lambda uow: uow.passes.purge_passes(_END_OF_TIME),
    "idempotency.purge": lambda uow: uow.idempotency.purge(_END_OF_TIME),
    "passes.put_challenge": lambda uow: uow.passes.put_challenge(_challenge()),
    "passes.save_challenge": lambda uow: uow.passes.save_challenge(_challenge()),
    "passes.put_pass": lambda uow: uow.passes.put_pass(_guest_pass()),
    "credit.append": lambda uow: uow.credit.append(_entry("refund:900000001:R1", "5.00")),
    "documents.put": lambda uow: uow.documents.put(_paper()),
}


_SEED_EMAILS = ["jane@example.com", "Jane@Example.com", "pekka@esimerkki.fi", "x@y.io"]
_SEED_PARTS = ["BP-1234", "bp 12.34", "R-77", "ÖL-1", "A%_1"]
_SEED_CATEGORIES = [
    ("Brake",),
    ("Brake", "Pad"),
    ("Brakes",),
    ("Oil", "Filter"),
    ("brake", "Rotor"),
]
_GUEST_ORDER = "123456789"


def _seeded_with_reference(storage: Storage) -> tuple[Storage, Storage]:
    """``(memory reference, storage)``, both holding the same 120 seeded random orders:
    shared emails, times with ties, overlapping parts and categories, lines out of order."""
    rng = random.Random(20261101)  # noqa: S311  (a fixed seed picks test data, not secrets)
    orders = []
    for n in range(120):
        numbers = rng.sample(range(1, 9), rng.randint(1, 4))
        orders.append(
            make_order(
                str(200_000 + n),
                rng.choice(_SEED_EMAILS),
                placed_at=PLACED_AT + timedelta(hours=rng.randrange(6)),
                lines=[
                    line(i, rng.choice(_SEED_PARTS), category=rng.choice(_SEED_CATEGORIES))
                    for i in numbers
                ],
            )
        )
    reference = fake_context().storage  # the memory:// reference, as the machines use
    for each in (reference, storage):
        with each.unit_of_work(write=True) as uow:
            for order in orders:
                uow.orders.add(order)
            uow.commit()
    return reference, storage


def _ask(storages: tuple[Storage, Storage], question: str, *args: object) -> list[list[Any]]:
    answers: list[list[Any]] = []
    for storage in storages:
        with storage.unit_of_work() as uow:
            answers.append(list(getattr(uow.orders, question)(*args)))
    return answers


def _guest_pass_context(storage: Storage) -> ServiceContext:
    ctx = fake_context(storage)
    with storage.unit_of_work(write=True) as uow:
        uow.orders.add(make_order(_GUEST_ORDER))
        uow.commit()
    return ctx


def _mailed_code(ctx: ServiceContext) -> str:
    [mail] = queued_mail(ctx)
    assert isinstance(mail, GuestPassMail)
    return mail.code


class StorageContract:
    """The :class:`~orderstatus_core.Storage` contract: units of work, orders, outbox, guest passes.

    Needs a fixture ``storage``: a fresh, migrated, empty storage for each test.
    """

    #: A read-only unit can be open while a write unit is (needed to check isolation).
    supports_concurrent_units: ClassVar[bool] = True
    #: Units of work on several threads at once (a shared storage in a web server).
    supports_concurrent_writers: ClassVar[bool] = True

    def _needs(self, capability: str) -> None:
        if not getattr(self, capability):
            pytest.skip(f"{type(self).__name__}.{capability} is False")

    # --- the storage itself -------------------------------------------------------------

    def test_migrate_is_idempotent_and_answers_the_schema_version(self, storage: Storage) -> None:
        """Migrating an up-to-date storage again changes nothing and answers the same version."""
        first = storage.migrate()
        assert storage.migrate() == first
        assert first >= 1

    def test_url_names_the_scheme(self, storage: Storage) -> None:
        """``url`` is the ``scheme://...`` text the storage was opened with."""
        assert "://" in storage.url

    # --- orders: get and add ------------------------------------------------------------

    def test_an_unknown_order_number_is_none(self, storage: Storage) -> None:
        """``get`` answers ``None`` for a number nobody stored."""
        assert _read(storage, "123456789") is None

    def test_a_committed_order_is_read_back_equal(self, storage: Storage) -> None:
        """An order stored and committed is read back equal, in a new unit of work."""
        order = make_order(
            lines=[line(1, "BP-1234", quantity=3), line(2, "51.12-7", cancelled=1, quantity=2)],
            packages=[
                package("P1", [(1, 2)], shipped_after=timedelta(days=1), delivered_after=_DAYS3),
                package("P2", [(1, 1), (2, 1)]),
            ],
        )
        _store(storage, order)
        stored = _read(storage, order.number)
        assert stored == order
        assert stored is not None
        assert _display_forms(stored) == _display_forms(order)

    def test_get_for_contact_finds_an_order_by_its_email_key_or_phone(
        self, storage: Storage
    ) -> None:
        """The order comes back for its stored email key or E.164 phone, equal to ``get``."""
        order = make_order("123456789", "Jane.Doe@Example.com", "+14155552671")
        _store(storage, order)
        with storage.unit_of_work() as uow:
            assert uow.orders.get_for_contact(order.number, order.email.canonical) == order
            assert uow.orders.get_for_contact(order.number, "+14155552671") == order

    @pytest.mark.parametrize(
        ("number", "contact"),
        [
            ("123456789", "mike.doe@example.com"),  # the order exists, the email is wrong
            ("123456789", "+14155550000"),  # ... the phone is wrong
            ("123456789", "Jane.Doe@Example.com"),  # the display form is not the key
            ("123456789", ""),
            ("123456789", "jane.doe@example.com' OR '1'='1"),
            ("123456789", "jane.doe@example.com\x00"),
            ("123456789", "\ud800"),
            ("987654321", "jane.doe@example.com"),  # another order's number, Jane's key
            ("555555555", "jane.doe@example.com"),  # an unknown number
        ],
    )
    def test_get_for_contact_is_none_for_a_wrong_contact_and_an_unknown_number_alike(
        self, storage: Storage, number: str, contact: str
    ) -> None:
        """A wrong contact, an unknown number and hostile text all answer ``None``."""
        _store(storage, make_order("123456789", "Jane.Doe@Example.com", "+14155552671"))
        _store(storage, make_order("987654321", "mike@example.com", None))
        with storage.unit_of_work() as uow:
            assert uow.orders.get_for_contact(number, contact) is None

    def test_a_unit_sees_its_own_uncommitted_order(self, storage: Storage) -> None:
        """A unit of work reads back what it added before committing."""
        order = make_order()
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(order)
            assert uow.orders.get(order.number) == order

    def test_an_uncommitted_order_is_invisible_to_other_units(self, storage: Storage) -> None:
        """Another unit of work sees an added order only after the commit."""
        self._needs("supports_concurrent_units")
        order = make_order()
        with storage.unit_of_work(write=True) as writer:
            writer.orders.add(order)
            with storage.unit_of_work() as reader:
                assert reader.orders.get(order.number) is None
            writer.commit()
        assert _read(storage, order.number) == order

    def test_adding_a_stored_number_raises_duplicate_order_error(self, storage: Storage) -> None:
        """A second order with a committed order's number is refused."""
        _store(storage, make_order(number="123456789"))
        with storage.unit_of_work(write=True) as uow, pytest.raises(DuplicateOrderError):
            uow.orders.add(make_order(number="123456789", email="other@example.com"))

    def test_adding_a_number_twice_in_one_unit_raises_duplicate_order_error(
        self, storage: Storage
    ) -> None:
        """The same number added twice in one unit of work is refused the second time."""
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(make_order(number="123456789"))
            with pytest.raises(DuplicateOrderError):
                uow.orders.add(make_order(number="123456789"))

    def test_a_refused_duplicate_keeps_the_stored_order(self, storage: Storage) -> None:
        """After a refused duplicate the first order is still stored, unchanged."""
        first = make_order(number="123456789")
        _store(storage, first)
        with storage.unit_of_work(write=True) as uow, pytest.raises(DuplicateOrderError):
            uow.orders.add(make_order(number="123456789", email="other@example.com"))
        assert _read(storage, "123456789") == first

    # --- orders: save -------------------------------------------------------------------

    def test_a_saved_order_is_read_back_equal_after_commit(self, storage: Storage) -> None:
        """A change saved and committed is read back equal, with its new version, in a new
        unit of work."""
        order = make_order()
        _store(storage, order)
        changed = order.changed(shipping_address=address(line1="1 Infinite Loop"))
        _save(storage, changed)
        stored = _read(storage, order.number)
        assert stored == changed
        assert stored is not None
        assert stored.version == order.version + 1
        assert _display_forms(stored) == _display_forms(changed)

    def test_saves_follow_each_other_version_by_version(self, storage: Storage) -> None:
        """Each save stores the version it was given; the next save builds on it, in the
        same unit of work or a later one."""
        order = make_order()
        _store(storage, order)
        second = order.changed(tax=usd("3.00"))
        third = second.changed(shipping=usd("0"))
        with storage.unit_of_work(write=True) as uow:
            uow.orders.save(second)
            assert uow.orders.get(order.number) == second
            uow.orders.save(third)
            uow.commit()
        fourth = third.changed(phone=None)
        _save(storage, fourth)
        stored = _read(storage, order.number)
        assert stored == fourth
        assert stored is not None
        assert stored.version == 4

    def test_an_order_added_in_a_unit_can_be_saved_in_it(self, storage: Storage) -> None:
        """``save`` sees an order added earlier in the same, uncommitted unit of work."""
        order = make_order()
        changed = order.changed(tax=usd("5.00"))
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(order)
            uow.orders.save(changed)
            uow.commit()
        assert _read(storage, order.number) == changed

    def test_saving_the_same_change_twice_raises_conflict_error(self, storage: Storage) -> None:
        """The second save of one ``changed()`` order is stale and refused (SECURITY G2):
        in a later unit of work and in the same one."""
        order = make_order()
        _store(storage, order)
        changed = order.changed(tax=usd("3.00"))
        _save(storage, changed)
        with storage.unit_of_work(write=True) as uow, pytest.raises(ConflictError):
            uow.orders.save(changed)
        with storage.unit_of_work(write=True) as uow:
            again = changed.changed(tax=usd("4.00"))
            uow.orders.save(again)
            with pytest.raises(ConflictError):
                uow.orders.save(again)
        assert _read(storage, order.number) == changed

    def test_a_lost_race_raises_conflict_error_and_keeps_the_winner(self, storage: Storage) -> None:
        """Two changes built from the same read: the first save wins, the second is refused
        and stores nothing of its own."""
        order = make_order()
        _store(storage, order)
        winner = order.changed(tax=usd("3.00"))
        loser = order.changed(shipping=usd("0"), packages=[package("P1", [(1, 1)])])
        _save(storage, winner)
        with storage.unit_of_work(write=True) as uow:
            with pytest.raises(ConflictError):
                uow.orders.save(loser)
            uow.commit()
        assert _read(storage, order.number) == winner

    @pytest.mark.parametrize("version", [1, 3, 7], ids=["same", "skips-one", "far-ahead"])
    def test_saving_a_version_not_one_above_the_stored_one_raises_conflict_error(
        self, storage: Storage, version: int
    ) -> None:
        """Only ``stored.version + 1`` is accepted; the stored order stays as it was."""
        order = make_order()
        _store(storage, order)
        stale = attrs.evolve(order, version=version, tax=usd("3.00"))
        with storage.unit_of_work(write=True) as uow:
            with pytest.raises(ConflictError):
                uow.orders.save(stale)
            uow.commit()
        assert _read(storage, order.number) == order

    def test_saving_an_unknown_number_raises_conflict_error(self, storage: Storage) -> None:
        """``save`` never creates an order: a number nobody stored is refused, whatever its
        version, and stays absent."""
        _store(storage, make_order(number="111111111"))
        for version in (1, 2):
            with storage.unit_of_work(write=True) as uow:
                with pytest.raises(ConflictError):
                    uow.orders.save(make_order(number="222222222", version=version))
                uow.commit()
        assert _read(storage, "222222222") is None

    def test_a_refused_save_does_not_spoil_its_unit(self, storage: Storage) -> None:
        """After a ``ConflictError`` the unit of work goes on: its other writes commit."""
        order = make_order(number="111111111")
        _store(storage, order)
        with storage.unit_of_work(write=True) as uow:
            with pytest.raises(ConflictError):
                uow.orders.save(order)
            uow.orders.add(make_order(number="222222222"))
            uow.outbox.put(_message("M1"))
            uow.orders.save(order.changed(tax=usd("3.00")))
            uow.commit()
        assert _read(storage, "222222222") is not None
        assert _read(storage, "111111111") == order.changed(tax=usd("3.00"))
        assert _pending(storage) == 1

    def test_a_save_is_rolled_back_with_its_unit(self, storage: Storage) -> None:
        """A save not committed (no commit, an exception, ``rollback``) leaves the stored
        order as it was; after ``rollback`` the same change can be saved again."""
        order = make_order()
        _store(storage, order)
        changed = order.changed(packages=[package("P1", [(1, 1)])])
        with storage.unit_of_work(write=True) as uow:
            uow.orders.save(changed)
            assert uow.orders.get(order.number) == changed
        assert _read(storage, order.number) == order

        def save_then_fail() -> None:
            with storage.unit_of_work(write=True) as uow:
                uow.orders.save(changed)
                raise _Boom

        with pytest.raises(_Boom):
            save_then_fail()
        assert _read(storage, order.number) == order
        with storage.unit_of_work(write=True) as uow:
            uow.orders.save(changed)
            uow.rollback()
            assert uow.orders.get(order.number) == order
            uow.orders.save(changed)
            uow.commit()
        assert _read(storage, order.number) == changed

    def test_an_uncommitted_save_is_invisible_to_other_units(self, storage: Storage) -> None:
        """Another unit of work sees the old order until the save is committed."""
        self._needs("supports_concurrent_units")
        order = make_order()
        _store(storage, order)
        changed = order.changed(tax=usd("3.00"))
        with storage.unit_of_work(write=True) as writer:
            writer.orders.save(changed)
            with storage.unit_of_work() as reader:
                assert reader.orders.get(order.number) == order
            writer.commit()
        assert _read(storage, order.number) == changed

    def test_a_read_only_unit_refuses_save(self, storage: Storage) -> None:
        """``save`` in a unit opened with ``write=False`` raises ``AdapterError``, not
        ``ConflictError``, and changes nothing."""
        order = make_order()
        _store(storage, order)
        with storage.unit_of_work() as uow, pytest.raises(AdapterError):
            uow.orders.save(order.changed(tax=usd("3.00")))
        assert _read(storage, order.number) == order

    def test_a_save_can_add_a_package(self, storage: Storage) -> None:
        """A package added by a save is read back, with its units and every field."""
        order = make_order(lines=[line(1, quantity=3), line(2, "R-77", quantity=2)])
        _store(storage, order)
        opened = order.changed(
            packages=[package("P1", [(1, 2), (2, 1)], opened_at=PLACED_AT + timedelta(hours=2))]
        )
        _save(storage, opened)
        assert _read(storage, order.number) == opened
        two = opened.changed(packages=[*opened.packages, package("P2", [(1, 1)], carrier=None)])
        _save(storage, two)
        stored = _read(storage, order.number)
        assert stored == two
        assert stored is not None
        assert [p.package_id for p in stored.packages] == ["P1", "P2"]

    def test_a_save_can_ship_and_deliver_a_package(self, storage: Storage) -> None:
        """``shipped_at`` and ``delivered_at`` set by saves are read back."""
        opened = package("P1", [(1, 1)], opened_at=PLACED_AT + timedelta(hours=1))
        order = make_order(packages=[opened])
        _store(storage, order)
        shipped = order.changed(
            packages=[attrs.evolve(opened, shipped_at=PLACED_AT + timedelta(days=1))]
        )
        _save(storage, shipped)
        assert _read(storage, order.number) == shipped
        delivered = shipped.changed(
            packages=[attrs.evolve(shipped.packages[0], delivered_at=PLACED_AT + _DAYS3)]
        )
        _save(storage, delivered)
        stored = _read(storage, order.number)
        assert stored == delivered
        assert stored is not None
        assert stored.packages[0].opened_at == PLACED_AT + timedelta(hours=1)

    def test_a_save_can_cancel_units_of_a_line(self, storage: Storage) -> None:
        """A line's ``cancelled`` count changed by a save is read back."""
        order = make_order(lines=[line(1, quantity=3), line(2, "R-77", quantity=2)])
        _store(storage, order)
        cancelled = order.changed(lines=[attrs.evolve(order.lines[0], cancelled=2), order.lines[1]])
        _save(storage, cancelled)
        stored = _read(storage, order.number)
        assert stored == cancelled
        assert stored is not None
        assert stored.line(1).cancelled == 2

    def test_requests_reports_and_refunds_are_read_back_after_add_and_save(
        self, storage: Storage
    ) -> None:
        """Cancel requests, change requests, problem reports, refunds and the shipping speed
        of an order survive ``add`` and ``save`` unchanged, in their order."""
        order = _order_with_history()
        _store(storage, order)
        assert _read(storage, order.number) == order
        more = cancel_units(order, {3: 1}, PLACED_AT + timedelta(days=3)).order
        _save(storage, more)
        stored = _read(storage, order.number)
        assert stored == more
        assert stored is not None
        assert [r.state for r in stored.cancel_requests] == [r.state for r in more.cancel_requests]
        assert stored.refunds == more.refunds
        assert stored.shipping_speed is more.shipping_speed

    def test_a_save_replaces_lines_and_packages_in_their_new_order(self, storage: Storage) -> None:
        """Lines and packages added, removed and reordered by a save come back as saved, in
        the saved tuple order; nothing of the old ones is left."""
        order = make_order(
            lines=[line(1, quantity=2), line(2, "R-77"), line(3, "ZZ-9")],
            packages=[package("P1", [(1, 1)]), package("P2", [(2, 1), (1, 1)])],
        )
        _store(storage, order)
        changed = order.changed(
            lines=[line(7, "NEW-7", quantity=2), line(1, quantity=2)],
            packages=[package("P3", [(7, 2)]), package("P1", [(1, 1)], warehouse="Reno, NV")],
        )
        _save(storage, changed)
        stored = _read(storage, order.number)
        assert stored == changed
        assert stored is not None
        assert [ln.line_no for ln in stored.lines] == [7, 1]
        assert [p.package_id for p in stored.packages] == ["P3", "P1"]
        email = order.email
        assert _search(storage, email, PartNumberQuery(PartNumber("NEW-7"))) == [order.number]
        assert _search(storage, email, PartNumberQuery(PartNumber("R-77"))) == []

    def test_a_save_that_changes_the_email_moves_the_order_to_the_new_shopper(
        self, storage: Storage
    ) -> None:
        """After a save with another email, ``recent`` and ``search`` find the order under the
        new canonical email only, and ``get`` keeps the display form."""
        order = make_order(email="Jane.Doe@example.com")
        _store(storage, order)
        moved = order.changed(email=parse_email("John.Roe@Example.com"))
        _save(storage, moved)
        with storage.unit_of_work() as uow:
            assert list(uow.orders.recent("jane.doe@example.com", 10)) == []
            assert _numbers(uow.orders.recent(moved.email.canonical, 10)) == [order.number]
        query = PartNumberQuery(PartNumber("BP-1234"))
        assert _search(storage, order.email, query) == []
        assert _search(storage, moved.email, query) == [order.number]
        stored = _read(storage, order.number)
        assert stored is not None
        assert stored.email.display == moved.email.display == "John.Roe@example.com"

    @_PROPERTY
    @given(
        order=strategies.orders(),
        other=strategies.orders(),
        address=strategies.addresses(),
    )
    def test_any_change_of_any_order_is_read_back_equal(
        self, storage: Storage, order: Order, other: Order, address: Address
    ) -> None:
        """A chain of saves (the same content, a new address, then every field of another
        order) is read back equal after each commit, display forms included."""
        # Room for three more versions under the model's bound.
        order = attrs.evolve(order, number=_fresh("SV"), version=min(order.version, 2**62 - 3))
        _store(storage, order)
        same = order.changed()
        readdressed = same.changed(shipping_address=address)
        replaced = attrs.evolve(other, number=order.number, version=readdressed.version + 1)
        for change in (same, readdressed, replaced):
            _save(storage, change)
            stored = _read(storage, order.number)
            assert stored == change
            assert stored is not None
            assert _display_forms(stored) == _display_forms(change)

    # --- units of work: all or nothing ---------------------------------------------------

    def test_leaving_without_commit_forgets_orders_and_outbox(self, storage: Storage) -> None:
        """A unit of work left without ``commit`` stores nothing (SECURITY G1)."""
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(make_order(number="123456789"))
            uow.outbox.put(_message("M1"))
        assert _read(storage, "123456789") is None
        assert _pending(storage) == 0
        assert _due(storage, T0) == []

    def test_an_exception_rolls_back_orders_and_outbox(self, storage: Storage) -> None:
        """An exception inside a unit of work propagates and stores nothing."""

        with pytest.raises(_Boom):
            _write_then_fail(storage)
        assert _read(storage, "123456789") is None
        assert _pending(storage) == 0

    def test_rollback_forgets_the_writes_so_far(self, storage: Storage) -> None:
        """``rollback`` forgets every write of the unit; a later commit stores only what follows."""
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(make_order(number="111111111"))
            uow.outbox.put(_message("M1"))
            uow.rollback()
            uow.orders.add(make_order(number="222222222"))
            uow.commit()
        assert _read(storage, "111111111") is None
        assert _read(storage, "222222222") is not None
        assert _pending(storage) == 0

    def test_a_commit_stores_orders_and_outbox_together(self, storage: Storage) -> None:
        """Orders and outbox messages of one unit become visible with the same commit."""
        with storage.unit_of_work(write=True) as uow:
            uow.orders.add(make_order(number="111111111"))
            uow.orders.add(make_order(number="222222222"))
            uow.outbox.put(_message("M1"))
            uow.commit()
        assert _read(storage, "111111111") is not None
        assert _read(storage, "222222222") is not None
        assert _pending(storage) == 1

    @pytest.mark.parametrize("write", list(_WRITES.values()), ids=list(_WRITES))
    def test_a_read_only_unit_refuses_writes(
        self, storage: Storage, write: Callable[[UnitOfWork], object]
    ) -> None:
        """A unit opened with ``write=False`` raises ``AdapterError`` for every write."""
        _queue(storage, _message("M1"))
        with storage.unit_of_work() as uow, pytest.raises(AdapterError):
            write(uow)
        assert _read(storage, "900000001") is None
        assert [m.message_id for m in _due(storage, T0)] == ["M1"]
        assert _due(storage, T0)[0].attempts == 0
        assert _ledger(storage) == []
        assert _papers(storage) == []

    # --- recent ------------------------------------------------------------------------

    def test_recent_is_newest_first_with_ties_by_number_descending(self, storage: Storage) -> None:
        """``recent`` orders by ``placed_at`` descending, then by ``number`` descending."""
        hour = timedelta(hours=1)
        orders = [
            make_order(number="A100", placed_at=PLACED_AT),
            make_order(number="A300", placed_at=PLACED_AT + hour),
            make_order(number="A200", placed_at=PLACED_AT + hour),
            make_order(number="B100", placed_at=PLACED_AT - hour),
            make_order(number="A99", placed_at=PLACED_AT + hour),
        ]
        _store(storage, *orders)
        with storage.unit_of_work() as uow:
            found = uow.orders.recent("jane.doe@example.com", 10)
        assert _numbers(found) == ["A99", "A300", "A200", "A100", "B100"]

    def test_recent_headers_carry_the_order_fields(self, storage: Storage) -> None:
        """A header holds the order's number, placing time and email."""
        order = make_order(number="123456789")
        _store(storage, order)
        with storage.unit_of_work() as uow:
            (header,) = uow.orders.recent(order.email.canonical, 10)
        assert (header.number, header.placed_at, header.email) == (
            order.number,
            order.placed_at,
            order.email,
        )

    def test_recent_stops_at_limit(self, storage: Storage) -> None:
        """``recent`` answers at most ``limit`` orders, the newest ones."""
        orders = [
            make_order(number=f"10000000{i}", placed_at=PLACED_AT + timedelta(days=i))
            for i in range(5)
        ]
        _store(storage, *orders)
        with storage.unit_of_work() as uow:
            found = uow.orders.recent("jane.doe@example.com", 2)
        assert _numbers(found) == ["100000004", "100000003"]

    def test_recent_finds_orders_by_canonical_email_only(self, storage: Storage) -> None:
        """``recent`` finds the orders of one canonical email, however its display differs."""
        _store(
            storage,
            make_order(number="111111111", email="Jane.Doe@Example.COM"),
            make_order(number="222222222", email="jane.doe@example.com"),
            make_order(number="333333333", email="jane.doe@example.org"),
            make_order(number="444444444", email="john@example.com"),
        )
        with storage.unit_of_work() as uow:
            found = uow.orders.recent("jane.doe@example.com", 10)
        assert sorted(_numbers(found)) == ["111111111", "222222222"]

    def test_recent_of_an_unknown_email_is_empty(self, storage: Storage) -> None:
        """``recent`` for an email with no orders answers nothing."""
        _store(storage, make_order())
        with storage.unit_of_work() as uow:
            assert list(uow.orders.recent("nobody@example.com", 10)) == []

    # --- search ------------------------------------------------------------------------

    def test_search_by_part_number_matches_canonical_keys(self, storage: Storage) -> None:
        """'bp-12.34' finds 'BP1234' and 'B P 1234', never 'BP12345' or 'BP123'."""
        email = parse_email("jane.doe@example.com")
        _store(
            storage,
            make_order(number="111111111", lines=[line(1, "BP1234")]),
            make_order(number="222222222", lines=[line(1, "B P 1234")]),
            make_order(number="333333333", lines=[line(1, "BP12345")]),
            make_order(number="444444444", lines=[line(1, "BP123")]),
        )
        found = _search(storage, email, PartNumberQuery(PartNumber("bp-12.34")))
        assert sorted(found) == ["111111111", "222222222"]

    def test_a_match_carries_every_matching_line_in_line_no_order(self, storage: Storage) -> None:
        """A match holds all matching lines of the order, by ``line_no``, whatever the order
        of the lines in the order itself."""
        email = parse_email("jane.doe@example.com")
        lines = [line(7, "bp-1234"), line(3, "XX-1"), line(2, "BP1234"), line(5, "BP 1234")]
        _store(storage, make_order(number="111111111", lines=lines))
        found = _matched_lines(storage, email, PartNumberQuery(PartNumber("BP1234")))
        assert found == [[2, 5, 7]]

    def test_search_by_category_finds_it_and_the_categories_below(self, storage: Storage) -> None:
        """A category finds lines in itself and in any category below it."""
        email = parse_email("jane.doe@example.com")
        _store(
            storage,
            make_order(number="111111111", lines=[line(1, category=["Brake & Wheel Hub"])]),
            make_order(
                number="222222222", lines=[line(1, category=["Brake & Wheel Hub", "Brake Pad"])]
            ),
            make_order(
                number="333333333",
                lines=[line(1, category=["Brake & Wheel Hub", "Rotor", "Vented"])],
            ),
            make_order(number="444444444", lines=[line(1, category=["Engine", "Oil Filter"])]),
        )
        found = _search(storage, email, CategoryQuery(CategoryPath("Brake & Wheel Hub")))
        assert sorted(found) == ["111111111", "222222222", "333333333"]

    def test_search_by_category_never_matches_a_sibling_sharing_a_prefix(
        self, storage: Storage
    ) -> None:
        """'Brake' finds neither 'Brakes' nor 'Brake Pad': categories match by whole segments."""
        email = parse_email("jane.doe@example.com")
        _store(
            storage,
            make_order(number="111111111", lines=[line(1, category=["Brake", "Pad"])]),
            make_order(number="222222222", lines=[line(1, category=["Brakes", "Pad"])]),
            make_order(number="333333333", lines=[line(1, category=["Brake Pad"])]),
            make_order(number="444444444", lines=[line(1, category=["Brake_", "Pad"])]),
        )
        found = _search(storage, email, CategoryQuery(CategoryPath("Brake")))
        assert found == ["111111111"]

    def test_search_by_a_child_category_never_finds_its_parent(self, storage: Storage) -> None:
        """A category below finds nothing filed only under the category above it."""
        email = parse_email("jane.doe@example.com")
        _store(storage, make_order(number="111111111", lines=[line(1, category=["Brake"])]))
        found = _search(storage, email, CategoryQuery(CategoryPath(["Brake", "Pad"])))
        assert found == []

    def test_search_by_category_ignores_case_and_spacing(self, storage: Storage) -> None:
        """Category segments compare by canonical key: case and runs of spaces do not matter."""
        email = parse_email("jane.doe@example.com")
        _store(
            storage,
            make_order(number="111111111", lines=[line(1, category=["Brake & Wheel Hub", "Pad"])]),
        )
        query = CategoryQuery(CategoryPath(["  brake &  WHEEL hub "]))
        assert _search(storage, email, query) == ["111111111"]

    def test_search_by_category_treats_like_wildcards_as_text(self, storage: Storage) -> None:
        """'%' and '_' in a category are ordinary characters, not wildcards."""
        email = parse_email("jane.doe@example.com")
        _store(
            storage,
            make_order(number="111111111", lines=[line(1, category=["Brakes", "Pad"])]),
            make_order(number="222222222", lines=[line(1, category=["Brake%", "Pad"])]),
        )
        assert _search(storage, email, CategoryQuery(CategoryPath("Brake%"))) == ["222222222"]
        assert _search(storage, email, CategoryQuery(CategoryPath("Brake_"))) == []

    def test_search_text_is_never_a_query_language(self, storage: Storage) -> None:
        """SQL and LIKE metacharacters in a query are matched as text, so they find nothing."""
        email = parse_email("jane.doe@example.com")
        _store(storage, make_order(number="111111111"))
        for query in (
            PartNumberQuery(PartNumber("' OR '1'='1")),
            PartNumberQuery(PartNumber("%")),
            PartNumberQuery(PartNumber("_")),
            CategoryQuery(CategoryPath("%")),
            CategoryQuery(CategoryPath("' OR 1=1 --")),
        ):
            assert _search(storage, email, query) == []

    def test_search_is_scoped_to_one_email(self, storage: Storage) -> None:
        """Orders of another email never match, however well their lines do."""
        _store(
            storage,
            make_order(number="111111111", email="jane.doe@example.com"),
            make_order(number="222222222", email="john@example.com"),
        )
        email = parse_email("john@example.com")
        assert _search(storage, email, PartNumberQuery(PartNumber("BP-1234"))) == ["222222222"]

    def test_search_with_no_match_is_empty(self, storage: Storage) -> None:
        """A query that matches no line answers nothing."""
        email = parse_email("jane.doe@example.com")
        _store(storage, make_order(number="111111111"))
        assert _search(storage, email, PartNumberQuery(PartNumber("ZZ-9"))) == []

    def test_search_is_newest_first_and_stops_at_limit(self, storage: Storage) -> None:
        """Search answers at most ``limit`` orders, newest first, ties by number descending."""
        email = parse_email("jane.doe@example.com")
        orders = [
            make_order(number=f"A{i}", placed_at=PLACED_AT + timedelta(days=i // 2))
            for i in range(6)
        ]
        _store(storage, *orders)
        found = _search(storage, email, PartNumberQuery(PartNumber("BP-1234")), limit=3)
        assert found == ["A5", "A4", "A3"]

    def test_search_after_a_cursor_is_strictly_after_it(self, storage: Storage) -> None:
        """The page after a cursor starts with the order just after the cursor's pair."""
        email = parse_email("jane.doe@example.com")
        orders = [make_order(number=f"A{i}", placed_at=PLACED_AT) for i in range(4)]
        _store(storage, *orders)
        query = PartNumberQuery(PartNumber("BP-1234"))
        with storage.unit_of_work() as uow:
            after = SearchCursor(placed_at=PLACED_AT, number="A2")
            found = _numbers(uow.orders.search(email.canonical, query, 10, after))
        assert found == ["A1", "A0"]

    @_PROPERTY
    @given(
        placed=st.lists(st.tuples(st.integers(0, 3), st.booleans()), max_size=12),
        size=st.integers(1, 5),
    )
    def test_search_pages_cover_every_match_exactly_once(
        self, storage: Storage, placed: list[tuple[int, bool]], size: int
    ) -> None:
        """Following the cursor visits every matching order once, newest first, in pages of
        at most ``size``, whatever the ties in ``placed_at``."""
        email = _fresh_email()
        orders = [
            make_order(
                number=_fresh("C"),
                email=email.display,
                placed_at=PLACED_AT + timedelta(hours=hour),
                lines=[line(1, "BP-1234" if match else "XX-1")],
            )
            for hour, match in placed
        ]
        _store(storage, *orders)
        query = PartNumberQuery(PartNumber("bp1234"))
        with storage.unit_of_work() as uow:
            pages = _every_page(uow.orders, email.canonical, query, size)
        matching = [order for order, (_hour, match) in zip(orders, placed, strict=True) if match]
        assert [number for page in pages for number in page] == _newest_first(matching)
        assert all(len(page) <= size for page in pages)

    # --- round trips -------------------------------------------------------------------

    @_PROPERTY
    @given(order=strategies.orders())
    def test_any_order_is_read_back_equal(self, storage: Storage, order: Order) -> None:
        """Every field of every line and package survives storing, in the same order."""
        order = attrs.evolve(order, number=_fresh("RT"))
        _store(storage, order)
        stored = _read(storage, order.number)
        assert stored == order
        assert stored is not None
        assert _display_forms(stored) == _display_forms(order)

    @_PROPERTY
    @given(message=strategies.outbox_messages())
    def test_any_outbox_message_is_read_back_equal(
        self, storage: Storage, message: OutboxMessage
    ) -> None:
        """Every field of an outbox message, its mail intent included, survives storing."""
        message = attrs.evolve(message, message_id=_fresh("RT"))
        _queue(storage, message)
        due = _due(storage, _END_OF_TIME, limit=10_000)
        (stored,) = [m for m in due if m.message_id == message.message_id]
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_sent(message.message_id, T0)
            uow.commit()
        assert stored == message
        if isinstance(message.intent, MailIntent):
            assert isinstance(stored.intent, MailIntent)
            assert stored.intent.to.display == message.intent.to.display

    # --- outbox ------------------------------------------------------------------------

    def test_a_queued_message_is_due_after_commit(self, storage: Storage) -> None:
        """A message put and committed is due, equal to what was put."""
        message = _message("M1")
        _queue(storage, message)
        assert _due(storage, T0) == [message]

    def test_due_is_oldest_first_and_stops_at_limit(self, storage: Storage) -> None:
        """``due`` answers at most ``limit`` messages, oldest ``created_at`` first."""
        minute = timedelta(minutes=1)
        _queue(
            storage,
            _message("M2", T0 - minute),
            _message("M3", T0 - 3 * minute),
            _message("M1", T0 - 2 * minute),
            _message("M4", T0),
        )
        assert [m.message_id for m in _due(storage, T0, limit=3)] == ["M3", "M1", "M2"]

    def test_due_includes_a_retry_time_at_now_and_excludes_a_later_one(
        self, storage: Storage
    ) -> None:
        """A message is due when its ``next_attempt_at`` is unset or at or before ``now``."""
        second = timedelta(seconds=1)
        _queue(
            storage,
            _message("NOW", next_attempt_at=T0),
            _message("LATER", next_attempt_at=T0 + second),
            _message("UNSET"),
        )
        assert sorted(m.message_id for m in _due(storage, T0)) == ["NOW", "UNSET"]
        assert len(_due(storage, T0 + second)) == 3

    def test_a_sent_message_is_never_due_again(self, storage: Storage) -> None:
        """``mark_sent`` takes a message out of ``due`` and out of the pending count."""
        _queue(storage, _message("M1"), _message("M2"))
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_sent("M1", T0)
            uow.commit()
        assert [m.message_id for m in _due(storage, T0 + timedelta(days=365))] == ["M2"]
        assert _pending(storage) == 1

    def test_a_claimed_message_is_not_due_again_until_its_lease_ends(
        self, storage: Storage
    ) -> None:
        """``claim`` takes due messages oldest first and leases them to one relay worker."""
        _queue(storage, _message("M1"), _message("M2"), _message("M3"))
        lease = T0 + timedelta(minutes=5)
        later = T0 + timedelta(days=365)
        with storage.unit_of_work(write=True) as uow:
            claimed = [m.message_id for m in uow.outbox.claim(later, 2, lease)]
            uow.commit()
        assert len(claimed) == 2
        assert [m.message_id for m in _due(storage, lease - timedelta(seconds=1))] == sorted(
            {"M1", "M2", "M3"} - set(claimed)
        )
        assert {m.message_id for m in _due(storage, lease)} == {"M1", "M2", "M3"}

    def test_workers_claiming_one_after_another_never_share_a_message(
        self, storage: Storage
    ) -> None:
        """Two claims in turn take disjoint batches until nothing is left."""
        _queue(storage, *(_message(f"W{i}") for i in range(5)))
        later = T0 + timedelta(days=365)
        taken: list[str] = []
        for _worker in range(4):
            with storage.unit_of_work(write=True) as uow:
                taken += [m.message_id for m in uow.outbox.claim(later, 2, _END_OF_TIME)]
                uow.commit()
        assert sorted(taken) == [f"W{i}" for i in range(5)]

    def test_an_uncommitted_claim_leases_nothing(self, storage: Storage) -> None:
        """A claim rolled back with its unit leaves the messages due."""
        _queue(storage, _message("M1"))
        later = T0 + timedelta(days=365)
        with storage.unit_of_work(write=True) as uow:
            assert len(uow.outbox.claim(later, 10, _END_OF_TIME)) == 1
        assert [m.message_id for m in _due(storage, later)] == ["M1"]

    def test_a_read_only_unit_refuses_claim(self, storage: Storage) -> None:
        """Leasing writes: a read-only unit refuses it."""
        _queue(storage, _message("M1"))
        with storage.unit_of_work() as uow, pytest.raises(AdapterError):
            uow.outbox.claim(T0 + timedelta(days=1), 10, _END_OF_TIME)

    def test_a_failed_attempt_is_counted_and_retried_at_the_given_time(
        self, storage: Storage
    ) -> None:
        """``mark_failed`` adds one attempt, keeps the error and makes the message due at
        ``retry_at``, not before."""
        retry_at = T0 + timedelta(minutes=5)
        error = "451 try 'later'\nüñí"
        _queue(storage, _message("M1"))
        for _attempt in range(2):
            with storage.unit_of_work(write=True) as uow:
                uow.outbox.mark_failed("M1", error, retry_at)
                uow.commit()
        assert _due(storage, retry_at - timedelta(microseconds=1)) == []
        (message,) = _due(storage, retry_at)
        assert (message.attempts, message.next_attempt_at, message.last_error) == (
            2,
            retry_at,
            error,
        )
        assert _pending(storage) == 1

    def test_pending_count_counts_every_unsent_message(self, storage: Storage) -> None:
        """Fresh and failed messages are pending; sent ones are not."""
        assert _pending(storage) == 0
        _queue(storage, _message("M1"), _message("M2"), _message("M3"))
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_failed("M1", "down", T0 + timedelta(hours=1))
            uow.outbox.mark_sent("M2", T0)
            uow.commit()
        assert _pending(storage) == 2

    # --- delivered secrets and purges (SECURITY D5) --------------------------------------

    def test_a_delivered_guest_pass_mail_keeps_no_code_or_link(self, storage: Storage) -> None:
        """``mark_sent`` empties the code and the link in the same write; kind, recipient,
        order, times and id stay for the audit, and ``sent_at`` says when."""
        message = _pass_mail("GP1")
        _queue(storage, message)
        with storage.unit_of_work() as uow:
            assert uow.outbox.get("GP1") == message  # pending: the secrets are needed still
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_sent("GP1", T0 + timedelta(minutes=1))
            uow.commit()
        with storage.unit_of_work() as uow:
            sent = uow.outbox.get("GP1")
        assert sent == attrs.evolve(
            message, intent=without_secrets(message.intent), sent_at=T0 + timedelta(minutes=1)
        )
        assert isinstance(sent.intent, GuestPassMail)
        assert (sent.intent.code, sent.intent.link) == ("", "")
        assert sent.intent.to.display == "Jane.Doe@example.com"

    @_PROPERTY
    @given(message=strategies.outbox_messages())
    def test_no_delivered_message_keeps_a_secret(
        self, storage: Storage, message: OutboxMessage
    ) -> None:
        """Whatever it carries, a delivered message reads back as :func:`without_secrets` of
        what was put: no secret field keeps its value."""
        message = attrs.evolve(message, message_id=_fresh("SEC"))
        _queue(storage, message)
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_sent(message.message_id, T0)
            uow.commit()
        with storage.unit_of_work() as uow:
            sent = uow.outbox.get(message.message_id)
        assert sent is not None
        assert sent.intent == without_secrets(message.intent)
        assert secrets_of(sent.intent) == ()

    def test_an_uncommitted_mark_sent_keeps_the_secrets(self, storage: Storage) -> None:
        """A ``mark_sent`` rolled back with its unit leaves the message pending, whole."""
        _queue(storage, _pass_mail("GP1"))
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_sent("GP1", T0)
        with storage.unit_of_work() as uow:
            assert uow.outbox.get("GP1") == _pass_mail("GP1")

    def test_get_of_an_unknown_message_is_none(self, storage: Storage) -> None:
        """``get`` answers ``None`` for an id never put."""
        with storage.unit_of_work() as uow:
            assert uow.outbox.get("NOPE") is None

    def test_purge_sent_deletes_only_messages_sent_before_the_bound(self, storage: Storage) -> None:
        """Sent strictly before the bound: deleted. Sent at it, or never sent however old:
        kept."""
        micro = timedelta(microseconds=1)
        _queue(
            storage,
            _message("OLD", T0 - timedelta(days=400)),
            _message("AT"),
            _message("BEFORE"),
            _message("PENDING", T0 - timedelta(days=400)),
        )
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_sent("OLD", T0 - timedelta(days=399))
            uow.outbox.mark_sent("AT", T0)
            uow.outbox.mark_sent("BEFORE", T0 - micro)
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            assert uow.outbox.purge_sent(T0) == 2
            uow.commit()
        with storage.unit_of_work() as uow:
            kept = {i for i in ("OLD", "AT", "BEFORE", "PENDING") if uow.outbox.get(i)}
        assert kept == {"AT", "PENDING"}
        assert [m.message_id for m in _due(storage, T0)] == ["PENDING"]

    def test_purging_guest_passes_deletes_only_those_expired_before_the_bound(
        self, storage: Storage
    ) -> None:
        """Challenges and passes expiring strictly before the bound are deleted, used or not;
        those expiring at it stay (a pass is still valid at its ``expires_at``)."""
        micro = timedelta(microseconds=1)
        early = _challenge("Challenge-0000000000002", issued_at=T0 - micro)
        at = _challenge("Challenge-0000000000003", issued_at=T0)
        used = attrs.evolve(_challenge("Challenge-0000000000004", issued_at=T0 - micro), used=True)
        _put(storage, early, at, used, _guest_pass("GuestPass-0000000000002"))
        bound = T0 + _CODE_TTL
        with storage.unit_of_work(write=True) as uow:
            assert uow.passes.purge_challenges(bound) == 2
            assert uow.passes.purge_passes(_guest_pass().expires_at) == 0
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.passes.get_challenge("Challenge-0000000000002") is None
            assert uow.passes.get_challenge("Challenge-0000000000004") is None
            assert uow.passes.latest_challenge("123456789") == at
            kept = _guest_pass("GuestPass-0000000000002")
            assert uow.passes.get_pass(kept.selector) == kept
        with storage.unit_of_work(write=True) as uow:
            assert uow.passes.purge_passes(_guest_pass().expires_at + micro) == 1
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.passes.get_pass("GuestPass-0000000000002") is None

    def test_purging_challenges_deletes_the_tries_no_challenge_can_count_again(
        self, storage: Storage
    ) -> None:
        """With the challenges, the tries recorded before the bound go when their challenge
        is gone (a purged one, or ``""`` for an order without one); a stored challenge keeps
        all its tries, however old, and a try at the bound stays."""
        micro = timedelta(microseconds=1)
        gone = _challenge("Challenge-0000000000002", issued_at=T0 - _CODE_TTL)
        live = _challenge("Challenge-0000000000003", issued_at=T0)
        _put(storage, gone, live)
        bound = T0 + micro
        with storage.unit_of_work(write=True) as uow:
            for selector, at in (
                (gone.selector, T0 - micro),
                (live.selector, T0 - micro),
                ("", T0 - micro),
                ("", bound),
            ):
                uow.passes.record_try("123456789", selector, at)
            assert uow.passes.purge_challenges(bound) == 1
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            # How many tries each now has, the one recorded here included.
            assert uow.passes.record_try("123456789", gone.selector, bound) == 1
            assert uow.passes.record_try("123456789", live.selector, bound) == 2
            assert uow.passes.record_try("123456789", "", bound) == 2

    def test_purging_replies_deletes_only_those_created_before_the_bound(
        self, storage: Storage
    ) -> None:
        """Replies created strictly before the bound are deleted; one created at it stays."""
        micro = timedelta(microseconds=1)
        with storage.unit_of_work(write=True) as uow:
            for key, at in (("old", T0 - micro), ("at", T0), ("new", T0 + micro)):
                uow.idempotency.put(IdempotentReply(key, "f" * 64, "{}", at))
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            assert uow.idempotency.purge(T0) == 1
            uow.commit()
        with storage.unit_of_work() as uow:
            kept = [k for k in ("old", "at", "new") if uow.idempotency.get(k) is not None]
        assert kept == ["at", "new"]

    def test_an_uncommitted_purge_deletes_nothing(self, storage: Storage) -> None:
        """A purge rolled back with its unit leaves every row."""
        _queue(storage, _message("M1"))
        _put(storage, _challenge(), _guest_pass())
        with storage.unit_of_work(write=True) as uow:
            uow.outbox.mark_sent("M1", T0)
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            assert uow.outbox.purge_sent(_END_OF_TIME) == 1
            assert uow.passes.purge_challenges(_END_OF_TIME) == 1
            assert uow.passes.purge_passes(_END_OF_TIME) == 1
        with storage.unit_of_work() as uow:
            assert uow.outbox.get("M1") is not None
            assert uow.passes.get_challenge(_challenge().selector) is not None
            assert uow.passes.get_pass(_guest_pass().selector) is not None

    # --- guest passes --------------------------------------------------------------------

    def test_a_committed_challenge_is_read_back_equal(self, storage: Storage) -> None:
        """``get_challenge`` and ``latest_challenge`` answer the challenge as it was put."""
        challenge = _challenge()
        _put(storage, challenge)
        with storage.unit_of_work() as uow:
            assert uow.passes.get_challenge(challenge.selector) == challenge
            assert uow.passes.latest_challenge("123456789") == challenge

    def test_a_committed_pass_is_read_back_equal(self, storage: Storage) -> None:
        """``get_pass`` answers the pass as it was put."""
        guest_pass = _guest_pass()
        _put(storage, guest_pass)
        with storage.unit_of_work() as uow:
            assert uow.passes.get_pass(guest_pass.selector) == guest_pass

    @_PROPERTY
    @given(
        issued_at=strategies.timestamps(),
        tries_left=st.integers(0, 10),
        used=st.booleans(),
        number=strategies.order_numbers(),
    )
    def test_any_challenge_and_pass_are_read_back_equal(
        self, storage: Storage, issued_at: datetime, tries_left: int, used: bool, number: str
    ) -> None:
        """Times to the microsecond, tries, the used flag and the hashes survive storing."""
        challenge = attrs.evolve(
            _challenge(_fresh("Challenge-").ljust(22, "x"), number, issued_at),
            tries_left=tries_left,
            used=used,
        )
        guest_pass = attrs.evolve(
            _guest_pass(_fresh("GuestPass-").ljust(22, "x"), number),
            issued_at=issued_at,
            expires_at=issued_at + timedelta(minutes=30),
        )
        _put(storage, challenge, guest_pass)
        with storage.unit_of_work() as uow:
            assert uow.passes.get_challenge(challenge.selector) == challenge
            assert uow.passes.get_pass(guest_pass.selector) == guest_pass

    def test_an_unknown_selector_or_order_is_none(self, storage: Storage) -> None:
        """Nothing stored under a selector or for an order number answers ``None``."""
        _put(storage, _challenge(), _guest_pass())
        with storage.unit_of_work() as uow:
            assert uow.passes.get_challenge("Challenge-9999999999999") is None
            assert uow.passes.get_challenge("GuestPass-0000000000001") is None
            assert uow.passes.get_pass("Challenge-0000000000001") is None
            assert uow.passes.get_pass("GuestPass-9999999999999") is None
            assert uow.passes.latest_challenge("987654321") is None

    def test_a_saved_challenge_replaces_the_stored_one(self, storage: Storage) -> None:
        """``save_challenge`` stores a used try, then the used flag."""
        challenge = _challenge()
        _put(storage, challenge)
        for changed in (
            attrs.evolve(challenge, tries_left=2),
            attrs.evolve(challenge, tries_left=2, used=True),
        ):
            with storage.unit_of_work(write=True) as uow:
                uow.passes.save_challenge(changed)
                uow.commit()
            with storage.unit_of_work() as uow:
                assert uow.passes.get_challenge(challenge.selector) == changed
                assert uow.passes.latest_challenge("123456789") == changed

    def test_saving_an_unknown_challenge_raises_conflict_error(self, storage: Storage) -> None:
        """Only a stored selector can be saved; nothing is stored otherwise."""
        with storage.unit_of_work(write=True) as uow:
            with pytest.raises(ConflictError):
                uow.passes.save_challenge(_challenge())
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.passes.get_challenge(_challenge().selector) is None

    def test_putting_a_stored_selector_raises_conflict_error(self, storage: Storage) -> None:
        """Selectors are unique; a second put of one keeps the first value."""
        challenge, guest_pass = _challenge(), _guest_pass()
        _put(storage, challenge, guest_pass)
        with storage.unit_of_work(write=True) as uow, pytest.raises(ConflictError):
            uow.passes.put_challenge(attrs.evolve(challenge, tries_left=1))
        with storage.unit_of_work(write=True) as uow, pytest.raises(ConflictError):
            uow.passes.put_pass(_guest_pass(order_number="987654321"))
        with storage.unit_of_work() as uow:
            assert uow.passes.get_challenge(challenge.selector) == challenge
            assert uow.passes.get_pass(guest_pass.selector) == guest_pass

    def test_latest_challenge_is_newest_then_last_put(self, storage: Storage) -> None:
        """Latest ``issued_at`` wins; between equal times, the one put last; other
        orders' challenges never count."""
        minute = timedelta(minutes=1)
        _put(
            storage,
            _challenge("Challenge-B00000000000", issued_at=T0 + 2 * minute),
            _challenge("Challenge-C00000000000", issued_at=T0 + minute),
            _challenge("Challenge-Z00000000000", issued_at=T0),
            _challenge("Challenge-X00000000000", "987654321", T0 + 3 * minute),
        )
        with storage.unit_of_work() as uow:
            latest = uow.passes.latest_challenge("123456789")
        assert latest is not None
        assert latest.selector == "Challenge-B00000000000"
        tie = _challenge("Challenge-A00000000000", issued_at=T0 + 2 * minute)
        with storage.unit_of_work(write=True) as uow:
            uow.passes.put_challenge(tie)
            assert uow.passes.latest_challenge("123456789") == tie

    @_PROPERTY
    @given(count=st.integers(2, 12), draw=st.randoms(use_true_random=False))
    def test_between_challenges_of_one_time_the_last_put_is_newest(
        self, storage: Storage, count: int, draw: random.Random
    ) -> None:
        """Many challenges in one clock tick, their selectors in any order: after each put,
        the one just put is the newest (the random selector never breaks the tie)."""
        number = f"7{next(_serial):08d}"
        selectors = sorted(f"Challenge-{next(_serial):012d}" for _ in range(count))
        draw.shuffle(selectors)
        for selector in selectors:
            challenge = _challenge(selector, number, T0)
            _put(storage, challenge)
            with storage.unit_of_work() as uow:
                assert uow.passes.latest_challenge(number) == challenge

    def test_record_try_counts_the_tries_of_one_challenge(self, storage: Storage) -> None:
        """Each try is counted for its order number and selector, itself included, whether
        or not the order or a challenge exists; other challenges' tries never count."""
        minute = timedelta(minutes=1)
        challenge = "Challenge-T00000000000"
        with storage.unit_of_work(write=True) as uow:
            assert uow.passes.record_try("555000001", challenge, T0) == 1
            assert uow.passes.record_try("555000001", "", T0) == 1
            assert uow.passes.record_try("555000002", challenge, T0) == 1
            assert uow.passes.record_try("555000001", challenge, T0) == 2
            uow.commit()
        with storage.unit_of_work(write=True) as uow:
            assert uow.passes.record_try("555000001", challenge, T0 + minute) == 3
            assert uow.passes.record_try("555000001", "", T0 + minute) == 2

    def test_record_try_rolls_back_and_needs_a_write_unit(self, storage: Storage) -> None:
        """An uncommitted try is forgotten; a read-only unit refuses to record one."""
        with storage.unit_of_work(write=True) as uow:
            uow.passes.record_try("555000003", "", T0)
        with storage.unit_of_work(write=True) as uow:
            assert uow.passes.record_try("555000003", "", T0) == 1
        with storage.unit_of_work() as uow, pytest.raises(AdapterError):
            uow.passes.record_try("555000003", "", T0)

    def test_a_unit_sees_its_own_uncommitted_challenge_and_pass(self, storage: Storage) -> None:
        """Inside the unit that put them, they are there before commit."""
        with storage.unit_of_work(write=True) as uow:
            uow.passes.put_challenge(_challenge())
            uow.passes.put_pass(_guest_pass())
            assert uow.passes.get_challenge(_challenge().selector) == _challenge()
            assert uow.passes.get_pass(_guest_pass().selector) == _guest_pass()

    def test_guest_pass_writes_roll_back_with_the_unit(self, storage: Storage) -> None:
        """Leaving without commit, an exception and ``rollback`` all forget challenges,
        saves and passes."""
        stored = _challenge("Challenge-S00000000000")
        _put(storage, stored)
        with storage.unit_of_work(write=True) as uow:
            uow.passes.put_challenge(_challenge())
            uow.passes.save_challenge(attrs.evolve(stored, used=True))
            uow.passes.put_pass(_guest_pass())
        with pytest.raises(_Boom):
            _passes_then_fail(storage)
        with storage.unit_of_work(write=True) as uow:
            uow.passes.put_pass(_guest_pass())
            uow.rollback()
            uow.passes.put_challenge(_challenge())
            uow.commit()
        with storage.unit_of_work() as uow:
            assert uow.passes.get_challenge(stored.selector) == stored
            assert uow.passes.get_challenge(_challenge().selector) == _challenge()
            assert uow.passes.get_pass(_guest_pass().selector) is None

    def test_the_guest_pass_flow_works_on_this_storage(self, storage: Storage) -> None:
        """Request, verify the mailed code once, check the pass: as on the reference."""
        ctx = _guest_pass_context(storage)
        request_guest_pass(ctx, "jane.doe@example.com", _GUEST_ORDER, client="c")
        code = _mailed_code(ctx)
        granted = verify_guest_code(ctx, _GUEST_ORDER, code, client="c")
        assert isinstance(granted, GuestPassGranted)
        assert check_guest_pass(ctx, granted.token, _GUEST_ORDER, ctx.clock.now())
        assert verify_guest_code(ctx, _GUEST_ORDER, code, client="c") == GuestPassRefused()

    def test_a_code_raced_by_many_threads_grants_exactly_one_pass(self, storage: Storage) -> None:
        """Eight threads send the right code at once: one pass, seven refusals (G2)."""
        self._needs("supports_concurrent_writers")
        ctx = _guest_pass_context(storage)
        request_guest_pass(ctx, "jane.doe@example.com", _GUEST_ORDER, client="c")
        code = _mailed_code(ctx)
        answers = _together(
            8, lambda i: verify_guest_code(ctx, _GUEST_ORDER, code, client=f"client-{i}")
        )
        assert sum(isinstance(answer, GuestPassGranted) for answer in answers) == 1
        assert answers.count(GuestPassRefused()) == 7

    # --- store credit ------------------------------------------------------------------

    @pytest.mark.parametrize("amount", ["0.0001", "12.34", "24.990", "-7", "999999999.9999"])
    def test_a_credit_entry_is_read_back_equal_with_its_exact_amount(
        self, storage: Storage, amount: str
    ) -> None:
        """Every field survives: the amount as the same ``Decimal`` text, its currency, the
        id, holder and reference, and ``at`` to the microsecond."""
        funding = _entry("grant:1", "1000000000", "EUR", at=T0 - timedelta(days=1))
        entry = _entry(
            "refund:123456789:R1",
            amount,
            "EUR",
            at=T0 + timedelta(microseconds=123457),
            reference="Refund to store credit: Ääkköset ok",
        )
        assert _append(storage, funding, entry) == [True, True]
        stored, _funding = _ledger(storage)
        assert stored == entry
        assert str(stored.amount.amount) == amount
        assert stored.amount.currency == "EUR"
        assert stored.at == entry.at

    def test_an_entry_time_comes_back_timezone_aware_in_utc(self, storage: Storage) -> None:
        """An ``at`` given in another zone is the same instant read back, in UTC."""
        helsinki = timezone(timedelta(hours=2))
        at = datetime(2026, 11, 1, 14, 30, 5, 250, tzinfo=helsinki)
        _append(storage, _entry("refund:1", "5.00", at=at))
        (stored,) = _ledger(storage)
        assert stored.at == at
        assert stored.at.utcoffset() == timedelta(0)
        assert stored.at.astimezone(UTC).replace(tzinfo=None) == datetime(
            2026, 11, 1, 12, 30, 5, 250
        )

    def test_entries_are_newest_first_with_ties_by_entry_id_descending(
        self, storage: Storage
    ) -> None:
        """``entries`` orders by ``at`` descending, then by ``entry_id`` descending, whatever
        the order they were appended in."""
        hour = timedelta(hours=1)
        _append(
            storage,
            _entry("e-c", "10.00", at=T0 + hour),
            _entry("e-z", "10.00", at=T0),
            _entry("e-a", "10.00", at=T0 + hour),
            _entry("e-m", "-5.00", at=T0 + 2 * hour),
            _entry("e-b", "10.00", at=T0 + hour),
        )
        assert [e.entry_id for e in _ledger(storage)] == ["e-m", "e-c", "e-b", "e-a", "e-z"]

    def test_entries_stop_at_limit(self, storage: Storage) -> None:
        """At most ``limit`` entries, the newest; a limit of zero gives none."""
        _append(
            storage, *[_entry(f"e-{i}", "1.00", at=T0 + timedelta(minutes=i)) for i in range(5)]
        )
        assert [e.entry_id for e in _ledger(storage, limit=2)] == ["e-4", "e-3"]
        assert len(_ledger(storage, limit=500)) == 5
        assert _ledger(storage, limit=0) == []

    def test_entries_and_balances_belong_to_one_holder(self, storage: Storage) -> None:
        """Another holder's entries never show, even one whose key starts the same."""
        _append(
            storage,
            _entry("jane:1", "10.00"),
            _entry("jane-co:1", "99.00", holder=_HOLDER + ".uk"),
            _entry("other:1", "7.00", holder="jane.doe@example.co"),
        )
        assert [e.entry_id for e in _ledger(storage)] == ["jane:1"]
        assert _balance(storage) == Money("10.00", "USD")
        assert _ledger(storage, "nobody@example.com") == []

    def test_a_balance_is_the_sum_per_currency(self, storage: Storage) -> None:
        """Each currency has its own balance: the exact sum of its entries."""
        _append(
            storage,
            _entry("c:1", "30.00"),
            _entry("c:2", "-10.05"),
            _entry("c:3", "0.0001"),
            _entry("c:4", "5.50", "EUR"),
        )
        usd = _balance(storage, "USD")
        assert (usd.amount, usd.currency) == (Decimal("19.9501"), "USD")
        assert _balance(storage, "EUR") == Money("5.50", "EUR")

    def test_a_balance_with_no_entries_is_zero_in_that_currency(self, storage: Storage) -> None:
        """No entries for the holder, or none in the currency: zero in the currency asked."""
        _append(storage, _entry("c:1", "30.00"))
        for holder, currency in [(_HOLDER, "GBP"), ("nobody@example.com", "USD")]:
            balance = _balance(storage, currency, holder)
            assert (balance.amount, balance.currency) == (Decimal(0), currency)

    def test_appending_a_stored_entry_id_returns_false_and_writes_nothing(
        self, storage: Storage
    ) -> None:
        """An entry id is appended once: again, even with another amount, is ``False``,
        and the balance and the ledger stay as they were."""
        first = _entry("refund:123456789:R1", "30.00")
        assert _append(storage, first) == [True]
        assert _append(storage, first, attrs.evolve(first, amount=Money("99", "USD"))) == [
            False,
            False,
        ]
        assert _balance(storage) == Money("30.00", "USD")
        assert _ledger(storage) == [first]

    def test_an_entry_id_appended_twice_in_one_unit_is_appended_once(
        self, storage: Storage
    ) -> None:
        """The unit's own uncommitted entry counts as stored."""
        entry = _entry("refund:123456789:R1", "30.00")
        assert _append(storage, entry, entry) == [True, False]
        assert _balance(storage) == Money("30.00", "USD")

    def test_a_duplicate_is_answered_before_the_balance_is_checked(self, storage: Storage) -> None:
        """A stored id with an amount the balance could never cover is still just ``False``:
        a retried command must not fail where the first attempt succeeded."""
        spend = _entry("spend:order-1", "-30.00")
        assert _append(storage, _entry("grant:1", "30.00"), spend) == [True, True]
        assert _append(storage, spend) == [False]
        assert _balance(storage) == Money("0.00", "USD")

    def test_an_entry_that_would_go_below_zero_raises_and_writes_nothing(
        self, storage: Storage
    ) -> None:
        """A spend beyond the balance raises ``InsufficientCreditError`` (an
        ``ActionRefusedError`` coded ``insufficient_credit``), writes nothing, and leaves
        the unit usable: its commit stores its other entries, and the refused id is free."""
        _append(storage, _entry("grant:1", "30.00"))
        spend = _entry("spend:1", "-30.01")
        with storage.unit_of_work(write=True) as uow:
            uow.credit.append(_entry("grant:2", "1.00", "EUR"))
            with pytest.raises(InsufficientCreditError) as refused:
                uow.credit.append(spend)
            uow.commit()
        assert refused.value.code == "insufficient_credit"
        assert _balance(storage) == Money("30.00", "USD")
        assert [e.entry_id for e in _ledger(storage)] == ["grant:2", "grant:1"]
        assert _append(storage, _entry("grant:3", "0.01"), spend) == [True, True]
        assert _balance(storage) == Money("0", "USD")

    def test_spending_exactly_the_balance_leaves_zero(self, storage: Storage) -> None:
        """The balance may reach zero, never go below it."""
        assert _append(storage, _entry("grant:1", "30.00"), _entry("spend:1", "-30.00")) == [
            True,
            True,
        ]
        assert _balance(storage) == Money("0", "USD")
        with pytest.raises(InsufficientCreditError):
            _append(storage, _entry("spend:2", "-0.0001"))

    def test_credit_in_another_currency_never_covers_a_spend(self, storage: Storage) -> None:
        """A holder with euros and no dollars cannot spend dollars."""
        _append(storage, _entry("grant:1", "500.00", "EUR"))
        with pytest.raises(InsufficientCreditError):
            _append(storage, _entry("spend:1", "-1.00", "USD"))
        with pytest.raises(InsufficientCreditError):
            _append(storage, _entry("spend:2", "-1.00", "EUR", holder="nobody@example.com"))
        assert [e.entry_id for e in _ledger(storage)] == ["grant:1"]

    def test_a_unit_sees_its_own_uncommitted_entries(self, storage: Storage) -> None:
        """Inside the unit that appended them, entries count towards the balance."""
        with storage.unit_of_work(write=True) as uow:
            assert uow.credit.append(_entry("grant:1", "10.00"))
            assert uow.credit.balance(_HOLDER, "USD") == Money("10.00", "USD")
            assert uow.credit.append(_entry("spend:1", "-10.00"))
            with pytest.raises(InsufficientCreditError):
                uow.credit.append(_entry("spend:2", "-0.01"))
            assert [e.entry_id for e in uow.credit.entries(_HOLDER, 10)] == ["spend:1", "grant:1"]

    def test_credit_entries_roll_back_with_the_unit(self, storage: Storage) -> None:
        """Leaving without commit, an exception and ``rollback`` all forget appended entries."""
        _append(storage, _entry("grant:1", "30.00"))
        with storage.unit_of_work(write=True) as uow:
            uow.credit.append(_entry("spend:1", "-10.00"))
        with pytest.raises(_Boom):
            _spend_then_fail(storage)
        with storage.unit_of_work(write=True) as uow:
            uow.credit.append(_entry("spend:1", "-10.00"))
            uow.rollback()
            uow.credit.append(_entry("spend:2", "-5.00"))
            uow.commit()
        assert [e.entry_id for e in _ledger(storage)] == ["spend:2", "grant:1"]
        assert _balance(storage) == Money("25.00", "USD")
        assert _append(storage, _entry("spend:1", "-10.00")) == [True]

    def test_an_uncommitted_entry_is_invisible_to_other_units(self, storage: Storage) -> None:
        """Another unit sees neither the entry nor its effect on the balance before commit."""
        self._needs("supports_concurrent_units")
        with storage.unit_of_work(write=True) as uow:
            uow.credit.append(_entry("grant:1", "30.00"))
            assert _ledger(storage) == []
            assert _balance(storage) == Money("0", "USD")
            uow.commit()
        assert _balance(storage) == Money("30.00", "USD")

    # --- return papers -------------------------------------------------------------------

    def test_documents_are_read_back_byte_for_byte_in_the_order_put(self, storage: Storage) -> None:
        """Every field and every byte (NUL, CR LF, high bytes, invalid UTF-8) comes back,
        in the order the documents were first put, not by name."""
        papers = [
            _paper("RMA-1001-label.zpl", b"^XA^FO50,50^FDRMA-1001^FS^XZ\x00"),
            _paper("RMA-1001-label.pdf"),
            _paper("RMA-1001-instructions-fi.pdf", _AWKWARD_BYTES[::-1]),
        ]
        _keep(storage, *papers)
        stored = _papers(storage)
        assert stored == papers
        assert [p.document.content for p in stored] == [p.document.content for p in papers]
        assert all(type(p.document.content) is bytes for p in stored)

    def test_a_large_document_is_kept_intact(self, storage: Storage) -> None:
        """A label of a few hundred kilobytes is kept whole."""
        content = bytes(range(256)) * 1024 + b"\x00"
        _keep(storage, _paper(content=content))
        (stored,) = _papers(storage)
        assert stored.document.content == content

    def test_putting_a_filename_again_replaces_it_where_it_was(self, storage: Storage) -> None:
        """A retried label job writes its files again: the RMA keeps one document per
        filename, the newest content, in the place of the first put."""
        _keep(storage, _paper("RMA-1001-label.pdf", b"first"), _paper("RMA-1001-label.zpl"))
        again = _paper("RMA-1001-label.pdf", b"second\x00")
        _keep(storage, again)
        assert _papers(storage) == [again, _paper("RMA-1001-label.zpl")]

    def test_documents_belong_to_one_rma(self, storage: Storage) -> None:
        """Another RMA's documents never show, even one whose number starts the same or that
        has the same filename; an unknown RMA has none."""
        mine = _paper("label.pdf", b"mine")
        _keep(
            storage,
            mine,
            _paper("label.pdf", b"theirs", rma_number="RMA-10011"),
            _paper("other.pdf", rma_number="RMA-100", order_number="987654321"),
        )
        assert _papers(storage) == [mine]
        assert [p.document.content for p in _papers(storage, "RMA-10011")] == [b"theirs"]
        assert _papers(storage, "RMA-9999") == []

    def test_documents_roll_back_with_the_unit(self, storage: Storage) -> None:
        """Leaving without commit and ``rollback`` forget documents and replacements."""
        kept = _paper("RMA-1001-label.pdf", b"kept")
        _keep(storage, kept)
        with storage.unit_of_work(write=True) as uow:
            uow.documents.put(_paper("RMA-1001-label.pdf", b"lost"))
            uow.documents.put(_paper("RMA-1001-label.zpl"))
            assert len(uow.documents.for_rma("RMA-1001")) == 2
        with storage.unit_of_work(write=True) as uow:
            uow.documents.put(_paper("RMA-1001-extra.pdf"))
            uow.rollback()
            uow.commit()
        assert _papers(storage) == [kept]

    # --- the reference -----------------------------------------------------------------

    def test_every_command_agrees_with_the_memory_reference(self, storage: Storage) -> None:
        """Random sequences of adds, commits, walk-aways, outbox changes and queries give the
        same answers as the ``memory://`` reference storage."""
        run_state_machine_as_test(comparing(storage), settings=_STATEFUL)

    def test_the_order_lifecycle_agrees_with_the_memory_reference(self, storage: Storage) -> None:
        """Orders placed, packed, shipped, delivered, cancelled, changed and reported on
        through the policies, one compare-and-set save per step, read back equal to the
        ``memory://`` reference; illegal steps and stale saves are refused alike; and every
        stored order keeps the lifecycle invariants after every step."""
        run_state_machine_as_test(lifecycle_of(storage), settings=_lifecycle_budget())

    @pytest.mark.parametrize("key", ["jane@example.com", "pekka@esimerkki.fi", "nobody@x.io"])
    @pytest.mark.parametrize("limit", [1, 3, 500])
    def test_recent_agrees_with_the_reference_on_a_seeded_store(
        self, storage: Storage, key: str, limit: int
    ) -> None:
        """On 120 seeded orders (shared emails, tied times), ``recent`` answers as the
        reference does, header for header."""
        memory, adapter = _ask(_seeded_with_reference(storage), "recent", key, limit)
        assert adapter == memory

    @pytest.mark.parametrize(
        "query",
        [PartNumberQuery(PartNumber(p)) for p in _SEED_PARTS]
        + [CategoryQuery(CategoryPath(c)) for c in _SEED_CATEGORIES],
        ids=repr,
    )
    @pytest.mark.parametrize("limit", [1, 4, 500])
    def test_search_agrees_with_the_reference_page_by_page(
        self, storage: Storage, query: SearchQuery, limit: int
    ) -> None:
        """On the seeded store, every page of a search, followed cursor by cursor, holds the
        same matches and lines as the reference's."""
        both = _seeded_with_reference(storage)
        cursor: SearchCursor | None = None
        for _page in range(200):
            memory, adapter = _ask(both, "search", "jane@example.com", query, limit, cursor)
            assert adapter == memory
            if len(memory) < limit:
                break
            last = memory[-1].header
            cursor = SearchCursor(placed_at=last.placed_at, number=last.number)

    def test_get_agrees_with_the_reference_on_a_seeded_store(self, storage: Storage) -> None:
        """``get`` gives equal orders, lines in the same tuple order, and ``None`` alike."""
        memory, adapter = _seeded_with_reference(storage)
        for number in ["200000", "200057", "200119", "999999"]:
            with memory.unit_of_work() as mine, adapter.unit_of_work() as theirs:
                expected, got = mine.orders.get(number), theirs.orders.get(number)
            assert got == expected
            if got is not None and expected is not None:
                assert got.lines == expected.lines

    # --- concurrency -------------------------------------------------------------------

    def test_concurrent_writers_all_commit(self, storage: Storage) -> None:
        """Write units on eight threads at once each commit their own order."""
        self._needs("supports_concurrent_writers")
        orders = [make_order(number=f"10000000{i}") for i in range(8)]
        _together(len(orders), lambda i: _store(storage, orders[i]))
        assert [_read(storage, order.number) for order in orders] == orders

    def test_a_write_unit_never_reads_stale_data(self, storage: Storage) -> None:
        """Eight threads that each add an order only if ``get`` says it is absent: exactly one
        adds it, because a write unit holds the write lock from its start."""
        self._needs("supports_concurrent_writers")
        order = make_order(number="123456789")

        def claim(_index: int) -> bool:
            with storage.unit_of_work(write=True) as uow:
                if uow.orders.get(order.number) is not None:
                    return False
                uow.orders.add(order)
                uow.commit()
                return True

        assert sorted(_together(8, claim)) == [False] * 7 + [True]


class RateLimiterContract:
    """The :class:`~orderstatus_core.RateLimiter` contract: bursts, refusals, recovery.

    Needs a fixture ``rate_limiter``: a fresh limiter for each test. Time is passed in
    explicitly; nothing sleeps.
    """

    @_PROPERTY
    @given(quota=_QUOTAS, now=strategies.timestamps())
    def test_a_burst_of_limit_hits_is_allowed_then_refused(
        self, rate_limiter: RateLimiter, quota: Quota, now: datetime
    ) -> None:
        """``limit`` hits at one moment are allowed; the next one is refused."""
        key = _fresh("key")
        burst = [rate_limiter.hit(key, quota, now).allowed for _ in range(quota.limit)]
        assert burst == [True] * quota.limit
        assert not rate_limiter.hit(key, quota, now).allowed

    @_PROPERTY
    @given(quota=_QUOTAS, now=strategies.timestamps())
    def test_a_refusal_says_when_to_retry_within_one_period(
        self, rate_limiter: RateLimiter, quota: Quota, now: datetime
    ) -> None:
        """A refused hit's ``retry_at`` is after ``now`` and at most one period later."""
        key = _fresh("key")
        for _ in range(quota.limit):
            rate_limiter.hit(key, quota, now)
        decision = rate_limiter.hit(key, quota, now)
        assert decision.retry_at is not None
        assert now < decision.retry_at <= now + quota.period

    @_PROPERTY
    @given(quota=_QUOTAS, now=strategies.timestamps())
    def test_a_hit_at_the_retry_time_is_allowed(
        self, rate_limiter: RateLimiter, quota: Quota, now: datetime
    ) -> None:
        """At the moment a refusal names in ``retry_at``, a hit is allowed again."""
        key = _fresh("key")
        for _ in range(quota.limit):
            rate_limiter.hit(key, quota, now)
        retry_at = rate_limiter.hit(key, quota, now).retry_at
        assert retry_at is not None
        assert rate_limiter.hit(key, quota, retry_at).allowed

    @_PROPERTY
    @given(quota=_QUOTAS, now=strategies.timestamps())
    def test_a_full_burst_is_allowed_again_one_period_later(
        self, rate_limiter: RateLimiter, quota: Quota, now: datetime
    ) -> None:
        """After a whole period without hits the whole burst is back."""
        key = _fresh("key")
        for _ in range(quota.limit + 1):
            rate_limiter.hit(key, quota, now)
        later = now + quota.period
        again = [rate_limiter.hit(key, quota, later).allowed for _ in range(quota.limit)]
        assert again == [True] * quota.limit

    def test_refused_hits_are_not_counted(self, rate_limiter: RateLimiter) -> None:
        """Hammering a refused key does not push its retry time later."""
        quota = Quota(3, timedelta(minutes=1))
        for _ in range(3):
            rate_limiter.hit("key", quota, T0)
        first = rate_limiter.hit("key", quota, T0).retry_at
        refusals = [rate_limiter.hit("key", quota, T0) for _ in range(50)]
        assert first is not None
        assert {decision.retry_at for decision in refusals} == {first}
        assert rate_limiter.hit("key", quota, first).allowed

    def test_keys_are_independent(self, rate_limiter: RateLimiter) -> None:
        """Using up one key's quota leaves every other key's untouched."""
        quota = Quota(2, timedelta(minutes=1))
        for _ in range(3):
            rate_limiter.hit("find:client:a", quota, T0)
        assert rate_limiter.hit("find:client:b", quota, T0).allowed
        assert rate_limiter.hit("find:client:a:", quota, T0).allowed

    def test_an_allowed_hit_has_no_retry_time(self, rate_limiter: RateLimiter) -> None:
        """An allowed decision carries no ``retry_at``."""
        decision = rate_limiter.hit("key", Quota(1, timedelta(minutes=1)), T0)
        assert (decision.allowed, decision.retry_at) == (True, None)

    def test_threads_hitting_one_key_get_exactly_limit_allowed(
        self, rate_limiter: RateLimiter
    ) -> None:
        """Sixteen threads hitting one key at one moment get exactly ``limit`` hits allowed."""
        quota = Quota(5, timedelta(minutes=1))

        def hammer(_index: int) -> int:
            return sum(rate_limiter.hit("shared", quota, T0).allowed for _ in range(8))

        assert sum(_together(16, hammer)) == quota.limit


#: The type of the ``delivered`` fixture of :class:`MailerContract`.
Delivered = Callable[[], Sequence[OutgoingMail]]


def _lines(text: str) -> list[str]:
    # Transports may turn LF into CRLF and end the body with a newline; the lines stay.
    return text.splitlines()


def _as_sent(mail: OutgoingMail) -> tuple[str, str, str, list[str], str]:
    return (mail.message_id, mail.to, mail.subject, _lines(mail.text), mail.language)


class MailerContract:
    """The :class:`~orderstatus_core.Mailer` contract: deliver intact, or raise.

    Needs two fixtures: ``mailer``, a fresh mailer, and ``delivered``, a callable that
    answers every mail the mailer has delivered so far, rebuilt as
    :class:`~orderstatus_core.OutgoingMail` from what the transport carried (an ``.eml``
    file, a message an SMTP test server received). Message id, recipient, subject,
    language and the lines of the text must all survive.
    """

    def test_a_sent_mail_is_delivered_intact(self, mailer: Mailer, delivered: Delivered) -> None:
        """Id, recipient, subject, language and text arrive as they were sent."""
        mail = OutgoingMail(
            message_id="a1b2c3",
            to="Jane.Doe@example.com",
            subject="Your recent order numbers",
            text="Hello,\n\n  123456789\n  A1B2\n",
        )
        mailer.send(mail)
        assert [_as_sent(m) for m in delivered()] == [_as_sent(mail)]

    def test_finnish_text_and_an_international_address_arrive_intact(
        self, mailer: Mailer, delivered: Delivered
    ) -> None:
        """Non-ASCII subjects, bodies and addresses (RFC 6531) are not mangled."""
        mail = OutgoingMail(
            message_id="fi-1",
            to="jörg@bücher.de",
            subject="Viimeisimmät tilausnumerosi",
            text="Hei,\n\nSyötä numero Tilaustilanne-sivulla. Ääkköset: åäö ÅÄÖ\n",
            language="fi",
        )
        mailer.send(mail)
        assert [_as_sent(m) for m in delivered()] == [_as_sent(mail)]

    def test_each_mail_is_delivered_once(self, mailer: Mailer, delivered: Delivered) -> None:
        """Three mails sent make three deliveries, one per message id."""
        for index in range(3):
            mailer.send(OutgoingMail(f"m{index}", "jane@example.com", f"Subject {index}", "Hi\n"))
        assert sorted(m.message_id for m in delivered()) == ["m0", "m1", "m2"]

    @pytest.mark.parametrize(
        "mail",
        [
            OutgoingMail("h1", "jane@example.com\r\nBcc: victim@example.com", "Hi", "Hi\n"),
            OutgoingMail("h2", "jane@example.com", "Hi\r\nBcc: victim@example.com", "Hi\n"),
            OutgoingMail("h3", "jane@example.com", "Hi\nX-Injected: 1", "Hi\n"),
        ],
        ids=["to", "subject-crlf", "subject-lf"],
    )
    def test_a_line_break_in_a_header_is_refused(
        self, mailer: Mailer, delivered: Delivered, mail: OutgoingMail
    ) -> None:
        """A recipient or subject with CR or LF raises and delivers nothing (SECURITY H1)."""
        with pytest.raises(Exception):  # noqa: B017, PT011 - the port allows any exception
            mailer.send(mail)
        assert list(delivered()) == []
