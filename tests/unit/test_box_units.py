"""A box of units (a shipped package, an RMA package) holds at least one unit and names each
line once, so no line's units are counted twice; both boxes check it with one rule."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from orderstatus_core import (
    InvalidFieldError,
    Package,
    PackedUnits,
    RefundPreview,
    ReturnUnits,
    RmaPackage,
)
from orderstatus_core.policies.returns import EXAMPLE_RETURNS_CENTER
from orderstatus_core.testing.builders import usd

ZERO = usd("0")
NOTHING_BACK = RefundPreview(ZERO, ZERO, ZERO, ZERO, ZERO, ZERO)


def _package(units: tuple[Any, ...]) -> Package:
    return Package(package_id="P1", warehouse="main", units=units)


def _rma_package(units: tuple[Any, ...]) -> RmaPackage:
    return RmaPackage("R123-1", EXAMPLE_RETURNS_CENTER, units, NOTHING_BACK)


Box = Callable[[tuple[Any, ...]], Package | RmaPackage]
Units = Callable[[int, int], PackedUnits | ReturnUnits]
BOXES: list[tuple[Box, Units, str]] = [
    (_package, PackedUnits, "a package"),
    (_rma_package, ReturnUnits, "an RMA package"),
]


@pytest.mark.parametrize(("box", "units", "name"), BOXES)
def test_an_empty_box_is_refused(box: Box, units: Units, name: str) -> None:
    """A box without units is refused, naming the box and the field."""
    with pytest.raises(InvalidFieldError) as refused:
        box(())
    assert (refused.value.field, refused.value.message) == (
        "units",
        f"{name} holds at least one unit",
    )


@pytest.mark.parametrize(("box", "units", "name"), BOXES)
def test_a_box_naming_a_line_twice_is_refused(box: Box, units: Units, name: str) -> None:
    """Two entries for one line are refused: the line's units would count twice."""
    with pytest.raises(InvalidFieldError) as refused:
        box((units(1, 1), units(2, 1), units(1, 2)))
    assert (refused.value.field, refused.value.message) == ("units", "names a line twice")


@pytest.mark.parametrize(("box", "units", "name"), BOXES)
def test_a_box_of_distinct_lines_is_kept_as_given(box: Box, units: Units, name: str) -> None:
    """Distinct lines are accepted, in the order given."""
    given = (units(2, 1), units(1, 3))
    assert box(given).units == given
