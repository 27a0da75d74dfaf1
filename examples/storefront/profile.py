"""The *Profile* pages of a logged-in shopper at ``/account/profile``: saved addresses
(list, add, edit, remove, choose the default, reuse a past order's address with one
button) and the garage (list, add with an optional VIN, remove).

The Profile page is read with one library call (``shopper.profile()``: one session check,
every list in one read) and shown as a list of sections (:data:`SECTIONS`): each takes
its values from that :class:`~orderstatus_core.ProfilePage` and names its template, so a
new part of the profile is one more :class:`~storefront.web.Section` (store credit and
discount codes, availability alerts, mail and language, and the data download are
:mod:`storefront.profile_settings`').
Every change is a POST with the CSRF token that answers a redirect (303) to the Profile
page with a notice, or the form again (400) with what to correct: a refused VIN names the
wrong position, as the library's :class:`~orderstatus_core.InvalidVinError` does. An
address or vehicle id the account does not keep is the one not-found page (SECURITY A1);
no live session sends the shopper to log in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from flask import Blueprint, request
from werkzeug.wrappers import Response

from orderstatus_core import (
    Address,
    AddressAlreadySaved,
    AddressBook,
    AddressBookFull,
    AddressNotFound,
    AddressRemoved,
    AddressSaved,
    DefaultAddressChosen,
    GarageFull,
    InvalidFieldError,
    InvalidVinError,
    NotLoggedIn,
    ProfilePage,
    ValidationError,
    Vehicle,
    VehicleAdded,
    VehicleNotFound,
    VehicleNotInCatalog,
    VehicleRemoved,
)

from .profile_settings import SETTINGS_SECTIONS
from .texts import N_, gettext
from .web import (
    Section,
    field,
    flash_and_go,
    form_address,
    not_found,
    page,
    shopper,
    to_log_in,
)

__all__ = ["SECTIONS", "profile", "vin_message"]

profile = Blueprint("profile", __name__, url_prefix="/account/profile")

#: What an address or vehicle id in an address looks like (the library draws 16
#: characters); anything else is the not-found page without asking the store.
_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
_YEAR = re.compile(r"[0-9]{4}")
#: The characters a VIN's check digit may be (ISO 3779).
_CHECK_DIGITS = frozenset("0123456789X")
_VIN_CHECK_POSITION = 9

_ADDRESS_FIELDS = ("name", "line1", "line2", "city", "region", "postal_code", "country")
_VEHICLE_FIELDS = ("year", "make", "model", "engine", "nickname", "vin")

#: The form fields' labels, to name the one to correct.
LABELS: Mapping[str, str] = {
    "name": N_("Name"),
    "line1": N_("Street address"),
    "line2": N_("Address line 2"),
    "city": N_("City"),
    "region": N_("State or region"),
    "postal_code": N_("Postal code"),
    "country": N_("Country (two letters)"),
    "year": N_("Model year"),
    "make": N_("Make"),
    "model": N_("Model"),
    "engine": N_("Engine"),
    "nickname": N_("Nickname (optional)"),
    "vin": N_("VIN (optional)"),
}


# --- the Profile page and its sections -----------------------------------------------------


#: The Profile page's sections, in order: each takes its values from the one read.
SECTIONS: tuple[Section, ...] = (
    Section(
        N_("Saved addresses"), "profile_addresses.html", lambda whole: {"book": whole.addresses}
    ),
    Section(
        N_("Your garage"), "profile_garage.html", lambda whole: {"vehicles": whole.garage.vehicles}
    ),
    *SETTINGS_SECTIONS,
)


@profile.get("")
def home() -> Response:
    """The Profile page: every section from one library call (one session check, one read
    of the account's lists)."""
    match shopper().profile():
        case ProfilePage() as whole:
            shown = [(section, section.values(whole)) for section in SECTIONS]
            return page("profile.html", sections=shown)
        case NotLoggedIn():
            return to_log_in()


def _done(message: str) -> Response:
    return flash_and_go(message, "profile.home")


def _typed_id(value: str) -> str | None:
    return value if _ID.fullmatch(value) else None


def _correct(error: ValidationError) -> str:
    """What to correct, in the shopper's words: the field of a refused value."""
    name = error.field.rsplit(".", 1)[-1]
    label = gettext(LABELS[name]) if name in LABELS else name
    return gettext(N_("Please check this field: %(field)s."), field=label)


# --- saved addresses -----------------------------------------------------------------------


def _typed(names: tuple[str, ...]) -> dict[str, str]:
    """The fields as typed, to fill the form in again (bounded: a refused value may be
    longer than the field takes)."""
    return {name: request.form.get(name, "")[:100] for name in names}


def _address_form(
    status: int = 200,
    *,
    message: str | None = None,
    address: Address | Mapping[str, str] | None = None,
    address_id: str | None = None,
) -> Response:
    """The form to add an address, or to edit ``address_id`` (filled in with
    ``address``)."""
    return page(
        "profile_address.html", status, message=message, address=address, address_id=address_id
    )


def _typed_address(address_id: str | None = None) -> Address | Response:
    """The form's address, or the form again (400) saying which field to correct."""
    try:
        return form_address()
    except ValidationError as error:
        typed = _typed(_ADDRESS_FIELDS)
        return _address_form(400, message=_correct(error), address=typed, address_id=address_id)


def _saved(answer: object, done: str) -> Response:
    """The answer of adding or editing an address."""
    match answer:
        case AddressSaved():
            return _done(done)
        case AddressAlreadySaved():
            return _done(gettext(N_("You have saved this address already.")))
        case AddressBookFull(limit=limit):
            message = N_("You can save at most %(limit)s addresses: remove one first.")
            return _done(gettext(message, limit=limit))
        case AddressNotFound():
            return not_found()
        case NotLoggedIn():
            return to_log_in()
    raise TypeError(f"unexpected answer {type(answer).__name__}")  # pragma: no cover


@profile.get("/addresses/new")
def new_address() -> Response:
    return _address_form()


@profile.post("/addresses")
def add_address() -> Response:
    """Save the typed address (or a past order's, posted by its *Save* button)."""
    typed = _typed_address()
    if isinstance(typed, Response):
        return typed
    default = request.form.get("default") == "1"
    answer = shopper().add_address(typed, default=default)
    return _saved(answer, gettext(N_("The address is saved.")))


@profile.get("/addresses/<address_id>")
def edit_address_form(address_id: str) -> Response:
    typed = _typed_id(address_id)
    match shopper().addresses():
        case AddressBook(saved=saved):
            entry = next((s for s in saved if typed and s.address_id == typed), None)
            if entry is None:
                return not_found()
            return _address_form(address=entry.address, address_id=entry.address_id)
        case NotLoggedIn():
            return to_log_in()


@profile.post("/addresses/<address_id>")
def edit_address(address_id: str) -> Response:
    typed = _typed_id(address_id)
    if typed is None:
        return not_found()
    address = _typed_address(typed)
    if isinstance(address, Response):
        return address
    answer = shopper().edit_address(typed, address)
    return _saved(answer, gettext(N_("The address is changed.")))


@profile.post("/addresses/<address_id>/default")
def choose_default(address_id: str) -> Response:
    typed = _typed_id(address_id)
    if typed is None:
        return not_found()
    match shopper().choose_default_address(typed):
        case DefaultAddressChosen():
            return _done(gettext(N_("This is now your default address.")))
        case AddressNotFound():
            return not_found()
        case NotLoggedIn():
            return to_log_in()


@profile.post("/addresses/<address_id>/remove")
def remove_address(address_id: str) -> Response:
    typed = _typed_id(address_id)
    if typed is None:
        return not_found()
    match shopper().remove_address(typed):
        case AddressRemoved():
            return _done(gettext(N_("The address is removed.")))
        case AddressNotFound():
            return not_found()
        case NotLoggedIn():
            return to_log_in()


# --- the garage ------------------------------------------------------------------------------


def vin_message(error: InvalidVinError, typed: str) -> str:
    """The shopper's words for a refused VIN, naming the position the library names
    (``typed``: the VIN as typed, to tell a wrong check digit from a wrong character)."""
    position = error.position
    if position is None:
        message = N_("A VIN has 17 characters; this one has %(count)s.")
        return gettext(message, count=len(typed))
    if position == _VIN_CHECK_POSITION and typed[position - 1].upper() in _CHECK_DIGITS:
        message = N_(
            "Position 9 of the VIN is its check digit, and it does not match the other "
            "characters: one of them is mistyped."
        )
        return gettext(message)
    message = N_(
        "Position %(position)s of the VIN holds a character a VIN never has (only A to Z "
        "without I, O and Q, and 0 to 9)."
    )
    return gettext(message, position=position)


def _vehicle_form(status: int = 200, message: str | None = None) -> Response:
    """The add-a-vehicle form; after a refusal, with what was typed."""
    typed = _typed(_VEHICLE_FIELDS) if message else {}
    return page("profile_vehicle.html", status, message=message, typed=typed)


def _typed_vehicle() -> Vehicle | Response:
    """The form's vehicle, or the form again (400) saying what to correct."""
    year = field("year", 4)
    vin = field("vin", 17 * 4).replace(" ", "")
    try:
        if not _YEAR.fullmatch(year):
            raise InvalidFieldError("year", "is not a year of four digits")
        return Vehicle(
            int(year),
            field("make", 40),
            field("model", 60),
            field("engine", 60),
            nickname=field("nickname", 40) or None,
            vin=vin or None,
        )
    except InvalidVinError as error:
        return _vehicle_form(400, vin_message(error, vin))
    except ValidationError as error:
        return _vehicle_form(400, _correct(error))


@profile.get("/garage/new")
def new_vehicle() -> Response:
    return _vehicle_form()


@profile.post("/garage")
def add_vehicle() -> Response:
    vehicle = _typed_vehicle()
    if isinstance(vehicle, Response):
        return vehicle
    match shopper().add_vehicle(vehicle):
        case VehicleAdded():
            return _done(gettext(N_("The vehicle is in your garage.")))
        case VehicleNotInCatalog():
            message = N_(
                "Our catalog lists no such vehicle. Please check the year, make, model and engine."
            )
            return _vehicle_form(400, gettext(message))
        case GarageFull(limit=limit):
            message = N_("Your garage holds at most %(limit)s vehicles: remove one first.")
            return _done(gettext(message, limit=limit))
        case NotLoggedIn():
            return to_log_in()


@profile.post("/garage/<vehicle_id>/remove")
def remove_vehicle(vehicle_id: str) -> Response:
    typed = _typed_id(vehicle_id)
    if typed is None:
        return not_found()
    match shopper().remove_vehicle(typed):
        case VehicleRemoved():
            return _done(gettext(N_("The vehicle is out of your garage.")))
        case VehicleNotFound():
            return not_found()
        case NotLoggedIn():
            return to_log_in()
