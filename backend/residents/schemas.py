import marshmallow as ma
from marshmallow import validate

from backend.data.import_files import request_body
from backend.web.bodies import MIB
from backend.web.schemas import IdNumber, QuerySchema, StrictSchema


class ImportErrorSchema(ma.Schema):
    line = ma.fields.Integer(required=True)
    reason = ma.fields.String(required=True, metadata={"description": "invalid_input"})
    message = ma.fields.String(required=True, metadata={"description": "What is wrong with the line, naming the field"})


class ImportResultSchema(ma.Schema):
    created = ma.fields.Integer(required=True)
    updated = ma.fields.Integer(required=True)
    unchanged = ma.fields.Integer(required=True)
    errors = ma.fields.List(ma.fields.Nested(ImportErrorSchema), required=True)


class ResidentQuery(QuerySchema):
    town = ma.fields.String(validate=validate.Length(1, 50))
    village = ma.fields.String(validate=validate.Length(1, 50))
    status = ma.fields.String(validate=validate.OneOf(["active", "moved", "deceased"]))


class ResidentSearchSchema(ResidentQuery):
    """Personal data travels in the body, never in a URL an access log keeps (SPEC §2)."""

    id_number = IdNumber()
    name = ma.fields.String(validate=validate.Length(1, 50))


class AdminUnbindSchema(StrictSchema):
    reason = ma.fields.String(required=True, validate=validate.Length(2, 500))


# What a CSV header must name; phone and status are optional.
IMPORT_COLUMNS = ("name", "id_number", "town", "village", "household_no")
IMPORT_LIMIT = 64 * MIB
IMPORT_BODY = request_body("Up to 64 MiB. Fields: name, id_number, phone (optional), town, village, household_no, "
                           "status (active | moved | deceased, default active).", IMPORT_COLUMNS)
