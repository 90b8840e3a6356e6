"""Credit repair and objections over HTTP: the resident applies and follows, the office reviews and decides,
admins publish the commitment letter, anyone reads its current text."""

from flask.views import MethodView

from backend.accounts.service import bound_resident
from backend.repairs import letters, service
from backend.repairs.schemas import (
    CaseAssignSchema,
    CommitmentLetterCreateSchema,
    CommitmentLetterSchema,
    MyObjectionSchema,
    MyRepairSchema,
    ObjectionCreateSchema,
    ObjectionDecisionSchema,
    ObjectionLineSchema,
    ObjectionQueueQuery,
    RepairCreateSchema,
    RepairDecisionSchema,
    RepairLineSchema,
    RepairQueueQuery,
    ReviewObjectionSchema,
    ReviewRepairSchema,
)
from backend.uploads.routes import ATTACHMENT_RESPONSE, download
from backend.web.access import ADMIN, RESIDENT, REVIEWER, current_principal
from backend.web.api import Blueprint, paginate

me_repairs_blp = Blueprint("repairs_me", __name__, url_prefix="/api/v1/me/repairs",
                           description="My credit repair applications (信用修复)")
me_objections_blp = Blueprint("objections_me", __name__, url_prefix="/api/v1/me/objections",
                              description="My objections to credit events (异议)")
review_blp = Blueprint("repairs_review", __name__, url_prefix="/api/v1/review",
                       description="Reviewing repairs and objections (credit office)")
public_blp = Blueprint("commitment_letter_public", __name__, url_prefix="/api/v1/public",
                       description="The credit commitment letter")
admin_blp = Blueprint("commitment_letters_admin", __name__, url_prefix="/api/v1/admin/commitment-letters",
                      description="Versions of the credit commitment letter (admins)")

OFFICE = (REVIEWER, ADMIN)


# --- the resident ---------------------------------------------------------------------------------------


@me_repairs_blp.route("")
class MyRepairs(MethodView):
    @me_repairs_blp.access(RESIDENT)
    @me_repairs_blp.arguments(RepairCreateSchema)
    @me_repairs_blp.response(201, MyRepairSchema)
    @me_repairs_blp.alt_response(404, response="NOT_FOUND")
    @me_repairs_blp.alt_response(409, response="CONFLICT")
    @me_repairs_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @me_repairs_blp.doc(operationId="apply_for_repair")
    def post(self, data):
        """Apply to repair a penalty

        Needs the proof that the obligation was met (uploads) and the current commitment letter's version. Refused:
        another resident's or an unknown event 404; not a repairable penalty (or one that neither counts nor is
        disclosed any more) 422 not_repairable; before the minimum disclosure period has passed 422
        repair_too_early with `opens_on`, the first Asia/Shanghai date to apply; a pending repair 409
        repair_pending; a pending objection 409 objection_pending; an outdated letter 422
        commitment_version_outdated with `current_version`. After a rejection a new application may follow.
        """
        principal = current_principal()
        application = service.apply_for_repair(principal, bound_resident(principal), **data)
        return service.repair_view(application), 201

    @me_repairs_blp.access(RESIDENT)
    @me_repairs_blp.response(200, MyRepairSchema(many=True))
    @me_repairs_blp.paginate()
    @me_repairs_blp.doc(operationId="list_my_repairs")
    def get(self, pagination_parameters):
        """My repair applications

        Newest first, each with its event, history and the office's written reason once decided.
        """
        resident = bound_resident(current_principal())
        return [service.repair_view(a) for a in paginate(service.my_repairs(resident), pagination_parameters)]


@me_repairs_blp.route("/<int:repair_id>")
class MyRepair(MethodView):
    @me_repairs_blp.access(RESIDENT)
    @me_repairs_blp.response(200, MyRepairSchema)
    @me_repairs_blp.alt_response(404, response="NOT_FOUND")
    @me_repairs_blp.doc(operationId="get_my_repair")
    def get(self, repair_id):
        """One of my repair applications

        Its event, statement, evidence, history, due date and decision with the written reason. Another resident's
        is 404.
        """
        resident = bound_resident(current_principal())
        return service.repair_view(service.own_repair(resident, repair_id))


@me_objections_blp.route("")
class MyObjections(MethodView):
    @me_objections_blp.access(RESIDENT)
    @me_objections_blp.arguments(ObjectionCreateSchema)
    @me_objections_blp.response(201, MyObjectionSchema)
    @me_objections_blp.alt_response(404, response="NOT_FOUND")
    @me_objections_blp.alt_response(409, response="CONFLICT")
    @me_objections_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @me_objections_blp.doc(operationId="object_to_event")
    def post(self, data):
        """Object to one of my credit events

        The event becomes `disputed`: it still counts and is shown as under objection until the office decides.
        Refused: another resident's or an unknown event 404; a second objection to the event 409 already_objected;
        a pending repair of it 409 repair_pending; an event that is not active, or neither counts nor is disclosed,
        422 event_not_objectionable.
        """
        principal = current_principal()
        objection = service.object_to(principal, bound_resident(principal), **data)
        return service.objection_view(objection), 201

    @me_objections_blp.access(RESIDENT)
    @me_objections_blp.response(200, MyObjectionSchema(many=True))
    @me_objections_blp.paginate()
    @me_objections_blp.doc(operationId="list_my_objections")
    def get(self, pagination_parameters):
        """My objections

        Newest first, each with its event, history and the office's written reason once decided.
        """
        resident = bound_resident(current_principal())
        return [service.objection_view(o) for o in paginate(service.my_objections(resident), pagination_parameters)]


@me_objections_blp.route("/<int:objection_id>")
class MyObjection(MethodView):
    @me_objections_blp.access(RESIDENT)
    @me_objections_blp.response(200, MyObjectionSchema)
    @me_objections_blp.alt_response(404, response="NOT_FOUND")
    @me_objections_blp.doc(operationId="get_my_objection")
    def get(self, objection_id):
        """One of my objections

        Its event, reason, evidence, history, due date and decision with the written reason. Another resident's is
        404.
        """
        resident = bound_resident(current_principal())
        return service.objection_view(service.own_objection(resident, objection_id))


# --- the commitment letter ------------------------------------------------------------------------------


@public_blp.route("/commitment-letter")
class PublicCommitmentLetter(MethodView):
    @public_blp.public()
    @public_blp.response(200, CommitmentLetterSchema)
    @public_blp.doc(operationId="get_commitment_letter")
    def get(self):
        """The credit commitment letter

        The current version of the letter (信用承诺书) a resident accepts when applying for repair; name its
        `version` in the application.
        """
        return letters.current()


@admin_blp.route("")
class CommitmentLetters(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.response(200, CommitmentLetterSchema(many=True))
    @admin_blp.paginate()
    @admin_blp.doc(operationId="list_commitment_letters")
    def get(self, pagination_parameters):
        """Commitment letter versions

        Every published version, newest first.
        """
        letters.current()
        return paginate(letters.versions(), pagination_parameters)

    @admin_blp.access(ADMIN)
    @admin_blp.arguments(CommitmentLetterCreateSchema)
    @admin_blp.response(201, CommitmentLetterSchema)
    @admin_blp.doc(operationId="publish_commitment_letter")
    def post(self, data):
        """Publish a new commitment letter version

        It becomes current at once; applications filed before keep the version they accepted, and new ones must
        name this one.
        """
        return letters.publish(current_principal(), **data), 201


# --- the office -----------------------------------------------------------------------------------------


def _queue(kind, query, pagination_parameters):
    return [service.summary(c) for c in paginate(service.queue(kind, **query), pagination_parameters)]


@review_blp.route("/repairs")
class RepairQueue(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.arguments(RepairQueueQuery, location="query")
    @review_blp.response(200, RepairLineSchema(many=True))
    @review_blp.paginate()
    @review_blp.doc(operationId="list_repair_queue")
    def get(self, query, pagination_parameters):
        """The repair queue

        Pending applications first, oldest deadline first (10 working days by default), overdue ones marked; filters
        status, overdue, assignee.
        """
        return _queue("repair", query, pagination_parameters)


@review_blp.route("/repairs/<int:repair_id>")
class ReviewRepair(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.response(200, ReviewRepairSchema)
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.doc(operationId="get_repair_case")
    def get(self, repair_id):
        """One repair application

        The event, the statement, the evidence, the history and the decision; the read is a query record the
        resident sees.
        """
        principal = current_principal()
        return service.detail(principal, service.get_case("repair", repair_id))


@review_blp.route("/repairs/<int:repair_id>/assign")
class AssignRepair(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.arguments(CaseAssignSchema)
    @review_blp.response(200, RepairLineSchema)
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @review_blp.doc(operationId="assign_repair")
    def post(self, data, repair_id):
        """Assign a repair application

        To an active reviewer or admin (else 422 not_a_reviewer); recorded.
        """
        return service.summary(service.assign(current_principal(), "repair", repair_id, data["reviewer_id"]))


@review_blp.route("/repairs/<int:repair_id>/decision")
class DecideRepair(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.arguments(RepairDecisionSchema)
    @review_blp.response(201, ReviewRepairSchema)
    @review_blp.alt_response(200, schema=ReviewRepairSchema, success=True,
                             description="the same decision was already taken: the stored one, nothing applied")
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.alt_response(409, response="CONFLICT")
    @review_blp.doc(operationId="decide_repair")
    def post(self, data, repair_id):
        """Decide a repair application

        approve moves the event to `repaired` (it stops counting and leaves every public answer and bank's view)
        and recomputes the account in one transaction; reject leaves it. The note is the written reason the
        resident reads, who is notified. The same decision again answers 200 with the stored one; another is 409
        already_decided.
        """
        principal = current_principal()
        decided = service.decide_repair(principal, repair_id, **data)
        return service.detail(principal, service.get_case("repair", decided.case.id)), 201 if decided.created else 200


@review_blp.route("/repairs/<int:repair_id>/attachments/<string:upload_id>")
class RepairAttachment(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.doc(responses={"200": ATTACHMENT_RESPONSE})
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.doc(operationId="download_repair_evidence")
    def get(self, repair_id, upload_id):
        """Download a repair's evidence

        One file of the application's evidence, as a download.
        """
        case = service.get_case("repair", repair_id)
        return download(service.attachment("repair", case, upload_id), f"XF-{case.id}-{upload_id[:8]}")


@review_blp.route("/objections")
class ObjectionQueue(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.arguments(ObjectionQueueQuery, location="query")
    @review_blp.response(200, ObjectionLineSchema(many=True))
    @review_blp.paginate()
    @review_blp.doc(operationId="list_objection_queue")
    def get(self, query, pagination_parameters):
        """The objection queue

        Pending objections first, oldest deadline first (20 calendar days by default), overdue ones marked; filters
        status, overdue, assignee.
        """
        return _queue("objection", query, pagination_parameters)


@review_blp.route("/objections/<int:objection_id>")
class ReviewObjection(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.response(200, ReviewObjectionSchema)
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.doc(operationId="get_objection_case")
    def get(self, objection_id):
        """One objection

        The event, the reason, the evidence, the history and the decision; the read is a query record the resident
        sees.
        """
        principal = current_principal()
        return service.detail(principal, service.get_case("objection", objection_id))


@review_blp.route("/objections/<int:objection_id>/assign")
class AssignObjection(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.arguments(CaseAssignSchema)
    @review_blp.response(200, ObjectionLineSchema)
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @review_blp.doc(operationId="assign_objection")
    def post(self, data, objection_id):
        """Assign an objection

        To an active reviewer or admin (else 422 not_a_reviewer); recorded.
        """
        return service.summary(service.assign(current_principal(), "objection", objection_id, data["reviewer_id"]))


@review_blp.route("/objections/<int:objection_id>/decision")
class DecideObjection(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.arguments(ObjectionDecisionSchema)
    @review_blp.response(201, ReviewObjectionSchema)
    @review_blp.alt_response(200, schema=ReviewObjectionSchema, success=True,
                             description="the same decision was already taken: the stored one, nothing applied")
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.alt_response(409, response="CONFLICT")
    @review_blp.doc(operationId="decide_objection")
    def post(self, data, objection_id):
        """Decide an objection

        upheld voids the event (and, for a report's penalty, the reporter's bonus and unpaid reward with it);
        rejected returns it to `active`; one transaction with the account. The note is the written reason the
        resident reads, who is notified. The same decision again answers 200 with the stored one; another is 409
        already_decided.
        """
        principal = current_principal()
        decided = service.decide_objection(principal, objection_id, **data)
        body = service.detail(principal, service.get_case("objection", decided.case.id))
        return body, 201 if decided.created else 200


@review_blp.route("/objections/<int:objection_id>/attachments/<string:upload_id>")
class ObjectionAttachment(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.doc(responses={"200": ATTACHMENT_RESPONSE})
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.doc(operationId="download_objection_evidence")
    def get(self, objection_id, upload_id):
        """Download an objection's evidence

        One file of the objection's evidence, as a download.
        """
        case = service.get_case("objection", objection_id)
        return download(service.attachment("objection", case, upload_id), f"YY-{case.id}-{upload_id[:8]}")
