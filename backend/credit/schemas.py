import marshmallow as ma
from marshmallow import validate

from backend.credit.ledger import EARLIEST, NOTE_MAX, RUBRIC_CODE_MAX, SOURCE_PATTERN, SOURCE_REF_MAX
from backend.credit.models import EVENT_STATUSES
from backend.credit.rubric import CATEGORIES, HONOUR_VALIDITY_DAYS, SEVERITIES
from backend.credit.service import shown_status
from backend.data.import_files import request_body
from backend.i18n import _
from backend.ratings.schemas import HouseholdStatusSchema
from backend.web.bodies import MIB
from backend.web.schemas import AwareDateTime, IdNumber, LocalDateTime, QuerySchema, StrictSchema

CODE = validate.Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,39}$", error=_("letters, digits, '.', '_' or '-' (2–40)"))
SHOWN_STATUSES = [*EVENT_STATUSES, "expired"]


class RubricItemSchema(ma.Schema):
    code = ma.fields.String(required=True)
    category = ma.fields.String(required=True, metadata={"enum": list(CATEGORIES)})
    title = ma.fields.String(required=True)
    points = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": ["bonus", "penalty"]})
    severity = ma.fields.String(allow_none=True, metadata={"enum": list(SEVERITIES)})
    validity_days = ma.fields.Integer(required=True)
    min_disclosure_days = ma.fields.Integer(required=True)
    max_disclosure_days = ma.fields.Integer(required=True)
    repairable = ma.fields.Boolean(required=True)
    annual_cap = ma.fields.Integer(allow_none=True)
    caps_stars_at = ma.fields.Integer(allow_none=True)
    town = ma.fields.Function(lambda item: item.town.name if item.town else None, allow_none=True,
                              metadata={"type": "string", "description": "null for a city-wide item"})
    active = ma.fields.Boolean(required=True)


class RubricItemCreateSchema(StrictSchema):
    code = ma.fields.String(required=True, validate=CODE)
    category = ma.fields.String(required=True, validate=validate.OneOf(list(CATEGORIES)))
    title = ma.fields.String(required=True, validate=validate.Length(2, 200))
    points = ma.fields.Integer(required=True, strict=True, validate=validate.Range(-1000, 1000))
    kind = ma.fields.String(required=True, validate=validate.OneOf(["bonus", "penalty"]))
    severity = ma.fields.String(allow_none=True, validate=validate.OneOf(SEVERITIES))
    validity_days = ma.fields.Integer(strict=True, validate=validate.Range(1, 3650))
    min_disclosure_days = ma.fields.Integer(strict=True, validate=validate.Range(0, 3650))
    max_disclosure_days = ma.fields.Integer(strict=True, validate=validate.Range(0, 3650))
    repairable = ma.fields.Boolean()
    annual_cap = ma.fields.Integer(allow_none=True, strict=True, validate=validate.Range(1, 10000))
    caps_stars_at = ma.fields.Integer(allow_none=True, strict=True, validate=validate.Range(1, 4))
    town = ma.fields.String(allow_none=True, validate=validate.Length(1, 50))
    honour_level = ma.fields.String(load_only=True, validate=validate.OneOf(list(HONOUR_VALIDITY_DAYS)),
                                    metadata={"description": "for an honour (bonus): county 1 year, prefecture 2, "
                                                             "province 3, nation 5 — the default validity"})


class RubricItemUpdateSchema(RubricItemCreateSchema):
    class Meta:
        exclude = ("code", "honour_level")

    category = ma.fields.String(validate=validate.OneOf(list(CATEGORIES)))
    title = ma.fields.String(validate=validate.Length(2, 200))
    points = ma.fields.Integer(strict=True, validate=validate.Range(-1000, 1000))
    kind = ma.fields.String(validate=validate.OneOf(["bonus", "penalty"]))
    active = ma.fields.Boolean()


class RubricQuery(QuerySchema):
    category = ma.fields.String(validate=validate.OneOf(list(CATEGORIES)))
    town = ma.fields.String(validate=validate.Length(1, 50))
    include_retired = ma.fields.Boolean(load_default=False)


class PublicRubricQuery(QuerySchema):
    town = ma.fields.String(validate=validate.Length(1, 50),
                            metadata={"description": "add this town's local (+N) items"})


class PublicRubricItemSchema(RubricItemSchema):
    class Meta:
        exclude = ("active",)


class RubricGroupSchema(ma.Schema):
    category = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    items = ma.fields.List(ma.fields.Nested(PublicRubricItemSchema), required=True)


class EventCreateSchema(StrictSchema):
    """One event; a bulk import checks each row with the same limits (``ledger.parse_event_fields``)."""

    id_number = IdNumber(required=True)
    rubric_code = ma.fields.String(required=True, validate=validate.Length(1, RUBRIC_CODE_MAX))
    occurred_at = AwareDateTime(required=True, default_timezone=None,
                                validate=validate.Range(min=EARLIEST, error=_("must be after 1970")))
    source = ma.fields.String(required=True, validate=validate.Regexp(SOURCE_PATTERN))
    source_ref = ma.fields.String(required=True, validate=validate.Length(1, SOURCE_REF_MAX))
    note = ma.fields.String(allow_none=True, validate=validate.Length(max=NOTE_MAX))


class EventSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    rubric_code = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    category = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    severity = ma.fields.String(allow_none=True)
    points = ma.fields.Integer(required=True)
    caps_stars_at = ma.fields.Integer(allow_none=True)
    occurred_at = LocalDateTime(required=True)
    effective_until = LocalDateTime(required=True)
    status = ma.fields.Function(lambda event: shown_status(event), required=True,
                                metadata={"enum": SHOWN_STATUSES, "type": "string",
                                          "description": "expired: a counting event past its validity"})
    source = ma.fields.String(required=True)
    note = ma.fields.String(allow_none=True)


class StaffEventSchema(EventSchema):
    source_ref = ma.fields.String(required=True)
    resident_id = ma.fields.Integer(required=True)
    created_at = LocalDateTime(required=True)


class StaffEventQuery(StrictSchema):
    id_number = IdNumber(required=True)
    kind = ma.fields.String(validate=validate.OneOf(["bonus", "penalty"]))
    status = ma.fields.String(validate=validate.OneOf(SHOWN_STATUSES))


class MyEventQuery(QuerySchema):
    kind = ma.fields.String(validate=validate.OneOf(["bonus", "penalty"]))
    status = ma.fields.String(validate=validate.OneOf(SHOWN_STATUSES))


class NextLevelSchema(ma.Schema):
    stars = ma.fields.Integer(required=True)
    points_needed = ma.fields.Integer(required=True)


class CreditSchema(ma.Schema):
    points = ma.fields.Integer(required=True)
    stars = ma.fields.Integer(required=True)
    level_name = ma.fields.String(required=True)
    capped_by = ma.fields.String(allow_none=True, metadata={"description": "rubric code of the direct grading "
                                                                          "that holds the stars down"})
    next_level = ma.fields.Nested(NextLevelSchema, allow_none=True)
    updated_at = LocalDateTime(required=True)
    household = ma.fields.Nested(HouseholdStatusSchema, required=True,
                                 metadata={"description": "the resident's household (户): a credit household (信用户) "
                                                          "when every active member has 3★ or more and one 4★ or "
                                                          "more (default rule)"})


class StarLevelSchema(ma.Schema):
    stars = ma.fields.Integer(required=True, validate=validate.Range(1, 5))
    name = ma.fields.String(required=True, validate=validate.Length(1, 20))
    min_points = ma.fields.Integer(allow_none=True, strict=True)


class StarLevelsUpdateSchema(StrictSchema):
    levels = ma.fields.List(ma.fields.Nested(StarLevelSchema), required=True,
                            validate=validate.Length(equal=5))


class StarLevelsSchema(ma.Schema):
    levels = ma.fields.List(ma.fields.Nested(StarLevelSchema), required=True)


class EventImportErrorSchema(ma.Schema):
    line = ma.fields.Integer(required=True, metadata={"description": "line in the file (the CSV header is line 1)"})
    reason = ma.fields.String(required=True, metadata={"description": "stable word, as the single-event "
                                                                      "endpoint's refusal for the same case"})
    message = ma.fields.String(required=True, metadata={"description": "what is wrong, never repeating the ID "
                                                                       "number"})


class EventImportResultSchema(ma.Schema):
    rows = ma.fields.Integer(required=True, metadata={"description": "data rows read"})
    created = ma.fields.Integer(required=True, metadata={"description": "new events recorded"})
    unchanged = ma.fields.Integer(required=True, metadata={
        "description": "rows whose (source, source_ref) was already recorded with the same content"})
    conflicts = ma.fields.Integer(required=True, metadata={
        "description": "rows refused as source_ref_conflict (also listed in errors)"})
    errors = ma.fields.List(ma.fields.Nested(EventImportErrorSchema), required=True)
    notices_queued = ma.fields.Integer(required=True, metadata={
        "description": "penalty notices queued for bound residents"})


# What a CSV header must name; note is optional.
EVENT_IMPORT_COLUMNS = ("id_number", "rubric_code", "occurred_at", "source", "source_ref")
# A department's monthly file of a million events is about 100 MB; it is read as it arrives.
EVENT_IMPORT_LIMIT = 256 * MIB
EVENT_IMPORT_BODY = request_body("Up to 256 MiB. Fields: id_number, rubric_code, occurred_at (ISO 8601 with "
                                 "offset), source, source_ref, note (optional).", EVENT_IMPORT_COLUMNS)
