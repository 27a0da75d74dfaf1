"""The PDF files, drawn with reportlab's canvas: the 4x6 inch label and the instructions.

Each page is laid out first with measured boxes (:mod:`orderstatus_labels.layout`) and
drawn after: nothing overlaps and nothing leaves the page. The label shrinks its type to
fit long addresses; instructions too long for one page go on to another that repeats the
RMA number.

Kept small and fast on purpose: the standard Helvetica fonts (nothing embedded),
compressed page streams, a Code 128 barcode from ``reportlab.graphics.barcode`` drawn
straight on the canvas, and the QR code as one filled path of row runs. The QR matrix is
built by reportlab's encoder with a fixed mask pattern: any of the eight masks makes a
valid code, and scoring all eight to pick the prettiest is what makes a plain reportlab
QR code slow.
"""

from __future__ import annotations

import io
import math

from reportlab.graphics.barcode import qrencoder
from reportlab.graphics.barcode.code128 import Code128
from reportlab.lib.pagesizes import A4, LETTER
from reportlab.pdfgen.canvas import Canvas

from orderstatus_core.errors import AdapterError
from orderstatus_core.i18n import Translator
from orderstatus_core.labels import ReturnLabelRequest
from orderstatus_labels.layout import (
    BOLD,
    REGULAR,
    Box,
    Column,
    Graphic,
    Page,
    line_height,
    shrink_to_fit,
    text_width,
)
from orderstatus_labels.postal import address_lines
from orderstatus_labels.words import LabelWords, translator_for

__all__ = [
    "instructions_layout",
    "instructions_pdf",
    "label_layout",
    "label_pdf",
    "qr_matrix",
]

INCH = 72.0
LABEL_SIZE = (4 * INCH, 6 * INCH)
LABEL_MARGIN = 14.0
INSTRUCTIONS_MARGIN = 0.75 * INCH
_QR_SIZE = 92.0
# Type sizes and barcode height shrink together, step by step, until the label fits; the
# last step fits the longest addresses a ReturnLabelRequest allows (a test proves it).
_SCALES = (1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.45)


def qr_matrix(text: str) -> list[list[bool]]:
    """The QR code of ``text`` (error level M, the smallest version), mask pattern 0."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(text)
    code.version = code.calculate_version()  # type: ignore[no-untyped-call]
    code.makeImpl(False, 0)
    modules: list[list[bool]] = code.modules
    return modules


def _draw_qr(canvas: Canvas, text: str, box: Box) -> None:
    matrix = qr_matrix(text)
    count = len(matrix)
    module = (box.right - box.left) / count
    path = canvas.beginPath()
    for row_index, row in enumerate(matrix):
        top = box.bottom + (count - 1 - row_index) * module
        col = 0
        while col < count:
            if row[col]:
                start = col
                while col < count and row[col]:
                    col += 1
                path.rect(box.left + start * module, top, (col - start) * module, module)
            else:
                col += 1
    canvas.drawPath(path, stroke=0, fill=1)


def _code128(value: str, width: float, height: float) -> Code128:
    """The widest Code 128 of ``value`` (bars at most 1.5 points) within ``width``."""
    probe = Code128(value, barWidth=1.0, barHeight=height, humanReadable=False)
    # The quiet zones on either side are a fixed quarter inch up to 1.8 point bars.
    quiet = probe.lquiet + probe.rquiet
    # Rounded down to a thousandth of a point, so the barcode never ends past ``width``.
    bar = min(1.5, math.floor(1000 * (width - quiet) / (probe.width - quiet)) / 1000)
    return Code128(value, barWidth=bar, barHeight=height, humanReadable=False)


def _draw(canvas: Canvas, page: Page) -> None:
    """Draw ``page`` exactly as laid out, and end it."""
    for line in page.lines:
        canvas.setFont(line.font, line.size)
        canvas.drawString(line.x, line.baseline, line.text)
    for graphic in page.graphics:
        box = graphic.box
        if graphic.kind == "code128":
            barcode = Code128(
                graphic.value,
                barWidth=graphic.module,
                barHeight=box.top - box.bottom,
                humanReadable=False,
            )
            barcode.drawOn(canvas, box.left, box.bottom)
        elif graphic.kind == "qr":
            _draw_qr(canvas, graphic.value, box)
        else:
            canvas.setLineWidth(graphic.module)
            middle = (box.top + box.bottom) / 2
            canvas.line(box.left, middle, box.right, middle)
    canvas.showPage()


def _pdf(pages: tuple[Page, ...], title: str) -> bytes:
    buffer = io.BytesIO()
    first = pages[0]
    canvas = Canvas(buffer, pagesize=(first.width, first.height), pageCompression=1, invariant=1)
    canvas.setTitle(title)
    canvas.setCreator("orderstatus-core labels")
    for page in pages:
        _draw(canvas, page)
    canvas.save()
    return buffer.getvalue()


def _label_at(
    request: ReturnLabelRequest,
    tracking_number: str | None,
    words_of: LabelWords,
    scale: float,
    barcode_width: float,
) -> Page | None:
    """The label with type and barcode at ``scale``, or ``None`` if it does not fit."""
    width, height = LABEL_SIZE
    margin = LABEL_MARGIN
    code = tracking_number or request.rma_number
    top = height - margin
    column = Column(margin, width - margin, top, margin + _QR_SIZE + 6)

    # The header: RETURN, and the carrier beside it.
    heading = words_of.heading
    carrier = Column(margin + text_width(heading, BOLD, 22) + 8, width - margin, top, margin)
    service = f"{request.carrier} {request.service}"
    size = shrink_to_fit(service, REGULAR, 10, 6, carrier.right - carrier.left)
    carrier.text(service, REGULAR, size, align="right")
    column.text(heading, BOLD, 22)
    column.y = min(column.y, carrier.y)
    column.rule(1.5, 3)

    sender, destination = request.sender, request.destination
    column.text(words_of.sender, BOLD, 7)
    for line in address_lines(sender, sent_from=destination.country):
        column.text(line, REGULAR, max(5.0, 9 * scale))
    column.rule(1, 3)
    column.text(words_of.recipient, BOLD, 8)
    for index, line in enumerate(address_lines(destination, sent_from=sender.country)):
        column.text(line, BOLD if index == 0 else REGULAR, max(6.0, 13 * scale), indent=10)
    column.rule(1, 3)
    column.gap(4)
    barcode_height = max(32.0, 70 * scale)
    barcode = _code128(code, barcode_width, barcode_height)
    column.graphic("code128", code, barcode.width, barcode_height, barcode.barWidth)
    column.gap(2)
    inner = column.right - column.left
    column.text(code, REGULAR, shrink_to_fit(code, REGULAR, 10, 5, inner), align="centre")
    if column.overflows:
        return None

    # The bottom row: the RMA number in words and the weight, and the QR code beside them.
    words = Column(margin, width - margin - _QR_SIZE - 8, margin + _QR_SIZE, margin)
    words.text(words_of.rma, REGULAR, 8)
    rma = request.rma_number
    words.text(rma, BOLD, shrink_to_fit(rma, BOLD, 15, 8, words.right - words.left))
    words.text(words_of.weight, REGULAR, 10)
    qr_text = f"RMA {rma}" + (f" TRK {tracking_number}" if tracking_number else "")
    qr_left = width - margin - _QR_SIZE
    qr = Graphic("qr", qr_text, Box(qr_left, margin, width - margin, margin + _QR_SIZE), 0.0)
    lines = (*column.lines, *carrier.lines, *words.lines)
    return Page(width, height, margin, lines, (*column.graphics, qr))


def label_layout(
    request: ReturnLabelRequest, tracking_number: str | None, translator: Translator | None = None
) -> Page:
    """Where everything on the 4x6 inch label goes: the largest type that fits, its words
    in ``translator``'s language (by default the core's catalog of ``request.language``).

    Raises :class:`AdapterError` if even the smallest does not (no valid request does).
    """
    words_of = LabelWords.of(request, translator or translator_for(request))
    barcode_width = LABEL_SIZE[0] - 2 * LABEL_MARGIN
    for scale in _SCALES:
        page = _label_at(request, tracking_number, words_of, scale, barcode_width)
        if page is not None:
            return page
    raise AdapterError("the addresses do not fit on a 4x6 inch label")  # pragma: no cover


def label_pdf(
    request: ReturnLabelRequest, tracking_number: str | None, translator: Translator | None = None
) -> bytes:
    """The 4x6 inch return label as PDF bytes.

    The Code 128 barcode carries the tracking number if there is one, else the RMA number;
    the QR code carries both (``RMA <rma> TRK <tracking>``). The RMA number is printed
    under the words "Return authorization (RMA)", the addresses in their countries'
    formats, the weight in pounds and ounces from the US and in kilograms elsewhere. The
    words and the weight's numbers are in ``translator``'s language (by default the core's
    catalog of ``request.language``); the addresses and the carrier's name are printed as
    they are.
    """
    translator = translator or translator_for(request)
    page = label_layout(request, tracking_number, translator)
    return _pdf((page,), LabelWords.of(request, translator).title)


def _how_to_pack(translator: Translator) -> tuple[str, ...]:
    _ = translator.gettext
    return (
        _("Put this sheet in the box, on top of the parts."),
        _(
            "Pack each part in its original packaging if you still have it, with its "
            "accessories and manuals."
        ),
        _("Cushion heavy or fragile parts and tape every seam of the box."),
        _("Stick the return label on the outside of the box; cover or remove old labels."),
        _("For a core return, put the old part in the new part's box, drained of oil and fluids."),
    )


def _what_voids(translator: Translator) -> tuple[str, ...]:
    _ = translator.gettext
    return (
        _("Parts that are installed, used, damaged or modified, unless the reason is a defect."),
        _("Missing parts, accessories or packaging."),
        _("A package sent after the return window, or without this RMA number."),
        _("Parts other than those listed above."),
    )


def instructions_layout(
    request: ReturnLabelRequest,
    tracking_number: str | None,
    *,
    translator: Translator,
    page: str,
    store: str | None,
) -> tuple[Page, ...]:
    """Where everything in the instructions goes, page by page, in ``translator``'s
    language.

    Whatever does not fit on a page goes on to the next, which starts with the title,
    "continued" and the RMA number; a heading never ends a page.
    """
    _ = translator.gettext
    words_of = LabelWords.of(request, translator)
    width, height = LETTER if page == "letter" else A4
    margin = INSTRUCTIONS_MARGIN
    rma = request.rma_number
    rma_words = words_of.rma
    pages: list[Page] = []
    column = Column(margin, width - margin, height - margin, margin)

    def next_page() -> None:
        pages.append(Page(width, height, margin, tuple(column.lines), tuple(column.graphics)))
        column.lines, column.graphics = [], []
        column.y = height - margin
        column.text(_("Return instructions, continued"), BOLD, 13)
        column.text(f"{rma_words} {rma}", REGULAR, 10)
        column.gap(10)

    column.new_page = next_page
    if store:
        column.text(store, REGULAR, 11)
        column.gap(8)
    column.text(_("Return instructions"), BOLD, 22)
    column.gap(6)
    # The RMA number beside its barcode.
    words = Column(margin, margin + 210, column.y, margin)
    words.text(rma_words, REGULAR, 10)
    words.text(rma, BOLD, shrink_to_fit(rma, BOLD, 16, 9, 210))
    bars = Column(margin + 220, width - margin, column.y, margin)
    barcode = _code128(rma, bars.right - bars.left, 50)
    bars.graphic("code128", rma, barcode.width, 50, barcode.barWidth)
    column.lines += words.lines
    column.graphics += bars.graphics
    column.y = min(words.y, bars.y)
    if tracking_number:
        column.gap(6)
        column.text(_("Tracking number: %(number)s") % {"number": tracking_number}, REGULAR, 10)

    def section(heading: str, items: tuple[str, ...] | list[str], bullet: str = "") -> None:
        column.gap(14)
        column.room(line_height(13) + 4 + line_height(11))
        column.text(heading, BOLD, 13)
        column.gap(4)
        for item in items:
            column.text(item, REGULAR, 11, indent=14 if bullet else 0, bullet=bullet)

    destination = address_lines(request.destination, sent_from=request.sender.country)
    section(_("Send the package to"), destination)
    pack = request.pack_lines or (_("The parts listed in your return request."),)
    section(_("What to pack"), pack, "\u2022")
    section(_("How to pack"), _how_to_pack(translator), "\u2022")
    section(_("What voids the return"), _what_voids(translator), "\u2022")

    ship = _("Ship with %(carrier)s (%(service)s), %(weight)s.") % {
        "carrier": request.carrier,
        "service": request.service,
        "weight": words_of.weight,
    }
    column.gap(14)
    column.text(ship, REGULAR, 11)
    pages.append(Page(width, height, margin, tuple(column.lines), tuple(column.graphics)))
    return tuple(pages)


def instructions_pdf(
    request: ReturnLabelRequest,
    tracking_number: str | None,
    *,
    translator: Translator,
    page: str,
    store: str | None,
) -> bytes:
    """The return instructions as PDF in ``translator``'s language on ``page`` (letter,
    a4): one page, or more when the packing list is long (see
    :func:`instructions_layout`)."""
    pages = instructions_layout(
        request, tracking_number, translator=translator, page=page, store=store
    )
    title = translator.gettext("Return instructions")
    return _pdf(pages, f"{title} {request.rma_number}")
