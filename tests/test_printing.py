"""The shared PDF pieces: the embedded CJK font (extracts back, really drawn, subset), wrapping, QR codes."""

import io
import os

import pytest
import qrcode
import reportlab
from pdfminer.high_level import extract_pages
from pdfminer.pdfdocument import PDFDocument
from pdfminer.pdfpage import PDFPage
from pdfminer.pdfparser import PDFParser
from pdfminer.pdftypes import resolve1
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from backend.printing import pdf
from tests.pdf_checks import glyph_problems, render_first_page, text_of

TITLE = "个人信用积分评价报告"


def sample(size=pdf.A4, *, title=TITLE) -> bytes:
    doc = pdf.Document(size, title=title, author="江阴市信用办")
    doc.text(20 * pdf.mm, doc.height - 30 * pdf.mm, title, size=20)
    line = "姓名 张*  信用星级 ★★★★☆ 诚信优秀  验证码 7K3M-9QPX-2Z4R-HV8N-5T6W"
    doc.paragraph(20 * pdf.mm, doc.height - 45 * pdf.mm, line, width=120 * pdf.mm)
    return doc.finish()


def fonts_of(data: bytes) -> list[dict]:
    document = PDFDocument(PDFParser(io.BytesIO(data)))
    found = []
    for page in PDFPage.create_pages(document):
        found.extend(resolve1(font) for font in resolve1(page.resources["Font"]).values())
    return found


def test_chinese_text_extracts_back():
    text = text_of(sample())
    assert TITLE in text
    assert "张*" in text and "★★★★☆" in text and "7K3M-9QPX-2Z4R-HV8N-5T6W" in text


def test_the_cjk_font_is_embedded_as_a_subset_and_the_page_stays_small():
    data = sample()
    fonts = fonts_of(data)
    names = [font["BaseFont"].name for font in fonts]
    # Embedded TrueType subsets (``ABCDEF+Name``) only: no font the reader's machine must supply.
    assert names and all("+" in name and pdf.FONT in name for name in names), names
    assert all("FontFile2" in resolve1(font["FontDescriptor"]) for font in fonts)
    assert len(data) < 40_000


def test_the_cjk_glyphs_are_really_drawn():
    assert glyph_problems(sample()) == []


def test_a_font_without_chinese_fails_the_render_check(monkeypatch):
    """The negative control: with a Latin font the text still extracts, but poppler draws boxes."""
    vera = os.path.join(os.path.dirname(reportlab.__file__), "fonts", "Vera.ttf")
    pdfmetrics.registerFont(TTFont("Vera", vera))
    monkeypatch.setattr(pdf, "FONT", "Vera")
    problems = glyph_problems(sample())
    assert problems and all("look alike" in problem or "blank" in problem for problem in problems)


@pytest.mark.parametrize(("size", "millimetres"), [(pdf.A4, (210, 297)), (pdf.A5, (148, 210))])
def test_pages_have_their_paper_size(size, millimetres):
    page = next(extract_pages(io.BytesIO(sample(size))))
    assert (round(page.width / pdf.mm), round(page.height / pdf.mm)) == millimetres


def test_wrapping_breaks_chinese_anywhere_and_keeps_latin_runs_whole():
    width = pdf.text_width("信用积分评价", 10)
    lines = pdf.wrap("个人信用积分评价报告由江阴市信用办出具 XY-20261203-K7Q2M9 号", width, 10)
    assert all(pdf.text_width(line, 10) <= width + 0.01 for line in lines)
    assert "".join(lines).replace(" ", "") == "个人信用积分评价报告由江阴市信用办出具XY-20261203-K7Q2M9号"
    assert any("XY-20261203-K7Q2M9" in line for line in pdf.wrap("编号 XY-20261203-K7Q2M9", width * 2, 10))


def test_a_qr_code_is_drawn_module_for_module():
    data = "https://credit.example.cn/check#7K3M9QPX2Z4RHV8N5T6W"
    doc = pdf.Document(pdf.A5, title="poster")
    side, left, bottom = 60 * pdf.mm, 40 * pdf.mm, 40 * pdf.mm
    doc.qr(left, bottom, side, data)
    image = render_first_page(doc.finish(), dpi=200)
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=pdf.QUIET_ZONE)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    scale = 200 / 72
    module = side / len(matrix) * scale
    top = (doc.height - bottom - side) * scale
    wrong = [(row, column) for row, cells in enumerate(matrix) for column, dark in enumerate(cells)
             if (image.getpixel((round(left * scale + (column + 0.5) * module),
                                 round(top + (row + 0.5) * module))) < 128) != dark]
    assert wrong == []
