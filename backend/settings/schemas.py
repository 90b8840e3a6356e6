import marshmallow as ma

from backend.settings.defaults import SETTINGS


class SettingSchema(ma.Schema):
    key = ma.fields.String(required=True)
    type = ma.fields.String(required=True)
    value = ma.fields.Raw(required=True, allow_none=True)
    default = ma.fields.Raw(required=True, allow_none=True)
    description = ma.fields.String(required=True)
    changed = ma.fields.Boolean(required=True)


class SettingsUpdateSchema(ma.Schema):
    """A JSON object of setting keys and their new values; unknown keys are refused."""

    class Meta:
        unknown = ma.INCLUDE

    @ma.post_load(pass_original=True)
    def keep_all(self, _data, original, **kwargs):
        if not isinstance(original, dict):
            raise ma.ValidationError("send a JSON object of settings")
        unknown = sorted(set(original) - set(SETTINGS))
        if unknown:
            raise ma.ValidationError({key: ["unknown setting"] for key in unknown})
        return dict(original)
