import marshmallow as ma
from marshmallow import validate

from backend.data.types import MAX_DB_INTEGER
from backend.integrity.models import (
    BODY_KINDS,
    CIVIL_SERVANT_RECORD_KINDS,
    COMMITMENT_KINDS,
    RECORD_KINDS,
)
from backend.integrity.service import owner_view, shown_status
from backend.web.schemas import IdNumber, LocalDateTime, MaskedResidentSchema, QuerySchema, StrictSchema, Text

SHOWN_COMMITMENT_STATUSES = ["pending", "overdue", "fulfilled", "broken"]
RECORD_STATUSES = ["open", "rectified"]
ID = validate.Range(1, MAX_DB_INTEGER)


# --- government bodies ----------------------------------------------------------------------------------


class OwnerSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": list(BODY_KINDS)})
    name = ma.fields.String(required=True)
    source = ma.fields.String(allow_none=True, metadata={"description": "a department's source name"})
    town = ma.fields.String(allow_none=True, metadata={"description": "a town government's town, or the "
                                                                      "town a department's branch serves"})


class OwnerWithRateSchema(OwnerSchema):
    fulfilment_rate = ma.fields.Float(allow_none=True, metadata={
        "description": "fulfilled on time ÷ commitments due, 0–1 to four places; null while nothing is due"})


class BodySchema(ma.Schema):
    """A government body read from the database."""

    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": list(BODY_KINDS)})
    name = ma.fields.String(required=True)
    source = ma.fields.String(allow_none=True)
    town = ma.fields.Function(lambda body: body.town.name if body.town else None, allow_none=True,
                              metadata={"type": "string"})
    created_at = LocalDateTime(required=True)


class BodyCreateSchema(StrictSchema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(BODY_KINDS))
    name = Text(required=True, validate=validate.Length(2, 100),
                metadata={"description": "as the public sees it, e.g. 江阴市市场监督管理局, 长泾镇人民政府"})
    source = ma.fields.String(validate=validate.Length(1, 64),
                              metadata={"description": "departments: the source name their staff accounts carry"})
    town = Text(validate=validate.Length(1, 50),
                metadata={"description": "town governments: their town; departments: a town branch's town"})


class BodyUpdateSchema(StrictSchema):
    name = Text(validate=validate.Length(2, 100))
    town = Text(allow_none=True, validate=validate.Length(1, 50),
                metadata={"description": "departments only; null makes it city-level"})


class BodyQuery(QuerySchema):
    kind = ma.fields.String(validate=validate.OneOf(BODY_KINDS))
    town = ma.fields.String(validate=validate.Length(1, 50))


# --- commitments ----------------------------------------------------------------------------------------


class StaffCommitmentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    owner = ma.fields.Function(lambda commitment: owner_view(commitment.owner), required=True,
                               metadata={"type": "object"})
    kind = ma.fields.String(required=True, metadata={"enum": list(COMMITMENT_KINDS)})
    title = ma.fields.String(required=True)
    content = ma.fields.String(required=True)
    made_on = ma.fields.Date(required=True)
    due_on = ma.fields.Date(required=True)
    status = ma.fields.Function(lambda commitment: shown_status(commitment), required=True,
                                metadata={"type": "string", "enum": SHOWN_COMMITMENT_STATUSES})
    fulfilled_late = ma.fields.Boolean(required=True)
    resolved_on = ma.fields.Date(allow_none=True, metadata={"description": "the day the outcome was recorded"})
    evidence = ma.fields.String(allow_none=True)
    note = ma.fields.String(allow_none=True, metadata={"description": "staff only"})
    created_at = LocalDateTime(required=True)
    resolved_at = LocalDateTime(allow_none=True)


class PublicCommitmentSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    owner = ma.fields.Nested(OwnerWithRateSchema, required=True)
    kind = ma.fields.String(required=True, metadata={"enum": list(COMMITMENT_KINDS)})
    title = ma.fields.String(required=True)
    content = ma.fields.String(required=True)
    made_on = ma.fields.Date(required=True)
    due_on = ma.fields.Date(required=True)
    status = ma.fields.String(required=True, metadata={"enum": SHOWN_COMMITMENT_STATUSES})
    fulfilled_late = ma.fields.Boolean(required=True)
    resolved_on = ma.fields.Date(allow_none=True)
    evidence = ma.fields.String(allow_none=True)


class CommitmentCreateSchema(StrictSchema):
    owner_id = ma.fields.Integer(strict=True, validate=ID, metadata={
        "description": "admins: the government body; departments leave it out (their own is used)"})
    kind = ma.fields.String(required=True, validate=validate.OneOf(COMMITMENT_KINDS))
    title = Text(required=True, validate=validate.Length(2, 200))
    content = Text(required=True, validate=validate.Length(2, 5000))
    made_on = ma.fields.Date(required=True)
    due_on = ma.fields.Date(required=True)


class CommitmentCorrectSchema(StrictSchema):
    kind = ma.fields.String(validate=validate.OneOf(COMMITMENT_KINDS))
    title = Text(validate=validate.Length(2, 200))
    content = Text(validate=validate.Length(2, 5000))


class OutcomeSchema(StrictSchema):
    evidence = Text(required=True, validate=validate.Length(2, 2000),
                    metadata={"description": "published with the commitment: what shows the outcome"})
    note = Text(validate=validate.Length(1, 2000), metadata={"description": "staff only, sealed"})


class CommitmentQuery(QuerySchema):
    owner = ma.fields.Integer(validate=ID, metadata={"description": "a government body's id"})
    town = ma.fields.String(validate=validate.Length(1, 50))
    kind = ma.fields.String(validate=validate.OneOf(COMMITMENT_KINDS))
    status = ma.fields.String(validate=validate.OneOf(SHOWN_COMMITMENT_STATUSES))


# --- integrity summary ----------------------------------------------------------------------------------


class CommitmentCountsSchema(ma.Schema):
    total = ma.fields.Integer(required=True)
    due = ma.fields.Integer(required=True, metadata={
        "description": "outcome recorded or due day over: fulfilled_on_time + fulfilled_late + broken + overdue"})
    fulfilled_on_time = ma.fields.Integer(required=True)
    fulfilled_late = ma.fields.Integer(required=True)
    broken = ma.fields.Integer(required=True)
    overdue = ma.fields.Integer(required=True)
    not_yet_due = ma.fields.Integer(required=True)


class RecordCountsSchema(ma.Schema):
    open = ma.fields.Integer(required=True)
    rectified = ma.fields.Integer(required=True)


class IntegritySummarySchema(ma.Schema):
    owner = ma.fields.Nested(OwnerSchema, required=True)
    commitments = ma.fields.Nested(CommitmentCountsSchema, required=True)
    fulfilment_rate = ma.fields.Float(allow_none=True, metadata={
        "description": "fulfilled on time ÷ due, 0–1 to four places; null while nothing is due"})
    dishonesty_records = ma.fields.Nested(RecordCountsSchema, required=True)


class IntegrityQuery(QuerySchema):
    kind = ma.fields.String(validate=validate.OneOf(BODY_KINDS))
    town = ma.fields.String(validate=validate.Length(1, 50))


# --- government dishonesty records ----------------------------------------------------------------------


class GovernmentRecordSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    owner = ma.fields.Function(lambda record: owner_view(record.owner), required=True, metadata={"type": "object"})
    kind = ma.fields.String(required=True, metadata={"enum": list(RECORD_KINDS)})
    facts = ma.fields.String(required=True)
    decided_on = ma.fields.Date(required=True)
    source_document = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": RECORD_STATUSES})
    rectified_on = ma.fields.Date(allow_none=True)
    rectification = ma.fields.String(allow_none=True)


class StaffGovernmentRecordSchema(GovernmentRecordSchema):
    created_at = LocalDateTime(required=True)
    rectified_at = LocalDateTime(allow_none=True, metadata={"description": "when the rectification was recorded"})


class GovernmentRecordCreateSchema(StrictSchema):
    owner_id = ma.fields.Integer(required=True, strict=True, validate=ID)
    kind = ma.fields.String(required=True, validate=validate.OneOf(RECORD_KINDS))
    facts = Text(required=True, validate=validate.Length(2, 5000))
    decided_on = ma.fields.Date(required=True)
    source_document = Text(required=True, validate=validate.Length(2, 200))


class GovernmentRecordCorrectSchema(StrictSchema):
    kind = ma.fields.String(validate=validate.OneOf(RECORD_KINDS))
    facts = Text(validate=validate.Length(2, 5000))
    decided_on = ma.fields.Date()
    source_document = Text(validate=validate.Length(2, 200))


class RectifySchema(StrictSchema):
    rectified_on = ma.fields.Date(required=True)
    rectification = Text(required=True, validate=validate.Length(2, 2000),
                         metadata={"description": "what the body did, published with the record"})


class GovernmentRecordQuery(QuerySchema):
    owner = ma.fields.Integer(validate=ID, metadata={"description": "a government body's id"})
    town = ma.fields.String(validate=validate.Length(1, 50))
    kind = ma.fields.String(validate=validate.OneOf(RECORD_KINDS))
    status = ma.fields.String(validate=validate.OneOf(RECORD_STATUSES))


# --- civil servants' integrity files --------------------------------------------------------------------


class CivilServantRecordSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    person = ma.fields.Nested(MaskedResidentSchema, required=True)
    kind = ma.fields.String(required=True, metadata={"enum": list(CIVIL_SERVANT_RECORD_KINDS)})
    facts = ma.fields.String(required=True)
    decided_on = ma.fields.Date(required=True)
    source_document = ma.fields.String(required=True)
    created_at = LocalDateTime(required=True)


class CivilServantRecordCreateSchema(StrictSchema):
    id_number = IdNumber(required=True, metadata={"description": "the civil servant's ID number (body only)"})
    kind = ma.fields.String(required=True, validate=validate.OneOf(CIVIL_SERVANT_RECORD_KINDS))
    facts = Text(required=True, validate=validate.Length(2, 5000))
    decided_on = ma.fields.Date(required=True)
    source_document = Text(required=True, validate=validate.Length(2, 200))


class CivilServantLookupSchema(StrictSchema):
    id_number = IdNumber(required=True)


class CivilServantQuery(QuerySchema):
    kind = ma.fields.String(validate=validate.OneOf(CIVIL_SERVANT_RECORD_KINDS))
