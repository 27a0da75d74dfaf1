"""The PDF files, drawn with reportlab's canvas: the 4x6 inch label and the instructions.

Kept small and fast on purpose: the standard Helvetica fonts (nothing embedded),
compressed page streams, a Code 128 barcode from ``reportlab.graphics.barcode`` drawn
straight on the canvas, and the QR code as one filled path of row runs. The QR matrix is
built by reportlab's encoder with a fixed mask pattern: any of the eight masks makes a
valid code, and scoring all eight to pick the prettiest is what makes a plain reportlab
QR code slow.
"""

from __future__ import annotations

import io
import unicodedata

from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from orderstatus_core.model import Address
from orderstatus_core.ports import ReturnLabelRequest

__all__ = ["LANGUAGES", "instructions_pdf", "label_pdf", "qr_matrix"]

INCH = 72.0
LABEL_SIZE = (4 * INCH, 6 * INCH)
_REGULAR = "Helvetica"
_BOLD = "Helvetica-Bold"

_TEXTS: dict[str, dict[str, str | tuple[str, ...]]] = {
    "en": {
        "title": "Return instructions",
        "rma": "Return number (RMA)",
        "tracking": "Tracking number",
        "send_to": "Send the package to",
        "pack": "What to pack",
        "pack_none": "The parts listed in your return request.",
        "how": "How to pack",
        "how_lines": (
            "Put this sheet in the box, on top of the parts.",
            "Pack each part in its original packaging if you still have it, with its "
            "accessories and manuals.",
            "Cushion heavy or fragile parts and tape every seam of the box.",
            "Stick the return label on the outside of the box; cover or remove old labels.",
            "For a core return, put the old part in the new part's box, drained of oil and fluids.",
        ),
        "void": "What voids the return",
        "void_lines": (
            "Parts that are installed, used, damaged or modified, unless the reason is a defect.",
            "Missing parts, accessories or packaging.",
            "A package sent after the return window, or without this RMA number.",
            "Parts other than those listed above.",
        ),
        "ship": "Ship with {carrier} ({service}), {weight} kg.",
    },
    "fi": {
        "title": "Palautusohjeet",
        "rma": "Palautusnumero (RMA)",
        "tracking": "Seurantanumero",
        "send_to": "Lähetä paketti osoitteeseen",
        "pack": "Pakkaa mukaan",
        "pack_none": "Palautuspyynnössäsi luetellut osat.",
        "how": "Näin pakkaat",
        "how_lines": (
            "Laita tämä ohje laatikkoon osien päälle.",
            "Pakkaa jokainen osa alkuperäiseen pakkaukseensa, jos se on tallella, "
            "tarvikkeineen ja ohjeineen.",
            "Suojaa painavat ja särkyvät osat ja teippaa laatikon jokainen sauma.",
            "Kiinnitä palautustarra laatikon ulkopuolelle; peitä tai poista vanhat tarrat.",
            "Palauta vanha osa (core) uuden osan laatikossa, öljystä ja nesteistä tyhjennettynä.",
        ),
        "void": "Nämä mitätöivät palautuksen",
        "void_lines": (
            "Asennetut, käytetyt, vahingoittuneet tai muutetut osat, ellei syy ole vika.",
            "Puuttuvat osat, tarvikkeet tai pakkaukset.",
            "Paketti, joka lähetetään palautusajan jälkeen tai ilman tätä RMA-numeroa.",
            "Muut kuin yllä luetellut osat.",
        ),
        "ship": "Lähetä: {carrier} ({service}), {weight} kg.",
    },
}

#: The languages of the instructions.
LANGUAGES = frozenset(_TEXTS)


def _helvetica(text: str) -> str:
    """``text`` in the characters Helvetica has (WinAnsi): the rest unaccented, or ``?``."""
    try:
        text.encode("cp1252")
    except UnicodeEncodeError:
        pass
    else:
        return text
    out: list[str] = []
    for char in text:
        try:
            char.encode("cp1252")
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        base = "".join(
            c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c)
        )
        try:
            base.encode("cp1252")
        except UnicodeEncodeError:
            base = ""
        out.append(base or "?")
    return "".join(out)


def _fit(text: str, font: str, size: float, width: float) -> str:
    """``text`` made printable and cut to ``width`` points."""
    text = _helvetica(text)
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "...", font, size) > width:
        text = text[:-1]
    return text + "..."


def _address_lines(address: Address) -> list[str]:
    place = " ".join(p for p in (address.postal_code, address.city, address.region or "") if p)
    lines = [address.name, address.line1]
    if address.line2:
        lines.append(address.line2)
    lines += [place, address.country]
    return lines


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR code of ``text`` (error level M, the smallest version), mask pattern 0."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(text)
    code.version = code.calculate_version()  # type: ignore[no-untyped-call]
    code.makeImpl(False, 0)
    modules: list[list[bool]] = code.modules
    return modules


def _draw_qr(canvas: Canvas, text: str, x: float, y: float, size: float) -> None:
    matrix = qr_matrix(text)
    count = len(matrix)
    module = size / count
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        top = y + (count - 1 - row_index) * module
        col = 0
        while col < count:
            if row[col]:
                start = col
                while col < count and row[col]:
                    col += 1
                path.rect(x + start * module, top, (col - start) * module, module)
            else:
                col += 1
    canvas.drawPath(path, stroke=0, fill=1)


def _draw_code128(
    canvas: Canvas, value: str, x: float, y: float, width: float, height: float
) -> float:
    """Draw ``value`` centred in ``width``; return the bar width used."""
    probe = Code128(value, barWidth=1.0, barHeight=height, humanReadable=False)
    bar = min(1.5, width / probe.width)
    barcode = Code128(value, barWidth=bar, barHeight=height, humanReadable=False)
    barcode.drawOn(canvas, x + (width - barcode.width) / 2, y)
    return float(bar)


def _new_canvas(buffer: io.BytesIO, size: tuple[float, float], title: str) -> Canvas:
    canvas = Canvas(buffer, pagesize=size, pageCompression=1, invariant=1)
    canvas.setTitle(title)
    canvas.setCreator("orderstatus-core labels")
    return canvas


def label_pdf(request: ReturnLabelRequest, tracking_number: str | None) -> bytes:
    """The 4x6 inch return label as PDF bytes.

    The Code 128 barcode carries the tracking number if there is one, else the RMA number;
    the QR code carries both (``RMA <rma> TRK <tracking>``).
    """
    width, height = LABEL_SIZE
    margin = 14.0
    inner = width - 2 * margin
    buffer = io.BytesIO()
    canvas = _new_canvas(buffer, LABEL_SIZE, f"Return label {request.rma_number}")

    canvas.setFont(_BOLD, 22)
    canvas.drawString(margin, height - 36, "RETURN")
    canvas.setFont(_REGULAR, 10)
    carrier = _fit(f"{request.carrier} {request.service}", _REGULAR, 10, inner - 100)
    canvas.drawRightString(width - margin, height - 32, carrier)
    canvas.setLineWidth(1.5)
    canvas.line(margin, height - 46, width - margin, height - 46)

    y = height - 60
    canvas.setFont(_BOLD, 7)
    canvas.drawString(margin, y, "FROM")
    canvas.setFont(_REGULAR, 9)
    for line in _address_lines(request.sender):
        y -= 11
        canvas.drawString(margin, y, _fit(line, _REGULAR, 9, inner))
    y -= 10
    canvas.line(margin, y, width - margin, y)

    y -= 14
    canvas.setFont(_BOLD, 8)
    canvas.drawString(margin, y, "TO")
    for index, line in enumerate(_address_lines(request.destination)):
        font = _BOLD if index == 0 else _REGULAR
        y -= 16
        canvas.setFont(font, 13)
        canvas.drawString(margin + 10, y, _fit(line, font, 13, inner - 10))
    y -= 12
    canvas.line(margin, y, width - margin, y)

    code = tracking_number or request.rma_number
    _draw_code128(canvas, code, margin, y - 84, inner, 70)
    canvas.setFont(_REGULAR, 10)
    canvas.drawCentredString(width / 2, y - 98, code)

    qr_text = f"RMA {request.rma_number}" + (f" TRK {tracking_number}" if tracking_number else "")
    qr_size = 92.0
    _draw_qr(canvas, qr_text, width - margin - qr_size, margin, qr_size)
    canvas.setFont(_BOLD, 15)
    canvas.drawString(margin, margin + 60, _fit(request.rma_number, _BOLD, 15, inner - 100))
    canvas.setFont(_REGULAR, 10)
    canvas.drawString(margin, margin + 44, f"{request.weight_grams / 1000:.2f} kg")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def instructions_pdf(
    request: ReturnLabelRequest,
    tracking_number: str | None,
    *,
    language: str,
    page: str,
    store: str | None,
) -> bytes:
    """The return instructions as a one-page PDF in ``language`` on ``page`` (letter, a4)."""
    texts = _TEXTS[language]
    size = LETTER if page == "letter" else A4
    width, height = size
    margin = 0.75 * INCH
    inner = width - 2 * margin
    buffer = io.BytesIO()
    canvas = _new_canvas(buffer, size, f"{texts['title']} {request.rma_number}")

    y = height - margin
    if store:
        canvas.setFont(_REGULAR, 11)
        canvas.drawString(margin, y, _fit(store, _REGULAR, 11, inner))
        y -= 24
    canvas.setFont(_BOLD, 22)
    canvas.drawString(margin, y, str(texts["title"]))

    y -= 30
    canvas.setFont(_REGULAR, 10)
    canvas.drawString(margin, y, str(texts["rma"]))
    canvas.setFont(_BOLD, 16)
    canvas.drawString(margin, y - 20, request.rma_number)
    _draw_code128(canvas, request.rma_number, margin + 220, y - 30, inner - 220, 50)
    y -= 44
    if tracking_number:
        canvas.setFont(_REGULAR, 10)
        canvas.drawString(margin, y, f"{texts['tracking']}: {tracking_number}")
        y -= 14

    def heading(text: str) -> None:
        nonlocal y
        y -= 26
        canvas.setFont(_BOLD, 13)
        canvas.drawString(margin, y, text)
        y -= 4

    def lines(items: tuple[str, ...] | list[str], bullet: str = "") -> None:
        nonlocal y
        canvas.setFont(_REGULAR, 11)
        indent = 14 if bullet else 0
        for item in items:
            wrapped = simpleSplit(_helvetica(item), _REGULAR, 11, inner - indent)
            for number, part in enumerate(wrapped):
                y -= 14
                if bullet and number == 0:
                    canvas.drawString(margin, y, bullet)
                canvas.drawString(margin + indent, y, part)

    heading(str(texts["send_to"]))
    lines(_address_lines(request.destination))
    heading(str(texts["pack"]))
    lines(request.pack_lines or (str(texts["pack_none"]),), bullet="\u2022")
    heading(str(texts["how"]))
    how = texts["how_lines"]
    assert isinstance(how, tuple)
    lines(how, bullet="\u2022")
    heading(str(texts["void"]))
    void = texts["void_lines"]
    assert isinstance(void, tuple)
    lines(void, bullet="\u2022")

    weight = f"{request.weight_grams / 1000:.2f}"
    if language == "fi":
        weight = weight.replace(".", ",")
    y -= 24
    ship = str(texts["ship"]).format(
        carrier=request.carrier, service=request.service, weight=weight
    )
    lines([ship])
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
