"""Admins read and change settings at /api/v1/admin/settings."""

from flask.views import MethodView

from backend.settings import service
from backend.settings.schemas import SettingSchema, SettingsUpdateSchema
from backend.web.access import ADMIN, current_principal
from backend.web.api import Blueprint

blp = Blueprint("settings", __name__, url_prefix="/api/v1/admin/settings", description="Settings (admins)")


@blp.route("")
class Settings(MethodView):
    @blp.access(ADMIN)
    @blp.response(200, SettingSchema(many=True))
    def get(self):
        """Every setting with its type, value and default"""
        return service.describe()

    @blp.access(ADMIN)
    @blp.arguments(SettingsUpdateSchema)
    @blp.response(200, SettingSchema(many=True))
    def put(self, changes):
        """Change settings: all validated first, stored together, each change audited"""
        return service.update(current_principal(), changes)
