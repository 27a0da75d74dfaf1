"""The import's generated structure functions answer as the converter does: they vouch only
for records the converter accepts, with an equal value, and the import's parser built on
them accepts and refuses the same records as the converter, with the same errors."""

from __future__ import annotations

import copy
import doctest
import json
from datetime import timedelta
from decimal import Decimal
from typing import Any

import attrs
import cattrs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from orderstatus_core import ImportRecordError, ValidationError
from orderstatus_core import fast_structure as fast_structure_module
from orderstatus_core.fast_structure import Unvouched, fast_structure, vouching_structure
from orderstatus_core.model import Address, Money, Order, OrderLine, PackedUnits, Vehicle
from orderstatus_core.model.order import Package
from orderstatus_core.model.requests import CancelRequest, Refund
from orderstatus_core.sample import generate_orders
from orderstatus_core.serialization import converter, error_path, make_converter
from orderstatus_core.services.importing import RecordParser
from orderstatus_core.testing import strategies as ost
from orderstatus_core.testing.builders import PLACED_AT, make_order, package
from orderstatus_core.testing.contracts._support import examples

NESTED = (OrderLine, Package, PackedUnits, Address, Vehicle)
SAMPLE = tuple(json.loads(json.dumps(record)) for record in generate_orders(120, seed=17))


def _with_activity() -> dict[str, Any]:
    """A record with a cancel request and a refund (fields an import rarely has)."""
    order = make_order(packages=[package("P1", [(1, 1)])])
    request = CancelRequest("C1", 1, 1, "P1", PLACED_AT + timedelta(hours=1))
    zero = Money("0", "USD")
    refund = Refund("F1", PLACED_AT + timedelta(days=1), "problem_report", "R1",
                    Money("5", "USD"), zero, zero, zero)  # fmt: skip
    order = attrs.evolve(order, cancel_requests=(request,), refunds=(refund,))
    record: dict[str, Any] = json.loads(json.dumps(converter.unstructure(order)))
    return record


def _outcome(structure: Any, data: Any) -> tuple[str, Any]:
    """What a structure function makes of ``data``: the value, or the error's kind and its
    ``(path, message)`` as an import reports it."""
    try:
        return "built", structure(copy.deepcopy(data))
    except (cattrs.BaseValidationError, ValidationError) as error:
        return type(error).__name__, error_path(error)


def _same(one: Any, other: Any) -> bool:
    """Equal, display forms included (an email, a part number and a category compare by
    their keys alone)."""
    return bool(one == other) and converter.unstructure(one) == converter.unstructure(other)


# --- records with one thing changed ---------------------------------------------------------


def _richest_sample() -> dict[str, Any]:
    return next(r for r in SAMPLE if len(r["lines"]) > 1 and len(r.get("packages", ())) > 1)


def _with_every_field() -> dict[str, Any]:
    """A sample record that also sets the fields a feed may leave out."""
    record = copy.deepcopy(_richest_sample())
    record["shipping_address"]["line2"] = "Apt 4"
    record["lines"][0].update(returnable=False, warranty_months=12, cancelled=0, returned=0)
    record["lines"][0]["vehicle"] = {"year": 2019, "make": "Ford", "model": "F-150", "engine": "V8"}
    record["packages"][0]["opened_at"] = record["placed_at"]
    record.update(version=3, shipping_speed="expedited")
    return record


BASES = (_richest_sample(), _with_activity(), _with_every_field())

_INTS = (-1, 0, 1, 2, 500, 501, 1200, 1201, 100_000, 100_001, 2**62, 2**62 + 1, 2**64)
_TEXTS = (
    *("x" * n for n in (0, 1, 16, 17, 32, 33, 64, 65, 100, 101, 500, 501)),
    *("é" * n for n in (64, 65)),
    " ",
    "Ä b",
    "-1.00 USD",
    "1.00 EUR",
    "0 USD",
    "1.00001 USD",
)


def _variants(value: Any) -> list[Any]:
    """Values near ``value`` of its own JSON type, at the model's bounds, and of others."""
    # Every other JSON type too: the converter refuses each, never converts it.
    if isinstance(value, bool):
        return [not value, 0, 1, 1.0, "true", "false", None, [value], {}]
    if isinstance(value, int):
        others = [str(value), float(value), value + 0.5, True, None, [value], {"n": value}]
        return [*_INTS, value - 1, value + 1, *others]
    if isinstance(value, str):
        bad = [value + "\x00", value + "\u202e", "\u200b", value.upper(), value.lower()]
        others = [None, 7, 1.5, True, [value], {"text": value}]
        return [*_TEXTS, *bad, f" {value}", f"{value} ", f"é{value}", value * 2, *others]
    if isinstance(value, list):
        return [[], value[:1], [*value, *value[-1:]], value[::-1], "x", None, {}, 7]
    if isinstance(value, dict):
        return [{}, {**value, "colour": 1}, "x", None, [value], 7, True]
    return ["x", 0, [], {}]


def _places(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every value inside ``node`` (keys and list indexes)."""
    if isinstance(node, dict):
        items: list[tuple[Any, Any]] = list(node.items())
    elif isinstance(node, list):
        items = list(enumerate(node))
    else:
        return []
    return [
        place for key, child in items for place in [(*path, key), *_places(child, (*path, key))]
    ]


_DROP = object()


def _changed(record: Any, path: tuple[Any, ...], value: Any) -> Any:
    """A copy of ``record`` with the value at ``path`` replaced (or left out, ``_DROP``)."""
    record = copy.deepcopy(record)
    parent = record
    for step in path[:-1]:
        parent = parent[step]
    if value is _DROP:
        del parent[path[-1]]
    else:
        parent[path[-1]] = copy.deepcopy(value)
    return record


def _at(record: Any, path: tuple[Any, ...]) -> Any:
    for step in path:
        record = record[step]
    return record


_ODD = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.from_regex(r"-?[0-9]{1,4}(\.[0-9]{1,6})?( USD| EUR)?", fullmatch=True),
    st.sampled_from(["2026-11-02T09:00:00Z", "2020-01-01T00:00:00+02:00", "2026-11-02T09:00:00"]),
    st.sampled_from(["standard", "expedited", "+14155552671", "(415) 555-2671", "a@b.example"]),
    ost.hostile_text().filter(lambda text: len(text) < 300),
    st.lists(st.one_of(st.integers(0, 3), st.text(max_size=3)), max_size=3),
    st.dictionaries(st.sampled_from(["line_no", "quantity", "x"]), st.integers(0, 3), max_size=2),
)


@st.composite
def spoiled_records(draw: st.DrawFn) -> Any:
    """A valid record (a generated sample, a drawn order, one with activity) with one value
    anywhere in it replaced by a nearby or odd one, or left out."""
    record = draw(
        st.one_of(
            st.sampled_from(SAMPLE),
            ost.orders().map(lambda order: json.loads(json.dumps(converter.unstructure(order)))),
            st.sampled_from(BASES),
        )
    )
    path = draw(st.sampled_from(_places(record)))
    near = st.sampled_from([_DROP, *_variants(_at(record, path))])
    return _changed(record, path, draw(near | _ODD))


# --- the properties --------------------------------------------------------------------------


@settings(max_examples=examples(300), suppress_health_check=[HealthCheck.too_slow])
@given(spoiled_records())
def test_a_vouched_record_is_one_the_converter_accepts_equally(record: Any) -> None:
    """Whatever the generated function returns, the converter returns too, equal in every
    field; for anything else it raises, and the converter decides."""
    vouch = vouching_structure(converter, Order, *NESTED)
    try:
        vouched = vouch(copy.deepcopy(record))
    except Exception:  # any refusal leaves the record to the converter
        return
    kind, value = _outcome(lambda data: converter.structure(data, Order), record)
    assert kind == "built"
    assert _same(vouched, value)


@settings(max_examples=examples(300), suppress_health_check=[HealthCheck.too_slow])
@given(spoiled_records())
def test_fast_structure_accepts_and_refuses_as_the_converter(record: Any) -> None:
    """The same record gives the same order, or the same error at the same path with the
    same message, through the fast structure (on a remembering converter, as an import
    has) and through the shared converter."""
    fast = fast_structure(make_converter(remember=64), Order, *NESTED)
    ours = _outcome(fast, record)
    reference = _outcome(lambda data: converter.structure(data, Order), record)
    assert ours[0] == reference[0]
    if ours[0] == "built":
        assert _same(ours[1], reference[1])
    else:
        assert ours[1] == reference[1]


@settings(max_examples=examples(150), suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(spoiled_records(), min_size=1, max_size=4))
def test_the_import_parser_refuses_what_the_converter_refuses(records: list[Any]) -> None:
    """A feed parsed by one ``RecordParser`` (its memory filled by the records before)
    gives each record the converter's order or the converter's error, as an
    ``ImportRecordError`` of that line."""
    parser = RecordParser()
    for number, record in enumerate(records, start=1):
        text = json.dumps(record)
        kind, reference = _outcome(lambda data: converter.structure(data, Order), record)
        if kind == "built":
            assert _same(parser.parse(number, text), reference)
        else:
            with pytest.raises(ImportRecordError) as refused:
                parser.parse(number, text)
            assert (refused.value.line, refused.value.field) == (number, reference[0])
            assert refused.value.message == reference[1]


def test_every_value_of_a_record_at_its_bounds_is_answered_as_the_converter_does() -> None:
    """Every value of three full records, replaced in turn by each value near it (the
    model's bounds of length and range, other types, refused characters) or left out:
    the generated function vouches only for what the converter accepts, with an equal
    value, and the fast structure gives the converter's answer, error path and message
    included."""
    vouch = vouching_structure(converter, Order, *NESTED)
    fast = fast_structure(make_converter(remember=64), Order, *NESTED)
    tried = vouched = 0
    for base in BASES:
        for path in _places(base):
            for value in [_DROP, *_variants(_at(base, path))]:
                record = _changed(base, path, value)
                reference = _outcome(lambda data: converter.structure(data, Order), record)
                ours = _outcome(fast, record)
                assert ours[0] == reference[0], (path, value)
                assert ours[0] == "built" or ours[1] == reference[1], (path, value)
                tried += 1
                try:
                    value_vouched = vouch(copy.deepcopy(record))
                except Exception:  # noqa: S112 -- not vouched for: the converter's to answer
                    continue
                vouched += 1
                assert reference[0] == "built", (path, value)
                assert _same(value_vouched, reference[1]), (path, value)
    assert tried > 3000
    assert vouched > 500  # the bounds on both sides were reached


# --- the common case goes the fast way ----------------------------------------------------------


def test_every_sample_record_is_vouched_for() -> None:
    """The generated sample (what a store's feed looks like) never needs the converter."""
    vouch = vouching_structure(make_converter(remember=64), Order, *NESTED)
    for record in SAMPLE:
        assert _same(vouch(copy.deepcopy(record)), converter.structure(record, Order))


@given(ost.orders())
def test_every_valid_order_is_vouched_for(order: Order) -> None:
    """Any valid order, written as the converter writes it, is read back the fast way."""
    record = json.loads(json.dumps(converter.unstructure(order)))
    assert _same(vouching_structure(converter, Order, *NESTED)(record), order)


def test_a_record_with_requests_and_refunds_is_vouched_for() -> None:
    """Fields an import rarely has go through the converter's hooks, inside the fast way."""
    record = _with_activity()
    assert _same(
        vouching_structure(converter, Order, *NESTED)(record), converter.structure(record, Order)
    )


# --- what the generated function leaves to the converter --------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"line_no": "1", "quantity": 2},
        {"line_no": 1.0, "quantity": 2},
        {"line_no": True, "quantity": 2},
        {"line_no": 1, "quantity": 2, "colour": "red"},
        {"line_no": 1},
        [1, 2],
        {"line_no": 0, "quantity": 2},
    ],
)
def test_anything_but_the_plain_json_form_is_not_vouched_for(data: Any) -> None:
    """Text for a number, a float, a boolean, an unknown or missing key, a list, a number
    out of range: the generated function raises, whatever the converter then answers."""
    with pytest.raises((Unvouched, ValidationError, KeyError)):
        vouching_structure(converter, PackedUnits)(data)


@pytest.mark.parametrize(
    ("quantity", "message"),
    [("2", "must be a whole number, not text"), (0, "must be between 1 and 100000")],
)
def test_the_converter_answers_what_is_not_vouched_for(quantity: Any, message: str) -> None:
    """A record the generated function will not take is the converter's to answer: its
    error for a number written as text (never read as the number) and for a zero."""
    structure = fast_structure(converter, PackedUnits)
    with pytest.raises(cattrs.ClassValidationError) as refused:
        structure({"line_no": 1, "quantity": quantity})
    assert error_path(refused.value) == ("$.quantity", message)


def test_a_default_is_shared_not_rebuilt() -> None:
    """A field left out gets its default as the model converts it (``()`` for a tuple of
    packages), the same object every time."""
    vouch = vouching_structure(converter, Order, *NESTED)
    records = [copy.deepcopy(r) for r in SAMPLE if "packages" not in r][:2]
    first, second = (vouch(record) for record in records)
    assert first.packages == ()
    assert first.packages is second.packages


@attrs.frozen
class _Computed:
    value: int
    doubled: int = attrs.field(
        init=False, default=attrs.Factory(lambda s: 2 * s.value, takes_self=True)
    )


@attrs.frozen
class _Listed:
    items: list[int] = attrs.field(factory=list)


@attrs.frozen
class _Private:
    _secret: str


@attrs.frozen
class _Taking:
    value: int = attrs.field(converter=attrs.Converter(lambda v, s: v, takes_self=True))


@pytest.mark.parametrize("cls", [_Computed, _Listed, _Private, _Taking])
def test_a_class_the_generator_cannot_read_is_refused_when_generating(cls: type) -> None:
    """A field set by the class itself, a factory default, a private name (its key would
    differ from its name) or a converter that takes the instance: no function is made."""
    with pytest.raises(TypeError, match=cls.__name__):
        vouching_structure(converter, cls)


@given(st.text(max_size=70) | ost.hostile_text())
def test_a_text_rule_passes_exactly_what_check_text_passes(text: str) -> None:
    """A brand vouched for in a line is a brand ``OrderLine`` accepts: the inline shortcut
    of the text rule never lets through what the rule refuses."""
    record = copy.deepcopy(SAMPLE[0]["lines"][0])
    record["brand"] = text
    try:
        vouched = vouching_structure(converter, OrderLine)(record)
    except Exception:  # refused or not vouched for: the converter decides
        return
    assert vouched == converter.structure(record, OrderLine)
    assert vouched.brand == text


@given(st.integers(-(2**64), 2**64))
def test_a_count_rule_passes_exactly_the_numbers_in_range(count: int) -> None:
    """A quantity vouched for lies in the rule's range."""
    vouch = vouching_structure(converter, PackedUnits)
    try:
        units = vouch({"line_no": 1, "quantity": count})
    except ValidationError:
        assert not 1 <= count <= 100_000
    else:
        assert units.quantity == count
        assert 1 <= count <= 100_000


def test_money_amounts_stay_decimal() -> None:
    """Amounts come from the converter's money hook: exact decimals, as written."""
    order = vouching_structure(converter, Order, *NESTED)(copy.deepcopy(SAMPLE[0]))
    assert all(isinstance(line.unit_price.amount, Decimal) for line in order.lines)
    assert str(order.shipping) == SAMPLE[0]["shipping"]


def test_the_examples_in_the_docstrings_run() -> None:
    """The module's examples are true."""
    failed, attempted = doctest.testmod(fast_structure_module)
    assert attempted > 0
    assert failed == 0
