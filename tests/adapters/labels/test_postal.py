"""What the labels print, whatever the format: addresses as the destination's post writes
them, weights in the sender's units, text in NFC cut between whole letters."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core import Address
from orderstatus_labels.layout import helvetica
from orderstatus_labels.postal import address_lines, graphemes, weight_text


@pytest.mark.parametrize(
    ("address", "place"),
    [
        (
            Address("A", "1 Congress Ave", "Austin", "78701", "US", region="TX"),
            ["Austin, TX 78701"],
        ),
        (Address("A", "1 Main St", "Austin", "78701", "US"), ["Austin 78701"]),
        (
            Address("A", "290 Bremner Blvd", "Toronto", "M5V 3L9", "CA", region="ON"),
            ["Toronto ON  M5V 3L9"],
        ),
        (Address("A", "10 Downing St", "London", "SW1A 2AA", "GB"), ["LONDON", "SW1A 2AA"]),
        (Address("A", "Unter den Linden 1", "Berlin", "10117", "DE"), ["10117 Berlin"]),
        (Address("A", "Mannerheimintie 1", "Helsinki", "00100", "FI"), ["00100 Helsinki"]),
        (Address("A", "Drottninggatan 1", "Stockholm", "111 51", "SE"), ["111 51 Stockholm"]),
    ],
)
def test_addresses_print_in_the_destination_countrys_format(
    address: Address, place: list[str]
) -> None:
    """The city line follows the country's post; the country line shows only abroad."""
    assert address_lines(address, sent_from=address.country) == [
        address.name,
        address.line1,
        *place,
    ]


def test_the_country_line_is_the_countrys_name_in_capitals_across_a_border() -> None:
    """Sent from abroad, the address ends with its country: a name where the labels know
    one, else the ISO code every carrier reads."""
    austin = Address("A", "1 Congress Ave", "Austin", "78701", "US", region="TX", line2="Ste 5")
    tokyo = Address("A", "1-1 Chiyoda", "Tokyo", "100-0001", "JP")
    assert address_lines(austin, sent_from="FI")[-3:] == [
        "Ste 5",
        "Austin, TX 78701",
        "UNITED STATES",
    ]
    assert address_lines(tokyo, sent_from="US")[-1] == "JP"


@pytest.mark.parametrize(
    ("grams", "country", "locale", "printed"),
    [
        (1250, "US", "en", "2 lb 13 oz"),
        (28, "US", "en", "1 oz"),
        (1, "US", "en", "1 oz"),
        (70_000, "US", "en", "154 lb 6 oz"),
        (70_000, "US", "fi", "154 lb 6 oz"),
        (1250, "FI", "en", "1.25 kg"),
        (1250, "FI", "fi", "1,25 kg"),
        (5, "FI", "fi", "0,01 kg"),
        (1251, "FI", "fi", "1,26 kg"),
        (70_000, "DE", "de", "70,00 kg"),
        (1250, "CA", "en_CA", "1.25 kg"),
    ],
)
def test_weight_is_in_pounds_and_ounces_from_the_us_and_kilograms_elsewhere(
    grams: int, country: str, locale: str, printed: str
) -> None:
    """Ounces round up, so the weight given to the carrier is never short; the numbers are
    written by Babel the way the papers' language writes them."""
    assert weight_text(grams, country=country, locale=locale) == printed


def test_decomposed_accents_become_one_letter_and_helvetica_prints_them() -> None:
    """``a`` + U+0308, as macOS input gives, is ``ä``; a letter Helvetica lacks loses its
    accent, not the letter; invisible format characters print as nothing."""
    assert helvetica("Meika\u0308la\u0308inen") == "Meikäläinen"
    assert helvetica("q\u0308 \u01d6 \u4e2d") == "q u ?"
    assert helvetica("Stra\u00adße\u200b") == "Straße"


@given(st.text())
def test_graphemes_split_text_into_whole_letters(text: str) -> None:
    """Joined back, the letters are the text in NFC, and no letter starts with an accent
    unless the text does."""
    letters = graphemes(text)
    assert "".join(letters) == unicodedata.normalize("NFC", text)
    for letter in letters[1:]:
        assert unicodedata.category(letter[0]) not in ("Mn", "Me", "Mc")
