"""``model.restore`` takes fields in a pinned order that storage adapters rely on."""

from __future__ import annotations

import attrs
import pytest

from orderstatus_core import model
from orderstatus_core.model import RESTORED_FIELDS, PartNumber, restore


@pytest.mark.parametrize("name", sorted(RESTORED_FIELDS))
def test_the_pinned_field_order_matches_the_model(name: str) -> None:
    """Adapters rebuild these positionally; a reordered model must fail here first."""
    cls = getattr(model, name)
    assert tuple(field.name for field in attrs.fields(cls)) == RESTORED_FIELDS[name]


def test_a_wrong_number_of_values_is_refused() -> None:
    """``restore`` checks the count, so a reader that forgot a column fails at once."""
    with pytest.raises(ValueError, match="zip"):
        restore(PartNumber, "BP-1")
