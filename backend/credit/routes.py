"""Credit points over HTTP: the rubric, events, star levels, and the resident's own score."""

from flask.views import MethodView

from backend.accounts.service import bound_resident
from backend.credit import importing, levels, rubric, service
from backend.credit.schemas import (
    EVENT_IMPORT_BODY,
    EVENT_IMPORT_COLUMNS,
    EVENT_IMPORT_LIMIT,
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
    SentEventQuery,
    SentEventSchema,
    StaffEventQuery,
    StaffEventSchema,
    StarLevelsSchema,
    StarLevelsUpdateSchema,
)
from backend.data.import_files import uploaded_rows
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
    @admin_blp.doc(operationId="list_rubric_items")
    def get(self, query, pagination_parameters):
        """Rubric items

        City-wide and local items of the rubric; retired ones on request.
        """
        return paginate(rubric.list_items(**query, town_only=bool(query.get("town"))), pagination_parameters)

    @admin_blp.access(ADMIN)
    @admin_blp.arguments(RubricItemCreateSchema)
    @admin_blp.response(201, RubricItemSchema)
    @admin_blp.alt_response(409, response="CONFLICT")
    @admin_blp.doc(operationId="create_rubric_item")
    def post(self, data):
        """Add a rubric item

        Fields left out take the defaults of the item's kind and severity (validity, disclosure days). A code already
        in use is 409.
        """
        return rubric.create_item(current_principal(), **data)


@admin_blp.route("/rubric-items/<string:code>")
class RubricItemView(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.response(200, RubricItemSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.doc(operationId="get_rubric_item")
    def get(self, code):
        """One rubric item

        The item with every field, retired or not.
        """
        return rubric.get_item(code)

    @admin_blp.access(ADMIN)
    @admin_blp.arguments(RubricItemUpdateSchema)
    @admin_blp.response(200, RubricItemSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.doc(operationId="update_rubric_item")
    def patch(self, data, code):
        """Change a rubric item

        The change applies to future events; events already granted keep their values. `active: false` retires the
        item.
        """
        return rubric.update_item(current_principal(), code, data)


@public_blp.route("/rubric")
class PublicRubric(MethodView):
    @public_blp.public(replica=True)
    @public_blp.arguments(PublicRubricQuery, location="query")
    @public_blp.response(200, RubricGroupSchema(many=True))
    @public_blp.doc(operationId="get_public_rubric")
    def get(self, query):
        """The rubric

        The published rubric grouped by category; with `town` also that town's local items. One bounded document,
        not paginated: the only list of the API without pages (SPEC §10). It holds the active items of the 100+N
        standard, a few hundred at most, so fetch it whole and cache it.
        """
        return rubric.public_rubric(query.get("town"))


@admin_blp.route("/credit-events")
class CreditEvents(MethodView):
    @admin_blp.access(ADMIN, DEPARTMENT)
    @admin_blp.arguments(SentEventQuery, location="query")
    @admin_blp.response(200, SentEventSchema(many=True))
    @admin_blp.paginate()
    @admin_blp.doc(operationId="list_sent_credit_events")
    def get(self, query, pagination_parameters):
        """Credit events read back by their sender

        Events of one source recorded or moved since a time, oldest first, each with its status history: a
        department sees here the outcome of objections to what it sent. A department reads its own source only
        (another is 403 source_not_allowed). Each resident whose events are read gets a query record.
        """
        return service.read_sent_events(current_principal(), lambda events: paginate(events, pagination_parameters),
                                        **query)

    @admin_blp.access(ADMIN, DEPARTMENT)
    @admin_blp.arguments(EventCreateSchema)
    @admin_blp.response(201, StaffEventSchema)
    @admin_blp.alt_response(200, schema=StaffEventSchema, description="the same event was already recorded",
                            success=True)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(409, response="CONFLICT")
    @admin_blp.doc(operationId="record_credit_event")
    def post(self, data):
        """Record a credit event

        Applies one rubric item to one resident; its points are the item's at this moment, reduced by the item's
        annual cap. The same (source, source_ref) again with the same content answers the recorded event (200); with
        other content it is 409 source_ref_conflict. Departments send only their own source.
        """
        grant = service.grant_event(current_principal(), **data)
        return grant.event, 201 if grant.created else 200


@admin_blp.route("/credit-events/import")
class CreditEventImport(MethodView):
    @admin_blp.access(ADMIN, DEPARTMENT)
    @admin_blp.body_limit(EVENT_IMPORT_LIMIT)
    @admin_blp.doc(requestBody=EVENT_IMPORT_BODY)
    @admin_blp.response(200, EventImportResultSchema)
    @admin_blp.alt_response(409, response="CONFLICT")
    @admin_blp.alt_response(415, response="UNSUPPORTED_MEDIA_TYPE")
    @admin_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @admin_blp.doc(operationId="import_credit_events")
    def post(self):
        """Import credit events from a file

        Records the events of a CSV or NDJSON file (departments: rows of their own source only). Bad rows are reported
        by line and good rows land; the same file again adds nothing. A CSV header without the required columns is 422
        columns_missing; a body over 256 MiB is 413 too_large.
        """
        return importing.import_events(current_principal(), uploaded_rows(EVENT_IMPORT_COLUMNS, stream=True))


@admin_blp.route("/credit-events/lookup")
class CreditEventLookup(MethodView):
    @admin_blp.access(ADMIN, DEPARTMENT)
    @admin_blp.arguments(StaffEventQuery)
    @admin_blp.response(200, StaffEventSchema(many=True))
    @admin_blp.paginate()
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.doc(operationId="look_up_credit_events")
    def post(self, query, pagination_parameters):
        """A resident's credit events by ID number

        The ID number travels in the body, never in a URL. A department sees only the events it sent. Each look-up is
        a query record the resident sees.
        """
        return service.read_events_for_staff(current_principal(), query.pop("id_number"),
                                             lambda events: paginate(events, pagination_parameters), **query)


@admin_blp.route("/star-levels")
class StarLevels(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.response(200, StarLevelsSchema)
    @admin_blp.doc(operationId="get_star_levels")
    def get(self):
        """Star levels

        The thresholds and names of the five star levels.
        """
        return {"levels": levels.current_levels()}

    @admin_blp.access(ADMIN)
    @admin_blp.arguments(StarLevelsUpdateSchema)
    @admin_blp.response(200, StarLevelsSchema)
    @admin_blp.doc(operationId="update_star_levels")
    def put(self, data):
        """Replace the star levels

        New thresholds and names; every account's stars follow at once.
        """
        return {"levels": levels.set_levels(current_principal(), data["levels"])}


@me_blp.route("")
class MyCredit(MethodView):
    @me_blp.access(RESIDENT)
    @me_blp.response(200, CreditSchema)
    @me_blp.doc(operationId="get_my_credit")
    def get(self):
        """My credit

        Points, stars and level name, what holds them down (a direct-grading ceiling), what the next level needs, and
        whether my household is a credit household.
        """
        resident = bound_resident(current_principal())
        return {**service.describe_account(service.get_account(resident.id)),
                "household": ratings.household_status(resident)}


@me_blp.route("/events")
class MyEvents(MethodView):
    @me_blp.access(RESIDENT)
    @me_blp.arguments(MyEventQuery, location="query")
    @me_blp.response(200, EventSchema(many=True))
    @me_blp.paginate()
    @me_blp.doc(operationId="list_my_credit_events")
    def get(self, query, pagination_parameters):
        """My credit events

        Newest first, filtered by kind and status; penalties carry their repair terms.
        """
        resident = bound_resident(current_principal())
        return paginate(service.events_of(resident.id, **query), pagination_parameters)


@me_blp.route("/events/<int:event_id>")
class MyEvent(MethodView):
    @me_blp.access(RESIDENT)
    @me_blp.response(200, EventSchema)
    @me_blp.alt_response(404, response="NOT_FOUND")
    @me_blp.doc(operationId="get_my_credit_event")
    def get(self, event_id):
        """One of my credit events

        The event with its status; a penalty carries its repair terms (whether it can be repaired, from which date,
        until when it is disclosed, and the state of the latest application). Another resident's event is 404.
        """
        return service.own_event(bound_resident(current_principal()).id, event_id)
