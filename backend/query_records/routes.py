"""A resident sees who read their credit: GET /api/v1/me/query-records."""

from flask.views import MethodView

from backend.accounts.service import bound_resident
from backend.query_records import service
from backend.query_records.schemas import QueryRecordSchema
from backend.web.access import RESIDENT, current_principal
from backend.web.api import Blueprint, paginate

blp = Blueprint("query_records", __name__, url_prefix="/api/v1/me/query-records",
                description="Who read my credit")


@blp.route("")
class MyQueryRecords(MethodView):
    @blp.access(RESIDENT)
    @blp.response(200, QueryRecordSchema(many=True))
    @blp.paginate()
    @blp.doc(operationId="list_my_query_records")
    def get(self, pagination_parameters):
        """Who read my credit

        Every read of my credit by someone other than me (verifier, department or office), newest first.
        """
        resident = bound_resident(current_principal())
        return paginate(service.for_resident(resident.id), pagination_parameters)
