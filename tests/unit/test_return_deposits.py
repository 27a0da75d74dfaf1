"""What a return's units record of the core deposits they claimed (``ReturnUnits.deposits``):
checked like every count, and read back as ``None`` from a return stored before the field."""

from __future__ import annotations

import pytest

from orderstatus_core import InvalidFieldError, ReturnUnits
from orderstatus_core.errors import NegativeQuantityError
from orderstatus_core.serialization import converter


def test_deposits_of_more_units_than_the_entry_holds_are_refused() -> None:
    with pytest.raises(InvalidFieldError) as refused:
        ReturnUnits(1, 2, deposits=3)
    assert (refused.value.field, refused.value.message) == ("deposits", "3 deposits of 2")


def test_a_negative_or_non_whole_deposit_count_is_refused() -> None:
    with pytest.raises(NegativeQuantityError):
        ReturnUnits(1, 2, deposits=-1)
    with pytest.raises(InvalidFieldError):
        ReturnUnits(1, 2, deposits=True)


def test_units_stored_without_deposits_read_as_not_recorded() -> None:
    """A return stored by a version before claims were kept: no claim, not zero claims."""
    units = converter.structure({"line_no": 1, "quantity": 2, "accepted": None}, ReturnUnits)
    assert units.deposits is None
    recorded = ReturnUnits(1, 2, deposits=2)
    assert converter.structure(converter.unstructure(recorded), ReturnUnits) == recorded
