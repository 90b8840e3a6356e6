"""The public credit query over HTTP (SPEC §7): public look-ups for anyone (rate limited per IP), and the
credit office's and departments' records, imports, removals, repairs, exposures and feed."""

from flask import Response, request, stream_with_context
from flask.views import MethodView

from backend.data.import_files import UnsupportedFormat, UnsupportedMediaType, uploaded_rows
from backend.dates.timeutil import as_local, utcnow
from backend.i18n import _
from backend.public_credit import feed, importing, service
from backend.public_credit.models import LISTS
from backend.public_credit.schemas import (
    DISCLOSURE_IMPORT_BODY,
    ENTERPRISE_IMPORT_BODY,
    LIST_IMPORT_BODY,
    DisclosureCreateSchema,
    DisclosureExportQuery,
    DisclosureRepairSchema,
    DisclosureSchema,
    DisclosureVoidSchema,
    EnterpriseCreateSchema,
    EnterprisePageSchema,
    EnterpriseQuery,
    EnterpriseSummarySchema,
    ExposureCreateSchema,
    ExposureQuery,
    ExposureSchema,
    ExposureUnpublishSchema,
    ListEntryCreateSchema,
    ListEntryQuery,
    ListEntryRemovalSchema,
    ListEntrySchema,
    PublicDisclosureQuery,
    PublicEnterpriseQuery,
    RecordImportResultSchema,
    StaffDisclosureDetailSchema,
    StaffDisclosureQuery,
    StaffDisclosureSchema,
    StaffEnterpriseSchema,
    StaffExposureSchema,
    StaffListEntryDetailSchema,
    StaffListEntrySchema,
)
from backend.web.access import ADMIN, DEPARTMENT, current_principal
from backend.web.api import Blueprint, paginate
from backend.web.errors import NotFound

public_blp = Blueprint("public_credit", __name__, url_prefix="/api/v1/public",
                       description="Public credit query (信用信息全公示): enterprises, disclosures, lists, exposures")
admin_blp = Blueprint("public_credit_admin", __name__, url_prefix="/api/v1/admin",
                      description="Enterprises, 双公示 disclosures, list entries, exposures and the feed (staff)")

# A department's file of a million disclosures in the standard's columns is some 400 MB.
IMPORT_MAX_BYTES = 512 * 1024 * 1024
CREATED = {True: 201, False: 200}


def _imported(importer, header):
    request.max_content_length = IMPORT_MAX_BYTES
    rows = uploaded_rows(header, stream=True)
    try:
        return importer(current_principal(), rows)
    except UnsupportedFormat as exc:
        raise UnsupportedMediaType(str(exc)) from exc


def _import_view(blp, importer, header, roles, body, operation_id, summary, description):
    """An import endpoint: the file streamed in, counts and errors by line out."""

    @blp.access(*roles)
    @blp.doc(requestBody=body, operationId=operation_id, summary=summary, description=description)
    @blp.response(200, RecordImportResultSchema)
    @blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self):
        return _imported(importer, header)

    return post


# --- public ---------------------------------------------------------------------------------------------


@public_blp.route("/enterprises")
class PublicEnterprises(MethodView):
    @public_blp.public()
    @public_blp.arguments(PublicEnterpriseQuery, location="query")
    @public_blp.response(200, EnterpriseSummarySchema(many=True))
    @public_blp.paginate()
    @public_blp.doc(operationId="public_list_enterprises")
    def get(self, query, pagination_parameters):
        """Search enterprises

        Search enterprises by a substring of the name or an exact USCC; each with what is shown of it.
        """
        return service.enterprise_summaries(service.page_of(service.search_enterprises(query["q"]),
                                                            pagination_parameters))


@public_blp.route("/enterprises/<string:uscc>")
class PublicEnterprise(MethodView):
    @public_blp.public()
    @public_blp.response(200, EnterprisePageSchema)
    @public_blp.alt_response(404, response="NOT_FOUND")
    @public_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @public_blp.doc(operationId="public_get_enterprise")
    def get(self, uscc):
        """An enterprise's page

        An enterprise's page: registration, licences, penalties, list entries and exposures shown now.
        """
        return service.enterprise_page(uscc)


@public_blp.route("/disclosures")
class PublicDisclosures(MethodView):
    @public_blp.public()
    @public_blp.arguments(PublicDisclosureQuery, location="query")
    @public_blp.response(200, DisclosureSchema(many=True))
    @public_blp.paginate()
    @public_blp.doc(operationId="public_list_disclosures")
    def get(self, query, pagination_parameters):
        """Licences and penalties shown now

        Licences and penalties shown now (双公示), newest decision first.
        """
        return paginate(service.public_disclosures(**query), pagination_parameters)


@public_blp.route("/lists/<string:list_name>")
class PublicList(MethodView):
    @public_blp.public()
    @public_blp.response(200, ListEntrySchema(many=True))
    @public_blp.paginate()
    @public_blp.alt_response(404, response="NOT_FOUND")
    @public_blp.doc(operationId="public_get_credit_list")
    def get(self, list_name, pagination_parameters):
        """A public credit list

        The red (守信红名单), watch (重点关注名单) or black (失信黑名单) list: entries not removed.
        """
        if list_name not in LISTS:
            raise NotFound(_("No such list: red, watch or black."))
        return paginate(service.public_list(list_name), pagination_parameters)


@public_blp.route("/exposures")
class PublicExposures(MethodView):
    @public_blp.public()
    @public_blp.response(200, ExposureSchema(many=True))
    @public_blp.paginate()
    @public_blp.doc(operationId="public_list_exposures")
    def get(self, pagination_parameters):
        """Published exposure cases (曝光台)

        The 曝光台: published cases whose penalty is still disclosed.
        """
        return paginate(service.public_exposures(), pagination_parameters)


# --- enterprises ----------------------------------------------------------------------------------------


@admin_blp.route("/enterprises")
class Enterprises(MethodView):
    @admin_blp.access(ADMIN, DEPARTMENT)
    @admin_blp.arguments(EnterpriseQuery, location="query")
    @admin_blp.response(200, StaffEnterpriseSchema(many=True))
    @admin_blp.paginate()
    @admin_blp.doc(operationId="list_enterprises")
    def get(self, query, pagination_parameters):
        """Enterprises

        Enterprises, by name substring or USCC, kind and status.
        """
        return paginate(service.list_enterprises(**query), pagination_parameters)

    @admin_blp.access(ADMIN)
    @admin_blp.arguments(EnterpriseCreateSchema)
    @admin_blp.response(201, StaffEnterpriseSchema)
    @admin_blp.alt_response(200, schema=StaffEnterpriseSchema, success=True,
                            description="the USCC was known: the enterprise is updated (or unchanged)")
    @admin_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @admin_blp.doc(operationId="create_enterprise")
    def post(self, data):
        """Record an enterprise by USCC

        Record an enterprise by USCC; the same USCC again updates it.
        """
        enterprise, outcome = service.record_enterprise(current_principal(), data)
        return enterprise, CREATED[outcome == importing.CREATED]


@admin_blp.route("/enterprises/import")
class EnterpriseImport(MethodView):
    post = _import_view(admin_blp, importing.import_enterprises, importing.ENTERPRISE_HEADER,
                        (ADMIN,), ENTERPRISE_IMPORT_BODY,
                        "import_enterprises", "Import enterprises",
                        "Records the enterprises of a CSV file, by USCC: a known USCC is updated, a new one created. "
                        "Bad rows are reported by line; the others are recorded.")


@admin_blp.route('/enterprises/<string(besides="import"):uscc>')
class EnterpriseItem(MethodView):
    @admin_blp.access(ADMIN, DEPARTMENT)
    @admin_blp.response(200, StaffEnterpriseSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @admin_blp.doc(operationId="get_enterprise")
    def get(self, uscc):
        """One enterprise

        An enterprise by its USCC, as the credit office recorded it, whatever its status.
        """
        return service.get_enterprise(uscc)


# --- disclosures ----------------------------------------------------------------------------------------


@admin_blp.route("/disclosures")
class Disclosures(MethodView):
    @admin_blp.access(ADMIN, DEPARTMENT)
    @admin_blp.arguments(StaffDisclosureQuery, location="query")
    @admin_blp.response(200, StaffDisclosureSchema(many=True))
    @admin_blp.paginate()
    @admin_blp.doc(operationId="list_disclosures")
    def get(self, query, pagination_parameters):
        """Disclosures of any status

        Disclosures of any status, newest first (a department sees its own source's).
        """
        return paginate(service.list_disclosures(current_principal(), **query), pagination_parameters)

    @admin_blp.access(ADMIN, DEPARTMENT)
    @admin_blp.arguments(DisclosureCreateSchema)
    @admin_blp.response(201, StaffDisclosureDetailSchema)
    @admin_blp.alt_response(200, schema=StaffDisclosureDetailSchema, success=True,
                            description="the key (type, authority, decision number) was known: updated, the "
                                        "former content kept as a version, or unchanged")
    @admin_blp.alt_response(409, response="CONFLICT")
    @admin_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @admin_blp.doc(operationId="create_disclosure")
    def post(self, data):
        """Record one licence or penalty

        Record one licence or penalty, as a row of the import would be (departments: their own source).
        """
        disclosure, outcome = service.record_disclosure(current_principal(), data)
        return disclosure, CREATED[outcome == importing.CREATED]


@admin_blp.route("/disclosures/import")
class DisclosureImport(MethodView):
    post = _import_view(admin_blp, importing.import_disclosures, importing.DISCLOSURE_HEADER,
                        (ADMIN, DEPARTMENT), DISCLOSURE_IMPORT_BODY,
                        "import_disclosures", "Import licences and penalties",
                        "Records the licences and penalties (双公示) of a CSV file, with our column names or the "
                        "national standard's codes. Departments send rows of their own source only; bad rows are "
                        "reported by line.")


@admin_blp.route("/disclosures/<int:disclosure_id>")
class DisclosureItem(MethodView):
    @admin_blp.access(ADMIN, DEPARTMENT)
    @admin_blp.response(200, StaffDisclosureDetailSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.doc(operationId="get_disclosure")
    def get(self, disclosure_id):
        """One disclosure

        One licence or penalty of any status, with its status history and former versions.
        """
        return service.get_disclosure(disclosure_id, current_principal())

    @admin_blp.access(ADMIN, DEPARTMENT)
    @admin_blp.arguments(DisclosureVoidSchema)
    @admin_blp.response(200, StaffDisclosureDetailSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(409, response="CONFLICT")
    @admin_blp.doc(operationId="withdraw_disclosure")
    def delete(self, data, disclosure_id):
        """Withdraw a record

        Withdraw a record (voided): it leaves every public answer at once and stays on record.
        """
        return service.void_disclosure(current_principal(), disclosure_id, data["reason"])


@admin_blp.route("/disclosures/<int:disclosure_id>/repair")
class DisclosureRepair(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.arguments(DisclosureRepairSchema)
    @admin_blp.response(200, StaffDisclosureDetailSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(409, response="CONFLICT")
    @admin_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @admin_blp.doc(operationId="repair_disclosure")
    def post(self, data, disclosure_id):
        """Record an enterprise's early end after repair

        Record an enterprise's early end after repair (信用修复) once its minimum period has passed.
        """
        return service.repair_disclosure(current_principal(), disclosure_id, data["note"], data["evidence"])


# --- list entries ---------------------------------------------------------------------------------------


@admin_blp.route("/list-entries")
class ListEntries(MethodView):
    @admin_blp.access(ADMIN, DEPARTMENT)
    @admin_blp.arguments(ListEntryQuery, location="query")
    @admin_blp.response(200, StaffListEntrySchema(many=True))
    @admin_blp.paginate()
    @admin_blp.doc(operationId="list_list_entries")
    def get(self, query, pagination_parameters):
        """List entries

        List entries, removed ones included (a department sees its own source's).
        """
        return paginate(service.list_entries(current_principal(), **query), pagination_parameters)

    @admin_blp.access(ADMIN, DEPARTMENT)
    @admin_blp.arguments(ListEntryCreateSchema)
    @admin_blp.response(201, StaffListEntryDetailSchema)
    @admin_blp.alt_response(200, schema=StaffListEntryDetailSchema, success=True,
                            description="the key (list, subject, listed_on) was known: updated or unchanged")
    @admin_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @admin_blp.doc(operationId="create_list_entry")
    def post(self, data):
        """List an enterprise or a person

        List an enterprise or a person, as a row of the import would be (departments: their own source).
        """
        entry, outcome = service.record_list_entry(current_principal(), data)
        return entry, CREATED[outcome == importing.CREATED]


@admin_blp.route("/list-entries/import")
class ListEntryImport(MethodView):
    post = _import_view(admin_blp, importing.import_list_entries, importing.LIST_HEADER,
                        (ADMIN, DEPARTMENT), LIST_IMPORT_BODY,
                        "import_list_entries", "Import list entries",
                        "Records the red, watch and black list entries of a CSV file. Departments send rows of their "
                        "own source only; bad rows are reported by line.")


@admin_blp.route("/list-entries/<int:entry_id>")
class ListEntryItem(MethodView):
    @admin_blp.access(ADMIN, DEPARTMENT)
    @admin_blp.response(200, StaffListEntryDetailSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.doc(operationId="get_list_entry")
    def get(self, entry_id):
        """One list entry

        One red, watch or black list entry, removed ones included, with its former versions.
        """
        return service.get_list_entry(entry_id, current_principal())

    @admin_blp.access(ADMIN, DEPARTMENT)
    @admin_blp.arguments(ListEntryRemovalSchema)
    @admin_blp.response(200, StaffListEntryDetailSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(409, response="CONFLICT")
    @admin_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @admin_blp.doc(operationId="remove_list_entry")
    def delete(self, data, entry_id):
        """Remove an entry from its list

        Remove an entry from its list (who, when, why): it leaves the public list and stays on record.
        """
        return service.remove_list_entry(current_principal(), entry_id, data)


# --- exposures ------------------------------------------------------------------------------------------


@admin_blp.route("/exposures")
class Exposures(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.arguments(ExposureQuery, location="query")
    @admin_blp.response(200, StaffExposureSchema(many=True))
    @admin_blp.paginate()
    @admin_blp.doc(operationId="list_exposures")
    def get(self, query, pagination_parameters):
        """Every exposure

        Every exposure, newest first, with whether the public sees it now.
        """
        return paginate(service.list_exposures(**query), pagination_parameters)

    @admin_blp.access(ADMIN)
    @admin_blp.arguments(ExposureCreateSchema)
    @admin_blp.response(201, StaffExposureSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(409, response="CONFLICT")
    @admin_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @admin_blp.doc(operationId="create_exposure")
    def post(self, data):
        """Publish an exposure case

        Publishes a case on the 曝光台 for a penalty that is disclosed now; it leaves the public page
        when the penalty's disclosure ends.
        """
        return service.publish_exposure(current_principal(), **data)


@admin_blp.route("/exposures/<int:exposure_id>")
class ExposureItem(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.response(200, StaffExposureSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.doc(operationId="get_exposure")
    def get(self, exposure_id):
        """One exposure

        One exposure case, published or not, with whether the public sees it now.
        """
        return service.get_exposure(exposure_id)

    @admin_blp.access(ADMIN)
    @admin_blp.arguments(ExposureUnpublishSchema)
    @admin_blp.response(200, StaffExposureSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(409, response="CONFLICT")
    @admin_blp.doc(operationId="unpublish_exposure")
    def delete(self, data, exposure_id):
        """Unpublish a case

        Unpublish a case (it stays on record).
        """
        return service.unpublish_exposure(current_principal(), exposure_id, data["reason"])


# --- the feed -------------------------------------------------------------------------------------------


@admin_blp.route("/exports/disclosures")
class DisclosureExport(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.arguments(DisclosureExportQuery, location="query")
    @admin_blp.doc(responses={"200": {
        "description": "the changes, streamed: CSV with a header row, or NDJSON; X-Feed-As-Of holds the time "
                       "they run to",
        "content": {"text/csv": {"schema": {"type": "string"}},
                    "application/x-ndjson": {"schema": {"type": "string"}}}}})
    @admin_blp.doc(operationId="export_disclosures")
    def get(self, query):
        """The disclosures changed since a time

        The disclosures changed since a time, in the national standard's codes and units (信用信息上报).
        """
        as_of = utcnow()
        statement = feed.changes(query.get("since"), as_of, query.get("type"))
        if query["format"] == "ndjson":
            lines, mimetype = feed.ndjson_lines(statement), "application/x-ndjson"
        else:
            lines, mimetype = feed.csv_lines(statement), "text/csv"
        return Response(stream_with_context(lines), mimetype=mimetype,
                        headers={"X-Feed-As-Of": as_local(as_of).isoformat(), "Cache-Control": "no-store"})
