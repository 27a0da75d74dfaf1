"""Bad input to the profile (issue 14 items 1 and 2, SECURITY F4, H3): over-long, wrong
types, confusable and control characters and injection text in addresses, vehicles, VINs
and ids get a typed error and change nothing; text that is valid, however hostile it
looks, is stored and read back byte for byte."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core import (
    Address,
    AddressBook,
    AddressSaved,
    FieldTooLongError,
    Garage,
    InvalidFieldError,
    InvalidVinError,
    OrderStatus,
    ShopperSession,
    ValidationError,
    Vehicle,
    VehicleAdded,
    check_vin,
)
from orderstatus_core.model.profile import _VIN_VALUES, VIN_LENGTH
from orderstatus_core.services import ServiceContext
from orderstatus_core.testing import fake_context, strategies
from support.accounts import CLIENT, log_in, open_storage, register

JANE = "jane@example.com"
HOME = Address("Jane Roe", "1 Main St", "Springfield", "12345", "US")
CAR = Vehicle(2019, "Ford", "F-150", "5.0L V8")
VIN = "1M8GDM9AXKP042788"
INJECTION = "x'); DROP TABLE saved_addresses; --"


@pytest.fixture(params=["memory", "sqlite"])
def shopper(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ShopperSession]:
    """Jane, logged in, on memory or SQLite."""
    storage = open_storage(request.param, tmp_path)
    ctx = fake_context(storage)
    register(ctx, JANE)
    yield OrderStatus(ctx).shopper(client=CLIENT, session=log_in(ctx, JANE).token)
    storage.close()


def _nothing_saved(shopper: ShopperSession) -> None:
    book, garage = shopper.addresses(), shopper.garage()
    assert isinstance(book, AddressBook)
    assert book.saved == ()
    assert garage == Garage(vehicles=())


# --- addresses -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("name", "x" * 101, FieldTooLongError),
        ("line1", "x" * 101, FieldTooLongError),
        ("city", "x" * 65, FieldTooLongError),
        ("postal_code", "1" * 17, FieldTooLongError),
        ("line1", "1 Main St\r\nBcc: all@example.com", InvalidFieldError),
        ("name", "Jane\u202eeoR", InvalidFieldError),  # a bidi override (Trojan Source)
        ("city", "Spring\x00field", InvalidFieldError),
        ("line1", "1 Main \udc80St", InvalidFieldError),
        ("country", "us", InvalidFieldError),
        ("country", "УС", InvalidFieldError),  # Cyrillic look-alikes
        ("name", 7, InvalidFieldError),
        ("name", "   ", InvalidFieldError),
    ],
)
def test_an_address_is_validated_as_an_orders(field: str, value: object, error: type) -> None:
    """The saved address is the order model's Address: each field's bound and characters."""
    with pytest.raises(error) as raised:
        attrs.evolve(HOME, **{field: value})
    assert raised.value.field == field


@pytest.mark.parametrize(
    "bad", [None, "1 Main St", {"name": "Jane"}, ("Jane", "1 Main St"), CAR, object()]
)
def test_anything_but_an_address_is_refused_and_saves_nothing(
    shopper: ShopperSession, bad: object
) -> None:
    """SECURITY F4: the command takes an Address, never a mapping bound to its fields."""
    with pytest.raises(InvalidFieldError):
        shopper.add_address(bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidFieldError):
        shopper.edit_address("abcdefghijkl", bad)  # type: ignore[arg-type]
    _nothing_saved(shopper)


@pytest.mark.parametrize("bad", [None, 1, "yes", b"1"])
def test_default_must_be_a_bool(shopper: ShopperSession, bad: object) -> None:
    """``default`` is True or False, nothing truthy."""
    with pytest.raises(InvalidFieldError):
        shopper.add_address(HOME, default=bad)  # type: ignore[arg-type]
    _nothing_saved(shopper)


@pytest.mark.parametrize("command", ["remove_address", "choose_default_address", "remove_vehicle"])
@pytest.mark.parametrize(
    ("bad", "error"),
    [("x" * 65, FieldTooLongError), (None, InvalidFieldError), (12, InvalidFieldError)],
)
def test_an_id_of_the_wrong_type_or_too_long_is_refused(
    shopper: ShopperSession, command: str, bad: object, error: type
) -> None:
    """Ids are text of at most 64 characters (H3)."""
    with pytest.raises(error):
        getattr(shopper, command)(bad)


def test_injection_text_is_stored_verbatim(shopper: ShopperSession) -> None:
    """Valid text that looks like SQL, a template or markup is only text: bound as a
    parameter, read back equal."""
    hostile = Address(INJECTION, "{{ 7*7 }} <script>alert(1)</script>", "%s ? :x", "1", "US")
    answer = shopper.add_address(hostile)
    assert isinstance(answer, AddressSaved)
    book = shopper.addresses()
    assert isinstance(book, AddressBook)
    assert [saved.address for saved in book.saved] == [hostile]


# --- vehicles and VINs -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("make", "x" * 41, FieldTooLongError),
        ("model", "x" * 61, FieldTooLongError),
        ("engine", "x" * 61, FieldTooLongError),
        ("nickname", "x" * 41, FieldTooLongError),
        ("nickname", "Truck\u2066", InvalidFieldError),
        ("make", "Ford\r\n", InvalidFieldError),
        ("year", 1885, InvalidFieldError),
        ("year", 2101, InvalidFieldError),
        ("year", "2019", InvalidFieldError),
        ("year", True, InvalidFieldError),
        ("vin", 12345678901234567, InvalidFieldError),
    ],
)
def test_a_vehicle_is_validated(field: str, value: object, error: type) -> None:
    """Every vehicle field has its bound and its type."""
    with pytest.raises(error):
        attrs.evolve(CAR, **{field: value})


@pytest.mark.parametrize(
    ("vin", "position"),
    [
        ("1M8GDM9AXKP04278", None),  # 16 characters
        ("1M8GDM9AXKP0427888", None),  # 18
        ("IM8GDM9AXKP042788", 1),  # I is never used
        ("1M8GDM9AXKP0427O8", 16),  # O is never used
        ("1M8GDM9AXKQ042788", 11),  # Q is never used
        ("1M\u0410GDM9AXKP042788", 3),  # Cyrillic А looks like A
        ("1M8GDM9AXKP０42788", 12),  # a fullwidth zero
        ("1M8GDM9A KP042788", 9),  # a space
        ("1M8GDM9A9KP042788", 9),  # the wrong check digit
        ("1M8GDM9AXKP042789", 9),  # a mistyped last character
        ("'; DROP TABLE v--", 1),
    ],
)
def test_a_wrong_vin_names_the_wrong_position(vin: str, position: int | None) -> None:
    """The error says which position is wrong (or that the length is)."""
    with pytest.raises(InvalidVinError) as raised:
        check_vin(vin)
    assert raised.value.position == position
    assert raised.value.field == "vin"
    if position is not None:
        assert f"position {position}" in raised.value.message


def test_a_lower_case_vin_is_read_as_upper_case() -> None:
    """Lower case ASCII is upper-cased once; nothing else is folded."""
    assert check_vin(VIN.lower()) == VIN
    assert attrs.evolve(CAR, vin=VIN.lower()).vin == VIN


@given(vin=strategies.vins(), position=st.integers(0, VIN_LENGTH - 1), data=st.data())
def test_any_single_mistyped_character_is_caught(
    vin: str, position: int, data: st.DataObject
) -> None:
    """A character replaced by one of another value (not at the check digit, whose weight
    is 0) always fails the check: 11 is prime and no weight is a multiple of it."""
    values = _VIN_VALUES
    if position == 8:
        return
    typo = data.draw(st.sampled_from([c for c in values if values[c] != values[vin[position]]]))
    with pytest.raises(InvalidVinError) as raised:
        check_vin(vin[:position] + typo + vin[position + 1 :])
    assert raised.value.position == 9


@given(text=st.text(max_size=40) | st.binary(max_size=20) | st.integers())
def test_any_input_as_a_vin_is_a_vin_or_a_validation_error(text: object) -> None:
    """Nothing but a VIN or a ValidationError comes out of ``check_vin``."""
    try:
        checked = check_vin(text)
    except ValidationError:
        return
    assert len(checked) == VIN_LENGTH


def test_a_refused_vehicle_never_reaches_the_garage(shopper: ShopperSession) -> None:
    """A wrong type for the vehicle is refused before anything is asked or stored."""
    for bad in (None, "2019 Ford F-150", {"year": 2019}, HOME):
        with pytest.raises(InvalidFieldError):
            shopper.add_vehicle(bad)  # type: ignore[arg-type]
    _nothing_saved(shopper)


def test_a_hostile_but_valid_vehicle_is_stored_verbatim(shopper: ShopperSession) -> None:
    """A make of injection text and a nickname in another script are only text."""
    hostile = Vehicle(2001, INJECTION[:40], "Škoda Octavia", "1.9 TDI", "Äijän auto", VIN)
    added = shopper.add_vehicle(hostile)
    assert isinstance(added, VehicleAdded)
    garage = shopper.garage()
    assert isinstance(garage, Garage)
    assert [kept.vehicle for kept in garage.vehicles] == [hostile]


def test_the_context_has_no_catalog_until_a_store_sets_one() -> None:
    """The default catalog is used when the context has none (no store setting needed)."""
    ctx: ServiceContext = fake_context()
    assert ctx.vehicle_catalog is None
