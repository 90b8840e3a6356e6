"""Looking at PDFs the way a reader would: the text they extract to, and the glyphs poppler draws.

A PDF whose font lacks Chinese still "contains" the text; only a rendered page shows boxes or blanks. So
the render check rasterises the first page with Debian's poppler (``pdftoppm``) and looks at what is drawn
where the text layer puts each character of the title (its largest text): every character must leave ink,
and no two characters may look alike, as the boxes of a missing glyph do.
"""

import io
import itertools
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest
from pdfminer.high_level import extract_pages, extract_text
from pdfminer.layout import LTChar
from PIL import Image

RENDER_DPI = 150
MIN_INK = 0.04  # of a character's box: a real glyph of a title leaves well above this
MIN_DIFFERENCE = 0.1  # of pixels between two different characters; a missing glyph's boxes differ by ~0


def text_of(data: bytes) -> str:
    """The PDF's text as a text extractor reads it, whitespace dropped (lines break anywhere)."""
    return "".join(extract_text(io.BytesIO(data)).split())


def page_count(data: bytes) -> int:
    return sum(1 for _page in extract_pages(io.BytesIO(data)))


def poppler() -> str:
    path = shutil.which("pdftoppm")
    if path is None:
        pytest.skip("pdftoppm (Debian's poppler-utils) is not installed: cannot render PDF pages here; "
                    "install it with `apt-get install poppler-utils` (CI does)")
    return path


def render_first_page(data: bytes, dpi: int = RENDER_DPI) -> Image.Image:
    """The first page as a greyscale image, drawn by poppler."""
    tool = poppler()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "document.pdf"
        source.write_bytes(data)
        # The arguments are the tool's own path and files this function just made: nothing untrusted.
        subprocess.run([tool, "-r", str(dpi), "-gray", "-f", "1", "-l", "1", str(source),  # noqa: S603
                        str(Path(folder) / "page")], check=True, capture_output=True, timeout=60)
        image = next(Path(folder).glob("page*"))
        return Image.open(image).copy()


def _characters(layout) -> list[LTChar]:
    found = []
    stack = [layout]
    while stack:
        item = stack.pop()
        if isinstance(item, LTChar):
            found.append(item)
        elif hasattr(item, "__iter__"):
            stack.extend(item)
    return found


def title_glyphs(data: bytes) -> list[Image.Image]:
    """What poppler drew in the box of each character of the first page's largest text, as images whose
    ink is 255 and paper 0."""
    page = next(extract_pages(io.BytesIO(data), page_numbers=[0]))
    characters = [c for c in _characters(page) if c.get_text().strip() != ""]
    largest = max(round(c.size) for c in characters)
    title = sorted((c for c in characters if round(c.size) == largest), key=lambda c: (-c.y0, c.x0))
    image = render_first_page(data)
    scale = RENDER_DPI / 72
    cells = []
    for character in title:
        x0, y0, x1, y1 = character.bbox
        box = (round(x0 * scale), round((page.height - y1) * scale), round(x1 * scale),
               round((page.height - y0) * scale))
        cells.append(image.crop(box).point(lambda value: 255 if value < 128 else 0))
    return cells


def _ink(cell: Image.Image) -> float:
    pixels = cell.tobytes()
    return sum(1 for value in pixels if value) / len(pixels)


def _difference(first: Image.Image, second: Image.Image) -> float:
    width, height = min(first.width, second.width), min(first.height, second.height)
    a = first.crop((0, 0, width, height)).tobytes()
    b = second.crop((0, 0, width, height)).tobytes()
    return sum(1 for u, v in zip(a, b, strict=True) if u != v) / (width * height)


def glyph_problems(data: bytes) -> list[str]:
    """Why the title's glyphs are not really drawn; empty when each character left its own shape."""
    cells = title_glyphs(data)
    problems = [f"character {n} of the title is blank" for n, cell in enumerate(cells) if _ink(cell) < MIN_INK]
    for (i, first), (j, second) in itertools.combinations(enumerate(cells), 2):
        if _difference(first, second) < MIN_DIFFERENCE:
            problems.append(f"characters {i} and {j} of the title look alike (a missing glyph's box?)")
    return problems
