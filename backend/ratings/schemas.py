import marshmallow as ma
from marshmallow import validate

from backend.web.schemas import QuerySchema


class VillageQuery(QuerySchema):
    town = ma.fields.String(validate=validate.Length(1, 50), metadata={"description": "only this town's villages"})


class VillageRatingSchema(ma.Schema):
    town = ma.fields.String(required=True)
    village = ma.fields.String(required=True)
    households = ma.fields.Integer(required=True, metadata={"description": "households with active members"})
    credit_households = ma.fields.Integer(required=True)
    share = ma.fields.Float(required=True, metadata={"description": "credit_households / households, 4 decimals"})
    is_credit_village = ma.fields.Boolean(required=True)


class TownRatingSchema(ma.Schema):
    town = ma.fields.String(required=True)
    villages = ma.fields.Integer(required=True, metadata={"description": "villages with active households"})
    credit_villages = ma.fields.Integer(required=True)
    share = ma.fields.Float(required=True, metadata={"description": "credit_villages / villages, 4 decimals"})
    is_credit_town = ma.fields.Boolean(required=True)
    households = ma.fields.Integer(required=True)
    credit_households = ma.fields.Integer(required=True)


class HouseholdStatusSchema(ma.Schema):
    household_no = ma.fields.String(required=True)
    members = ma.fields.Integer(required=True, metadata={"description": "active residents of the household"})
    is_credit_household = ma.fields.Boolean(required=True)
