"""What both label formats print: text in one normal form, cut between letters, addresses
in the destination country's format and weights in the sender's units.

Pure text, no reportlab: the ZPL label uses it too.
"""

from __future__ import annotations

import math
import unicodedata
from decimal import Decimal

from babel import Locale, numbers

from orderstatus_core.model import Address

__all__ = ["address_lines", "graphemes", "printable", "weight_text"]

_GRAMS_PER_OUNCE = 28.349523125
_ZWJ = "\u200d"
# The country line of an international address, in capitals as postal services ask; a
# country not listed keeps its ISO code, which every carrier reads.
_COUNTRY_NAMES = {
    "CA": "CANADA",
    "DE": "GERMANY",
    "FI": "FINLAND",
    "GB": "UNITED KINGDOM",
    "SE": "SWEDEN",
    "US": "UNITED STATES",
}


def printable(text: str) -> str:
    """``text`` in NFC: a letter typed as base + combining accent (as macOS input gives)
    becomes the one precomposed letter that fonts and printers know."""
    return unicodedata.normalize("NFC", text)


def _is_regional_indicator(char: str) -> bool:
    return "\U0001f1e6" <= char <= "\U0001f1ff"


def _extends(cluster: str, char: str) -> bool:
    """Whether ``char`` belongs to the letter ``cluster`` ends with, not to a new one."""
    if unicodedata.category(char) in ("Mn", "Mc", "Me"):  # accents, variation selectors
        return True
    if char == _ZWJ or cluster[-1] == _ZWJ:  # emoji joined by a zero-width joiner
        return True
    if "\U0001f3fb" <= char <= "\U0001f3ff" or "\U000e0020" <= char <= "\U000e007f":
        return True  # skin tones, the tags of a subdivision flag
    if _is_regional_indicator(char):  # a flag is a pair of regional indicators
        run = 0
        for previous in reversed(cluster):
            if not _is_regional_indicator(previous):
                break
            run += 1
        return run % 2 == 1
    return False


def graphemes(text: str) -> list[str]:
    """``text`` split into what a reader sees as single letters: a letter stays with its
    combining marks, an emoji with its joiners, modifiers and tags, a flag's two halves
    together.

    A close, dependency-free reading of Unicode's extended grapheme clusters (UAX #29),
    enough never to cut an accent off its letter:

    >>> graphemes("A\u0308bc\u0301")
    ['Ä', 'b', 'ć']
    """
    if text.isascii():  # the common case: no accents, joiners or flags to keep together
        return list(text)
    clusters: list[str] = []
    for char in printable(text):
        if clusters and _extends(clusters[-1], char):
            clusters[-1] += char
        else:
            clusters.append(char)
    return clusters


def _place_lines(address: Address) -> list[str]:
    """The city line (or lines) of ``address`` as its country's post writes it."""
    city, postal, region = address.city, address.postal_code, address.region or ""
    match address.country:
        case "US":  # Austin, TX 78701
            return [f"{city}, {region} {postal}" if region else f"{city} {postal}"]
        case "CA":  # Toronto ON  M5V 2T6: Canada Post asks for two spaces before the code
            return [f"{city} {region}  {postal}" if region else f"{city}  {postal}"]
        case "GB":  # the post town in capitals, the postcode on a line of its own
            return [city.upper(), postal]
        case _:  # DE, FI and most of Europe: 10115 Berlin (a region, if any, after it)
            return [" ".join(part for part in (postal, city, region) if part)]


def address_lines(address: Address, *, sent_from: str) -> list[str]:
    """The lines of ``address`` in its country's format, in NFC.

    The country line (its name in capitals) is added when the package crosses a border:
    when ``address.country`` differs from ``sent_from``, the country on the other end.
    """
    lines = [address.name, address.line1]
    if address.line2:
        lines.append(address.line2)
    lines += _place_lines(address)
    if address.country != sent_from:
        lines.append(_COUNTRY_NAMES.get(address.country, address.country))
    return [printable(line) for line in lines]


def weight_text(grams: int, *, country: str, locale: Locale | str = "en") -> str:
    """The weight as the sender's carrier asks for it: pounds and ounces from the US,
    kilograms elsewhere, the numbers written by Babel for ``locale`` (the papers' language).

    Ounces and tens of grams are rounded up, so the declared weight is never short:

    >>> weight_text(1250, country="US"), weight_text(1250, country="FI", locale="fi")
    ('2 lb 13 oz', '1,25 kg')
    """
    if country == "US":
        pounds, ounces = divmod(math.ceil(grams / _GRAMS_PER_OUNCE), 16)
        ounces_text = f"{numbers.format_decimal(ounces, locale=locale)} oz"
        if not pounds:
            return ounces_text
        return f"{numbers.format_decimal(pounds, locale=locale)} lb {ounces_text}"
    # To ten grams, as a carrier's form asks, rounded up like the ounces.
    kilograms = Decimal(math.ceil(grams / 10)) / 100
    return f"{numbers.format_decimal(kilograms, '#,##0.00', locale=locale)} kg"
