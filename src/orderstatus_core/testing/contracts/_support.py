"""What the storage suites share: the ``storage`` fixture they declare, capability flags,
Hypothesis budgets and small helpers that write and read through units of work.

Private: adapter authors import the suites from :mod:`orderstatus_core.testing.contracts`.
"""

from __future__ import annotations

import itertools
import random
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, ClassVar, TypeVar

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

from orderstatus_core.contacts import parse_email
from orderstatus_core.labels import LabelDocument, StoredDocument
from orderstatus_core.messages import GuestPassMail, OrderListMail, OutboxMessage
from orderstatus_core.model import EmailAddress, Money, Order, PartNumber
from orderstatus_core.model.fulfilment import open_package, ship_package
from orderstatus_core.model.guest_pass import GuestPass, PassChallenge
from orderstatus_core.model.requests import PartSwap, ProblemKind, Resolution, SpeedChange
from orderstatus_core.policies import Quota
from orderstatus_core.policies.cancellation import cancel_units, decide_cancel
from orderstatus_core.policies.changes import apply_change, decide_change, request_change
from orderstatus_core.policies.problems import report_problem, resolve_problem
from orderstatus_core.ports import OrderRepository, Storage, UnitOfWork
from orderstatus_core.records import CreditEntry, OrderHeader, OrderMatch, SearchCursor, SearchQuery
from orderstatus_core.services import ServiceContext
from orderstatus_core.testing.builders import PLACED_AT, line, make_order
from orderstatus_core.testing.fakes import fake_context, queued_mail
from orderstatus_core.testing.pytest_plugin import CI_EXAMPLES, NIGHTLY_PROFILE

T = TypeVar("T")

#: A moment the outbox and rate-limiter tests start from.
T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
#: The account policy's defaults a page view's session check is asked with.
_SESSION_RULES: dict[str, timedelta] = {
    "idle_timeout": timedelta(minutes=30),
    "touch_interval": timedelta(minutes=1),
}
_END_OF_TIME = datetime(9999, 1, 1, tzinfo=UTC)


def examples(under_ci: int) -> int:
    """An example count written for the ``ci`` profile, following the loaded profile down
    and never up: ``under_ci`` under ``ci`` and every larger profile (the suites keep their
    own budgets), the same share fewer under a smaller one (``ci-quick``: a third), at
    least one. Read when the suite is imported, after the pytest plugin (or Hypothesis'
    ``--hypothesis-profile``) has loaded the profile."""
    share = min(1.0, settings().max_examples / CI_EXAMPLES)
    return max(1, round(under_ci * share))


# Property tests share one storage or limiter per test; fixtures are not reset between
# examples, and that is deliberate (each example uses fresh numbers, addresses and keys).
# Every subclass runs the same property method ("differing executors"): their examples
# are inputs that do not depend on the adapter, so sharing them in the example database
# is harmless, and a failure found for one adapter is replayed against the others.
_PROPERTY = settings(
    max_examples=examples(25),
    deadline=None,
    suppress_health_check=[
        HealthCheck.differing_executors,
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
    ],
)
_STATEFUL = settings(
    max_examples=examples(15),
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
_LIFECYCLE = settings(
    max_examples=examples(20),
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
_ACCOUNT_LIFECYCLE = settings(
    max_examples=examples(25),
    stateful_step_count=25,
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


def _account_lifecycle_budget() -> settings:
    """25 shoppers of up to 25 steps in every CI run; the ``nightly`` profile's numbers
    under ``nox -s lifecycle``."""
    if settings.get_current_profile_name() == NIGHTLY_PROFILE:
        return settings()
    return _ACCOUNT_LIFECYCLE


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
    "orders.add_many": lambda uow: uow.orders.add_many([make_order(number="900000001")]),
    "orders.save": lambda uow: uow.orders.save(make_order(number="900000001", version=2)),
    "outbox.put": lambda uow: uow.outbox.put(_message("M2")),
    "outbox.mark_sent": lambda uow: uow.outbox.mark_sent("M1", T0),
    "outbox.mark_failed": lambda uow: uow.outbox.mark_failed("M1", "down", T0),
    "outbox.mark_dead": lambda uow: uow.outbox.mark_dead("M1", "550 refused", T0),
    "outbox.retry": lambda uow: uow.outbox.retry("M1", T0),
    "outbox.release": lambda uow: uow.outbox.release("M1", T0, T0),
    "outbox.drop": lambda uow: uow.outbox.drop("M1"),
    "outbox.purge_sent": lambda uow: uow.outbox.purge_sent(_END_OF_TIME),
    "passes.purge_challenges": lambda uow: uow.passes.purge_challenges(_END_OF_TIME),
    "passes.purge_passes": lambda uow: uow.passes.purge_passes(_END_OF_TIME),
    "idempotency.purge": lambda uow: uow.idempotency.purge(_END_OF_TIME),
    "passes.put_challenge": lambda uow: uow.passes.put_challenge(_challenge()),
    "passes.save_challenge": lambda uow: uow.passes.save_challenge(_challenge()),
    "passes.put_pass": lambda uow: uow.passes.put_pass(_guest_pass()),
    "credit.append": lambda uow: uow.credit.append(_entry("refund:900000001:R1", "5.00")),
    "documents.put": lambda uow: uow.documents.put(_paper()),
    "commit": lambda uow: uow.commit(),
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


def declared_fixture(request: pytest.FixtureRequest, name: str, how: str) -> Any:
    """The value of the fixture ``name`` defined outside the suite, or a clear error.

    A suite declares each fixture it needs under that name, so that pytest resolves the
    suite's declaration unless the adapter's test class overrides it. The declaration
    still finds a fixture of that name in the test's module or a ``conftest.py`` (as the
    suites always have), and otherwise says what to write instead of pytest's bare
    "fixture not found".
    """
    try:
        return request.getfixturevalue(name)
    except pytest.FixtureLookupError as error:
        if error.argname != name:
            raise
        suite = type(request.instance).__name__ if request.instance is not None else "this suite"
        raise NotImplementedError(f"{suite} needs a `{name}` fixture: {how}") from None


STORAGE_FIXTURE = (
    "a fresh, migrated, empty Storage for each test. Define it in your test class, e.g.\n"
    "    @pytest.fixture\n"
    "    def storage(self, tmp_path):\n"
    "        storage = MyStorage(tmp_path / 'orders.db')\n"
    "        storage.migrate()\n"
    "        yield storage\n"
    "        storage.close()"
)


class StorageSuite:
    """The base of every storage suite: the ``storage`` fixture and the capability flags.

    Capabilities default to on; an adapter that lacks one sets the flag to ``False`` in
    its test class, and the tests that need it are skipped with the flag's name.
    """

    #: A read-only unit can be open while a write unit is (needed to check isolation).
    supports_concurrent_units: ClassVar[bool] = True
    #: Units of work on several threads at once (a shared storage in a web server).
    supports_concurrent_writers: ClassVar[bool] = True

    @pytest.fixture
    def storage(self, request: pytest.FixtureRequest) -> Storage:
        """Declared here so that a suite without one fails with how to write it."""
        storage: Storage = declared_fixture(request, "storage", STORAGE_FIXTURE)
        return storage

    def _needs(self, capability: str) -> None:
        if not getattr(self, capability):
            pytest.skip(f"{type(self).__name__}.{capability} is False")


#: Text that tries to be SQL, LIKE patterns, or another script; it must be kept as text.
HOSTILE = [
    "'; DROP TABLE orders; --",
    'Robert"); DELETE FROM order_lines WHERE ("1"="1',
    "100% off_sale \\ %_ LIKE '%'",
    "Hyvää päivää, Äänekoski öljynsuodatin",
    "مرشح الزيت للسيارة",
    "ברקס 🚗🔧👩‍🔧",
]


#: Keys a lookup must answer with nothing: hostile text, a huge one, and text a database
#: cannot even hold (a lone surrogate, NUL).
_HOSTILE_KEYS = [*HOSTILE, "x" * 100_000, "\ud800", "100001\x00", "\x00", "%", "_"]


def _list_mail(number: str) -> OrderListMail:
    return OrderListMail(to=parse_email("Jane@Example.com"), order_numbers=(number,))
