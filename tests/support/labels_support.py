"""Reading label files back: ZPL parsed, PDF text extracted, pages rendered and decoded."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import pypdfium2  # type: ignore[import-untyped]
import zxingcpp
from hypothesis import strategies as st
from PIL import ImageDraw
from pypdf import PdfReader

from orderstatus_core.labels import ReturnLabelRequest
from orderstatus_core.model import Address
from orderstatus_core.model._text import BIDI_CONTROLS
from orderstatus_labels.layout import Box, Page
from orderstatus_labels.pdf import qr_matrix
from orderstatus_labels.postal import graphemes

SENDER = Address("Matti Meikäläinen", "Mannerheimintie 1", "Helsinki", "00100", "FI")
SHOPPER_US = Address("Jane Doe", "12 Elm St", "Springfield", "62701", "US", region="IL")
WAREHOUSE = Address(
    "Returns Dept", "100 Warehouse Rd", "Reno", "89501", "US", line2="Dock 4", region="NV"
)


def make_request(**changes: object) -> ReturnLabelRequest:
    values: dict[str, object] = {
        "rma_number": "RMA-20261126-0001",
        "sender": SENDER,
        "destination": WAREHOUSE,
        "carrier": "UPS",
        "service": "Ground",
        "weight_grams": 1250,
        "language": "en",
        "pack_lines": ("2 x BRK-1234 Front brake pads", "1 x OIL-77 Oil filter"),
        "formats": ("pdf", "zpl"),
    }
    values.update(changes)
    return ReturnLabelRequest(**values)  # type: ignore[arg-type]


@dataclass(frozen=True)
class ZplField:
    """A text field and the dots its letters may cover: each letter a full ``^A0`` cell."""

    text: str
    left: int
    top: int
    right: int
    bottom: int


@dataclass
class ZplLabel:
    """One ZPL label as the printer would read it."""

    commands: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    code128: list[str] = field(default_factory=list)
    qr: list[str] = field(default_factory=list)
    fields: list[ZplField] = field(default_factory=list)
    graphics: list[ZplField] = field(default_factory=list)


_HEX = re.compile(rb"_([0-9A-Fa-f]{2})")


def _unhex(data: str) -> str:
    return _HEX.sub(lambda m: bytes([int(m.group(1), 16)]), data.encode("ascii")).decode("utf-8")


def parse_zpl(data: bytes) -> ZplLabel:
    """Split ``data`` into commands the way a printer does: at every ``^`` and ``~``.

    Fails if it is not exactly one ``^XA...^XZ`` label or holds a ``~`` command.
    """
    text = data.decode("ascii")
    assert "~" not in text, "a ~ command in the label"
    body = text.strip()
    assert body.startswith("^XA"), body[:20]
    assert body.endswith("^XZ"), body[-20:]
    tokens = [t.strip() for t in body.split("^")[1:]]
    label = ZplLabel(commands=[t[:2] for t in tokens])
    assert label.commands.count("XA") == 1
    assert label.commands.count("XZ") == 1
    hex_next = False
    barcode = ""
    module = bars = 0
    origin = (0, 0)
    cell = (0, 0)
    for token in tokens:
        command, argument = token[:2], token[2:]
        if command == "FO":
            x, y = argument.split(",")
            origin = (int(x), int(y))
        elif command == "A0":
            _, height, width = argument.split(",")
            cell = (int(height), int(width))
        elif command == "FH":
            hex_next = True
        elif command == "BY":
            module = int(argument)
        elif command == "GB":
            width, height, _ = (int(v) for v in argument.split(","))
            x, y = origin
            label.graphics.append(ZplField("GB", x, y, x + width, y + height))
        elif command in ("BC", "BQ"):
            barcode = command
            bars = int(argument.split(",")[1]) if command == "BC" else 0
        elif command == "FD":
            x, y = origin
            if barcode == "BC":
                label.code128.append(argument)
                # Code set B: 11 modules a character, start and check, 13 for the stop;
                # the printed line under the bars takes 40 dots at most.
                width = module * (11 * (len(argument) + 2) + 13)
                label.graphics.append(ZplField("BC", x, y, x + width, y + bars + 40))
            elif barcode == "BQ":
                label.qr.append(argument)
                side = 6 * len(qr_matrix(argument.removeprefix("MA,")))
                label.graphics.append(ZplField("BQ", x, y, x + side, y + side))
            else:
                text = _unhex(argument) if hex_next else argument
                label.texts.append(text)
                (x, y), (height, width) = origin, cell
                right = x + width * len(graphemes(text))
                label.fields.append(ZplField(text, x, y, right, y + height))
        elif command == "FS":
            hex_next = False
            barcode = ""
    return label


def pdf_text(data: bytes) -> str:
    """The text of every page, as a PDF reader extracts it."""
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def pdf_page_size(data: bytes) -> tuple[float, float]:
    box = PdfReader(io.BytesIO(data)).pages[0].mediabox
    return float(box.width), float(box.height)


def decode_barcodes(data: bytes, dpi: int = 200) -> dict[str, list[str]]:
    """Render the first page at ``dpi`` and decode every barcode on it, by format."""
    document = pypdfium2.PdfDocument(data)
    try:
        image = document[0].render(scale=dpi / 72, grayscale=True).to_pil()
    finally:
        document.close()
    found: dict[str, list[str]] = {}
    for result in zxingcpp.read_barcodes(image):
        found.setdefault(str(result.format).split(".")[-1].lower(), []).append(result.text)
    return found


@dataclass(frozen=True)
class Ink:
    """One printed character, its place in the page's text and its exact glyph box on the
    page, in points (pdfium)."""

    char: str
    index: int
    box: Box


def page_ink(data: bytes) -> list[list[Ink]]:
    """Every printed (not blank) character of each page, with its tight glyph box."""
    document = pypdfium2.PdfDocument(data)
    pages = []
    try:
        for page in document:
            text = page.get_textpage()
            found = []
            for index in range(text.count_chars()):
                # pdfium reports a hyphen that ends a line as U+FFFE (a break marker).
                char = text.get_text_range(index, 1).replace("\ufffe", "-")
                left, bottom, right, top = text.get_charbox(index)
                if char.strip() and right > left and top > bottom:
                    found.append(Ink(char, index, Box(left, bottom, right, top)))
            pages.append(found)
    finally:
        document.close()
    return pages


def page_barcodes(data: bytes, dpi: int = 200) -> list[list[Box]]:
    """Where the decoder finds a barcode or QR code on each page, in points."""
    document = pypdfium2.PdfDocument(data)
    pages = []
    try:
        for page in document:
            height = page.get_height()
            image = page.render(scale=dpi / 72, grayscale=True).to_pil()
            boxes = []
            for result in zxingcpp.read_barcodes(image):
                corners = result.position
                points = (
                    corners.top_left,
                    corners.top_right,
                    corners.bottom_right,
                    corners.bottom_left,
                )
                xs = [p.x * 72 / dpi for p in points]
                ys = [height - p.y * 72 / dpi for p in points]
                boxes.append(Box(min(xs), min(ys), max(xs), max(ys)))
            pages.append(boxes)
    finally:
        document.close()
    return pages


def _shrunk(box: Box, by: float) -> Box:
    return Box(box.left + by, box.bottom + by, box.right - by, box.top - by)


def overlapping_ink(ink: list[Ink]) -> list[tuple[Ink, Ink]]:
    """Pairs of characters whose boxes share area (a hundredth of a point forgiven), but
    for neighbours in a line: some glyphs (``©©``) touch their neighbour by design."""
    ordered = sorted(ink, key=lambda i: i.box.left)
    pairs = []
    for index, first in enumerate(ordered):
        for second in ordered[index + 1 :]:
            if second.box.left >= first.box.right:
                break
            if abs(first.index - second.index) == 1:
                continue
            if _shrunk(first.box, 0.01).overlaps(_shrunk(second.box, 0.01)):
                pairs.append((first, second))
    return pairs


def problems_on_paper(data: bytes, margin: float) -> list[str]:
    """What a reader of the printed pages would see wrong: a character outside the
    margins, over another character, or over a barcode or QR code."""
    problems = []
    sizes = PdfReader(io.BytesIO(data)).pages
    for number, (ink, codes, page) in enumerate(
        zip(page_ink(data), page_barcodes(data), sizes, strict=True), start=1
    ):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        inside = Box(margin, margin, width - margin, height - margin)
        problems += [
            f"p{number}: {i.char!r} off the page at {i.box}"
            for i in ink
            if not i.box.within(inside)
        ]
        problems += [
            f"p{number}: {a.char!r} over {b.char!r} at {a.box}" for a, b in overlapping_ink(ink)
        ]
        problems += [
            f"p{number}: {i.char!r} over a barcode at {i.box}"
            for i in ink
            for code in codes
            if i.box.overlaps(code)
        ]
    return problems


def problems_with_layout(data: bytes, pages: tuple[Page, ...]) -> list[str]:
    """Where the layout or the drawn PDF breaks the layout's promises: two boxes overlap,
    a box leaves the margins, a character is drawn outside its line's box, or ink (bars,
    squares, rules) lies outside every box."""
    problems = []
    ink_pages = page_ink(data)
    if len(ink_pages) != len(pages):
        return [f"{len(ink_pages)} pages drawn, {len(pages)} laid out"]
    document = pypdfium2.PdfDocument(data)
    try:
        for number, (page, ink) in enumerate(zip(pages, ink_pages, strict=True), start=1):
            boxes = page.boxes()
            problems += [
                f"p{number}: {b} leaves the margins" for b in boxes if not b.within(page.inside)
            ]
            problems += [
                f"p{number}: {a} overlaps {b}"
                for index, a in enumerate(boxes)
                for b in boxes[index + 1 :]
                if a.overlaps(b)
            ]
            lines = [line.box for line in page.lines]
            problems += [
                f"p{number}: {i.char!r} at {i.box} is in no line's box"
                for i in ink
                if not any(_shrunk(i.box, 0.01).within(line) for line in lines)
            ]
            image = document[number - 1].render(scale=2, grayscale=True).to_pil()
            paint = ImageDraw.Draw(image)
            for box in boxes:
                paint.rectangle(
                    (
                        2 * box.left - 2,
                        2 * (page.height - box.top) - 2,
                        2 * box.right + 2,
                        2 * (page.height - box.bottom) + 2,
                    ),
                    fill=255,
                )
            darkest, _ = image.getextrema()
            if darkest < 128:
                problems.append(f"p{number}: ink outside every box (darkest {darkest})")
    finally:
        document.close()
    return problems


def all_text(data: bytes) -> str:
    """Every printed character of every page, in order, without any blank."""
    return "".join(i.char for page in page_ink(data) for i in page)


def without_blanks(text: str) -> str:
    return "".join(text.split())


def zpl_overlaps(label: ZplLabel) -> list[str]:
    """Fields and graphics of a ZPL label that leave its 20 dot margins or overlap."""
    inside = Box(20, 20, 792, 1198)
    boxes = [(f.text, Box(f.left, f.top, f.right, f.bottom)) for f in label.fields + label.graphics]
    problems = [f"{name!r} leaves the label" for name, box in boxes if not box.within(inside)]
    problems += [
        f"{a!r} overlaps {b!r}"
        for index, (a, first) in enumerate(boxes)
        for b, second in boxes[index + 1 :]
        if first.overlaps(second)
    ]
    return problems


def texts(*likely: str) -> st.SearchStrategy[str]:
    """Text of 1 to 100 characters a shopper could type (no controls, none of the
    direction controls the model refuses), with the ``likely`` characters (widest letters,
    combining accents ...) drawn often."""
    typed = st.characters(
        blacklist_categories=("Cc", "Cs", "Co", "Cn"), blacklist_characters=BIDI_CONTROLS
    )
    return st.text(
        st.one_of(typed, st.sampled_from(likely)),
        min_size=1,
        max_size=100,
    ).filter(str.strip)


def addresses(text: st.SearchStrategy[str]) -> st.SearchStrategy[Address]:
    """Addresses with every field drawn from ``text``, a second line or not, in the
    countries the labels format and two more."""
    short = text.map(lambda t: t[:64]).filter(str.strip)
    return st.builds(
        Address,
        name=text,
        line1=text,
        city=short,
        postal_code=st.text("0123456789 ABCW-", min_size=1, max_size=16).filter(str.strip),
        country=st.sampled_from(["US", "CA", "GB", "DE", "FI", "SE", "JP"]),
        line2=st.none() | text,
        region=st.none() | short,
    )
