import marshmallow as ma
from marshmallow import validate

from backend.verifiers.schemas import PublicOfferSchema
from backend.web.schemas import AwareDateTime, LocalDateTime, QuerySchema, StrictSchema


class PosterSchema(ma.Schema):
    offer_id = ma.fields.Integer(required=True)
    poster_token = ma.fields.String(required=True, metadata={
        "description": "what the poster's QR code holds: an opaque string starting cxp_; anyone who has it "
                       "can claim the offer, so rotate the poster if it leaks"})
    created_at = LocalDateTime(required=True, metadata={"description": "printed on the poster (海报生成于)"})


class ClaimRequestSchema(StrictSchema):
    poster_token = ma.fields.String(required=True, validate=validate.Length(1, 200), metadata={
        "description": "the text wx.scanCode read from the poster's QR code, as it is"})


class ClaimSchema(ma.Schema):
    claim_no = ma.fields.String(required=True, metadata={"description": "short, for the cashier to read"})
    offer = ma.fields.Nested(PublicOfferSchema, required=True)
    stars = ma.fields.Integer(required=True, metadata={"description": "the live account's"})
    level_name = ma.fields.String(required=True)
    claimed_at = LocalDateTime(required=True)
    show_until = LocalDateTime(required=True, metadata={
        "description": "show the claim screen (with its live clock) until then: 10 minutes by default"})


class ClaimedOfferSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    min_stars = ma.fields.Integer(required=True)


class ShopClaimSchema(ma.Schema):
    claim_no = ma.fields.String(required=True)
    offer = ma.fields.Nested(ClaimedOfferSchema, required=True)
    masked_name = ma.fields.String(required=True)
    stars = ma.fields.Integer(required=True, metadata={"description": "the resident's stars when they claimed"})
    level_name = ma.fields.String(required=True)
    claimed_at = LocalDateTime(required=True)
    show_until = LocalDateTime(required=True, metadata={
        "description": "until then the resident's screen shows the claim; a screen of this claim after it is "
                       "an old one"})
    reversible_until = LocalDateTime(required=True, metadata={"description": "24:00 China time of the claim's day"})
    reversed_at = LocalDateTime(allow_none=True)


class ClaimFeedQuery(QuerySchema):
    since = AwareDateTime(default_timezone=None, metadata={
        "description": "only claims made after this time (the newest claimed_at the "
                       "phone has), with its offset"})
