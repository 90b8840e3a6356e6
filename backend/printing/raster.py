"""A page drawn as a PNG image with the same calls as ``pdf.Document``, so one layout gives both a PDF and
an image (a shop prints the one, sends the other to a print shop or a phone).

Coordinates are PDF points from the bottom-left corner, as in ``pdf``; the page is drawn at ``dpi`` pixels
an inch (300 by default, enough for print) with the same embedded CJK font, so lines wrapped with
``pdf.wrap`` fit here too. QR codes are drawn a whole number of pixels a module, never smoothed, so every
module stays sharp for a scanner.

    page = Picture(A5, dpi=300)
    page.text(20 * mm, page.height - 30 * mm, "扫码享优惠", size=28)
    data = page.finish()
"""

import functools
import io
from importlib import resources

import qrcode
from PIL import Image, ImageDraw, ImageFont

from backend.printing.pdf import FONT_FILE, FONT_INDEX, FONT_PACKAGE, QUIET_ZONE, black, white, wrap

ANCHORS = {"left": "ls", "centre": "ms", "right": "rs"}  # Pillow's anchors on the baseline


@functools.cache
def _font_data() -> bytes:
    return resources.files(FONT_PACKAGE).joinpath(FONT_FILE).read_bytes()


@functools.lru_cache(maxsize=32)
def _font(pixels: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(io.BytesIO(_font_data()), pixels, index=FONT_INDEX)


def _rgb(colour) -> tuple[int, int, int]:
    """A ReportLab colour as Pillow's 8-bit RGB."""
    return tuple(round(channel * 255) for channel in colour.rgb())


class Picture:
    """One page being drawn as an RGB image of ``size`` (points) at ``dpi``."""

    def __init__(self, size, *, dpi: int = 300):
        self.width, self.height = size
        self.dpi = dpi
        self.scale = dpi / 72
        self.image = Image.new("RGB", (round(self.width * self.scale), round(self.height * self.scale)), "white")
        self.draw = ImageDraw.Draw(self.image)

    def _point(self, x: float, y: float) -> tuple[float, float]:
        return x * self.scale, (self.height - y) * self.scale

    def text(self, x: float, y: float, text: str, *, size: float = 10, align: str = "left",
             colour=black) -> None:
        """One line of text with its baseline at ``y``; ``align`` as in ``pdf.Document.text``."""
        self.draw.text(self._point(x, y), text, font=_font(round(size * self.scale)), fill=_rgb(colour),
                       anchor=ANCHORS[align])

    def paragraph(self, x: float, y: float, text: str, *, width: float, size: float = 10,
                  leading: float | None = None, colour=black) -> float:
        """``text`` wrapped to ``width`` from the baseline ``y`` down; returns the baseline after it."""
        leading = leading or size * 1.5
        for line in wrap(text, width, size):
            self.text(x, y, line, size=size, colour=colour)
            y -= leading
        return y

    def line(self, x1: float, y1: float, x2: float, y2: float, *, width: float = 0.5, colour=black) -> None:
        self.draw.line([self._point(x1, y1), self._point(x2, y2)], fill=_rgb(colour),
                       width=max(1, round(width * self.scale)))

    def rect(self, x: float, y: float, width: float, height: float, *, line_width: float = 0.5,
             colour=black, fill=None) -> None:
        """A rectangle from its bottom-left corner, outlined in ``colour`` and filled when ``fill`` is given."""
        left, bottom = self._point(x, y)
        right, top = self._point(x + width, y + height)
        self.draw.rectangle([left, top, right, bottom], outline=_rgb(colour),
                            fill=_rgb(fill) if fill is not None else None,
                            width=max(1, round(line_width * self.scale)))

    def qr(self, x: float, y: float, side: float, data: str) -> None:
        """A QR code of ``data`` in the square of ``side`` points whose bottom-left corner is (x, y), its
        quiet zone included; the modules are whole pixels, the code centred in the square."""
        code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=QUIET_ZONE)
        code.add_data(data)
        code.make(fit=True)
        matrix = code.get_matrix()
        left, top = self._point(x, y + side)
        box = round(side * self.scale)
        module = max(1, box // len(matrix))
        offset = (box - module * len(matrix)) // 2
        left, top = round(left) + offset, round(top) + offset
        self.draw.rectangle([left, top, left + module * len(matrix) - 1, top + module * len(matrix) - 1],
                            fill=_rgb(white))
        for row, cells in enumerate(matrix):
            for column, dark in enumerate(cells):
                if dark:
                    x0, y0 = left + column * module, top + row * module
                    self.draw.rectangle([x0, y0, x0 + module - 1, y0 + module - 1], fill=_rgb(black))

    def finish(self) -> bytes:
        """The page as a PNG that says its resolution, so it prints at its size."""
        buffer = io.BytesIO()
        self.image.save(buffer, format="PNG", dpi=(self.dpi, self.dpi))
        return buffer.getvalue()
