"""The shared SQL layer (orderstatus_sql): what both SQL adapters decide in one place."""

from __future__ import annotations

import ast
import sys
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import attrs
import pytest

import orderstatus_sql
from orderstatus_core import (
    AdapterError,
    CategoryPath,
    CategoryQuery,
    InvalidFieldError,
    PartNumber,
    PartNumberQuery,
    SchemaVersionError,
    Vehicle,
    parse_email,
)
from orderstatus_core.records import OrderHeader, OrderMatch
from orderstatus_sql import migrations, rows, search, statements, values
from orderstatus_sql.rows import (
    ChallengeRow,
    CreditRow,
    DocumentRow,
    LineRow,
    MessageRow,
    OrderRow,
    PackageRow,
    PassRow,
    ReplyRow,
    RowDecoder,
)
from support.paths import ROOT

PACKAGE = Path(orderstatus_sql.__file__).parent

T0 = datetime(2026, 11, 1, 10, 0, tzinfo=UTC)
DECODER = RowDecoder()


# --- what the package is -----------------------------------------------------------------


def _imported(path: Path) -> Iterator[str]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module


@pytest.mark.parametrize("path", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_the_shared_layer_imports_only_the_core_and_the_standard_library(path: Path) -> None:
    """No driver (sqlite3, psycopg) and no other adapter: both adapters can depend on it."""
    foreign = [
        name
        for name in _imported(path)
        if name.split(".")[0] not in {"orderstatus_core", "orderstatus_sql", "__future__"}
        and (name.split(".")[0] not in sys.stdlib_module_names or name == "sqlite3")
    ]
    assert foreign == []


def test_the_shared_layer_ships_in_the_wheel_and_is_no_plugin() -> None:
    """It is in the wheel's packages, and no entry point registers it with pluggy."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    packages = project["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
    assert "src/adapters/orderstatus_sql" in packages
    assert "orderstatus_sql" not in project["project"]["entry-points"]["orderstatus"].values()
    assert not hasattr(orderstatus_sql, "orderstatus_register_adapters")


# --- text and values -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("ABC-1", True), ("Öl-1", True), ("", True), ("x\ud800", False), (123, False), (None, False)],
)
def test_only_strings_a_driver_can_send_are_encodable(text: object, expected: bool) -> None:
    """A lone surrogate or a non-string can never have been stored: look-ups find nothing."""
    assert values.encodable(text) is expected


def test_a_cached_value_is_the_same_instance_for_the_same_stored_text() -> None:
    """Rows naming one price or part share one immutable value; the scale is kept."""
    assert values.money("24.990", "USD") is values.money("24.990", "USD")
    assert str(values.money("24.990", "USD").amount) == "24.990"
    assert values.part_number("bp 12.34", "BP1234") is values.part_number("bp 12.34", "BP1234")


def test_category_segments_are_joined_reversibly() -> None:
    """The stored display text splits back into the same segments."""
    path = CategoryPath(("Brake & Wheel Hub", "Brake Pad"))
    restored = values.category(values.joined_segments(path), path.key)
    assert restored.segments == path.segments
    assert restored.key == path.key


def test_qmark_turns_every_marker_into_sqlites() -> None:
    """The portable statements become SQLite's parameter style and nothing else changes."""
    assert statements.qmark(statements.RECORD_TRY) == (
        "INSERT INTO guest_pass_tries (order_number, selector, at) VALUES (?, ?, ?)"
    )
    assert all(
        "%" not in statements.qmark(getattr(statements, name))
        for name in statements.__all__
        if name.isupper()
    )


# --- search --------------------------------------------------------------------------------


def test_a_part_number_search_binds_its_canonical_key() -> None:
    """The display form of the part number never reaches SQL."""
    terms = search.search_terms(PartNumberQuery(PartNumber("bp 12.34")))
    assert terms.part_key == PartNumber("bp 12.34").canonical
    assert terms.category_key is None
    assert terms.key == terms.part_key


def test_a_category_search_binds_the_range_of_its_children() -> None:
    """[key + U+001F, key + U+0020) holds exactly the keys of the category's children."""
    path = CategoryPath(("Brakes",))
    terms = search.search_terms(CategoryQuery(path))
    low, high = search.category_range(path.key)
    assert (terms.category_key, terms.low, terms.high) == (path.key, low, high)
    assert terms.key == path.key
    child = CategoryPath(("Brakes", "Pads")).key
    sibling = CategoryPath(("Brakes2",)).key
    assert low <= child < high
    assert not low <= sibling < high


def test_an_unknown_query_is_refused() -> None:
    """Anything but the two query types is bad input, not an empty result."""
    with pytest.raises(InvalidFieldError):
        search.search_terms("BP-1234")  # type: ignore[arg-type]


def _search_row(number: str, placed_at: int, line_no: int) -> tuple[Any, ...]:
    line = (
        line_no,
        "BP-1",
        "BP1",
        "Wagner",
        "Brakes",
        "brakes",
        "Pad",
        1,
        "1.00",
        "0",
        1,
        None,
        0,
        0,
        line_no - 1,
        None,  # bought for no vehicle in particular
    )
    return (number, placed_at, "jane@example.com", "USD", *line)


def _three_orders(read: list[tuple[Any, ...]]) -> Iterator[tuple[Any, ...]]:
    """Search rows of orders 3 (two lines), 2 and 1, newest first, each noted in ``read``
    as it is taken; reading past the last fails."""
    for row in [
        _search_row("3", 30, 1),
        _search_row("3", 30, 2),
        _search_row("2", 20, 1),
        _search_row("1", 10, 1),
    ]:
        read.append(row)
        yield row
    raise AssertionError("read to the end")


def test_folding_stops_at_the_first_row_after_the_page() -> None:
    """A cursor is never read past the first row of the order after the limit."""
    read: list[tuple[Any, ...]] = []

    groups = search.fold(_three_orders(read), 1)
    assert [(head[0], [line[0] for line in lines]) for head, lines in groups] == [("3", [1, 2])]
    assert len(read) == 3


def test_matches_come_newest_first_with_lines_by_number_whatever_the_row_order() -> None:
    """PostgreSQL's join returns rows in any order; the port promises one."""
    rows_ = [_search_row("1", 10, 2), _search_row("2", 20, 1), _search_row("1", 10, 1)]
    matches = DECODER.matches(search.fold(rows_, 10), "jane@example.com")
    assert [m.header.number for m in matches] == ["2", "1"]
    assert [line.line_no for line in matches[1].lines] == [1, 2]


def test_one_pass_matches_stop_at_the_first_row_after_the_page() -> None:
    """Built from rows newest first, the matches read no further than fold does."""
    read: list[tuple[Any, ...]] = []

    matches = DECODER.newest_matches(_three_orders(read), 2, "jane@example.com")
    assert [(m.header.number, [line.line_no for line in m.lines]) for m in matches] == [
        ("3", [1, 2]),
        ("2", [1]),
    ]
    assert len(read) == 4


def test_one_pass_matches_equal_the_folded_ones() -> None:
    """For rows in the statement's order, one pass builds what fold and matches build,
    the last order's match included, and an empty result for no rows."""
    rows_ = [
        _search_row("3", 30, 1),
        _search_row("3", 30, 4),
        _search_row("2", 20, 2),
        _search_row("1", 10, 1),
    ]
    for limit in (1, 2, 3, 10):
        folded = DECODER.matches(search.fold(rows_, limit), "jane@example.com")
        assert DECODER.newest_matches(rows_, limit, "jane@example.com") == folded
    assert DECODER.newest_matches([], 10, "jane@example.com") == []


def test_one_pass_matches_sort_lines_a_statement_gave_out_of_order() -> None:
    """The port promises line_no order even if a statement's join ever changes order."""
    rows_ = [_search_row("1", 10, 3), _search_row("1", 10, 1), _search_row("1", 10, 2)]
    (match,) = DECODER.newest_matches(rows_, 10, "jane@example.com")
    assert [line.line_no for line in match.lines] == [1, 2, 3]


def test_one_pass_matches_share_an_address_only_for_the_same_stored_text() -> None:
    """Orders placed with the same address text share its value; another text (another
    case) gets its own, as ``recent()`` restores each under the given key."""
    other = (*_search_row("1", 10, 1)[:2], "Jane@Example.com", *_search_row("1", 10, 1)[3:])
    rows_ = [_search_row("3", 30, 1), _search_row("2", 20, 1), other]
    newest, middle, oldest = DECODER.newest_matches(rows_, 10, "jane@example.com")
    assert newest.header.email is middle.header.email
    assert oldest.header.email.display == "Jane@Example.com"
    assert oldest.header.email.canonical == "jane@example.com"


@pytest.mark.parametrize(
    "row",
    [
        ("7", "not a time", *_search_row("7", 10, 1)[2:]),
        ("7", None, *_search_row("7", 10, 1)[2:]),
        ("7", 10),  # a row of another shape
    ],
)
def test_an_unreadable_search_header_is_one_adapter_error(row: tuple[Any, ...]) -> None:
    """A corrupt order column in a search row raises AdapterError naming the order."""
    with pytest.raises(AdapterError, match="order header '7' is unreadable"):
        RowDecoder(instant=_strict_instant).newest_matches([row], 10, "jane@example.com")


def test_search_terms_are_kept_per_key_and_equal_those_worked_out_afresh() -> None:
    """The terms of a key are computed from its text alone: a second query of the same
    key gets the same (immutable) terms, equal to a fresh computation."""
    first = search.search_terms(CategoryQuery(CategoryPath(("Brakes", "Pads"))))
    again = search.search_terms(CategoryQuery(CategoryPath(("brakes", "pads"))))
    assert again is first
    key = CategoryPath(("Brakes", "Pads")).key
    assert first == search.SearchTerms(None, key, *search.category_range(key))
    part = search.search_terms(PartNumberQuery(PartNumber("BP-12.34")))
    assert search.search_terms(PartNumberQuery(PartNumber("bp 1234"))) is part
    assert part == search.SearchTerms(PartNumber("bp1234").canonical, None, "", "")


def test_a_match_and_its_header_are_the_values_the_model_builds() -> None:
    """The decoder restores headers and matches without attrs' ``__init__`` (a search
    page's fixed cost): they must still be equal to, hash like and stay as frozen as the
    values the model's own constructors build from the same fields."""
    (match,) = DECODER.matches(search.fold([_search_row("7", T0, 1)], 10), "jane@example.com")
    header = OrderHeader(number="7", placed_at=T0, email=parse_email("jane@example.com"))
    assert type(match) is OrderMatch
    assert type(match.header) is OrderHeader
    assert match.header == header
    assert hash(match.header) == hash(header)
    assert match == OrderMatch(header=header, lines=match.lines)
    assert hash(match) == hash(OrderMatch(header=header, lines=match.lines))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        match.lines = ()  # type: ignore[misc]
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        match.header.number = "8"  # type: ignore[misc]
    assert DECODER.header("7", T0, "jane@example.com", "jane@example.com") == header


# --- decoding rows -------------------------------------------------------------------------


def test_headers_keep_the_row_order_and_restore_each_email_under_the_given_key() -> None:
    """Both SQL adapters' ``recent()`` list headers as the statement sorted them."""
    later = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    rows_ = [("2", later, "Jane@Example.com"), ("1", T0, "jane@example.com")]
    headers = DECODER.headers(rows_, "jane@example.com")
    assert [(h.number, h.placed_at) for h in headers] == [("2", later), ("1", T0)]
    assert [h.email.display for h in headers] == ["Jane@Example.com", "jane@example.com"]
    assert DECODER.headers([], "jane@example.com") == []


@pytest.mark.parametrize(
    "row",
    [
        ("1", "not a time", "jane@example.com"),  # a placed_at the decoder cannot read
        ("1", None, "jane@example.com"),
        ("1", T0),  # a row of another shape
        ("1", T0, "jane@example.com", "extra"),
    ],
)
def test_an_unreadable_header_row_is_one_adapter_error(row: tuple[Any, ...]) -> None:
    """A corrupt row in ``recent()`` raises AdapterError, like every other decoder."""
    with pytest.raises(AdapterError, match="unreadable"):
        RowDecoder(instant=_strict_instant).headers([row], "jane@example.com")


def _order_row(**changes: Any) -> OrderRow:
    row = OrderRow(
        placed_at=T0,
        email="Jane@Example.com",
        email_key="jane@example.com",
        phone=None,
        currency="USD",
        ship_name="Jane",
        ship_line1="1 Main",
        ship_line2="Apt 2",
        ship_city="Springfield",
        ship_region="IL",
        ship_postal_code="62701",
        ship_country="US",
        shipping="9.99",
        tax="2.00",
        version=1,
        shipping_speed="standard",
        activity=None,
    )
    return row._replace(**changes)


def _line_row(**changes: Any) -> LineRow:
    row = LineRow(
        line_no=2,
        part_number="bp 12.34",
        part_key=PartNumber("bp 12.34").canonical,
        brand="Wagner",
        category="Brakes\x1fPads",
        category_key=CategoryPath(("Brakes", "Pads")).key,
        description="Pads",
        quantity=3,
        unit_price="24.990",
        core_charge="0",
        returnable=1,
        warranty_months=12,
        cancelled=1,
        returned=0,
        position=0,
        vehicle=None,
    )
    return row._replace(**changes)


def test_a_lines_vehicle_is_rebuilt_from_its_joined_column() -> None:
    """The vehicle column (year, make, model, engine joined by U+001F) is the line's
    Vehicle; NULL is none; a column of another shape is the one corrupt-row error."""
    line = DECODER.line(_line_row(vehicle="2019\x1fFord\x1fF-150\x1f5.0L V8"), "USD")
    assert line.vehicle == Vehicle(2019, "Ford", "F-150", "5.0L V8")
    assert DECODER.line(_line_row(), "USD").vehicle is None
    for corrupt in ("2019\x1fFord\x1fF-150", "year\x1fFord\x1fF-150\x1fV8"):
        with pytest.raises(AdapterError, match="unreadable"):
            DECODER.line(_line_row(vehicle=corrupt), "USD")


def test_an_order_is_rebuilt_from_its_named_columns() -> None:
    """Each named column lands in its field (rows built by keyword, so the decoder's order
    of columns is the row type's): stored keys reused, amounts keep their scale."""
    order = DECODER.order("123456789", _order_row(), [_line_row()], ())
    assert (order.number, order.placed_at, order.email.canonical) == (
        "123456789",
        T0,
        "jane@example.com",
    )
    address = order.shipping_address
    assert (address.line2, address.city, address.region, address.postal_code) == (
        "Apt 2",
        "Springfield",
        "IL",
        "62701",
    )
    assert (str(order.shipping.amount), str(order.tax.amount)) == ("9.99", "2.00")
    (line,) = order.lines
    assert (line.line_no, line.part_number.display, line.category.segments) == (
        2,
        "bp 12.34",
        ("Brakes", "Pads"),
    )
    assert (line.quantity, str(line.unit_price.amount), line.returnable) == (3, "24.990", True)
    assert (line.warranty_months, line.cancelled, line.returned) == (12, 1, 0)


@pytest.mark.parametrize(
    "changes",
    [
        {"shipping_speed": "warp"},
        {"shipping": "not a number"},
        {"activity": []},
        {"activity": {"cancel_requests": [{"x": 1}]}},
        {"placed_at": "yesterday"},
    ],
    ids=["speed", "amount", "activity-shape", "activity-content", "instant"],
)
def test_an_unreadable_order_row_is_one_error(changes: dict[str, Any]) -> None:
    """Whatever is wrong with the row, the reader raises AdapterError naming the order."""
    decoder = RowDecoder(instant=_strict_instant)
    with pytest.raises(AdapterError, match="order 123456789 is unreadable"):
        decoder.order("123456789", _order_row(**changes), (), ())


def _strict_instant(value: Any) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"not an instant: {value!r}")
    return value


@pytest.mark.parametrize(
    ("read", "row", "what"),
    [
        (DECODER.line, _line_row(unit_price="x"), "order line 2"),
        (
            DECODER.package,
            PackageRow("P1", "Columbus", None, None, None, None, None),
            "package 'P1'",
        ),
    ],
)
def test_an_unreadable_line_or_package_is_one_error(read: Any, row: Any, what: str) -> None:
    """A bad amount or bad units fail as AdapterError too."""
    argument = "USD" if isinstance(row, LineRow) else [(1,)]
    with pytest.raises(AdapterError, match=what):
        read(row, argument)


def test_an_unreadable_message_challenge_pass_entry_reply_or_document_is_one_error() -> None:
    """Every other row type fails the same way, each naming what it was."""
    cases = [
        (
            lambda: DECODER.message(MessageRow("M1", T0, {"kind": "nonsense"}, 0, None, None)),
            "outbox message M1",
        ),
        (lambda: DECODER.message(MessageRow("M1", T0, "{", 0, None, None)), "outbox message M1"),
        (
            lambda: DECODER.challenge(ChallengeRow("S", "1", "short", "short", T0, T0, 3, 0)),
            "challenge",
        ),
        (lambda: DECODER.guest_pass(PassRow("S", "short", "1", T0, T0)), "guest pass"),
        (lambda: DECODER.credit_entry(CreditRow("e1", "h", "USD", "x", T0, "r")), "entry e1"),
        (
            lambda: RowDecoder(instant=_strict_instant).reply(ReplyRow("k", "f", "r", "now")),
            "idempotent reply",
        ),
        (
            lambda: DECODER.stored_document("RMA-1", DocumentRow("1", "doc", "x", "f.pdf", b"")),
            "RMA-1",
        ),
    ]
    for read, what in cases:
        with pytest.raises(AdapterError, match=what):
            read()


def test_row_parameters_convert_instants_as_the_adapter_stores_them() -> None:
    """Challenge and pass parameters come from one place; instants through the adapter."""
    from datetime import timedelta

    from orderstatus_core import GuestPass

    issued = GuestPass.issue("GuestPass-0000000000001", "W" * 43, "1", T0, timedelta(minutes=30))
    row = PassRow.of(issued, lambda moment: moment.year)
    assert row == PassRow(issued.selector, issued.validator_hash, "1", 2026, 2026)
    assert DECODER.guest_pass(PassRow.of(issued)) == issued


# --- migrations ----------------------------------------------------------------------------


class _Database:
    """A migration target in memory, recording what the runner does."""

    def __init__(self, version: int = 0, *, fail_at: int | None = None) -> None:
        self.version = version
        self.fail_at = fail_at
        self.log: list[str] = []

    @contextmanager
    def migration_transaction(self) -> Iterator[None]:
        before = self.version
        self.log.append("begin")
        try:
            yield
        except BaseException:
            self.version = before
            self.log.append("rollback")
            raise
        self.log.append("commit")

    def schema_version(self) -> int:
        return self.version

    def apply_migration(self, target: int) -> None:
        assert target == self.version + 1
        self.version = target
        self.log.append(f"apply {target}")
        if target == self.fail_at:
            raise RuntimeError("migration failed")


def test_the_runner_applies_each_pending_migration_in_its_own_transaction() -> None:
    """Version 1 to 3 of 3: two migrations applied, each committed alone."""
    database = _Database(1)
    assert migrations.migrate(database, "db://x", 3, 3) == 3
    assert database.log == [
        "begin",
        "commit",
        "begin",
        "apply 2",
        "commit",
        "begin",
        "apply 3",
        "commit",
    ]


def test_a_failed_migration_keeps_the_ones_before_it() -> None:
    """The failing step rolls back alone; the previous version stays."""
    database = _Database(0, fail_at=2)
    with pytest.raises(RuntimeError):
        migrations.migrate(database, "db://x", 3, 3)
    assert database.version == 1


@pytest.mark.parametrize("found", [4, 9])
def test_a_newer_database_is_refused_and_left_alone(found: int) -> None:
    """A schema the code does not know is never touched."""
    database = _Database(found)
    with pytest.raises(SchemaVersionError):
        migrations.migrate(database, "db://x", 3, 3)
    assert database.version == found
    assert not any(entry.startswith("apply") for entry in database.log)


@pytest.mark.parametrize("found", [0, 2, 4])
def test_a_unit_refuses_any_other_schema_version(found: int) -> None:
    """Older or newer, the version must be the code's."""
    with pytest.raises(SchemaVersionError):
        migrations.check_version("db://x", found, 3)
    migrations.check_version("db://x", 3, 3)


def test_rekeying_gives_the_parameters_of_both_updates() -> None:
    """Only the keys that changed are written, as (new key, id) pairs."""
    orders, credit = migrations.rekeyed(
        [
            ("1", "straße@example.com", "strasse@example.com"),
            ("2", "strasse@example.com", "strasse@example.com"),
        ],
        [("refund:1:R1", "strasse@example.com", "USD", Decimal("5"))],
    )
    assert orders == [("straße@example.com", "1")]
    assert credit == [("straße@example.com", "refund:1:R1")]


def test_every_row_type_is_exported() -> None:
    """The row types are the package's public vocabulary."""
    assert {"OrderRow", "LineRow", "PackageRow", "RowDecoder"} <= set(rows.__all__)
