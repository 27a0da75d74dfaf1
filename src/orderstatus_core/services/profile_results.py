"""The answers of the profile commands (saved addresses and the garage): values of closed
unions for a page's ``match`` statement, beside :mod:`orderstatus_core.services.results`."""

from __future__ import annotations

import attrs

from orderstatus_core.model.address import Address
from orderstatus_core.model.profile import GarageVehicle, SavedAddress
from orderstatus_core.services.alert_results import PartWatches
from orderstatus_core.services.credit_results import AccountCredit, DiscountCodes
from orderstatus_core.services.preference_results import MailPreferences
from orderstatus_core.services.results import NotLoggedIn

__all__ = [
    "AddVehicleResult",
    "AddressAlreadySaved",
    "AddressBook",
    "AddressBookFull",
    "AddressBookResult",
    "AddressNotFound",
    "AddressRemoved",
    "AddressSaved",
    "ChooseDefaultResult",
    "DefaultAddressChosen",
    "Garage",
    "GarageFull",
    "GarageResult",
    "ProfilePage",
    "ProfilePageResult",
    "RemoveAddressResult",
    "RemoveVehicleResult",
    "SaveAddressResult",
    "VehicleAdded",
    "VehicleNotFound",
    "VehicleNotInCatalog",
    "VehicleRemoved",
]


@attrs.frozen
class AddressBook:
    """Every address a checkout offers, in one answer: the account's saved addresses
    (oldest first) and the shipping addresses of its newest linked orders that are not
    saved, each once (newest order first; two addresses with one
    :func:`~orderstatus_core.model.profile.address_key` are one)."""

    saved: tuple[SavedAddress, ...]
    from_orders: tuple[Address, ...]

    @property
    def default(self) -> SavedAddress | None:
        """The saved address the shopper chose as the default, if any."""
        return next((saved for saved in self.saved if saved.is_default), None)


@attrs.frozen
class AddressSaved:
    """The address is saved (added or edited) under ``address_id``."""

    address_id: str


@attrs.frozen
class AddressAlreadySaved:
    """The account keeps this address already (the same one, perhaps typed with other case
    or spacing), under ``address_id``; nothing changed."""

    address_id: str


@attrs.frozen
class AddressBookFull:
    """The account keeps ``limit`` addresses, the most it may; remove one first."""

    limit: int


@attrs.frozen
class AddressNotFound:
    """The account keeps no address of that id; nothing changed."""


@attrs.frozen
class AddressRemoved:
    """The address is no longer saved (if it was the default, there is none now)."""

    address_id: str


@attrs.frozen
class DefaultAddressChosen:
    """The address of ``address_id`` is the default now; no other is."""

    address_id: str


@attrs.frozen
class Garage:
    """The vehicles of the account's garage, oldest first."""

    vehicles: tuple[GarageVehicle, ...]


@attrs.frozen
class VehicleAdded:
    """The vehicle is in the garage under ``vehicle_id``, listed by the store's catalog as
    ``catalog_id``."""

    vehicle_id: str
    catalog_id: str


@attrs.frozen
class VehicleNotInCatalog:
    """The store's catalog lists no such vehicle; nothing changed."""


@attrs.frozen
class GarageFull:
    """The garage holds ``limit`` vehicles, the most it may; remove one first."""

    limit: int


@attrs.frozen
class VehicleNotFound:
    """The garage holds no vehicle of that id; nothing changed."""


@attrs.frozen
class VehicleRemoved:
    """The vehicle is no longer in the garage."""

    vehicle_id: str


@attrs.frozen
class ProfilePage:
    """Everything the Profile page shows, read with one session check in one read unit:
    each part equal to the answer of the shopper's call of the same name
    (``addresses()``, ``garage()``, ``store_credit()``, ``discount_codes()``,
    ``part_watches()``, ``mail_preferences()``), and the account's preferred ``language``
    (``check()``'s)."""

    addresses: AddressBook
    garage: Garage
    store_credit: AccountCredit
    discount_codes: DiscountCodes
    part_watches: PartWatches
    mail_preferences: MailPreferences
    language: str


AddressBookResult = AddressBook | NotLoggedIn
SaveAddressResult = (
    AddressSaved | AddressAlreadySaved | AddressBookFull | AddressNotFound | NotLoggedIn
)
RemoveAddressResult = AddressRemoved | AddressNotFound | NotLoggedIn
ChooseDefaultResult = DefaultAddressChosen | AddressNotFound | NotLoggedIn
GarageResult = Garage | NotLoggedIn
AddVehicleResult = VehicleAdded | VehicleNotInCatalog | GarageFull | NotLoggedIn
RemoveVehicleResult = VehicleRemoved | VehicleNotFound | NotLoggedIn
ProfilePageResult = ProfilePage | NotLoggedIn
