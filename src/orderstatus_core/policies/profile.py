"""The rules of the profile page (saved addresses, the garage, discount codes, availability
alerts and store mail), as one value a store can override through the
``orderstatus_profile_policy`` hook::

    @hookimpl
    def orderstatus_profile_policy():
        return attrs.evolve(
            ProfilePolicy(),
            max_vehicles=5,
            mail_topics=("newsletter", "offers", "racing"),
            unsubscribe_key=os.environb[b"SHOP_UNSUBSCRIBE_KEY"],
        )

Pure values: no clock, no I/O.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import attrs

from orderstatus_core.model.mail_preferences import MIN_UNSUBSCRIBE_KEY as _MIN_KEY
from orderstatus_core.model.mail_preferences import TOPIC_PATTERN as _TOPIC
from orderstatus_core.policies._fields import whole_number

__all__ = ["ProfilePolicy", "alerts_link"]


def _lifetime(_instance: object, attribute: attrs.Attribute[timedelta], value: Any) -> None:
    if not isinstance(value, timedelta) or not _SHORTEST <= value <= _LONGEST:
        raise ValueError(f"{attribute.name} must be a timedelta from 1 minute to 5 years")


_SHORTEST, _LONGEST = timedelta(minutes=1), timedelta(days=5 * 366)


def _topics(_instance: object, attribute: attrs.Attribute[tuple[str, ...]], value: Any) -> None:
    if (
        not isinstance(value, tuple)
        or not 1 <= len(value) <= 20
        or len(set(value)) != len(value)
        or not all(isinstance(topic, str) and _TOPIC.fullmatch(topic) for topic in value)
    ):
        raise ValueError(
            f"{attribute.name} must be a tuple of 1 to 20 distinct topic names "
            "(a-z, then up to 31 of a-z, 0-9 and -)"
        )


def _key(_instance: object, attribute: attrs.Attribute[bytes | None], value: Any) -> None:
    if value is not None and (not isinstance(value, bytes) or len(value) < _MIN_KEY):
        raise ValueError(f"{attribute.name} must be None or at least {_MIN_KEY} random bytes")


@attrs.frozen
class ProfilePolicy:
    """How much a profile keeps (SECURITY H3: every list a shopper grows is bounded).

    The defaults follow issue 14: 20 saved addresses an account; 10 vehicles in a garage;
    the shipping addresses of the newest 50 linked orders offered for reuse; discount codes
    of 16 characters (80 random bits), at most 20 open ones an account, valid 90 days
    unless staff say otherwise, the newest 50 listed on the account page; 50 parts watched
    for their return to stock; store mail of two topics, ``newsletter`` and ``offers``,
    nobody subscribed until they ask.

    ``unsubscribe_key`` signs the one-click unsubscribe links of store mail (HMAC-SHA256,
    ``docs/profile.md``, Mail preferences). Draw it once (``secrets.token_bytes(32)``) and
    keep it out of the database, like a session secret: whoever holds it can unsubscribe
    anyone; changing it kills the links already mailed. Without it (the default) the store
    cannot queue store mail, and an unsubscribe link answers refused.
    """

    #: Saved addresses an account keeps; one more is refused (``AddressBookFull``).
    max_addresses: int = attrs.field(default=20, validator=whole_number(1, 200))
    #: Vehicles a garage keeps; one more is refused (``GarageFull``).
    max_vehicles: int = attrs.field(default=10, validator=whole_number(1, 100))
    #: How many of the newest linked orders offer their shipping address for reuse.
    reuse_from_orders: int = attrs.field(default=50, validator=whole_number(0, 500))
    #: Characters of a new discount code (13 to 32; 5 random bits each, so at least 65).
    discount_code_length: int = attrs.field(default=16, validator=whole_number(13, 32))
    #: Open (unused, unrevoked, unexpired) codes an account may hold; one more is refused
    #: (``TooManyCodes``).
    max_discount_codes: int = attrs.field(default=20, validator=whole_number(1, 1000))
    #: How long a code issued without a lifetime of its own stays valid (1 minute to 5
    #: years).
    discount_lifetime: timedelta = attrs.field(default=timedelta(days=90), validator=_lifetime)
    #: How many of an account's newest codes its page lists (``DiscountCodes``).
    listed_discount_codes: int = attrs.field(default=50, validator=whole_number(1, 500))
    #: Parts an account watches for their return to stock; one more is refused
    #: (``WatchListFull``).
    max_part_watches: int = attrs.field(default=50, validator=whole_number(1, 500))

    #: The topics of store mail a shopper may subscribe to (opt-in: none by default).
    #: Order and security mail are no topic: they always go out.
    mail_topics: tuple[str, ...] = attrs.field(default=("newsletter", "offers"), validator=_topics)
    #: The secret key of the unsubscribe links (at least 32 bytes); ``None``: no store mail.
    unsubscribe_key: bytes | None = attrs.field(default=None, validator=_key, repr=False)


def alerts_link(link_base: str) -> str:
    """The link an availability alert carries: the account's alerts page under the
    account policy's configured ``link_base``, nothing from a request (SECURITY D4). It
    holds no token: the page asks the shopper to log in.

    >>> alerts_link("https://shop.example/account/")
    'https://shop.example/account/alerts'
    """
    return f"{link_base.rstrip('/')}/alerts"
