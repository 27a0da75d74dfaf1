"""ZPL labels parsed back: one label, the expected fields, nothing from input as a command
(SECURITY H2), also under Hypothesis-generated hostile text."""

from __future__ import annotations

import unicodedata

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from orderstatus_core import AdapterError, Address, Money, ValidationError
from orderstatus_labels import FileLabelMaker, render_zpl
from orderstatus_labels.postal import graphemes
from orderstatus_labels.zpl import MAX_ZPL_BYTES, field
from support.labels_support import (
    WAREHOUSE,
    addresses,
    make_request,
    parse_zpl,
    texts,
    zpl_overlaps,
)


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
        "Reno, NV 89501",
        "UNITED STATES",
        "Return authorization (RMA)",
        "RMA-20261126-0001",
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
        assert unicodedata.normalize("NFC", given_text).startswith(text)
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


def test_decomposed_accents_print_as_one_letter() -> None:
    """A name typed on a Mac (``a`` + U+0308) prints as the letter ``ä``."""
    sender = Address(
        "Matti Meika\u0308la\u0308inen", "Mannerheimintie 1", "Helsinki", "00100", "FI"
    )
    label = parse_zpl(zpl_of(sender=sender))
    assert "Matti Meikäläinen" in label.texts


def test_a_cut_keeps_each_letter_with_its_accents() -> None:
    """A field is cut between letters, never between a letter and its combining marks."""
    assert field("q\u0308" * 40, budget=10) == "q_CC_88"
    assert field("e\u0301\u0323" * 40, letters=2) == "_E1_BA_B9_CC_81" * 2  # NFC: ẹ + acute


ACCENTED = texts("W", "M", "q", "\u0308", "\u0301", "\u0323", "\u200d", "😀")
ZPL_ADDRESSES = addresses(ACCENTED)


@given(
    sender=ZPL_ADDRESSES,
    destination=ZPL_ADDRESSES,
    carrier=ACCENTED.map(lambda t: t[:32]).filter(str.strip),
    rma_number=st.from_regex(r"[A-Z0-9W][A-Z0-9W-]{2,39}", fullmatch=True),
    tracking=st.none() | st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789W", min_size=1, max_size=40),
)
@settings(max_examples=150)
def test_every_field_fits_its_printed_width_and_cuts_between_letters(
    sender: Address, destination: Address, carrier: str, rma_number: str, tracking: str | None
) -> None:
    """Counting every letter as a full cell of its font, no field, barcode or rule leaves
    the label or overlaps another, and every field is its input (in NFC) or a cut of it
    after a whole letter."""
    request = make_request(
        sender=sender, destination=destination, carrier=carrier, rma_number=rma_number
    )
    label = parse_zpl(render_zpl(request, tracking))
    assert zpl_overlaps(label) == []
    assert label.texts[-2] == rma_number
    name = graphemes(sender.name)
    printed = graphemes(label.texts[3])
    assert printed == name[: len(printed)]


def test_the_zpl_label_names_the_rma_and_weighs_us_shipments_in_pounds() -> None:
    """From a US shopper to Austin: "Austin, TX 78701", no country line, pounds and
    ounces, and the RMA number under its name in words."""
    austin = Address("Parts Returns", "500 Congress Ave", "Austin", "78701", "US", region="TX")
    shopper = Address("Jane Doe", "12 Elm St", "Springfield", "62701", "US", region="IL")
    label = parse_zpl(zpl_of(sender=shopper, destination=austin))
    assert "Austin, TX 78701" in label.texts
    assert "UNITED STATES" not in label.texts
    assert label.texts[-3:] == [
        "Return authorization (RMA)",
        "RMA-20261126-0001",
        "2 lb 13 oz",
    ]


def test_the_finnish_label_prints_its_words_in_utf8_under_ci28() -> None:
    """ZPL under ``^CI28`` reads field data as UTF-8: ``ä`` travels as its two bytes, hex
    escaped (``_C3_A4``), so the file stays ASCII and the printer's font 0 prints it."""
    data = zpl_of(language="fi")
    data.decode("ascii")  # every non-ASCII letter escaped
    assert data.startswith(b"^XA^CI28")
    assert b"^FH^FDL_C3_84HETT_C3_84J_C3_84^FS" in data
    label = parse_zpl(data)
    assert label.texts[0] == "PALAUTUS"
    for text in ("LÄHETTÄJÄ", "VASTAANOTTAJA", "Palautuslupa (RMA)", "1,25 kg"):
        assert text in label.texts
    for english in ("RETURN", "FROM", "TO", "Return authorization (RMA)"):
        assert english not in label.texts
    assert zpl_overlaps(label) == []


def test_an_unknown_language_gets_the_english_zpl_label() -> None:
    label = parse_zpl(render_zpl(make_request(language="sv")))
    assert label.texts[0] == "RETURN"
    assert "Return authorization (RMA)" in label.texts
