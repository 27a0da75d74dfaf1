"""The sample-data generator: deterministic, streaming, and always valid for the model."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from collections.abc import Iterator, Sized
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderstatus_core import (
    CancelAnswer,
    GuestPassGranted,
    GuestPassMail,
    Money,
    Order,
    OrderState,
    OrderStatus,
    ReturnAnswer,
    ReturnDraft,
    ReturnOptions,
    parse_phone,
)
from orderstatus_core.model.identifiers import part_number_key
from orderstatus_core.sample import (
    DEFAULT_UNTIL,
    DEMO_EMAIL,
    DEMO_PHONE,
    RECENT_AGES,
    demo_orders,
    demo_walkthrough_orders,
    generate_orders,
    sample_catalogue,
)
from orderstatus_core.serialization import converter
from orderstatus_core.testing import (
    FixedClock,
    RecordingLabelMaker,
    RecordingMailer,
    queued_mail,
)

#: The day a newcomer makes a sample (`orderstatus sample` uses the start of the real day).
TODAY = datetime(2026, 12, 5, tzinfo=UTC)
#: The default return window.
WINDOW = timedelta(days=30)


def structure(record: dict[str, object]) -> Order:
    """Through JSON text and the shared converter, as an import does."""
    order: Order = converter.structure(json.loads(json.dumps(record)), Order)
    return order


def test_the_same_seed_gives_the_same_orders() -> None:
    first = list(generate_orders(300, 50, seed=7))
    assert first == list(generate_orders(300, 50, seed=7))
    assert first != list(generate_orders(300, 50, seed=8))
    assert first[:100] != list(generate_orders(100, 50, seed=7))  # count spreads time


def test_every_generated_order_structures_into_an_order() -> None:
    statuses: Counter[OrderState] = Counter()
    for record in generate_orders(3000, 600, seed=11):
        statuses[structure(record).status] += 1
    assert statuses[OrderState.DELIVERED] > 2500
    assert statuses[OrderState.CANCELLED] > 0


def test_recent_orders_are_still_moving() -> None:
    """Orders of the last days are placed, in processing or shipped, not delivered."""
    count = 20_000
    recent = itertools.islice(generate_orders(count, seed=3), count - 60, None)
    statuses = {structure(record).status for record in recent}
    assert statuses & {OrderState.PROCESSING, OrderState.PLACED, OrderState.PARTIALLY_SHIPPED}
    assert OrderState.SHIPPED in statuses


def test_orders_look_real() -> None:
    records = list(generate_orders(5000, 1000, seed=1))
    numbers = [r["number"] for r in records]
    assert len(set(numbers)) == len(numbers)
    assert all(len(n) == 9 and n.isdigit() for n in numbers)
    placed = [datetime.fromisoformat(r["placed_at"]) for r in records]
    assert placed == sorted(placed)
    assert DEFAULT_UNTIL - timedelta(days=3 * 365) <= placed[0] < placed[-1] <= DEFAULT_UNTIL
    assert placed[-1] - placed[0] > timedelta(days=3 * 365 - 5)
    lines = Counter(len(r["lines"]) for r in records)
    assert set(lines) == {1, 2, 3, 4, 5, 6}
    assert any(len(r.get("packages", [])) > 1 for r in records)
    assert any(line["core_charge"] != "0.00 USD" for r in records for line in r["lines"])
    phones = [r["phone"] for r in records if "phone" in r]
    assert 0.6 < len(phones) / len(records) < 0.95
    for phone in phones[:500]:
        assert parse_phone(phone).e164 == phone  # valid for phonenumbers, not just possible
    # Some shoppers come back: fewer distinct emails than orders.
    assert len({r["email"] for r in records}) < len(records) * 0.5


def test_generation_streams() -> None:
    """Orders are made one at a time as they are read: a generator, not a list."""
    orders = generate_orders(100_000_000, seed=1)
    assert isinstance(orders, Iterator)
    assert not isinstance(orders, Sized)
    first = list(itertools.islice(orders, 3))
    assert len(first) == 3


def test_orders_end_at_until() -> None:
    until = datetime(2030, 6, 1, tzinfo=UTC)
    records = list(generate_orders(50, seed=2, until=until))
    assert datetime.fromisoformat(records[-1]["placed_at"]) <= until
    for record in records:
        for package in record.get("packages", []):
            for field in ("shipped_at", "delivered_at"):
                if field in package:
                    assert datetime.fromisoformat(package[field]) <= until


def test_the_catalogue() -> None:
    catalogue = sample_catalogue()
    assert 1900 <= len(catalogue) <= 2200
    assert len({part_number_key(p.part_number) for p in catalogue}) == len(catalogue)
    leaves = {p.category for p in catalogue}
    assert 40 <= len(leaves) <= 50
    assert {len(path) for path in leaves} == {2, 3}
    assert len({path[0] for path in leaves}) >= 8
    assert catalogue[0].part_number == "BP-1234"
    assert catalogue[0].category == ("Brake & Wheel Hub", "Brake Pad")
    assert any(p.core_charge_cents for p in catalogue)
    assert any(not p.returnable for p in catalogue)
    assert sample_catalogue() is catalogue  # built once


def test_demo_orders() -> None:
    orders = [structure(record) for record in demo_orders(datetime.now(UTC))]
    by_number = {order.number: order for order in orders}
    assert len(by_number) == len(orders)
    jane = [o for o in orders if o.email == structure(demo_orders(DEFAULT_UNTIL)[0]).email]
    assert {o.number for o in jane} == {"298310447", "301442518", "301977206", "302105733"}
    assert all(o.email.display == DEMO_EMAIL for o in jane)
    assert all(o.phone == parse_phone(DEMO_PHONE) for o in jane)
    assert by_number["301442518"].status is OrderState.DELIVERED
    assert by_number["301977206"].status is OrderState.PARTIALLY_SHIPPED
    assert by_number["302105733"].status is OrderState.PLACED
    assert by_number["301977206"].ledger(4).cancelled == 1


def test_the_walkthrough_adds_two_orders_of_janes_to_change_and_to_return() -> None:
    """The demo's two extra orders are Jane's: one untouched since an hour ago, one delivered
    inside the return window with a line that cannot come back."""
    now = datetime.now(UTC)
    orders = {o.number: o for o in map(structure, demo_walkthrough_orders(now))}
    assert set(orders) == {"302117468", "301990352"}
    assert all(o.email.display == DEMO_EMAIL for o in orders.values())
    assert all(o.phone == parse_phone(DEMO_PHONE) for o in orders.values())
    to_change, to_return = orders["302117468"], orders["301990352"]
    assert to_change.status is OrderState.PLACED
    assert to_change.placed_at == (now - timedelta(hours=1)).replace(microsecond=0)
    assert unshipped(to_change) == {1: 1, 2: 1}
    assert to_return.status is OrderState.DELIVERED
    assert delivered_within(to_return, now) == {True}
    assert [line.returnable for line in to_return.lines] == [True, False]


def test_the_cast_is_written_once_for_jane() -> None:
    """Every order of Jane's, the library's four and the demo's two, ships to one address."""
    now = datetime.now(UTC)
    records = [*demo_orders(now), *demo_walkthrough_orders(now)]
    numbers = [record["number"] for record in records]
    assert len(set(numbers)) == len(numbers) == 9
    janes = [record for record in records if record["email"] == DEMO_EMAIL]
    assert len(janes) == 6
    assert len({json.dumps(record["shipping_address"]) for record in janes}) == 1


def test_each_call_returns_records_of_its_own() -> None:
    """A caller that edits a record (the demo's import could) changes no later call's."""
    now = datetime.now(UTC)
    first = demo_walkthrough_orders(now)
    first[0]["shipping_address"]["name"] = "Mallory"
    first[1]["lines"].clear()
    assert demo_walkthrough_orders(now)[0]["shipping_address"]["name"] == "Jane Doe"
    assert demo_orders(now)[0]["shipping_address"]["name"] == "Jane Doe"
    assert len(demo_walkthrough_orders(now)[1]["lines"]) == 2


@given(offset=st.integers(-14 * 60, 14 * 60), seconds=st.integers(0, 10**9))
def test_the_cast_is_the_same_whatever_time_zone_now_is_given_in(offset: int, seconds: int) -> None:
    """The cast's times are UTC to the second: ``now`` in any zone gives the same records."""
    now = datetime.fromtimestamp(seconds + 0.25, UTC)
    local = now.astimezone(timezone(timedelta(minutes=offset)))
    assert demo_walkthrough_orders(local) == demo_walkthrough_orders(now)
    assert demo_orders(local) == demo_orders(now)


def unshipped(order: Order) -> dict[int, int]:
    """Line number -> units not shipped yet (awaiting or in processing): what may be cancelled."""
    ledgers = {line.line_no: order.ledger(line.line_no) for line in order.lines}
    units = {n: ledger.awaiting + ledger.processing for n, ledger in ledgers.items()}
    return {n: count for n, count in units.items() if count}


def delivered_within(order: Order, now: datetime) -> set[bool]:
    """For each delivered package, whether it came inside the return window."""
    return {now - p.delivered_at <= WINDOW for p in order.packages if p.delivered_at}


# Each example builds up to 400 orders into the model: slow, and no deadline applies.
@settings(max_examples=30, deadline=None)
@given(count=st.integers(len(RECENT_AGES), 400), seed=st.integers(0, 2**32))
def test_a_sample_made_today_has_orders_to_cancel_and_to_return(count: int, seed: int) -> None:
    """Whatever its size (from 7 orders) and seed, a sample ending today has orders not yet
    shipped, orders delivered inside the return window and orders past it."""
    orders = [structure(record) for record in generate_orders(count, seed=seed, until=TODAY)]
    assert any(unshipped(order) for order in orders)
    windows = set().union(*(delivered_within(order, TODAY) for order in orders))
    assert windows == {True, False}


def test_the_newest_orders_are_as_recent_as_recent_ages_say() -> None:
    """However few orders a sample has, its last ones are placed within RECENT_AGES."""
    for count in (len(RECENT_AGES), 50, 1000):
        newest = list(generate_orders(count, seed=4, until=TODAY))[-len(RECENT_AGES) :]
        ages = [TODAY - datetime.fromisoformat(r["placed_at"]) for r in newest]
        assert all(age <= floor for age, floor in zip(ages, RECENT_AGES, strict=True))


@pytest.fixture
def sample_desk() -> Iterator[OrderStatus]:
    """A store holding 60 sample orders made today, with its clock a few hours into today."""
    with OrderStatus.open(
        storage="memory://",
        mail=RecordingMailer(),
        labels=RecordingLabelMaker(Money("7.50", "USD")),
        clock=FixedClock(TODAY + timedelta(hours=9)),
    ) as desk:
        desk.import_orders(json.dumps(r) for r in generate_orders(60, seed=9, until=TODAY))
        yield desk


def guest_pass(desk: OrderStatus, order: Order) -> str:
    """A guest pass earned as a shopper earns it: the mailed code, typed back."""
    desk.request_guest_pass(order.email.display, order.number, client=order.number)
    mails = queued_mail(desk.context)
    (mail,) = [m for m in mails if isinstance(m, GuestPassMail) and m.order_number == order.number]
    granted = desk.verify_guest_code(order.number, mail.code, client=order.number)
    assert isinstance(granted, GuestPassGranted)
    return granted.token


def stored_orders(desk: OrderStatus) -> list[Order]:
    """The sample's orders as the store holds them, oldest first."""
    numbers = [record["number"] for record in generate_orders(60, seed=9, until=TODAY)]
    with desk.context.storage.unit_of_work() as uow:
        orders = [uow.orders.get(number) for number in numbers]
    assert None not in orders
    return [order for order in orders if order is not None]


def test_a_guest_cancels_a_sample_order_of_today(sample_desk: OrderStatus) -> None:
    """The newest sample order is not shipped: its shopper cancels it with a guest pass."""
    order = stored_orders(sample_desk)[-1]
    token = guest_pass(sample_desk, order)
    wanted = unshipped(order)
    assert wanted
    answer = sample_desk.guest(client="c", guest_pass=token).cancel_order(order.number, wanted)
    assert isinstance(answer, CancelAnswer)
    assert {line.line_no for line in answer.lines} == set(wanted)


def test_a_guest_returns_a_sample_order_delivered_last_week_but_not_last_quarter(
    sample_desk: OrderStatus,
) -> None:
    """A sample order delivered inside the window can be returned; one delivered before it
    is refused with ``window_closed``."""
    now = sample_desk.context.clock.now()
    orders = stored_orders(sample_desk)
    inside = next(o for o in reversed(orders) if delivered_within(o, now) == {True})
    outside = next(o for o in orders if delivered_within(o, now) == {False})

    token = guest_pass(sample_desk, inside)
    options = sample_desk.guest(client="c", guest_pass=token).return_options(
        inside.number, "return"
    )
    assert isinstance(options, ReturnOptions)
    line = next(line for line in options.lines if line.returnable)
    draft = ReturnDraft("return", "does_not_fit", {line.line_no: 1})
    answer = sample_desk.guest(client="c", guest_pass=token).request_return(inside.number, draft)
    assert isinstance(answer, ReturnAnswer)

    token = guest_pass(sample_desk, outside)
    options = sample_desk.guest(client="c", guest_pass=token).return_options(
        outside.number, "return"
    )
    assert isinstance(options, ReturnOptions)
    assert not any(line.returnable for line in options.lines)
    assert "window_closed" in {r.code for line in options.lines for r in line.refusals}


def test_a_small_sample_keeps_its_recent_orders_whole() -> None:
    """The seed Hypothesis found: 7 orders, the 45-day-old one drawn as cancelled, so the
    sample had no order past the return window. The recent orders keep every unit now."""
    orders = [structure(r) for r in generate_orders(7, seed=4211850320, until=TODAY)]
    assert any(unshipped(order) for order in orders)
    assert set().union(*(delivered_within(order, TODAY) for order in orders)) == {True, False}
