import marshmallow as ma
from marshmallow import validate

from backend.credit_reports.service import STATUSES
from backend.web.schemas import LocalDateTime, StrictSchema, Text


class ReportRequestSchema(StrictSchema):
    purpose = Text(required=True, validate=validate.Length(2, 50),
                   metadata={"description": "what the report is for, as the resident says it: 求职, 入学, 贷款 …",
                             "example": "求职"})


class IssuedReportSchema(ma.Schema):
    report_no = ma.fields.String(required=True, metadata={"example": "XY-20261203-K7Q2M9"})
    verification_code = ma.fields.String(required=True, metadata={
        "description": "shown once: the server keeps only its digest. The PDF download needs it back",
        "example": "7K3M-9QPX-2Z4R-HV8N-5T6W"})
    issued_at = LocalDateTime(required=True)
    valid_until = LocalDateTime(required=True)
    signed_snapshot = ma.fields.String(required=True, metadata={
        "description": "the snapshot as a compact JWS (typ chengxin-report+jwt), checked offline with the JWKS"})


class ReportHolderSchema(ma.Schema):
    masked_name = ma.fields.String(required=True)
    masked_id_number = ma.fields.String(required=True)


class CeilingSchema(ma.Schema):
    stars = ma.fields.Integer(required=True)
    rubric_code = ma.fields.String(required=True)
    title = ma.fields.String(allow_none=True)


class CategorySummarySchema(ma.Schema):
    category = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    bonus_events = ma.fields.Integer(required=True)
    bonus_points = ma.fields.Integer(required=True)
    penalty_events = ma.fields.Integer(required=True)
    penalty_points = ma.fields.Integer(required=True)


class ReportPenaltySchema(ma.Schema):
    occurred_on = ma.fields.String(required=True, metadata={"description": "Asia/Shanghai date, YYYY-MM-DD"})
    rubric_code = ma.fields.String(required=True)
    category = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    points = ma.fields.Integer(required=True)
    severity = ma.fields.String(allow_none=True)
    status = ma.fields.String(required=True, metadata={"enum": ["active", "disputed", "expired"]})
    counts = ma.fields.Boolean(required=True, metadata={"description": "still counts towards the points"})
    disclosed_until = ma.fields.String(allow_none=True, metadata={"description": "last day of disclosure"})


class HouseholdRatingSchema(ma.Schema):
    is_credit_household = ma.fields.Boolean(required=True)


class SnapshotSchema(ma.Schema):
    report_no = ma.fields.String(required=True)
    purpose = ma.fields.String(required=True)
    issuer = ma.fields.String(required=True)
    issued_at = ma.fields.String(required=True, metadata={"description": "ISO 8601, +08:00"})
    valid_until = ma.fields.String(required=True, metadata={"description": "ISO 8601, +08:00"})
    subject = ma.fields.Nested(ReportHolderSchema, required=True)
    points = ma.fields.Integer(required=True)
    stars = ma.fields.Integer(required=True)
    level_name = ma.fields.String(required=True)
    ceiling = ma.fields.Nested(CeilingSchema, allow_none=True, required=True)
    categories = ma.fields.List(ma.fields.Nested(CategorySummarySchema), required=True)
    penalties = ma.fields.List(ma.fields.Nested(ReportPenaltySchema), required=True)
    household = ma.fields.Nested(HouseholdRatingSchema, required=True)


class ReportSummarySchema(ma.Schema):
    report_no = ma.fields.String(required=True)
    purpose = ma.fields.String(required=True)
    issued_at = LocalDateTime(required=True)
    valid_until = LocalDateTime(required=True)
    status = ma.fields.String(required=True, metadata={"enum": list(STATUSES)})
    stars = ma.fields.Integer(required=True)
    level_name = ma.fields.String(required=True)
    revoked_at = LocalDateTime(allow_none=True)


class ReportSchema(ReportSummarySchema):
    revoked_by = ma.fields.String(allow_none=True, metadata={"enum": ["resident", "office", None]})
    revocation_reason = ma.fields.String(allow_none=True, metadata={"description": "the office's, when it revoked"})
    snapshot = ma.fields.Nested(SnapshotSchema, required=True)
    signed_snapshot = ma.fields.String(required=True)


class PdfHeaders(ma.Schema):
    class Meta:
        unknown = ma.EXCLUDE

    verification_code = ma.fields.String(data_key="X-Verification-Code", metadata={
        "description": "the report's verification code, as shown when it was issued (printed on the PDF)"})



class AdminRevokeSchema(StrictSchema):
    reason = Text(required=True, validate=validate.Length(2, 500))


class RevocationSchema(ma.Schema):
    report_no = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": ["revoked"]})
    revoked_at = LocalDateTime(required=True)
    revoked_by = ma.fields.String(required=True, metadata={"enum": ["resident", "office"]})


class CheckRequestSchema(StrictSchema):
    code = ma.fields.String(required=True, metadata={
        "description": "the verification code, with or without hyphens; case and I/L/1, O/0 do not matter",
        "example": "7K3M-9QPX-2Z4R-HV8N-5T6W"})


class CheckResultSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={"enum": list(STATUSES)})
    issued_at = LocalDateTime(required=True)
    masked_name = ma.fields.String(required=True)
    stars = ma.fields.Integer(required=True)
    level_name = ma.fields.String(required=True)
    purpose = ma.fields.String(required=True)
