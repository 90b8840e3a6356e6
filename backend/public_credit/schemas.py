"""What crosses HTTP for the public credit query: the public's view (persons masked, no ID numbers), the
staff's view, single records and removals, imports and the feed."""

import marshmallow as ma
from marshmallow import validate

from backend.credit.disclosure import SEVERITIES
from backend.data.import_files import request_body
from backend.dates.timeutil import as_local
from backend.public_credit import service
from backend.public_credit.models import (
    DISCLOSURE_STATUSES,
    DISCLOSURE_TYPES,
    ENTERPRISE_KINDS,
    ENTERPRISE_STATUSES,
    LICENCE_STATES,
    LISTS,
    SUBJECT_CATEGORIES,
)
from backend.web.schemas import AwareDateTime, LocalDateTime, QuerySchema, StrictSchema, Text

OBJECT = {"type": "object"}


def _string(description: str | None = None, **kwargs) -> dict:
    return {"type": "string", "nullable": True, **({"description": description} if description else {}), **kwargs}


def _subject(record) -> dict:
    return {"name": record.subject_name, "category": record.subject_category, "uscc": record.subject_uscc}


SUBJECT = {"type": "object", "description": "name (a natural person's masked, never an ID number), category "
                                            "(legal_person | natural_person | individual_business), uscc",
           "properties": {"name": {"type": "string"}, "category": {"type": "string", "enum": list(SUBJECT_CATEGORIES)},
                          "uscc": {"type": "string", "nullable": True}}}


# --- enterprises ----------------------------------------------------------------------------------------


class EnterpriseSchema(ma.Schema):
    uscc = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": list(ENTERPRISE_KINDS)})
    legal_representative = ma.fields.Function(
        lambda e: service.shown_representative(e.kind, e.representative_sealed),
        metadata=_string("the legal representative; an individual business's operator masked"))
    town = ma.fields.String(allow_none=True)
    address = ma.fields.String(allow_none=True)
    registered_on = ma.fields.Date(allow_none=True)
    status = ma.fields.String(required=True, metadata={"enum": list(ENTERPRISE_STATUSES)})


class StaffEnterpriseSchema(EnterpriseSchema):
    id = ma.fields.Integer(required=True)
    created_at = LocalDateTime(required=True)
    updated_at = LocalDateTime(required=True)


class EnterpriseSummarySchema(ma.Schema):
    enterprise = ma.fields.Nested(EnterpriseSchema, required=True)
    licences = ma.fields.Integer(required=True, metadata={"description": "licences shown now"})
    penalties = ma.fields.Integer(required=True, metadata={"description": "penalties shown now"})
    lists = ma.fields.List(ma.fields.String(metadata={"enum": list(LISTS)}), required=True,
                           metadata={"description": "the lists it is on now"})


class EnterpriseCreateSchema(StrictSchema):
    uscc = ma.fields.String(required=True, metadata={"description": "统一社会信用代码 (GB 32100 check)"})
    name = ma.fields.String(required=True)
    kind = ma.fields.String(validate=validate.OneOf(ENTERPRISE_KINDS), metadata={"description": "default "
                                                                                               "legal_person"})
    legal_representative = ma.fields.String(allow_none=True)
    town = ma.fields.String(allow_none=True)
    address = ma.fields.String(allow_none=True)
    registered_on = ma.fields.Date(allow_none=True)
    status = ma.fields.String(validate=validate.OneOf(ENTERPRISE_STATUSES), metadata={"description": "default "
                                                                                                    "operating"})


class EnterpriseQuery(QuerySchema):
    q = ma.fields.String(validate=validate.Length(1, 100), metadata={"description": "name substring or USCC"})
    kind = ma.fields.String(validate=validate.OneOf(ENTERPRISE_KINDS))
    status = ma.fields.String(validate=validate.OneOf(ENTERPRISE_STATUSES))


class PublicEnterpriseQuery(QuerySchema):
    q = Text(required=True, validate=validate.Length(2, 100),
             metadata={"description": "a substring of the name (2 characters or more), or an exact USCC"})


# --- disclosures ----------------------------------------------------------------------------------------


class DisclosureContentSchema(ma.Schema):
    subject = ma.fields.Function(_subject, required=True, metadata=SUBJECT)
    legal_representative = ma.fields.Function(
        lambda d: service.shown_representative(d.subject_category, d.legal_representative_sealed),
        metadata=_string("XK_FRDB / CF_FRDB; an individual business's operator masked"))
    document_name = ma.fields.String(allow_none=True, metadata={"description": "XK_XKWS"})
    licence_category = ma.fields.String(allow_none=True, metadata={"description": "XK_XKLB"})
    certificate_name = ma.fields.String(allow_none=True, metadata={"description": "XK_XKZS"})
    licence_no = ma.fields.String(allow_none=True, metadata={"description": "XK_XKBH"})
    content = ma.fields.String(allow_none=True, metadata={"description": "XK_NR / CF_NR"})
    decided_on = ma.fields.Date(required=True, metadata={"description": "XK_JDRQ / CF_JDRQ"})
    valid_from = ma.fields.Date(allow_none=True, metadata={"description": "XK_YXQZ"})
    valid_to = ma.fields.Date(allow_none=True, metadata={"description": "XK_YXQZI (a licence without one has "
                                                                          "no end)"})
    state = ma.fields.String(allow_none=True, metadata={"enum": list(LICENCE_STATES), "description": "XK_ZT"})
    violation_type = ma.fields.String(allow_none=True, metadata={"description": "CF_WFXW"})
    facts = ma.fields.Function(lambda d: service.opened("facts", d.facts_sealed), metadata=_string("CF_SY"))
    legal_basis = ma.fields.String(allow_none=True, metadata={"description": "CF_YJ"})
    penalty_category = ma.fields.String(allow_none=True, metadata={"description": "CF_CFLB"})
    fine_amount = ma.fields.Decimal(as_string=True, allow_none=True,
                                    metadata={"description": "CF_NR_FK, in yuan (exact, two decimals)"})
    confiscated_amount = ma.fields.Decimal(as_string=True, allow_none=True,
                                           metadata={"description": "CF_NR_WFFF, in yuan"})
    licence_suspended_or_revoked = ma.fields.String(allow_none=True, metadata={"description": "CF_NR_ZKDX"})
    valid_until = ma.fields.Date(allow_none=True, metadata={"description": "CF_YXQ"})
    disclosed_until = ma.fields.Date(allow_none=True, metadata={
        "description": "CF_GSJZQ: the penalty is shown until 00:00 (Beijing time) of this date"})
    severity = ma.fields.String(allow_none=True, metadata={"enum": list(SEVERITIES)})
    authority = ma.fields.String(required=True, metadata={"description": "XK_XKJG / CF_CFJG"})


class DisclosureSchema(DisclosureContentSchema):
    id = ma.fields.Integer(required=True)
    type = ma.fields.String(required=True, metadata={"enum": list(DISCLOSURE_TYPES)})
    decision_no = ma.fields.String(required=True, metadata={"description": "XK_WSH / CF_WSH"})
    authority_uscc = ma.fields.String(required=True, metadata={"description": "XK_XKJGDM / CF_CFJGDM"})


class DisclosureStatusChangeSchema(ma.Schema):
    from_status = ma.fields.String(required=True)
    to_status = ma.fields.String(required=True)
    at = LocalDateTime(required=True)
    actor_kind = ma.fields.String(required=True)
    actor_id = ma.fields.Integer(allow_none=True)
    note = ma.fields.Function(lambda c: service.opened("note", c.note_sealed), metadata=_string())
    evidence = ma.fields.Function(lambda c: service.evidence_of(c), metadata={"type": "array",
                                                                          "items": {"type": "string"}})


class DisclosureVersionSchema(DisclosureContentSchema):
    version = ma.fields.Integer(required=True)
    data_source = ma.fields.String(required=True)
    replaced_at = LocalDateTime(required=True)
    replaced_by_kind = ma.fields.String(required=True)
    replaced_by_id = ma.fields.Integer(allow_none=True)


class StaffDisclosureSchema(DisclosureSchema):
    status = ma.fields.String(required=True, metadata={"enum": list(DISCLOSURE_STATUSES)})
    shown = ma.fields.Function(lambda d: service.is_shown(d), metadata={"type": "boolean",
                                                                      "description": "the public sees it now"})
    data_source = ma.fields.String(required=True, metadata={"description": "XK_LYDW / CF_SJLY: the source name"})
    data_source_uscc = ma.fields.String(allow_none=True, metadata={"description": "XK_LYDWDM / CF_SJLYDM"})
    remarks = ma.fields.Function(lambda d: service.opened("remarks", d.remarks_sealed), metadata=_string("BZ"))
    enterprise_id = ma.fields.Integer(allow_none=True)
    version = ma.fields.Integer(required=True)
    created_at = LocalDateTime(required=True)
    updated_at = LocalDateTime(required=True)


class StaffDisclosureDetailSchema(StaffDisclosureSchema):
    status_changes = ma.fields.List(ma.fields.Nested(DisclosureStatusChangeSchema), required=True)
    versions = ma.fields.List(ma.fields.Nested(DisclosureVersionSchema), required=True,
                              metadata={"description": "former contents, oldest first"})


class DisclosureCreateSchema(StrictSchema):
    """One licence or penalty under our names (the import also takes the standard's codes)."""

    type = ma.fields.String(required=True, validate=validate.OneOf(DISCLOSURE_TYPES))
    decision_no = ma.fields.String(required=True)
    authority = ma.fields.String(required=True)
    authority_uscc = ma.fields.String(required=True)
    subject_category = ma.fields.String(required=True, validate=validate.OneOf(SUBJECT_CATEGORIES))
    subject_name = ma.fields.String(required=True)
    subject_uscc = ma.fields.String(allow_none=True)
    legal_representative = ma.fields.String(allow_none=True)
    content = ma.fields.String(required=True)
    decided_on = ma.fields.Date(required=True)
    data_source = ma.fields.String(required=True)
    data_source_uscc = ma.fields.String(allow_none=True)
    remarks = ma.fields.String(allow_none=True)
    document_name = ma.fields.String(allow_none=True)
    licence_category = ma.fields.String(allow_none=True)
    certificate_name = ma.fields.String(allow_none=True)
    licence_no = ma.fields.String(allow_none=True)
    valid_from = ma.fields.Date(allow_none=True)
    valid_to = ma.fields.Date(allow_none=True)
    state = ma.fields.String(allow_none=True, validate=validate.OneOf(LICENCE_STATES))
    violation_type = ma.fields.String(allow_none=True)
    facts = ma.fields.String(allow_none=True)
    legal_basis = ma.fields.String(allow_none=True)
    penalty_category = ma.fields.String(allow_none=True)
    fine_amount = ma.fields.Decimal(allow_none=True, allow_nan=False, metadata={"description": "in yuan"})
    confiscated_amount = ma.fields.Decimal(allow_none=True, allow_nan=False, metadata={"description": "in yuan"})
    licence_suspended_or_revoked = ma.fields.String(allow_none=True)
    valid_until = ma.fields.Date(allow_none=True)
    disclosed_until = ma.fields.Date(allow_none=True, metadata={
        "description": "default: the severity window's maximum; outside the window 422 outside_disclosure_window"})
    severity = ma.fields.String(allow_none=True, validate=validate.OneOf(SEVERITIES))


class PublicDisclosureQuery(QuerySchema):
    type = ma.fields.String(validate=validate.OneOf(DISCLOSURE_TYPES))
    q = Text(validate=validate.Length(2, 100), metadata={
        "description": "a decision number, a subject's USCC, or a substring of an enterprise's name"})
    authority = Text(validate=validate.Length(1, 200), metadata={"description": "an authority's name or USCC"})
    from_ = ma.fields.Date(data_key="from", metadata={"description": "decided on or after"})
    to = ma.fields.Date(metadata={"description": "decided on or before"})


class StaffDisclosureQuery(QuerySchema):
    type = ma.fields.String(validate=validate.OneOf(DISCLOSURE_TYPES))
    status = ma.fields.String(validate=validate.OneOf(DISCLOSURE_STATUSES))
    data_source = ma.fields.String(validate=validate.Length(1, 64),
                                   metadata={"description": "a department always sees its own source"})
    q = Text(validate=validate.Length(1, 100))
    since = AwareDateTime(default_timezone=None, metadata={"description": "changed after this time"})


class DisclosureVoidSchema(StrictSchema):
    reason = Text(required=True, validate=validate.Length(2, 500))


class DisclosureRepairSchema(StrictSchema):
    note = Text(required=True, validate=validate.Length(2, 2000),
                metadata={"description": "how the enterprise put things right"})
    evidence = ma.fields.List(Text(validate=validate.Length(1, 200)), required=True,
                              validate=validate.Length(1, 20),
                              metadata={"description": "the materials seen (proof the obligation was met, the "
                                                       "credit commitment letter), one line each"})


# --- list entries ---------------------------------------------------------------------------------------


class ListEntrySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    list = ma.fields.String(attribute="list_name", required=True, metadata={"enum": list(LISTS)})
    subject = ma.fields.Function(_subject, required=True, metadata=SUBJECT)
    reason = ma.fields.Function(lambda e: service.opened("reason", e.reason_sealed), required=True,
                                metadata={"type": "string", "description": "列入原因"})
    listed_on = ma.fields.Date(required=True)
    listing_authority = ma.fields.String(required=True)


class ListEntryVersionSchema(ma.Schema):
    version = ma.fields.Integer(required=True)
    subject_name = ma.fields.String(required=True)
    reason = ma.fields.Function(lambda e: service.opened("reason", e.reason_sealed), metadata=_string())
    listing_authority = ma.fields.String(required=True)
    data_source = ma.fields.String(required=True)
    replaced_at = LocalDateTime(required=True)
    replaced_by_kind = ma.fields.String(required=True)
    replaced_by_id = ma.fields.Integer(allow_none=True)


class StaffListEntrySchema(ListEntrySchema):
    masked_id_number = ma.fields.Function(service.masked_subject_id, metadata=_string("a person's, masked"))
    data_source = ma.fields.String(required=True)
    removed_on = ma.fields.Date(allow_none=True)
    removal_reason = ma.fields.Function(lambda e: service.opened("reason", e.removal_reason_sealed),
                                        metadata=_string())
    removal_authority = ma.fields.String(allow_none=True)
    removed_at = LocalDateTime(allow_none=True)
    removed_by_kind = ma.fields.String(allow_none=True)
    removed_by_id = ma.fields.Integer(allow_none=True)
    version = ma.fields.Integer(required=True)
    created_at = LocalDateTime(required=True)
    updated_at = LocalDateTime(required=True)


class StaffListEntryDetailSchema(StaffListEntrySchema):
    versions = ma.fields.List(ma.fields.Nested(ListEntryVersionSchema), required=True)


class ListEntryCreateSchema(StrictSchema):
    list = ma.fields.String(required=True, validate=validate.OneOf(LISTS))
    subject_category = ma.fields.String(validate=validate.OneOf(SUBJECT_CATEGORIES))
    subject_uscc = ma.fields.String(allow_none=True, metadata={"description": "an enterprise's"})
    subject_id_number = ma.fields.String(allow_none=True, metadata={"description": "a person's (kept sealed)"})
    subject_name = ma.fields.String(required=True)
    reason = ma.fields.String(required=True)
    listed_on = ma.fields.Date(required=True)
    listing_authority = ma.fields.String(required=True)
    data_source = ma.fields.String(required=True)


class ListEntryRemovalSchema(StrictSchema):
    removal_reason = Text(required=True, validate=validate.Length(2, 2000))
    removal_authority = Text(required=True, validate=validate.Length(2, 200))
    removed_on = ma.fields.Date(metadata={"description": "default today"})


class ListEntryQuery(QuerySchema):
    list = ma.fields.String(data_key="list", attribute="list_name", validate=validate.OneOf(LISTS))
    removed = ma.fields.Boolean()
    uscc = ma.fields.String(validate=validate.Length(1, 30))


# --- exposures ------------------------------------------------------------------------------------------


class ExposureSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    facts = ma.fields.Function(lambda x: service.opened("facts", x.facts_sealed), required=True,
                               metadata={"type": "string"})
    subject = ma.fields.Function(lambda x: _subject(x.disclosure), required=True, metadata=SUBJECT)
    decision_no = ma.fields.String(attribute="disclosure.decision_no", required=True)
    authority = ma.fields.String(attribute="disclosure.authority", required=True)
    decided_on = ma.fields.Date(attribute="disclosure.decided_on", required=True)
    published_on = ma.fields.Function(lambda x: as_local(x.published_at).date().isoformat(), required=True,
                                      metadata={"type": "string", "format": "date"})


class StaffExposureSchema(ExposureSchema):
    disclosure_id = ma.fields.Integer(required=True)
    shown = ma.fields.Function(lambda x: service.exposure_shown(x), metadata={"type": "boolean"})
    published_at = LocalDateTime(required=True)
    published_by = ma.fields.Integer(allow_none=True)
    unpublished_on = ma.fields.Function(
        lambda x: as_local(x.unpublished_at).date().isoformat() if x.unpublished_at else None,
        metadata={"type": "string", "format": "date", "nullable": True})
    unpublished_at = LocalDateTime(allow_none=True)
    unpublished_by = ma.fields.Integer(allow_none=True)
    unpublish_reason = ma.fields.Function(lambda x: service.opened("reason", x.unpublish_reason_sealed),
                                          metadata=_string())


class ExposureCreateSchema(StrictSchema):
    title = Text(required=True, validate=validate.Length(2, 200))
    facts = Text(required=True, validate=validate.Length(2, 4000))
    decision_no = Text(required=True, validate=validate.Length(1, 128),
                       metadata={"description": "the penalty's decision number (CF_WSH)"})
    authority_uscc = ma.fields.String(validate=validate.Length(1, 30),
                                      metadata={"description": "when several authorities used the number"})


class ExposureUnpublishSchema(StrictSchema):
    reason = Text(required=True, validate=validate.Length(2, 500))


class ExposureQuery(QuerySchema):
    shown = ma.fields.Boolean(metadata={"description": "true: what the public sees now; false: the others"})


# --- the public enterprise page --------------------------------------------------------------------------


class EnterpriseTotalsSchema(ma.Schema):
    licences = ma.fields.Integer(required=True)
    penalties = ma.fields.Integer(required=True)
    list_entries = ma.fields.Integer(required=True)
    exposures = ma.fields.Integer(required=True)


class EnterprisePageSchema(ma.Schema):
    enterprise = ma.fields.Nested(EnterpriseSchema, required=True)
    licences = ma.fields.List(ma.fields.Nested(DisclosureSchema), required=True)
    penalties = ma.fields.List(ma.fields.Nested(DisclosureSchema), required=True)
    list_entries = ma.fields.List(ma.fields.Nested(ListEntrySchema), required=True)
    exposures = ma.fields.List(ma.fields.Nested(ExposureSchema), required=True)
    totals = ma.fields.Nested(EnterpriseTotalsSchema, required=True, metadata={
        "description": "how many are shown in all; each section lists the newest 100"})


# --- imports and the feed -------------------------------------------------------------------------------


class RecordImportErrorSchema(ma.Schema):
    line = ma.fields.Integer(required=True, metadata={"description": "line in the file (the CSV header is line 1)"})
    reason = ma.fields.String(required=True)
    message = ma.fields.String(required=True)
    field = ma.fields.String(allow_none=True, metadata={"description": "the field at fault, under our name"})


class RecordImportResultSchema(ma.Schema):
    rows = ma.fields.Integer(required=True)
    created = ma.fields.Integer(required=True)
    updated = ma.fields.Integer(required=True, metadata={"description": "changed rows (the former content is kept)"})
    unchanged = ma.fields.Integer(required=True)
    errors = ma.fields.List(ma.fields.Nested(RecordImportErrorSchema), required=True)


class DisclosureExportQuery(QuerySchema):
    since = AwareDateTime(default_timezone=None, metadata={"description": "changes after this time (all when "
                                                                          "left out)"})
    format = ma.fields.String(load_default="csv", validate=validate.OneOf(["csv", "ndjson"]))
    type = ma.fields.String(validate=validate.OneOf(DISCLOSURE_TYPES))


ENTERPRISE_IMPORT_BODY = request_body(
    "Columns: uscc, name, kind (legal_person | individual_business, or 法人及非法人组织 | 个体工商户), "
    "legal_representative, town, address, registered_on, status (operating | revoked | deregistered | moved_out).",
    ("uscc", "name", "kind", "legal_representative", "town", "address", "registered_on", "status"))
DISCLOSURE_IMPORT_BODY = request_body(
    "Up to 512 MiB. Columns under our names or the national standard's codes (XK_* licences, CF_* penalties), "
    "mixed as you like; money under the codes in 万元, under our names in yuan; type (licence | penalty) unless "
    "told by the codes; severity for penalties; an optional status (active | voided | repaired).",
    ("type", "decision_no", "subject_name", "subject_uscc", "authority", "authority_uscc", "decided_on",
     "data_source"))
LIST_IMPORT_BODY = request_body(
    "Columns: list (red | watch | black), subject_category, subject_uscc or subject_id_number, subject_name, "
    "reason, listed_on, listing_authority, data_source; optionally removed_on, removal_reason, removal_authority.",
    ("list", "subject_category", "subject_uscc", "subject_name", "reason", "listed_on", "listing_authority",
     "data_source"))
