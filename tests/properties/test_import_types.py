"""An import reads every field of a record from its own JSON type only: a value of any other
type is refused with the line and the field's path, never converted (a quantity 2.7 is not
2, ``"yes"`` is not ``true``, ``null`` is not the text ``"None"``), and the generated
structure functions and the converter refuse it with the same error."""

from __future__ import annotations

import copy
import json
from typing import Any

import cattrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core import ImportRecordError, Order, OrderStatus, ValidationError
from orderstatus_core.serialization import converter, error_path
from orderstatus_core.services.importing import RecordParser
from orderstatus_core.testing import fake_context

#: A record of docs/import-format.md with every field set, optional ones included.
RECORD: dict[str, Any] = {
    "number": "123456789",
    "placed_at": "2026-11-01T10:00:00Z",
    "email": "Jane.Doe@Example.com",
    "phone": "+14155552671",
    "shipping_address": {
        "name": "Jane Doe",
        "line1": "1 Main St",
        "line2": "Apt 4",
        "city": "Springfield",
        "region": "IL",
        "postal_code": "62701",
        "country": "US",
    },
    "currency": "USD",
    "lines": [
        {
            "line_no": 1,
            "part_number": "BP-1234",
            "brand": "Wagner",
            "category": ["Brake & Wheel Hub", "Brake Pad"],
            "description": "Ceramic brake pad set, front",
            "quantity": 3,
            "unit_price": "24.99 USD",
            "core_charge": "0.00 USD",
            "returnable": False,
            "warranty_months": 12,
            "cancelled": 1,
            "returned": 0,
            "vehicle": {"year": 2019, "make": "Ford", "model": "F-150", "engine": "5.0L V8"},
        }
    ],
    "shipping": "9.95 USD",
    "tax": "12.40 USD",
    "packages": [
        {
            "package_id": "P1",
            "warehouse": "Chicago IL",
            "units": [{"line_no": 1, "quantity": 2}],
            "carrier": "UPS",
            "tracking_number": "1Z999AA10123456784",
            "opened_at": "2026-11-01T12:00:00Z",
            "shipped_at": "2026-11-02T15:30:00Z",
            "delivered_at": "2026-11-04T09:00:00Z",
        }
    ],
    "version": 1,
    "shipping_speed": "standard",
}

TEXT, NUMBER, BOOLEAN, LIST, OBJECT, NULL = "text", "number", "boolean", "list", "object", "null"

#: The JSON types each field is read from (docs/import-format.md): all others are refused.
ACCEPTED: dict[str, frozenset[str]] = {
    **dict.fromkeys(
        [
            "$.number",
            "$.placed_at",
            "$.email",
            "$.currency",
            "$.shipping",
            "$.tax",
            "$.shipping_speed",
            "$.shipping_address.name",
            "$.shipping_address.line1",
            "$.shipping_address.city",
            "$.shipping_address.postal_code",
            "$.shipping_address.country",
            "$.lines[0].part_number",
            "$.lines[0].brand",
            "$.lines[0].description",
            "$.lines[0].unit_price",
            "$.lines[0].core_charge",
            "$.packages[0].package_id",
            "$.packages[0].warehouse",
            "$.lines[0].vehicle.make",
            "$.lines[0].vehicle.model",
            "$.lines[0].vehicle.engine",
        ],
        frozenset({TEXT}),
    ),
    **dict.fromkeys(
        [
            "$.phone",
            "$.shipping_address.line2",
            "$.shipping_address.region",
            "$.packages[0].carrier",
            "$.packages[0].tracking_number",
            "$.packages[0].opened_at",
            "$.packages[0].shipped_at",
            "$.packages[0].delivered_at",
        ],
        frozenset({TEXT, NULL}),
    ),
    "$.lines[0].category": frozenset({TEXT, LIST}),
    **dict.fromkeys(
        [
            "$.version",
            "$.lines[0].line_no",
            "$.lines[0].quantity",
            "$.lines[0].warranty_months",
            "$.lines[0].cancelled",
            "$.lines[0].returned",
            "$.packages[0].units[0].line_no",
            "$.packages[0].units[0].quantity",
            "$.lines[0].vehicle.year",
        ],
        frozenset({NUMBER}),
    ),
    "$.lines[0].returnable": frozenset({BOOLEAN}),
    # Optional: a line bought for no vehicle in particular leaves it out or writes null.
    "$.lines[0].vehicle": frozenset({OBJECT, NULL}),
    **dict.fromkeys(["$.lines", "$.packages", "$.packages[0].units"], frozenset({LIST})),
    **dict.fromkeys(
        ["$.shipping_address", "$.lines[0]", "$.packages[0]", "$.packages[0].units[0]"],
        frozenset({OBJECT}),
    ),
}

#: Values of each JSON type; "number" is a whole number, a fraction is no number of ours.
VALUES: dict[str, tuple[Any, ...]] = {
    TEXT: ("", "2", "yes", "true", "null", "1.00 USD", "2026-11-01T10:00:00Z"),
    NUMBER: (0, 1, 2, -3, 2**64),
    "fraction": (2.7, 1.0, -0.5, 1e300, float("inf"), float("nan")),
    BOOLEAN: (True, False),
    LIST: ([], [1], ["a"], [{}]),
    OBJECT: ({}, {"a": 1}, {"line_no": 1, "quantity": 2}),
    NULL: (None,),
}

#: What the plain types' errors say they found, by JSON type.
FOUND = {TEXT: "text", NUMBER: "a number", LIST: "a list", OBJECT: "an object", NULL: "null"}
#: What the plain types' errors say they expect.
EXPECTED = {
    TEXT: "must be text",
    NUMBER: "must be a whole number",
    BOOLEAN: "must be true or false",
    LIST: "must be a list",
    OBJECT: "must be an object",
}
#: Fields whose own hook words the error (money, timestamps, identifiers, categories).
OWN_WORDS = {
    "$.placed_at",
    "$.email",
    "$.phone",
    "$.shipping",
    "$.tax",
    "$.lines[0].part_number",
    "$.lines[0].category",
    "$.lines[0].unit_price",
    "$.lines[0].core_charge",
    "$.packages[0].opened_at",
    "$.packages[0].shipped_at",
    "$.packages[0].delivered_at",
}


def _found(kind: str, value: Any) -> str:
    """How an error names ``value``, of JSON type ``kind``."""
    if kind == BOOLEAN:
        return "true" if value else "false"
    return repr(value) if kind == "fraction" else FOUND[kind]


def _places(node: Any, path: str = "$") -> dict[str, Any]:
    """Every value inside ``node`` by its path as an import error writes it."""
    if isinstance(node, dict):
        children = [(f"{path}.{key}", child) for key, child in node.items()]
    elif isinstance(node, list):
        children = [(f"{path}[{index}]", child) for index, child in enumerate(node)]
    else:
        return {}
    found: dict[str, Any] = {}
    for where, child in children:
        found[where] = child
        found.update(_places(child, where))
    return found


def _replaced(path: str, value: Any) -> dict[str, Any]:
    """A copy of :data:`RECORD` with the value at ``path`` replaced by ``value``."""
    record = copy.deepcopy(RECORD)
    steps = path[2:].replace("[", ".").replace("]", "").split(".")
    parent: Any = record
    for step in steps[:-1]:
        parent = parent[int(step)] if isinstance(parent, list) else parent[step]
    last = steps[-1]
    if isinstance(parent, list):
        parent[int(last)] = value
    else:
        parent[last] = value
    return record


def _refused(record: dict[str, Any]) -> ImportRecordError:
    with pytest.raises(ImportRecordError) as refused:
        OrderStatus(fake_context()).import_orders([json.dumps(record)])
    return refused.value


@st.composite
def wrongly_typed(draw: st.DrawFn) -> tuple[str, str, Any]:
    """A field of the record, a JSON type it is not read from, and a value of that type."""
    path = draw(st.sampled_from(sorted(ACCEPTED)))
    kinds = sorted({*VALUES} - ACCEPTED[path])
    kind = draw(st.sampled_from(kinds))
    return path, kind, draw(st.sampled_from(VALUES[kind]))


# --- the record and the table agree ------------------------------------------------------------


def test_the_full_record_is_imported() -> None:
    """The record every test spoils is itself a good one."""
    report = OrderStatus(fake_context()).import_orders([json.dumps(RECORD)])
    assert report.imported == 1


def test_every_field_of_the_record_has_its_json_types() -> None:
    """The table names every value of the record (category segments aside), so a field
    added to the format gets its types here too."""
    places = {path for path in _places(RECORD) if not path.startswith("$.lines[0].category[")}
    assert places == set(ACCEPTED)


# --- the property ---------------------------------------------------------------------------


@given(wrongly_typed())
def test_a_value_of_another_json_type_is_refused_at_its_field(case: tuple[str, str, Any]) -> None:
    """Any field given a value of a JSON type it is not read from is refused with the
    record's line and that field's path; a plain field's message says what it must be."""
    path, kind, value = case
    error = _refused(_replaced(path, value))
    assert (error.line, error.field) == (1, path)
    if path not in OWN_WORDS:
        expected = EXPECTED[next(iter(ACCEPTED[path] - {NULL}))]
        assert error.message == f"{expected}, not {_found(kind, value)}"


@given(wrongly_typed())
def test_the_converter_and_the_generated_functions_refuse_alike(
    case: tuple[str, str, Any],
) -> None:
    """The import's parser (generated functions first) and the converter alone give the
    same path and message for a wrongly typed field."""
    path, _kind, value = case
    record = _replaced(path, value)
    with pytest.raises((cattrs.BaseValidationError, ValidationError)) as slow:
        converter.structure(copy.deepcopy(record), Order)
    with pytest.raises(ImportRecordError) as fast:
        RecordParser().parse(1, json.dumps(record))
    assert (fast.value.field, fast.value.message) == error_path(slow.value)


# --- each kind of field, by example -------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("$.lines[0].quantity", 2.7, "must be a whole number, not 2.7"),
        ("$.lines[0].quantity", 2.0, "must be a whole number, not 2.0"),
        ("$.lines[0].quantity", "2", "must be a whole number, not text"),
        ("$.lines[0].quantity", True, "must be a whole number, not true"),
        ("$.lines[0].line_no", None, "must be a whole number, not null"),
        ("$.packages[0].units[0].quantity", [2], "must be a whole number, not a list"),
        ("$.version", "2", "must be a whole number, not text"),
        ("$.lines[0].warranty_months", 12.5, "must be a whole number, not 12.5"),
        ("$.lines[0].returnable", "yes", "must be true or false, not text"),
        ("$.lines[0].returnable", "false", "must be true or false, not text"),
        ("$.lines[0].returnable", 1, "must be true or false, not a number"),
        ("$.lines[0].returnable", None, "must be true or false, not null"),
        ("$.lines[0].brand", None, "must be text, not null"),
        ("$.lines[0].brand", 7, "must be text, not a number"),
        ("$.lines[0].brand", False, "must be text, not false"),
        ("$.number", 123456789, "must be text, not a number"),
        ("$.number", 1.5, "must be text, not 1.5"),
        ("$.currency", ["USD"], "must be text, not a list"),
        ("$.shipping_address.name", {"first": "Jane"}, "must be text, not an object"),
        ("$.shipping_address.line2", 4, "must be text, not a number"),
        ("$.packages[0].carrier", True, "must be text, not true"),
        ("$.shipping_speed", 1, "must be text, not a number"),
        ("$.lines", {"line_no": 1}, "must be a list, not an object"),
        ("$.packages", "P1", "must be a list, not text"),
        ("$.packages[0].units", {"line_no": 1, "quantity": 2}, "must be a list, not an object"),
        ("$.shipping_address", ["Jane Doe"], "must be an object, not a list"),
        ("$.lines[0]", "BP-1234", "must be an object, not text"),
        ("$.packages[0].units[0]", 1, "must be an object, not a number"),
        ("$.shipping", 9.95, "money must be text, not float"),
        ("$.placed_at", 1_700_000_000, "a timestamp must be text, not int"),
        ("$.email", None, "must be text, not NoneType"),
        ("$.phone", 4155552671, "a phone number must be text, not int"),
        ("$.lines[0].category", {"a": "b"}, "a category is a list of segments or text"),
        ("$.lines[0].vehicle", "2019 Ford F-150", "must be an object, not text"),
        ("$.lines[0].vehicle.year", "2019", "must be a whole number, not text"),
        ("$.lines[0].vehicle.engine", None, "must be text, not null"),
    ],
)
def test_a_wrong_type_is_refused_with_what_was_found(path: str, value: Any, message: str) -> None:
    """Each kind of field (whole number, boolean, text, optional text, list, object, money,
    timestamp, identifier, category) refuses a value of another JSON type, saying so."""
    error = _refused(_replaced(path, value))
    assert (error.line, error.field, error.message) == (1, path, message)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("$.phone", None),
        ("$.shipping_address.region", None),
        ("$.packages[0].delivered_at", None),
        ("$.lines[0].category", "Brake & Wheel Hub › Brake Pad"),
        ("$.lines[0].quantity", 2**5),
        ("$.lines[0].vehicle", None),
    ],
)
def test_a_value_of_an_accepted_type_is_still_read(path: str, value: Any) -> None:
    """The strictness takes nothing from what the format allows: ``null`` for an optional
    field, a category as text, a whole number."""
    report = OrderStatus(fake_context()).import_orders([json.dumps(_replaced(path, value))])
    assert report.imported == 1


def test_an_upsert_refuses_a_wrong_type_as_an_invalid_record() -> None:
    """The sync feed reads records as import does: a quantity 2.7 is refused with the
    import's own message, and nothing of that order is stored."""
    desk = OrderStatus(fake_context())
    report = desk.upsert_orders([json.dumps(_replaced("$.lines[0].quantity", 2.7))])
    [refusal] = report.refused
    assert (refusal.line, refusal.reason, refusal.field) == (
        1,
        "invalid_record",
        "$.lines[0].quantity",
    )
    assert refusal.message == "line 1: must be a whole number, not 2.7 @ $.lines[0].quantity"
    assert report.created == ()
