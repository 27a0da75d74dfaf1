"""ZPL II for a 4x6 inch label on a 203 dpi thermal printer (SECURITY H2).

Every text from the request goes through :func:`field`: characters outside a small safe
set, ``^``, ``~`` and ``_`` included, become ``^FH`` hex escapes of their UTF-8 bytes
(``^CI28``), so that no input ever reaches the printer as a command. Each field has a byte
budget, which keeps every label within 3072 bytes; a field longer than its budget is cut
(a 4 inch label has no room for it anyway).
"""

from __future__ import annotations

import re
import string

from orderstatus_core.errors import AdapterError
from orderstatus_core.model import Address
from orderstatus_core.ports import ReturnLabelRequest

__all__ = ["MAX_ZPL_BYTES", "field", "render_zpl"]

#: The most bytes one label may have (SECURITY H2).
MAX_ZPL_BYTES = 3072

_TRACKING = re.compile(r"[A-Z0-9]{1,40}")
_SAFE = frozenset(string.ascii_letters + string.digits + " .,:/-#&'()+@!?*=%")
# Per text field, in bytes after escaping: 15 fields x 96 leaves room for the commands.
_FIELD_BUDGET = 96


def field(text: str, budget: int = _FIELD_BUDGET) -> str:
    """``text`` as ``^FD`` data under ``^FH``: safe ASCII as it is, the rest as ``_XX`` hex.

    Stops before the character that would take the result past ``budget`` bytes.
    """
    out: list[str] = []
    used = 0
    for char in text:
        if char in _SAFE:
            piece = char
        else:
            piece = "".join(f"_{byte:02X}" for byte in char.encode("utf-8", "replace"))
        if used + len(piece) > budget:
            break
        out.append(piece)
        used += len(piece)
    return "".join(out)


def _text(x: int, y: int, size: int, text: str, budget: int = _FIELD_BUDGET) -> str:
    return f"^FO{x},{y}^A0N,{size},{size}^FH^FD{field(text, budget)}^FS"


def _address_lines(address: Address) -> list[str]:
    place = " ".join(p for p in (address.postal_code, address.city, address.region or "") if p)
    lines = [address.name, address.line1]
    if address.line2:
        lines.append(address.line2)
    lines += [place, address.country]
    return lines


def render_zpl(request: ReturnLabelRequest, tracking_number: str | None = None) -> bytes:
    """The return label for ``request`` as one ``^XA...^XZ`` ZPL label, UTF-8 bytes.

    The Code 128 barcode carries the tracking number if there is one, else the RMA number;
    the QR code carries both. Raises :class:`AdapterError` if the label would exceed
    :data:`MAX_ZPL_BYTES` (the budgets make that impossible; the check keeps it so).
    """
    if tracking_number is not None and not _TRACKING.fullmatch(tracking_number):
        raise AdapterError("a tracking number is 1 to 40 capital letters and digits")
    code = tracking_number or request.rma_number
    qr = f"RMA {request.rma_number}" + (f" TRK {tracking_number}" if tracking_number else "")
    parts = ["^XA^CI28^PW812^LL1218^LH0,0"]
    parts.append(_text(30, 30, 56, "RETURN"))
    parts.append(_text(300, 40, 32, f"{request.carrier} {request.service}", 72))
    parts.append(_text(30, 110, 24, "FROM"))
    y = 140
    for line in _address_lines(request.sender):
        parts.append(_text(30, y, 24, line))
        y += 28
    parts.append("^FO20,290^GB772,3,3^FS")
    parts.append(_text(30, 310, 28, "TO"))
    y = 350
    for line in _address_lines(request.destination):
        parts.append(_text(30, y, 40, line))
        y += 46
    parts.append("^FO20,600^GB772,3,3^FS")
    # ^BC: Code 128; the data is capitals, digits and dashes only (checked by the port).
    # Code set B: 11 modules a character, plus start, check and stop; fit 740 dots.
    module = max(1, min(3, 740 // (11 * (len(code) + 2) + 13)))
    parts.append(f"^FO40,640^BY{module}^BCN,200,Y,N,N^FD{code}^FS")
    parts.append(_text(40, 920, 48, f"RMA {request.rma_number}"))
    parts.append(_text(40, 990, 28, f"{request.weight_grams / 1000:.2f} kg"))
    # ^BQ: QR code, model 2, 6 dots a module; "MA," is error level M, automatic mode.
    parts.append(f"^FO560,900^BQN,2,6^FDMA,{qr}^FS")
    parts.append("^XZ")
    data = "\n".join(parts).encode("ascii")
    if len(data) > MAX_ZPL_BYTES:  # pragma: no cover - the field budgets prevent it
        raise AdapterError(f"ZPL label of {len(data)} bytes exceeds {MAX_ZPL_BYTES}")
    return data
