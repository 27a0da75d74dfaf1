"""Masks hide how long each hidden part is: values alike in what is shown mask the same."""

from __future__ import annotations

import doctest

import attrs
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core import EmailAddress, PhoneNumber
from orderstatus_core.model import Address
from orderstatus_core.policies import mask_address, mask_email, mask_phone, mask_text, masking
from orderstatus_core.testing import strategies as ost

# Letters, marks, digits, punctuation and symbols of any script: no spaces, no controls.
letters = st.characters(exclude_categories=("Z", "C"))
tails = st.text(letters, max_size=25)
middles = st.lists(st.text(letters, min_size=1, max_size=12), max_size=3).map(" ".join)


def _name(first: str, last: str | None, first_tail: str, middle: str, last_tail: str) -> str:
    if last is None:
        return first + first_tail
    return f"{first}{first_tail} {middle} {last}{last_tail}"


@given(letters, st.none() | letters, tails, middles, tails, tails, middles, tails)
def test_names_with_the_same_initials_mask_the_same_whatever_their_length(
    first: str,
    last: str | None,
    first_tail: str,
    middle: str,
    last_tail: str,
    other_first_tail: str,
    other_middle: str,
    other_last_tail: str,
) -> None:
    """Only the first and last initials show; word lengths and middle names do not."""
    name = _name(first, last, first_tail, middle, last_tail)
    other = _name(first, last, other_first_tail, other_middle, other_last_tail)
    expected = f"{first}•••" if last is None else f"{first}••• {last}•••"
    assert mask_text(name) == mask_text(other) == expected


@given(ost.emails(), st.text(letters, min_size=1, max_size=40))
def test_emails_with_the_same_first_character_and_domain_mask_the_same(
    email: EmailAddress, extra: str
) -> None:
    """A longer local part does not make a longer mask."""
    display = email.display
    local, _at, domain = display.rpartition("@")
    longer = f"{local}{extra}@{domain}"
    assert mask_email(display) == mask_email(longer) == f"{local[:1]}•••@{domain}"


@given(ost.phones(), ost.phones())
def test_phones_mask_the_same_exactly_when_their_last_two_digits_agree(
    phone: PhoneNumber, other: PhoneNumber
) -> None:
    """Neither the length nor the country code of a number shows."""
    number, other_number = phone.e164, other.e164
    assert mask_phone(number) == f"+•••{number[-2:]}"
    assert (mask_phone(number) == mask_phone(other_number)) == (number[-2:] == other_number[-2:])


@given(ost.addresses(), ost.addresses(), tails, middles, tails, st.text("0123456789", max_size=14))
def test_addresses_alike_in_what_is_shown_mask_the_same(
    address: Address,
    other: Address,
    first_tail: str,
    middle: str,
    last_tail: str,
    postal_tail: str,
) -> None:
    """Another street, second line, name of other lengths with the same initials and a
    postal code of another length with the same first two characters: the same mask."""
    words = address.name.split()
    last = words[-1][0] if len(words) > 1 else None
    shown_postal = address.postal_code.strip()[:2]
    # A code of one character shows whole (no such postal code is in use).
    postal = shown_postal + postal_tail if len(shown_postal) == 2 else address.postal_code
    if postal != postal.strip():
        # "0 0" shows "0 ": the stored code would lose that space, so keep the original.
        postal = address.postal_code
    alike = attrs.evolve(
        address,
        name=_name(words[0][0], last, first_tail, middle, last_tail),
        line1=other.line1,
        line2=other.line2,
        postal_code=postal,
    )
    assert mask_address(alike) == mask_address(address)
    assert mask_address(address).street == "•••"


def test_the_documented_examples_hold() -> None:
    """The docstrings' examples are the masks shown."""
    failed, attempted = doctest.testmod(masking)
    assert (failed, attempted > 0) == (0, True)
