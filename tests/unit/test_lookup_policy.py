"""LookupPolicy's sizes: whole numbers in range, and a default search page that fits."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs
import pytest

from orderstatus_core import InvalidFieldError, OrderStatus, parse_email
from orderstatus_core.plugins import hookimpl
from orderstatus_core.policies import LookupPolicy
from orderstatus_core.testing import RecordingMailer
from orderstatus_core.testing.builders import PLACED_AT, order_of_two_lines


def test_the_defaults_follow_the_domain() -> None:
    policy = LookupPolicy()
    assert (policy.order_list_size, policy.search_page_size, policy.max_search_page_size) == (
        10,
        20,
        100,
    )


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("order_list_size", 0),
        ("order_list_size", 101),
        ("order_list_size", True),  # True is 1 to range(1, 101), but no size
        ("order_list_size", 10.0),
        ("order_list_size", "10"),
        ("search_page_size", 0),
        ("search_page_size", 101),
        ("search_page_size", False),
        ("max_search_page_size", 1001),
        ("max_search_page_size", None),
    ],
)
def test_a_size_out_of_range_or_not_a_whole_number_is_refused(field: str, value: Any) -> None:
    with pytest.raises(ValueError, match=f"{field} must be a whole number"):
        LookupPolicy(**{field: value})


def test_a_default_search_page_larger_than_the_largest_is_refused() -> None:
    with pytest.raises(ValueError, match="search_page_size must not be larger"):
        LookupPolicy(search_page_size=50, max_search_page_size=40)
    with pytest.raises(ValueError, match="search_page_size must not be larger"):
        attrs.evolve(LookupPolicy(), max_search_page_size=10)  # below the default 20
    equal = LookupPolicy(search_page_size=40, max_search_page_size=40)
    assert equal.search_page_size == equal.max_search_page_size == 40


class FivePerPage:
    """A store whose search pages hold five orders, and never more."""

    @hookimpl
    def orderstatus_lookup_policy(self) -> LookupPolicy:
        return LookupPolicy(search_page_size=5, max_search_page_size=5)


def test_a_store_policy_sets_the_default_page_and_the_largest() -> None:
    """The case the check protects: a search that leaves the size to the store."""
    jane = parse_email("jane@example.com")
    orders = [
        order_of_two_lines(f"{100001 + i}", placed_at=PLACED_AT + timedelta(hours=i))
        for i in range(7)
    ]
    store = OrderStatus.open(storage="memory://", mail=RecordingMailer(), plugins=[FivePerPage()])
    with store as desk:
        with desk.context.storage.unit_of_work(write=True) as uow:
            uow.orders.add_many(orders)
            uow.commit()
        first = desk.search_orders(jane, part_number="BP-1234")
        assert [m.header.number for m in first.matches] == [o.number for o in orders[:1:-1]]
        assert first.next_cursor is not None
        rest = desk.search_orders(jane, part_number="BP-1234", cursor=first.next_cursor)
        assert [m.header.number for m in rest.matches] == ["100002", "100001"]
        with pytest.raises(InvalidFieldError, match="between 1 and 5"):
            desk.search_orders(jane, part_number="BP-1234", page_size=6)
