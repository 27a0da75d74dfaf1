"""A shopper's own tracking number: which carrier it belongs to, and is its check digit right?

A shopper who sends a return with a label of their own types the carrier's tracking number
into the return form. :func:`parse_tracking_number` recognises the carrier from the shape of
the number, checks its check digit, and answers a :class:`TrackingNumber` with the number in
one canonical spelling, or raises :class:`~orderstatus_core.InvalidTrackingNumberError` with a
machine-readable ``code`` a storefront can translate.

Pure: no I/O, no look-up at the carrier. A number that passes may still be unknown to the
carrier; a number that fails is certainly mistyped (or of a format this module does not know).

Detection order (first match wins, so every text has exactly one answer):

1. ``1Z`` + 16 letters or digits: UPS.
2. ``A``, ``H``, ``J``, ``K``, ``T`` or ``V`` + 10 digits: a UPS waybill.
3. Two letters, nine digits, two letters (UPU S10): USPS if the country is ``US``;
   any other country is refused as ``unknown_format``.
4. Digits only, by length:

   - 10: DHL Express waybill;
   - 12: FedEx Express;
   - 15: FedEx Ground;
   - 20: USPS (the older 20-digit form, under either of its two check-digit rules);
   - 22 starting ``96``: FedEx Ground (the barcode form of a 15-digit Ground number);
   - 22 or 26 starting ``91`` to ``95``: USPS Intelligent Mail package barcode (IMpb);
   - 30 or 34 starting ``420``: a scanned USPS IMpb with its ``420`` + ZIP routing prefix;
     the prefix (ZIP then ZIP+4 is tried) is dropped, the rest must be an IMpb;
   - 32 starting ``3``: a scanned FedEx Express (ASTRA) barcode; only the 12-digit FedEx
     Express number it carries is kept, and must be one.

5. Anything else: ``unknown_format``.

No two rules share a length and shape, so adding one never changes what an older one
answers.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import attrs

from orderstatus_core.errors import InvalidTrackingNumberError

__all__ = ["CARRIERS", "MAX_TRACKING_TEXT", "TrackingNumber", "parse_tracking_number"]

CARRIERS = ("UPS", "USPS", "FedEx", "DHL")
"""The carriers this module recognises, spelt as :attr:`TrackingNumber.carrier` spells them."""

MAX_TRACKING_TEXT = 64
"""The longest text accepted, spaces and dashes included (the longest number has 34 digits)."""

_FIELD = "tracking_number"
_SEPARATORS = frozenset(" -")
_ASCII_DIGITS = frozenset("0123456789")
_ASCII_ALNUM = _ASCII_DIGITS | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_CARRIER_NAMES = {name.lower(): name for name in CARRIERS}


@attrs.frozen
class TrackingNumber:
    """A tracking number whose format and check digit were verified.

    >>> found = parse_tracking_number("1z 999 aa1 01 2345 6784")
    >>> found.carrier, found.number, found.display
    ('UPS', '1Z999AA10123456784', '1Z 999 AA1 01 2345 6784')
    """

    carrier: str
    """One of :data:`CARRIERS`: ``"UPS"``, ``"USPS"``, ``"FedEx"`` or ``"DHL"``."""
    number: str
    """Canonical: upper case, no spaces or dashes, no USPS routing prefix. Store this one."""
    display: str
    """The number in groups, as the carrier prints it, for showing to people."""
    kind: str
    """The format recognised, such as ``"UPS 1Z"``, ``"USPS IMpb"`` or ``"FedEx Ground"``."""


# --- check digits ---------------------------------------------------------------------------


def _mod10_3131(digits: str) -> bool:
    """GS1 / USPS / FedEx Ground mod 10: weights 3, 1, 3, 1 ... from the right.

    Sources: GS1 General Specifications, section 7.9 "Check digit calculation" (the
    standard for GTIN and SSCC); USPS Publication 199 "Intelligent Mail Package Barcode
    (IMpb) Implementation Guide", appendix "Mod 10 check digit" (the rightmost digit before
    the check digit is multiplied by 3); FedEx Ground uses the same rule over its 15 digits
    (published examples: ``041441760228964``, ``568283610012000``).
    The check digit makes the weighted sum a multiple of 10.
    """
    body = digits[:-1]
    total = sum(int(char) * (3 if i % 2 == 0 else 1) for i, char in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == int(digits[-1])


def _weights_1_2(values: Sequence[int], check: str) -> bool:
    """UPS: the values in odd positions (1st, 3rd ...) summed, those in even positions
    summed and doubled; the check digit is ``(10 - total % 10) % 10``."""
    total = sum(values[0::2]) + 2 * sum(values[1::2])
    return (10 - total % 10) % 10 == int(check)


def _ups_check(number: str) -> bool:
    """UPS 1Z: the 15 characters after ``1Z``, then the check digit.

    Source: the UPS "1Z" tracking number check digit as published in carrier integration
    guides and widely reimplemented (e.g. the jkeen/tracking_number_data specification):
    letters become digits by ``(ord(letter) - 63) % 10`` (A=2, B=3 ... I=0, J=1 ...), then
    weights 1, 2 (:func:`_weights_1_2`). Verified against the published example
    ``1Z999AA10123456784``.
    """
    values = [int(c) if c in _ASCII_DIGITS else (ord(c) - 63) % 10 for c in number[2:17]]
    return _weights_1_2(values, number[17])


def _ups_waybill_check(number: str) -> bool:
    """UPS waybill (``K1506235620``): the nine digits after the letter, weights 1, 2.

    Source: the "UPS Waybill" entry of jkeen/tracking_number_data (couriers/ups.json, which
    takes the letters A, H, J, K, T and V): the same weights as UPS 1Z over the nine digits
    between the letter and the check digit; the letter is not covered. UPS does not publish
    the rule; it fits every number published there from real labels (``K1506235620``,
    ``K2479825491``, ``J4603636537``, ``V0490119172``, ``V0431105627``) and refuses its five
    mistyped ones.
    """
    return _weights_1_2([int(char) for char in number[1:10]], number[10])


def _usps_20_check(digits: str) -> bool:
    """USPS 20-digit: GS1 mod 10 over the 20 digits, or over ``91`` and the 20 digits.

    Two rules are in use for the same printed form. USPS Publication 91 ("Confirmation
    Services Technical Guide") computes the check digit over the barcode's application
    identifier ``91`` too, and the 20 digits printed without it keep that check digit
    (``71969010756003077385``: Certified Mail, the jkeen/tracking_number_data "USPS Legacy"
    entry; the same number with ``91`` is ``9171969010756003077385``). Other numbers are
    computed over the 20 digits alone (``03071790000523483741``, its "USPS 20" entry). The
    ``91`` adds 9 x 3 + 1 = 28 to the weighted sum, so no number passes both rules; a typo
    that happens to move the sum by 2 the right way passes the other one (one in nine
    single-digit changes; see ``docs/tracking-numbers.md``).
    """
    return _mod10_3131(digits) or _mod10_3131("91" + digits)


def _fedex_express_check(digits: str) -> bool:
    """FedEx Express, 12 digits: weights 1, 3, 7 repeating from the right over the first 11.

    Source: FedEx "Ship Manager" / "FedEx Express tracking number" check digit as published
    in the jkeen/tracking_number_data specification (weights 3,1,7,3,1,7,3,1,7,3,1 from the
    left): the weighted sum modulo 11, a remainder of 10 gives check digit 0. Verified against
    published examples such as ``986578788855`` and ``799531274483``.
    """
    weights = (1, 3, 7)
    total = sum(int(char) * weights[i % 3] for i, char in enumerate(reversed(digits[:11])))
    return total % 11 % 10 == int(digits[11])


def _s10_check(text: str) -> bool:
    """UPU S10 (``EE123456785US``): weights 8 6 4 2 3 5 9 7 over the 8 serial digits.

    Source: Universal Postal Union standard S10 "Identification of postal items",
    section 5.2: ``check = 11 - sum % 11``, then 10 becomes 0 and 11 becomes 5. Verified
    against the published example ``RB123456785GB``.
    """
    weights = (8, 6, 4, 2, 3, 5, 9, 7)
    total = sum(int(char) * weight for char, weight in zip(text[2:10], weights, strict=True))
    check = 11 - total % 11
    check = {10: 0, 11: 5}.get(check, check)
    return check == int(text[10])


def _dhl_express_check(digits: str) -> bool:
    """DHL Express waybill, 10 digits: the first nine as a number, modulo 7.

    Source: DHL Express air waybill check digit (mod 7) as published in the
    jkeen/tracking_number_data specification; verified against ``3318810025`` and
    ``8487135506``. Weak by nature: a digit changed by 7 (0/7, 1/8, 2/9) is not caught.
    """
    return int(digits[:9]) % 7 == int(digits[9])


# --- display --------------------------------------------------------------------------------


def _groups(text: str, sizes: Sequence[int]) -> str:
    parts: list[str] = []
    start = 0
    for size in sizes:
        if start >= len(text):
            break
        parts.append(text[start : start + size])
        start += size
    if start < len(text):
        parts.append(text[start:])
    return " ".join(parts)


def _fours(text: str) -> str:
    return _groups(text, [4] * (len(text) // 4 + 1))


# --- formats --------------------------------------------------------------------------------


@attrs.frozen
class _Format:
    carrier: str
    kind: str
    matches: Callable[[str], bool]
    """Has the number this format's shape (length, prefix, characters)?"""
    check: Callable[[str], bool]
    display: Callable[[str], str]
    hint: str
    """What the check digit covers, for the error message."""


def _digits(length: int, prefixes: tuple[str, ...] = ("",)) -> Callable[[str], bool]:
    def matches(text: str) -> bool:
        return (
            len(text) == length
            and all(char in _ASCII_DIGITS for char in text)
            and text.startswith(prefixes)
        )

    return matches


def _ups_shape(text: str) -> bool:
    return (
        len(text) == 18
        and text.startswith("1Z")
        and all(char in _ASCII_ALNUM for char in text)
        and text[17] in _ASCII_DIGITS
    )


_UPS_WAYBILL_LETTERS = frozenset("AHJKTV")


def _ups_waybill_shape(text: str) -> bool:
    return (
        len(text) == 11
        and text[0] in _UPS_WAYBILL_LETTERS
        and all(char in _ASCII_DIGITS for char in text[1:])
    )


def _s10_shape(text: str) -> bool:
    return (
        len(text) == 13
        and all("A" <= char <= "Z" for char in text[:2] + text[11:])
        and all(char in _ASCII_DIGITS for char in text[2:11])
    )


def _usps_s10_shape(text: str) -> bool:
    return _s10_shape(text) and text.endswith("US")


_IMPB = ("91", "92", "93", "94", "95")

# In detection order; a carrier given by the caller tries only its own formats.
_FORMATS: tuple[_Format, ...] = (
    _Format(
        "UPS",
        "UPS 1Z",
        _ups_shape,
        _ups_check,
        lambda t: _groups(t, [2, 3, 3, 2, 4, 4]),
        "1Z and 16 letters or digits",
    ),
    _Format(
        "UPS",
        "UPS waybill",
        _ups_waybill_shape,
        _ups_waybill_check,
        lambda t: _groups(t, [1, 3, 3, 3, 1]),
        "A, H, J, K, T or V and 10 digits",
    ),
    _Format(
        "USPS",
        "USPS S10",
        _usps_s10_shape,
        _s10_check,
        lambda t: _groups(t, [2, 3, 3, 3, 2]),
        "two letters, nine digits and US",
    ),
    _Format(
        "DHL",
        "DHL Express",
        _digits(10),
        _dhl_express_check,
        lambda t: _groups(t, [2, 4, 4]),
        "10 digits",
    ),
    _Format("FedEx", "FedEx Express", _digits(12), _fedex_express_check, _fours, "12 digits"),
    _Format("FedEx", "FedEx Ground", _digits(15), _mod10_3131, _fours, "15 digits"),
    _Format("USPS", "USPS 20-digit", _digits(20), _usps_20_check, _fours, "20 digits"),
    _Format(
        "FedEx",
        "FedEx Ground 96",
        _digits(22, ("96",)),
        # The check digit covers the 15-digit Ground number at the end (source: the
        # jkeen/tracking_number_data "FedEx Ground 96 (22)" entry, example
        # 9611020987654312345672); "96", the SCNC and the service code are not covered.
        lambda t: _mod10_3131(t[-15:]),
        _fours,
        "22 digits starting 96",
    ),
    _Format(
        "USPS",
        "USPS IMpb",
        lambda t: _digits(22, _IMPB)(t) or _digits(26, _IMPB)(t),
        _mod10_3131,
        _fours,
        "22 or 26 digits starting 91 to 95",
    ),
)


def _scanned_number(text: str) -> str:
    """The tracking number inside a scanned barcode that carries more; other text as is.

    ``420`` + ZIP (5 digits) or ZIP+4 (9 digits) + an IMpb: the IMpb. Source: USPS
    Publication 199, "IMpb barcode with routing code": the Application Identifier 420 and
    the destination ZIP Code come before the tracking number in the barcode; the tracking
    number proper (and its check digit) starts after them.

    32 digits starting ``3`` (FedEx ASTRA): the 12-digit FedEx Express number in positions
    17 to 28. Source: FedEx's barcode scanning help ("in the ASTRA label, the 12 digit
    tracking number is located in positions 17 through 28 of the 32-character barcode",
    quoted in jkeen/tracking_number_data issue 24) and its "FedEx ASTRA (32)" entry, whose
    samples (``32971514560102447849175802862014`` carries ``784917580286``) pass the FedEx
    Express check; the other 20 digits carry no check digit, so they are dropped unchecked.
    """
    if not all(char in _ASCII_DIGITS for char in text):
        return text
    if len(text) in (30, 34) and text.startswith("420"):
        for zip_length in (5, 9):
            rest = text[3 + zip_length :]
            if len(rest) in (22, 26) and rest.startswith(_IMPB):
                return rest
    if len(text) == 32 and text.startswith("3"):
        return text[16:28]
    return text


def _canonical(text: object) -> str:
    if not isinstance(text, str):
        raise InvalidTrackingNumberError("not_text", "A tracking number must be text.")
    if len(text) > MAX_TRACKING_TEXT:
        raise InvalidTrackingNumberError(
            "too_long", f"A tracking number has at most {MAX_TRACKING_TEXT} characters."
        )
    upper = text.upper() if text.isascii() else text
    kept: list[str] = []
    for char in upper:
        if char in _ASCII_ALNUM:
            kept.append(char)
        elif char not in _SEPARATORS:
            raise InvalidTrackingNumberError(
                "bad_characters",
                "A tracking number has only the letters A to Z, the digits 0 to 9, "
                "spaces and dashes.",
            )
    if not kept:
        raise InvalidTrackingNumberError("empty", "Please enter the tracking number.")
    return _scanned_number("".join(kept))


def _carrier_name(carrier: object) -> str:
    if not isinstance(carrier, str):
        raise InvalidTrackingNumberError("unknown_carrier", "The carrier must be text.")
    name = _CARRIER_NAMES.get(carrier.strip(" ").lower())
    if name is None:
        raise InvalidTrackingNumberError(
            "unknown_carrier",
            f"Tracking numbers of this carrier cannot be checked; "
            f"known carriers: {', '.join(CARRIERS)}.",
        )
    return name


def _accept(form: _Format, number: str) -> TrackingNumber:
    if not form.check(number):
        raise InvalidTrackingNumberError(
            "bad_check_digit",
            f"This {form.carrier} tracking number has a typo: its check digit does not match. "
            "Please compare it with the receipt or label.",
            carrier=form.carrier,
        )
    return TrackingNumber(form.carrier, number, form.display(number), form.kind)


def parse_tracking_number(text: str, carrier: str | None = None) -> TrackingNumber:
    """Recognise and check a tracking number a shopper typed.

    ``carrier`` (``"UPS"``, ``"USPS"``, ``"FedEx"`` or ``"DHL"``, any case) restricts the
    number to that carrier's formats; ``None`` detects the carrier from the number (see the
    detection order in :mod:`orderstatus_core.policies.tracking_numbers`). Spaces, dashes and
    lower case are accepted; anything else is refused.

    Raises :class:`~orderstatus_core.InvalidTrackingNumberError`, whose ``code`` is one of
    ``not_text``, ``too_long``, ``bad_characters``, ``empty``, ``unknown_carrier``,
    ``unknown_format``, ``bad_check_digit`` or ``wrong_carrier`` (then ``carrier`` names the
    carrier the number belongs to).

    >>> parse_tracking_number("9400 1112 0108 0805 4830 16").carrier
    'USPS'
    >>> parse_tracking_number("986578788855", carrier="fedex").display
    '9865 7878 8855'
    >>> try:
    ...     parse_tracking_number("1Z999AA10123456785")
    ... except InvalidTrackingNumberError as error:
    ...     print(error.code, error.carrier)
    bad_check_digit UPS
    """
    wanted = None if carrier is None else _carrier_name(carrier)
    number = _canonical(text)
    detected = next((form for form in _FORMATS if form.matches(number)), None)
    if wanted is not None:
        own = next(
            (form for form in _FORMATS if form.carrier == wanted and form.matches(number)), None
        )
        if own is not None:
            return _accept(own, number)
        if detected is not None and detected.check(number):
            raise InvalidTrackingNumberError(
                "wrong_carrier",
                f"This is a {detected.carrier} tracking number, not a {wanted} one. "
                "Please check the carrier.",
                carrier=detected.carrier,
            )
        formats = "; ".join(form.hint for form in _FORMATS if form.carrier == wanted)
        raise InvalidTrackingNumberError(
            "unknown_format",
            f"This does not look like a {wanted} tracking number ({formats}).",
        )
    if detected is None:
        raise InvalidTrackingNumberError(
            "unknown_format",
            "This does not look like a UPS, USPS, FedEx or DHL tracking number. "
            "Please check it against the receipt or label.",
        )
    return _accept(detected, number)
