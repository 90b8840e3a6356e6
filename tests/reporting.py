"""Builders for the report tests: files as phones send them, uploads, categories, reports in each state."""

import io
from datetime import timedelta

from PIL import Image

from backend.dates.timeutil import utcnow

UPLOADS = "/api/v1/uploads"
REPORTS = "/api/v1/reports"
REVIEW = "/api/v1/review/reports"
DEPARTMENT = "/api/v1/department/reports"
DEVICE = "ChengxinTestPhone X1"


def jpeg(width=64, height=48, *, exif=True, color=(200, 40, 40)) -> bytes:
    """A JPEG with the EXIF a phone writes: device, time and GPS position."""
    image = Image.new("RGB", (width, height), color)
    out = io.BytesIO()
    if exif:
        data = Image.Exif()
        data[0x010F] = "ChengxinTest"  # Make
        data[0x0110] = DEVICE  # Model
        data[0x0132] = "2026:12:03 08:15:00"  # DateTime
        gps = data.get_ifd(0x8825)
        gps[1], gps[2], gps[3], gps[4] = "N", (31.0, 54.0, 12.0), "E", (120.0, 16.0, 30.0)
        image.save(out, format="JPEG", exif=data)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def png(width=32, height=32) -> bytes:
    image = Image.new("RGBA", (width, height), (0, 128, 0, 255))
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "张伟")
    info.add_text("Software", DEVICE)
    out = io.BytesIO()
    image.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def pdf(author="张伟的手机") -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Author": author, "/Producer": DEVICE})
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_pdf() -> bytes:
    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Author": "张伟"})
    writer.encrypt("secret-password")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def upload(client, headers, data: bytes, filename="photo.jpg", content_type="image/jpeg"):
    return client.post(UPLOADS, data={"file": (io.BytesIO(data), filename, content_type)},
                       headers=headers, content_type="multipart/form-data")


def upload_id(client, headers, data: bytes | None = None, **kwargs) -> str:
    response = upload(client, headers, data if data is not None else jpeg(), **kwargs)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["upload_id"]


def load_rubric_and_categories():
    from backend.credit.default_rubric import load_default_rubric
    from backend.reports.categories import load_defaults

    load_default_rubric()
    load_defaults()


def report_body(**changes) -> dict:
    body = {"category": "food_safety",
            "subject": {"type": "enterprise", "name": "某某小吃店"},
            "description": "店内后厨使用过期食材，操作间卫生条件极差，老鼠出没。",
            "location": {"town": "长泾镇", "address": "长泾镇河塘路 18 号"},
            "occurred_at": (utcnow() - timedelta(days=1)).isoformat(),
            "attachments": [], "anonymous": False}
    body.update(changes)
    return body
