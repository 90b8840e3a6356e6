import marshmallow as ma
from marshmallow import validate

from backend.web.access import PERMISSIONS, STAFF_ROLES
from backend.web.schemas import LocalDateTime, QuerySchema, StrictSchema


class StaffSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    username = ma.fields.String(required=True)
    display_name = ma.fields.String(required=True)
    role = ma.fields.String(required=True, metadata={"enum": list(STAFF_ROLES)})
    source = ma.fields.String(allow_none=True)
    active = ma.fields.Boolean(required=True)
    permissions = ma.fields.List(ma.fields.String(), attribute="permission_names", required=True)
    created_at = LocalDateTime(required=True)
    disabled_at = LocalDateTime(allow_none=True)


class StaffCreateSchema(StrictSchema):
    username = ma.fields.String(required=True, validate=validate.Length(3, 64))
    display_name = ma.fields.String(required=True, validate=validate.Length(1, 100))
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(max=200))
    role = ma.fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))
    source = ma.fields.String(validate=validate.Length(2, 64))
    permissions = ma.fields.List(ma.fields.String(validate=validate.OneOf(list(PERMISSIONS))),
                                 load_default=list)


class StaffUpdateSchema(StrictSchema):
    display_name = ma.fields.String(validate=validate.Length(1, 100))
    password = ma.fields.String(load_only=True, validate=validate.Length(max=200))


class StaffListQuery(QuerySchema):
    role = ma.fields.String(validate=validate.OneOf(STAFF_ROLES))
    active = ma.fields.Boolean()


class PermissionSchema(StrictSchema):
    permission = ma.fields.String(required=True, validate=validate.OneOf(list(PERMISSIONS)))
