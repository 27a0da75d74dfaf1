"""How much personal data an unverified viewer sees (DOMAIN.md section 1, SECURITY F3).

An order number and an email are an identifier, not a secret: whoever has both sees the
order, but not enough of the address or phone to learn something new about the shopper.
"""

from __future__ import annotations

from orderstatus_core.model import Address
from orderstatus_core.model.views import MaskedAddress

__all__ = ["mask_address", "mask_email", "mask_phone", "mask_text"]

_MASK = "•"


def mask_text(text: str, keep: int = 1) -> str:
    """Keep the first ``keep`` characters of each word, hide the rest.

    >>> mask_text("Jane Doe")
    'J••• D••'
    """
    return " ".join(word[:keep] + _MASK * max(len(word) - keep, 0) for word in text.split())


def mask_email(display: str) -> str:
    """``j•••@example.com``: the first letter and the domain (SECURITY C4's form)."""
    local, _at, domain = display.rpartition("@")
    return f"{local[:1]}{_MASK * 3}@{domain}"


def mask_phone(e164: str) -> str:
    """Only the last two digits: ``+•••••••••71``.

    (Where the country code ends cannot be told from E.164 text alone, so it is hidden too.)
    """
    return "+" + _MASK * (len(e164) - 3) + e164[-2:]


def mask_address(address: Address) -> MaskedAddress:
    """Name initials, street hidden, city and region shown, postal code shortened."""
    postal = address.postal_code
    return MaskedAddress(
        name=mask_text(address.name),
        street=_MASK * 6,
        city=address.city,
        region=address.region,
        postal_code=postal[:2] + _MASK * max(len(postal) - 2, 0),
        country=address.country,
    )
