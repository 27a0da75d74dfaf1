"""The rules of the profile page (saved addresses, the garage, availability alerts), as
one value a store can override through the ``orderstatus_profile_policy`` hook::

    @hookimpl
    def orderstatus_profile_policy():
        return attrs.evolve(ProfilePolicy(), max_vehicles=5)

Pure values: no clock, no I/O.
"""

from __future__ import annotations

from typing import Any

import attrs

__all__ = ["ProfilePolicy", "alerts_link"]


def _whole(low: int, high: int) -> Any:
    def check(_instance: object, attribute: attrs.Attribute[int], value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ValueError(f"{attribute.name} must be a whole number from {low} to {high}")

    return check


@attrs.frozen
class ProfilePolicy:
    """How much a profile keeps (SECURITY H3: every list a shopper grows is bounded).

    The defaults follow issue 14: 20 saved addresses an account; 10 vehicles in a garage;
    the shipping addresses of the newest 50 linked orders offered for reuse; 50 parts
    watched for their return to stock.
    """

    #: Saved addresses an account keeps; one more is refused (``AddressBookFull``).
    max_addresses: int = attrs.field(default=20, validator=_whole(1, 200))
    #: Vehicles a garage keeps; one more is refused (``GarageFull``).
    max_vehicles: int = attrs.field(default=10, validator=_whole(1, 100))
    #: How many of the newest linked orders offer their shipping address for reuse.
    reuse_from_orders: int = attrs.field(default=50, validator=_whole(0, 500))
    #: Parts an account watches for their return to stock; one more is refused
    #: (``WatchListFull``).
    max_part_watches: int = attrs.field(default=50, validator=_whole(1, 500))


def alerts_link(link_base: str) -> str:
    """The link an availability alert carries: the account's alerts page under the
    account policy's configured ``link_base``, nothing from a request (SECURITY D4). It
    holds no token: the page asks the shopper to log in.

    >>> alerts_link("https://shop.example/account/")
    'https://shop.example/account/alerts'
    """
    return f"{link_base.rstrip('/')}/alerts"
