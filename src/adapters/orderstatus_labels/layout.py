"""Measured boxes for the PDF pages: where every line of text and every graphic goes.

A page is laid out first, as values, and drawn after: so a test can check the layout
(no two boxes overlap, every box inside the margins) and check that the drawn PDF puts
each character inside the box its line was given. Units are PDF points, the origin is the
bottom left corner of the page. Text is measured with reportlab's ``stringWidth`` (a few
glyphs at the width some viewers give them, see :func:`text_width`); a line's box runs
from its start to its measured end, with a little room for glyphs that reach past it,
and vertically over the standard Helvetica fonts' bounding boxes (accented capitals and
descenders included).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import attrs
from reportlab.pdfbase.pdfmetrics import stringWidth

from orderstatus_labels.postal import graphemes, printable

__all__ = [
    "Box",
    "Column",
    "Graphic",
    "Page",
    "TextLine",
    "helvetica",
    "line_height",
    "shrink_to_fit",
    "text_width",
    "wrap",
]

REGULAR = "Helvetica"
BOLD = "Helvetica-Bold"
# The FontBBox of Helvetica and Helvetica-Bold (AFM: -228 and 962 at the extremes), in
# ems, rounded outwards: no glyph of these fonts reaches above or below it.
_INK_BELOW = 0.23
_INK_ABOVE = 0.97
# A few glyphs reach a little past their advance on either side (``®``, ``j``; the most in
# Helvetica-Bold: ``Í`` by 0.051 em, as pdfium boxes it): lines keep this much room, in
# ems, at both ends.
_INK_SIDE = 0.06
_ROUNDING = 1e-9
# Lines are stacked this many ems apart: the ink box and a little air.
LEADING = 1.25


# The standard fonts are not embedded, so a viewer may draw them with its own substitute;
# pdfium's (Chrome's viewer) draws these few glyphs wider than Adobe's metrics say, in ems
# (measured over every WinAnsi character). Measuring them at the wider width keeps every
# box true in either kind of viewer.
_WIDER = {
    REGULAR: {"\u20ac": 0.667, "\u00ab": 0.612, "\u00bb": 0.612, "\u203a": 0.366},
    BOLD: {"@": 1.072, "\u20ac": 0.722},
}


def text_width(text: str, font: str, size: float) -> float:
    """How wide ``text`` prints in ``font`` at ``size``, in the widest common viewer."""
    width = stringWidth(text, font, size)
    wider = _WIDER.get(font, {})
    for char in set(text) & wider.keys():
        width += text.count(char) * (wider[char] * size - stringWidth(char, font, size))
    return width


def line_height(size: float) -> float:
    """How far apart lines of ``size`` points are stacked."""
    return LEADING * size


@attrs.frozen
class Box:
    """A rectangle on the page: ``left <= right``, ``bottom <= top``."""

    left: float
    bottom: float
    right: float
    top: float

    def overlaps(self, other: Box) -> bool:
        """Whether the two share any area (touching edges do not count)."""
        return (
            self.left < other.right
            and other.left < self.right
            and self.bottom < other.top
            and other.bottom < self.top
        )

    def within(self, other: Box) -> bool:
        """Whether this box lies wholly inside ``other`` (a billionth of a point forgiven:
        a barcode's width is a sum of bar widths, rounded on the way)."""
        return (
            other.left - _ROUNDING <= self.left
            and self.right <= other.right + _ROUNDING
            and other.bottom - _ROUNDING <= self.bottom
            and self.top <= other.top + _ROUNDING
        )


@attrs.frozen
class TextLine:
    """One line of text: drawn with ``drawString(x, baseline, text)``."""

    text: str
    font: str
    size: float
    x: float
    baseline: float

    @property
    def box(self) -> Box:
        """Where the line's ink can be."""
        width = text_width(self.text, self.font, self.size)
        side = _INK_SIDE * self.size
        return Box(
            self.x - side,
            self.baseline - _INK_BELOW * self.size,
            self.x + width + side,
            self.baseline + _INK_ABOVE * self.size,
        )


@attrs.frozen
class Graphic:
    """A barcode, QR code or rule, drawn filling ``box``.

    ``module`` is the width of one bar of a Code 128 (its box includes the quiet zones) or
    the thickness of a rule; a QR code's squares fill its box, and its ``module`` is 0.
    """

    kind: str  # "code128", "qr" or "rule"
    value: str
    box: Box
    module: float


@attrs.frozen
class Page:
    """Everything on one page, and the margins it all stays inside."""

    width: float
    height: float
    margin: float
    lines: tuple[TextLine, ...]
    graphics: tuple[Graphic, ...]

    @property
    def inside(self) -> Box:
        """The page less its margins."""
        return Box(self.margin, self.margin, self.width - self.margin, self.height - self.margin)

    def boxes(self) -> list[Box]:
        """The box of every line and graphic, lines first."""
        return [line.box for line in self.lines] + [graphic.box for graphic in self.graphics]


def _in_helvetica(letter: str) -> bool:
    try:
        letter.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def helvetica(text: str) -> str:
    """``text`` in the characters the standard Helvetica fonts have (WinAnsi), letter by
    letter after NFC: ``a`` + U+0308 is ``ä``; a letter they lack is printed unaccented
    (``ǖ`` as ``u``), or as ``?`` when even that is missing (``中``). Format characters
    (soft hyphens, zero-width spaces, direction marks) are invisible, so not printed."""
    text = printable(text)
    if text.isascii():
        return text
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    if _in_helvetica(text):
        return text
    out: list[str] = []
    for letter in graphemes(text):
        if not _in_helvetica(letter):
            decomposed = unicodedata.normalize("NFKD", letter)
            letter = "".join(c for c in decomposed if not unicodedata.combining(c))
            if not letter or not _in_helvetica(letter):
                letter = "?"
        out.append(letter)
    return "".join(out)


def shrink_to_fit(text: str, font: str, size: float, smallest: float, width: float) -> float:
    """The largest size from ``size`` down to ``smallest`` at which ``text`` fits ``width``
    on one line of a :class:`Column` ``width`` wide (``smallest`` if none does:
    :meth:`Column.text` then wraps it)."""
    per_point = text_width(helvetica(text), font, 1.0) + 2 * _INK_SIDE
    # A thousandth less, so that rounding never tips the line into a second one.
    return max(smallest, min(size, 0.999 * width / per_point))


def wrap(text: str, font: str, size: float, width: float) -> list[str]:
    """``text`` broken into lines of at most ``width`` points, between words where it can
    and between letters where a word alone is too wide: nothing is left out."""

    def fits(candidate: str) -> bool:
        return text_width(candidate, font, size) <= width

    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if fits(candidate):
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        for letter in graphemes(word):
            if current and not fits(current + letter):
                lines.append(current)
                current = ""
            current += letter
    if current:
        lines.append(current)
    return lines


class Column:
    """Places lines and graphics top down between ``left`` and ``right``.

    ``y`` is the top of the free space. ``new_page`` is called when the next item does not
    fit above ``bottom`` (it must start a page and reset ``y``); without it the column
    overruns, which its owner checks with :attr:`overflows`.
    """

    def __init__(
        self,
        left: float,
        right: float,
        top: float,
        bottom: float,
        new_page: Callable[[], None] | None = None,
    ) -> None:
        self.left = left
        self.right = right
        self.y = top
        self.bottom = bottom
        self.new_page = new_page
        self.lines: list[TextLine] = []
        self.graphics: list[Graphic] = []

    @property
    def overflows(self) -> bool:
        """Whether something was placed below ``bottom``."""
        return self.y < self.bottom

    def room(self, height: float) -> None:
        """Start a new page unless ``height`` points fit (keeps a heading with its text)."""
        if self.new_page is not None and self.y - height < self.bottom:
            self.new_page()

    def gap(self, points: float) -> None:
        """Leave ``points`` of space."""
        self.y -= points

    def text(
        self,
        text: str,
        font: str,
        size: float,
        *,
        indent: float = 0.0,
        bullet: str = "",
        align: str = "left",
    ) -> None:
        """``text`` in Helvetica's letters (:func:`helvetica`), wrapped to the column; a
        ``bullet`` hangs in the ``indent``."""
        text = helvetica(text)
        side = _INK_SIDE * size
        width = self.right - self.left - indent - 2 * side
        for number, part in enumerate(wrap(text, font, size, width)):
            self.room(line_height(size))
            baseline = self.y - _INK_ABOVE * size
            x = self.left + indent + side
            if align == "right":
                x = self.right - side - text_width(part, font, size)
            elif align == "centre":
                x = self.left + (self.right - self.left - text_width(part, font, size)) / 2
            if bullet and number == 0:
                self.lines.append(TextLine(bullet, font, size, self.left + side, baseline))
            self.lines.append(TextLine(part, font, size, x, baseline))
            self.y -= line_height(size)

    def graphic(self, kind: str, value: str, width: float, height: float, module: float) -> None:
        """A graphic ``width`` by ``height``, centred in the column."""
        self.room(height)
        left = self.left + (self.right - self.left - width) / 2
        box = Box(left, self.y - height, left + width, self.y)
        self.graphics.append(Graphic(kind, value, box, module))
        self.y -= height

    def rule(self, thickness: float, space: float) -> None:
        """A horizontal line across the column, with ``space`` above and below."""
        self.y -= space
        box = Box(self.left, self.y - thickness / 2, self.right, self.y + thickness / 2)
        self.graphics.append(Graphic("rule", "", box, thickness))
        self.y -= space
