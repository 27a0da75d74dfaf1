"""The texts a view shows: money with the currency's decimals, masks that hide what they hide."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

import attrs
from babel import numbers
from hypothesis import assume, given
from hypothesis import strategies as st

from orderstatus_core import Catalogs, LineLedger, Money
from orderstatus_core.model import Address, display
from orderstatus_core.policies import mask_address
from orderstatus_core.testing import strategies as ost

# Currencies with 0, 3 and 4 decimals, and codes that take the default two.
currencies = st.sampled_from(["BHD", "CLF", "ISK", "JPY", "KWD", "VND"]) | ost.currencies()
amounts = st.decimals(
    min_value=Decimal("-999999999999.9999"),
    max_value=Decimal("999999999999.9999"),
    places=4,
    allow_nan=False,
    allow_infinity=False,
)
#: A locale that groups with ``,`` and one that groups with a space and writes ``,`` for the
#: decimal sign: (language, grouping, decimal sign).
locales = st.sampled_from([("en", ",", "."), ("fi", "\xa0", ",")])


def _read_back(text: str, grouping: str, decimal_sign: str) -> Decimal:
    digits = re.sub(r"[^0-9" + re.escape(decimal_sign) + "]", "", text.replace(grouping, ""))
    sign = "-" if "-" in text or "\u2212" in text else ""
    return Decimal(sign + digits.replace(decimal_sign, "."))


def _money(amount: Decimal, currency: str, language: str) -> str:
    return Catalogs.builtin().translator(language).money(Money(amount, currency))


@given(amounts, currencies, locales)
def test_money_text_has_exactly_the_currencys_decimals(
    amount: Decimal, currency: str, locale: tuple[str, str, str]
) -> None:
    """No more and no fewer decimals than ISO 4217 gives the currency (Babel's table)."""
    language, _grouping, decimal_sign = locale
    text = _money(amount, currency, language)
    places = numbers.get_currency_precision(currency)
    decimals = re.search(re.escape(decimal_sign) + r"(\d+)", text)
    assert (len(decimals.group(1)) if decimals else 0) == places, text


@given(amounts, currencies, locales)
def test_money_text_never_shows_minus_zero(
    amount: Decimal, currency: str, locale: tuple[str, str, str]
) -> None:
    """A minus sign appears only before an amount that is not zero once rounded."""
    text = _money(amount, currency, locale[0])
    assert not ("-" in text or "\u2212" in text) or _read_back(text, *locale[1:]) != 0


@given(amounts, currencies, locales)
def test_money_text_reads_back_as_the_amount_rounded_half_up(
    amount: Decimal, currency: str, locale: tuple[str, str, str]
) -> None:
    """Read back, the text is the amount to the currency's decimals, rounded half up: an
    amount already at that precision comes back equal."""
    unit = Decimal(1).scaleb(-numbers.get_currency_precision(currency))
    text = _money(amount, currency, locale[0])
    assert _read_back(text, *locale[1:]) == amount.quantize(unit, ROUND_HALF_UP)


# A street and a postal code tail that no generated name, city or region happens to contain.
_STREET = "742 Zqxjv Terrace"
_POSTAL_TAIL = "QZX9"


@given(ost.addresses(), st.sampled_from(("62", "SW", "00", "K1")))
def test_masked_address_text_never_shows_the_street_or_the_postal_codes_tail(
    address: Address, postal_start: str
) -> None:
    """Neither the street, nor its second line, nor the postal code after its second
    character appears anywhere in the masked text or lines."""
    assume(
        not any(
            _POSTAL_TAIL in part or "Zqxjv" in part
            for part in (address.name, address.city, address.region or "")
        )
    )
    secret = attrs.evolve(
        address, line1=_STREET, line2="Apt Zqxjv", postal_code=postal_start + _POSTAL_TAIL
    )
    masked = mask_address(secret)
    for shown in (masked.text, *masked.lines):
        assert "Zqxjv" not in shown
        assert _POSTAL_TAIL not in shown


@given(ost.addresses())
def test_masked_address_text_shows_at_most_the_name_initials(address: Address) -> None:
    """Of the name, only the first character of the first and last words appear."""
    words = address.name.split()
    name_line = mask_address(address).lines[0]
    initials = [word[:1] for word in words[:1] + words[1:][-1:]]
    assert name_line == " ".join(f"{initial}•••" for initial in initials)


@st.composite
def ledgers(draw: st.DrawFn) -> LineLedger:
    ordered = draw(st.integers(1, 999))
    cancelled = draw(st.integers(0, ordered))
    processing = draw(st.integers(0, ordered - cancelled))
    shipped = draw(st.integers(0, ordered - cancelled - processing))
    delivered = draw(st.integers(0, shipped))
    returned = draw(st.integers(0, delivered))
    return LineLedger(ordered, cancelled, processing, shipped, delivered, returned)


@given(ledgers())
def test_a_quantity_text_accounts_for_every_unit_once(ledger: LineLedger) -> None:
    """The counts in the text add up to the units ordered, each group named once."""
    parts = display.ledger_text(Catalogs.builtin().translator("en"), ledger).split(", ")
    assert sum(int(part.split(" ", 1)[0]) for part in parts) == ledger.ordered
    assert len({part.rpartition(f"{ledger.ordered} ")[2] for part in parts}) == len(parts)
