import marshmallow as ma
from marshmallow import validate

from backend.codes.service import PURPOSES, SCOPES
from backend.verifiers.schemas import OfferSchema
from backend.web.schemas import LocalDateTime, QuerySchema, StrictSchema


class CodeRequestSchema(StrictSchema):
    scope = ma.fields.String(load_default="basic", validate=validate.OneOf(SCOPES),
                             metadata={"description": "detailed adds points and active penalties; banks only"})


class CodeQuery(QuerySchema):
    scope = ma.fields.String(load_default="basic", validate=validate.OneOf(SCOPES))


class CodeSchema(ma.Schema):
    token = ma.fields.String(required=True)
    expires_at = LocalDateTime(required=True)
    qr_svg = ma.fields.String(required=True, metadata={"description": "the token as a QR code, SVG"})


class VerificationRequestSchema(StrictSchema):
    token = ma.fields.String(required=True, validate=validate.Length(1, 2048))
    purpose = ma.fields.String(required=True, validate=validate.OneOf(PURPOSES))
    offer_id = ma.fields.Integer(strict=True, validate=validate.Range(1, 2**31 - 1))
    min_stars = ma.fields.Integer(strict=True, validate=validate.Range(1, 5),
                                  metadata={"description": "for purpose admission: the stars asked for"})


class PenaltySchema(ma.Schema):
    rubric_code = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    points = ma.fields.Integer(required=True)
    occurred_at = LocalDateTime(required=True)
    effective_until = LocalDateTime(required=True)
    status = ma.fields.String(required=True)


class MaskedNameSchema(ma.Schema):
    masked_name = ma.fields.String(required=True)


class VerificationResultSchema(ma.Schema):
    verification_id = ma.fields.Integer(required=True)
    resident = ma.fields.Nested(MaskedNameSchema, required=True)
    stars = ma.fields.Integer(required=True, metadata={"description": "the live account's, not the code's"})
    level_name = ma.fields.String(required=True)
    scope = ma.fields.String(required=True)
    eligible_offers = ma.fields.List(ma.fields.Nested(OfferSchema), required=True)
    redeemed_offer = ma.fields.Nested(OfferSchema, allow_none=True)
    redeem_refused_reason = ma.fields.String(metadata={"description": "stars_too_low"})
    admitted = ma.fields.Boolean()
    verified_at = LocalDateTime(required=True)
    points = ma.fields.Integer(metadata={"description": "detailed codes only"})
    active_penalties = ma.fields.List(ma.fields.Nested(PenaltySchema), metadata={"description": "detailed only"})


class VerificationHistorySchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    at = LocalDateTime(required=True)
    masked_name = ma.fields.String(required=True)
    purpose = ma.fields.String(required=True)
    scope = ma.fields.String(required=True)
    stars = ma.fields.Integer(required=True)
    offer_id = ma.fields.Integer(allow_none=True)
    redeemed = ma.fields.Boolean(required=True, metadata={
        "description": "the offer was redeemed (false again once a claim is reversed)"})
    admitted = ma.fields.Boolean(allow_none=True)
    claim_no = ma.fields.String(allow_none=True, metadata={
        "description": "set when the resident claimed the offer by scanning the shop's poster (扫码享优惠) "
                       "instead of showing a code"})
    reversed_at = LocalDateTime(allow_none=True, metadata={"description": "when an operator reversed the claim"})


class JwkSchema(ma.Schema):
    kty = ma.fields.String(required=True)
    crv = ma.fields.String(required=True)
    x = ma.fields.String(required=True)
    kid = ma.fields.String(required=True)
    alg = ma.fields.String(required=True)
    use = ma.fields.String(required=True)


class JwksSchema(ma.Schema):
    keys = ma.fields.List(ma.fields.Nested(JwkSchema), required=True)
