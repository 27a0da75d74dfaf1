"""How much personal data an unverified viewer sees (DOMAIN.md section 1, SECURITY F3).

An order number and an email are an identifier, not a secret: whoever has both sees the
order, but not enough of the address or phone to learn something new about the shopper.

Every hidden part is shown as the same ``•••``, whatever its length: a
mask that kept one dot per hidden letter (``Z•••••• Q••••••••••••``) would tell a name's
length, and with the initials that narrows it down to a few names. What stays visible is
what the shopper needs to recognise their own order: initials, the email's domain, the
phone's last two digits, the postal code's first two characters, the city.
"""

from __future__ import annotations

from typing import Final

from orderstatus_core.model import Address, restorer
from orderstatus_core.model.views import MaskedAddress

__all__ = ["mask_address", "mask_email", "mask_phone", "mask_text"]

_HIDDEN = "•••"

# MaskedAddress has no validator, converter or default, so its generated restorer builds
# exactly what its attrs __init__ would, storing straight into the slots: a third of
# the cost (find-order builds one per call; bench/RESULTS.md, issue 11).
_masked_address: Final = restorer(MaskedAddress)


def mask_text(text: str, keep: int = 1) -> str:
    """The first ``keep`` characters of the first and of the last word, each followed by
    ``•••``; the words between are left out.

    So the mask tells neither how long a name is nor how many middle names it has, only
    whether it has more than one word.

    >>> mask_text("Jane Doe")
    'J••• D•••'
    >>> mask_text("Jane Q. Doe-Smithson")
    'J••• D•••'
    >>> mask_text("Cher")
    'C•••'
    """
    words = text.split()
    if len(words) < 2:
        return "".join(word[:keep] + _HIDDEN for word in words)
    return f"{words[0][:keep]}{_HIDDEN} {words[-1][:keep]}{_HIDDEN}"


def mask_email(display: str) -> str:
    """``j•••@example.com``: the first character and the domain (SECURITY C4's form).

    >>> mask_email("Jane.Doe@example.com")
    'J•••@example.com'
    """
    local, _at, domain = display.rpartition("@")
    return f"{local[:1]}{_HIDDEN}@{domain}"


def mask_phone(e164: str) -> str:
    """Only the last two digits: ``+•••71``, however long the number.

    The country code is hidden too (where it ends cannot be told from E.164 text alone),
    and so is the number's length, which would hint at the country.

    >>> mask_phone("+14155552671")
    '+•••71'
    """
    return f"+{_HIDDEN}{e164[-2:]}"


def mask_address(address: Address) -> MaskedAddress:
    """Name initials, street hidden, city and region shown, postal code's first two
    characters.

    >>> from orderstatus_core.model import Address
    >>> masked = mask_address(Address("Jane Doe", "742 Evergreen Terrace", "Springfield",
    ...                               "62701-1234", "US", region="IL"))
    >>> masked.name, masked.street, masked.city, masked.postal_code
    ('J••• D•••', '•••', 'Springfield', '62•••')
    """
    # Positional, in field order (name, street, city, region, postal code, country).
    return _masked_address(
        mask_text(address.name),
        _HIDDEN,
        address.city,
        address.region,
        address.postal_code.strip()[:2] + _HIDDEN,
        address.country,
    )
