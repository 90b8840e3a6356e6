import marshmallow as ma
from marshmallow import validate

from backend.verifiers.models import VERIFIER_KINDS
from backend.web.schemas import AwareDateTime, LocalDateTime, QuerySchema, StrictSchema, Text


class VerifierSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": list(VERIFIER_KINDS)})
    uscc = ma.fields.String(required=True)
    town = ma.fields.String(attribute="town.name", required=True)
    address = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"enum": ["active", "suspended"]})
    status_reason = ma.fields.String(allow_none=True)
    black_listed = ma.fields.Boolean(required=True, metadata={
        "description": "its USCC is on the black list (失信黑名单): it cannot verify (403 verifier_suspended)"})
    created_at = LocalDateTime(required=True)


class VerifierCreateSchema(StrictSchema):
    name = Text(required=True, validate=validate.Length(2, 100))
    kind = ma.fields.String(required=True, validate=validate.OneOf(VERIFIER_KINDS))
    uscc = ma.fields.String(required=True, validate=validate.Length(1, 30))
    town = Text(required=True, validate=validate.Length(1, 50))
    address = Text(required=True, validate=validate.Length(2, 200))


class VerifierUpdateSchema(StrictSchema):
    name = Text(validate=validate.Length(2, 100))
    town = Text(validate=validate.Length(1, 50))
    address = Text(validate=validate.Length(2, 200))


class VerifierQuery(QuerySchema):
    kind = ma.fields.String(validate=validate.OneOf(VERIFIER_KINDS))
    town = ma.fields.String(validate=validate.Length(1, 50))
    status = ma.fields.String(validate=validate.OneOf(["active", "suspended"]))


class ReasonSchema(StrictSchema):
    reason = ma.fields.String(required=True, validate=validate.Length(2, 500))


class InviteSchema(ma.Schema):
    invite_code = ma.fields.String(required=True, metadata={"description": "shown once; hand it to the "
                                                                          "verifier's staff"})
    expires_at = LocalDateTime(required=True)


class RedeemSchema(StrictSchema):
    invite_code = ma.fields.String(required=True, validate=validate.Length(4, 40))


class OperatorSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    verifier_id = ma.fields.Integer(required=True)
    account_id = ma.fields.Integer(required=True)
    added_at = LocalDateTime(required=True)
    removed_at = LocalDateTime(allow_none=True)


class RedeemResultSchema(ma.Schema):
    operator = ma.fields.Nested(OperatorSchema, required=True)
    verifier = ma.fields.Nested(VerifierSchema, required=True)
    roles = ma.fields.List(ma.fields.String(), required=True,
                           metadata={"description": "refresh the tokens to have them listed there too"})


class ApiKeyCreateSchema(StrictSchema):
    label = ma.fields.String(validate=validate.Length(1, 100))


class ApiKeySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    prefix = ma.fields.String(required=True)
    label = ma.fields.String(allow_none=True)
    created_at = LocalDateTime(required=True)
    last_used_at = LocalDateTime(allow_none=True)
    revoked_at = LocalDateTime(allow_none=True)


class NewApiKeySchema(ApiKeySchema):
    api_key = ma.fields.String(required=True, metadata={"description": "shown this once only"})


class OfferSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    min_stars = ma.fields.Integer(required=True)
    valid_from = LocalDateTime(required=True)
    valid_to = LocalDateTime(required=True)
    quota_per_resident = ma.fields.Integer(allow_none=True, metadata={"description": "per calendar month"})


class OfferVerifierSchema(ma.Schema):
    """The verifier behind a public offer."""

    id = ma.fields.Integer(required=True)
    name = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"enum": list(VERIFIER_KINDS)})
    town = ma.fields.String(attribute="town.name", required=True)
    address = ma.fields.String(required=True)


class PublicOfferSchema(OfferSchema):
    verifier = ma.fields.Nested(OfferVerifierSchema, required=True)


class OfferCreateSchema(StrictSchema):
    title = Text(required=True, validate=validate.Length(2, 100))
    description = Text(required=True, validate=validate.Length(2, 2000))
    min_stars = ma.fields.Integer(required=True, strict=True, validate=validate.Range(1, 5))
    valid_from = AwareDateTime(required=True, default_timezone=None)
    valid_to = AwareDateTime(required=True, default_timezone=None)
    quota_per_resident = ma.fields.Integer(allow_none=True, strict=True, validate=validate.Range(1, 1000))


class OfferUpdateSchema(StrictSchema):
    title = Text(validate=validate.Length(2, 100))
    description = Text(validate=validate.Length(2, 2000))
    min_stars = ma.fields.Integer(strict=True, validate=validate.Range(1, 5))
    valid_from = AwareDateTime(default_timezone=None)
    valid_to = AwareDateTime(default_timezone=None)
    quota_per_resident = ma.fields.Integer(allow_none=True, strict=True, validate=validate.Range(1, 1000))


class PublicOfferQuery(QuerySchema):
    town = ma.fields.String(validate=validate.Length(1, 50))
    kind = ma.fields.String(validate=validate.OneOf(VERIFIER_KINDS))
    min_stars = ma.fields.Integer(validate=validate.Range(1, 5),
                                  metadata={"description": "offers that ask at least this many stars"})
    stars = ma.fields.Integer(validate=validate.Range(1, 5),
                              metadata={"description": "offers a resident with this many stars gets"})
