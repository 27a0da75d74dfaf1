"""PDF labels and instructions read back: text extracted, pages rendered, barcodes decoded."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from labels_support import (
    SHOPPER_US,
    decode_barcodes,
    make_request,
    pdf_page_size,
    pdf_text,
)

from orderstatus_core import Address, Money, ValidationError
from orderstatus_core.ports import ReturnLabel
from orderstatus_labels import FileLabelMaker
from orderstatus_labels.pdf import label_pdf, qr_matrix

MAKER = FileLabelMaker(Money("7.50", "USD"), store="Example Parts")


def test_the_label_is_4x6_inches_with_both_addresses() -> None:
    data = MAKER.make_label(make_request()).document("pdf").content
    assert pdf_page_size(data) == (288.0, 432.0)
    text = pdf_text(data)
    for expected in (
        "RETURN",
        "UPS Ground",
        "Matti Meikäläinen",
        "00100 Helsinki",
        "Returns Dept",
        "Dock 4",
        "89501 Reno NV",
        "RMA-20261126-0001",
        "1.25 kg",
    ):
        assert expected in text
    assert len(data) <= 5 * 1024


def test_the_label_barcodes_decode_to_the_rma_number() -> None:
    data = MAKER.make_label(make_request()).document("pdf").content
    found = decode_barcodes(data)
    assert found["code 128"] == ["RMA-20261126-0001"]
    assert found["qr code"] == ["RMA RMA-20261126-0001"]


def test_a_tracking_number_goes_in_both_barcodes() -> None:
    data = label_pdf(make_request(), "1Z999AA10123456784")
    found = decode_barcodes(data)
    assert found["code 128"] == ["1Z999AA10123456784"]
    assert found["qr code"] == ["RMA RMA-20261126-0001 TRK 1Z999AA10123456784"]


def test_the_longest_codes_still_decode() -> None:
    data = label_pdf(make_request(rma_number="R" + "7" * 31), "A" * 40)
    found = decode_barcodes(data, dpi=300)
    assert found["code 128"] == ["A" * 40]
    assert found["qr code"] == [f"RMA R{'7' * 31} TRK {'A' * 40}"]


def test_the_fixed_mask_qr_matrix_is_the_smallest_version() -> None:
    assert len(qr_matrix("RMA RMA-20261126-0001")) == 25  # version 2


@pytest.mark.parametrize(
    ("language", "title", "void"),
    [
        ("en", "Return instructions", "What voids the return"),
        ("fi", "Palautusohjeet", "Nämä mitätöivät palautuksen"),
    ],
)
def test_instructions_in_the_shoppers_language(language: str, title: str, void: str) -> None:
    request = make_request(language=language)
    label = MAKER.make_label(request)
    document = MAKER.make_instructions(request, label)
    assert document.filename == f"RMA-20261126-0001-instructions-{language}.pdf"
    text = pdf_text(document.content)
    for expected in (
        "Example Parts",
        title,
        void,
        "RMA-20261126-0001",
        "Returns Dept",
        "100 Warehouse Rd",
        "2 x BRK-1234 Front brake pads",
        "1 x OIL-77 Oil filter",
    ):
        assert expected in text
    assert decode_barcodes(document.content)["code 128"] == ["RMA-20261126-0001"]


def test_another_language_falls_back_to_english() -> None:
    request = make_request(language="sv")
    document = MAKER.make_instructions(request, MAKER.make_label(request))
    assert "Return instructions" in pdf_text(document.content)
    assert document.filename.endswith("-en.pdf")


def test_the_page_is_letter_in_north_america_and_a4_elsewhere() -> None:
    finnish = make_request()
    american = make_request(sender=SHOPPER_US)
    a4 = MAKER.make_instructions(finnish, MAKER.make_label(finnish)).content
    letter = MAKER.make_instructions(american, MAKER.make_label(american)).content
    assert pdf_page_size(a4) == pytest.approx((595.28, 841.89), abs=0.01)
    assert pdf_page_size(letter) == (612.0, 792.0)
    forced = FileLabelMaker(Money("0", "USD"), page="letter")
    assert pdf_page_size(forced.make_instructions(finnish, forced.make_label(finnish)).content) == (
        612.0,
        792.0,
    )


def test_instructions_show_a_carrier_tracking_number() -> None:
    request = make_request()
    label = ReturnLabel(
        rma_number=request.rma_number,
        carrier="UPS",
        service="Ground",
        cost=Money("9.10", "USD"),
        documents=(),
        tracking_number="1Z999AA10123456784",
    )
    text = pdf_text(MAKER.make_instructions(request, label).content)
    assert "1Z999AA10123456784" in text


def test_instructions_need_the_label_of_the_same_request() -> None:
    request = make_request()
    other = MAKER.make_label(make_request(rma_number="RMA-OTHER"))
    with pytest.raises(ValidationError):
        MAKER.make_instructions(request, other)
    with pytest.raises(ValidationError):
        MAKER.make_instructions(request, "a label")  # type: ignore[arg-type]


def test_instructions_without_a_label_carry_the_rma_only() -> None:
    """The shopper ships on their own: the box still gets the RMA and the destination."""
    request = make_request()
    text = pdf_text(MAKER.make_instructions(request, None).content)
    assert request.rma_number in text
    assert "1Z999AA10123456784" not in text


NAMES = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn")), min_size=1, max_size=100
).filter(str.strip)


@given(name=NAMES)
@settings(max_examples=15, deadline=None)
def test_any_name_prints_helvetica_can_show(name: str) -> None:
    try:
        sender = Address(name, "Mannerheimintie 1", "Helsinki", "00100", "FI")
    except ValidationError:
        return
    data = MAKER.make_label(make_request(sender=sender)).document("pdf").content
    assert "RMA-20261126-0001" in pdf_text(data)
    assert decode_barcodes(data, dpi=150)["code 128"] == ["RMA-20261126-0001"]
