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


class PageQuery(StrictSchema):
    pass
