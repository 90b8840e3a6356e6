"""The shapes of the monthly monitoring (SPEC §8): one month's figures per town and city-wide, and its
warnings. The same shape whether computed now or read from a publication."""

import marshmallow as ma
from marshmallow import validate

from backend.i18n import _
from backend.monitoring.service import PURPOSES, STARS
from backend.web.schemas import QuerySchema, Text

MONTH_PATTERN = r"^2\d{3}-(0[1-9]|1[0-2])$"
MONTH = validate.Regexp(MONTH_PATTERN, error=_("a month is written YYYY-MM"))
WARNING_KINDS = ["overdue_reviews", "overdue_commitments", "penalty_rise", "credit_village_share_fell"]


def _count(description: str):
    return ma.fields.Integer(required=True, metadata={"description": description})


# Residents holding each star level at the month's end, keyed "1" to "5".
MonthlyStarsSchema = ma.Schema.from_dict({str(stars): ma.fields.Integer(required=True, metadata={
    "description": f"{stars}★ residents"}) for stars in STARS}, name="MonthlyStarsSchema")


class MonthlyEventCountsSchema(ma.Schema):
    bonus = _count("bonus events recorded within the month")
    penalty = _count("penalty events recorded within the month")


class MonthlyReviewCountsSchema(ma.Schema):
    filed = _count("filed within the month")
    decided = _count("decided within the month")
    overdue = _count("open at the month's end and past a due date")


class MonthlyRewardCountsSchema(ma.Schema):
    approved = _count("report rewards approved within the month")
    approved_yuan = _count("their amount in yuan")
    paid = _count("report rewards paid within the month")
    paid_yuan = _count("their amount in yuan")


MonthlyPurposeCountsSchema = ma.Schema.from_dict({purpose: ma.fields.Integer(required=True) for purpose in PURPOSES},
                                          name="MonthlyPurposeCountsSchema")


class MonthlyVerificationCountsSchema(ma.Schema):
    total = _count("verifications within the month, by the verifier's town (claims included)")
    redemptions = _count("offers redeemed: operator-scanned redemptions and scan-to-claim claims")
    by_purpose = ma.fields.Nested(MonthlyPurposeCountsSchema, required=True)


class MonthlyCommitmentCountsSchema(ma.Schema):
    due = _count("government commitments due by the month's end (outcome recorded or due date passed)")
    fulfilled = _count("fulfilled, on time or late")
    fulfilled_late = _count("of them fulfilled late")
    overdue = _count("pending and past their due date at the month's end")
    broken = _count("broken")


class MonthlyRatingsSchema(ma.Schema):
    households = _count("households with active members")
    credit_households = _count("credit households (信用户)")
    villages = _count("villages and communities with active members")
    credit_villages = _count("credit villages (信用村)")
    credit_village_share = ma.fields.Float(required=True, metadata={"description": "credit villages ÷ villages"})


class MonthlyTownRatingsSchema(MonthlyRatingsSchema):
    is_credit_town = ma.fields.Boolean(required=True, metadata={"description": "a credit town (信用镇)"})


class MonthlyCityRatingsSchema(MonthlyRatingsSchema):
    towns = _count("towns")
    credit_towns = _count("credit towns (信用镇)")


class MonthlyFiguresSchema(ma.Schema):
    residents = _count("active residents registered by the month's end")
    bound_residents = _count("of them bound to a WeChat account at the month's end")
    stars = ma.fields.Nested(MonthlyStarsSchema, required=True)
    events = ma.fields.Nested(MonthlyEventCountsSchema, required=True)
    reviews = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(MonthlyReviewCountsSchema), required=True,
                             metadata={"description": "per kind of review: reports (and repairs, objections "
                                                      "once they are counted)"})
    rewards = ma.fields.Nested(MonthlyRewardCountsSchema, required=True)
    verifications = ma.fields.Nested(MonthlyVerificationCountsSchema, required=True)
    commitments = ma.fields.Nested(MonthlyCommitmentCountsSchema, required=True)


class MonthlyTownFiguresSchema(MonthlyFiguresSchema):
    town = ma.fields.String(required=True)
    ratings = ma.fields.Nested(MonthlyTownRatingsSchema, required=True)


class MonthlyCityFiguresSchema(MonthlyFiguresSchema):
    ratings = ma.fields.Nested(MonthlyCityRatingsSchema, required=True)


class MonthlyUnplacedSchema(ma.Schema):
    """What belongs to no town: reports whose subject's town is unknown, city-level departments'
    commitments; counted in the city's figures."""

    reviews = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Nested(MonthlyReviewCountsSchema), required=True)
    rewards = ma.fields.Nested(MonthlyRewardCountsSchema, required=True)
    commitments = ma.fields.Nested(MonthlyCommitmentCountsSchema, required=True)


class MonthlyWarningSchema(ma.Schema):
    kind = ma.fields.String(required=True, metadata={"enum": WARNING_KINDS})
    town = ma.fields.String(allow_none=True, required=True,
                            metadata={"description": "the town; null for what belongs to no town"})
    source = ma.fields.String(allow_none=True, metadata={"description": "overdue_reviews: which reviews"})
    count = ma.fields.Integer(metadata={"description": "overdue ones, or this month's penalties"})
    previous = ma.fields.Integer(metadata={"description": "penalty_rise: the previous month's penalties"})
    threshold = ma.fields.Float(metadata={"description": "the setting the figure crossed"})
    share = ma.fields.Float(metadata={"description": "credit_village_share_fell: this month's share"})
    previous_share = ma.fields.Float(metadata={"description": "credit_village_share_fell: the previous month's"})
    message = ma.fields.String(required=True, metadata={"description": "the warning, for people"})


class MonthlySchema(ma.Schema):
    month = ma.fields.String(required=True, metadata={"example": "2026-11"})
    as_of = ma.fields.String(required=True, metadata={
        "description": "the moment the figures stand at: 24:00 Asia/Shanghai of the month's last day "
                       "(for the running month: now)", "format": "date-time"})
    complete = ma.fields.Boolean(required=True, metadata={"description": "false for the running month"})
    published = ma.fields.Boolean(required=True)
    published_at = ma.fields.String(allow_none=True, required=True, metadata={"format": "date-time"})
    city = ma.fields.Nested(MonthlyCityFiguresSchema, required=True)
    towns = ma.fields.List(ma.fields.Nested(MonthlyTownFiguresSchema), required=True)
    unplaced = ma.fields.Nested(MonthlyUnplacedSchema, required=True)
    warnings = ma.fields.List(ma.fields.Nested(MonthlyWarningSchema), required=True)


class PublishedMonthSummarySchema(ma.Schema):
    """One published month in the list: the city's figures (or one town's) and its warnings."""

    month = ma.fields.String(required=True)
    as_of = ma.fields.String(required=True, metadata={"format": "date-time"})
    published_at = ma.fields.String(required=True, metadata={"format": "date-time"})
    town = ma.fields.String(allow_none=True, required=True,
                            metadata={"description": "the town asked for; null for the city"})
    figures = ma.fields.Nested(MonthlyFiguresSchema, required=True, metadata={
        "description": "the city's figures, or the town's when asked (its ratings as in the month's document)"})
    ratings = ma.fields.Nested(MonthlyRatingsSchema, required=True)
    warnings = ma.fields.Integer(required=True, metadata={"description": "how many warnings concern it"})


class MonthlyQuery(QuerySchema):
    month = ma.fields.String(required=True, validate=MONTH, metadata={"example": "2026-11", "pattern": MONTH_PATTERN})
    format = ma.fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class MonthlyTownQuery(QuerySchema):
    town = Text(validate=validate.Length(1, 50), metadata={"description": "one town's figures and warnings"})
