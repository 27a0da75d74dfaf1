"""Hypothesis strategies for every model type, and for hostile input.

Every strategy builds values through the model's own constructors and parsers, so what it
generates is what the library can hold. :func:`orders` generates orders whose ledgers are
consistent (DOMAIN.md section 4) with bounded sizes, so a property over orders stays fast::

    from hypothesis import given
    from orderstatus_core.testing import strategies as ost

    @given(ost.orders())
    def test_every_order_has_a_total(order):
        assert not order.total.is_negative

:func:`hostile_text` is for bad-input tests: control characters, SQL and header
injection, confusables, bidirectional overrides and very long text.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import ParamSpec, TypeVar, cast

import attrs
import phonenumbers
from hypothesis import reject
from hypothesis import strategies as st
from hypothesis.strategies import DrawFn, SearchStrategy

from orderstatus_core.contacts import parse_email, parse_phone
from orderstatus_core.errors import InvalidIdentifierError
from orderstatus_core.messages import (
    AccountMail,
    AccountVerificationMail,
    AlreadyRegisteredMail,
    AttachCodeMail,
    EmailChangeMail,
    EmailChangeNotice,
    GuestPassMail,
    GuestPassRequest,
    OrderListMail,
    OrderListRequest,
    OutboxMessage,
    PartBackInStockMail,
    PasswordResetMail,
)
from orderstatus_core.model import (
    Address,
    CategoryPath,
    EmailAddress,
    Money,
    Order,
    OrderLine,
    Package,
    PackedUnits,
    PartNumber,
    PhoneNumber,
)
from orderstatus_core.model._text import BIDI_CONTROLS
from orderstatus_core.model.account import (
    Account,
    AccountSession,
    AccountState,
    AccountToken,
    StoredCaptcha,
    TokenPurpose,
)
from orderstatus_core.model.profile import VIN_LENGTH, Vehicle, vin_check_digit

__all__ = [
    "account_ids",
    "account_mails",
    "account_sessions",
    "account_tokens",
    "accounts",
    "addresses",
    "category_paths",
    "currencies",
    "email_texts",
    "emails",
    "guest_pass_mails",
    "hostile_text",
    "line_vehicles",
    "lookalike_email_texts",
    "mail_requests",
    "message_ids",
    "money",
    "order_lines",
    "order_list_mails",
    "order_numbers",
    "orders",
    "outbox_messages",
    "packages",
    "part_numbers",
    "phones",
    "stored_captchas",
    "timestamps",
    "vehicles",
    "vins",
]

P = ParamSpec("P")
T = TypeVar("T")


def _once(build: Callable[P, T]) -> Callable[P, T]:
    # Strategies are immutable values: build each one once per set of arguments. Building
    # (and validating) them again inside every draw would dominate generation time.
    return cast(Callable[P, T], functools.cache(build))


# --- identifiers ---------------------------------------------------------------------------

_LOCAL_ASCII = string.ascii_letters + string.digits + "!#$%&'*+-/=?^_`{|}~"
# Letters email-validator accepts in a local part, chosen for what canonicalisation does
# to them: lower-casing that changes length (İ), letters that only look like others and
# must stay apart from them (ß, the dotless i, ﬁ, fullwidth; SECURITY A4), other scripts.
_LOCAL_UNICODE = "äöüéñçøåßıİǅﬁｊｏλδωжд用户例"
_DOMAIN_ASCII = string.ascii_letters + string.digits
_DOMAIN_LATIN = "abcdefghijklmnopqrstuvwxyzäöüéñçå"
# Real internationalised labels, each in one script (IDNA 2008 refuses mixed ones).
_IDN_LABELS = (
    "bücher",
    "münchen",
    "straße",
    "пример",
    "例え",
    "παράδειγμα",
    "mañana",
    "kööpenhamina",
)
_TLDS = ("com", "net", "org", "fi", "de", "jp", "io", "co.uk", "example", "рф", "δοκιμή")


@_once
def _atoms(alphabet: str) -> SearchStrategy[str]:
    return st.text(alphabet=alphabet, min_size=1, max_size=10)


@_once
def _ascii_label() -> SearchStrategy[str]:
    # Letters and digits with inner hyphens: never a leading, trailing or doubled one.
    return st.lists(_atoms(_DOMAIN_ASCII), min_size=1, max_size=2).map("-".join)


@st.composite
def _email_text(draw: DrawFn) -> str:
    alphabet = draw(st.sampled_from([_LOCAL_ASCII, _LOCAL_ASCII + _LOCAL_UNICODE]))
    local = ".".join(draw(st.lists(_atoms(alphabet), min_size=1, max_size=3)))
    label = st.one_of(
        _ascii_label(), _atoms(_DOMAIN_LATIN), st.sampled_from(_IDN_LABELS), _ascii_label()
    )
    labels = draw(st.lists(label, min_size=1, max_size=2))
    return f"{local}@{'.'.join(labels)}.{draw(st.sampled_from(_TLDS))}"


@st.composite
def _email_texts(draw: DrawFn) -> str:
    text = draw(_email_text())
    try:
        parse_email(text)
    except InvalidIdentifierError:
        # Rare: a combination email-validator refuses (a local part that NFC-normalises
        # oddly, say). Generation moves on to another one.
        reject()
    padding = st.sampled_from(("", " ", "  ", "\t"))
    return f"{draw(padding)}{text}{draw(padding)}"


@_once
def email_texts() -> SearchStrategy[str]:
    """Email addresses as a shopper types them, each one that
    :func:`~orderstatus_core.parse_email` accepts.

    ASCII and Unicode local parts (including letters that casefold to several, and the
    dotless i), ASCII and IDNA domains, mixed case, sometimes with spaces around.
    """
    return _email_texts()


@_once
def emails() -> SearchStrategy[EmailAddress]:
    """Valid email addresses: :func:`email_texts` parsed by
    :func:`~orderstatus_core.parse_email`; display and canonical forms often differ."""
    return email_texts().map(parse_email)


# Letters and strings that look like (or fold under NFKC or casefold() into) another
# spelling, yet name another mailbox. ``email_key`` must keep each apart from the text it
# imitates: (what it imitates, lookalikes).
_LOOKALIKES: tuple[tuple[str, str], ...] = (
    ("ss", "ßẞ"),  # casefold() gives ss
    ("s", "ſˢ"),  # long s; modifier s
    ("fi", "ﬁ"),  # ligatures
    ("fl", "ﬂ"),
    ("ff", "ﬀ"),
    ("ffi", "ﬃ"),
    ("st", "ﬆﬅ"),
    ("ij", "ĳĲ"),
    ("dž", "ǆǅǄ"),
    ("lj", "ǉǈ"),
    ("i", "ıİⅰⁱ"),  # dotless i, dotted capital I (Django CVE-2019-19844), roman one
    ("v", "ⅴ"),
    ("x", "ⅹˣ"),
    ("ii", "ⅱ"),
    ("a", "ªаᴬ"),  # feminine ordinal, Cyrillic a, modifier A
    ("o", "ºо"),
    ("e", "е"),
    ("p", "р"),
    ("c", "с"),
    ("n", "ⁿ"),
    ("h", "ʰ"),
    ("2", "²"),
    ("3", "³"),
    ("1", "¹"),
    ("μ", "µ"),  # micro sign and Greek mu
    ("σ", "ςϲ"),  # final and lunate sigma
    ("β", "ϐ"),
    ("π", "ϖ"),
)
_FULLWIDTH = str.maketrans({c: chr(ord(c) + 0xFEE0) for c in string.ascii_letters + string.digits})
_MATH_BOLD = str.maketrans(
    {c: chr(0x1D41A + i) for i, c in enumerate(string.ascii_lowercase)}
    | {c: chr(0x1D400 + i) for i, c in enumerate(string.ascii_uppercase)}
)
_LOOKALIKE_DOMAINS = (
    ("example.com", "EXAMPLE.com", "Example.Com"),
    ("bücher.de", "BÜCHER.de", "xn--bcher-kva.de"),
    ("straße.de", "xn--strae-oqa.de", "Straße.DE"),
)


def _any_case(draw: DrawFn, text: str) -> str:
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(
        c.swapcase() if flip and c.isascii() else c for c, flip in zip(text, flips, strict=True)
    )


@st.composite
def _lookalike_email_texts(draw: DrawFn) -> tuple[str, str]:
    prefix = draw(st.text(string.ascii_letters + string.digits, max_size=6))
    suffix = draw(st.text(string.ascii_letters + string.digits + "_+", max_size=6))
    kind = draw(st.sampled_from(("one letter", "fullwidth", "mathematical bold")))
    if kind == "one letter":
        imitated, lookalikes = draw(st.sampled_from(_LOOKALIKES))
        original = f"{prefix}{imitated}{suffix}"
        local = f"{prefix}{draw(st.sampled_from(lookalikes))}{suffix}"
    else:
        original = f"{prefix}{draw(st.text(string.ascii_letters, min_size=1, max_size=6))}"
        local = original.translate(_FULLWIDTH if kind == "fullwidth" else _MATH_BOLD)
    domains = draw(st.sampled_from(_LOOKALIKE_DOMAINS))
    address = f"{_any_case(draw, original)}@{draw(st.sampled_from(domains))}"
    lookalike = f"{_any_case(draw, local)}@{draw(st.sampled_from(domains))}"
    try:
        parse_email(address)
        parse_email(lookalike)
    except InvalidIdentifierError:
        reject()  # rare: a local part email-validator refuses ("ⁱ" alone, say)
    return address, lookalike


@_once
def lookalike_email_texts() -> SearchStrategy[tuple[str, str]]:
    """Pairs ``(address, lookalike)`` of typed addresses of two *different* mailboxes that
    look alike: the lookalike's local part has a letter that NFKC or ``casefold()`` would
    fold into the address's (``ß`` / ``ss``, ``ſ`` / ``s``, ligatures, roman numerals,
    superscripts, fullwidth and mathematical letters, ``µ`` / ``μ``), the dotless or
    dotted i, or a Cyrillic homoglyph. Each side is typed in any case and with the
    domain in any case or IDNA form, so case and domain folding have work to do too.

    Both parse with :func:`~orderstatus_core.parse_email`, and orders placed with one
    must never reach, list or credit the other (SECURITY A4)::

        @given(ost.lookalike_email_texts())
        def test_lookalikes_are_other_mailboxes(pair):
            address, lookalike = pair
            assert email_key(address) != email_key(lookalike)
    """
    return _lookalike_email_texts()


@functools.cache
def _example_phone_numbers() -> tuple[str, ...]:
    # libphonenumber ships a real example number per region and type; those are valid by
    # definition and stay valid as its metadata changes.
    kinds = (
        phonenumbers.PhoneNumberType.FIXED_LINE,
        phonenumbers.PhoneNumberType.MOBILE,
        phonenumbers.PhoneNumberType.TOLL_FREE,
    )
    found: set[str] = set()
    for region in ("US", "CA", "GB", "FI", "SE", "DE", "FR", "ES", "IT", "AU", "JP", "BR", "IN"):
        for kind in kinds:
            number = phonenumbers.example_number_for_type(region, kind)
            if number is not None and phonenumbers.is_valid_number(number):
                found.add(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
    return tuple(sorted(found))


@_once
def phones() -> SearchStrategy[PhoneNumber]:
    """Valid phone numbers in E.164 form: libphonenumber's example numbers for a dozen
    regions (fixed line, mobile and toll free)."""
    return st.sampled_from(_example_phone_numbers()).map(parse_phone)


@_once
def order_numbers() -> SearchStrategy[str]:
    """Canonical order numbers: mostly nine digits (RockAuto's shape), sometimes 1 to 32
    upper-case letters and digits."""
    return st.one_of(
        st.from_regex(r"[1-9][0-9]{8}", fullmatch=True),
        st.text(alphabet=string.ascii_uppercase + string.digits, min_size=1, max_size=32),
    )


_PART_CHARS = string.ascii_uppercase + string.digits
_PART_CHARS_UNICODE = _PART_CHARS + string.ascii_lowercase + "ÄÖÅÉＢＰ１２"


@st.composite
def _part_numbers(draw: DrawFn) -> PartNumber:
    alphabet = draw(st.sampled_from([_PART_CHARS, _PART_CHARS_UNICODE]))
    groups = draw(
        st.lists(st.text(alphabet=alphabet, min_size=1, max_size=6), min_size=1, max_size=4)
    )
    text = groups[0]
    for group in groups[1:]:
        text += draw(st.sampled_from(["", "-", " ", "."])) + group
    return PartNumber(text)


@_once
def part_numbers() -> SearchStrategy[PartNumber]:
    """Part numbers as catalogues write them: groups of letters and digits joined by
    nothing, dashes, spaces or dots (``BP-1234``, ``51 12.7``), sometimes with lower-case,
    accented or fullwidth characters that canonicalisation folds."""
    return _part_numbers()


# Real category names, including siblings that share a prefix ("Brake" and "Brakes") so
# that a search that matches by text prefix instead of by segment is caught.
_CATEGORY_WORDS = (
    "Brake & Wheel Hub",
    "Brake Pad",
    "Brake",
    "Brakes",
    "Rotor",
    "Engine",
    "Oil Filter",
    "Cooling System",
    "Radiator",
    "Electrical",
    "Alternator",
    "Suspension",
    "Strut Assembly",
    "Jarrut",
    "Öljynsuodatin",
    "Bremsscheibe",
    "Éclairage",
)
_SEGMENT_ALPHABET = string.ascii_letters + string.digits + " &-/,()'" + "äöåéüñ"


@_once
def _segments() -> SearchStrategy[str]:
    generated = st.text(alphabet=_SEGMENT_ALPHABET, min_size=1, max_size=30).filter(
        lambda text: any(char.isalnum() for char in text)
    )
    return st.one_of(st.sampled_from(_CATEGORY_WORDS), generated)


@_once
def category_paths(max_depth: int = 4) -> SearchStrategy[CategoryPath]:
    """Category paths of 1 to ``max_depth`` segments, from real names and generated ones.

    Segments never contain a display separator (``›``, ``>``, ``»``), so
    ``CategoryPath(str(path)) == path``.
    """
    return st.lists(_segments(), min_size=1, max_size=max_depth).map(
        lambda segments: CategoryPath(tuple(segments))
    )


# --- money and time ------------------------------------------------------------------------


@_once
def currencies() -> SearchStrategy[str]:
    """ISO 4217 codes a parts store might sell in."""
    return st.sampled_from(("USD", "EUR", "CAD", "GBP", "SEK", "JPY", "AUD"))


@_once
def money(
    currency: str = "USD", *, max_amount: Decimal = Decimal("99999.99"), places: int = 2
) -> SearchStrategy[Money]:
    """Non-negative amounts in ``currency`` with exactly ``places`` decimal places."""
    return st.decimals(
        min_value=0, max_value=max_amount, places=places, allow_nan=False, allow_infinity=False
    ).map(lambda amount: Money(amount, currency))


_EARLIEST = datetime(2000, 1, 1)
_LATEST = datetime(2090, 12, 31)
_ZONES = (UTC, timezone(timedelta(hours=2)), timezone(timedelta(hours=-5, minutes=-30)))


@_once
def timestamps(
    min_value: datetime = _EARLIEST, max_value: datetime = _LATEST
) -> SearchStrategy[datetime]:
    """Timezone-aware moments with microseconds, in UTC or a fixed offset.

    ``min_value`` and ``max_value`` are naive wall-clock bounds, as Hypothesis takes them.
    """
    return st.datetimes(min_value=min_value, max_value=max_value, timezones=st.sampled_from(_ZONES))


# --- the order aggregate -------------------------------------------------------------------

# Format characters (Cf) are valid text, except the bidirectional controls the model
# refuses (they can reorder what a label or a mail shows).
_TEXT_CHARACTERS = st.characters(
    categories=("L", "M", "N", "P", "S", "Zs", "Cf"), exclude_characters="".join(BIDI_CONTROLS)
)
_COUNTRIES = ("US", "CA", "GB", "FI", "SE", "DE", "FR", "ES", "IT", "AU", "JP", "BR", "MX")


@_once
def _text(max_size: int) -> SearchStrategy[str]:
    # Any printable text up to the field's bound, never blank: what the model accepts.
    return st.text(_TEXT_CHARACTERS, min_size=1, max_size=max_size).filter(str.strip)


@_once
def addresses() -> SearchStrategy[Address]:
    """Postal addresses with text of any script up to each field's length bound."""
    return st.builds(
        Address,
        name=_text(100),
        line1=_text(100),
        city=_text(64),
        postal_code=st.text(
            string.ascii_uppercase + string.digits + " -", min_size=1, max_size=16
        ).filter(str.strip),
        country=st.sampled_from(_COUNTRIES),
        line2=st.none() | _text(100),
        region=st.none() | _text(64),
    )


_VIN_CHARACTERS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"  # never I, O or Q


@st.composite
def _vins(draw: DrawFn) -> str:
    text = draw(st.text(_VIN_CHARACTERS, min_size=VIN_LENGTH, max_size=VIN_LENGTH))
    return text[:8] + vin_check_digit(text) + text[9:]


@_once
def vins() -> SearchStrategy[str]:
    """Valid vehicle identification numbers: 17 characters, the 9th their check digit."""
    return _vins()


def _vehicles(**garage_fields: SearchStrategy[str | None]) -> SearchStrategy[Vehicle]:
    return st.builds(
        Vehicle,
        year=st.integers(1886, 2100),
        make=_text(40),
        model=_text(60),
        engine=_text(60),
        **garage_fields,
    )


@_once
def vehicles() -> SearchStrategy[Vehicle]:
    """Vehicles with text of any script up to each field's bound, with or without a VIN."""
    return _vehicles(nickname=st.none() | _text(40), vin=st.none() | vins())


@_once
def line_vehicles() -> SearchStrategy[Vehicle]:
    """The vehicles an order line may be bought for: :func:`vehicles` without a nickname
    or a VIN (a line carries only the year, make, model and engine)."""
    return _vehicles()


@st.composite
def _order_lines(draw: DrawFn, currency: str, line_no: int, max_quantity: int) -> OrderLine:
    quantity = draw(st.integers(1, min(5, max_quantity)) | st.integers(1, max_quantity))
    return OrderLine(
        line_no=line_no,
        part_number=draw(part_numbers()),
        brand=draw(st.sampled_from(("Wagner", "Bosch", "ACDelco", "Moog")) | _text(64)),
        category=draw(category_paths()),
        description=draw(_text(500)),
        quantity=quantity,
        unit_price=draw(money(currency)),
        core_charge=draw(st.just(Money.zero(currency)) | money(currency, max_amount=Decimal(500))),
        returnable=draw(st.booleans()),
        warranty_months=draw(st.sampled_from((0, 3, 12, 24, 36)) | st.integers(0, 1200)),
        cancelled=draw(st.just(0) | st.integers(0, quantity)),
        vehicle=draw(st.none() | line_vehicles()),
    )


@_once
def order_lines(
    currency: str = "USD", line_no: int = 1, *, max_quantity: int = 1000
) -> SearchStrategy[OrderLine]:
    """Order lines numbered ``line_no``, priced in ``currency``.

    ``cancelled`` is anywhere from 0 to ``quantity``; ``returned`` is always 0, because
    returns need delivered units and those are counted from packages (see :func:`orders`).
    A line is bought for one of :func:`vehicles` or for none.
    """
    return _order_lines(currency, line_no, max_quantity)


_MAX_DELAY = timedelta(days=30)
_DELAY = st.timedeltas(min_value=timedelta(0), max_value=_MAX_DELAY)


@st.composite
def _packages(
    draw: DrawFn, available: Mapping[int, int], placed_at: datetime, max_packages: int
) -> tuple[Package, ...]:
    remaining = dict(available)
    result: list[Package] = []
    for index in range(draw(st.integers(0, max_packages))):
        open_lines = sorted(line_no for line_no, units in remaining.items() if units > 0)
        if not open_lines:
            break
        chosen = draw(st.lists(st.sampled_from(open_lines), min_size=1, unique=True))
        units: list[PackedUnits] = []
        for line_no in sorted(chosen):
            quantity = draw(st.integers(1, remaining[line_no]))
            remaining[line_no] -= quantity
            units.append(PackedUnits(line_no, quantity))
        shipped_after = draw(st.none() | _DELAY)
        shipped_at = None if shipped_after is None else placed_at + shipped_after
        # Opened at or after the order was placed and, once shipped, at or before shipping;
        # None for a package imported as history.
        opened_after = draw(
            st.none()
            | st.timedeltas(
                min_value=timedelta(0),
                max_value=_MAX_DELAY if shipped_after is None else shipped_after,
            )
        )
        opened_at = None if opened_after is None else placed_at + opened_after
        delivered_after = None if shipped_at is None else draw(st.none() | _DELAY)
        delivered_at = (
            None if shipped_at is None or delivered_after is None else shipped_at + delivered_after
        )
        carrier = draw(st.none() | st.sampled_from(("UPS", "FedEx", "USPS", "DHL", "Posti")))
        # The index after the last dash keeps the ids of one order distinct.
        prefix = draw(st.text(string.ascii_letters + string.digits + "_-", max_size=20))
        result.append(
            Package(
                package_id=f"{prefix}-{index}",
                warehouse=draw(st.sampled_from(("Columbus, OH", "Reno, NV")) | _text(64)),
                units=tuple(units),
                carrier=carrier,
                tracking_number=None
                if carrier is None
                else draw(st.text(string.ascii_uppercase + string.digits, min_size=1, max_size=64)),
                shipped_at=shipped_at,
                delivered_at=delivered_at,
                opened_at=opened_at,
            )
        )
    return tuple(result)


def packages(
    available: Mapping[int, int], placed_at: datetime, *, max_packages: int = 3
) -> SearchStrategy[tuple[Package, ...]]:
    """Up to ``max_packages`` packages for an order placed at ``placed_at``.

    ``available`` maps each line number to the units that may still be packed (ordered
    minus cancelled); together the packages never hold more. Some packages are still
    being packed, some shipped (at or after ``placed_at``), some of those delivered (at or
    after shipping). Some have an ``opened_at`` (at or after ``placed_at``, and at or before
    ``shipped_at`` when shipped), the others none. Package ids are distinct.
    """
    return _packages(available, placed_at, max_packages)


@st.composite
def _orders(
    draw: DrawFn,
    currency: str | None,
    numbers: SearchStrategy[str] | None,
    email_addresses: SearchStrategy[EmailAddress] | None,
    max_lines: int,
    max_packages: int,
) -> Order:
    currency = draw(currencies()) if currency is None else currency
    placed_at = draw(timestamps())
    line_nos: Sequence[int] = draw(
        st.lists(st.integers(1, 500), min_size=1, max_size=max_lines, unique=True)
    )
    if draw(st.booleans()):
        line_nos = sorted(line_nos)
    lines = [draw(order_lines(currency, line_no)) for line_no in line_nos]
    available = {line.line_no: line.quantity - line.cancelled for line in lines}
    shipments = draw(packages(available, placed_at, max_packages=max_packages))
    delivered: dict[int, int] = {}
    for package in shipments:
        if package.delivered_at is not None:
            for units in package.units:
                delivered[units.line_no] = delivered.get(units.line_no, 0) + units.quantity
    lines = [
        attrs.evolve(line, returned=draw(st.integers(0, delivered[line.line_no])))
        if delivered.get(line.line_no)
        else line
        for line in lines
    ]
    return Order(
        number=draw(order_numbers() if numbers is None else numbers),
        placed_at=placed_at,
        email=draw(emails() if email_addresses is None else email_addresses),
        shipping_address=draw(addresses()),
        currency=currency,
        lines=tuple(lines),
        shipping=draw(money(currency, max_amount=Decimal(200))),
        tax=draw(money(currency, max_amount=Decimal(2000))),
        phone=draw(st.none() | phones()),
        packages=shipments,
        # Up to near the model's limit (2**62), with room for the few dozen changes a test
        # makes to one order: a drawn order must never be one step from refusing any change.
        version=draw(st.just(1) | st.integers(1, 2**62 - 2**10)),
    )


@_once
def orders(
    currency: str | None = None,
    *,
    numbers: SearchStrategy[str] | None = None,
    email_addresses: SearchStrategy[EmailAddress] | None = None,
    max_lines: int = 4,
    max_packages: int = 3,
) -> SearchStrategy[Order]:
    """Valid orders with consistent ledgers, in ``currency`` (any, if ``None``).

    For every line: cancelled + in processing + shipped <= ordered, delivered <= shipped,
    returned <= delivered. Packages ship at or after ``placed_at`` and are delivered at or
    after they ship. Lines come in ``line_no`` order or not (the model allows both);
    ``numbers`` and ``email_addresses`` replace the default :func:`order_numbers` and
    :func:`emails`, to make orders collide or stay apart.

    >>> from hypothesis import given
    >>> @given(orders(max_lines=2))
    ... def test(order):
    ...     assert all(not list(order.ledger(line.line_no).problems()) for line in order.lines)
    >>> test()
    """
    return _orders(currency, numbers, email_addresses, max_lines, max_packages)


# --- the outbox ----------------------------------------------------------------------------


@_once
def message_ids() -> SearchStrategy[str]:
    """Outbox message ids: 1 to 64 letters, digits, ``-`` and ``_``."""
    return st.text(string.ascii_letters + string.digits + "-_", min_size=1, max_size=64)


@_once
def order_list_mails() -> SearchStrategy[OrderListMail]:
    """Order Look-Up mail intents: an address and up to ten order numbers."""
    return st.builds(
        OrderListMail,
        to=emails(),
        order_numbers=st.lists(order_numbers(), max_size=10).map(tuple),
        language=st.sampled_from(("en", "fi", "sv")),
    )


_URLSAFE = string.ascii_letters + string.digits + "-_"


@_once
def guest_pass_mails() -> SearchStrategy[GuestPassMail]:
    """Guest-pass mail intents: a 6-digit code and a link with a selector and validator."""
    token = st.tuples(
        st.text(_URLSAFE, min_size=22, max_size=22), st.text(_URLSAFE, min_size=43, max_size=43)
    ).map(".".join)
    return st.builds(
        GuestPassMail,
        to=emails(),
        order_number=order_numbers(),
        code=st.from_regex(r"[0-9]{6}", fullmatch=True),
        link=token.map(lambda t: f"https://shop.example/order-status/pass?token={t}"),
        expires_at=timestamps(),
        language=st.sampled_from(("en", "fi", "sv")),
    )


@_once
def account_mails() -> SearchStrategy[AccountMail]:
    """Every kind of account mail: links under one account area with a selector and
    validator (SECURITY D4), 6-digit attach codes, a masked new address in the notice."""
    token = st.tuples(
        st.text(_URLSAFE, min_size=22, max_size=22), st.text(_URLSAFE, min_size=43, max_size=43)
    ).map(".".join)
    languages = st.sampled_from(("en", "fi", "sv"))

    def link(page: str) -> SearchStrategy[str]:
        return token.map(lambda t: f"https://shop.example/account/{page}?token={t}")

    linked: list[
        tuple[type[AccountVerificationMail | PasswordResetMail | EmailChangeMail], str]
    ] = [
        (AccountVerificationMail, "verify"),
        (PasswordResetMail, "reset"),
        (EmailChangeMail, "confirm-email"),
    ]
    kinds: list[SearchStrategy[AccountMail]] = [
        st.builds(kind, to=emails(), link=link(page), expires_at=timestamps(), language=languages)
        for kind, page in linked
    ]
    kinds.append(st.builds(AlreadyRegisteredMail, to=emails(), language=languages))
    kinds.append(
        st.builds(
            EmailChangeNotice,
            to=emails(),
            new_email=emails().map(lambda address: f"{address.canonical[0]}•••@example.com"),
            language=languages,
        )
    )
    kinds.append(
        st.builds(
            AttachCodeMail,
            to=emails(),
            order_number=order_numbers(),
            code=st.from_regex(r"[0-9]{6}", fullmatch=True),
            expires_at=timestamps(),
            language=languages,
        )
    )
    kinds.append(
        st.builds(
            PartBackInStockMail,
            to=emails(),
            part_number=part_numbers().map(str),
            link=st.just("https://shop.example/account/alerts"),
            language=languages,
        )
    )
    return st.one_of(kinds)


@_once
def mail_requests() -> SearchStrategy[OrderListRequest | GuestPassRequest]:
    """Order Look-Up and guest-pass requests, as the services queue them for the relay."""
    email_keys = emails().map(lambda address: address.canonical)
    return st.one_of(
        st.builds(
            OrderListRequest,
            email_key=email_keys,
            language=st.sampled_from(("en", "fi", "sv")),
        ),
        st.builds(
            GuestPassRequest,
            order_number=order_numbers(),
            contact=st.one_of(
                emails().map(lambda address: address.canonical),
                phones().map(lambda phone: phone.e164),
            ),
            language=st.sampled_from(("en", "fi", "sv")),
        ),
    )


@st.composite
def _outbox_messages(draw: DrawFn) -> OutboxMessage:
    created_at = draw(timestamps())
    attempts = draw(st.integers(0, 20))
    return OutboxMessage(
        message_id=draw(message_ids()),
        created_at=created_at,
        intent=draw(st.one_of(order_list_mails(), guest_pass_mails(), mail_requests())),
        attempts=attempts,
        next_attempt_at=None if attempts == 0 else created_at + draw(_DELAY),
        last_error=None if attempts == 0 else draw(_text(200)),
    )


@_once
def outbox_messages() -> SearchStrategy[OutboxMessage]:
    """Outbox messages, fresh or after failed attempts (with a retry time and an error)."""
    return _outbox_messages()


# --- accounts ------------------------------------------------------------------------------

_URLSAFE_ALPHABET = string.ascii_letters + string.digits + "-_"
# What secrets.token_urlsafe(16) and (32) draw: 128 and 256 bits.
_SECRET_IDS = st.one_of(
    st.text(_URLSAFE_ALPHABET, min_size=22, max_size=22),
    st.text(_URLSAFE_ALPHABET, min_size=43, max_size=43),
)
# A PHC string as an Argon2id hasher writes it (its shape only: the store keeps it as text).
_PASSWORD_HASHES = st.builds(
    "$argon2id$v=19$m={},t={},p=1${}${}".format,
    st.sampled_from((19456, 47104, 65536)),
    st.integers(2, 4),
    st.text(_URLSAFE_ALPHABET, min_size=22, max_size=22),
    st.text(_URLSAFE_ALPHABET, min_size=43, max_size=43),
)
_LIFETIMES = st.timedeltas(min_value=timedelta(seconds=1), max_value=timedelta(days=30))


@_once
def account_ids() -> SearchStrategy[str]:
    """Account ids as a service draws them: 8 to 64 URL-safe characters."""
    return st.text(_URLSAFE_ALPHABET, min_size=8, max_size=64)


@st.composite
def _accounts(draw: DrawFn) -> Account:
    created_at = draw(timestamps())
    state = draw(st.sampled_from(AccountState))
    verified = state is AccountState.ACTIVE or (
        state is AccountState.DELETED and draw(st.booleans())
    )
    has_password = state is not AccountState.DELETED and draw(st.booleans())
    changed_at = created_at + draw(_LIFETIMES)
    return Account(
        account_id=draw(account_ids()),
        email=draw(emails()),
        state=state,
        created_at=created_at,
        language=draw(st.sampled_from(("en", "fi", "sv", "pt_BR"))),
        password_hash=draw(_PASSWORD_HASHES) if has_password else None,
        verified_at=created_at + draw(_LIFETIMES) if verified else None,
        password_changed_at=changed_at if has_password or draw(st.booleans()) else None,
        failed_logins=draw(st.integers(0, 150)),
        credential_epoch=draw(st.integers(0, 20)),
        version=draw(st.integers(1, 1000)),
    )


@_once
def accounts() -> SearchStrategy[Account]:
    """Accounts in every state, with consistent times: unverified, active (verified, with
    or without a password), deleted (password hash dropped); failed log-ins around the
    lock-out limit, credential epochs and versions of accounts with a history."""
    return _accounts()


@st.composite
def _account_tokens(draw: DrawFn, account: Account | None) -> AccountToken:
    owner = account if account is not None else draw(accounts().filter(lambda a: a.is_live))
    purpose = draw(st.sampled_from(TokenPurpose))
    payload = None
    if purpose is TokenPurpose.CHANGE_EMAIL:
        payload = draw(emails()).display
    elif purpose is TokenPurpose.ATTACH_ORDER:
        payload = draw(order_numbers())
    secret = draw(st.one_of(_SECRET_IDS, st.from_regex(r"[0-9]{6}", fullmatch=True)))
    issued_at = draw(timestamps())
    token = AccountToken.issue(
        draw(_SECRET_IDS),
        secret,
        owner,
        purpose,
        issued_at,
        draw(_LIFETIMES),
        payload=payload,
    )
    used_after = draw(st.one_of(st.none(), _LIFETIMES))
    return attrs.evolve(
        token,
        used_at=None if used_after is None else token.issued_at + used_after,
        tries=draw(st.integers(0, 10)),
    )


def account_tokens(account: Account | None = None) -> SearchStrategy[AccountToken]:
    """Account tokens of every purpose, for ``account`` (by default a drawn live one):
    links (a 128- or 256-bit validator) and 6-digit codes, with the payload their purpose
    needs, used or not, with some tries counted."""
    return _account_tokens(account)


@st.composite
def _account_sessions(draw: DrawFn, account_id: str | None) -> AccountSession:
    session = AccountSession.start(
        draw(_SECRET_IDS),
        account_id if account_id is not None else draw(account_ids()),
        draw(timestamps()),
        remember=draw(st.booleans()),
        lifetime=draw(_LIFETIMES),
    )
    seen = session.created_at + draw(st.timedeltas(timedelta(0), timedelta(days=2)))
    session = session.touched(seen)
    if draw(st.booleans()):
        session = attrs.evolve(session, reauthenticated_at=seen)
    if draw(st.booleans()):
        session = session.ended(seen + draw(_LIFETIMES))
    return session


def account_sessions(account_id: str | None = None) -> SearchStrategy[AccountSession]:
    """Sessions of ``account_id`` (by default a drawn one): plain or *remember*, seen later
    than their log-in, re-authenticated or not, some ended."""
    return _account_sessions(account_id)


@st.composite
def _stored_captchas(draw: DrawFn) -> StoredCaptcha:
    issued_at = draw(timestamps())
    expires_at = issued_at + draw(_LIFETIMES)
    used = draw(st.booleans())
    return StoredCaptcha(
        challenge_id=draw(_SECRET_IDS),
        answer_hash=draw(st.text("0123456789abcdef", min_size=64, max_size=64)),
        issued_at=issued_at,
        expires_at=expires_at,
        used_at=issued_at + draw(st.timedeltas(timedelta(0), expires_at - issued_at))
        if used
        else None,
    )


@_once
def stored_captchas() -> SearchStrategy[StoredCaptcha]:
    """Captcha challenges as the core stores them (an id, an answer hash, their times),
    used or not."""
    return _stored_captchas()


# --- bad input -----------------------------------------------------------------------------

_HOSTILE_SAMPLES = (
    "",
    " ",
    "\t\n",
    "\x00",
    "jane@example.com\x00admin@example.com",
    "Order status\r\nBcc: victim@example.com",
    "x\rSubject: injected",
    "x\nX-Injected: 1",
    "' OR '1'='1",
    "'; DROP TABLE orders; --",
    '" OR ""="',
    "100%_off\\",
    "%",
    "_",
    "\\",
    "1; SELECT * FROM outbox",
    "<script>alert(1)</script>",
    "{0.__class__}",
    "%s%s%s%n",
    "../../etc/passwd",
    "^XA^FDhello^FS^XZ~JA",
    "раураl@example.com",  # Cyrillic lookalikes of "paypal"
    "ｊａｎｅ＠ｅｘａｍｐｌｅ．ｃｏｍ",  # fullwidth
    "mıke@example.com",  # dotless i
    "ǅ",
    "\u202egnp.exe",  # right-to-left override
    "abc\u200bdef",  # zero-width space
    "\u200d",
    "e\u0301\u0301\u0301",  # stacked combining marks
    "\ud800",  # a lone surrogate
    "\ue000",  # private use
    "\U0010ffff",
    "\ufeffBOM",
    "🚗💥",
    "ＢＰ－１２３４",
)
_HOSTILE_CHARS = st.sampled_from(
    "\x00\r\n\t\x1b\x1f\x7f'\";%_\\<>&^~\u202e\u202d\u200b\u200d\ufeff\ud800\ue000ıİß"
    "аеорсху"  # Cyrillic letters that look Latin
)


@_once
def hostile_text() -> SearchStrategy[str]:
    """Text an attacker or a broken client might send.

    Control characters (CR, LF, NUL, ESC), SQL and LIKE metacharacters, mail-header and
    ZPL injection, HTML, format strings, confusable and fullwidth letters, bidirectional
    overrides, zero-width characters, lone surrogates, private-use characters, empty and
    blank text, and very long text (up to 100 000 characters).
    """
    mixed = st.lists(
        st.one_of(
            st.sampled_from(_HOSTILE_SAMPLES), st.text(_HOSTILE_CHARS, max_size=8), st.text()
        ),
        min_size=1,
        max_size=4,
    ).map("".join)
    long = st.builds(
        lambda unit, count: unit * count,
        st.sampled_from(("A", "é", "\x00", "'", "\r\n", "ｊ", "🚗", "a@b.")),
        st.sampled_from((255, 256, 1_000, 10_000, 100_000)),
    )
    return st.one_of(st.sampled_from(_HOSTILE_SAMPLES), mixed, long)
