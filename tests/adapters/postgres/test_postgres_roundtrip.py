"""What goes in comes out: every field, hostile text, ordering, search and the outbox."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from orderstatus_core import (
    Address,
    CategoryPath,
    CategoryQuery,
    Money,
    Order,
    OrderListMail,
    OutboxMessage,
    Package,
    PackedUnits,
    PartNumber,
    PartNumberQuery,
    SearchCursor,
    parse_email,
)
from orderstatus_postgres import PostgresStorage
from support.pg_helpers import T0, order, order_line, shipped_package

HOSTILE = [
    "'; DROP TABLE orders; --",
    'Robert"); DELETE FROM order_lines WHERE ("1"="1',
    "100% off_sale \\ %_ LIKE '%'",
    "Hyvää päivää, Äänekoski öljynsuodatin",
    "مرشح الزيت للسيارة",
    "ברקס 🚗🔧👩‍🔧",
]


def put(storage: PostgresStorage, *orders: object) -> None:
    with storage.unit_of_work(write=True) as uow:
        for each in orders:
            uow.orders.add(each)  # type: ignore[arg-type]
        uow.commit()


def get(storage: PostgresStorage, number: str) -> Order | None:
    with storage.unit_of_work() as uow:
        return uow.orders.get(number)


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_and_unicode_text_round_trips_in_every_field(
    pg_storage: PostgresStorage, text: str
) -> None:
    """SQL metacharacters, emoji, Finnish and RTL text are stored and read back as is."""
    line = order_line(
        1,
        part=text[:60],
        category=(text[:80], "Öljy › ja %_"),
        brand=text[:64],
        description=text,
    )
    package = Package(
        package_id="P-1_x",
        warehouse=text[:64],
        units=(PackedUnits(1, 1),),
        carrier=text[:32],
        tracking_number=text[:64],
        shipped_at=T0 + timedelta(hours=1),
    )
    email = parse_email("jäne.o'brien+%_@exämple.fi")
    subject = order(
        email=email,
        lines=[line],
        packages=[package],
        shipping_address=Address(
            name=text[:100],
            line1=text[:100],
            line2=text[:100],
            city=text[:64],
            region=text[:64],
            postal_code=text[:16],
            country="FI",
        ),
    )
    put(pg_storage, subject)
    assert get(pg_storage, "100001") == subject
    with pg_storage.unit_of_work() as uow:
        [header] = uow.orders.recent(email.canonical, 5)
        assert header.email.display == email.display
        [match] = uow.orders.search(email.canonical, PartNumberQuery(PartNumber(text[:60])), 5)
        assert match.lines == (line,)
        [match] = uow.orders.search(email.canonical, CategoryQuery(CategoryPath((text[:80],))), 5)
        assert match.lines == (line,)
    # The tables are all still there.
    put(pg_storage, order("100002"))
    assert get(pg_storage, "100002") == order("100002")


def test_hostile_text_as_a_lookup_key_finds_nothing(pg_storage: PostgresStorage) -> None:
    """Keys that are not canonical (or that PostgreSQL cannot even hold: NUL, a lone
    surrogate) find nothing and break nothing, in read and in write units."""
    put(pg_storage, order())
    keys = [*HOSTILE, "x" * 100_000, "\ud800", "100001\x00", "\x00", "%", "_"]
    for write in (False, True):
        with pg_storage.unit_of_work(write=write) as uow:
            for key in keys:
                assert uow.orders.get(key) is None
                assert uow.orders.recent(key, 10) == []
                assert uow.orders.search(key, PartNumberQuery(PartNumber("BP-1234")), 10) == []
                assert uow.passes.get_challenge(key) is None
                assert uow.passes.latest_challenge(key) is None
                assert uow.passes.get_pass(key) is None
                assert uow.idempotency.get(key) is None


def test_every_field_round_trips_exactly(pg_storage: PostgresStorage) -> None:
    """Optional fields, money scales, microseconds and tuple orders come back unchanged."""
    lines = [
        order_line(
            3,
            "Z-9",
            unit_price=Money(Decimal("0.0001"), "USD"),
            core_charge=Money(Decimal("999999999999.9999"), "USD"),
            returnable=False,
            warranty_months=1200,
            quantity=5,
            cancelled=1,
        ),
        order_line(1, "A-1", unit_price=Money("1E+2", "USD"), quantity=3),
        order_line(2, "M-5"),
    ]
    packages = [
        Package(
            package_id="Z",
            warehouse="Reno, NV",
            units=(PackedUnits(3, 1), PackedUnits(1, 2)),
            shipped_at=T0 + timedelta(seconds=1, microseconds=1),
            delivered_at=T0 + timedelta(days=3, microseconds=999_999),
        ),
        shipped_package("A", units=[(2, 2), (1, 1)]),
        Package(package_id="pending", warehouse="Reno, NV", units=(PackedUnits(3, 2),)),
    ]
    subject = order(
        "9ZZ000000000000000000000000000000"[:32],
        placed_at=T0 + timedelta(microseconds=123_457),
        lines=lines,
        packages=packages,
        phone=None,
        shipping_address=Address(
            name="N", line1="L", city="C", postal_code="P", country="US", line2=None, region=None
        ),
        version=2**62,
    )
    put(pg_storage, subject)
    back = get(pg_storage, subject.number)
    assert back == subject
    assert back is not None
    assert [line.line_no for line in back.lines] == [3, 1, 2]
    assert [p.package_id for p in back.packages] == ["Z", "A", "pending"]


def test_recent_is_newest_first_with_ties_by_number(pg_storage: PostgresStorage) -> None:
    """placed_at descending, then number descending; only that email; at most limit."""
    put(
        pg_storage,
        order("100001", placed_at=T0),
        order("100003", placed_at=T0 + timedelta(days=1)),
        order("100002", placed_at=T0 + timedelta(days=1)),
        order("100004", placed_at=T0 - timedelta(days=1)),
        order("100005", "other@example.com", placed_at=T0 + timedelta(days=9)),
    )
    with pg_storage.unit_of_work() as uow:
        numbers = [h.number for h in uow.orders.recent("jane@example.com", 3)]
        assert numbers == ["100003", "100002", "100001"]
        assert len(uow.orders.recent("jane@example.com", 10)) == 4
        assert uow.orders.recent("jane@example.com", 0) == []
        assert uow.orders.recent("nobody@example.com", 10) == []


def test_search_by_part_number_pages_with_a_cursor(pg_storage: PostgresStorage) -> None:
    """Matches newest first, with all matching lines, strictly after the cursor."""
    hit = order_line(1, "BP-1234")
    miss = order_line(2, "R-77")
    also = order_line(3, "bp 12.34")
    put(
        pg_storage,
        order("100001", placed_at=T0, lines=[hit, miss]),
        order("100002", placed_at=T0 + timedelta(days=1), lines=[miss]),
        order("100003", placed_at=T0 + timedelta(days=2), lines=[hit, miss, also]),
        order("100004", placed_at=T0 + timedelta(days=2), lines=[also]),
        order("100005", "other@example.com", placed_at=T0, lines=[hit]),
    )
    query = PartNumberQuery(PartNumber("BP1234"))
    with pg_storage.unit_of_work() as uow:
        first = uow.orders.search("jane@example.com", query, 2)
        assert [(m.header.number, m.lines) for m in first] == [
            ("100004", (also,)),
            ("100003", (hit, also)),
        ]
        last = first[-1].header
        cursor = SearchCursor(placed_at=last.placed_at, number=last.number)
        rest = uow.orders.search("jane@example.com", query, 2, after=cursor)
        assert [(m.header.number, m.lines) for m in rest] == [("100001", (hit,))]


def test_search_by_category_finds_the_category_and_its_children_only(
    pg_storage: PostgresStorage,
) -> None:
    """'Brake' finds Brake and Brake › Pad, not 'Brakes' or 'Brake Fluid'."""
    brake = order_line(1, "A", category=("Brake",))
    pad = order_line(2, "B", category=("BRAKE", "Pad"))
    brakes = order_line(3, "C", category=("Brakes",))
    fluid = order_line(4, "D", category=("Brake Fluid", "DOT 4"))
    put(pg_storage, order(lines=[brake, pad, brakes, fluid]))
    with pg_storage.unit_of_work() as uow:
        [match] = uow.orders.search("jane@example.com", CategoryQuery(CategoryPath("brake")), 5)
        assert match.lines == (brake, pad)
        [match] = uow.orders.search(
            "jane@example.com", CategoryQuery(CategoryPath("Brake › pad")), 5
        )
        assert match.lines == (pad,)


def mail(number: str) -> OrderListMail:
    return OrderListMail(to=parse_email("Jane@Example.com"), order_numbers=(number,))


def test_outbox_is_due_oldest_first_and_leaves_when_sent(pg_storage: PostgresStorage) -> None:
    """due(): unsent, next attempt unset or passed, by created_at then message id."""
    later = T0 + timedelta(minutes=5)
    with pg_storage.unit_of_work(write=True) as uow:
        uow.outbox.put(OutboxMessage("b", T0, mail("1")))
        uow.outbox.put(OutboxMessage("a", T0, mail("2")))
        uow.outbox.put(OutboxMessage("c", T0 - timedelta(seconds=1), mail("3")))
        uow.outbox.put(OutboxMessage("d", T0, mail("4"), next_attempt_at=later))
        uow.commit()
    with pg_storage.unit_of_work(write=True) as uow:
        assert [m.message_id for m in uow.outbox.due(T0, 10)] == ["c", "a", "b"]
        assert [m.message_id for m in uow.outbox.due(later, 10)] == ["c", "a", "b", "d"]
        assert [m.message_id for m in uow.outbox.due(later, 2)] == ["c", "a"]
        assert uow.outbox.due(T0, 10)[0] == OutboxMessage("c", T0 - timedelta(seconds=1), mail("3"))
        uow.outbox.mark_sent("a", later)
        uow.outbox.mark_failed("b", "SMTP 451 '; DROP TABLE outbox; --", later)
        uow.outbox.mark_failed("a", "too late: already sent", later)
        uow.outbox.mark_sent("unknown", later)
        uow.outbox.mark_failed("unknown", "nothing", later)
        uow.commit()
    with pg_storage.unit_of_work() as uow:
        assert uow.outbox.pending_count() == 3
        assert [m.message_id for m in uow.outbox.due(T0, 10)] == ["c"]
        failed = [m for m in uow.outbox.due(later, 10) if m.message_id == "b"]
        assert failed == [
            OutboxMessage(
                "b",
                T0,
                mail("1"),
                attempts=1,
                next_attempt_at=later,
                last_error="SMTP 451 '; DROP TABLE outbox; --",
            )
        ]


def test_putting_a_message_id_again_replaces_it_but_not_its_sent_mark(
    pg_storage: PostgresStorage,
) -> None:
    """As in the memory adapter: a re-put sent message stays sent."""
    with pg_storage.unit_of_work(write=True) as uow:
        uow.outbox.put(OutboxMessage("a", T0, mail("1")))
        uow.outbox.put(OutboxMessage("a", T0, mail("2")))
        assert [m.intent for m in uow.outbox.due(T0, 10)] == [mail("2")]
        uow.outbox.mark_sent("a", T0)
        uow.outbox.put(OutboxMessage("a", T0, mail("3")))
        assert uow.outbox.pending_count() == 0
        assert uow.outbox.due(T0, 10) == []


def test_an_error_text_postgresql_cannot_hold_is_kept_readable(pg_storage: PostgresStorage) -> None:
    """mark_failed keeps a relay error with NUL or a lone surrogate (a diagnostic from a
    mail server, not data): NUL becomes U+FFFD, the surrogate '?'; the rest is kept."""
    with pg_storage.unit_of_work(write=True) as uow:
        uow.outbox.put(OutboxMessage("a", T0, mail("1")))
        uow.outbox.mark_failed("a", "550 bad\x00byte \ud800 here", T0)
        uow.outbox.mark_sent("no\x00such", T0)
        uow.commit()
    with pg_storage.unit_of_work() as uow:
        (failed,) = uow.outbox.due(T0, 10)
    assert failed.last_error == "550 bad\ufffdbyte ? here"
    assert failed.attempts == 1
