"""The interactive docs page's own assets, served by the app so the page works offline."""

from pathlib import Path

import swagger_ui_bundle
from flask import Blueprint, send_from_directory

from backend.web.access import PUBLIC_ASSET, AccessRule, guarded

ASSETS = Path(swagger_ui_bundle.swagger_ui_path)
DOCUMENTATION = AccessRule(None, limited=False)

blp = Blueprint("docs_assets", __name__, url_prefix="/api/v1/docs/assets")


@blp.route("/<path:filename>")
@guarded(PUBLIC_ASSET)
def asset(filename):
    return send_from_directory(ASSETS, filename, max_age=86400)


def guard_documentation_views(app) -> None:
    """flask-smorest adds the OpenAPI document and docs page itself; give them their access rule."""
    for endpoint, view in list(app.view_functions.items()):
        if endpoint.startswith("api-docs."):
            app.view_functions[endpoint] = guarded(DOCUMENTATION)(view)
