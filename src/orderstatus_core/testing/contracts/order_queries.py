"""The conformance suite of the order queries: ``recent`` and ``search``.

Part of :class:`~orderstatus_core.testing.contracts.OrderRepositoryContract`; pick it alone
for a read model that answers the queries but stores orders elsewhere.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core.contacts import parse_email
from orderstatus_core.model import (
    CategoryPath,
    PartNumber,
)
from orderstatus_core.ports import Storage
from orderstatus_core.records import (
    CategoryQuery,
    PartNumberQuery,
    SearchCursor,
)
from orderstatus_core.testing.builders import (
    PLACED_AT,
    line,
    make_order,
    order_of_two_lines,
)
from orderstatus_core.testing.contracts._support import (
    _PROPERTY,
    StorageSuite,
    _every_page,
    _fresh,
    _fresh_email,
    _newest_first,
    _numbers,
    _search,
    _store,
)

__all__ = ["OrderQueriesContract"]


class OrderQueriesContract(StorageSuite):
    """The query half of the :class:`~orderstatus_core.ports.OrderRepository` contract:
    ``recent`` and ``search`` with their ordering, tie breaks, limits, cursors and the
    canonical keys they match.

    Needs a fixture ``storage``: a fresh, migrated, empty storage for each test.
    """

    def test_recent_is_newest_first_with_ties_by_number_descending(self, storage: Storage) -> None:
        """``recent`` orders by ``placed_at`` descending, then by ``number`` descending."""
        hour = timedelta(hours=1)
        orders = [
            make_order(number="A100", placed_at=PLACED_AT),
            make_order(number="A300", placed_at=PLACED_AT + hour),
            make_order(number="A200", placed_at=PLACED_AT + hour),
            make_order(number="B100", placed_at=PLACED_AT - hour),
            make_order(number="A99", placed_at=PLACED_AT + hour),
        ]
        _store(storage, *orders)
        with storage.unit_of_work() as uow:
            found = uow.orders.recent("jane.doe@example.com", 10)
        assert _numbers(found) == ["A99", "A300", "A200", "A100", "B100"]

    def test_recent_headers_carry_the_order_fields(self, storage: Storage) -> None:
        """A header holds the order's number, placing time and email."""
        order = make_order(number="123456789")
        _store(storage, order)
        with storage.unit_of_work() as uow:
            (header,) = uow.orders.recent(order.email.canonical, 10)
        assert (header.number, header.placed_at, header.email) == (
            order.number,
            order.placed_at,
            order.email,
        )

    def test_recent_stops_at_limit(self, storage: Storage) -> None:
        """``recent`` answers at most ``limit`` orders, the newest ones."""
        orders = [
            make_order(number=f"10000000{i}", placed_at=PLACED_AT + timedelta(days=i))
            for i in range(5)
        ]
        _store(storage, *orders)
        with storage.unit_of_work() as uow:
            found = uow.orders.recent("jane.doe@example.com", 2)
        assert _numbers(found) == ["100000004", "100000003"]

    def test_recent_finds_orders_by_canonical_email_only(self, storage: Storage) -> None:
        """``recent`` finds the orders of one canonical email, however its display differs."""
        _store(
            storage,
            make_order(number="111111111", email="Jane.Doe@Example.COM"),
            make_order(number="222222222", email="jane.doe@example.com"),
            make_order(number="333333333", email="jane.doe@example.org"),
            make_order(number="444444444", email="john@example.com"),
        )
        with storage.unit_of_work() as uow:
            found = uow.orders.recent("jane.doe@example.com", 10)
        assert sorted(_numbers(found)) == ["111111111", "222222222"]

    def test_recent_of_an_unknown_email_is_empty(self, storage: Storage) -> None:
        """``recent`` for an email with no orders answers nothing."""
        _store(storage, make_order())
        with storage.unit_of_work() as uow:
            assert list(uow.orders.recent("nobody@example.com", 10)) == []

    def test_search_by_part_number_matches_canonical_keys(self, storage: Storage) -> None:
        """'bp-12.34' finds 'BP1234' and 'B P 1234', never 'BP12345' or 'BP123'."""
        email = parse_email("jane.doe@example.com")
        _store(
            storage,
            make_order(number="111111111", lines=[line(1, "BP1234")]),
            make_order(number="222222222", lines=[line(1, "B P 1234")]),
            make_order(number="333333333", lines=[line(1, "BP12345")]),
            make_order(number="444444444", lines=[line(1, "BP123")]),
        )
        found = _search(storage, email, PartNumberQuery(PartNumber("bp-12.34")))
        assert sorted(found) == ["111111111", "222222222"]

    def test_search_by_category_finds_it_and_the_categories_below(self, storage: Storage) -> None:
        """A category finds lines in itself and in any category below it."""
        email = parse_email("jane.doe@example.com")
        _store(
            storage,
            make_order(number="111111111", lines=[line(1, category=["Brake & Wheel Hub"])]),
            make_order(
                number="222222222", lines=[line(1, category=["Brake & Wheel Hub", "Brake Pad"])]
            ),
            make_order(
                number="333333333",
                lines=[line(1, category=["Brake & Wheel Hub", "Rotor", "Vented"])],
            ),
            make_order(number="444444444", lines=[line(1, category=["Engine", "Oil Filter"])]),
        )
        found = _search(storage, email, CategoryQuery(CategoryPath("Brake & Wheel Hub")))
        assert sorted(found) == ["111111111", "222222222", "333333333"]

    def test_search_by_category_never_matches_a_sibling_sharing_a_prefix(
        self, storage: Storage
    ) -> None:
        """'Brake' finds neither 'Brakes' nor 'Brake Pad': categories match by whole segments."""
        email = parse_email("jane.doe@example.com")
        _store(
            storage,
            make_order(number="111111111", lines=[line(1, category=["Brake", "Pad"])]),
            make_order(number="222222222", lines=[line(1, category=["Brakes", "Pad"])]),
            make_order(number="333333333", lines=[line(1, category=["Brake Pad"])]),
            make_order(number="444444444", lines=[line(1, category=["Brake_", "Pad"])]),
        )
        found = _search(storage, email, CategoryQuery(CategoryPath("Brake")))
        assert found == ["111111111"]

    def test_search_by_a_child_category_never_finds_its_parent(self, storage: Storage) -> None:
        """A category below finds nothing filed only under the category above it."""
        email = parse_email("jane.doe@example.com")
        _store(storage, make_order(number="111111111", lines=[line(1, category=["Brake"])]))
        found = _search(storage, email, CategoryQuery(CategoryPath(["Brake", "Pad"])))
        assert found == []

    def test_search_by_category_ignores_case_and_spacing(self, storage: Storage) -> None:
        """Category segments compare by canonical key: case and runs of spaces do not matter."""
        email = parse_email("jane.doe@example.com")
        _store(
            storage,
            make_order(number="111111111", lines=[line(1, category=["Brake & Wheel Hub", "Pad"])]),
        )
        query = CategoryQuery(CategoryPath(["  brake &  WHEEL hub "]))
        assert _search(storage, email, query) == ["111111111"]

    def test_search_by_category_treats_like_wildcards_as_text(self, storage: Storage) -> None:
        """'%' and '_' in a category are ordinary characters, not wildcards."""
        email = parse_email("jane.doe@example.com")
        _store(
            storage,
            make_order(number="111111111", lines=[line(1, category=["Brakes", "Pad"])]),
            make_order(number="222222222", lines=[line(1, category=["Brake%", "Pad"])]),
        )
        assert _search(storage, email, CategoryQuery(CategoryPath("Brake%"))) == ["222222222"]
        assert _search(storage, email, CategoryQuery(CategoryPath("Brake_"))) == []

    def test_search_text_is_never_a_query_language(self, storage: Storage) -> None:
        """SQL and LIKE metacharacters in a query are matched as text, so they find nothing."""
        email = parse_email("jane.doe@example.com")
        _store(storage, make_order(number="111111111"))
        for query in (
            PartNumberQuery(PartNumber("' OR '1'='1")),
            PartNumberQuery(PartNumber("%")),
            PartNumberQuery(PartNumber("_")),
            CategoryQuery(CategoryPath("%")),
            CategoryQuery(CategoryPath("' OR 1=1 --")),
        ):
            assert _search(storage, email, query) == []

    def test_search_is_scoped_to_one_email(self, storage: Storage) -> None:
        """Orders of another email never match, however well their lines do."""
        _store(
            storage,
            make_order(number="111111111", email="jane.doe@example.com"),
            make_order(number="222222222", email="john@example.com"),
        )
        email = parse_email("john@example.com")
        assert _search(storage, email, PartNumberQuery(PartNumber("BP-1234"))) == ["222222222"]

    def test_search_with_no_match_is_empty(self, storage: Storage) -> None:
        """A query that matches no line answers nothing."""
        email = parse_email("jane.doe@example.com")
        _store(storage, make_order(number="111111111"))
        assert _search(storage, email, PartNumberQuery(PartNumber("ZZ-9"))) == []

    def test_search_is_newest_first_and_stops_at_limit(self, storage: Storage) -> None:
        """Search answers at most ``limit`` orders, newest first, ties by number descending."""
        email = parse_email("jane.doe@example.com")
        orders = [
            make_order(number=f"A{i}", placed_at=PLACED_AT + timedelta(days=i // 2))
            for i in range(6)
        ]
        _store(storage, *orders)
        found = _search(storage, email, PartNumberQuery(PartNumber("BP-1234")), limit=3)
        assert found == ["A5", "A4", "A3"]

    def test_search_after_a_cursor_is_strictly_after_it(self, storage: Storage) -> None:
        """The page after a cursor starts with the order just after the cursor's pair."""
        email = parse_email("jane.doe@example.com")
        orders = [make_order(number=f"A{i}", placed_at=PLACED_AT) for i in range(4)]
        _store(storage, *orders)
        query = PartNumberQuery(PartNumber("BP-1234"))
        with storage.unit_of_work() as uow:
            after = SearchCursor(placed_at=PLACED_AT, number="A2")
            found = _numbers(uow.orders.search(email.canonical, query, 10, after))
        assert found == ["A1", "A0"]

    @_PROPERTY
    @given(
        placed=st.lists(st.tuples(st.integers(0, 3), st.booleans()), max_size=12),
        size=st.integers(1, 5),
    )
    def test_search_pages_cover_every_match_exactly_once(
        self, storage: Storage, placed: list[tuple[int, bool]], size: int
    ) -> None:
        """Following the cursor visits every matching order once, newest first, in pages of
        at most ``size``, whatever the ties in ``placed_at``."""
        email = _fresh_email()
        orders = [
            make_order(
                number=_fresh("C"),
                email=email.display,
                placed_at=PLACED_AT + timedelta(hours=hour),
                lines=[line(1, "BP-1234" if match else "XX-1")],
            )
            for hour, match in placed
        ]
        _store(storage, *orders)
        query = PartNumberQuery(PartNumber("bp1234"))
        with storage.unit_of_work() as uow:
            pages = _every_page(uow.orders, email.canonical, query, size)
        matching = [order for order, (_hour, match) in zip(orders, placed, strict=True) if match]
        assert [number for page in pages for number in page] == _newest_first(matching)
        assert all(len(page) <= size for page in pages)

    def test_recent_with_a_limit_of_zero_is_empty(self, storage: Storage) -> None:
        """``limit=0`` answers no headers, whatever is stored."""
        _store(storage, order_of_two_lines())
        with storage.unit_of_work() as uow:
            assert list(uow.orders.recent("jane@example.com", 0)) == []
