"""Bulk import from JSON Lines: all or nothing, errors with line number and field path."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest

from orderstatus_core import ImportRecordError
from orderstatus_core.services import ServiceContext, import_orders, read_json_lines
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
