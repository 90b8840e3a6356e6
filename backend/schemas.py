"""Schema pieces every domain shares."""

import marshmallow as ma

from backend.timeutil import as_local


class LocalDateTime(ma.fields.DateTime):
    """A stored UTC time, shown in Asia/Shanghai with its offset (SPEC §10)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(as_local(value), attr, obj, **kwargs)


class StrictSchema(ma.Schema):
    """Request bodies refuse unknown fields, so a typo is a clear 422 rather than silently ignored."""

    class Meta:
        unknown = ma.RAISE




class IdNumber(ma.fields.String):
    """An ID number (身份证号), checked and normalised (SPEC §2); the message never repeats the number."""

    def _deserialize(self, value, attr, data, **kwargs):
        from backend.id_numbers import InvalidIdNumber, validate_id_number

        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return validate_id_number(text)
        except InvalidIdNumber as exc:
            raise ma.ValidationError(f"not a valid ID number: {exc}") from exc


class MaskedResidentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    masked_name = ma.fields.String(required=True)
    masked_id_number = ma.fields.String(required=True)
    masked_phone = ma.fields.String(allow_none=True)
    town = ma.fields.String(required=True)
    village = ma.fields.String(required=True)
    household_no = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": ["active", "moved", "deceased"]})
