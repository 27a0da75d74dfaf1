"""The converter's own hooks for ``X | None`` and ``tuple[X, ...]``, and the addresses an
import remembers, answer exactly as cattrs' generic hooks and the shared converter do."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import cattrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core import serialization
from orderstatus_core.errors import ValidationError
from orderstatus_core.model import Address, Order, PackedUnits
from orderstatus_core.model._checks import utc
from orderstatus_core.sample import generate_orders
from orderstatus_core.serialization import converter, error_path, make_converter


@pytest.fixture(scope="module")
def cattrs_own() -> cattrs.Converter:
    """The library's converter with cattrs' generic optional and tuple hooks left in place."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(serialization, "_bind_element_hooks", lambda _conv: None)
        return make_converter()


def _record() -> dict[str, Any]:
    """A sample record with lines and packages, as JSON gives it."""
    shipped = next(r for r in generate_orders(50, seed=3) if r.get("packages"))
    record: dict[str, Any] = json.loads(json.dumps(shipped))
    return record


def _spoil(path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    record = _record()
    if path[0] == "lines":
        record["lines"] = [*record["lines"], copy.deepcopy(record["lines"][0])]
        record["lines"][-1]["line_no"] = 99
    target: Any = record
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return record


@pytest.mark.parametrize(
    ("path", "value"),
    [
        (("lines", -1, "quantity"), -1),
        (("lines", -1, "brand"), "\u202ebrand"),
        (("lines", -1, "unit_price"), 12.5),
        (("lines",), {"line_no": 1}),
        (("lines",), "not a list"),
        (("lines",), []),
        (("packages", 0, "units"), [{"line_no": 1, "quantity": 0}]),
        (("packages", 0, "units"), [{"line_no": 1, "quantity": 1}, "x"]),
        (("packages", 0, "carrier"), 5),
        (("packages", 0, "shipped_at"), "yesterday"),
        (("packages", 0, "delivered_at"), None),
        (("packages",), [None]),
        (("phone",), None),
        (("phone",), "+1 nope"),
        (("shipping_address", "region"), None),
        (("shipping_address", "line2"), "x" * 101),
    ],
)
def test_records_are_refused_or_built_as_by_cattrs_own_hooks(
    cattrs_own: cattrs.Converter, path: tuple[Any, ...], value: Any
) -> None:
    """A record with one field changed, good or bad, gives the same order or the same
    error (type, path and message) as cattrs' generic hooks give."""
    record = _spoil(path, value)
    outcomes = []
    for conv in (converter, cattrs_own, make_converter(remember=8)):
        try:
            outcomes.append(("built", conv.structure(copy.deepcopy(record), Order)))
        except (cattrs.BaseValidationError, ValidationError) as error:
            outcomes.append((type(error).__name__, error_path(error)))
    assert outcomes[0] == outcomes[1] == outcomes[2]


def test_tuples_not_given_as_lists_go_to_cattrs_own_hook(cattrs_own: cattrs.Converter) -> None:
    """A tuple or a generator of items (not what JSON gives, but allowed) is structured as
    cattrs does it."""
    units = ({"line_no": 1, "quantity": 2}, {"line_no": 2, "quantity": 1})
    for passed in (units, (each for each in units)):
        expected = cattrs_own.structure(list(units), tuple[PackedUnits, ...])
        assert converter.structure(passed, tuple[PackedUnits, ...]) == expected


def test_sample_orders_come_out_equal_to_cattrs_own_hooks(cattrs_own: cattrs.Converter) -> None:
    """Hundreds of generated orders structure equal through both sets of hooks."""
    for record in generate_orders(200, seed=13):
        data = json.loads(json.dumps(record))
        assert converter.structure(data, Order) == cattrs_own.structure(data, Order)


def test_an_address_seen_before_is_the_same_value() -> None:
    """The same address text on two records gives one shared, equal value; another key
    order gives an equal one."""
    remembering = make_converter(remember=8)
    address = _record()["shipping_address"]
    first = remembering.structure(dict(address), Address)
    assert remembering.structure(dict(address), Address) is first
    assert remembering.structure(dict(reversed(address.items())), Address) == first
    assert first == converter.structure(dict(address), Address)


@pytest.mark.parametrize(
    "change",
    [{"name": ""}, {"name": 7}, {"region": None}, {"country": "usa"}, {"line1": "a\x00b"}],
)
def test_an_address_is_refused_or_built_as_without_memory(change: dict[str, Any]) -> None:
    """An address with a value that is not text, or with bad text, is built or refused
    exactly as the shared converter does it, every time it comes."""
    remembering = make_converter(remember=8)
    address = {**_record()["shipping_address"], **change}
    outcomes = []
    for conv in (converter, remembering, remembering):
        try:
            outcomes.append(("built", conv.structure(dict(address), Address)))
        except (cattrs.BaseValidationError, ValidationError) as error:
            outcomes.append((type(error).__name__, error_path(error)))
    assert outcomes[0] == outcomes[1] == outcomes[2]


def test_an_instant_already_in_utc_is_kept_as_it_is() -> None:
    """``utc`` returns a UTC instant itself; another zone is converted; naive is refused."""
    moment = datetime(2026, 11, 1, 10, tzinfo=UTC)
    assert utc(moment) is moment
    eastern = datetime(2026, 11, 1, 5, tzinfo=timezone(timedelta(hours=-5)))
    assert utc(eastern) == moment
    assert utc(eastern).tzinfo is UTC
    with pytest.raises(ValidationError, match="time zone"):
        utc(datetime(2026, 11, 1, 10))


def _instant_as_defined(text: Any) -> tuple[str, Any]:
    """What a timestamp is defined to read as: ISO 8601 text of at most 40 characters with
    a zone, as the UTC instant; else the refusal's message."""
    if not isinstance(text, str):
        return "refused", f"a timestamp must be text, not {type(text).__name__}"
    try:
        parsed = datetime.fromisoformat(text) if len(text) <= 40 else None
    except ValueError:
        parsed = None
    if parsed is None:
        return "refused", "is not an ISO 8601 timestamp"
    try:
        return "read", utc(parsed)
    except ValidationError as error:
        return "refused", error.message


@given(
    st.one_of(
        st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat().replace("+00:00", "Z")),
        st.datetimes(timezones=st.timezones()).map(datetime.isoformat),
        st.datetimes().map(datetime.isoformat),
        st.text(max_size=45),
        st.integers(),
        st.none(),
    )
)
def test_a_timestamp_reads_as_defined_in_utc_or_any_zone(text: Any) -> None:
    """An instant written in UTC (the common case, read without the general path), in
    another zone or none, or no timestamp at all: the same instant or the same refusal."""
    try:
        answer: tuple[str, Any] = ("read", converter.structure(text, datetime))
    except ValidationError as error:
        answer = ("refused", error.message)
    assert answer == _instant_as_defined(text)
    if answer[0] == "read":
        assert answer[1].tzinfo is UTC
