"""Bulk import from JSON Lines: all or nothing, errors with line number and field path."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from orderstatus_core import (
    AdapterError,
    DuplicateOrderError,
    ImportRecordError,
    Order,
    serialization,
)
from orderstatus_core.sample import generate_orders
from orderstatus_core.services import ServiceContext, import_orders, read_json_lines
from orderstatus_core.services.importing import IMPORT_BATCH
from orderstatus_core.testing import fake_context


def record(number: str = "123456789", **overrides: Any) -> dict[str, Any]:
    """A valid import record."""
    data: dict[str, Any] = {
        "number": number,
        "placed_at": "2026-11-01T10:00:00Z",
        "email": "Jane.Doe@example.com",
        "phone": "+14155552671",
        "currency": "USD",
        "shipping_address": {
            "name": "Jane Doe",
            "line1": "742 Evergreen Terrace",
            "city": "Springfield",
            "region": "IL",
            "postal_code": "62701",
            "country": "US",
        },
        "shipping": "9.99 USD",
        "tax": "2.00 USD",
        "lines": [
            {
                "line_no": 1,
                "part_number": "BP-1234",
                "brand": "Wagner",
                "category": ["Brake & Wheel Hub", "Brake Pad"],
                "description": "Ceramic brake pads",
                "quantity": 2,
                "unit_price": "24.99 USD",
                "core_charge": "0 USD",
            }
        ],
        "packages": [
            {
                "package_id": "P1",
                "warehouse": "Columbus, OH",
                "carrier": "UPS",
                "tracking_number": "1Z999AA10123456784",
                "units": [{"line_no": 1, "quantity": 2}],
                "shipped_at": "2026-11-02T09:00:00Z",
            }
        ],
    }
    data.update(overrides)
    return data


def _stored(ctx: ServiceContext, *numbers: str) -> list[str]:
    with ctx.storage.unit_of_work() as uow:
        return [n for n in numbers if uow.orders.get(n) is not None]


def _fail(lines: list[str]) -> tuple[ImportRecordError, ServiceContext]:
    ctx = fake_context()
    with pytest.raises(ImportRecordError) as caught:
        import_orders(ctx, lines)
    return caught.value, ctx


def test_good_records_are_imported() -> None:
    """Every record of a valid file is stored; blank lines are skipped."""
    ctx = fake_context()
    lines = [json.dumps(record("100000001")), "", json.dumps(record("100000002"))]
    assert import_orders(ctx, lines).imported == 2
    assert _stored(ctx, "100000001", "100000002") == ["100000001", "100000002"]


def test_a_bad_record_names_its_line_and_path_and_nothing_is_kept() -> None:
    """Line 3 has a negative quantity: the error says so, lines 1 and 2 are not stored."""
    bad = record("100000003")
    bad["lines"][0]["quantity"] = -1
    error, ctx = _fail(
        [json.dumps(record("100000001")), json.dumps(record("100000002")), json.dumps(bad)]
    )
    assert error.line == 3
    assert error.field == "$.lines[0].quantity"
    assert str(error) == "line 3: must not be negative @ $.lines[0].quantity"
    assert _stored(ctx, "100000001", "100000002") == []


@pytest.mark.parametrize(
    ("text", "path", "message"),
    [
        ("{not json", "$", "is not valid JSON"),
        ("[1, 2]", "$", "a record is a JSON object"),
        (json.dumps(record(colour="red")), "$", "unknown field(s) colour"),
        (
            json.dumps({k: v for k, v in record().items() if k != "tax"}),
            "$.tax",
            "required field missing",
        ),
        (json.dumps(record(shipping="9.99 EUR")), "$.shipping", "is in EUR"),
        (json.dumps(record(shipping=9.99)), "$.shipping", "must be text"),
        (json.dumps(record(email="jane@@example.com")), "$.email", "is not an email address"),
        (json.dumps(record(placed_at="2026-11-01T10:00:00")), "$.placed_at", "time zone"),
        (json.dumps(record(number="'; DROP TABLE orders; --")), "$.number", "order number"),
        ("[" * 100_000, "$", "nested too deeply"),
    ],
)
def test_bad_records_say_what_and_where(text: str, path: str, message: str) -> None:
    """Each refusal carries the record's line number, the field path and a reason."""
    error, _ctx = _fail([json.dumps(record("100000001")), text])
    assert (error.line, error.field) == (2, path)
    assert message in error.message


def test_a_description_over_its_bound_is_refused() -> None:
    """Text bounds apply to imports too (SECURITY H3)."""
    bad = record()
    bad["lines"][0]["description"] = "x" * 501
    error, _ctx = _fail([json.dumps(bad)])
    assert error.field == "$.lines[0].description"


def test_the_same_number_twice_is_refused_with_the_second_line() -> None:
    """A file cannot hold one order twice."""
    error, ctx = _fail([json.dumps(record()), json.dumps(record())])
    assert (error.line, error.field) == (2, "$.number")
    assert _stored(ctx, "123456789") == []


def test_progress_is_reported() -> None:
    """The callback gets the final count."""
    ctx = fake_context()
    seen: list[int] = []
    import_orders(ctx, [json.dumps(record())], progress=seen.append)
    assert seen == [1]


class TestReadingFiles:
    """``read_json_lines`` reads bytes in constant memory and refuses bad encodings."""

    def test_lines_are_decoded_as_utf8(self) -> None:
        """Finnish and emoji pass through."""
        data = "äö 🚗\nsecond\n".encode()
        assert list(read_json_lines(io.BytesIO(data))) == ["äö 🚗\n", "second\n"]

    def test_invalid_utf8_names_its_line(self) -> None:
        """Latin-1 bytes are not UTF-8."""
        with pytest.raises(ImportRecordError, match="line 2: is not UTF-8"):
            list(read_json_lines(io.BytesIO(b"{}\n\xe4\xf6\n")))

    def test_an_overlong_record_is_refused_without_reading_it_whole(self) -> None:
        """A record longer than the bound stops the import at that line."""
        stream = io.BytesIO(b"{}\n" + b"x" * 100 + b"\n")
        with pytest.raises(ImportRecordError, match="line 2: the record is longer than 64 bytes"):
            list(read_json_lines(stream, max_record=64))
        assert stream.tell() < 100


class CountingOrders:
    """An order repository that notes every ``add`` and ``add_many`` of the unit it wraps,
    and fails every ``add_many`` with ``refuse`` if given (a storage failing)."""

    def __init__(
        self, inner: Any, calls: list[tuple[str, int]], refuse: Exception | None = None
    ) -> None:
        self._inner = inner
        self._calls = calls
        self._refuse = refuse

    def add(self, order: Order) -> None:
        self._calls.append(("add", 1))
        self._inner.add(order)

    def add_many(self, orders: Sequence[Order]) -> None:
        self._calls.append(("add_many", len(orders)))
        if self._refuse is not None:
            raise self._refuse
        self._inner.add_many(orders)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class CountingUnit:
    """A unit of work whose order repository is a :class:`CountingOrders`."""

    def __init__(self, inner: Any, calls: list[tuple[str, int]], refuse: Exception | None) -> None:
        self._inner = inner
        self._calls = calls
        self._refuse = refuse

    def __enter__(self) -> Any:
        unit = self._inner.__enter__()
        self.orders = CountingOrders(unit.orders, self._calls, self._refuse)
        return self

    def __exit__(self, *exc: object) -> None:
        self._inner.__exit__(*exc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


class CountingStorage:
    """The memory storage, noting what its units' order repositories are asked (and
    failing their bulk adds with ``refuse`` if given)."""

    def __init__(self, refuse: Exception | None = None) -> None:
        self.calls: list[tuple[str, int]] = []
        self._inner = fake_context().storage
        self._refuse = refuse

    def unit_of_work(self, write: bool = False, read_once: bool = False) -> CountingUnit:
        return CountingUnit(
            self._inner.unit_of_work(write=write, read_once=read_once), self.calls, self._refuse
        )

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _sample(count: int, seed: int = 21) -> list[str]:
    return [json.dumps(r) for r in generate_orders(count, seed=seed)]


def test_orders_go_to_the_storage_in_batches() -> None:
    """Two and a half batches of orders are stored with three ``add_many`` calls of at most
    IMPORT_BATCH, never one ``add`` per order."""
    storage = CountingStorage()
    count = IMPORT_BATCH * 5 // 2
    assert import_orders(fake_context(storage), _sample(count)).imported == count
    half = count - 2 * IMPORT_BATCH
    assert storage.calls == [("add_many", IMPORT_BATCH)] * 2 + [("add_many", half)]


def test_at_most_one_batch_of_orders_is_held() -> None:
    """The feed is read lazily: when a batch is stored, no more than the batch (and the one
    record that closed it) has been read."""
    read = 0

    def feed() -> Iterator[str]:
        nonlocal read
        for text in _sample(IMPORT_BATCH * 5 // 2):
            read += 1
            yield text

    read_at_store: list[int] = []
    original = CountingOrders.add_many

    def noting(self: CountingOrders, orders: Sequence[Order]) -> None:
        read_at_store.append(read)
        original(self, orders)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(CountingOrders, "add_many", noting)
        import_orders(fake_context(CountingStorage()), feed())
    batch = IMPORT_BATCH
    assert read_at_store == [batch + 1, 2 * batch + 1, batch * 5 // 2]


def test_a_repeat_in_a_later_batch_names_its_own_line() -> None:
    """Line 900 repeats the number of line 10: the error names line 900, as if each order
    were stored when read, and nothing is kept."""
    lines = _sample(1000)
    lines[899] = json.dumps({**json.loads(lines[899]), "number": json.loads(lines[9])["number"]})
    error, ctx = _fail(lines)
    assert (error.line, error.field) == (900, "$.number")
    assert "is already stored" in error.message
    assert _stored(ctx, json.loads(lines[0])["number"]) == []


def test_a_repeat_inside_one_batch_names_the_second_line() -> None:
    """Line 7 repeats line 3 within the first batch: line 7 is refused."""
    lines = _sample(20)
    lines[6] = json.dumps({**json.loads(lines[6]), "number": json.loads(lines[2])["number"]})
    error, _ctx = _fail(lines)
    assert (error.line, error.field) == (7, "$.number")


def test_a_stored_number_names_its_line() -> None:
    """A record whose order is stored already (from an earlier import) names its line."""
    ctx = fake_context()
    lines = _sample(30)
    import_orders(ctx, lines[12:13])
    with pytest.raises(ImportRecordError) as caught:
        import_orders(ctx, lines)
    assert (caught.value.line, caught.value.field) == (13, "$.number")
    assert _stored(ctx, json.loads(lines[0])["number"]) == []


def test_a_duplicate_before_a_bad_record_is_the_error_reported() -> None:
    """The first problem of the file wins: a stored number on line 5 is reported even
    though line 8 is not JSON (the batch before the bad record is stored first)."""
    ctx = fake_context()
    lines = _sample(10)
    import_orders(ctx, lines[4:5])
    lines[7] = "{not json"
    with pytest.raises(ImportRecordError) as caught:
        import_orders(ctx, lines)
    assert caught.value.line == 5


def test_a_bad_record_after_full_batches_keeps_nothing() -> None:
    """Line 1,100 is refused after two batches went to the unit: none of them is kept."""
    lines = _sample(1100)
    bad = json.loads(lines[-1])
    bad["lines"][0]["quantity"] = 0
    lines[-1] = json.dumps(bad)
    error, ctx = _fail(lines)
    assert error.line == 1100
    assert error.field == "$.lines[0].quantity"
    assert _stored(ctx, *(json.loads(text)["number"] for text in lines[:3])) == []


def test_a_line_that_cannot_be_read_after_a_duplicate_reports_the_duplicate() -> None:
    """A line that is not text comes after a repeated number: the repeat is reported."""
    lines: list[Any] = _sample(5)
    lines[3] = lines[1]
    lines.append(b"not text")
    error, _ctx = _fail(lines)
    assert error.line == 4


def test_progress_is_reported_every_thousand_orders() -> None:
    """2,500 orders report 1,000 and 2,000, then the final count."""
    seen: list[int] = []
    import_orders(fake_context(), _sample(2500), progress=seen.append)
    assert seen == [1000, 2000, 2500]


def test_each_distinct_email_is_validated_once_per_import(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The same shopper on many records costs one validation of the address per import;
    a second import validates it again (the memory lives for one import only)."""
    validated: list[object] = []
    real = serialization.parse_email

    def counted(value: object) -> Any:
        validated.append(value)
        return real(value)

    monkeypatch.setattr(serialization, "parse_email", counted)
    ctx = fake_context()
    first = [json.dumps(record(f"10000000{n}")) for n in range(1, 6)]
    second = [json.dumps(record(f"20000000{n}")) for n in range(1, 6)]
    import_orders(ctx, first)
    import_orders(ctx, second)
    assert validated == ["Jane.Doe@example.com", "Jane.Doe@example.com"]


def test_a_storage_failure_stops_the_import_and_keeps_nothing() -> None:
    """An ``AdapterError`` from the storage reaches the caller as it is; nothing commits."""
    storage = CountingStorage(refuse=AdapterError("the disk is full"))
    ctx = fake_context(storage)
    lines = _sample(3)
    with pytest.raises(AdapterError, match="the disk is full"):
        import_orders(ctx, lines)
    assert _stored(ctx, *(json.loads(text)["number"] for text in lines)) == []


def test_a_duplicate_the_batch_does_not_hold_is_not_pinned_on_a_line() -> None:
    """A storage naming a number it was not given gets its own error back, not a made-up
    line number."""
    ctx = fake_context(CountingStorage(refuse=DuplicateOrderError("999999999")))
    with pytest.raises(DuplicateOrderError):
        import_orders(ctx, _sample(3))
