"""Hostile text is refused with a ``ValidationError`` or kept verbatim, never anything else."""

from __future__ import annotations

import contextlib
import json
import re
import unicodedata
from datetime import timedelta
from typing import Any

import cattrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from orderstatus_core import (
    Address,
    CategoryPath,
    EmailAddress,
    GuestProof,
    GuestSession,
    ImportRecordError,
    InvalidIdentifierError,
    NoValidPass,
    Order,
    OrderNotFound,
    OrderStatus,
    PartNumber,
    TryLater,
    ValidationError,
    email_key,
    parse_email,
    parse_phone,
    phone_key,
)
from orderstatus_core.model import canonical_order_number
from orderstatus_core.serialization import converter, error_path
from orderstatus_core.testing import fake_context
from orderstatus_core.testing import strategies as ost
from orderstatus_core.testing.builders import make_order, package

_REFUSED = {"Cc", "Cs", "Co", "Cn"}
# Bidirectional embeddings, overrides and isolates: they reorder the text shown after them.
_BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
_ORDER = make_order(packages=[package("P1", [(1, 1)], shipped_after=timedelta(days=1))])


def _clean(text: str) -> bool:
    return not any(unicodedata.category(char) in _REFUSED or char in _BIDI for char in text)


@given(ost.hostile_text())
def test_email_key_answers_none_or_a_clean_key(text: str) -> None:
    """``email_key`` never raises, and a key it answers holds no control character."""
    key = email_key(text)
    assert key is None or (_clean(key) and "@" in key)


@given(ost.hostile_text())
def test_parse_email_refuses_or_agrees_with_email_key(text: str) -> None:
    """``parse_email`` raises ``InvalidIdentifierError`` or returns the ``email_key`` form."""
    try:
        address = parse_email(text)
    except InvalidIdentifierError:
        return
    assert isinstance(address, EmailAddress)
    assert address.canonical == email_key(text)


@given(ost.hostile_text())
def test_phone_parsing_refuses_hostile_text_quietly(text: str) -> None:
    """``phone_key`` answers ``None`` or E.164; ``parse_phone`` raises only its own error."""
    key = phone_key(text)
    assert key is None or re.fullmatch(r"\+[0-9]{2,16}", key)
    with contextlib.suppress(InvalidIdentifierError):
        assert parse_phone(text).e164 == key


@given(ost.hostile_text())
def test_order_numbers_are_refused_or_canonical(text: str) -> None:
    """An order number is 1 to 32 ASCII letters and digits, or ``InvalidIdentifierError``."""
    try:
        number = canonical_order_number(text)
    except InvalidIdentifierError:
        return
    assert re.fullmatch(r"[A-Z0-9]{1,32}", number)


@given(ost.hostile_text())
def test_part_numbers_refuse_or_keep_text(text: str) -> None:
    """A part number from hostile text raises ``ValidationError`` or keeps the text."""
    try:
        part = PartNumber(text)
    except ValidationError:
        return
    assert (part.display, _clean(text)) == (text, True)


@given(ost.hostile_text())
def test_categories_refuse_or_keep_text(text: str) -> None:
    """A category segment from hostile text raises ``ValidationError`` or keeps the text."""
    try:
        category = CategoryPath([text])
    except ValidationError:
        return
    assert (category.segments, _clean(text)) == ((text,), True)


@given(ost.hostile_text())
def test_address_text_is_refused_or_kept_verbatim(text: str) -> None:
    """Stored text holds no control character, bidirectional control, surrogate or
    private-use character (H3)."""
    try:
        address = Address(name=text, line1="1 Main St", city="Reno", postal_code="1", country="US")
    except ValidationError:
        return
    assert address.name == text
    assert _clean(text)


_FIELDS: dict[str, tuple[str | int, ...]] = {
    "$.number": ("number",),
    "$.email": ("email",),
    "$.currency": ("currency",),
    "$.placed_at": ("placed_at",),
    "$.phone": ("phone",),
    "$.shipping_address.name": ("shipping_address", "name"),
    "$.lines[0].part_number": ("lines", 0, "part_number"),
    "$.lines[0].category": ("lines", 0, "category"),
    "$.lines[0].brand": ("lines", 0, "brand"),
    "$.lines[0].unit_price": ("lines", 0, "unit_price"),
    "$.packages[0].warehouse": ("packages", 0, "warehouse"),
}


def _with(record: Any, where: tuple[str | int, ...], value: str) -> Any:
    target = record
    for step in where[:-1]:
        target = target[step]
    target[where[-1]] = value
    return record


@given(st.sampled_from(sorted(_FIELDS)), ost.hostile_text())
def test_a_hostile_field_in_a_record_is_refused_at_its_path(path: str, text: str) -> None:
    """A record with a hostile field is read, or refused with that field's path (or one
    inside it, such as ``$.lines[0].category[0]``)."""
    record = _with(converter.unstructure(_ORDER), _FIELDS[path], text)
    try:
        converter.structure(record, Order)
    except (cattrs.BaseValidationError, ValidationError) as error:
        found, message = error_path(error)
        assert message
        assert found == path or found.startswith((f"{path}.", f"{path}["))


_BIDI_FIELDS: dict[str, tuple[str | int, ...]] = {
    "$.shipping_address.name": ("shipping_address", "name"),
    "$.shipping_address.line1": ("shipping_address", "line1"),
    "$.lines[0].brand": ("lines", 0, "brand"),
    "$.email": ("email",),
}


@pytest.mark.parametrize("control", sorted(_BIDI))
@pytest.mark.parametrize("path", sorted(_BIDI_FIELDS))
def test_an_imported_bidi_control_is_refused_at_its_path(control: str, path: str) -> None:
    """A right-to-left override (or another embedding or isolate) in an imported name,
    address line, brand or email is refused at that field, like other controls."""
    text = f"jane{control}doe@example.com" if path == "$.email" else f"Jane {control}Doe"
    record = _with(converter.unstructure(_ORDER), _BIDI_FIELDS[path], text)
    desk = OrderStatus(fake_context())
    with pytest.raises(ImportRecordError) as refused:
        desk.import_orders([json.dumps(record)])
    assert refused.value.field.endswith(path)


@given(
    guest_pass=st.one_of(st.none(), ost.hostile_text()),
    identifier=st.one_of(st.none(), ost.hostile_text()),
    number=ost.hostile_text(),
)
def test_a_guest_session_answers_hostile_proof_with_a_value(
    guest_pass: str | None, identifier: str | None, number: str
) -> None:
    """Hostile text as the pass, the typed email or phone and the order number is no error:
    every guest action answers one of its refusal values (SECURITY A1), and nothing changes."""
    ctx = fake_context()
    with ctx.storage.unit_of_work(write=True) as uow:
        uow.orders.add(_ORDER)
        uow.commit()
    guest = GuestSession(ctx, GuestProof("203.0.113.9", guest_pass, identifier))
    for answer in (guest.cancel_order(number), guest.order_returns(number)):
        assert answer in (NoValidPass(), OrderNotFound()) or isinstance(answer, TryLater)
    assert guest.search_orders(part_number="BP-1234") == NoValidPass()
    with ctx.storage.unit_of_work() as uow:
        stored = uow.orders.get(_ORDER.number)
    assert stored == _ORDER


@given(client=st.one_of(ost.hostile_text(), st.integers(), st.none()))
def test_a_guest_proof_refuses_a_hostile_client_or_keeps_it(client: Any) -> None:
    """The rate-limit key is 1 to 200 characters of text, or a ValidationError."""
    try:
        proof = GuestProof(client)
    except ValidationError:
        assert not isinstance(client, str) or not 1 <= len(client) <= 200
    else:
        assert proof.client == client
