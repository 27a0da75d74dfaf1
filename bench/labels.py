"""Time and size per return label: ours (PDF, ZPL) against a plain reportlab label.

    python bench/labels.py [--labels 500]

The plain label is what the reportlab documentation leads to: a canvas, the text, a Code
128 ``Drawing`` from ``createBarcodeDrawing`` and a ``QrCodeWidget`` drawn with
``renderPDF``. Every label is made for a different RMA number (nothing cached by input), the
three makers interleaved label by label; the first tenth warms up and is left out.
"""

from __future__ import annotations

import argparse
import io
import platform
import statistics
import time
from collections.abc import Callable

import reportlab
from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import createBarcodeDrawing
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib.units import inch
from reportlab.pdfgen.canvas import Canvas

from orderstatus_core.labels import ReturnLabelRequest
from orderstatus_core.model import Address, Money
from orderstatus_labels import FileLabelMaker
from orderstatus_labels.zpl import render_zpl

SENDER = Address("Matti Meikäläinen", "Mannerheimintie 1", "Helsinki", "00100", "FI")
WAREHOUSE = Address(
    "Returns Dept", "100 Warehouse Rd", "Reno", "89501", "US", line2="Dock 4", region="NV"
)


def request(number: int) -> ReturnLabelRequest:
    return ReturnLabelRequest(
        rma_number=f"RMA-20261126-{number:06d}",
        sender=SENDER,
        destination=WAREHOUSE,
        carrier="UPS",
        service="Ground",
        weight_grams=1250,
    )


def plain_reportlab(req: ReturnLabelRequest) -> bytes:
    """A 4x6 label the straightforward way."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(4 * inch, 6 * inch))
    canvas.setFont("Helvetica-Bold", 22)
    canvas.drawString(14, 396, "RETURN")
    canvas.setFont("Helvetica", 10)
    canvas.drawRightString(274, 400, f"{req.carrier} {req.service}")
    y = 370.0
    for address in (req.sender, req.destination):
        for line in (address.name, address.line1, address.line2, address.city, address.country):
            if line:
                canvas.drawString(14, y, line)
                y -= 13
        y -= 10
    barcode = createBarcodeDrawing("Code128", value=req.rma_number, barHeight=70, barWidth=1.2)
    renderPDF.draw(barcode, canvas, 20, 110)
    qr = QrCodeWidget(f"RMA {req.rma_number}")
    x0, y0, x1, y1 = qr.getBounds()
    drawing = Drawing(92, 92, transform=[92 / (x1 - x0), 0, 0, 92 / (y1 - y0), 0, 0])
    drawing.add(qr)
    renderPDF.draw(drawing, canvas, 182, 14)
    canvas.drawString(14, 74, req.rma_number)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--labels", type=int, default=500)
    args = parser.parse_args()
    maker = FileLabelMaker(Money("7.50", "USD"))
    makers: dict[str, Callable[[ReturnLabelRequest], bytes]] = {
        "ours PDF": lambda r: maker.make_label(r).documents[0].content,
        "ours ZPL": lambda r: render_zpl(r),
        "plain reportlab PDF": plain_reportlab,
    }
    times: dict[str, list[float]] = {name: [] for name in makers}
    sizes: dict[str, list[int]] = {name: [] for name in makers}
    warm = args.labels // 10
    for number in range(args.labels + warm):
        req = request(number)
        for name, make in makers.items():
            start = time.perf_counter()
            data = make(req)
            elapsed = time.perf_counter() - start
            if number >= warm:
                times[name].append(elapsed * 1000)
                sizes[name].append(len(data))
    print(
        f"{platform.processor() or platform.machine()}, Python {platform.python_version()}, "
        f"reportlab {reportlab.Version}, {args.labels} labels"
    )
    print("| label | median ms | p95 ms | mean bytes | max bytes |")
    print("|---|---:|---:|---:|---:|")
    for name in makers:
        ms = sorted(times[name])
        p95 = ms[int(len(ms) * 0.95) - 1]
        print(
            f"| {name} | {statistics.median(ms):.2f} | {p95:.2f} | "
            f"{statistics.mean(sizes[name]):,.0f} | {max(sizes[name]):,} |"
        )


if __name__ == "__main__":
    main()
