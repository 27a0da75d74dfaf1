"""A converter made with ``remember`` parses each identifier text once and answers exactly as
the shared converter does."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import cattrs
import pytest

from orderstatus_core import serialization
from orderstatus_core.errors import ValidationError
from orderstatus_core.model import CategoryPath, EmailAddress, Money, Order, PartNumber, PhoneNumber
from orderstatus_core.sample import generate_orders
from orderstatus_core.serialization import converter, error_path, make_converter


def _counting(monkeypatch: pytest.MonkeyPatch, name: str) -> list[object]:
    """Record every call of ``serialization.<name>`` (the parsers the hooks call)."""
    calls: list[object] = []
    real: Callable[..., Any] = getattr(serialization, name)

    def counted(value: object, *args: object) -> Any:
        calls.append(value)
        return real(value, *args)

    monkeypatch.setattr(serialization, name, counted)
    return calls


def test_the_same_email_text_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """Three structurings of one address validate it once and share one value."""
    calls = _counting(monkeypatch, "parse_email")
    remembering = make_converter(remember=8)
    first, second, third = (
        remembering.structure(text, EmailAddress)
        for text in ("Jane@Example.com", "Jane@Example.com", "Jane@Example.com")
    )
    assert calls == ["Jane@Example.com"]
    assert first is second is third
    assert first == converter.structure("Jane@Example.com", EmailAddress)


def test_the_shared_converter_remembers_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without ``remember`` every text is validated every time."""
    calls = _counting(monkeypatch, "parse_phone")
    for _ in range(3):
        converter.structure("+14155552671", PhoneNumber)
    assert len(calls) == 3


def test_only_the_most_recent_texts_are_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """With ``remember=2`` a third address pushes out the least recently used one, which is
    parsed again when it comes back: the memory is bounded."""
    calls = _counting(monkeypatch, "parse_email")
    remembering = make_converter(remember=2)
    for text in ("a@example.com", "b@example.com", "c@example.com", "a@example.com"):
        remembering.structure(text, EmailAddress)
    assert calls == ["a@example.com", "b@example.com", "c@example.com", "a@example.com"]


def test_a_refused_text_is_refused_again_every_time(monkeypatch: pytest.MonkeyPatch) -> None:
    """Failures are never remembered: the same bad text is parsed and refused each time,
    with the same error."""
    calls = _counting(monkeypatch, "parse_email")
    remembering = make_converter(remember=8)
    errors = []
    for _ in range(2):
        with pytest.raises(ValidationError) as refused:
            remembering.structure("jane@@example.com", EmailAddress)
        errors.append(str(refused.value))
    assert len(calls) == 2
    assert errors[0] == errors[1]


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        (Money, 24.99),
        (Money, None),
        (EmailAddress, 7),
        (PhoneNumber, ["+14155552671"]),
        (PartNumber, True),
        (CategoryPath, ["Brake", 1]),
        (CategoryPath, {"Brake": "Pad"}),
    ],
)
def test_a_value_that_is_not_text_is_refused_as_without_memory(kind: Any, value: Any) -> None:
    """Only text is remembered; anything else meets the same checks and the same error as
    with the shared converter (``1`` is never answered from the entry of ``True``)."""
    remembering = make_converter(remember=8)
    with pytest.raises(ValidationError) as shared:
        converter.structure(value, kind)
    with pytest.raises(ValidationError) as remembered:
        remembering.structure(value, kind)
    assert type(remembered.value) is type(shared.value)
    assert str(remembered.value) == str(shared.value)


def test_a_category_as_a_list_or_as_text_is_remembered_by_its_segments() -> None:
    """``["Brake", "Pad"]`` and ``"Brake › Pad"`` give the value the shared converter gives,
    and a list seen before gives the same value again."""
    remembering = make_converter(remember=8)
    as_list = remembering.structure(["Brake", "Pad"], CategoryPath)
    assert remembering.structure(["Brake", "Pad"], CategoryPath) is as_list
    assert remembering.structure("Brake › Pad", CategoryPath) == as_list
    assert as_list == converter.structure(["Brake", "Pad"], CategoryPath)
    assert as_list.segments == ("Brake", "Pad")


def test_generated_orders_structure_equal_with_and_without_memory() -> None:
    """Hundreds of sample orders (shoppers, prices and parts repeating) come out equal."""
    remembering = make_converter(remember=64)
    for record in generate_orders(300, seed=11):
        data = json.loads(json.dumps(record))
        assert remembering.structure(data, Order) == converter.structure(data, Order)


@pytest.mark.parametrize(
    ("field", "bad"),
    [
        ("email", "jane@@example.com"),
        ("phone", "+1415555"),
        ("shipping", "9.99"),
        ("tax", "1.00 EUR"),
    ],
)
def test_a_bad_record_gets_the_same_path_and_message_after_good_ones(field: str, bad: str) -> None:
    """A record refused after others filled the memory is refused at the same path with
    the same message as by the shared converter."""
    remembering = make_converter(remember=64)
    records = [json.loads(json.dumps(r)) for r in generate_orders(20, seed=12)]
    for record in records:
        remembering.structure(record, Order)
    broken = {**records[3], field: bad}
    found = []
    for conv in (converter, remembering):
        with pytest.raises((cattrs.BaseValidationError, ValidationError)) as refused:
            conv.structure(broken, Order)
        found.append(error_path(refused.value))
    assert found[0] == found[1]
    assert found[0][0] == f"$.{field}"
