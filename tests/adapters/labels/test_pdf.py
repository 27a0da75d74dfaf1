"""PDF labels and instructions read back: text extracted, pages rendered, barcodes decoded."""

from __future__ import annotations

import attrs
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from orderstatus_core import Address, Catalogs, Money, ValidationError
from orderstatus_core.labels import ReturnLabel
from orderstatus_labels import FileLabelMaker
from orderstatus_labels.layout import helvetica
from orderstatus_labels.pdf import (
    instructions_layout,
    instructions_pdf,
    label_layout,
    label_pdf,
    qr_matrix,
)
from support.labels_support import (
    SHOPPER_US,
    addresses,
    all_text,
    decode_barcodes,
    make_request,
    page_ink,
    pdf_page_size,
    pdf_text,
    problems_on_paper,
    problems_with_layout,
    texts,
    without_blanks,
)

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
        "Reno, NV 89501",
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


@pytest.mark.parametrize(
    ("language", "words", "absent"),
    [
        ("en", ("RETURN", "FROM", "TO", "Return authorization (RMA)", "1.25 kg"), "PALAUTUS"),
        (
            "fi",
            ("PALAUTUS", "LÄHETTÄJÄ", "VASTAANOTTAJA", "Palautuslupa (RMA)", "1,25 kg"),
            "RETURN",
        ),
    ],
)
def test_the_label_prints_its_words_and_weight_in_the_shoppers_language(
    language: str, words: tuple[str, ...], absent: str
) -> None:
    """Read back from the PDF: the headings from the catalog, the weight's decimal sign as
    the language writes it; the addresses and the carrier as they are."""
    data = label_pdf(make_request(language=language), None)
    lines = pdf_text(data).splitlines()
    for word in words:
        assert word in lines
    assert absent not in lines
    assert "Matti Meikäläinen" in lines
    assert "UPS Ground" in lines


ENGLISH_SENTENCES = (
    "Put this sheet in the box, on top of the parts.",
    "Cushion heavy or fragile parts and tape every seam of the box.",
    "Missing parts, accessories or packaging.",
    "Parts other than those listed above.",
    "Ship with UPS (Ground), 1.25 kg.",
)


def test_every_instruction_sentence_is_in_finnish() -> None:
    """No English sentence is left on the Finnish sheet, and the closing line names the
    carrier and the weight the Finnish way; the English sheet has the English ones."""
    english = without_blanks(pdf_text(MAKER.make_instructions(make_request(), None).content))
    request = make_request(language="fi", pack_lines=())
    finnish = without_blanks(pdf_text(MAKER.make_instructions(request, None).content))
    for sentence in ENGLISH_SENTENCES:
        assert without_blanks(sentence) in english
        assert without_blanks(sentence) not in finnish
    for sentence in (
        "Laita tämä ohje laatikkoon osien päälle.",
        "Palautuspyynnössäsi luetellut osat.",
        "Muut kuin yllä luetellut osat.",
        "Lähetä: UPS (Ground), 1,25 kg.",
    ):
        assert without_blanks(sentence) in finnish


def test_an_unknown_language_gets_the_english_label() -> None:
    """A language no catalog has (Swedish): the label's words are English, not blank."""
    lines = pdf_text(label_pdf(make_request(language="sv"), None)).splitlines()
    assert {"RETURN", "FROM", "TO", "Return authorization (RMA)", "1.25 kg"} <= set(lines)


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


# Layout: nothing overlaps and nothing leaves the page, read back character by character.

LABEL_MARGIN = 14.0
PAGE_MARGIN = 54.0
TWO_LINE_SHOPPER = Address(
    "Matti Meikäläinen", "Mannerheimintie 1", "Helsinki", "00100", "FI", line2="Rappu B 12"
)
LONG_PACKING_LIST = tuple(
    f"{n} x BRK-{n:04d} " + "Front brake pads, ceramic, with wear sensor and clips " * 3
    for n in range(1, 12)
)


def test_the_printed_rma_clears_the_qr_code_when_both_addresses_have_two_lines() -> None:
    """With a second address line on both ends, every character still sits on the label,
    clear of every other character and of both barcodes."""
    data = label_pdf(make_request(sender=TWO_LINE_SHOPPER), None)
    assert problems_on_paper(data, LABEL_MARGIN) == []


def test_a_long_packing_list_goes_on_to_a_page_that_repeats_the_rma() -> None:
    """Eleven lines of 120 characters: the instructions continue on a second page, which
    says so and repeats the RMA, and "what voids the return" is printed in full."""
    request = make_request(pack_lines=[line[:120] for line in LONG_PACKING_LIST])
    data = MAKER.make_instructions(request, None).content
    assert problems_on_paper(data, PAGE_MARGIN) == []
    pages = [without_blanks("".join(i.char for i in page)) for page in page_ink(data)]
    assert len(pages) == 2
    assert without_blanks("Return instructions, continued") in pages[1]
    assert "RMA-20261126-0001" in pages[1]
    for line in (*request.pack_lines, "What voids the return", *VOID_LINES):
        assert without_blanks(line) in "".join(pages)


VOID_LINES = (
    "Parts that are installed, used, damaged or modified, unless the reason is a defect.",
    "Parts other than those listed above.",
)


@pytest.mark.parametrize("widest", ["@", "W", "\u20ac", "\u00c5"])
def test_the_longest_fields_in_the_widest_letters_still_fit(widest: str) -> None:
    """Every field at its longest, in the widest letters the fonts have: the label shrinks
    its type, the instructions take more pages, and the layout holds on paper."""
    text = widest * 100
    address = Address(text, text, text[:64], "W" * 16, "FI", line2=text, region=text[:64])
    request = make_request(
        sender=address,
        destination=attrs.evolve(address, country="US"),
        carrier=text[:32],
        service=text[:32],
        rma_number="W" * 40,
        pack_lines=(text[:120],) * 20,
        language="fi",  # the longer words
    )
    label = label_pdf(request, "W" * 40)
    assert problems_on_paper(label, LABEL_MARGIN) == []
    assert problems_with_layout(label, (label_layout(request, "W" * 40),)) == []
    finnish = Catalogs.builtin().translator("fi")
    pages = instructions_layout(request, "W" * 40, translator=finnish, page="a4", store=text[:64])
    sheet = instructions_pdf(request, "W" * 40, translator=finnish, page="a4", store=text[:64])
    assert problems_on_paper(sheet, PAGE_MARGIN) == []
    assert problems_with_layout(sheet, pages) == []


PRINTABLE = texts("W", "@", "M", " ", "\u0308", "\u20ac", "\u00c5")
ADDRESSES = addresses(PRINTABLE)
PACKING_LISTS = st.lists(PRINTABLE.map(lambda t: (t * 2)[:120]), min_size=1, max_size=20)


@given(
    sender=ADDRESSES,
    destination=ADDRESSES,
    pack_lines=PACKING_LISTS,
    language=st.sampled_from(["en", "fi"]),
    page=st.sampled_from(["letter", "a4"]),
    tracking=st.none() | st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=1, max_size=40),
)
# Found by Hypothesis: the acute of a bold "Í" reaches 0.051 em past its advance, beyond
# the room a line kept at its ends (0.05 em then).
@example(
    sender=Address("0", "0", "0", "0", "US"),
    destination=Address("Í", "0", "0", "0", "US"),
    pack_lines=["00"],
    language="en",
    page="letter",
    tracking=None,
)
@settings(max_examples=25, deadline=None)
def test_any_label_and_instructions_lay_out_without_overlap_or_loss(
    sender: Address,
    destination: Address,
    pack_lines: list[str],
    language: str,
    page: str,
    tracking: str | None,
) -> None:
    """For any addresses, packing list and language: no character leaves the margins or
    touches another character or a barcode, the drawn PDFs agree with their layouts, and
    every field is printed in full (in the letters Helvetica has)."""
    request = make_request(
        sender=sender, destination=destination, pack_lines=pack_lines, language=language
    )
    words = Catalogs.builtin().translator(language)
    label = label_pdf(request, tracking)
    sheet = instructions_pdf(request, tracking, translator=words, page=page, store=None)
    layout = instructions_layout(request, tracking, translator=words, page=page, store=None)
    assert problems_on_paper(label, LABEL_MARGIN) == []
    assert problems_with_layout(label, (label_layout(request, tracking),)) == []
    assert problems_on_paper(sheet, PAGE_MARGIN) == []
    assert problems_with_layout(sheet, layout) == []
    on_label, on_sheet = all_text(label), without_blanks(all_text(sheet))
    for address in (sender, destination):
        for field in (address.name, address.line1, address.line2 or "", address.postal_code):
            assert without_blanks(helvetica(field)) in on_label
    for line in pack_lines:
        assert without_blanks(helvetica(line)) in on_sheet
    assert without_blanks(helvetica(destination.name)) in on_sheet


AUSTIN = Address("Parts Returns", "500 Congress Ave", "Austin", "78701", "US", region="TX")


@pytest.mark.parametrize(
    ("language", "words"), [("en", "Return authorization (RMA)"), ("fi", "Palautuslupa (RMA)")]
)
def test_papers_name_the_rma_in_words_and_weigh_us_shipments_in_pounds(
    language: str, words: str
) -> None:
    """From a US shopper: the label and the instructions say what the RMA number is, the
    address reads "Austin, TX 78701" and the weight is in pounds and ounces."""
    request = make_request(sender=SHOPPER_US, destination=AUSTIN, language=language)
    label = pdf_text(label_pdf(request, None))
    sheet = pdf_text(MAKER.make_instructions(request, None).content)
    for text in (label, sheet):
        assert "Austin, TX 78701" in text
        assert "UNITED STATES" not in text
        assert "2 lb 13 oz" in text
        assert "kg" not in text
    assert f"{words}\nRMA-20261126-0001" in label
    assert words in sheet


def test_decomposed_accents_print_as_letters_on_the_pdf_label() -> None:
    """A name typed on a Mac (``a`` + U+0308) prints as ``ä``, not ``a?``."""
    sender = Address(
        "Matti Meika\u0308la\u0308inen", "Mannerheimintie 1", "Helsinki", "00100", "FI"
    )
    text = pdf_text(label_pdf(make_request(sender=sender), None))
    assert "Matti Meikäläinen" in text
    assert "?" not in text
