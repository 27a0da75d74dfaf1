"""The JSON API's profile: saved addresses and the garage, on the ``api`` blueprint at
``/api/v1/account/addresses`` and ``/api/v1/account/garage``, with the account's Bearer
session (:mod:`storefront.api_account`).

The same commands as the Profile pages (:mod:`storefront.profile`): ``GET`` lists (the
address book also offers the addresses of past orders, as a checkout does), ``POST`` adds,
``PUT`` edits an address, ``DELETE`` removes. A refusal is an RFC 9457 problem: the same
address saved already or a full book or garage 409 (with ``address_id`` or ``limit``), a
vehicle the catalog does not list 409 too, a refused VIN 400 with the ``position`` the library
names; an id the account does not keep is the one 404.
"""

from __future__ import annotations

from typing import Any

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
    Garage,
    GarageFull,
    GarageVehicle,
    InvalidVinError,
    SavedAddress,
    Vehicle,
    VehicleAdded,
    VehicleNotFound,
    VehicleNotInCatalog,
    VehicleRemoved,
)

from .api import api
from .api_account import answer_account, shopper
from .api_web import (
    abort_not_found,
    bad_field,
    iso_time,
    json_address,
    json_answer,
    json_body,
    no_body,
    not_found_problem,
    problem,
    text_field,
)

__all__ = ["address_json"]

_ADDRESS_FIELDS = frozenset({"name", "line1", "line2", "city", "region", "postal_code", "country"})
_VEHICLE_FIELDS = frozenset({"year", "make", "model", "engine", "nickname", "vin"})
_FIRST_YEAR, _LAST_YEAR = 1886, 2100


def address_json(address: Address) -> dict[str, Any]:
    """An address as the shopper typed it (the shopper's own: not masked)."""
    return {
        "name": address.name,
        "line1": address.line1,
        "line2": address.line2,
        "city": address.city,
        "region": address.region,
        "postal_code": address.postal_code,
        "country": address.country,
    }


def _saved_json(saved: SavedAddress) -> dict[str, Any]:
    return {
        "address_id": saved.address_id,
        "default": saved.is_default,
        "saved_at": iso_time(saved.saved_at),
        "address": address_json(saved.address),
    }


def _vehicle_json(kept: GarageVehicle) -> dict[str, Any]:
    vehicle = kept.vehicle
    return {
        "vehicle_id": kept.vehicle_id,
        "catalog_id": kept.catalog_id,
        "added_at": iso_time(kept.added_at),
        "year": vehicle.year,
        "make": vehicle.make,
        "model": vehicle.model,
        "engine": vehicle.engine,
        "nickname": vehicle.nickname,
        "vin": vehicle.vin,
    }


def _id(value: str) -> str:
    """An id of the path; longer than any id the library draws: the one 404 (the library
    finds nothing for a shorter one it never drew)."""
    if len(value) > 64:
        abort_not_found()
    return value


def _address_saved(answer: object, status: int) -> Response:
    match answer:
        case AddressSaved(address_id=address_id):
            return json_answer({"address_id": address_id}, status)
        case AddressAlreadySaved(address_id=address_id):
            return problem(
                409,
                "This address is saved already (perhaps typed otherwise).",
                "/api/v1/problems/address-already-saved",
                address_id=address_id,
            )
        case AddressBookFull(limit=limit):
            return problem(
                409,
                f"The account keeps at most {limit} addresses: remove one first.",
                "/api/v1/problems/address-book-full",
                limit=limit,
            )
        case AddressNotFound():
            return not_found_problem()
    return answer_account(answer)


@api.get("/account/addresses")
def addresses() -> Response:
    """The address book: the saved addresses and those of past orders not saved."""
    answer = shopper().addresses()
    match answer:
        case AddressBook(saved=saved, from_orders=from_orders):
            return json_answer(
                {
                    "saved": [_saved_json(entry) for entry in saved],
                    "from_orders": [address_json(address) for address in from_orders],
                }
            )
    return answer_account(answer)


@api.post("/account/addresses")
def add_address() -> Response:
    body = json_body(_ADDRESS_FIELDS | {"default"})
    default = body.get("default", False)
    if not isinstance(default, bool):
        bad_field("default", "is not true or false")
    return _address_saved(shopper().add_address(json_address(body), default=default), 201)


@api.put("/account/addresses/<address_id>")
def edit_address(address_id: str) -> Response:
    typed = _id(address_id)
    body = json_body(_ADDRESS_FIELDS)
    return _address_saved(shopper().edit_address(typed, json_address(body)), 200)


@api.delete("/account/addresses/<address_id>")
def remove_address(address_id: str) -> Response:
    typed = _id(address_id)
    no_body()
    answer = shopper().remove_address(typed)
    match answer:
        case AddressRemoved():
            return Response(status=204)
        case AddressNotFound():
            return not_found_problem()
    return answer_account(answer)


@api.post("/account/addresses/<address_id>/default")
def choose_default(address_id: str) -> Response:
    typed = _id(address_id)
    no_body()
    answer = shopper().choose_default_address(typed)
    match answer:
        case DefaultAddressChosen(address_id=chosen):
            return json_answer({"address_id": chosen})
        case AddressNotFound():
            return not_found_problem()
    return answer_account(answer)


# --- the garage ------------------------------------------------------------------------------


@api.errorhandler(InvalidVinError)
def _invalid_vin(error: InvalidVinError) -> Response:
    """A refused VIN: the library's words and the position they name (``null``: the
    length is wrong)."""
    return problem(
        400,
        f"{error.message} @ {error.field}",
        "/api/v1/problems/invalid-vin",
        field=error.field,
        position=error.position,
    )


@api.get("/account/garage")
def garage() -> Response:
    answer = shopper().garage()
    match answer:
        case Garage(vehicles=vehicles):
            return json_answer({"vehicles": [_vehicle_json(kept) for kept in vehicles]})
    return answer_account(answer)


def _json_vehicle() -> Vehicle:
    body = json_body(_VEHICLE_FIELDS)
    year = body.get("year")
    if isinstance(year, bool) or not isinstance(year, int) or not _FIRST_YEAR <= year <= _LAST_YEAR:
        bad_field("year", f"is not a model year from {_FIRST_YEAR} to {_LAST_YEAR}")
    return Vehicle(
        year,
        text_field(body, "make", 40),
        text_field(body, "model", 60),
        text_field(body, "engine", 60),
        nickname=text_field(body, "nickname", 40, required=False) or None,
        vin=text_field(body, "vin", 40, required=False) or None,
    )


@api.post("/account/garage")
def add_vehicle() -> Response:
    answer = shopper().add_vehicle(_json_vehicle())
    match answer:
        case VehicleAdded(vehicle_id=vehicle_id, catalog_id=catalog_id):
            return json_answer({"vehicle_id": vehicle_id, "catalog_id": catalog_id}, 201)
        case VehicleNotInCatalog():
            return problem(
                409,
                "The store's catalog lists no such vehicle.",
                "/api/v1/problems/vehicle-not-in-catalog",
            )
        case GarageFull(limit=limit):
            return problem(
                409,
                f"The garage holds at most {limit} vehicles: remove one first.",
                "/api/v1/problems/garage-full",
                limit=limit,
            )
    return answer_account(answer)


@api.delete("/account/garage/<vehicle_id>")
def remove_vehicle(vehicle_id: str) -> Response:
    typed = _id(vehicle_id)
    no_body()
    answer = shopper().remove_vehicle(typed)
    match answer:
        case VehicleRemoved():
            return Response(status=204)
        case VehicleNotFound():
            return not_found_problem()
    return answer_account(answer)
