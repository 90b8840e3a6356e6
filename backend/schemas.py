"""Schema pieces every domain shares."""

from collections.abc import Mapping

import marshmallow as ma

from backend.timeutil import as_local, as_utc


class LocalDateTime(ma.fields.DateTime):
    """A stored UTC time, shown in Asia/Shanghai with its offset (SPEC §10)."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(as_local(value), attr, obj, **kwargs)


class AwareDateTime(ma.fields.AwareDateTime):
    """A time a client sends, with its offset. One without a UTC equivalent (year 1 at +14:00) is
    invalid here, rather than an overflow where it is stored or compared."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            as_utc(moment)
        except OverflowError as exc:
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from exc
        return moment


class StrictSchema(ma.Schema):
    """Request bodies refuse unknown fields, so a typo is a clear 422 rather than silently ignored."""

    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def refuse_nul(self, data, **kwargs):
        """No text of ours holds a NUL character, and PostgreSQL refuses to even compare one: a 422."""
        if isinstance(data, Mapping):
            invalid = {name: ["must not contain NUL characters"]
                       for name, value in data.items() if _has_nul(value)}
            if invalid:
                raise ma.ValidationError(invalid)
        return data


PAGINATION_PARAMETERS = ("page", "page_size")


class QuerySchema(StrictSchema):
    """Query parameters: unknown ones are refused; ``page`` and ``page_size`` belong to the pagination,
    which reads them itself."""

    @ma.pre_load
    def leave_pagination_out(self, data, **kwargs):
        if isinstance(data, Mapping):
            return {key: data[key] for key in data if key not in PAGINATION_PARAMETERS}
        return data


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(item) for item in value)
    return False




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
