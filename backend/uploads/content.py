"""What an uploaded file is, told by its bytes rather than its name or declared type, and how it is made
safe to keep (SPEC §5).

Photos are decoded and encoded again, which leaves every piece of metadata behind (EXIF: GPS position,
device, time; PNG text chunks; ICC profiles), after turning the picture upright as its EXIF said. The
pixel count is read from the header before anything is decoded, so a small file that would unpack into
an enormous bitmap (a decompression bomb) is refused without being unpacked. PDFs are copied without
their document information and XMP metadata; where that cannot be done (encrypted or unreadable files),
the file is kept as sent and marked, and anonymous reports refuse it.
"""

import logging
import shutil
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, ImageOps, UnidentifiedImageError

from backend.i18n import _
from backend.uploads.errors import ImageTooLarge, UnsupportedFile

log = logging.getLogger(__name__)

JPEG, PNG, PDF = "image/jpeg", "image/png", "application/pdf"
EXTENSIONS = {JPEG: "jpg", PNG: "png", PDF: "pdf"}
MAX_PIXELS = 40_000_000
JPEG_QUALITY = 88
ORIENTATION = 0x0112
_SIGNATURES = ((b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG), (b"%PDF-", PDF))
_PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG"}


@dataclass(frozen=True)
class Cleaned:
    media_type: str
    metadata_removed: bool


def sniff(head: bytes) -> str | None:
    """The media type the first bytes of a file show, or None for anything but JPEG, PNG and PDF."""
    for signature, media_type in _SIGNATURES:
        if head.startswith(signature):
            return media_type
    return None


def clean(source: BinaryIO, target: BinaryIO) -> Cleaned:
    """Write a metadata-free copy of ``source`` (a seekable file) to ``target``."""
    source.seek(0)
    media_type = sniff(source.read(16))
    source.seek(0)
    if media_type is None:
        raise UnsupportedFile()
    if media_type == PDF:
        return Cleaned(PDF, _clean_pdf(source, target))
    _clean_image(source, target, media_type)
    return Cleaned(media_type, True)


def _clean_image(source: BinaryIO, target: BinaryIO, media_type: str) -> None:
    fmt = _PIL_FORMATS[media_type]
    try:
        with Image.open(source, formats=[fmt]) as image:
            # The header alone gives the size: refuse before a single pixel is decoded.
            if image.width * image.height > MAX_PIXELS:
                raise ImageTooLarge(MAX_PIXELS // 1_000_000)
            # Turned only when the EXIF says so: a copy of the whole bitmap is made only then.
            turned = image.getexif().get(ORIENTATION, 1) not in (1, None)
            _save(ImageOps.exif_transpose(image) if turned else image, target, fmt)
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(MAX_PIXELS // 1_000_000) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        # The bytes start like a photo but are not one (a truncated or crafted file).
        raise UnsupportedFile(_("The file is not a readable JPEG or PNG picture.")) from exc


def _save(image: Image.Image, target: BinaryIO, fmt: str) -> None:
    if fmt == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        # No exif=, icc_profile= or comment=: what is not passed is not written.
        image.save(target, format="JPEG", quality=JPEG_QUALITY)
    else:
        if image.mode not in ("RGB", "RGBA", "L", "LA", "P", "1", "I;16"):
            image = image.convert("RGBA")
        image.save(target, format="PNG", optimize=False)


def _clean_pdf(source: BinaryIO, target: BinaryIO) -> bool:
    """Copy without document information and XMP metadata; on failure keep the file as sent and say so."""
    from pypdf import PdfReader, PdfWriter

    try:
        reader = PdfReader(source)
        if reader.is_encrypted:
            raise ValueError("encrypted")
        writer = PdfWriter(clone_from=reader)
        writer.metadata = None
        writer.xmp_metadata = None
        writer.write(target)
        return True
    except Exception as exc:  # noqa: BLE001 - any failure of the PDF library means "could not clean"
        log.info("PDF metadata not removed: %s", type(exc).__name__)
    source.seek(0)
    target.seek(0)
    target.truncate()
    shutil.copyfileobj(source, target, 1024 * 1024)
    return False
