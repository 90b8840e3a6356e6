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
    @blp.doc(operationId="list_settings")
    def get(self):
        """Product settings

        Every setting of the product with its type, current value and default.
        """
        return service.describe()

    @blp.access(ADMIN)
    @blp.arguments(SettingsUpdateSchema)
    @blp.response(200, SettingSchema(many=True))
    @blp.doc(operationId="update_settings")
    def put(self, changes):
        """Change settings

        Send a JSON object of setting keys and new values. All are validated first and stored together; each change is
        an audit record. An unknown key or a value out of bounds is 422 and changes nothing.
        """
        return service.update(current_principal(), changes)
