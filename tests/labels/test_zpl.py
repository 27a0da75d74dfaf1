"""ZPL labels parsed back: one label, the expected fields, nothing from input as a command
(SECURITY H2), also under Hypothesis-generated hostile text."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from labels_support import WAREHOUSE, make_request, parse_zpl

from orderstatus_core import AdapterError, Address, Money, ValidationError
from orderstatus_labels import FileLabelMaker, render_zpl
from orderstatus_labels.zpl import MAX_ZPL_BYTES, field


def zpl_of(**changes: object) -> bytes:
    maker = FileLabelMaker(Money("7.50", "USD"))
    return maker.make_label(make_request(formats=("zpl",), **changes)).document("zpl").content


def test_one_label_with_every_field() -> None:
    label = parse_zpl(zpl_of())
    assert label.code128 == ["RMA-20261126-0001"]
    assert label.qr == ["MA,RMA RMA-20261126-0001"]
    for text in (
        "UPS Ground",
        "Matti Meikäläinen",
        "Mannerheimintie 1",
        "00100 Helsinki",
        "Returns Dept",
        "100 Warehouse Rd",
        "Dock 4",
        "89501 Reno NV",
        "RMA RMA-20261126-0001",
        "1.25 kg",
    ):
        assert text in label.texts


def test_a_tracking_number_goes_in_the_code_128_and_the_qr_code() -> None:
    data = render_zpl(make_request(), "1Z999AA10123456784")
    label = parse_zpl(data)
    assert label.code128 == ["1Z999AA10123456784"]
    assert label.qr == ["MA,RMA RMA-20261126-0001 TRK 1Z999AA10123456784"]


def test_a_tracking_number_with_commands_is_refused() -> None:
    with pytest.raises(AdapterError):
        render_zpl(make_request(), "1Z^XZ")


def test_carets_tildes_and_the_hex_indicator_are_escaped() -> None:
    assert field("a^XZ~JR_b") == "a_5EXZ_7EJR_5Fb"
    assert field("Ä") == "_C3_84"


def test_a_field_is_cut_at_its_byte_budget_between_characters() -> None:
    assert field("ä" * 50, budget=14) == "_C3_A4" * 2
    assert field("abc", budget=2) == "ab"


@pytest.mark.parametrize("bad", ["Bad\r\nname", "Bad\nname", "tab\there", "nul\x00"])
def test_control_characters_are_refused_before_any_label(bad: str) -> None:
    with pytest.raises(ValidationError):
        zpl_of(carrier=bad[:32])


HOSTILE = st.lists(
    st.one_of(
        st.text(max_size=40),
        st.sampled_from(
            ["^XZ^XA", "^FS", "~JR", "~DG", "^FH", "_5E", "\r\n", "^", "~", "_", "😀", "中文", "ẞ"]
        ),
    ),
    max_size=8,
).map("".join)


@given(name=HOSTILE, line1=HOSTILE, city=HOSTILE, carrier=HOSTILE, service=HOSTILE)
@settings(max_examples=150)
def test_hostile_text_never_breaks_out_of_its_field(
    name: str, line1: str, city: str, carrier: str, service: str
) -> None:
    try:
        sender = Address(name[:100], line1[:100], city[:64], "00100", "FI")
        request = make_request(
            sender=sender, carrier=carrier[:32], service=service[:32], formats=("zpl",)
        )
    except ValidationError:
        return  # refused up front: blank, a control character, ...
    data = FileLabelMaker(Money("0", "USD")).make_label(request).document("zpl").content
    assert len(data) <= MAX_ZPL_BYTES
    label = parse_zpl(data)  # exactly one ^XA...^XZ, no ~ at all
    assert label.code128 == ["RMA-20261126-0001"]
    # Each printed field is the input or a cut of it, character for character.
    for text, given_text in (
        (label.texts[1], f"{request.carrier} {request.service}"),
        (label.texts[3], sender.name),
        (label.texts[4], sender.line1),
    ):
        assert given_text.startswith(text)
        if len(given_text.encode()) * 3 <= 72:
            assert text == given_text


def test_the_longest_fields_stay_within_3072_bytes() -> None:
    wide = "😀" * 100
    address = Address(wide, wide, wide[:64], "9" * 16, "FI", line2=wide, region=wide[:64])
    data = zpl_of(sender=address, destination=attrs.evolve(address), carrier="ä" * 32)
    assert len(data) <= MAX_ZPL_BYTES
    parse_zpl(data)


def test_a_long_rma_number_still_fits_the_label() -> None:
    label = parse_zpl(zpl_of(rma_number="R" * 32))
    assert label.code128 == ["R" * 32]
    assert WAREHOUSE.name in label.texts
