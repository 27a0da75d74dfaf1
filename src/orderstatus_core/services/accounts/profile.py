"""The profile page: saved addresses and the garage (DOMAIN.md section 2, issue 14 items 1
and 2, SECURITY F4, H3).

* :func:`address_book`: everything a checkout offers in one call, the saved addresses and
  the shipping addresses of the account's newest linked orders not saved yet, each once;
* :func:`add_address`, :func:`edit_address`, :func:`remove_address`,
  :func:`choose_default_address`: at most the policy's number per account [20], one
  address saved once (:func:`~orderstatus_core.model.profile.address_key`), at most one
  default;
* :func:`garage`, :func:`add_vehicle`, :func:`remove_vehicle`: vehicles the store's
  :class:`~orderstatus_core.ports.VehicleCatalog` lists, at most the policy's number [10].

Each command takes its explicit input type (an :class:`~orderstatus_core.model.Address`,
a :class:`~orderstatus_core.model.profile.Vehicle`, an id): nothing else is bound from the
shopper's input (F4). Every change is one write unit holding the account's lock (read
first), so two tabs adding at once never pass the bound together (G1, G2).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

import attrs

from orderstatus_core.errors import AdapterError, FieldTooLongError, InvalidFieldError
from orderstatus_core.model.address import Address
from orderstatus_core.model.profile import (
    GarageVehicle,
    SavedAddress,
    Vehicle,
    address_key,
)
from orderstatus_core.policies.vehicles import PlausibleVehicles
from orderstatus_core.ports import AccountStore, VehicleCatalog
from orderstatus_core.services._texts import in_language
from orderstatus_core.services.accounts._common import (
    ShopperProof,
    account_unit,
    checked_shopper,
    live_session,
    session_texts,
)
from orderstatus_core.services.context import ServiceContext
from orderstatus_core.services.profile_results import (
    AddressAlreadySaved,
    AddressBook,
    AddressBookFull,
    AddressBookResult,
    AddressNotFound,
    AddressRemoved,
    AddressSaved,
    AddVehicleResult,
    ChooseDefaultResult,
    DefaultAddressChosen,
    Garage,
    GarageFull,
    GarageResult,
    RemoveAddressResult,
    RemoveVehicleResult,
    SaveAddressResult,
    VehicleAdded,
    VehicleNotFound,
    VehicleNotInCatalog,
    VehicleRemoved,
)
from orderstatus_core.services.results import NotLoggedIn

__all__ = [
    "add_address",
    "add_vehicle",
    "address_book",
    "choose_default_address",
    "edit_address",
    "garage",
    "read_address_book",
    "read_garage",
    "remove_address",
    "remove_vehicle",
    "vehicle_catalog",
]

R = TypeVar("R")

_NOT_LOGGED_IN = NotLoggedIn()
_ADDRESS_NOT_FOUND = AddressNotFound()
_VEHICLE_NOT_FOUND = VehicleNotFound()
_NOT_IN_CATALOG = VehicleNotInCatalog()
# What the ids the service draws look like (secrets.token_urlsafe(12): 16 characters); a
# typed id of another shape finds nothing, one longer than any id is refused (H3).
_ID = re.compile(r"[A-Za-z0-9_-]{8,32}")
_MAX_ID = 64
_CATALOG_ID = re.compile(r"[!-~]{1,64}")


def _new_id() -> str:
    return secrets.token_urlsafe(12)


def _typed_id(field: str, value: object) -> str | None:
    """``value`` if it can be an id the service drew, ``None`` if it is text that cannot
    (so it finds nothing); a non-string or an over-long text raises."""
    if not isinstance(value, str):
        raise InvalidFieldError(field, f"must be text, not {type(value).__name__}")
    if len(value) > _MAX_ID:
        raise FieldTooLongError(field, f"must be at most {_MAX_ID} characters")
    return value if _ID.fullmatch(value) else None


def _address(value: object) -> Address:
    if not isinstance(value, Address):
        raise InvalidFieldError("address", "must be an Address (validated as an order's)")
    return value


def _flag(field: str, value: object) -> bool:
    if not isinstance(value, bool):
        raise InvalidFieldError(field, "must be True or False")
    return value


def _not_logged_in(ctx: ServiceContext, proof: ShopperProof) -> NotLoggedIn:
    return in_language(_NOT_LOGGED_IN, session_texts(ctx, proof, None))


def _reading(
    ctx: ServiceContext, proof: ShopperProof, read: Callable[[AccountStore, str], R]
) -> R | NotLoggedIn:
    """``read(store, account_id)`` in a read unit, for the shopper of a live session."""
    live = live_session(ctx, proof, worded=False)
    if live is None:
        return _not_logged_in(ctx, proof)
    with ctx.storage.unit_of_work() as uow:
        return read(uow.accounts, live.session.account_id)


def _changing(
    ctx: ServiceContext,
    proof: ShopperProof,
    change: Callable[[AccountStore, str, datetime], R],
) -> R | NotLoggedIn:
    """``change(store, account_id, now)`` for the shopper of a live session, in
    :func:`_locked`."""
    live = live_session(ctx, proof, worded=False)
    if live is None:
        return _not_logged_in(ctx, proof)
    return _locked(ctx, proof, live.session.account_id, change)


def _locked(
    ctx: ServiceContext,
    proof: ShopperProof,
    account_id: str,
    change: Callable[[AccountStore, str, datetime], R],
) -> R | NotLoggedIn:
    """``change(store, account_id, now)`` in one write unit holding the account's lock
    (read first; the time read after it, SECURITY G6), committed. A refusal writes
    nothing, so committing it changes nothing; a deleted account is NotLoggedIn."""
    with account_unit(ctx, account_id) as (uow, account, now):
        if account is None:
            return _not_logged_in(ctx, proof)
        answer = change(uow.accounts, account_id, now)
        uow.commit()
    return answer


def _entry(kept: Sequence[SavedAddress], address_id: str | None) -> SavedAddress | None:
    return next((saved for saved in kept if saved.address_id == address_id), None)


# --- saved addresses -------------------------------------------------------------------------


def address_book(ctx: ServiceContext, proof: ShopperProof) -> AddressBookResult:
    """Every address a checkout offers, in one call (:class:`AddressBook`): the saved ones,
    oldest first, and the shipping addresses of the newest linked orders (the policy's
    ``reuse_from_orders``, 50) that are not saved, newest first, each once.

    One session check and one read unit of two statements.
    """
    proof = checked_shopper(proof)
    recent = ctx.policies.profile_policy().reuse_from_orders
    return _reading(
        ctx, proof, lambda store, account_id: read_address_book(store, account_id, recent)
    )


def read_address_book(store: AccountStore, account_id: str, recent: int) -> AddressBook:
    """The account's :class:`AddressBook` in the caller's unit, offering the addresses of
    its ``recent`` newest linked orders: :func:`address_book`'s read and the profile
    page's."""
    saved = tuple(store.saved_addresses(account_id))
    from_orders = store.order_addresses(account_id, recent)
    seen = {entry.key for entry in saved}
    offered: list[Address] = []
    # A shopper's orders mostly go to a few addresses: each distinct one is folded once.
    for address in dict.fromkeys(from_orders):
        key = address_key(address)
        if key not in seen:
            seen.add(key)
            offered.append(address)
    return AddressBook(saved=saved, from_orders=tuple(offered))


def add_address(
    ctx: ServiceContext, proof: ShopperProof, address: Address, *, default: bool = False
) -> SaveAddressResult:
    """Save ``address`` (an :class:`~orderstatus_core.model.Address`, validated as an
    order's shipping address is), the default if ``default``.

    The same address saved already (other case or spacing included) answers
    :class:`AddressAlreadySaved` with its id; an account at the policy's bound
    (``max_addresses``, 20) answers :class:`AddressBookFull`. Both change nothing.
    """
    proof = checked_shopper(proof)
    address = _address(address)
    default = _flag("default", default)
    limit = ctx.policies.profile_policy().max_addresses
    key = address_key(address)

    def add(
        store: AccountStore, account_id: str, now: datetime
    ) -> AddressSaved | AddressAlreadySaved | AddressBookFull:
        kept = store.saved_addresses(account_id)
        same = next((entry for entry in kept if entry.key == key), None)
        if same is not None:
            return AddressAlreadySaved(address_id=same.address_id)
        if len(kept) >= limit:
            return AddressBookFull(limit=limit)
        if default:
            _drop_default(store, kept)
        saved = SavedAddress(account_id, _new_id(), address, default, now)
        store.put_address(saved)
        return AddressSaved(address_id=saved.address_id)

    return _changing(ctx, proof, add)


def edit_address(
    ctx: ServiceContext, proof: ShopperProof, address_id: str, address: Address
) -> SaveAddressResult:
    """Replace the saved address ``address_id`` with ``address``; it keeps its place and
    whether it is the default. :class:`AddressAlreadySaved` when another saved address is
    the same one, :class:`AddressNotFound` for an id the account does not keep."""
    proof = checked_shopper(proof)
    typed = _typed_id("address_id", address_id)
    address = _address(address)
    key = address_key(address)

    def edit(
        store: AccountStore, account_id: str, _now: datetime
    ) -> AddressSaved | AddressAlreadySaved | AddressNotFound:
        kept = store.saved_addresses(account_id)
        entry = _entry(kept, typed)
        if entry is None:
            return _ADDRESS_NOT_FOUND
        same = next((s for s in kept if s.key == key and s is not entry), None)
        if same is not None:
            return AddressAlreadySaved(address_id=same.address_id)
        store.put_address(attrs.evolve(entry, address=address))
        return AddressSaved(address_id=entry.address_id)

    return _changing(ctx, proof, edit)


def remove_address(
    ctx: ServiceContext, proof: ShopperProof, address_id: str
) -> RemoveAddressResult:
    """Remove the saved address ``address_id`` (the default too: then there is none)."""
    proof = checked_shopper(proof)
    typed = _typed_id("address_id", address_id)

    def remove(
        store: AccountStore, account_id: str, _now: datetime
    ) -> AddressRemoved | AddressNotFound:
        if typed is None or not store.remove_address(account_id, typed):
            return _ADDRESS_NOT_FOUND
        return AddressRemoved(address_id=typed)

    return _changing(ctx, proof, remove)


def choose_default_address(
    ctx: ServiceContext, proof: ShopperProof, address_id: str
) -> ChooseDefaultResult:
    """Make the saved address ``address_id`` the default (the one before it no longer
    is)."""
    proof = checked_shopper(proof)
    typed = _typed_id("address_id", address_id)

    def choose(
        store: AccountStore, account_id: str, _now: datetime
    ) -> DefaultAddressChosen | AddressNotFound:
        kept = store.saved_addresses(account_id)
        entry = _entry(kept, typed)
        if entry is None:
            return _ADDRESS_NOT_FOUND
        if not entry.is_default:
            _drop_default(store, kept)
            store.put_address(attrs.evolve(entry, is_default=True))
        return DefaultAddressChosen(address_id=entry.address_id)

    return _changing(ctx, proof, choose)


def _drop_default(store: AccountStore, kept: Sequence[SavedAddress]) -> None:
    """Make the account's default, if any, an ordinary address (before another becomes
    it: the storage refuses two)."""
    for saved in kept:
        if saved.is_default:
            store.put_address(attrs.evolve(saved, is_default=False))


# --- the garage ------------------------------------------------------------------------------


def vehicle_catalog(ctx: ServiceContext) -> VehicleCatalog:
    """The store's vehicle catalog: the context's, or
    :class:`~orderstatus_core.policies.vehicles.PlausibleVehicles` when none is set."""
    return PlausibleVehicles() if ctx.vehicle_catalog is None else ctx.vehicle_catalog


def _catalog_id(ctx: ServiceContext, vehicle: Vehicle) -> str | None:
    catalog = vehicle_catalog(ctx)
    answer = catalog.resolve(vehicle)
    if answer is not None and not (isinstance(answer, str) and _CATALOG_ID.fullmatch(answer)):
        raise AdapterError(
            f"the vehicle catalog {type(catalog).__name__} answered {type(answer).__name__}, "
            "not a catalog id (1 to 64 printable ASCII characters) or None"
        )
    return answer


def garage(ctx: ServiceContext, proof: ShopperProof) -> GarageResult:
    """The vehicles of the account's garage, oldest first (:class:`Garage`)."""
    proof = checked_shopper(proof)
    return _reading(ctx, proof, read_garage)


def read_garage(store: AccountStore, account_id: str) -> Garage:
    """The account's :class:`Garage` in the caller's unit (:func:`garage`'s read and the
    profile page's)."""
    return Garage(vehicles=tuple(store.garage(account_id)))


def add_vehicle(ctx: ServiceContext, proof: ShopperProof, vehicle: Vehicle) -> AddVehicleResult:
    """Put ``vehicle`` (a :class:`~orderstatus_core.model.profile.Vehicle`, its VIN
    checked) in the garage, linked to the store's catalog.

    The catalog is asked before the account's lock is taken (it may be a remote service),
    and only for a live session; a vehicle it does not list answers
    :class:`VehicleNotInCatalog`, a garage at the policy's bound (``max_vehicles``, 10)
    :class:`GarageFull`. A catalog that fails raises
    :class:`~orderstatus_core.errors.AdapterError` and changes nothing.
    """
    proof = checked_shopper(proof)
    if not isinstance(vehicle, Vehicle):
        raise InvalidFieldError("vehicle", "must be a Vehicle")
    live = live_session(ctx, proof, worded=False)
    if live is None:
        return _not_logged_in(ctx, proof)
    catalog_id = _catalog_id(ctx, vehicle)
    if catalog_id is None:
        return _NOT_IN_CATALOG
    limit = ctx.policies.profile_policy().max_vehicles

    def add(store: AccountStore, account_id: str, now: datetime) -> VehicleAdded | GarageFull:
        if len(store.garage(account_id)) >= limit:
            return GarageFull(limit=limit)
        added = GarageVehicle(account_id, _new_id(), vehicle, catalog_id, now)
        store.put_vehicle(added)
        return VehicleAdded(vehicle_id=added.vehicle_id, catalog_id=catalog_id)

    return _locked(ctx, proof, live.session.account_id, add)


def remove_vehicle(
    ctx: ServiceContext, proof: ShopperProof, vehicle_id: str
) -> RemoveVehicleResult:
    """Take the vehicle ``vehicle_id`` out of the garage."""
    proof = checked_shopper(proof)
    typed = _typed_id("vehicle_id", vehicle_id)

    def remove(
        store: AccountStore, account_id: str, _now: datetime
    ) -> VehicleRemoved | VehicleNotFound:
        if typed is None or not store.remove_vehicle(account_id, typed):
            return _VEHICLE_NOT_FOUND
        return VehicleRemoved(vehicle_id=typed)

    return _changing(ctx, proof, remove)
