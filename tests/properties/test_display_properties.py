"""The texts a view shows: money with the currency's decimals, masks that hide what they hide."""

from __future__ import annotations

import re
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal

import attrs
from hypothesis import assume, given
from hypothesis import strategies as st

from orderstatus_core import LineLedger, Money
from orderstatus_core.model import Address, display
from orderstatus_core.policies import mask_address
from orderstatus_core.testing import strategies as ost

# Every listed exception, and codes that take the default two decimals.
currencies = st.sampled_from(sorted(display.CURRENCY_DECIMALS)) | ost.currencies()
amounts = st.decimals(
    min_value=Decimal("-999999999999.9999"),
    max_value=Decimal("999999999999.9999"),
    places=4,
    allow_nan=False,
    allow_infinity=False,
)


def _read_back(text: str) -> Decimal:
    amount, _space, _currency = text.rpartition(" ")
    return Decimal(amount.replace(",", ""))


@given(amounts, currencies)
def test_money_text_has_exactly_the_currencys_decimals(amount: Decimal, currency: str) -> None:
    """No more and no fewer decimals than ISO 4217 gives the currency, then its code."""
    text = Money(amount, currency).text
    places = display.currency_decimals(currency)
    pattern = r"-?\d{1,3}(,\d{3})*" + (rf"\.\d{{{places}}}" if places else "")
    assert re.fullmatch(pattern + " " + currency, text), text


@given(amounts, currencies)
def test_money_text_never_shows_minus_zero(amount: Decimal, currency: str) -> None:
    """A minus sign appears only before an amount that is not zero once rounded."""
    text = Money(amount, currency).text
    assert not text.startswith("-") or _read_back(text) != 0


@given(amounts, currencies)
def test_money_text_reads_back_as_the_amount_rounded_half_up(
    amount: Decimal, currency: str
) -> None:
    """Read back, the text is the amount to the currency's decimals: an amount already at
    that precision comes back equal."""
    unit = Decimal(1).scaleb(-display.currency_decimals(currency))
    assert _read_back(Money(amount, currency).text) == amount.quantize(unit, ROUND_HALF_UP)


@given(amounts, currencies)
def test_money_at_the_currencys_precision_round_trips_through_its_text(
    amount: Decimal, currency: str
) -> None:
    """A price in whole minor units is shown exactly: nothing is lost on the page."""
    exact = amount.quantize(Decimal(1).scaleb(-display.currency_decimals(currency)), ROUND_DOWN)
    money = Money(exact, currency)
    assert Money(_read_back(money.text), currency) == money


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
    parts = display.ledger_text(ledger).split(", ")
    assert sum(int(part.split(" ", 1)[0]) for part in parts) == ledger.ordered
    assert len({part.rpartition(f"{ledger.ordered} ")[2] for part in parts}) == len(parts)
