import marshmallow as ma
from marshmallow import validate

from backend.data.types import MAX_DB_INTEGER
from backend.web.schemas import AwareDateTime, LocalDateTime, QuerySchema


class AuditRecordSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    at = LocalDateTime(required=True)
    actor_kind = ma.fields.String(required=True)
    actor_id = ma.fields.Integer(allow_none=True)
    actor_name = ma.fields.String(allow_none=True)
    action = ma.fields.String(required=True)
    object_type = ma.fields.String(required=True)
    object_id = ma.fields.String(allow_none=True)
    before = ma.fields.Dict(allow_none=True)
    after = ma.fields.Dict(allow_none=True)
    note = ma.fields.String(allow_none=True)


class AuditQuery(QuerySchema):
    action = ma.fields.String()
    object_type = ma.fields.String()
    object_id = ma.fields.String()
    actor_id = ma.fields.Integer(validate=validate.Range(min=0, max=MAX_DB_INTEGER))
    since = AwareDateTime(default_timezone=None)
    until = AwareDateTime(default_timezone=None)
