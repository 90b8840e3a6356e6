"""Admins import and look up the registry at /api/v1/admin/residents."""

from flask.views import MethodView

from backend.accounts import service as accounts
from backend.data.import_files import uploaded_rows
from backend.residents import service
from backend.residents.schemas import (
    IMPORT_BODY,
    IMPORT_COLUMNS,
    IMPORT_LIMIT,
    AdminUnbindSchema,
    ImportResultSchema,
    ResidentQuery,
    ResidentSearchSchema,
)
from backend.web.access import ADMIN, current_principal
from backend.web.api import Blueprint, paginate
from backend.web.schemas import MaskedResidentSchema

blp = Blueprint("residents", __name__, url_prefix="/api/v1/admin/residents", description="Registry (admins)")


@blp.route("/import")
class ResidentImport(MethodView):
    @blp.access(ADMIN)
    @blp.body_limit(IMPORT_LIMIT)
    @blp.doc(requestBody=IMPORT_BODY)
    @blp.response(200, ImportResultSchema)
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @blp.doc(operationId="import_residents")
    def post(self):
        """Import residents from the registry

        Creates or updates residents by ID number (idempotent) from a CSV or NDJSON file; bad rows are reported by
        line, good rows land. A CSV header without the required columns is 422 columns_missing; a body over 64 MiB is
        413 too_large.
        """
        result = service.import_residents(current_principal(), uploaded_rows(IMPORT_COLUMNS))
        return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
                "errors": result.errors}


@blp.route("")
class ResidentList(MethodView):
    @blp.access(ADMIN)
    @blp.arguments(ResidentQuery, location="query")
    @blp.response(200, MaskedResidentSchema(many=True))
    @blp.paginate()
    @blp.doc(operationId="list_residents")
    def get(self, query, pagination_parameters):
        """Residents of the registry

        Residents with masked name, ID number and phone, filtered by town, village and status. Each page read is a
        query record.
        """
        return _page(query, pagination_parameters, "registry list")


@blp.route("/search")
class ResidentSearch(MethodView):
    @blp.access(ADMIN)
    @blp.arguments(ResidentSearchSchema)
    @blp.response(200, MaskedResidentSchema(many=True))
    @blp.paginate()
    @blp.doc(operationId="search_residents")
    def post(self, query, pagination_parameters):
        """Find residents by ID number or name

        Exact matches only. The ID number and name travel in the body, kept out of URLs and logs. Each search is a
        query record.
        """
        return _page(query, pagination_parameters, "registry search")


def _page(query, pagination_parameters, purpose):
    residents = paginate(service.list_residents(**query), pagination_parameters)
    return service.read_for_staff(current_principal(), residents, purpose=purpose)


@blp.route("/<int:resident_id>")
class ResidentItem(MethodView):
    @blp.access(ADMIN)
    @blp.response(200, MaskedResidentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(operationId="get_resident")
    def get(self, resident_id):
        """One resident

        The resident, masked. The read is a query record.
        """
        resident = service.get_resident(resident_id)
        return service.read_for_staff(current_principal(), [resident], purpose="registry look-up")[0]


@blp.route("/<int:resident_id>/unbind")
class ResidentUnbind(MethodView):
    @blp.access(ADMIN)
    @blp.arguments(AdminUnbindSchema)
    @blp.response(200, MaskedResidentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(operationId="unbind_resident")
    def post(self, data, resident_id):
        """Unbind a resident's WeChat account

        For a resident whose phone or WeChat account was lost: the binding ends with its sign-ins, and the reason is
        recorded in the audit trail.
        """
        resident = accounts.admin_unbind(current_principal(), resident_id, data["reason"])
        return service.masked(resident)
