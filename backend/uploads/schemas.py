import marshmallow as ma

from backend.uploads.models import MEDIA_TYPES
from backend.web.schemas import LocalDateTime

UPLOAD_BODY = {
    "required": True,
    "description": "A multipart body with the file in field `file`, as `wx.uploadFile` sends it. JPEG, PNG or "
                   "PDF, told by its bytes; at most `uploads.max_bytes` (10 MB by default).",
    "content": {"multipart/form-data": {"schema": {
        "type": "object", "required": ["file"],
        "properties": {"file": {"type": "string", "format": "binary"}}}}},
}


class UploadSchema(ma.Schema):
    upload_id = ma.fields.String(required=True, attribute="id")
    media_type = ma.fields.String(required=True, metadata={"enum": list(MEDIA_TYPES)})
    size = ma.fields.Integer(required=True, metadata={"description": "bytes, after the metadata was removed"})
    metadata_removed = ma.fields.Boolean(required=True, metadata={
        "description": "false only for a PDF whose document details could not be removed: such a file "
                       "cannot go with an anonymous report"})
    created_at = LocalDateTime(required=True)


class AttachmentSchema(ma.Schema):
    upload_id = ma.fields.String(required=True, attribute="id")
    media_type = ma.fields.String(required=True, metadata={"enum": list(MEDIA_TYPES)})
    size = ma.fields.Integer(required=True)
