"""PDF pages every printed document shares: A4 and A5 pages, the one embedded CJK font, and QR codes.

Chinese needs a font the reader's machine may not have, so every PDF embeds its own: WenQuanYi Micro Hei
(文泉驿微米黑), a TrueType-outline font installed from PyPI with the project (package
``paperang-p2-fonts-cjk``). TrueType outlines matter: ReportLab embeds TrueType, not the CFF outlines of
OpenType fonts such as Noto CJK. ReportLab subsets the font to the glyphs a document uses, so a page of
Chinese stays a few tens of kilobytes, and writes a ToUnicode map, so the text extracts back.

QR codes are drawn as vector squares from the ``qrcode`` library's matrix: sharp at any print size, and
the same encoder as the credit code's.

Coordinates are PDF points (1/72 inch) from the bottom-left corner of the page; ``mm`` converts.

    doc = Document(A4, title="个人信用积分评价报告")
    doc.text(20 * mm, doc.height - 30 * mm, "个人信用积分评价报告", size=20)
    doc.qr(150 * mm, 20 * mm, 40 * mm, "https://example.cn/check#...")
    data = doc.finish()
"""

import io
import threading
from importlib import resources

import qrcode
from reportlab.lib.colors import Color, black, white
from reportlab.lib.pagesizes import A4, A5
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

__all__ = ["A4", "A5", "FONT", "GREY", "Color", "Document", "black", "mm", "text_width", "white", "wrap"]

FONT = "WenQuanYiMicroHei"
FONT_PACKAGE = "paperang_p2_fonts_cjk"
FONT_FILE = "fonts/wqy-microhei.ttc"
FONT_INDEX = 0  # the collection's first face is the proportional one; the second is monospaced
GREY = Color(0.45, 0.45, 0.45)
QUIET_ZONE = 4  # modules of white around a QR code, as the standard asks

_lock = threading.Lock()
_registered = False


def font_name() -> str:
    """The embedded CJK font's name, registered with ReportLab on first use (parsing it takes a moment,
    once per process)."""
    global _registered
    if not _registered:
        with _lock:
            if not _registered:
                path = resources.files(FONT_PACKAGE).joinpath(FONT_FILE)
                with resources.as_file(path) as font_path:
                    pdfmetrics.registerFont(TTFont(FONT, str(font_path), subfontIndex=FONT_INDEX))
                _registered = True
    return FONT


def text_width(text: str, size: float) -> float:
    """The width of ``text`` in points at ``size`` in the shared font."""
    return pdfmetrics.stringWidth(text, font_name(), size)


def wrap(text: str, width: float, size: float) -> list[str]:
    """``text`` broken into lines no wider than ``width``. Chinese breaks between any two characters;
    a run of Latin letters or digits is kept whole where it fits on a line."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for token in _tokens(paragraph):
            if line and text_width(line + token, size) > width:
                lines.append(line.rstrip())
                line = token.lstrip()
                while text_width(line, size) > width and len(line) > 1:  # a token longer than a line
                    cut = _fitting(line, width, size)
                    lines.append(line[:cut])
                    line = line[cut:]
            else:
                line += token
        lines.append(line.rstrip())
    return lines


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    for character in text:
        if tokens and character.isascii() and not character.isspace() and tokens[-1][-1:].isascii() \
                and not tokens[-1][-1:].isspace():
            tokens[-1] += character
        else:
            tokens.append(character)
    return tokens


def _fitting(text: str, width: float, size: float) -> int:
    count = 1
    while count < len(text) and text_width(text[:count + 1], size) <= width:
        count += 1
    return count


class Document:
    """One PDF being drawn: pages of ``size`` in the shared font. ``canvas`` is ReportLab's, for anything
    the helpers below do not cover."""

    def __init__(self, size=A4, *, title: str, author: str = "", subject: str = ""):
        self.buffer = io.BytesIO()
        self.width, self.height = size
        self.canvas = Canvas(self.buffer, pagesize=size, initialFontName=font_name(), initialFontSize=10,
                             pageCompression=1)
        self.canvas.setTitle(title)
        self.canvas.setAuthor(author)
        self.canvas.setSubject(subject)
        self.canvas.setCreator("Chengxin")

    def text(self, x: float, y: float, text: str, *, size: float = 10, align: str = "left",
             colour=black) -> None:
        """One line of text with its baseline at ``y``; ``align`` says whether ``x`` is its left edge,
        centre or right edge."""
        canvas = self.canvas
        canvas.setFont(FONT, size)
        canvas.setFillColor(colour)
        if align == "centre":
            canvas.drawCentredString(x, y, text)
        elif align == "right":
            canvas.drawRightString(x, y, text)
        else:
            canvas.drawString(x, y, text)

    def paragraph(self, x: float, y: float, text: str, *, width: float, size: float = 10,
                  leading: float | None = None, colour=black) -> float:
        """``text`` wrapped to ``width`` from the baseline ``y`` down; returns the baseline after it."""
        leading = leading or size * 1.5
        for line in wrap(text, width, size):
            self.text(x, y, line, size=size, colour=colour)
            y -= leading
        return y

    def line(self, x1: float, y1: float, x2: float, y2: float, *, width: float = 0.5, colour=black) -> None:
        self.canvas.setLineWidth(width)
        self.canvas.setStrokeColor(colour)
        self.canvas.line(x1, y1, x2, y2)

    def rect(self, x: float, y: float, width: float, height: float, *, line_width: float = 0.5,
             colour=black, fill=None) -> None:
        """A rectangle from its bottom-left corner, outlined in ``colour`` and filled when ``fill`` is given."""
        self.canvas.setLineWidth(line_width)
        self.canvas.setStrokeColor(colour)
        if fill is not None:
            self.canvas.setFillColor(fill)
        self.canvas.rect(x, y, width, height, stroke=1, fill=int(fill is not None))

    def qr(self, x: float, y: float, side: float, data: str) -> None:
        """A QR code of ``data`` in the square of ``side`` points whose bottom-left corner is (x, y), its
        quiet zone included. Error correction M, as the credit code's."""
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE)
        code.add_data(data)
        code.make(fit=True)
        matrix = code.get_matrix()
        module = side / len(matrix)
        canvas = self.canvas
        canvas.setFillColor(white)
        canvas.rect(x, y, side, side, stroke=0, fill=1)
        canvas.setFillColor(black)
        path = canvas.beginPath()
        for row, cells in enumerate(matrix):
            top = y + side - (row + 1) * module
            column = 0
            while column < len(cells):  # one rectangle per run of dark modules keeps the page small
                if not cells[column]:
                    column += 1
                    continue
                start = column
                while column < len(cells) and cells[column]:
                    column += 1
                path.rect(x + start * module, top, (column - start) * module, module)
        canvas.drawPath(path, stroke=0, fill=1)

    def new_page(self) -> None:
        self.canvas.showPage()

    def finish(self) -> bytes:
        """Close the last page and return the PDF."""
        self.canvas.showPage()
        self.canvas.save()
        return self.buffer.getvalue()
