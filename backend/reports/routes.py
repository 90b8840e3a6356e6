"""Reports over HTTP: filing, following (real-name and by receipt), categories, the office's review, the
department's verification, and rewards."""

from flask.views import MethodView

from backend.reports import categories, review, rewards, service
from backend.reports.schemas import (
    AdminCategorySchema,
    AnswerSchema,
    AssignSchema,
    CategoryCreateSchema,
    CategoryQuery,
    CategorySchema,
    CategoryUpdateSchema,
    DecisionSchema,
    DepartmentLineSchema,
    DepartmentReportSchema,
    ExtendSchema,
    FiledSchema,
    FindingSchema,
    ForwardCreateSchema,
    ForwardSchema,
    MyReportLineSchema,
    PaidSchema,
    PayeeSchema,
    QuestionMadeSchema,
    QuestionSchema,
    ReceiptAnswerSchema,
    ReceiptSchema,
    ReportCreateSchema,
    ReporterIdentitySchema,
    ReporterReportSchema,
    ReviewLineSchema,
    ReviewQuery,
    ReviewReportSchema,
    RewardQuery,
    RewardSchema,
)
from backend.uploads.routes import ATTACHMENT_RESPONSE, download
from backend.web.access import ADMIN, DEPARTMENT, RESIDENT, REVIEWER, current_principal, keep_caller_out_of_logs
from backend.web.api import Blueprint, paginate

filing_blp = Blueprint("reports", __name__, url_prefix="/api/v1/reports", description="Filing reports (举报)")
me_blp = Blueprint("reports_me", __name__, url_prefix="/api/v1/me/reports", description="My real-name reports")
public_blp = Blueprint("reports_public", __name__, url_prefix="/api/v1/public",
                       description="Report categories and anonymous reports by receipt")
admin_blp = Blueprint("reports_admin", __name__, url_prefix="/api/v1/admin/report-categories",
                      description="Report categories (admins)")
review_blp = Blueprint("reports_review", __name__, url_prefix="/api/v1/review",
                       description="Reviewing reports and paying rewards (credit office)")
department_blp = Blueprint("reports_department", __name__, url_prefix="/api/v1/department/reports",
                           description="Reports forwarded to a department for verification")

OFFICE = (REVIEWER, ADMIN)


# --- filing and following --------------------------------------------------------------------------------


@filing_blp.route("")
class Reports(MethodView):
    @filing_blp.access(RESIDENT)
    @filing_blp.arguments(ReportCreateSchema)
    @filing_blp.response(201, FiledSchema)
    @filing_blp.alt_response(404, response="NOT_FOUND")
    @filing_blp.alt_response(409, response="CONFLICT")
    @filing_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @filing_blp.alt_response(429, response="TOO_MANY_REQUESTS")
    @filing_blp.doc(operationId="create_report")
    def post(self, data):
        """File a report

        File a report, by name or anonymously; attachments are upload ids (≤ 9). An anonymous report answers its receipt
        code this once: the screen must make the reporter copy or save it.
        """
        keep_caller_out_of_logs()
        return service.file_report(current_principal(), **data), 201


@me_blp.route("")
class MyReports(MethodView):
    @me_blp.access(RESIDENT)
    @me_blp.response(200, MyReportLineSchema(many=True))
    @me_blp.paginate()
    @me_blp.doc(operationId="list_my_reports")
    def get(self, pagination_parameters):
        """My real-name reports

        My real-name reports, newest first.
        """
        return paginate(service.my_reports(current_principal()), pagination_parameters)


@me_blp.route("/<string:report_no>")
class MyReport(MethodView):
    @me_blp.access(RESIDENT)
    @me_blp.response(200, ReporterReportSchema)
    @me_blp.alt_response(404, response="NOT_FOUND")
    @me_blp.doc(operationId="get_my_report")
    def get(self, report_no):
        """One of my real-name reports

        One of my real-name reports: status history, outcome, reward state, the office's questions.
        """
        return service.reporter_view(service.own_report(current_principal(), report_no))


@me_blp.route("/<string:report_no>/answers")
class MyAnswers(MethodView):
    @me_blp.access(RESIDENT)
    @me_blp.arguments(AnswerSchema)
    @me_blp.response(201, ReporterReportSchema)
    @me_blp.alt_response(404, response="NOT_FOUND")
    @me_blp.alt_response(409, response="CONFLICT")
    @me_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @me_blp.doc(operationId="answer_my_report_questions")
    def post(self, data, report_no):
        """Answer the office's questions on my report

        Answer the office's questions on my report, with attachments uploaded first.
        """
        principal = current_principal()
        report = service.own_report(principal, report_no)
        owner, openid = service.anonymous_answer_caller(principal)
        service.answer(report, text=data["text"], attachments=data["attachments"], owner=owner, openid=openid)
        return service.reporter_view(service.get_report(report.id)), 201


@public_blp.route("/report-categories")
class PublicCategories(MethodView):
    @public_blp.public()
    @public_blp.response(200, CategorySchema(many=True))
    @public_blp.paginate()
    @public_blp.doc(operationId="public_list_report_categories")
    def get(self, pagination_parameters):
        """The kinds of report

        The kinds of report, each with the rubric item it applies and the department that
        verifies it.
        """
        return paginate(categories.listed(), pagination_parameters)


@public_blp.route("/reports/status")
class ReceiptStatus(MethodView):
    @public_blp.public()
    @public_blp.arguments(ReceiptSchema)
    @public_blp.response(200, ReporterReportSchema)
    @public_blp.alt_response(404, response="NOT_FOUND")
    @public_blp.doc(operationId="get_report_status_by_receipt")
    def post(self, data):
        """Follow a report by receipt

        An anonymous report by its receipt code (in the body, never the URL): status, outcome, reward state and the
        office's questions; wrong receipts are rate limited.
        """
        service.count_receipt_attempt()
        return service.reporter_view(service.by_receipt(data["receipt"]))


@public_blp.route("/reports/answers")
class ReceiptAnswers(MethodView):
    @public_blp.public(optional_auth=True)
    @public_blp.arguments(ReceiptAnswerSchema)
    @public_blp.response(201, ReporterReportSchema)
    @public_blp.alt_response(401, response="UNAUTHORIZED")
    @public_blp.alt_response(404, response="NOT_FOUND")
    @public_blp.alt_response(409, response="CONFLICT")
    @public_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @public_blp.doc(operationId="answer_report_questions_by_receipt")
    def post(self, data):
        """Answer questions by receipt

        Answer the office's questions on an anonymous report by its receipt; attachments (uploaded first) need the mini-
        program's sign-in and lose their owner as they are attached.
        """
        keep_caller_out_of_logs()
        service.count_receipt_attempt()
        report = service.by_receipt(data.pop("receipt"))
        owner, openid = service.anonymous_answer_caller(current_principal())
        service.answer(report, text=data["text"], attachments=data["attachments"], owner=owner, openid=openid)
        return service.reporter_view(service.get_report(report.id)), 201


# --- categories (admins) ---------------------------------------------------------------------------------


@admin_blp.route("")
class AdminCategories(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.arguments(CategoryQuery, location="query")
    @admin_blp.response(200, AdminCategorySchema(many=True))
    @admin_blp.paginate()
    @admin_blp.doc(operationId="list_report_categories")
    def get(self, query, pagination_parameters):
        """Every report category

        Every report category, retired ones on request.
        """
        return paginate(categories.listed(include_inactive=query["include_inactive"]), pagination_parameters)

    @admin_blp.access(ADMIN)
    @admin_blp.arguments(CategoryCreateSchema)
    @admin_blp.response(201, AdminCategorySchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(409, response="CONFLICT")
    @admin_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @admin_blp.doc(operationId="create_report_category")
    def post(self, data):
        """Add a report category

        Adds a report category naming the penalty item a substantiated report applies and the department that
        verifies it.
        """
        return categories.create(current_principal(), **data), 201


@admin_blp.route("/<string:code>")
class AdminCategory(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.arguments(CategoryUpdateSchema)
    @admin_blp.response(200, AdminCategorySchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @admin_blp.doc(operationId="update_report_category")
    def patch(self, data, code):
        """Change a category

        Change a category (active=false retires it); filed reports keep theirs.
        """
        return categories.update(current_principal(), code, data)


# --- the office ------------------------------------------------------------------------------------------


@review_blp.route("/reports")
class ReviewQueue(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.arguments(ReviewQuery, location="query")
    @review_blp.response(200, ReviewLineSchema(many=True))
    @review_blp.paginate()
    @review_blp.doc(operationId="review_list_reports")
    def get(self, query, pagination_parameters):
        """The report queue with its deadlines

        The report queue with its deadlines, late steps marked; filters status, category, overdue, assignee.
        """
        return [review.summary(r) for r in paginate(review.queue(**query), pagination_parameters)]


@review_blp.route("/reports/<int:report_id>")
class ReviewReport(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.response(200, ReviewReportSchema)
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.doc(operationId="review_get_report")
    def get(self, report_id):
        """A report for review

        A report with its history, questions, forwardings and findings, group and decision; never the reporter. A
        resident subject's score is shown and recorded as a held query record.
        """
        return review.detail(service.get_report(report_id), current_principal())


@review_blp.route("/reports/<int:report_id>/assign")
class Assign(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.arguments(AssignSchema)
    @review_blp.response(200, ReviewReportSchema)
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.alt_response(409, response="CONFLICT")
    @review_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @review_blp.doc(operationId="review_assign_report")
    def post(self, data, report_id):
        """Assign a report

        Assigns the report to a reviewer; assigning it again to the same reviewer changes nothing.
        """
        principal = current_principal()
        return review.detail(review.assign(principal, report_id, data["reviewer_id"]), principal)


@review_blp.route("/reports/<int:report_id>/acknowledge")
class Acknowledge(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.response(200, ReviewReportSchema)
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.alt_response(409, response="CONFLICT")
    @review_blp.doc(operationId="review_acknowledge_report")
    def post(self, report_id):
        """Acknowledge the report

        Acknowledge the report (受理); a real-name reporter is notified. Again: nothing changes.
        """
        principal = current_principal()
        return review.detail(review.acknowledge(principal, report_id), principal)


@review_blp.route("/reports/<int:report_id>/extend")
class Extend(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.arguments(ExtendSchema)
    @review_blp.response(200, ReviewReportSchema)
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.alt_response(409, response="CONFLICT")
    @review_blp.doc(operationId="review_extend_report")
    def post(self, data, report_id):
        """Extend the decision deadline once

        Extend the decision deadline once (to 90 days from filing), with a reason.
        """
        principal = current_principal()
        return review.detail(review.extend(principal, report_id, data["reason"]), principal)


@review_blp.route("/reports/<int:report_id>/forward")
class Forward(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.arguments(ForwardCreateSchema)
    @review_blp.response(201, ForwardSchema)
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.alt_response(409, response="CONFLICT")
    @review_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @review_blp.doc(operationId="review_forward_report")
    def post(self, data, report_id):
        """Forward the report

        Forward the report (never the reporter) to the department that verifies its category, or to another with staff;
        it has 10 working days for its finding.
        """
        return review.forward_view(review.forward(current_principal(), report_id, data.get("source"))), 201


@review_blp.route("/reports/<int:report_id>/questions")
class Questions(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.arguments(QuestionSchema)
    @review_blp.response(201, QuestionMadeSchema)
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.alt_response(409, response="CONFLICT")
    @review_blp.doc(operationId="review_ask_reporter")
    def post(self, data, report_id):
        """Ask the reporter a question

        Ask the reporter a question; they see it in their report or receipt status and answer there.
        """
        return review.ask(current_principal(), report_id, data["text"]), 201


@review_blp.route("/reports/<int:report_id>/decision")
class Decision(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.arguments(DecisionSchema)
    @review_blp.response(201, ReviewReportSchema)
    @review_blp.alt_response(200, schema=ReviewReportSchema, success=True,
                             description="the same decision was already taken: the stored one, nothing applied")
    @review_blp.alt_response(403, response="FORBIDDEN")
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.alt_response(409, response="CONFLICT")
    @review_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @review_blp.doc(operationId="review_decide_report")
    def post(self, data, report_id):
        """Decide the report

        Decide the report, finally: substantiated (needs a confirmed finding) applies the subject's penalty, the
        reporter's bonus and the reward in one transaction; malicious penalises a real-name reporter. The same decision
        again answers 200 with the stored one; another is 409 already_decided.
        """
        principal = current_principal()
        decided = review.decide(principal, report_id, **data)
        return review.detail(service.get_report(decided.report.id), principal), 201 if decided.created else 200


@review_blp.route("/reports/<int:report_id>/reporter")
class Reporter(MethodView):
    @review_blp.access(*OFFICE, permission="reports:identity")
    @review_blp.response(200, ReporterIdentitySchema)
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.doc(operationId="review_get_reporter")
    def get(self, report_id):
        """The reporter of a real-name report

        Who filed a real-name report (masked); each view is an audit record.
        """
        return review.reporter_identity(current_principal(), report_id)


@review_blp.route("/reports/<int:report_id>/attachments/<string:upload_id>")
class ReviewAttachment(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.doc(responses={"200": ATTACHMENT_RESPONSE})
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.doc(operationId="review_get_report_attachment")
    def get(self, report_id, upload_id):
        """An attachment of the report

        An attachment of the report, of an answer or of a finding, as a download.
        """
        report = service.get_report(report_id)
        return download(review.attachment(report, upload_id), f"{report.report_no}-{upload_id[:8]}")


@review_blp.route("/rewards")
class Rewards(MethodView):
    @review_blp.access(*OFFICE)
    @review_blp.arguments(RewardQuery, location="query")
    @review_blp.response(200, RewardSchema(many=True))
    @review_blp.paginate()
    @review_blp.doc(operationId="review_list_rewards")
    def get(self, query, pagination_parameters):
        """Rewards of substantiated reports

        Rewards of substantiated reports, unpaid first (no payee here).
        """
        return paginate(rewards.rewards(**query), pagination_parameters)


@review_blp.route("/rewards/<int:reward_id>/payee")
class Payee(MethodView):
    @review_blp.access(*OFFICE, permission="rewards:pay")
    @review_blp.response(200, PayeeSchema)
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.doc(operationId="review_get_reward_payee")
    def get(self, reward_id):
        """The payee of a reward

        Who is to be paid (masked; anonymous reporters are paid against their receipt); audited.
        """
        return rewards.payee(current_principal(), reward_id)


@review_blp.route("/rewards/<int:reward_id>/paid")
class Paid(MethodView):
    @review_blp.access(*OFFICE, permission="rewards:pay")
    @review_blp.arguments(PaidSchema)
    @review_blp.response(200, RewardSchema)
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.alt_response(409, response="CONFLICT")
    @review_blp.doc(operationId="review_record_reward_paid")
    def post(self, data, reward_id):
        """Record the payout

        Record the payout (time, method, reference), once; the same record again answers the stored one.
        """
        reward, _created = rewards.mark_paid(current_principal(), reward_id, **data)
        return reward


@review_blp.route("/rewards/claim")
class Claim(MethodView):
    @review_blp.access(*OFFICE, permission="rewards:pay")
    @review_blp.arguments(ReceiptSchema)
    @review_blp.response(200, RewardSchema)
    @review_blp.alt_response(404, response="NOT_FOUND")
    @review_blp.doc(operationId="review_find_reward_by_receipt")
    def post(self, data):
        """Find a reward by receipt

        Finds the reward of an anonymous report by the receipt code the reporter brings to the office (in the body,
        never the URL).
        """
        return rewards.claim(current_principal(), data["receipt"])


# --- departments -----------------------------------------------------------------------------------------


@department_blp.route("")
class DepartmentReports(MethodView):
    @department_blp.access(DEPARTMENT)
    @department_blp.response(200, DepartmentLineSchema(many=True))
    @department_blp.paginate()
    @department_blp.doc(operationId="department_list_reports")
    def get(self, pagination_parameters):
        """Reports forwarded to my department

        Reports forwarded to my department, waiting ones first, each with its deadline.
        """
        rows = paginate(review.department_queue(current_principal()), pagination_parameters)
        return [review.department_line(row) for row in rows]


@department_blp.route("/<int:report_id>")
class DepartmentReport(MethodView):
    @department_blp.access(DEPARTMENT)
    @department_blp.response(200, DepartmentReportSchema)
    @department_blp.alt_response(404, response="NOT_FOUND")
    @department_blp.doc(operationId="department_get_report")
    def get(self, report_id):
        """A report forwarded to my department

        A report forwarded to my department: facts, subject, attachments (never the reporter).
        """
        return review.department_view(review.department_forward(current_principal(), report_id))


@department_blp.route("/<int:report_id>/findings")
class Findings(MethodView):
    @department_blp.access(DEPARTMENT)
    @department_blp.arguments(FindingSchema)
    @department_blp.response(201, DepartmentReportSchema)
    @department_blp.alt_response(200, schema=DepartmentReportSchema, success=True,
                                 description="the same finding was already recorded")
    @department_blp.alt_response(404, response="NOT_FOUND")
    @department_blp.alt_response(409, response="CONFLICT")
    @department_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @department_blp.doc(operationId="department_return_finding")
    def post(self, data, report_id):
        """Return the finding

        Return the finding (confirmed or not_confirmed) with a note and evidence uploaded first.
        """
        row, created = review.record_finding(current_principal(), report_id, **data)
        return review.department_view(row), 201 if created else 200


@department_blp.route("/<int:report_id>/attachments/<string:upload_id>")
class DepartmentAttachment(MethodView):
    @department_blp.access(DEPARTMENT)
    @department_blp.doc(responses={"200": ATTACHMENT_RESPONSE})
    @department_blp.alt_response(404, response="NOT_FOUND")
    @department_blp.doc(operationId="department_get_report_attachment")
    def get(self, report_id, upload_id):
        """An attachment of a report forwarded to my department

        An attachment of a report forwarded to my department (or of my finding), as a download.
        """
        row = review.department_forward(current_principal(), report_id)
        report = service.get_report(report_id)
        return download(review.department_attachment(row, upload_id), f"{report.report_no}-{upload_id[:8]}")
