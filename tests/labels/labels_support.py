"""Reading label files back: ZPL parsed, PDF text extracted, pages rendered and decoded."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import pypdfium2  # type: ignore[import-untyped]
import zxingcpp
from pypdf import PdfReader

from orderstatus_core.model import Address
from orderstatus_core.ports import ReturnLabelRequest

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


@dataclass
class ZplLabel:
    """One ZPL label as the printer would read it."""

    commands: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    code128: list[str] = field(default_factory=list)
    qr: list[str] = field(default_factory=list)


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
    for token in tokens:
        command, argument = token[:2], token[2:]
        if command == "FH":
            hex_next = True
        elif command in ("BC", "BQ"):
            barcode = command
        elif command == "FD":
            if barcode == "BC":
                label.code128.append(argument)
            elif barcode == "BQ":
                label.qr.append(argument)
            else:
                label.texts.append(_unhex(argument) if hex_next else argument)
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
