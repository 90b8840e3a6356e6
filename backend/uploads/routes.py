"""POST /api/v1/uploads: a file from the phone (wx.uploadFile) or the console, kept for its uploader."""

from flask import request, send_file
from flask.views import MethodView

from backend.i18n import _
from backend.uploads import service
from backend.uploads.errors import FileTooLarge
from backend.uploads.schemas import UPLOAD_BODY, UploadSchema
from backend.web.access import ADMIN, DEPARTMENT, RESIDENT, REVIEWER, current_principal, keep_caller_out_of_logs
from backend.web.api import Blueprint
from backend.web.errors import InvalidInput

blp = Blueprint("uploads", __name__, url_prefix="/api/v1/uploads", description="Photos and PDFs")

# The OpenAPI answer of every endpoint that serves an attachment.
ATTACHMENT_RESPONSE = {"description": "the file, as a download (Content-Disposition: attachment)",
                       "content": {media: {"schema": {"type": "string", "format": "binary"}}
                                   for media in ("image/jpeg", "image/png", "application/pdf")}}


def download(upload, stem: str):
    """A stored attachment as the answer of an authorised endpoint: a download, never rendered in the
    browser, never sniffed, never cached; ``stem`` names the file (``JB-20261203-0042-q3J9xW2L``)."""
    response = send_file(service.open_file(upload), mimetype=upload.media_type, as_attachment=True,
                         download_name=service.download_name(upload, stem), max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


@blp.route("")
class Uploads(MethodView):
    @blp.access(RESIDENT, REVIEWER, ADMIN, DEPARTMENT)
    @blp.doc(requestBody=UPLOAD_BODY)
    @blp.response(201, UploadSchema)
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    @blp.doc(operationId="create_upload")
    def post(self):
        """Upload a photo

        Upload a photo (JPEG, PNG: re-encoded without EXIF) or a PDF (without its document details); attach it
        afterwards by its upload_id.
        """
        keep_caller_out_of_logs()
        limit = service.max_body_bytes()
        # Refused from the header alone, before a byte of the body is read.
        if request.content_length is not None and request.content_length > limit:
            raise FileTooLarge(service.max_bytes())
        # A body without Content-Length (chunked) is cut off at the limit while it is read.
        request.max_content_length = limit
        principal = current_principal()
        service.count_daily(principal)
        if request.mimetype != "multipart/form-data":
            raise InvalidInput(_("send the file in the multipart field 'file'"), field="file")
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInput(_("send the file in the multipart field 'file'"), field="file")
        return service.receive(principal, upload.stream), 201
