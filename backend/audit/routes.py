"""Admins read the audit trail at /api/v1/admin/audit; nobody edits it."""

from flask.views import MethodView

from backend.audit import service
from backend.audit.schemas import AuditQuery, AuditRecordSchema
from backend.web.access import ADMIN, current_principal
from backend.web.api import Blueprint, paginate

blp = Blueprint("audit", __name__, url_prefix="/api/v1/admin/audit", description="Audit records (admins)")


@blp.route("")
class AuditRecords(MethodView):
    @blp.access(ADMIN)
    @blp.arguments(AuditQuery, location="query")
    @blp.response(200, AuditRecordSchema(many=True))
    @blp.paginate()
    @blp.doc(operationId="list_audit_records")
    def get(self, query, pagination_parameters):
        """Audit records

        Every staff write (who, what, which object, when, before and after), newest first, filtered by the query.
        Nobody can change them.
        """
        return service.read(current_principal(), paginate(service.query(**query), pagination_parameters))
