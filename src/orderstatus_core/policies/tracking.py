"""Public tracking pages of the big carriers (the default of ``orderstatus_tracking_url``)."""

from __future__ import annotations

from urllib.parse import quote

__all__ = ["carrier_tracking_url"]

_PAGES = {
    "ups": "https://www.ups.com/track?tracknum={}",
    "usps": "https://tools.usps.com/go/TrackConfirmAction?tLabels={}",
    "fedex": "https://www.fedex.com/fedextrack/?trknbr={}",
    "dhl": "https://www.dhl.com/en/express/tracking.html?AWB={}",
}


def carrier_tracking_url(carrier: str, tracking_number: str) -> str | None:
    """The tracking page for ``tracking_number`` at ``carrier``, or ``None`` if unknown.

    The number is percent-encoded, so stored text can never change the URL's shape.

    >>> carrier_tracking_url("UPS", "1Z999AA10123456784")
    'https://www.ups.com/track?tracknum=1Z999AA10123456784'
    """
    page = _PAGES.get(carrier.strip().lower())
    if page is None:
        return None
    # Letters and digits (every real tracking number) need no encoding.
    plain = tracking_number.isascii() and tracking_number.isalnum()
    return page.format(tracking_number if plain else quote(tracking_number, safe=""))
