import marshmallow as ma
from marshmallow import validate

from backend.web.schemas import IdNumber, LocalDateTime, MaskedResidentSchema, StrictSchema


class WeChatLoginSchema(StrictSchema):
    code = ma.fields.String(required=True, load_only=True, validate=validate.Length(1, 128),
                            metadata={"description": "the code from wx.login()"})


class BindSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=validate.Length(1, 50))
    id_number = IdNumber(required=True)
    phone_code = ma.fields.String(load_only=True, validate=validate.Length(1, 128),
                                  metadata={"description": "the code from the getPhoneNumber button; "
                                                           "always send it, it is needed when the registry "
                                                           "holds a phone"})


class MeSchema(ma.Schema):
    account_id = ma.fields.Integer(required=True)
    roles = ma.fields.List(ma.fields.String(), required=True)
    bound = ma.fields.Boolean(required=True)
    bound_at = LocalDateTime(allow_none=True)
    resident = ma.fields.Nested(MaskedResidentSchema, allow_none=True)


class BindResultSchema(ma.Schema):
    bound = ma.fields.Boolean(required=True)
    resident = ma.fields.Nested(MaskedResidentSchema, required=True)
