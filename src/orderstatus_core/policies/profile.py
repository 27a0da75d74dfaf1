"""The rules of the profile page (saved addresses, the garage and store mail), as one
value a store can override through the ``orderstatus_profile_policy`` hook::

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

from typing import Any

import attrs

from orderstatus_core.model.mail_preferences import MIN_UNSUBSCRIBE_KEY as _MIN_KEY
from orderstatus_core.model.mail_preferences import TOPIC_PATTERN as _TOPIC

__all__ = ["ProfilePolicy"]


def _whole(low: int, high: int) -> Any:
    def check(_instance: object, attribute: attrs.Attribute[int], value: Any) -> None:
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ValueError(f"{attribute.name} must be a whole number from {low} to {high}")

    return check


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
    the shipping addresses of the newest 50 linked orders offered for reuse; store mail of
    two topics, ``newsletter`` and ``offers``, nobody subscribed until they ask.

    ``unsubscribe_key`` signs the one-click unsubscribe links of store mail (HMAC-SHA256,
    ``docs/profile.md``, Mail preferences). Draw it once (``secrets.token_bytes(32)``) and
    keep it out of the database, like a session secret: whoever holds it can unsubscribe
    anyone; changing it kills the links already mailed. Without it (the default) the store
    cannot queue store mail, and an unsubscribe link answers refused.
    """

    #: Saved addresses an account keeps; one more is refused (``AddressBookFull``).
    max_addresses: int = attrs.field(default=20, validator=_whole(1, 200))
    #: Vehicles a garage keeps; one more is refused (``GarageFull``).
    max_vehicles: int = attrs.field(default=10, validator=_whole(1, 100))
    #: How many of the newest linked orders offer their shipping address for reuse.
    reuse_from_orders: int = attrs.field(default=50, validator=_whole(0, 500))
    #: The topics of store mail a shopper may subscribe to (opt-in: none by default).
    #: Order and security mail are no topic: they always go out.
    mail_topics: tuple[str, ...] = attrs.field(default=("newsletter", "offers"), validator=_topics)
    #: The secret key of the unsubscribe links (at least 32 bytes); ``None``: no store mail.
    unsubscribe_key: bytes | None = attrs.field(default=None, validator=_key, repr=False)
