"""Schema pieces every domain shares."""

from collections.abc import Mapping
from datetime import timedelta, timezone

import marshmallow as ma

from backend.dates.timeutil import as_local
from backend.i18n import _

# Before 1901 the zone database gives Shanghai its local mean time, +08:05:43, an offset RFC 3339
# cannot write; such times are shown at the standard offset instead.
CHINA_STANDARD_TIME = timezone(timedelta(hours=8))


class LocalDateTime(ma.fields.DateTime):
    """A stored UTC time, shown in Asia/Shanghai with its offset (SPEC §10)."""

    def _serialize(self, value, attr, obj, **kwargs):
        local = as_local(value)
        if local is not None and local.utcoffset() % timedelta(minutes=1):
            local = local.astimezone(CHINA_STANDARD_TIME)
        return super()._serialize(local, attr, obj, **kwargs)


class AwareDateTime(ma.fields.AwareDateTime):
    """A time a client sends, with its offset. One that cannot be stored in UTC or shown in Shanghai
    (year 1 at +14:00, the last hours of 9999) is invalid here, rather than an overflow later."""

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            as_local(moment)
        except OverflowError as exc:
            raise self.make_error("invalid", input=value, obj_type=self.OBJ_TYPE) from exc
        return moment


class Text(ma.fields.String):
    """Text a person typed: surrounding spaces are dropped, and blank text is not text."""

    def _deserialize(self, value, attr, data, **kwargs):
        text = super()._deserialize(value, attr, data, **kwargs).strip()
        if not text:
            raise ma.ValidationError(_("must not be blank"))
        return text


class StrictSchema(ma.Schema):
    """Request bodies refuse unknown fields, so a typo is a clear 422 rather than silently ignored."""

    class Meta:
        unknown = ma.RAISE

    @ma.pre_load
    def refuse_nul(self, data, **kwargs):
        """No text of ours holds a NUL character, and PostgreSQL refuses to even compare one: a 422."""
        if isinstance(data, Mapping):
            invalid = {name: [_("must not contain NUL characters")]
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

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("metadata", {}).setdefault("pattern", "^[0-9]{17}[0-9Xx]$")
        super().__init__(*args, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        from backend.privacy.id_numbers import InvalidIdNumber, validate_id_number

        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            return validate_id_number(text)
        except InvalidIdNumber as exc:
            raise ma.ValidationError(_("not a valid ID number: %(problem)s", problem=str(exc))) from exc


class MaskedResidentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    masked_name = ma.fields.String(required=True)
    masked_id_number = ma.fields.String(required=True)
    masked_phone = ma.fields.String(allow_none=True)
    town = ma.fields.String(required=True)
    village = ma.fields.String(required=True)
    household_no = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": ["active", "moved", "deceased"]})
