import marshmallow as ma

from backend.i18n import _
from backend.settings.defaults import SETTINGS

# A setting's value by its type: integer, fraction (a number from 0 to 1), text (the credit reports' issuer) or
# list (working-day overrides).
SETTING_VALUE = {"anyOf": [
    {"type": "integer"},
    {"type": "number"},
    {"type": "string"},
    {"type": "array", "items": {"type": "object", "required": ["date", "working"], "properties": {
        "date": {"type": "string", "format": "date"}, "working": {"type": "boolean"},
        "name": {"type": "string", "maxLength": 50}}}},
]}


class SettingSchema(ma.Schema):
    key = ma.fields.String(required=True)
    type = ma.fields.String(required=True, metadata={"enum": sorted({s.type for s in SETTINGS.values()})})
    value = ma.fields.Raw(required=True, metadata=SETTING_VALUE)
    default = ma.fields.Raw(required=True, metadata=SETTING_VALUE)
    description = ma.fields.String(required=True)
    changed = ma.fields.Boolean(required=True)


class SettingsUpdateSchema(ma.Schema):
    """A JSON object of setting keys and their new values; unknown keys are refused."""

    class Meta:
        unknown = ma.INCLUDE

    @ma.post_load(pass_original=True)
    def keep_all(self, _data, original, **kwargs):
        if not isinstance(original, dict):
            raise ma.ValidationError(_("send a JSON object of settings"))
        unknown = sorted(set(original) - set(SETTINGS))
        if unknown:
            raise ma.ValidationError({key: [_("unknown setting")] for key in unknown})
        return dict(original)
