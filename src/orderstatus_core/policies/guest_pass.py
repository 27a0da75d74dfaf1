"""The rules of the guest pass, as one value a store can override."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import attrs

from orderstatus_core.model.guest_pass import MAX_TRIES
from orderstatus_core.policies.limits import Quota

__all__ = ["PASS_ACTIONS", "GuestPassPolicy", "pass_link"]

#: The guest actions that may need a guest pass, as named to ``orderstatus_pass_required``.
PASS_ACTIONS = frozenset({"cancel", "change", "report", "return"})

_MINUTE = timedelta(minutes=1)
_FIFTEEN_MINUTES = timedelta(minutes=15)
_MAX_LINK_BASE = 500


def _check_link_base(_instance: object, attribute: attrs.Attribute[str], value: Any) -> None:
    problem = f"{attribute.name} must be an absolute http(s) URL without query or fragment"
    if not isinstance(value, str) or not value.isascii() or not value.isprintable():
        raise ValueError(problem)
    if len(value) > _MAX_LINK_BASE or any(char in value for char in " ?#"):
        raise ValueError(problem)
    parts = urlsplit(value)
    if parts.scheme not in {"https", "http"} or not parts.hostname:
        raise ValueError(problem)


def _positive(_instance: object, attribute: attrs.Attribute[timedelta], value: Any) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise ValueError(f"{attribute.name} must be a positive timedelta")


@attrs.frozen
class GuestPassPolicy:
    """Lifetimes, tries, the link's address and the rate limits of the guest pass.

    The defaults follow DOMAIN.md section 1 and SECURITY D3: a code or link lives 15 minutes
    and allows 3 tries; the pass it earns lives 30 minutes. ``link_base`` is the store's own
    page that receives the link; mailed links are built from it alone, never from the
    request being answered (its ``Host`` header could be an attacker's, SECURITY D4).

    Requests send mail, so they are limited per client, per identifier and per order number
    like find-order (SECURITY C1); tries are limited per client and per order number on top
    of the per-challenge try count.
    """

    #: How long a mailed code and link stay valid.
    code_ttl: timedelta = attrs.field(default=_FIFTEEN_MINUTES, validator=_positive)
    #: Wrong codes or links a challenge allows; the last wrong one closes it.
    code_tries: int = attrs.field(
        default=3, validator=attrs.validators.in_(range(1, MAX_TRIES + 1))
    )
    #: How long a guest pass stays valid once earned.
    pass_ttl: timedelta = attrs.field(default=timedelta(minutes=30), validator=_positive)
    #: The store's landing page for mailed links; the link adds ``?token=...``.
    link_base: str = attrs.field(
        default="https://shop.example/order-status/pass", validator=_check_link_base
    )
    #: Pass requests per client (IP address or session) in fifteen minutes.
    request_per_client: Quota = Quota(10, _FIFTEEN_MINUTES)
    #: Pass requests per canonical email or phone in fifteen minutes.
    request_per_identifier: Quota = Quota(3, _FIFTEEN_MINUTES)
    #: Pass requests per order number in fifteen minutes (each one mails the shopper).
    request_per_order_number: Quota = Quota(3, _FIFTEEN_MINUTES)
    #: Code and link tries per client a minute.
    verify_per_client: Quota = Quota(10, _MINUTE)
    #: Code tries per order number in fifteen minutes, whatever challenge they hit.
    verify_per_order_number: Quota = Quota(10, _FIFTEEN_MINUTES)


def pass_link(link_base: str, token: str) -> str:
    """The mailed link: the configured base and the token, nothing from the request.

    >>> pass_link("https://shop.example/order-status/pass", "abc.def")
    'https://shop.example/order-status/pass?token=abc.def'
    """
    return f"{link_base}?token={token}"
