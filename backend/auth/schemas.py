import marshmallow as ma
from marshmallow import validate

from backend.web.schemas import LocalDateTime, StrictSchema


class StaffLoginSchema(StrictSchema):
    username = ma.fields.String(required=True, validate=validate.Length(1, 64))
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(1, 200))


class RefreshSchema(StrictSchema):
    refresh_token = ma.fields.String(required=True, load_only=True, validate=validate.Length(10, 200))


class TokenPairSchema(ma.Schema):
    access_token = ma.fields.String(required=True)
    refresh_token = ma.fields.String(required=True)
    token_type = ma.fields.Constant("Bearer", required=True, metadata={"type": "string", "enum": ["Bearer"]})
    expires_in = ma.fields.Integer(required=True, metadata={"description": "seconds the access token lives"})
    access_expires_at = LocalDateTime(required=True)
    refresh_expires_at = LocalDateTime(required=True)
    roles = ma.fields.List(ma.fields.String(), required=True)
