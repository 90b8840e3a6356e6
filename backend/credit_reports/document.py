"""The printed credit report: an A4 PDF in Chinese (SPEC §7a), drawn with the shared PDF pieces.

The report is an official document for Chinese offices, so its wording is Chinese whatever language the
resident's phone reads. Everything it shows comes from the frozen snapshot; the verification code comes
from the resident (the server keeps only its digest) and is printed with a QR code of the check page.
"""

from datetime import datetime

from backend.printing import pdf
from backend.printing.pdf import mm

TITLE = "个人信用积分评价报告"
MARGIN = 20 * mm
LEADING = 1.55
BOX_HEIGHT = 52 * mm  # the verification box at the foot of the last page
QR_SIDE = 40 * mm
STATUS_NAMES = {"active": "计分中", "disputed": "异议中", "expired": "已过计分期"}


def stars_text(stars: int) -> str:
    return "★" * stars + "☆" * (5 - stars)


def local_time(text: str) -> str:
    """An ISO time of the snapshot (already +08:00) as Chinese documents write it."""
    moment = datetime.fromisoformat(text)
    return f"{moment:%Y年%m月%d日 %H:%M}"


def local_date(text: str) -> str:
    year, month, day = text.split("-")
    return f"{year}年{month}月{day}日"


class _Report:
    """Draws one report, top to bottom, starting new pages as the content needs."""

    def __init__(self, snapshot: dict, code_display: str, check_url: str, check_page: str, jwks_url: str):
        self.snapshot = snapshot
        self.code = code_display
        self.check_url = check_url
        self.check_page = check_page
        self.jwks_url = jwks_url
        self.doc = pdf.Document(pdf.A4, title=f"{TITLE} {snapshot['report_no']}", author=snapshot["issuer"],
                                subject=TITLE)
        self.page = 1
        self.left, self.right = MARGIN, self.doc.width - MARGIN
        self.y = self.doc.height - MARGIN

    # --- layout helpers ---------------------------------------------------------------------------------

    def ensure(self, height: float) -> None:
        """Start a new page unless ``height`` more points fit above the footer."""
        if self.y - height < MARGIN + 12 * mm:
            self.footer()
            self.doc.new_page()
            self.page += 1
            self.y = self.doc.height - MARGIN
            self.doc.text(self.left, self.y - 4 * mm, f"{TITLE}（续）  报告编号 {self.snapshot['report_no']}",
                          size=9, colour=pdf.GREY)
            self.y -= 12 * mm

    def footer(self) -> None:
        doc, snapshot = self.doc, self.snapshot
        doc.line(self.left, MARGIN + 6 * mm, self.right, MARGIN + 6 * mm, width=0.3, colour=pdf.GREY)
        doc.text(self.left, MARGIN + 1.5 * mm, f"出具机构：{snapshot['issuer']}    报告编号 {snapshot['report_no']}",
                 size=8, colour=pdf.GREY)
        doc.text(self.right, MARGIN + 1.5 * mm, f"第 {self.page} 页", size=8, colour=pdf.GREY, align="right")

    def heading(self, text: str) -> None:
        self.ensure(14 * mm)
        self.y -= 8 * mm
        self.doc.text(self.left, self.y, text, size=12)
        self.y -= 2.5 * mm
        self.doc.line(self.left, self.y, self.right, self.y, width=0.6)
        self.y -= 6 * mm

    def field_line(self, pairs: list[tuple[str, str]], *, size: float = 10.5) -> None:
        self.ensure(size * LEADING)
        x = self.left
        column = (self.right - self.left) / len(pairs)
        for label, value in pairs:
            self.doc.text(x, self.y, f"{label}：", size=size, colour=pdf.GREY)
            self.doc.text(x + pdf.text_width(f"{label}：", size), self.y, value, size=size)
            x += column
        self.y -= size * LEADING

    def table(self, columns: list[tuple[str, float, str]], rows: list[list[str]], *, size: float = 9.5) -> None:
        """A ruled table; ``columns`` are (header, width in points, align). Long cells wrap."""
        leading = size * LEADING
        self._table_row([header for header, _w, _a in columns], columns, size, header=True)
        for row in rows:
            lines = [pdf.wrap(cell, width - 2 * mm, size) for cell, (_h, width, _a) in zip(row, columns, strict=True)]
            height = max(len(cell) for cell in lines) * leading
            if self.y - height < MARGIN + 12 * mm:
                self.ensure(height + leading)
                self._table_row([header for header, _w, _a in columns], columns, size, header=True)
            self._table_row(row, columns, size, wrapped=lines)

    def _table_row(self, cells, columns, size, *, header=False, wrapped=None) -> None:
        leading = size * LEADING
        wrapped = wrapped or [[cell] for cell in cells]
        height = max(len(lines) for lines in wrapped) * leading
        x = self.left
        for lines, (_header, width, align) in zip(wrapped, columns, strict=True):
            y = self.y
            for line in lines:
                if align == "right":
                    self.doc.text(x + width - 1.5 * mm, y, line, size=size, align="right",
                                  colour=pdf.GREY if header else pdf.black)
                else:
                    self.doc.text(x + 1.5 * mm, y, line, size=size, colour=pdf.GREY if header else pdf.black)
                y -= leading
            x += width
        bottom = self.y - height + leading - 2.2 * mm
        self.doc.line(self.left, bottom, self.right, bottom, width=0.6 if header else 0.25,
                      colour=pdf.black if header else pdf.GREY)
        self.y -= height + 1.2 * mm

    # --- the report -------------------------------------------------------------------------------------

    def draw(self) -> bytes:
        snapshot, doc = self.snapshot, self.doc
        self.y -= 10 * mm
        doc.text(doc.width / 2, self.y, TITLE, size=24, align="centre")
        self.y -= 8 * mm
        line = f"报告编号 {snapshot['report_no']}    出具时间 {local_time(snapshot['issued_at'])}"
        doc.text(doc.width / 2, self.y, line, size=9, align="centre", colour=pdf.GREY)
        self.y -= 4 * mm

        self.heading("一、基本信息")
        subject = snapshot["subject"]
        self.field_line([("姓名", subject["masked_name"]), ("身份证号", subject["masked_id_number"])])
        self.field_line([("报告用途", snapshot["purpose"]), ("有效期至", local_time(snapshot["valid_until"]))])

        self.heading("二、信用评价")
        self.ensure(20 * mm)
        self.y -= 4 * mm
        stars = stars_text(snapshot["stars"])
        doc.text(self.left, self.y, stars, size=20)
        x = self.left + pdf.text_width(stars, 20) + 5 * mm
        doc.text(x, self.y + 1 * mm, f"{snapshot['stars']} 星 · {snapshot['level_name']}", size=15)
        doc.text(self.right, self.y + 1 * mm, f"信用积分 {snapshot['points']} 分", size=15, align="right")
        self.y -= 10 * mm
        ceiling = snapshot["ceiling"]
        if ceiling:
            cause = f"“{ceiling['title']}”" if ceiling.get("title") else f"事项 {ceiling['rubric_code']}"
            self.y = doc.paragraph(self.left, self.y, f"直接判级：因{cause}，信用星级上限为 {ceiling['stars']} 星。",
                                   width=self.right - self.left, size=10.5)
        household = "是" if snapshot["household"]["is_credit_household"] else "否"
        self.field_line([("所在家庭为信用户", household)])

        self.heading("三、计分事项（按类别汇总，仅含仍在计分期内的事项）")
        width = self.right - self.left
        if snapshot["categories"]:
            self.table([("类别", width * 0.32, "left"), ("加分事项", width * 0.17, "right"),
                        ("加分", width * 0.17, "right"), ("减分事项", width * 0.17, "right"),
                        ("减分", width * 0.17, "right")],
                       [[c["name"], _count(c["bonus_events"]), f"+{c['bonus_points']}" if c["bonus_events"] else "—",
                         _count(c["penalty_events"]), str(c["penalty_points"]) if c["penalty_events"] else "—"]
                        for c in snapshot["categories"]])
        else:
            self.field_line([("计分事项", "无")])

        self.heading("四、失信记录（仍在计分期或公示期内）")
        if snapshot["penalties"]:
            self.table([("日期", width * 0.16, "left"), ("事项", width * 0.42, "left"), ("分值", width * 0.08, "right"),
                        ("状态", width * 0.34, "left")],
                       [[local_date(p["occurred_on"]), p["title"], str(p["points"]), _penalty_status(p)]
                        for p in snapshot["penalties"]])
        else:
            self.field_line([("失信记录", "无")])

        self.verification_box()
        self.footer()
        return doc.finish()

    def verification_box(self) -> None:
        doc = self.doc
        self.ensure(BOX_HEIGHT + 8 * mm)
        top = min(self.y - 6 * mm, MARGIN + 12 * mm + BOX_HEIGHT)
        bottom = top - BOX_HEIGHT
        doc.rect(self.left, bottom, self.right - self.left, BOX_HEIGHT, line_width=0.6)
        doc.qr(self.right - QR_SIDE - 6 * mm, bottom + (BOX_HEIGHT - QR_SIDE) / 2, QR_SIDE, self.check_url)
        x, y, width = self.left + 5 * mm, top - 8 * mm, self.right - self.left - QR_SIDE - 18 * mm
        doc.text(x, y, "报告核验", size=12)
        y -= 7 * mm
        doc.text(x, y, "验证码", size=9, colour=pdf.GREY)
        doc.text(x + 12 * mm, y, self.code, size=13)
        y -= 6.5 * mm
        y = doc.paragraph(x, y, f"扫描右侧二维码，或在浏览器打开 {self.check_page} 并输入验证码，"
                                f"可在线核验本报告是否有效、是否已撤销。", width=width, size=8.5)
        doc.paragraph(x, y, f"本报告的电子版附数字签名（JWS），可使用 {self.jwks_url} 公布的公钥离线验签。",
                      width=width, size=8.5, colour=pdf.GREY)
        self.y = bottom - 4 * mm


def _count(events: int) -> str:
    return f"{events} 项" if events else "—"


def _penalty_status(penalty: dict) -> str:
    status = STATUS_NAMES.get(penalty["status"], penalty["status"])
    if penalty["disclosed_until"]:
        return f"{status}，公示至 {local_date(penalty['disclosed_until'])}"
    return status


def render(snapshot: dict, *, code_display: str, check_url: str, check_page: str, jwks_url: str) -> bytes:
    """The report's PDF: A4, Chinese, masked name and ID number, the issuing office, the verification
    code and a QR code of ``check_url`` (the check page with the code in its fragment)."""
    return _Report(snapshot, code_display, check_url, check_page, jwks_url).draw()
