"""Government integrity over HTTP: admins register government bodies and record dishonesty records and
civil servants' files; departments (and admins) publish commitments and record their outcomes; anyone reads
the commitments, the records and each body's integrity summary."""

from flask.views import MethodView

from backend.integrity import service
from backend.integrity.schemas import (
    BodyCreateSchema,
    BodyQuery,
    BodySchema,
    BodyUpdateSchema,
    CivilServantLookupSchema,
    CivilServantQuery,
    CivilServantRecordCreateSchema,
    CivilServantRecordSchema,
    CommitmentCorrectSchema,
    CommitmentCreateSchema,
    CommitmentQuery,
    GovernmentRecordCorrectSchema,
    GovernmentRecordCreateSchema,
    GovernmentRecordQuery,
    GovernmentRecordSchema,
    IntegrityQuery,
    IntegritySummarySchema,
    OutcomeSchema,
    PublicCommitmentSchema,
    RectifySchema,
    StaffCommitmentSchema,
    StaffGovernmentRecordSchema,
)
from backend.web.access import ADMIN, DEPARTMENT, current_principal
from backend.web.api import Blueprint, paginate

CIVIL_SERVANTS = "integrity:civil-servants"

bodies_blp = Blueprint("government_bodies", __name__, url_prefix="/api/v1/admin/government-bodies",
                       description="Government bodies: departments and town governments (admins)")
commitments_blp = Blueprint("commitments_admin", __name__, url_prefix="/api/v1/admin/commitments",
                            description="Commitments: departments their own, admins any")
records_blp = Blueprint("government_records_admin", __name__, url_prefix="/api/v1/admin/government-records",
                        description="Government dishonesty records (admins)")
civil_servants_blp = Blueprint("civil_servant_records", __name__, url_prefix="/api/v1/admin/civil-servant-records",
                               description="Civil servants' integrity files (admins with integrity:civil-servants)")
public_blp = Blueprint("government_integrity_public", __name__, url_prefix="/api/v1/public",
                       description="Government integrity: commitments, dishonesty records, summaries")


# --- government bodies ----------------------------------------------------------------------------------


@bodies_blp.route("")
class GovernmentBodies(MethodView):
    @bodies_blp.access(ADMIN)
    @bodies_blp.arguments(BodyQuery, location="query")
    @bodies_blp.response(200, BodySchema(many=True))
    @bodies_blp.paginate()
    @bodies_blp.doc(operationId="list_government_bodies")
    def get(self, query, pagination_parameters):
        """Government bodies

        Government bodies, filtered by kind and town.
        """
        return paginate(service.list_bodies(**query), pagination_parameters)

    @bodies_blp.access(ADMIN)
    @bodies_blp.arguments(BodyCreateSchema)
    @bodies_blp.response(201, BodySchema)
    @bodies_blp.alt_response(409, response="CONFLICT")
    @bodies_blp.doc(operationId="create_government_body")
    def post(self, data):
        """Register a government body

        Register a department (by its source name) or a town's government.
        """
        return service.register_body(current_principal(), **data)


@bodies_blp.route("/<int:body_id>")
class GovernmentBodyItem(MethodView):
    @bodies_blp.access(ADMIN)
    @bodies_blp.response(200, BodySchema)
    @bodies_blp.alt_response(404, response="NOT_FOUND")
    @bodies_blp.doc(operationId="get_government_body")
    def get(self, body_id):
        """One government body

        A department or town government with its kind, source name and town.
        """
        return service.get_body(body_id)

    @bodies_blp.access(ADMIN)
    @bodies_blp.arguments(BodyUpdateSchema)
    @bodies_blp.response(200, BodySchema)
    @bodies_blp.alt_response(404, response="NOT_FOUND")
    @bodies_blp.alt_response(409, response="CONFLICT")
    @bodies_blp.doc(operationId="update_government_body")
    def patch(self, data, body_id):
        """Change a government body

        Rename a body, or set the town a department's branch serves.
        """
        return service.update_body(current_principal(), body_id, data)


# --- commitments (staff) --------------------------------------------------------------------------------


def _own_source() -> str | None:
    """A department sees its own body's commitments only; admins see all (None)."""
    principal = current_principal()
    return (principal.source or "") if service.is_department(principal) else None


@commitments_blp.route("")
class Commitments(MethodView):
    @commitments_blp.access(ADMIN, DEPARTMENT)
    @commitments_blp.arguments(CommitmentQuery, location="query")
    @commitments_blp.response(200, StaffCommitmentSchema(many=True))
    @commitments_blp.paginate()
    @commitments_blp.doc(operationId="list_commitments")
    def get(self, query, pagination_parameters):
        """Commitments

        Commitments (a department's own), filtered by owner, town, kind and status (overdue included).
        """
        statement = service.list_commitments(owner_id=query.pop("owner", None), source=_own_source(), **query)
        return paginate(statement, pagination_parameters)

    @commitments_blp.access(ADMIN, DEPARTMENT)
    @commitments_blp.arguments(CommitmentCreateSchema)
    @commitments_blp.response(201, StaffCommitmentSchema)
    @commitments_blp.alt_response(409, response="CONFLICT")
    @commitments_blp.doc(operationId="create_commitment")
    def post(self, data):
        """Publish a commitment

        Publish a commitment: a department its own, an admin any body's (town governments').
        """
        return service.publish_commitment(current_principal(), **data)


@commitments_blp.route("/<int:commitment_id>")
class CommitmentItem(MethodView):
    @commitments_blp.access(ADMIN, DEPARTMENT)
    @commitments_blp.response(200, StaffCommitmentSchema)
    @commitments_blp.alt_response(404, response="NOT_FOUND")
    @commitments_blp.doc(operationId="get_commitment")
    def get(self, commitment_id):
        """One commitment

        One commitment (another body's is 404 to a department).
        """
        return service.commitment_for(current_principal(), commitment_id)

    @commitments_blp.access(ADMIN, DEPARTMENT)
    @commitments_blp.arguments(CommitmentCorrectSchema)
    @commitments_blp.response(200, StaffCommitmentSchema)
    @commitments_blp.alt_response(404, response="NOT_FOUND")
    @commitments_blp.alt_response(409, response="CONFLICT")
    @commitments_blp.doc(operationId="update_commitment")
    def patch(self, data, commitment_id):
        """Correct a pending commitment

        Correct a pending commitment's kind, title or content (its dates never change).
        """
        return service.correct_commitment(current_principal(), commitment_id, data)


@commitments_blp.route("/<int:commitment_id>/fulfil")
class CommitmentFulfil(MethodView):
    @commitments_blp.access(ADMIN, DEPARTMENT)
    @commitments_blp.arguments(OutcomeSchema)
    @commitments_blp.response(200, StaffCommitmentSchema)
    @commitments_blp.alt_response(404, response="NOT_FOUND")
    @commitments_blp.alt_response(409, response="CONFLICT")
    @commitments_blp.doc(operationId="fulfil_commitment")
    def post(self, data, commitment_id):
        """Fulfil a commitment

        Record that a pending commitment was fulfilled, today (after its due day: fulfilled late).
        """
        return service.record_outcome(current_principal(), commitment_id, "fulfilled", **data)


@commitments_blp.route("/<int:commitment_id>/break")
class CommitmentBreak(MethodView):
    @commitments_blp.access(ADMIN, DEPARTMENT)
    @commitments_blp.arguments(OutcomeSchema)
    @commitments_blp.response(200, StaffCommitmentSchema)
    @commitments_blp.alt_response(404, response="NOT_FOUND")
    @commitments_blp.alt_response(409, response="CONFLICT")
    @commitments_blp.doc(operationId="break_commitment")
    def post(self, data, commitment_id):
        """Break a commitment

        Records that a pending commitment was broken; its owner's fulfilment rate counts it from now on.
        """
        return service.record_outcome(current_principal(), commitment_id, "broken", **data)


# --- government dishonesty records (staff) --------------------------------------------------------------


@records_blp.route("")
class GovernmentRecords(MethodView):
    @records_blp.access(ADMIN)
    @records_blp.arguments(GovernmentRecordQuery, location="query")
    @records_blp.response(200, StaffGovernmentRecordSchema(many=True))
    @records_blp.paginate()
    @records_blp.doc(operationId="list_government_records")
    def get(self, query, pagination_parameters):
        """Dishonesty records

        Dishonesty records, filtered by owner, town, kind and status.
        """
        statement = service.list_government_records(owner_id=query.pop("owner", None), **query)
        return paginate(statement, pagination_parameters)

    @records_blp.access(ADMIN)
    @records_blp.arguments(GovernmentRecordCreateSchema)
    @records_blp.response(201, StaffGovernmentRecordSchema)
    @records_blp.doc(operationId="create_government_record")
    def post(self, data):
        """Record government dishonesty

        Record a body's broken contract, unpaid debt to an enterprise or ignored court judgment.
        """
        return service.create_government_record(current_principal(), **data)


@records_blp.route("/<int:record_id>")
class GovernmentRecordItem(MethodView):
    @records_blp.access(ADMIN)
    @records_blp.response(200, StaffGovernmentRecordSchema)
    @records_blp.alt_response(404, response="NOT_FOUND")
    @records_blp.doc(operationId="get_government_record")
    def get(self, record_id):
        """One dishonesty record

        One government dishonesty record with its rectification, if any.
        """
        return service.get_government_record(record_id)

    @records_blp.access(ADMIN)
    @records_blp.arguments(GovernmentRecordCorrectSchema)
    @records_blp.response(200, StaffGovernmentRecordSchema)
    @records_blp.alt_response(404, response="NOT_FOUND")
    @records_blp.doc(operationId="update_government_record")
    def patch(self, data, record_id):
        """Correct a dishonesty record

        Correct a record's kind, facts, decision date or source document.
        """
        return service.correct_government_record(current_principal(), record_id, data)


@records_blp.route("/<int:record_id>/rectify")
class GovernmentRecordRectify(MethodView):
    @records_blp.access(ADMIN)
    @records_blp.arguments(RectifySchema)
    @records_blp.response(200, StaffGovernmentRecordSchema)
    @records_blp.alt_response(404, response="NOT_FOUND")
    @records_blp.alt_response(409, response="CONFLICT")
    @records_blp.doc(operationId="rectify_government_record")
    def post(self, data, record_id):
        """Record a rectification

        Record that the body put the matter right, when and how.
        """
        return service.rectify_government_record(current_principal(), record_id, **data)


# --- civil servants' integrity files --------------------------------------------------------------------


@civil_servants_blp.route("")
class CivilServantRecords(MethodView):
    @civil_servants_blp.access(ADMIN, permission=CIVIL_SERVANTS)
    @civil_servants_blp.arguments(CivilServantQuery, location="query")
    @civil_servants_blp.response(200, CivilServantRecordSchema(many=True))
    @civil_servants_blp.paginate()
    @civil_servants_blp.doc(operationId="list_civil_servant_records")
    def get(self, query, pagination_parameters):
        """Records of every file

        Records of every file, newest first; a view: audited, and a query record for each person shown.
        """
        records = paginate(service.list_civil_servant_records(**query), pagination_parameters)
        return service.read_civil_servant_records(current_principal(), records,
                                                  purpose="civil-servant integrity files: list")

    @civil_servants_blp.access(ADMIN, permission=CIVIL_SERVANTS)
    @civil_servants_blp.arguments(CivilServantRecordCreateSchema)
    @civil_servants_blp.response(201, CivilServantRecordSchema)
    @civil_servants_blp.alt_response(404, response="NOT_FOUND")
    @civil_servants_blp.doc(operationId="create_civil_servant_record")
    def post(self, data):
        """Add a record to a civil servant's file

        Add a record to a civil servant's file (ID number in the body; the person is told in their query records).
        """
        return service.create_civil_servant_record(current_principal(), **data)


@civil_servants_blp.route("/lookup")
class CivilServantLookup(MethodView):
    @civil_servants_blp.access(ADMIN, permission=CIVIL_SERVANTS)
    @civil_servants_blp.arguments(CivilServantLookupSchema)
    @civil_servants_blp.response(200, CivilServantRecordSchema(many=True))
    @civil_servants_blp.paginate()
    @civil_servants_blp.alt_response(404, response="NOT_FOUND")
    @civil_servants_blp.doc(operationId="lookup_civil_servant_file")
    def post(self, data, pagination_parameters):
        """One civil servant's file by ID number

        One civil servant's file by ID number (in the body, kept out of URLs); a view: audited, and a query record the
        person sees.
        """
        person, statement = service.civil_servant_records_of(data["id_number"])
        records = paginate(statement, pagination_parameters)
        return service.read_civil_servant_records(current_principal(), records, person=person,
                                                  purpose="civil-servant integrity file")


@civil_servants_blp.route("/<int:record_id>")
class CivilServantRecordItem(MethodView):
    @civil_servants_blp.access(ADMIN, permission=CIVIL_SERVANTS)
    @civil_servants_blp.response(200, CivilServantRecordSchema)
    @civil_servants_blp.alt_response(404, response="NOT_FOUND")
    @civil_servants_blp.doc(operationId="get_civil_servant_record")
    def get(self, record_id):
        """One civil-servant record

        One record; a view: audited, and a query record the person sees.
        """
        record = service.get_civil_servant_record(record_id)
        return service.read_civil_servant_records(current_principal(), [record],
                                                  purpose="civil-servant integrity file")[0]


# --- public ---------------------------------------------------------------------------------------------


def _public_commitments(commitments) -> list[dict]:
    """Each commitment with its owner's fulfilment rate (one aggregate query for the page)."""
    rates = service.fulfilment_rates({commitment.owner_id for commitment in commitments})
    on = service.today()
    return [{"id": c.id, "owner": {**service.owner_view(c.owner), "fulfilment_rate": rates[c.owner_id]},
             "kind": c.kind, "title": c.title, "content": c.content, "made_on": c.made_on, "due_on": c.due_on,
             "status": service.shown_status(c, on), "fulfilled_late": c.fulfilled_late,
             "resolved_on": c.resolved_on, "evidence": c.evidence} for c in commitments]


@public_blp.route("/commitments")
class PublicCommitments(MethodView):
    @public_blp.public()
    @public_blp.arguments(CommitmentQuery, location="query")
    @public_blp.response(200, PublicCommitmentSchema(many=True))
    @public_blp.paginate()
    @public_blp.doc(operationId="public_list_commitments")
    def get(self, query, pagination_parameters):
        """Government commitments with each owner's fulfilment rate

        Government commitments with each owner's fulfilment rate, filtered by owner, town, kind and status.
        """
        statement = service.list_commitments(owner_id=query.pop("owner", None), **query)
        return _public_commitments(paginate(statement, pagination_parameters))


@public_blp.route("/government-records")
class PublicGovernmentRecords(MethodView):
    @public_blp.public()
    @public_blp.arguments(GovernmentRecordQuery, location="query")
    @public_blp.response(200, GovernmentRecordSchema(many=True))
    @public_blp.paginate()
    @public_blp.doc(operationId="public_list_government_records")
    def get(self, query, pagination_parameters):
        """Government dishonesty records

        Government dishonesty records, filtered by owner, town, kind and status (open, rectified).
        """
        statement = service.list_government_records(owner_id=query.pop("owner", None), **query)
        return paginate(statement, pagination_parameters)


@public_blp.route("/government-integrity")
class PublicGovernmentIntegrity(MethodView):
    @public_blp.public()
    @public_blp.arguments(IntegrityQuery, location="query")
    @public_blp.response(200, IntegritySummarySchema(many=True))
    @public_blp.paginate()
    @public_blp.doc(operationId="public_list_government_integrity")
    def get(self, query, pagination_parameters):
        """Each government body's integrity summary

        Each government body's integrity summary: commitments due, fulfilled on time and late, overdue and broken, the
        fulfilment rate, dishonesty records open and rectified.
        """
        bodies = paginate(service.list_bodies(**query), pagination_parameters)
        return service.integrity_summaries(bodies)
