"""ZPL II for a 4x6 inch label on a 203 dpi thermal printer (SECURITY H2).

Every text from the request goes through :func:`field`: characters outside a small safe
set, ``^``, ``~`` and ``_`` included, become ``^FH`` hex escapes of their UTF-8 bytes
(``^CI28``), so that no input ever reaches the printer as a command. Text is put in NFC
first, so a letter typed as base + combining accent prints as one letter.

Each field must fit both its byte budget, which keeps every label within 3072 bytes, and
its printed width. Font 0 is scalable (``^A0N,h,w``: a cell ``h`` dots high and ``w``
wide); its letters are condensed, and even the widest (``W``, ``M``) take less than the
cell, so every letter is counted as a full cell, ``w`` dots. A field that would not fit
at its size gets narrower cells, down to :data:`NARROWEST_CELL` dots, and past that is
cut, between letters, never between a letter and its accents (a 4 inch label has no
room for more anyway).
"""

from __future__ import annotations

import re
import string

from orderstatus_core.errors import AdapterError
from orderstatus_core.i18n import Translator
from orderstatus_core.labels import ReturnLabelRequest
from orderstatus_labels.postal import address_lines, graphemes
from orderstatus_labels.words import LabelWords, translator_for

__all__ = ["MAX_ZPL_BYTES", "NARROWEST_CELL", "QR_BOX", "RIGHT_EDGE", "field", "render_zpl"]

#: The most bytes one label may have (SECURITY H2).
MAX_ZPL_BYTES = 3072
#: The narrowest letter cell, in dots, that a field is squeezed to before it is cut.
NARROWEST_CELL = 12
#: Nothing is printed right of this dot (812 wide, less a 20 dot margin).
RIGHT_EDGE = 792
#: Where the QR code goes (left, top, right, bottom in dots): at 6 dots a module, the
#: largest code the label makes (version 6, 41 modules) fits.
QR_BOX = (542, 948, 792, 1198)

_TRACKING = re.compile(r"[A-Z0-9]{1,40}")
_SAFE = frozenset(string.ascii_letters + string.digits + " .,:/-#&'()+@!?*=%")
# Per text field, in bytes after escaping: 15 fields x 96 leaves room for the commands.
_FIELD_BUDGET = 96


def field(text: str, budget: int = _FIELD_BUDGET, letters: int | None = None) -> str:
    """``text`` in NFC as ``^FD`` data under ``^FH``: safe ASCII as it is, the rest as
    ``_XX`` hex.

    Stops before the letter (with its accents) that would take the result past ``budget``
    bytes or past ``letters`` letters.
    """
    out: list[str] = []
    used = 0
    for count, letter in enumerate(graphemes(text)):
        if letters is not None and count >= letters:
            break
        if letter in _SAFE:  # one safe character: most of every label
            piece = letter
        else:
            piece = "".join(
                char if char in _SAFE else "".join(f"_{b:02X}" for b in char.encode("utf-8"))
                for char in letter
            )
        if used + len(piece) > budget:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out)


def _text(
    x: int, y: int, height: int, text: str, right: int = RIGHT_EDGE, budget: int = _FIELD_BUDGET
) -> str:
    """A field at ``x, y`` in cells ``height`` dots high, squeezed and cut to end by
    ``right``."""
    room = right - x
    cell = max(NARROWEST_CELL, min(height, room // max(1, len(graphemes(text)))))
    data = field(text, budget, letters=room // cell)
    return f"^FO{x},{y}^A0N,{height},{cell}^FH^FD{data}^FS"


def render_zpl(
    request: ReturnLabelRequest,
    tracking_number: str | None = None,
    translator: Translator | None = None,
) -> bytes:
    """The return label for ``request`` as one ``^XA...^XZ`` ZPL label, UTF-8 bytes.

    The Code 128 barcode carries the tracking number if there is one, else the RMA number;
    the QR code carries both. The RMA number is printed under "Return authorization
    (RMA)", the addresses in their countries' formats, the weight in pounds and ounces from
    the US and kilograms elsewhere. The words and the weight's numbers are in
    ``translator``'s language (by default the core's catalog of ``request.language``); like
    every other text they go through :func:`field`, so ``ä`` reaches the printer as its
    UTF-8 bytes (``_C3_A4``) under ``^CI28``, which font 0 prints. Raises
    :class:`AdapterError` if the label would exceed :data:`MAX_ZPL_BYTES` (the budgets make
    that impossible; the check keeps it so).
    """
    if tracking_number is not None and not _TRACKING.fullmatch(tracking_number):
        raise AdapterError("a tracking number is 1 to 40 capital letters and digits")
    words = LabelWords.of(request, translator or translator_for(request))
    sender, destination = request.sender, request.destination
    code = tracking_number or request.rma_number
    qr = f"RMA {request.rma_number}" + (f" TRK {tracking_number}" if tracking_number else "")
    parts = ["^XA^CI28^PW812^LL1218^LH0,0"]
    parts.append(_text(30, 30, 56, words.heading, right=290))
    parts.append(_text(300, 40, 32, f"{request.carrier} {request.service}", budget=72))
    y = 100
    parts.append(_text(30, y, 24, words.sender))
    for line in address_lines(sender, sent_from=destination.country):
        y += 28
        parts.append(_text(30, y, 24, line))
    y += 36
    parts.append(f"^FO20,{y}^GB772,3,3^FS")
    y += 16
    parts.append(_text(30, y, 28, words.recipient))
    y += 36
    for line in address_lines(destination, sent_from=sender.country):
        parts.append(_text(30, y, 40, line))
        y += 46
    y += 4
    parts.append(f"^FO20,{y}^GB772,3,3^FS")
    y += 20
    # ^BC: Code 128; the data is capitals, digits and dashes only (checked by the port).
    # Code set B: 11 modules a character, plus start, check and stop; fit 740 dots. The
    # printed line under the bars takes about 40 dots; the bottom row starts at the QR code.
    module = max(1, min(3, 740 // (11 * (len(code) + 2) + 13)))
    bars = min(200, QR_BOX[1] - 20 - 40 - y)
    parts.append(f"^FO40,{y}^BY{module}^BCN,{bars},Y,N,N^FD{code}^FS")
    beside_qr = QR_BOX[0] - 20
    parts.append(_text(30, QR_BOX[1], 24, words.rma, right=beside_qr))
    parts.append(_text(30, QR_BOX[1] + 32, 48, request.rma_number, right=beside_qr))
    parts.append(_text(30, QR_BOX[1] + 92, 28, words.weight, right=beside_qr))
    # ^BQ: QR code, model 2, 6 dots a module; "MA," is error level M, automatic mode.
    parts.append(f"^FO{QR_BOX[0]},{QR_BOX[1]}^BQN,2,6^FDMA,{qr}^FS")
    parts.append("^XZ")
    data = "\n".join(parts).encode("ascii")
    if len(data) > MAX_ZPL_BYTES:  # pragma: no cover - the field budgets prevent it
        raise AdapterError(f"ZPL label of {len(data)} bytes exceeds {MAX_ZPL_BYTES}")
    return data
