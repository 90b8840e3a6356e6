import marshmallow as ma
from marshmallow import validate

from backend.i18n import _
from backend.reports.models import FINDINGS, OUTCOMES, REWARD_STATUSES, SCREENINGS, STATUSES, SUBJECT_TYPES
from backend.reports.rewards import METHODS
from backend.uploads.schemas import AttachmentSchema
from backend.web.schemas import AwareDateTime, LocalDateTime, QuerySchema, StrictSchema, Text

UPLOAD_ID = ma.fields.String(validate=validate.Length(1, 32))
CATEGORY_CODE = validate.Regexp(r"^[a-z][a-z0-9_]{1,39}$", error=_("lower-case letters, digits and '_' (2–40)"))
RECEIPT = Text(required=True, validate=validate.Length(1, 80),
               metadata={"description": "the receipt code as the reporter has it (case, spaces, hyphens and "
                                        "the look-alikes I/L/1, O/0 do not matter)"})


# --- categories ------------------------------------------------------------------------------------------


class CategorySchema(ma.Schema):
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    description = ma.fields.String(allow_none=True)
    rubric_code = ma.fields.String(required=True, metadata={
        "description": "the rubric item (a penalty) a substantiated report applies to a resident subject"})
    department_source = ma.fields.String(required=True, metadata={
        "description": "the department (by its source) that verifies such reports"})


class AdminCategorySchema(CategorySchema):
    position = ma.fields.Integer(required=True)
    active = ma.fields.Boolean(required=True)


class CategoryCreateSchema(StrictSchema):
    code = ma.fields.String(required=True, validate=CATEGORY_CODE)
    name = Text(required=True, validate=validate.Length(1, 50))
    description = Text(allow_none=True, validate=validate.Length(1, 200))
    rubric_code = ma.fields.String(required=True, validate=validate.Length(1, 40))
    department_source = ma.fields.String(required=True, validate=validate.Length(2, 64))
    position = ma.fields.Integer(strict=True, validate=validate.Range(0, 1000))
    active = ma.fields.Boolean()


class CategoryUpdateSchema(CategoryCreateSchema):
    class Meta:
        exclude = ("code",)

    name = Text(validate=validate.Length(1, 50))
    rubric_code = ma.fields.String(validate=validate.Length(1, 40))
    department_source = ma.fields.String(validate=validate.Length(2, 64))


class CategoryQuery(QuerySchema):
    include_inactive = ma.fields.Boolean(load_default=False)


# --- filing ----------------------------------------------------------------------------------------------


class ReportedSubjectSchema(StrictSchema):
    type = ma.fields.String(required=True, validate=validate.OneOf(SUBJECT_TYPES))
    name = Text(required=True, validate=validate.Length(1, 100))
    id_number = ma.fields.String(allow_none=True, validate=validate.Length(max=30),
                                 metadata={"description": "a person's ID number (sealed at rest, shown masked)"})
    uscc = ma.fields.String(allow_none=True, validate=validate.Length(max=30),
                            metadata={"description": "an enterprise's unified social credit code"})


class LocationSchema(StrictSchema):
    town = ma.fields.String(allow_none=True, validate=validate.Length(1, 50),
                            metadata={"description": "the town or street (镇街) as the registry names it"})
    address = Text(allow_none=True, validate=validate.Length(1, 200))


class ReportCreateSchema(StrictSchema):
    category = ma.fields.String(required=True, validate=validate.Length(1, 40))
    subject = ma.fields.Nested(ReportedSubjectSchema, required=True)
    description = Text(required=True, validate=validate.Length(10, 2000))
    location = ma.fields.Nested(LocationSchema, allow_none=True)
    occurred_at = AwareDateTime(required=True)
    attachments = ma.fields.List(UPLOAD_ID, load_default=list, validate=validate.Length(max=9))
    anonymous = ma.fields.Boolean(required=True)
    client_request_id = ma.fields.String(validate=validate.Regexp(r"^[A-Za-z0-9._-]{8,64}$"), metadata={
        "description": "a random id of this filing: sent again within 10 minutes, the same answer comes back"})


class FiledSchema(ma.Schema):
    report_no = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": list(STATUSES)})
    receipt_code = ma.fields.String(metadata={
        "description": "anonymous reports only, shown this once: XXXX-XXXX-XXXX-XXXX-XXXX"})


# --- the reporter's view ---------------------------------------------------------------------------------


class CategoryRefSchema(ma.Schema):
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)


class SubjectViewSchema(ma.Schema):
    type = ma.fields.String(required=True, metadata={"enum": list(SUBJECT_TYPES)})
    masked_name = ma.fields.String(required=True)
    masked_id_number = ma.fields.String(allow_none=True)
    uscc = ma.fields.String(allow_none=True)


class StepSchema(ma.Schema):
    step = ma.fields.String(required=True)
    at = LocalDateTime(required=True)


class MessageSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": ["question", "answer"]})
    text = ma.fields.String(required=True)
    at = LocalDateTime(required=True)
    attachments = ma.fields.List(ma.fields.Nested(AttachmentSchema), required=True)


class RewardStateSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"enum": list(REWARD_STATUSES)})
    amount = ma.fields.Integer(required=True, metadata={"description": "yuan"})
    paid_at = LocalDateTime(allow_none=True)


class ReporterReportSchema(ma.Schema):
    report_no = ma.fields.String(required=True)
    category = ma.fields.Nested(CategoryRefSchema, required=True)
    status = ma.fields.String(required=True, metadata={"enum": list(STATUSES)})
    extended = ma.fields.Boolean(required=True)
    outcome = ma.fields.String(allow_none=True, metadata={"enum": list(OUTCOMES)})
    anonymous = ma.fields.Boolean(required=True)
    filed_at = LocalDateTime(required=True)
    occurred_at = LocalDateTime(required=True)
    decided_at = LocalDateTime(allow_none=True)
    subject = ma.fields.Nested(SubjectViewSchema, required=True)
    description = ma.fields.String(required=True)
    attachments = ma.fields.List(ma.fields.Nested(AttachmentSchema), required=True)
    history = ma.fields.List(ma.fields.Nested(StepSchema), required=True)
    messages = ma.fields.List(ma.fields.Nested(MessageSchema), required=True)
    reward = ma.fields.Nested(RewardStateSchema, allow_none=True)


class MyReportLineSchema(ma.Schema):
    report_no = ma.fields.String(required=True)
    category = ma.fields.Nested(CategoryRefSchema, required=True)
    status = ma.fields.String(required=True, metadata={"enum": list(STATUSES)})
    outcome = ma.fields.String(allow_none=True, metadata={"enum": list(OUTCOMES)})
    filed_at = LocalDateTime(required=True)


class AnswerSchema(StrictSchema):
    text = Text(required=True, validate=validate.Length(1, 2000))
    attachments = ma.fields.List(UPLOAD_ID, load_default=list, validate=validate.Length(max=9))


class ReceiptSchema(StrictSchema):
    receipt = RECEIPT


class ReceiptAnswerSchema(AnswerSchema):
    receipt = RECEIPT


# --- the office ------------------------------------------------------------------------------------------


class ReviewQuery(QuerySchema):
    status = ma.fields.String(validate=validate.OneOf(STATUSES))
    category = ma.fields.String(validate=validate.Length(1, 40))
    overdue = ma.fields.Boolean()
    assignee = ma.fields.Integer(strict=False, validate=validate.Range(1, 2**31 - 1))


class ReviewLineSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    report_no = ma.fields.String(required=True)
    category = ma.fields.Nested(CategoryRefSchema, required=True)
    status = ma.fields.String(required=True, metadata={"enum": list(STATUSES)})
    outcome = ma.fields.String(allow_none=True, metadata={"enum": list(OUTCOMES)})
    extended = ma.fields.Boolean(required=True)
    anonymous = ma.fields.Boolean(required=True)
    flagged = ma.fields.Boolean(required=True, metadata={
        "description": "WeChat's screening said review, or could not be reached: read with care"})
    screening = ma.fields.String(required=True, metadata={"enum": list(SCREENINGS)})
    filed_at = LocalDateTime(required=True)
    assignee_id = ma.fields.Integer(allow_none=True)
    acknowledge_due_on = ma.fields.Date(required=True)
    decide_due_on = ma.fields.Date(required=True)
    finding_due_on = ma.fields.Date(allow_none=True)
    late = ma.fields.List(ma.fields.String(metadata={"enum": ["acknowledge", "decide", "finding"]}),
                          required=True, metadata={"description": "steps past their due date"})
    duplicate_of = ma.fields.String(allow_none=True, metadata={
        "description": "the report number of the first report of its duplicate group"})
    subject = ma.fields.Nested(SubjectViewSchema, required=True)


class OfficeStepSchema(StepSchema):
    staff_id = ma.fields.Integer(allow_none=True)
    detail = ma.fields.String(allow_none=True)


class ForwardSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    source = ma.fields.String(required=True)
    forwarded_at = LocalDateTime(required=True)
    due_on = ma.fields.Date(required=True)
    status = ma.fields.String(required=True, metadata={"enum": ["pending", "answered", "withdrawn"]})
    finding = ma.fields.String(allow_none=True, metadata={"enum": list(FINDINGS)})
    note = ma.fields.String(allow_none=True)
    finding_at = LocalDateTime(allow_none=True)
    late = ma.fields.Boolean(required=True)
    evidence = ma.fields.List(ma.fields.Nested(AttachmentSchema), required=True)


class MaskedResidentRefSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    masked_name = ma.fields.String(required=True)
    masked_id_number = ma.fields.String(required=True)
    masked_phone = ma.fields.String(allow_none=True)
    town = ma.fields.String(required=True)
    village = ma.fields.String(required=True)
    household_no = ma.fields.String(required=True)
    status = ma.fields.String(required=True)


class SubjectCreditSchema(ma.Schema):
    resident = ma.fields.Nested(MaskedResidentRefSchema, required=True)
    points = ma.fields.Integer(required=True)
    stars = ma.fields.Integer(required=True)
    level_name = ma.fields.String(required=True)


class FindingRefSchema(ma.Schema):
    source = ma.fields.String(required=True)
    finding = ma.fields.String(required=True, metadata={"enum": list(FINDINGS)})
    finding_at = LocalDateTime(required=True)


class DecisionViewSchema(ma.Schema):
    outcome = ma.fields.String(required=True, metadata={"enum": list(OUTCOMES)})
    decided_at = LocalDateTime(required=True)
    decided_by = ma.fields.Integer(allow_none=True)
    note = ma.fields.String(required=True)
    rubric_code = ma.fields.String(allow_none=True)
    subject_resident_id = ma.fields.Integer(allow_none=True)
    penalty_event_id = ma.fields.Integer(allow_none=True)
    finding = ma.fields.Nested(FindingRefSchema, allow_none=True, metadata={
        "description": "the department's confirmed finding the decision rests on"})
    override_reason = ma.fields.String(allow_none=True, metadata={
        "description": "an admin's reason to decide substantiated without a confirmed finding"})


class RewardLineSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    amount = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"enum": list(REWARD_STATUSES)})
    paid_at = LocalDateTime(allow_none=True)


class GroupLineSchema(ma.Schema):
    report_no = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    outcome = ma.fields.String(allow_none=True)


class ReviewReportSchema(ReviewLineSchema):
    occurred_at = LocalDateTime(required=True)
    description = ma.fields.String(required=True)
    location = ma.fields.String(allow_none=True)
    town = ma.fields.String(allow_none=True)
    extension_reason = ma.fields.String(allow_none=True)
    attachments = ma.fields.List(ma.fields.Nested(AttachmentSchema), required=True)
    subject_credit = ma.fields.Nested(SubjectCreditSchema, allow_none=True, metadata={
        "description": "a resident subject's score; reading it is a query record the subject sees once the "
                       "report is decided (purpose 举报核查)"})
    history = ma.fields.List(ma.fields.Nested(OfficeStepSchema), required=True)
    messages = ma.fields.List(ma.fields.Nested(MessageSchema), required=True)
    forwards = ma.fields.List(ma.fields.Nested(ForwardSchema), required=True)
    group = ma.fields.List(ma.fields.Nested(GroupLineSchema), required=True, metadata={
        "description": "the other reports of its duplicate group"})
    decision = ma.fields.Nested(DecisionViewSchema, allow_none=True)
    reward = ma.fields.Nested(RewardLineSchema, allow_none=True)


class AssignSchema(StrictSchema):
    reviewer_id = ma.fields.Integer(required=True, strict=True, validate=validate.Range(1, 2**31 - 1))


class ExtendSchema(StrictSchema):
    reason = Text(required=True, validate=validate.Length(2, 500))


class ForwardCreateSchema(StrictSchema):
    source = ma.fields.String(allow_none=True, validate=validate.Length(2, 64), metadata={
        "description": "the department; by default the one that verifies the report's category"})


class QuestionSchema(StrictSchema):
    text = Text(required=True, validate=validate.Length(1, 1000))


class QuestionMadeSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    at = LocalDateTime(required=True)


class DecisionSchema(StrictSchema):
    outcome = ma.fields.String(required=True, validate=validate.OneOf(OUTCOMES))
    note = Text(required=True, validate=validate.Length(2, 2000))
    rubric_code = ma.fields.String(allow_none=True, validate=validate.Length(1, 40), metadata={
        "description": "the penalty item for a resident subject (default: the category's)"})
    subject_resident_id = ma.fields.Integer(allow_none=True, strict=True, validate=validate.Range(1, 2**31 - 1),
                                            metadata={"description": "the registry resident the report is about "
                                                                     "(default: the one the filed ID number names)"})
    reward_rubric_code = ma.fields.String(allow_none=True, validate=validate.Length(1, 40), metadata={
        "description": "a real-name reporter's bonus: the normal (RP-01) or major-case (RP-02) reporting item"})
    reward_amount = ma.fields.Integer(allow_none=True, strict=True, metadata={
        "description": "yuan, within rewards.min_amount–rewards.max_amount; needed when the report is the first "
                       "of its group decided substantiated"})
    without_finding_reason = Text(allow_none=True, validate=validate.Length(2, 500), metadata={
        "description": "admins only: why the office decides substantiated without a confirmed finding"})


class ReporterIdentitySchema(ma.Schema):
    anonymous = ma.fields.Boolean(required=True)
    resident = ma.fields.Nested(MaskedResidentRefSchema, allow_none=True)
    reporter_event = ma.fields.Dict(allow_none=True, metadata={
        "description": "the reporter's bonus or malicious-report event and its opaque source_ref"})


# --- departments -----------------------------------------------------------------------------------------


class DepartmentLineSchema(ma.Schema):
    id = ma.fields.Integer(required=True, attribute="report_id")
    report_no = ma.fields.String(required=True)
    category = ma.fields.Nested(CategoryRefSchema, required=True)
    subject = ma.fields.Nested(SubjectViewSchema, required=True)
    forward = ma.fields.Nested(ForwardSchema, required=True)


class DepartmentReportSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    report_no = ma.fields.String(required=True)
    category = ma.fields.Nested(CategoryRefSchema, required=True)
    subject = ma.fields.Nested(SubjectViewSchema, required=True)
    occurred_at = LocalDateTime(required=True)
    filed_at = LocalDateTime(required=True)
    town = ma.fields.String(allow_none=True)
    description = ma.fields.String(required=True)
    location = ma.fields.String(allow_none=True)
    attachments = ma.fields.List(ma.fields.Nested(AttachmentSchema), required=True)
    forward = ma.fields.Nested(ForwardSchema, required=True)


class FindingSchema(StrictSchema):
    finding = ma.fields.String(required=True, validate=validate.OneOf(FINDINGS))
    note = Text(required=True, validate=validate.Length(2, 2000))
    evidence = ma.fields.List(UPLOAD_ID, load_default=list, validate=validate.Length(max=9))


# --- rewards ---------------------------------------------------------------------------------------------


class RewardQuery(QuerySchema):
    status = ma.fields.String(validate=validate.OneOf(REWARD_STATUSES))


class RewardSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    report_no = ma.fields.String(attribute="report.report_no", required=True)
    anonymous = ma.fields.Boolean(attribute="report.anonymous", required=True)
    amount = ma.fields.Integer(required=True, metadata={"description": "yuan"})
    status = ma.fields.String(required=True, metadata={"enum": list(REWARD_STATUSES)})
    approved_at = LocalDateTime(required=True)
    paid_at = LocalDateTime(allow_none=True)
    method = ma.fields.String(allow_none=True)
    cancelled_at = LocalDateTime(allow_none=True)


class PayeeSchema(ma.Schema):
    reward_id = ma.fields.Integer(required=True)
    anonymous = ma.fields.Boolean(required=True, metadata={
        "description": "true: paid at the office against the receipt (POST /review/rewards/claim)"})
    resident = ma.fields.Nested(MaskedResidentRefSchema, allow_none=True)


class PaidSchema(StrictSchema):
    paid_at = AwareDateTime(required=True)
    method = ma.fields.String(required=True, validate=validate.OneOf(METHODS))
    reference = Text(required=True, validate=validate.Length(1, 100), metadata={
        "description": "the transfer's or receipt book's reference (sealed at rest)"})
