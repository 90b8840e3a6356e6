import marshmallow as ma
from marshmallow import validate

from backend.credit.schemas import SHOWN_STATUSES
from backend.repairs.models import OBJECTION_DECISIONS, OBJECTION_STATUSES, REPAIR_DECISIONS, REPAIR_STATUSES
from backend.uploads.schemas import AttachmentSchema
from backend.web.schemas import LocalDateTime, MaskedResidentSchema, QuerySchema, StrictSchema, Text

UPLOAD_ID = ma.fields.String(validate=validate.Length(1, 32))
ID = validate.Range(1, 2**31 - 1)


class CommitmentLetterSchema(ma.Schema):
    version = ma.fields.Integer(required=True, metadata={"description": "name this version when applying for repair"})
    title = ma.fields.String(required=True)
    text = ma.fields.String(required=True)
    published_at = LocalDateTime(required=True)


class CommitmentLetterCreateSchema(StrictSchema):
    title = Text(required=True, validate=validate.Length(2, 100))
    text = Text(required=True, validate=validate.Length(20, 10000))


class RepairCreateSchema(StrictSchema):
    event_id = ma.fields.Integer(required=True, strict=True, validate=ID)
    statement = Text(required=True, validate=validate.Length(10, 2000), metadata={
        "description": "how the obligation was met (履行义务、纠正失信行为的情况)"})
    commitment_version = ma.fields.Integer(required=True, strict=True, validate=ID, metadata={
        "description": "the version of the commitment letter the resident accepted (the current one)"})
    evidence = ma.fields.List(UPLOAD_ID, required=True, validate=validate.Length(1, 9), metadata={
        "description": "upload ids of the proof that the obligation was met (1–9)"})


class ObjectionCreateSchema(StrictSchema):
    event_id = ma.fields.Integer(required=True, strict=True, validate=ID)
    reason = Text(required=True, validate=validate.Length(10, 2000), metadata={
        "description": "why the record is wrong"})
    evidence = ma.fields.List(UPLOAD_ID, load_default=list, validate=validate.Length(max=9))


class CaseEventSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    rubric_code = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    category = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": ["bonus", "penalty"]})
    severity = ma.fields.String(allow_none=True, metadata={"enum": ["minor", "general", "serious"]})
    points = ma.fields.Integer(required=True)
    occurred_at = LocalDateTime(required=True)
    effective_until = LocalDateTime(required=True)
    status = ma.fields.String(required=True, metadata={"enum": SHOWN_STATUSES})
    source = ma.fields.String(required=True)


class CaseStepSchema(ma.Schema):
    step = ma.fields.String(required=True, metadata={"enum": ["filed", "assigned", "decided"]})
    at = LocalDateTime(required=True)
    detail = ma.fields.String(allow_none=True)


class OfficeCaseStepSchema(CaseStepSchema):
    staff_id = ma.fields.Integer(allow_none=True)


class RepairDecisionViewSchema(ma.Schema):
    decision = ma.fields.String(required=True, metadata={"enum": list(REPAIR_DECISIONS)})
    note = ma.fields.String(required=True, metadata={"description": "the office's written reason"})
    decided_at = LocalDateTime(required=True)


class ObjectionDecisionViewSchema(RepairDecisionViewSchema):
    decision = ma.fields.String(required=True, metadata={"enum": list(OBJECTION_DECISIONS)})


class MyRepairSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    event = ma.fields.Nested(CaseEventSchema, required=True)
    status = ma.fields.String(required=True, metadata={"enum": list(REPAIR_STATUSES)})
    statement = ma.fields.String(required=True)
    commitment_version = ma.fields.Integer(required=True)
    filed_at = LocalDateTime(required=True)
    due_on = ma.fields.Date(required=True, metadata={"description": "the office decides by this date"})
    evidence = ma.fields.List(ma.fields.Nested(AttachmentSchema), required=True)
    history = ma.fields.List(ma.fields.Nested(CaseStepSchema), required=True)
    decision = ma.fields.Nested(RepairDecisionViewSchema, allow_none=True)


class MyObjectionSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    event = ma.fields.Nested(CaseEventSchema, required=True)
    status = ma.fields.String(required=True, metadata={"enum": list(OBJECTION_STATUSES)})
    reason = ma.fields.String(required=True)
    filed_at = LocalDateTime(required=True)
    due_on = ma.fields.Date(required=True, metadata={"description": "the office decides by this date"})
    evidence = ma.fields.List(ma.fields.Nested(AttachmentSchema), required=True)
    history = ma.fields.List(ma.fields.Nested(CaseStepSchema), required=True)
    decision = ma.fields.Nested(ObjectionDecisionViewSchema, allow_none=True)


class _QueueLine(ma.Schema):
    id = ma.fields.Integer(required=True)
    event_id = ma.fields.Integer(required=True)
    filed_at = LocalDateTime(required=True)
    due_on = ma.fields.Date(required=True)
    overdue = ma.fields.Boolean(required=True, metadata={"description": "still pending after its due date"})
    assignee_id = ma.fields.Integer(allow_none=True)
    resident = ma.fields.Nested(MaskedResidentSchema, required=True)


class RepairLineSchema(_QueueLine):
    status = ma.fields.String(required=True, metadata={"enum": list(REPAIR_STATUSES)})


class ObjectionLineSchema(_QueueLine):
    status = ma.fields.String(required=True, metadata={"enum": list(OBJECTION_STATUSES)})


class ReviewRepairSchema(MyRepairSchema, RepairLineSchema):
    decided_by = ma.fields.Integer(allow_none=True)
    history = ma.fields.List(ma.fields.Nested(OfficeCaseStepSchema), required=True)


class ReviewObjectionSchema(MyObjectionSchema, ObjectionLineSchema):
    decided_by = ma.fields.Integer(allow_none=True)
    history = ma.fields.List(ma.fields.Nested(OfficeCaseStepSchema), required=True)


class RepairQueueQuery(QuerySchema):
    status = ma.fields.String(validate=validate.OneOf(REPAIR_STATUSES))
    overdue = ma.fields.Boolean()
    assignee = ma.fields.Integer(strict=False, validate=ID)


class ObjectionQueueQuery(QuerySchema):
    status = ma.fields.String(validate=validate.OneOf(OBJECTION_STATUSES))
    overdue = ma.fields.Boolean()
    assignee = ma.fields.Integer(strict=False, validate=ID)


class CaseAssignSchema(StrictSchema):
    reviewer_id = ma.fields.Integer(required=True, strict=True, validate=ID)


class RepairDecisionSchema(StrictSchema):
    decision = ma.fields.String(required=True, validate=validate.OneOf(list(REPAIR_DECISIONS)))
    note = Text(required=True, validate=validate.Length(2, 2000), metadata={
        "description": "the written reason; the resident reads it"})


class ObjectionDecisionSchema(StrictSchema):
    decision = ma.fields.String(required=True, validate=validate.OneOf(list(OBJECTION_DECISIONS)))
    note = Text(required=True, validate=validate.Length(2, 2000), metadata={
        "description": "the written reason; the resident reads it"})
