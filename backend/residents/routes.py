"""Admins import and look up the registry at /api/v1/admin/residents."""

from flask.views import MethodView

from backend.accounts import service as accounts
from backend.data.import_files import UnsupportedFormat, UnsupportedMediaType, uploaded_rows
from backend.residents import service
from backend.residents.schemas import (
    IMPORT_BODY,
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
    @blp.doc(requestBody=IMPORT_BODY)
    @blp.response(200, ImportResultSchema)
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self):
        """Import residents from the population registry (idempotent by ID number)"""
        rows = uploaded_rows()
        try:
            result = service.import_residents(current_principal(), rows)
        except UnsupportedFormat as exc:
            raise UnsupportedMediaType(str(exc)) from exc
        return {"created": result.created, "updated": result.updated, "unchanged": result.unchanged,
                "errors": result.errors}


@blp.route("")
class ResidentList(MethodView):
    @blp.access(ADMIN)
    @blp.arguments(ResidentQuery, location="query")
    @blp.response(200, MaskedResidentSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """Residents, masked, filtered by town, village and status"""
        return _page(query, pagination_parameters, "registry list")


@blp.route("/search")
class ResidentSearch(MethodView):
    @blp.access(ADMIN)
    @blp.arguments(ResidentSearchSchema)
    @blp.response(200, MaskedResidentSchema(many=True))
    @blp.paginate()
    def post(self, query, pagination_parameters):
        """Find residents by exact ID number or name (sent in the body, kept out of URLs)"""
        return _page(query, pagination_parameters, "registry search")


def _page(query, pagination_parameters, purpose):
    residents = paginate(service.list_residents(**query), pagination_parameters)
    return service.read_for_staff(current_principal(), residents, purpose=purpose)


@blp.route("/<int:resident_id>")
class ResidentItem(MethodView):
    @blp.access(ADMIN)
    @blp.response(200, MaskedResidentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, resident_id):
        """One resident, masked"""
        resident = service.get_resident(resident_id)
        return service.read_for_staff(current_principal(), [resident], purpose="registry look-up")[0]


@blp.route("/<int:resident_id>/unbind")
class ResidentUnbind(MethodView):
    @blp.access(ADMIN)
    @blp.arguments(AdminUnbindSchema)
    @blp.response(200, MaskedResidentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, data, resident_id):
        """Unbind a resident whose phone or WeChat account was lost (audited; the old sign-ins end)"""
        resident = accounts.admin_unbind(current_principal(), resident_id, data["reason"])
        return service.masked(resident)
