"""Search a verified email's orders by part number or category, newest first, in pages."""

from __future__ import annotations

from datetime import timedelta

import pytest

from orderstatus_core import InvalidFieldError, ValidationError, parse_email
from orderstatus_core.services import ServiceContext, search_orders
from orderstatus_core.testing import fake_context
from orderstatus_core.testing.builders import PLACED_AT, line, make_order

JANE = parse_email("Jane.Doe@example.com")
PADS = ("Brake & Wheel Hub", "Brake Pad")
ROTORS = ("Brake & Wheel Hub", "Brake Rotor")
FILTERS = ("Engine", "Oil Filter")


@pytest.fixture
def ctx() -> ServiceContext:
    """Five orders of Jane's (newest last) and one of someone else with the same part."""
    context = fake_context()
    orders = [
        make_order("100000001", lines=[line(1, "BP-1234", category=PADS)]),
        make_order("100000002", lines=[line(1, "OF-9", category=FILTERS)]),
        make_order(
            "100000003", lines=[line(1, "RT-5", category=ROTORS), line(2, "BP1234", category=PADS)]
        ),
        make_order("100000004", lines=[line(1, "OF-9", category=FILTERS)]),
        make_order("100000005", lines=[line(1, "bp.12-34", category=PADS)]),
        make_order(
            "200000001", email="other@example.com", lines=[line(1, "BP-1234", category=PADS)]
        ),
    ]
    with context.storage.unit_of_work(write=True) as uow:
        for days, order in enumerate(orders):
            uow.orders.add(
                make_order(
                    order.number,
                    email=order.email.display,
                    lines=order.lines,
                    placed_at=PLACED_AT + timedelta(days=days),
                )
            )
        uow.commit()
    return context


def _numbers(page: object) -> list[str]:
    return [match.header.number for match in page.matches]  # type: ignore[attr-defined]


def test_a_part_number_matches_whatever_the_spacing(ctx: ServiceContext) -> None:
    """``bp 12.34`` finds BP-1234, BP1234 and bp.12-34; newest first; only Jane's."""
    page = search_orders(ctx, JANE, part_number="bp 12.34")
    assert _numbers(page) == ["100000005", "100000003", "100000001"]
    assert page.next_cursor is None


def test_only_matching_lines_are_returned(ctx: ServiceContext) -> None:
    """Each match carries the lines that matched, not the whole order."""
    page = search_orders(ctx, JANE, part_number="BP-1234")
    assert [ln.line_no for ln in page.matches[1].lines] == [2]


def test_a_parent_category_finds_its_children(ctx: ServiceContext) -> None:
    """*Brake & Wheel Hub* finds pads and rotors, not oil filters."""
    page = search_orders(ctx, JANE, category="brake & wheel hub")
    assert _numbers(page) == ["100000005", "100000003", "100000001"]
    assert [ln.line_no for ln in page.matches[1].lines] == [1, 2]


def test_a_leaf_category_finds_only_itself(ctx: ServiceContext) -> None:
    """*Brake Rotor* finds only the rotor line."""
    page = search_orders(ctx, JANE, category="Brake & Wheel Hub › Brake Rotor")
    assert _numbers(page) == ["100000003"]


def test_pages_cover_every_match_once(ctx: ServiceContext) -> None:
    """Following ``next_cursor`` visits each match exactly once, in order."""
    seen: list[str] = []
    cursor = None
    while True:
        page = search_orders(ctx, JANE, category="Brake & Wheel Hub", cursor=cursor, page_size=2)
        seen += _numbers(page)
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == ["100000005", "100000003", "100000001"]


def test_another_email_sees_only_its_own_orders(ctx: ServiceContext) -> None:
    """Search is scoped to the verified email."""
    other = parse_email("OTHER@example.com")
    assert _numbers(search_orders(ctx, other, part_number="BP-1234")) == ["200000001"]


@pytest.mark.parametrize(
    "hostile", ["' OR 1=1 --", "%", "_", "BP%", "x' UNION SELECT * FROM orders --"]
)
def test_sql_metacharacters_match_nothing(ctx: ServiceContext, hostile: str) -> None:
    """Search text is a value, never a pattern or SQL."""
    assert search_orders(ctx, JANE, part_number=hostile).matches == ()


def test_both_or_neither_query_is_an_error(ctx: ServiceContext) -> None:
    """Search by one thing at a time."""
    with pytest.raises(InvalidFieldError):
        search_orders(ctx, JANE)
    with pytest.raises(InvalidFieldError):
        search_orders(ctx, JANE, part_number="BP-1234", category="Engine")


@pytest.mark.parametrize("cursor", ["", "abc", "1-", "-X", "9" * 30 + "-1", "1-a b"])
def test_a_forged_cursor_is_refused(ctx: ServiceContext, cursor: str) -> None:
    """Only tokens the search wrote are accepted."""
    with pytest.raises(InvalidFieldError):
        search_orders(ctx, JANE, part_number="BP-1234", cursor=cursor)


@pytest.mark.parametrize("size", [0, -1, 101, True])
def test_page_size_is_bounded(ctx: ServiceContext, size: int) -> None:
    """1 to 100 results a page by default."""
    with pytest.raises(InvalidFieldError):
        search_orders(ctx, JANE, part_number="BP-1234", page_size=size)


@pytest.mark.parametrize("text", ["x" * 65, "", "line\nbreak"])
def test_malformed_part_numbers_are_refused(ctx: ServiceContext, text: str) -> None:
    """Over-long, empty or control-character part numbers are input errors."""
    with pytest.raises(ValidationError):
        search_orders(ctx, JANE, part_number=text)


def test_an_unverified_string_is_not_accepted_as_the_email(ctx: ServiceContext) -> None:
    """The caller must pass an EmailAddress it verified, not typed text."""
    with pytest.raises(InvalidFieldError):
        search_orders(ctx, "jane.doe@example.com", part_number="BP-1234")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "micros", [0, 1, 946_684_800_000_001, 1_700_000_000_123_457, 2_840_140_800_999_999]
)
def test_a_cursor_keeps_its_exact_microsecond(micros: int) -> None:
    """Page tokens round-trip exactly; a float timestamp would lose a microsecond."""
    from datetime import UTC, datetime

    from orderstatus_core.records import SearchCursor
    from orderstatus_core.services import decode_cursor, encode_cursor

    placed_at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros)
    cursor = SearchCursor(placed_at=placed_at, number="123456789")
    assert decode_cursor(encode_cursor(cursor)) == cursor


@pytest.mark.parametrize(
    ("by", "bad"),
    [
        ("part_number", "x" * 65),  # too long for a part number, short enough to be kept
        ("part_number", "BP-\x001234"),  # a control character
        ("part_number", "BP-\ud8001234"),  # a lone surrogate
        ("part_number", "   "),
        ("category", "Brake\x1f Pad"),
        ("category", "Brake › \u202eda"),  # a bidirectional override
        ("category", "x" * 81),
        ("category", "a › " * 8 + "a"),  # nine levels
        ("category", "' OR 1=1 --\x00"),
    ],
)
def test_a_refused_term_is_refused_again_with_the_same_error(
    ctx: ServiceContext, by: str, bad: str
) -> None:
    """Typed terms keep their parsed query; a refused one is never kept, so every search
    with it is refused again, with the same error."""
    errors = []
    for _ in range(3):
        with pytest.raises(ValidationError) as caught:
            search_orders(ctx, JANE, **{by: bad})  # type: ignore[arg-type]
        errors.append((type(caught.value), str(caught.value)))
    assert errors[0] == errors[1] == errors[2]


@pytest.mark.parametrize("bad", [123, ["Brake & Wheel Hub"], b"Engine"])
def test_a_term_that_is_not_text_is_refused_every_time(ctx: ServiceContext, bad: object) -> None:
    """Only text is kept with its parsed query; anything else is parsed (and refused) as
    before, whatever the kept queries hold."""
    search_orders(ctx, JANE, category="Brake & Wheel Hub")
    for _ in range(2):
        with pytest.raises(ValidationError):
            search_orders(ctx, JANE, part_number=bad)  # type: ignore[arg-type]


def test_a_kept_query_answers_what_a_fresh_one_does(ctx: ServiceContext) -> None:
    """The same typed text gives the same page each time, and part number and category
    terms with the same text are kept apart."""
    first = search_orders(ctx, JANE, category="brake & wheel hub")
    again = search_orders(ctx, JANE, category="brake & wheel hub")
    assert _numbers(first) == _numbers(again) == ["100000005", "100000003", "100000001"]
    assert _numbers(search_orders(ctx, JANE, part_number="Engine")) == []
    assert _numbers(search_orders(ctx, JANE, category="Engine")) == ["100000004", "100000002"]


def test_the_kept_queries_are_bounded() -> None:
    """A flood of distinct terms cannot grow the process: the kept queries are bounded."""
    from orderstatus_core.services import lookup

    for index in range(lookup._PARSED_QUERIES + 50):
        lookup._query(f"P-{index}", None)
    info = lookup._parsed_query.cache_info()
    assert info.maxsize == lookup._PARSED_QUERIES
    assert info.currsize <= lookup._PARSED_QUERIES
