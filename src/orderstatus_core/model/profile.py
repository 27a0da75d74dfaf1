"""The profile a logged-in shopper keeps between orders: saved addresses and the garage
(DOMAIN.md section 2, issue 14 items 1 and 2).

* a :class:`SavedAddress`: an :class:`~orderstatus_core.model.Address` (validated as an
  order's shipping address is) kept by an account, one of them its default; two addresses
  with the same :func:`address_key` are one;
* a :class:`Vehicle`: year, make, model, engine, an optional nickname and an optional VIN
  whose check digit is validated (:func:`check_vin`); two vehicles with the same
  :func:`vehicle_key` are one vehicle (the garage's catalog default, an order line's
  vehicle and the history search by vehicle all compare that way);
* a :class:`GarageVehicle`: a vehicle in an account's garage with the store's catalog id.

Pure values, like the rest of the model: the service draws the ids and reads the clock.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from typing import Any

import attrs

from orderstatus_core.errors import InvalidFieldError, InvalidVinError
from orderstatus_core.model._checks import count, matching, utc
from orderstatus_core.model._text import bounded_text, optional_bounded_text
from orderstatus_core.model.account import _account_id, _bool
from orderstatus_core.model.address import Address

__all__ = [
    "VIN_LENGTH",
    "GarageVehicle",
    "SavedAddress",
    "Vehicle",
    "address_key",
    "check_vin",
    "vehicle_key",
    "vehicle_path",
    "vin_check_digit",
]

#: The length of a vehicle identification number (ISO 3779).
VIN_LENGTH = 17
#: The first and last model year a vehicle may carry (the first car, 1886; a few years of
#: announced models ahead).
_FIRST_YEAR, _LAST_YEAR = 1886, 2100

# ISO 3779 / 49 CFR 565: the letters' values in the check-digit sum (I, O and Q are never
# used, so they cannot be confused with 1 and 0), and each position's weight; position 9
# (weight 0) is the check digit itself.
_VIN_VALUES = {
    **{str(digit): digit for digit in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_CHECK_POSITION = 9

_id = matching(re.compile(r"[A-Za-z0-9_-]{8,32}"), "must be 8 to 32 letters, digits, - or _")
_catalog_id = matching(
    re.compile(r"[!-~]{1,64}"), "must be 1 to 64 printable ASCII characters without spaces"
)
_SEPARATOR = "\x1f"


def check_vin(vin: object, field: str = "vin") -> str:
    """``vin`` as stored: 17 characters of A to Z (never I, O or Q) and 0 to 9, lower case
    read as upper case, whose 9th character is the check digit of the other 16 (ISO 3779,
    as North American VINs carry it).

    Raises :class:`InvalidVinError` naming the first wrong position, or the check digit's
    position and the digit it should be.

    >>> check_vin("1m8gdm9axkp042788")
    '1M8GDM9AXKP042788'
    """
    if not isinstance(vin, str):
        raise InvalidFieldError(field, f"must be text, not {type(vin).__name__}")
    if len(vin) != VIN_LENGTH:
        raise InvalidVinError(field, f"must be {VIN_LENGTH} characters, not {len(vin)}")
    # Only ASCII is upper-cased: a fullwidth or look-alike letter stays refused below.
    text = vin.upper() if vin.isascii() else vin
    for position, char in enumerate(text, start=1):
        if char not in _VIN_VALUES and not (position == _CHECK_POSITION and char == "X"):
            shown = char if char.isprintable() and char.isascii() else f"U+{ord(char):04X}"
            raise InvalidVinError(
                field,
                f"position {position} holds {shown!r}: a VIN has only A to Z (never I, O "
                "or Q) and 0 to 9",
                position,
            )
    expected = vin_check_digit(text)
    if text[_CHECK_POSITION - 1] != expected:
        raise InvalidVinError(
            field,
            f"position {_CHECK_POSITION} is the check digit: it should be {expected}, not "
            f"{text[_CHECK_POSITION - 1]} (a character of the VIN is mistyped)",
            _CHECK_POSITION,
        )
    return text


def vin_check_digit(vin: str) -> str:
    """The check digit (``0`` to ``9`` or ``X``) of 17 VIN characters, whatever their 9th
    (its weight is 0): each character's value times its position's weight, summed, modulo
    11, 10 written ``X``.

    >>> vin_check_digit("1M8GDM9A_KP042788")
    'X'
    """
    total = sum(
        _VIN_VALUES.get(char, 0) * weight for char, weight in zip(vin, _VIN_WEIGHTS, strict=True)
    )
    return "X" if total % 11 == 10 else str(total % 11)


def _optional_vin(value: object) -> str | None:
    return None if value is None else check_vin(value)


def _fold(text: str | None) -> str:
    if text is None:
        return ""
    if text.isascii():  # already composed; its case folding is lower()
        return " ".join(text.split()).lower()
    return " ".join(unicodedata.normalize("NFC", text).split()).casefold()


def address_key(address: Address) -> str:
    """The normal form of ``address``: two addresses with the same key are one.

    Each field is composed (NFC), its runs of white space made one space and trimmed, and
    case-folded; the postal code loses its spaces altogether (``SW1A 1AA`` and ``sw1a1aa``
    are one). The fields are joined with U+001F, which no field can hold. Compatibility
    forms are *not* folded: ``Ｍａｉｎ`` (fullwidth) and ``Main`` stay two addresses, as
    look-alike email addresses stay two accounts (SECURITY A4); the shopper sees both.

    >>> a = Address("Jane Roe", "1 Main  St", "Springfield", "12345", "US")
    >>> b = Address("JANE ROE ", "1 main st", "springfield", "123 45", "US")
    >>> address_key(a) == address_key(b)
    True
    """
    if not isinstance(address, Address):
        raise InvalidFieldError("address", "must be an Address")
    return _SEPARATOR.join(
        (
            _fold(address.name),
            _fold(address.line1),
            _fold(address.line2),
            _fold(address.city),
            _fold(address.region),
            _fold(address.postal_code).replace(" ", ""),
            address.country,
        )
    )


def _address(_instance: object, attribute: Any, value: Any) -> None:
    if not isinstance(value, Address):
        raise InvalidFieldError(attribute.name, "must be an Address")


@attrs.frozen
class SavedAddress:
    """An address an account keeps for its next orders; ``is_default`` marks the one a
    checkout offers first (at most one per account).

    >>> from datetime import UTC, datetime
    >>> home = Address("Jane Roe", "1 Main St", "Springfield", "12345", "US")
    >>> saved = SavedAddress("acct-0001", "addr-0001", home, True,
    ...                      datetime(2026, 11, 1, tzinfo=UTC))
    >>> saved.key == address_key(home)
    True
    """

    account_id: str = attrs.field(validator=_account_id)
    address_id: str = attrs.field(validator=_id)
    address: Address = attrs.field(validator=_address)
    is_default: bool = attrs.field(validator=_bool)
    saved_at: datetime = attrs.field(converter=utc)

    @property
    def key(self) -> str:
        """:func:`address_key` of the address."""
        return address_key(self.address)


@attrs.frozen
class Vehicle:
    """A shopper's vehicle, as typed (SECURITY F4: the input type of the garage).

    ``year`` is the model year; ``vin``, when given, is checked by :func:`check_vin` (lower
    case is read as upper case). Whether the store sells parts for it is the
    :class:`~orderstatus_core.ports.VehicleCatalog`'s to say.

    >>> Vehicle(2019, "Ford", "F-150", "5.0L V8", vin="1FTEW1E50KFA00001").vin  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    orderstatus_core.errors.InvalidVinError: position 9 is the check digit: ... @ vin
    """

    year: int = attrs.field(validator=count(_FIRST_YEAR, _LAST_YEAR))
    make: str = attrs.field(validator=bounded_text(40))
    model: str = attrs.field(validator=bounded_text(60))
    engine: str = attrs.field(validator=bounded_text(60))
    nickname: str | None = attrs.field(default=None, validator=optional_bounded_text(40))
    vin: str | None = attrs.field(default=None, converter=_optional_vin)


def vehicle_path(year: int, *names: str) -> str:
    """The normal form of a vehicle path: ``year`` and the ``names`` below it (make, model,
    engine), each composed (NFC), its runs of white space made one space and trimmed, and
    case-folded, joined with U+001F (which no name can hold), as :func:`address_key` folds
    an address. A path is a prefix of the paths below it followed by U+001F, so a search
    for a year, make and model finds every engine of it.

    >>> vehicle_path(2019, "Ford", " F-150 ")
    '2019\\x1fford\\x1ff-150'
    """
    return _SEPARATOR.join((str(year), *(_fold(name) for name in names)))


def vehicle_key(vehicle: Vehicle) -> str:
    """The normal form of ``vehicle``'s year, make, model and engine
    (:func:`vehicle_path`); the nickname and the VIN are not part of it. Compatibility
    forms are not folded: ``Ｆｏｒｄ`` (fullwidth) is another make.

    >>> vehicle_key(Vehicle(2019, "FORD", "f-150", "5.0l  v8")) == vehicle_key(
    ...     Vehicle(2019, "Ford", "F-150 ", "5.0L V8", nickname="Truck"))
    True
    """
    return vehicle_path(vehicle.year, vehicle.make, vehicle.model, vehicle.engine)


def _vehicle(_instance: object, attribute: Any, value: Any) -> None:
    if not isinstance(value, Vehicle):
        raise InvalidFieldError(attribute.name, "must be a Vehicle")


@attrs.frozen
class GarageVehicle:
    """A vehicle in an account's garage, with the id the store's catalog gave it (what
    its parts are listed under)."""

    account_id: str = attrs.field(validator=_account_id)
    vehicle_id: str = attrs.field(validator=_id)
    vehicle: Vehicle = attrs.field(validator=_vehicle)
    catalog_id: str = attrs.field(validator=_catalog_id)
    added_at: datetime = attrs.field(converter=utc)
