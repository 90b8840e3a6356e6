"""GET /api/v1/health: is the database reachable, and the shared store."""

import marshmallow as ma
from flask.views import MethodView
from sqlalchemy import text

from backend.data.cache import store
from backend.data.extensions import db
from backend.web.api import Blueprint

blp = Blueprint("health", __name__, url_prefix="/api/v1/health", description="Service health")


class HealthSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"enum": ["ok", "degraded"]})
    database = ma.fields.String(required=True, metadata={"enum": ["ok", "unavailable"]})
    redis = ma.fields.String(required=True, metadata={"enum": ["ok", "embedded", "unavailable"]})


def _database_ok() -> bool:
    try:
        db.session.execute(text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure means "not reachable" here
        db.session.rollback()
        return False


@blp.route("")
class Health(MethodView):
    @blp.public(limited=False)
    @blp.response(200, HealthSchema)
    @blp.alt_response(503, schema=HealthSchema, description="The database or Redis is unreachable")
    @blp.doc(operationId="get_health")
    def get(self):
        """Health

        The state of the database and Redis; 503 when either is down.
        """
        shared = store()
        database = "ok" if _database_ok() else "unavailable"
        redis_state = "embedded" if shared.embedded else ("ok" if shared.ping() else "unavailable")
        healthy = database == "ok" and redis_state != "unavailable"
        body = {"status": "ok" if healthy else "degraded", "database": database, "redis": redis_state}
        return body, 200 if healthy else 503
