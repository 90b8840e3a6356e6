"""Credit points over HTTP: the rubric, events, star levels, and the resident's own score."""

from flask import request
from flask.views import MethodView

from backend.accounts.service import bound_resident
from backend.credit import importing, levels, rubric, service
from backend.credit.schemas import (
    EVENT_IMPORT_BODY,
    CreditSchema,
    EventCreateSchema,
    EventImportResultSchema,
    EventSchema,
    MyEventQuery,
    PublicRubricQuery,
    RubricGroupSchema,
    RubricItemCreateSchema,
    RubricItemSchema,
    RubricItemUpdateSchema,
    RubricQuery,
    StaffEventQuery,
    StaffEventSchema,
    StarLevelsSchema,
    StarLevelsUpdateSchema,
)
from backend.data.import_files import UnsupportedFormat, UnsupportedMediaType, uploaded_rows
from backend.ratings import service as ratings
from backend.web.access import ADMIN, DEPARTMENT, RESIDENT, current_principal
from backend.web.api import Blueprint, paginate

admin_blp = Blueprint("credit_admin", __name__, url_prefix="/api/v1/admin",
                      description="Rubric, credit events and star levels (staff)")
public_blp = Blueprint("credit_public", __name__, url_prefix="/api/v1/public", description="Public rubric")
me_blp = Blueprint("credit_me", __name__, url_prefix="/api/v1/me/credit", description="My credit points")



@admin_blp.route("/rubric-items")
class RubricItems(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.arguments(RubricQuery, location="query")
    @admin_blp.response(200, RubricItemSchema(many=True))
    @admin_blp.paginate()
    def get(self, query, pagination_parameters):
        """Rubric items (city-wide and local), retired ones on request"""
        return paginate(rubric.list_items(**query, town_only=bool(query.get("town"))), pagination_parameters)

    @admin_blp.access(ADMIN)
    @admin_blp.arguments(RubricItemCreateSchema)
    @admin_blp.response(201, RubricItemSchema)
    @admin_blp.alt_response(409, response="CONFLICT")
    def post(self, data):
        """Add a rubric item; omitted fields take the defaults of its kind and severity"""
        return rubric.create_item(current_principal(), **data)


@admin_blp.route("/rubric-items/<string:code>")
class RubricItemView(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.response(200, RubricItemSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def get(self, code):
        """One rubric item"""
        return rubric.get_item(code)

    @admin_blp.access(ADMIN)
    @admin_blp.arguments(RubricItemUpdateSchema)
    @admin_blp.response(200, RubricItemSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def patch(self, data, code):
        """Change an item for future events (granted events keep their values); active=false retires it"""
        return rubric.update_item(current_principal(), code, data)


@public_blp.route("/rubric")
class PublicRubric(MethodView):
    @public_blp.public()
    @public_blp.arguments(PublicRubricQuery, location="query")
    @public_blp.response(200, RubricGroupSchema(many=True))
    def get(self, query):
        """The published rubric, grouped by category; with ?town= also that town's local items

        One bounded document, not paginated: the only list of the API without pages (SPEC §10). It holds
        the active items of the 100+N standard, a few hundred at most, so fetch it whole and cache it.
        """
        return rubric.public_rubric(query.get("town"))


@admin_blp.route("/credit-events")
class CreditEvents(MethodView):
    @admin_blp.access(ADMIN, DEPARTMENT)
    @admin_blp.arguments(EventCreateSchema)
    @admin_blp.response(201, StaffEventSchema)
    @admin_blp.alt_response(200, schema=StaffEventSchema, description="the same event was already recorded",
                            success=True)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(409, response="CONFLICT")
    def post(self, data):
        """Record a credit event; the same (source, source_ref) again returns the recorded one"""
        grant = service.grant_event(current_principal(), **data)
        return grant.event, 201 if grant.created else 200


# A department's monthly file of a million events is about 100 MB; other requests keep the app's limit.
IMPORT_MAX_BYTES = 256 * 1024 * 1024


@admin_blp.route("/credit-events/import")
class CreditEventImport(MethodView):
    @admin_blp.access(ADMIN, DEPARTMENT)
    @admin_blp.doc(requestBody=EVENT_IMPORT_BODY)
    @admin_blp.response(200, EventImportResultSchema)
    @admin_blp.alt_response(409, response="CONFLICT")
    @admin_blp.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")
    @admin_blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    @admin_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def post(self):
        """Record the credit events of a file (departments: rows of their own source only); bad rows are
        reported by line, good rows land; the same file again adds nothing"""
        request.max_content_length = IMPORT_MAX_BYTES
        rows = uploaded_rows(stream=True)
        try:
            return importing.import_events(current_principal(), rows)
        except UnsupportedFormat as exc:
            raise UnsupportedMediaType(str(exc)) from exc


@admin_blp.route("/credit-events/lookup")
class CreditEventLookup(MethodView):
    @admin_blp.access(ADMIN, DEPARTMENT)
    @admin_blp.arguments(StaffEventQuery)
    @admin_blp.response(200, StaffEventSchema(many=True))
    @admin_blp.paginate()
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def post(self, query, pagination_parameters):
        """A resident's events by ID number in the body (a department sees what it sent); each look-up
        is a query record"""
        return service.read_events_for_staff(current_principal(), query.pop("id_number"),
                                             lambda events: paginate(events, pagination_parameters), **query)


@admin_blp.route("/star-levels")
class StarLevels(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.response(200, StarLevelsSchema)
    def get(self):
        """Star levels with their thresholds and names"""
        return {"levels": levels.current_levels()}

    @admin_blp.access(ADMIN)
    @admin_blp.arguments(StarLevelsUpdateSchema)
    @admin_blp.response(200, StarLevelsSchema)
    def put(self, data):
        """Replace the thresholds and names; every account's stars follow at once"""
        return {"levels": levels.set_levels(current_principal(), data["levels"])}


@me_blp.route("")
class MyCredit(MethodView):
    @me_blp.access(RESIDENT)
    @me_blp.response(200, CreditSchema)
    def get(self):
        """My points, stars, level name, what holds them down, what the next level needs, and whether my
        household is a credit household"""
        resident = bound_resident(current_principal())
        return {**service.describe_account(service.get_account(resident.id)),
                "household": ratings.household_status(resident)}


@me_blp.route("/events")
class MyEvents(MethodView):
    @me_blp.access(RESIDENT)
    @me_blp.arguments(MyEventQuery, location="query")
    @me_blp.response(200, EventSchema(many=True))
    @me_blp.paginate()
    def get(self, query, pagination_parameters):
        """My credit events, newest first, filtered by kind and status"""
        resident = bound_resident(current_principal())
        return paginate(service.events_of(resident.id, **query), pagination_parameters)
