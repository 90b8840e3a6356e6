"""The printed poster (扫码享优惠海报, SPEC §4): an A5 page in Chinese with the offer's title, the stars it
asks for, the shop's name and the QR code a resident scans to claim it. One layout draws both the PDF
(``pdf.Document``) and the PNG (``raster.Picture``).

The poster hangs in a shop for Chinese customers, so its wording is Chinese whatever language the
operator's phone reads. It shows when it was made: after a rotation the shop can tell the current poster
from an old one still on a wall.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from backend.dates.timeutil import as_local
from backend.printing import pdf, raster
from backend.printing.pdf import A5, mm

HEADING = "扫码享优惠"
MARGIN = 12 * mm
QR_SIDE = 74 * mm
QR_BOTTOM = 42 * mm
RED = pdf.Color(0.78, 0.12, 0.12)
TITLE_LINES = 2
DESCRIPTION_LINES = 2  # what fits between the stars and the QR code under a two-line title


@dataclass(frozen=True)
class PosterContent:
    token: str
    shop: str
    title: str
    description: str
    min_stars: int
    valid_from: datetime
    valid_to: datetime
    quota_per_resident: int | None
    made_at: datetime


def stars_text(stars: int) -> str:
    return "★" * stars + "☆" * (5 - stars)


def local_date(moment: datetime) -> str:
    return f"{as_local(moment):%Y年%m月%d日}"


def last_day(valid_to: datetime) -> str:
    """The offer's last day as a shop says it: an offer that ends at 00:00 ends with the day before."""
    local = as_local(valid_to)
    if (local.hour, local.minute, local.second, local.microsecond) == (0, 0, 0, 0):
        return local_date(local - timedelta(days=1))
    return f"{local:%Y年%m月%d日 %H:%M}"


def _lines(text: str, width: float, size: float, count: int) -> list[str]:
    """``text`` wrapped to ``width``, at most ``count`` lines, the last cut with an ellipsis when more
    would follow."""
    lines = pdf.wrap(text, width, size)
    if len(lines) <= count:
        return lines
    last = lines[count - 1]
    while last and pdf.text_width(last + "…", size) > width:
        last = last[:-1]
    return [*lines[:count - 1], last + "…"]


def draw(page, content: PosterContent) -> None:
    """Draw the poster on ``page``, a ``pdf.Document`` or a ``raster.Picture`` of size A5."""
    width, height = page.width, page.height
    centre = width / 2
    inner = width - 2 * MARGIN

    band = 30 * mm
    page.rect(0, height - band, width, band, line_width=0, colour=RED, fill=RED)
    page.text(centre, height - band + 11 * mm, HEADING, size=34, align="centre", colour=pdf.white)

    y = height - band - 11 * mm
    for line in _lines(content.shop, inner, 15, 1):
        page.text(centre, y, line, size=15, align="centre")
    y -= 12 * mm
    for line in _lines(content.title, inner, 22, TITLE_LINES):
        page.text(centre, y, line, size=22, align="centre", colour=RED)
        y -= 10 * mm
    y -= 1 * mm
    page.text(centre, y, f"诚信 {stars_text(content.min_stars)}  {content.min_stars} 星及以上居民可享", size=13,
              align="centre")
    y -= 7 * mm
    for line in _lines(content.description, inner, 10, DESCRIPTION_LINES):
        page.text(centre, y, line, size=10, align="centre", colour=pdf.GREY)
        y -= 5 * mm

    page.qr(centre - QR_SIDE / 2, QR_BOTTOM, QR_SIDE, content.token)

    y = QR_BOTTOM - 5 * mm
    page.text(centre, y, "微信打开「澄信」小程序 · 扫一扫上方二维码", size=11, align="centre")
    y -= 6 * mm
    page.text(centre, y, "结账时向店员出示领取页面（带实时时钟，截图无效）", size=11, align="centre")
    y -= 8 * mm
    terms = f"有效期 {local_date(content.valid_from)} 至 {last_day(content.valid_to)}"
    if content.quota_per_resident is not None:
        terms += f"  ·  每人每月限 {content.quota_per_resident} 次"
    page.text(centre, y, terms, size=9, align="centre", colour=pdf.GREY)

    page.line(MARGIN, 11 * mm, width - MARGIN, 11 * mm, width=0.3, colour=pdf.GREY)
    page.text(MARGIN, 6.5 * mm, "江阴市诚信优先优惠 · 澄信", size=8, colour=pdf.GREY)
    page.text(width - MARGIN, 6.5 * mm, f"海报生成于 {local_date(content.made_at)}", size=8, colour=pdf.GREY,
              align="right")


def render_pdf(content: PosterContent) -> bytes:
    document = pdf.Document(A5, title=f"{HEADING} · {content.title}", author=content.shop, subject=HEADING)
    draw(document, content)
    return document.finish()


def render_png(content: PosterContent) -> bytes:
    picture = raster.Picture(A5)
    draw(picture, content)
    return picture.finish()
