"""``model.restorer`` rebuilds stored values in a pinned field order that adapters rely on."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import attrs
import pytest

from orderstatus_core import model, records
from orderstatus_core.model import RESTORED_FIELDS, Address, Money, PartNumber, restorer
from orderstatus_core.model.views import MaskedAddress
from orderstatus_core.policies.masking import mask_address
from orderstatus_core.services.results import SearchPage


def _restored_class(name: str) -> type[Any]:
    """A class of the model, or of the records a storage lists (a search's header and
    match), by its name in ``RESTORED_FIELDS``."""
    found: type[Any] = getattr(model, name, None) or getattr(records, name)
    return found


@pytest.mark.parametrize("name", sorted(RESTORED_FIELDS))
def test_the_pinned_field_order_matches_the_model(name: str) -> None:
    """Adapters rebuild these positionally; a reordered model must fail here first."""
    cls = _restored_class(name)
    assert tuple(field.name for field in attrs.fields(cls)) == RESTORED_FIELDS[name]


@pytest.mark.parametrize("name", sorted(RESTORED_FIELDS))
def test_the_generated_function_sets_every_field_from_its_own_argument(name: str) -> None:
    """Each field gets the value in its own position, and nothing else is set."""
    cls = _restored_class(name)
    markers = [object() for _ in attrs.fields(cls)]
    restored = restorer(cls)(*markers)
    assert type(restored) is cls
    for field, marker in zip(attrs.fields(cls), markers, strict=True):
        assert getattr(restored, field.name) is marker


@pytest.mark.parametrize("name", sorted(RESTORED_FIELDS))
def test_the_generated_function_takes_the_field_names_as_keywords(name: str) -> None:
    """Its parameters are the fields' names, so a reader may name them."""
    cls = _restored_class(name)
    values: dict[str, Any] = {field.name: object() for field in attrs.fields(cls)}
    restored = restorer(cls)(**values)
    assert all(getattr(restored, key) is value for key, value in values.items())


def test_a_restored_value_equals_the_constructed_one() -> None:
    """Restoring what the constructor built gives an equal value."""
    built = PartNumber("BP-1234")
    assert restorer(PartNumber)(built.display, built.canonical) == built
    assert restorer(Money)(Decimal("24.99"), "USD") == Money(Decimal("24.99"), "USD")


def test_nothing_is_validated() -> None:
    """The model's validators do not run: stored values were checked when they were made."""
    assert restorer(Money)("not an amount", "??").amount == "not an amount"


def test_one_function_per_class() -> None:
    """The function is generated once and handed out again."""
    assert restorer(PartNumber) is restorer(PartNumber)


def test_a_wrong_number_of_values_is_refused() -> None:
    """A reader that forgot a column fails at once."""
    with pytest.raises(TypeError):
        restorer(PartNumber)("BP-1")
    with pytest.raises(TypeError):
        restorer(PartNumber)("BP-1", "bp1", "extra")


def test_a_class_without_slots_is_restored_past_its_frozen_setattr() -> None:
    """A frozen dict class (``slots=False``) is rebuilt too."""

    @attrs.frozen(slots=False)
    class Plain:
        first: int
        second: str = attrs.field(validator=attrs.validators.min_len(3))

    restored = restorer(Plain)(1, "x")
    assert (restored.first, restored.second) == (1, "x")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        restored.first = 2  # type: ignore[misc]


def test_a_subclass_field_stored_in_a_base_slot_is_set() -> None:
    """Fields a slotted class inherits live in its base's slots; those are found too."""

    @attrs.frozen
    class Base:
        first: int

    @attrs.frozen
    class Child(Base):
        second: int

    restored = restorer(Child)(1, 2)
    assert (restored.first, restored.second) == (1, 2)


def test_a_field_named_like_the_generated_code_is_refused() -> None:
    """The generated function's own names cannot be shadowed by a field."""

    @attrs.frozen
    class Odd:
        _restore_self: int

    with pytest.raises(TypeError, match="restorer"):
        restorer(Odd)


@pytest.mark.parametrize("name", sorted(RESTORED_FIELDS))
def test_a_restored_slotted_value_is_frozen_and_of_the_class_itself(name: str) -> None:
    """Built through a writable twin, the value handed out is the frozen class itself: no
    field can be written afterwards, and it pickles, copies and compares as its class."""
    cls = _restored_class(name)
    restored = restorer(cls)(*(object() for _ in attrs.fields(cls)))
    assert restored.__class__ is cls
    assert type(restored).__mro__ == cls.__mro__
    first = attrs.fields(cls)[0].name
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        setattr(restored, first, 1)


def test_a_slotted_class_whose_instances_cannot_be_re_classed_is_restored_by_its_slots() -> None:
    """A class that refuses ``__class__`` assignment (here: it forbids every subclass
    instance from becoming it) is still restored, through the slot descriptors."""

    @attrs.frozen
    class Stubborn:
        first: int
        second: str

        def __init_subclass__(cls, **kwargs: Any) -> None:
            raise TypeError("no subclasses")

    restored = restorer(Stubborn)(1, "x")
    assert type(restored) is Stubborn
    assert (restored.first, restored.second) == (1, "x")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        restored.first = 2  # type: ignore[misc]


def test_the_twin_never_leaks_from_a_restorer() -> None:
    """Every restored value, of every restored class, is re-classed before it is returned."""
    values = [
        restorer(cls)(*(None for _ in attrs.fields(cls)))
        for cls in map(_restored_class, sorted(RESTORED_FIELDS))
    ]
    assert all(not type(value).__name__.startswith("_Restoring") for value in values)


def _assert_init_only_stores(cls: type) -> None:
    """attrs' ``__init__`` of ``cls`` has nothing to do but store each argument: no
    validator, converter, default, keyword-only or left-out field."""
    for field in attrs.fields(cls):
        assert field.validator is None, field.name
        assert field.converter is None, field.name
        assert field.default is attrs.NOTHING, field.name
        assert field.init, field.name
        assert not field.kw_only, field.name


def test_the_masked_address_restored_by_the_mask_is_what_its_init_builds() -> None:
    """mask_address builds its MaskedAddress with the restorer, which skips attrs'
    __init__: right only while the class has nothing for __init__ to do."""
    _assert_init_only_stores(MaskedAddress)
    for region in ("IL", None):
        address = Address("Jane Q. Doe", "742 Evergreen Terrace", "Springfield", " 62701 ", "US")
        masked = mask_address(attrs.evolve(address, region=region))
        assert type(masked) is MaskedAddress
        assert masked == MaskedAddress(
            name="J••• D•••",
            street="•••",
            city="Springfield",
            region=region,
            postal_code="62•••",
            country="US",
        )
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            masked.city = "Elsewhere"  # type: ignore[misc]


def test_a_search_page_built_by_its_restorer_is_what_its_init_builds() -> None:
    """search_orders builds its SearchPage with the restorer, which skips attrs'
    __init__: right only while the class has nothing for __init__ to do."""
    _assert_init_only_stores(SearchPage)
    assert tuple(field.name for field in attrs.fields(SearchPage)) == ("matches", "next_cursor")
    restored = restorer(SearchPage)((), "10-123456789")
    assert restored == SearchPage(matches=(), next_cursor="10-123456789")
    assert type(restored) is SearchPage
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        restored.next_cursor = None  # type: ignore[misc]
