"""The rules of the guest look-up features, as one value a store can override."""

from __future__ import annotations

from datetime import timedelta

import attrs

from orderstatus_core.policies._fields import whole_number
from orderstatus_core.policies.limits import Quota

__all__ = ["LookupPolicy"]


_MINUTE = timedelta(minutes=1)
_FIVE_MINUTES = timedelta(minutes=5)
_HOUR = timedelta(hours=1)


@attrs.frozen
class LookupPolicy:
    """Rate limits and sizes of find-order, Order Look-Up and search.

    The defaults follow SECURITY C1 (django-allauth's shapes): find-order is limited per
    client, per canonical identifier and per order number, so neither guessing order
    numbers for one email nor emails for one order number gets far. Order Look-Up is
    limited per email, so nobody can flood a shopper's mailbox.
    """

    #: Find-order attempts per client (IP address or session) a minute.
    find_per_client: Quota = Quota(20, _MINUTE)
    #: Find-order attempts per canonical email or phone in five minutes.
    find_per_identifier: Quota = Quota(10, _FIVE_MINUTES)
    #: Find-order attempts per order number in five minutes.
    find_per_order_number: Quota = Quota(10, _FIVE_MINUTES)
    #: Order Look-Up requests per client an hour.
    order_list_per_client: Quota = Quota(10, _HOUR)
    #: Order Look-Up mails per canonical email an hour.
    order_list_per_email: Quota = Quota(3, _HOUR)
    #: How many order numbers the Order Look-Up mail lists (DOMAIN.md: 10).
    order_list_size: int = attrs.field(default=10, validator=whole_number(1, 100))
    #: Search page size when the caller does not ask for one, and the largest allowed; the
    #: first may not be larger than the second.
    search_page_size: int = attrs.field(default=20, validator=whole_number(1, 100))
    max_search_page_size: int = attrs.field(default=100, validator=whole_number(1, 1000))
    #: How to read a phone number typed without ``+country``: the store's home country.
    phone_region: str = "US"
    #: Language of the Order Look-Up mail when nothing else says.
    mail_language: str = "en"

    def __attrs_post_init__(self) -> None:
        # Checked here, not at the first search: a default page larger than the largest
        # would make every search that leaves the size to the store fail.
        if self.search_page_size > self.max_search_page_size:
            raise ValueError("search_page_size must not be larger than max_search_page_size")
