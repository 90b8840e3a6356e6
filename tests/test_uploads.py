"""Uploads (SPEC §5): told by their bytes, cleaned of metadata, limited in size and number, owned, attached
once, cleaned up, and fetched by staff only through authorised downloads."""

import io
from datetime import timedelta

import pytest
from PIL import Image
from sqlalchemy import func, select

from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.settings import service as settings
from backend.uploads import service as uploads
from backend.uploads.models import Upload
from backend.uploads.storage import storage
from tests.reporting import DEVICE, UPLOADS, encrypted_pdf, jpeg, pdf, png, upload, upload_id


def stored_bytes(upload_id_: str) -> bytes:
    row = db.session.get(Upload, upload_id_)
    with storage().open(row.storage_key) as handle:
        return handle.read()


def upload_count() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Upload))


@pytest.fixture
def me(residents):
    return residents.bound_headers(residents.create())


def test_a_photo_is_reencoded_without_its_exif(client, me):
    original = jpeg(640, 480)
    assert DEVICE.encode() in original and b"Exif" in original

    response = upload(client, me, original)

    assert response.status_code == 201
    body = response.get_json()
    assert body["media_type"] == "image/jpeg" and body["metadata_removed"] is True
    kept = stored_bytes(body["upload_id"])
    assert DEVICE.encode() not in kept and b"Exif" not in kept
    image = Image.open(io.BytesIO(kept))
    assert image.size == (640, 480)
    assert dict(image.getexif()) == {}
    assert body["size"] == len(kept)


def test_a_png_loses_its_text_chunks(client, me):
    body = upload(client, me, png(), filename="shot.png", content_type="image/png").get_json()
    kept = stored_bytes(body["upload_id"])
    assert body["media_type"] == "image/png"
    assert DEVICE.encode() not in kept and b"tEXt" not in kept and b"iTXt" not in kept


def test_a_photo_turned_by_its_exif_is_kept_upright(client, me):
    image = Image.new("RGB", (40, 20), (10, 10, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to view
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    kept = stored_bytes(upload(client, me, out.getvalue()).get_json()["upload_id"])
    assert Image.open(io.BytesIO(kept)).size == (20, 40)


def test_a_pdf_loses_its_document_details(client, me):
    original = pdf()
    assert DEVICE.encode() in original
    body = upload(client, me, original, filename="notice.pdf", content_type="application/pdf").get_json()
    kept = stored_bytes(body["upload_id"])
    assert body["media_type"] == "application/pdf" and body["metadata_removed"] is True
    assert DEVICE.encode() not in kept and b"/Author" not in kept and b"/Producer" not in kept
    from pypdf import PdfReader

    assert len(PdfReader(io.BytesIO(kept)).pages) == 1


def test_an_encrypted_pdf_is_kept_as_sent_and_marked(client, me):
    original = encrypted_pdf()
    body = upload(client, me, original, filename="locked.pdf", content_type="application/pdf").get_json()
    assert body["metadata_removed"] is False
    assert stored_bytes(body["upload_id"]) == original


@pytest.mark.parametrize(("data", "filename", "content_type"), [
    (b"<html><script>alert(1)</script></html>", "photo.jpg", "image/jpeg"),
    (b"GIF89a" + b"\x00" * 40, "photo.gif", "image/gif"),
    (b"PK\x03\x04 a zip file", "photo.png", "image/png"),
    (b"", "empty.jpg", "image/jpeg"),
])
def test_a_file_that_is_not_jpeg_png_or_pdf_by_its_bytes_is_415_and_nothing_is_kept(client, me, data, filename,
                                                                                     content_type):
    response = upload(client, me, data, filename=filename, content_type=content_type)
    assert response.status_code == 415
    assert response.get_json()["reason"] == "unsupported_media_type"
    assert upload_count() == 0


def test_a_truncated_jpeg_is_415(client, me):
    response = upload(client, me, jpeg()[:40])
    assert response.status_code == 415
    assert upload_count() == 0


def test_an_image_over_40_megapixels_is_refused_before_it_is_decoded(client, me, monkeypatch):
    # 8000 x 5001 pixels of one colour compress to a few hundred kilobytes: a decompression bomb in small.
    image = Image.new("L", (8000, 5001), 0)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    decoded = []
    monkeypatch.setattr(Image.Image, "load", lambda self: decoded.append(self) or None)
    response = upload(client, me, out.getvalue(), filename="bomb.png", content_type="image/png")
    assert response.status_code == 422
    assert response.get_json()["reason"] == "image_too_large"
    assert decoded == []
    assert upload_count() == 0


def test_an_11_mb_file_is_413_from_its_length_before_the_body_is_read(app, me):
    body_read = []

    class Body(io.BytesIO):
        def read(self, *args):
            body_read.append(True)
            return super().read(*args)

    data = jpeg() + b"\x00" * (11 * 1024 * 1024)
    boundary = "X-BOUNDARY"
    payload = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"big.jpg\"\r\n"
               f"Content-Type: image/jpeg\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    environ = raw_environ(me, Body(payload), f"multipart/form-data; boundary={boundary}",
                          CONTENT_LENGTH=str(len(payload)))
    with app.request_context(environ):
        response = app.full_dispatch_request()
    assert response.status_code == 413
    assert response.get_json()["reason"] == "too_large"
    assert body_read == []
    assert upload_count() == 0


def test_a_file_just_over_the_limit_inside_a_short_enough_body_is_413(client, me):
    settings.update(_system(), {"uploads.max_bytes": 2048})
    response = upload(client, me, jpeg(64, 64) + b"\x00" * 3000)
    assert response.status_code == 413
    assert response.get_json()["reason"] == "too_large"
    assert upload_count() == 0


def test_a_chunked_body_over_the_limit_is_cut_off_while_read(app, me):
    settings.update(_system(), {"uploads.max_bytes": 2048})
    boundary = "B"
    payload = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.jpg\"\r\n"
               f"Content-Type: image/jpeg\r\n\r\n").encode() + b"\xff\xd8\xff" + b"\x00" * 200_000 + \
        f"\r\n--{boundary}--\r\n".encode()
    environ = raw_environ(me, io.BytesIO(payload), f"multipart/form-data; boundary={boundary}",
                          **{"wsgi.input_terminated": True, "HTTP_TRANSFER_ENCODING": "chunked"})
    with app.request_context(environ):
        response = app.full_dispatch_request()
    assert response.status_code == 413
    assert response.get_json()["reason"] == "too_large"
    assert upload_count() == 0


def raw_environ(headers, stream, content_type, **extra) -> dict:
    """A WSGI environ for POST /uploads whose body is ``stream`` as given (the test client would read it)."""
    from werkzeug.test import EnvironBuilder

    environ = EnvironBuilder(path=UPLOADS, method="POST", headers=headers).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ.update({"CONTENT_TYPE": content_type, "wsgi.input": stream, **extra})
    return environ


def _system():
    from backend.web.access import Principal

    return Principal(kind="system", id=0, roles=frozenset({"admin"}), name="tests")


def test_the_fifty_first_upload_of_a_day_is_429(client, me):
    settings.update(_system(), {"limits.uploads_per_day": 3})
    for _ in range(3):
        assert upload(client, me, jpeg()).status_code == 201
    response = upload(client, me, jpeg())
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) >= 1
    assert upload_count() == 3


def test_a_body_without_the_file_field_is_422(client, me):
    response = client.post(UPLOADS, data={"other": (io.BytesIO(jpeg()), "a.jpg")}, headers=me,
                           content_type="multipart/form-data")
    assert response.status_code == 422
    response = client.post(UPLOADS, json={"file": "x"}, headers=me)
    assert response.status_code == 422
    assert upload_count() == 0


def test_departments_and_reviewers_may_upload_and_verifier_systems_may_not(client, staff, verifiers):
    assert upload(client, staff.headers("department"), jpeg()).status_code == 201
    assert upload(client, staff.headers("reviewer"), jpeg()).status_code == 201
    bank = verifiers.api_key_headers(verifiers.create("bank"))
    assert client.post(UPLOADS, data={"file": (io.BytesIO(jpeg()), "a.jpg")}, headers=bank,
                       content_type="multipart/form-data").status_code == 403


# -- ownership and attaching -----------------------------------------------------------------------------


def _owner(app, headers):
    from backend.web.access import authenticate

    with app.test_request_context(headers=headers):
        return uploads.owner_of(authenticate())


def test_someone_elses_upload_is_404_and_an_attached_one_409(app, client, residents, me):
    mine = upload_id(client, me)
    other = residents.headers("someone-else")
    owner, stranger = _owner(app, me), _owner(app, other)

    with pytest.raises(uploads.UploadNotFound):
        uploads.attach(stranger, [mine], "report", 1)
    with pytest.raises(uploads.UploadNotFound):
        uploads.attach(owner, ["no-such-upload"], "report", 1)
    uploads.attach(owner, [mine], "report", 1)
    db.session.commit()
    with pytest.raises(uploads.UploadUsed):
        uploads.attach(owner, [mine], "report", 2)
    with pytest.raises(uploads.UploadNotFound):
        uploads.attach(stranger, [mine], "report", 2)
    row = db.session.get(Upload, mine)
    assert (row.attached_to, row.attached_id) == ("report", 1)


def test_an_anonymous_attachment_forgets_its_owner(app, client, me):
    mine = upload_id(client, me)
    uploads.attach(_owner(app, me), [mine], "report", 7, anonymous=True)
    db.session.commit()
    row = db.session.get(Upload, mine)
    assert (row.owner_kind, row.owner_id, row.attached_id) == (None, None, 7)


def test_an_uncleanable_pdf_cannot_go_with_an_anonymous_report(app, client, me):
    locked = upload_id(client, me, encrypted_pdf(), filename="a.pdf", content_type="application/pdf")
    with pytest.raises(uploads.MetadataNotRemovable):
        uploads.attach(_owner(app, me), [locked], "report", 1, anonymous=True)
    assert db.session.get(Upload, locked).attached_to is None
    uploads.attach(_owner(app, me), [locked], "report", 1)


def test_cleanup_deletes_unattached_uploads_older_than_a_day_with_their_files(app, client, me, runner):
    old, fresh, attached = (upload_id(client, me) for _ in range(3))
    uploads.attach(_owner(app, me), [attached], "report", 1)
    for upload_id_ in (old, attached):
        db.session.get(Upload, upload_id_).created_at = utcnow() - timedelta(days=1, minutes=1)
    db.session.commit()
    old_key = db.session.get(Upload, old).storage_key

    result = runner.invoke(args=["uploads", "cleanup"])

    assert "1 unattached uploads deleted" in result.output
    db.session.expire_all()
    assert db.session.get(Upload, old) is None
    assert db.session.get(Upload, fresh) is not None and db.session.get(Upload, attached) is not None
    with pytest.raises(FileNotFoundError):
        storage().open(old_key)


def test_seconds_until_midnight_are_counted_in_shanghai():
    from datetime import UTC, datetime

    from backend.dates.timeutil import seconds_until_local_midnight

    # 15:59:30 UTC is 23:59:30 in Shanghai: thirty seconds to go.
    assert seconds_until_local_midnight(datetime(2026, 12, 3, 15, 59, 30, tzinfo=UTC)) == 30
    assert seconds_until_local_midnight(datetime(2026, 12, 3, 16, 0, 0, tzinfo=UTC)) == 24 * 3600
